// SPDX-License-Identifier: MIT
// The ACPI PM port: the FADT's sleep control/status and reset registers, on one I/O port.
#include <string.h>

#include "devices/acpipm.h"
#include "firmware/acpi.h"

static void acpipm_read(void *opaque __unused, uint64_t off __unused, uint8_t *data,
			unsigned int size)
{
	memset(data, 0, size);	/* sleep status: WAK_STS never set, we do not come back */
}

static void acpipm_write(void *opaque, uint64_t off __unused, const uint8_t *data,
			 unsigned int size __unused)
{
	uint8_t v = data[0];

	/*
	 * Linux writes WAK_STS (0x80) to the status register, then
	 * (SLP_TYP << 2) | SLP_EN to the control register (hwesleep.c), or the
	 * FADT reset value to the reset register: all three are this port.
	 */
	if (v == ACPI_RESET_VALUE)
		platform_request(opaque, PLATFORM_RESET, 0);
	else if ((v & ACPI_SLP_EN) && ACPI_SLP_TYP(v) == ACPI_SLP_TYP_S5)
		platform_request(opaque, PLATFORM_POWEROFF, 0);
}

int acpipm_register(struct bus *pio, uint16_t port, const struct platform_sink *sink)
{
	struct bus_dev dev = { .name = "acpi-pm", .base = port, .len = 1, .read = acpipm_read,
			       .write = acpipm_write, .opaque = (void *)sink };

	return bus_register(pio, &dev);
}
