// SPDX-License-Identifier: MIT
// The guest's physical memory map (e820), derived from the machine description's memory nodes.
#include <errno.h>

#include "firmware/e820.h"
#include "firmware/mdesc.h"

int e820_build(const void *mdesc, struct e820_entry *out, unsigned int max)
{
	struct mdesc_ram ram[MDESC_MAX_RAM];
	int nr = mdesc_ram(mdesc, ram, MDESC_MAX_RAM);
	unsigned int n = 0;

	if (nr <= 0)
		return -EINVAL;
	for (int i = 0; i < nr; i++) {
		if (n + 3 > max)
			return -EINVAL;
		if (ram[i].addr != 0) {
			out[n++] = (struct e820_entry){ ram[i].addr, ram[i].size, E820_RAM };
			continue;
		}
		if (ram[i].size <= E820_HIGH_START)
			return -EINVAL;
		/*
		 * The EBDA hole keeps the 5-level-paging trampoline of Linux's
		 * decompressor (which looks below 640 KiB) off the ACPI tables.
		 */
		out[n++] = (struct e820_entry){ 0, E820_EBDA_START, E820_RAM };
		out[n++] = (struct e820_entry){ E820_EBDA_START, E820_HIGH_START - E820_EBDA_START,
						E820_RESERVED };
		out[n++] = (struct e820_entry){ E820_HIGH_START, ram[i].size - E820_HIGH_START,
						E820_RAM };
	}
	return n;
}
