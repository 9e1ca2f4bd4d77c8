// SPDX-License-Identifier: MIT
// Guest memory: the one place that turns a guest-physical address into a host pointer.
#ifndef MINNOW_GMEM_H
#define MINNOW_GMEM_H

#include <stddef.h>
#include <stdint.h>

#include "base/compiler.h"

/* A guest-physical address; a struct so it cannot be mixed with host pointers or sizes. */
typedef struct {
	uint64_t v;
} gpa_t;

#define GPA(x) ((gpa_t){ .v = (x) })

#define GMEM_MAX_REGIONS 4

struct gmem_region {
	uint64_t gpa;
	uint64_t size;
	uint8_t *host;
};

/*
 * Guest RAM: regions sorted by address, not overlapping. Set up before any
 * vCPU or I/O thread starts and never changed afterwards, so every thread
 * reads it without a lock.
 */
struct gmem {
	struct gmem_region regions[GMEM_MAX_REGIONS];
	unsigned int nr_regions;
	int memfd;
	void *mapping;
	size_t mapping_size;
};

/*
 * Allocates guest RAM for the regions of layout (their host fields are
 * ignored) as one memfd mapping, in order. Returns 0 or -errno.
 */
int gmem_init(struct gmem *gm, const struct gmem_region *layout, unsigned int nr) __must_check;
/* Describes caller-owned host memory as guest RAM (unit tests; no memfd). */
int gmem_init_regions(struct gmem *gm, const struct gmem_region *regions,
		      unsigned int nr) __must_check;
void gmem_destroy(struct gmem *gm);

/*
 * The host pointer for [gpa, gpa + len) when that range lies entirely inside
 * one region; NULL otherwise, and for len == 0. Overflow-safe.
 */
void *gmem_ptr(const struct gmem *gm, gpa_t gpa, uint64_t len) __must_check;

/* Copies between guest RAM and host memory; -EFAULT when the range is not RAM. */
int gmem_read(const struct gmem *gm, void *dst, gpa_t gpa, uint64_t len) __must_check;
int gmem_write(const struct gmem *gm, gpa_t gpa, const void *src, uint64_t len) __must_check;

/* Total bytes of RAM, and the end of the RAM region that starts at address 0. */
uint64_t gmem_size(const struct gmem *gm);
uint64_t gmem_low_end(const struct gmem *gm);

#endif
