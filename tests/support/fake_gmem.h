// SPDX-License-Identifier: MIT
// Fake guest memory for unit tests: heap-backed regions with a hole between them.
#ifndef MINNOW_FAKE_GMEM_H
#define MINNOW_FAKE_GMEM_H

#include "base/gmem.h"

/* Low RAM [0, low) and, when high > 0, [hole_end, hole_end + high). */
struct fake_gmem {
	struct gmem gm;
	uint8_t *low;
	uint8_t *high;
};

void fake_gmem_init(struct fake_gmem *f, uint64_t low, uint64_t hole_end, uint64_t high);
void fake_gmem_destroy(struct fake_gmem *f);

#endif
