// SPDX-License-Identifier: MIT
// Address-dispatched PIO and MMIO buses: vCPU exits are routed to device handlers.
#include <errno.h>
#include <string.h>

#include "base/bus.h"

int bus_register(struct bus *bus, const struct bus_dev *dev)
{
	uint64_t end;
	unsigned int pos;

	if (dev->len == 0 || __builtin_add_overflow(dev->base, dev->len - 1, &end))
		return -EINVAL;
	if (bus->nr_devs == BUS_MAX_DEVS)
		return -ENOSPC;
	for (pos = 0; pos < bus->nr_devs; pos++) {
		const struct bus_dev *d = &bus->devs[pos];

		if (dev->base <= d->base + (d->len - 1) && d->base <= end)
			return -EEXIST;
		if (d->base > dev->base)
			break;
	}
	memmove(&bus->devs[pos + 1], &bus->devs[pos], (bus->nr_devs - pos) * sizeof(*dev));
	bus->devs[pos] = *dev;
	bus->nr_devs++;
	return 0;
}

const struct bus_dev *bus_find(const struct bus *bus, uint64_t addr)
{
	unsigned int lo = 0, hi = bus->nr_devs;

	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;
		const struct bus_dev *d = &bus->devs[mid];

		if (addr < d->base)
			hi = mid;
		else if (addr - d->base >= d->len)
			lo = mid + 1;
		else
			return d;
	}
	return NULL;
}

/* The device claiming all of [addr, addr + size), or NULL. */
static const struct bus_dev *bus_claim(const struct bus *bus, uint64_t addr, unsigned int size)
{
	const struct bus_dev *d = bus_find(bus, addr);

	if (!d || size == 0 || size > 8 || d->len - (addr - d->base) < size)
		return NULL;
	return d;
}

bool bus_read(const struct bus *bus, uint64_t addr, uint8_t *data, unsigned int size)
{
	const struct bus_dev *d = bus_claim(bus, addr, size);

	if (!d || !d->read) {
		memset(data, bus->unclaimed_byte, size);
		return d != NULL;
	}
	d->read(d->opaque, addr - d->base, data, size);
	return true;
}

bool bus_write(const struct bus *bus, uint64_t addr, const uint8_t *data, unsigned int size)
{
	const struct bus_dev *d = bus_claim(bus, addr, size);

	if (!d || !d->write)
		return d != NULL;
	d->write(d->opaque, addr - d->base, data, size);
	return true;
}
