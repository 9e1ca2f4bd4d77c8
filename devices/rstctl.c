// SPDX-License-Identifier: MIT
// The reset control register: reads give back the SYS_RST and FULL_RST bits last written; a
// write with RST_CPU set resets the machine (Linux writes cf9 | 2, then cf9 | 6 or cf9 | 14).
#include <stdatomic.h>
#include <string.h>

#include "devices/rstctl.h"

/* One register for the one machine; vCPU threads may race, and any value is a valid one. */
static _Atomic uint8_t rstctl_value;

static void rstctl_read(void *opaque __unused, uint64_t off __unused, uint8_t *data,
			unsigned int size)
{
	memset(data, 0, size);
	data[0] = atomic_load(&rstctl_value);
}

static void rstctl_write(void *opaque, uint64_t off __unused, const uint8_t *data,
			 unsigned int size __unused)
{
	atomic_store(&rstctl_value, data[0] & (RSTCTL_SYS_RST | RSTCTL_FULL_RST));
	if (data[0] & RSTCTL_RST_CPU)
		machine_request_exit(opaque, MACHINE_EXIT_RESET, 0);
}

int rstctl_register(struct machine *m)
{
	struct bus_dev dev = { .name = "reset-control", .base = RSTCTL_PORT, .len = 1,
			       .read = rstctl_read, .write = rstctl_write, .opaque = m };

	atomic_store(&rstctl_value, 0);
	return bus_register(&m->pio, &dev);
}
