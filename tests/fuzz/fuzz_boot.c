// SPDX-License-Identifier: MIT
// libFuzzer target: the kernel loaders (bzImage and PVH ELF) on arbitrary files.
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "firmware/loader.h"
#include "tests/support/fake_gmem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fake_gmem f;
	static bool ready;
	/* The first 64 bytes of the input become the initrd, the rest the kernel. */
	size_t rd = size > 64 ? 64 : 0;
	struct boot_args args = {
		.kernel = { data + rd, size - rd },
		.initrd = { data, rd },
		.cmdline = "console=ttyS0",
		.e820 = (const struct e820_entry[]){ { 0, 0x9fc00, E820_RAM },
						     { 0x100000, 23 * MiB, E820_RAM } },
		.nr_e820 = 2,
	};
	struct boot_entry entry;
	char err[512];

	if (!ready) {
		/* Low RAM with a hole after it, so segments can straddle into nothing. */
		fake_gmem_init(&f, 24 * MiB, 4 * GiB, 4 * MiB);
		ready = true;
	}
	if (boot_load(&f.gm, &args, &entry, err, sizeof(err)) == 0) {
		/* What a successful load promises: an entry inside RAM. */
		if (!gmem_ptr(&f.gm, GPA(entry.rip), 1))
			abort();
	}
	return 0;
}
