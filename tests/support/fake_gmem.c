// SPDX-License-Identifier: MIT
// Fake guest memory for unit tests: heap-backed regions with a hole between them.
#include <stdlib.h>
#include <string.h>

#include "tests/support/fake_gmem.h"

void fake_gmem_init(struct fake_gmem *f, uint64_t low, uint64_t hole_end, uint64_t high)
{
	struct gmem_region r[2];
	unsigned int nr = 1;

	memset(f, 0, sizeof(*f));
	f->low = calloc(1, low);
	r[0] = (struct gmem_region){ .gpa = 0, .size = low, .host = f->low };
	if (high) {
		f->high = calloc(1, high);
		r[1] = (struct gmem_region){ .gpa = hole_end, .size = high, .host = f->high };
		nr = 2;
	}
	if (!f->low || (high && !f->high) || gmem_init_regions(&f->gm, r, nr))
		abort();
}

void fake_gmem_destroy(struct fake_gmem *f)
{
	free(f->low);
	free(f->high);
	memset(f, 0, sizeof(*f));
}
