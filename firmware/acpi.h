// SPDX-License-Identifier: MIT
// ACPI tables for a hardware-reduced machine (RSDP, XSDT, FADT, MADT, DSDT), derived from the
// machine description and written into guest RAM.
#ifndef MINNOW_ACPI_H
#define MINNOW_ACPI_H

#include <stdint.h>

#include "base/gmem.h"

/*
 * The tables live in the reserved [0xe0000, 1 MiB) area of the e820 map, RSDP first, up to
 * the reset vector in its last 16 bytes (see acpi_build).
 */
#define ACPI_BASE     0xe0000ULL
#define ACPI_END      ACPI_RESET_VECTOR
#define ACPI_RESET_VECTOR 0xffff0ULL	/* F000:FFF0, where a reset CPU starts */
#define ACPI_MAX_TABLES 5

/* Values the ACPI PM port (MDESC_PM_PORT) accepts: FADT sleep control and reset value. */
#define ACPI_SLP_TYP_S5	 5
#define ACPI_SLP_EN	 0x20		/* ACPI 6.4 §4.8.3.7, sleep control register */
#define ACPI_SLP_TYP(v)	 (((v) >> 2) & 0x7)
#define ACPI_RESET_VALUE 0x01

struct acpi_table {
	char sig[5];	/* "RSDP", "XSDT", "FACP", "APIC", "DSDT" */
	uint64_t gpa;
	uint32_t len;
};

/*
 * Builds every table from the description into gm, and at ACPI_RESET_VECTOR real-mode code
 * that writes the FADT's reset value to its reset register. Linux takes that path on a
 * hardware-reduced ACPI machine booted without EFI: its default reboot method there is EFI,
 * which falls back to a jump to F000:FFF0 (arch/x86/kernel/reboot.c, BOOT_EFI then BOOT_BIOS),
 * so a reboot ends the run like the FADT and i8042 resets do. Returns how many tables
 * were written (their addresses in out, RSDP first) or -errno.
 */
int acpi_build(const void *mdesc, const struct gmem *gm, struct acpi_table *out,
	       unsigned int max) __must_check;

/* Sum of len bytes, for checksums (a valid table sums to 0 mod 256). */
uint8_t acpi_checksum(const uint8_t *p, size_t len);

#endif
