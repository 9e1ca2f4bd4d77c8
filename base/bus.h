// SPDX-License-Identifier: MIT
// Address-dispatched PIO and MMIO buses: vCPU exits are routed to device handlers.
#ifndef MINNOW_BUS_H
#define MINNOW_BUS_H

#include <stdbool.h>
#include <stdint.h>

#include "base/compiler.h"

/*
 * A device window. Handlers get the offset into the window and an access of
 * 1, 2, 4 or 8 bytes in little-endian order; they run on the vCPU thread that
 * exited and do their own locking.
 */
struct bus_dev {
	const char *name;
	uint64_t base;
	uint64_t len;
	void (*read)(void *opaque, uint64_t offset, uint8_t *data, unsigned int size);
	void (*write)(void *opaque, uint64_t offset, const uint8_t *data, unsigned int size);
	void *opaque;
};

#define BUS_MAX_DEVS 32

/*
 * Windows sorted by base, not overlapping. Filled before the first vCPU runs
 * and read-only afterwards, so lookups take no lock.
 */
struct bus {
	const char *name;
	struct bus_dev devs[BUS_MAX_DEVS];
	unsigned int nr_devs;
	/* Value returned by reads of unclaimed addresses, per byte. */
	uint8_t unclaimed_byte;
};

/* Adds a window; -EEXIST when it overlaps another, -ENOSPC when full, -EINVAL when empty. */
int bus_register(struct bus *bus, const struct bus_dev *dev) __must_check;
/* The device claiming addr, or NULL. */
const struct bus_dev *bus_find(const struct bus *bus, uint64_t addr);
/* Dispatch an access; returns false when no device claims the whole access. */
bool bus_read(const struct bus *bus, uint64_t addr, uint8_t *data, unsigned int size);
bool bus_write(const struct bus *bus, uint64_t addr, const uint8_t *data, unsigned int size);

#endif
