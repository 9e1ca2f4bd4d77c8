// SPDX-License-Identifier: MIT
// The guest's physical memory map (e820), derived from the machine description's memory nodes.
#ifndef MINNOW_E820_H
#define MINNOW_E820_H

#include <stdint.h>

#include "base/compiler.h"

enum e820_type { E820_RAM = 1, E820_RESERVED = 2, E820_ACPI = 3 };

struct e820_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
};

/* Conventional memory ends here; [E820_EBDA_START, 1 MiB) is reserved (EBDA, ACPI, BIOS area). */
#define E820_EBDA_START 0x9fc00ULL
#define E820_HIGH_START 0x100000ULL
#define E820_MAX	8

/*
 * The map for the tree's RAM: the range at 0 becomes [0, EBDA) RAM,
 * [EBDA, 1 MiB) reserved and [1 MiB, end) RAM; other ranges stay RAM.
 * Returns the number of entries, or -EINVAL when RAM at 0 does not reach past
 * 1 MiB, the tree is malformed, or max is too small.
 */
int e820_build(const void *mdesc, struct e820_entry *out, unsigned int max) __must_check;

#endif
