// SPDX-License-Identifier: MIT
// The guest's physical memory map (e820), shared by both boot paths.
#include <errno.h>

#include "firmware/e820.h"

int e820_build(const struct gmem *gm, struct e820_entry *out, unsigned int max)
{
	unsigned int n = 0;

	if (gmem_low_end(gm) <= E820_HIGH_START || max < 3 + gm->nr_regions - 1)
		return -EINVAL;
	/*
	 * The EBDA hole keeps the 5-level-paging trampoline of Linux's
	 * decompressor (which looks below 640 KiB) off the ACPI tables.
	 */
	out[n++] = (struct e820_entry){ 0, E820_EBDA_START, E820_RAM };
	out[n++] = (struct e820_entry){ E820_EBDA_START, E820_HIGH_START - E820_EBDA_START,
					E820_RESERVED };
	out[n++] = (struct e820_entry){ E820_HIGH_START, gmem_low_end(gm) - E820_HIGH_START,
					E820_RAM };
	for (unsigned int i = 1; i < gm->nr_regions; i++)
		out[n++] = (struct e820_entry){ gm->regions[i].gpa, gm->regions[i].size, E820_RAM };
	return n;
}
