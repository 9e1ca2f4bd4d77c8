// SPDX-License-Identifier: MIT
// Finds the FADT's power registers the way Linux does: RSDP -> XSDT -> FACP.
#ifndef PROBE_ACPI_H
#define PROBE_ACPI_H

#include "lib.h"

struct acpi_power {
	uint16_t sleep_control_port;	/* FADT SLEEP_CONTROL_REG, I/O space */
	uint16_t sleep_status_port;	/* FADT SLEEP_STATUS_REG */
	uint16_t reset_port;		/* FADT RESET_REG */
	uint8_t reset_value;
};

/* 0, or a static reason string when the tables are absent or not as expected. */
const char *acpi_find_power(uint64_t rsdp, struct acpi_power *out);

#endif
