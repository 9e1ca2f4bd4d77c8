// SPDX-License-Identifier: MIT
// Test ring builder: the driver's side of a split virtqueue, written straight into guest RAM.
#include <stdlib.h>
#include <string.h>
#include <linux/virtio_ring.h>

#include "tests/support/ring.h"

/* Host pointer for len bytes at gpa; a ring the test placed outside RAM is a test bug. */
static uint8_t *at(const struct gmem *gm, uint64_t gpa, uint64_t len)
{
	uint8_t *p = gmem_ptr(gm, GPA(gpa), len);

	if (!p)
		abort();
	return p;
}

/* Ring fields are little-endian (§2.7, virtio 1.x); so is every host we build for. */
static void put16(const struct gmem *gm, uint64_t gpa, uint16_t v)
{
	memcpy(at(gm, gpa, 2), &v, 2);
}

static uint16_t get16(const struct gmem *gm, uint64_t gpa)
{
	uint16_t v;

	memcpy(&v, at(gm, gpa, 2), 2);
	return v;
}

void ring_init(struct ring *r, const struct gmem *gm, uint16_t size, uint64_t desc,
	       uint64_t avail, uint64_t used)
{
	*r = (struct ring){ .gm = gm, .size = size, .desc = desc, .avail = avail, .used = used };
	uint64_t used_len = 6 + sizeof(struct vring_used_elem) * (uint64_t)size;

	/* §2.7: the descriptor table; flags, idx, ring, event for both areas. */
	memset(at(gm, desc, sizeof(struct vring_desc) * (uint64_t)size), 0,
	       sizeof(struct vring_desc) * (uint64_t)size);
	memset(at(gm, avail, 6 + 2ULL * size), 0, 6 + 2ULL * size);
	memset(at(gm, used, used_len), 0, used_len);
}

void ring_set_table_desc(const struct gmem *gm, uint64_t table, uint16_t i, uint64_t addr,
			 uint32_t len, uint16_t flags, uint16_t next)
{
	struct vring_desc d = { .addr = addr, .len = len, .flags = flags, .next = next };

	memcpy(at(gm, table + sizeof(d) * i, sizeof(d)), &d, sizeof(d));
}

void ring_set_desc(struct ring *r, uint16_t i, uint64_t addr, uint32_t len, uint16_t flags,
		   uint16_t next)
{
	if (i >= r->size)
		abort();
	ring_set_table_desc(r->gm, r->desc, i, addr, len, flags, next);
}

void ring_add_avail(struct ring *r, uint16_t head)
{
	uint16_t idx = ring_avail_idx(r);

	put16(r->gm, r->avail + 4 + 2ULL * (idx % r->size), head);
	ring_set_avail_idx(r, idx + 1);
}

void ring_set_avail_idx(struct ring *r, uint16_t idx)
{
	put16(r->gm, r->avail + 2, idx);
}

void ring_set_avail_flags(struct ring *r, uint16_t flags)
{
	put16(r->gm, r->avail, flags);
}

void ring_set_used_event(struct ring *r, uint16_t v)
{
	put16(r->gm, r->avail + 4 + 2ULL * r->size, v);
}

uint16_t ring_avail_idx(const struct ring *r)
{
	return get16(r->gm, r->avail + 2);
}

void ring_used(const struct ring *r, uint16_t k, uint32_t *id, uint32_t *len)
{
	struct vring_used_elem e;

	memcpy(&e, at(r->gm, r->used + 4 + sizeof(e) * (k % r->size), sizeof(e)), sizeof(e));
	*id = e.id;
	*len = e.len;
}

uint16_t ring_used_idx(const struct ring *r)
{
	return get16(r->gm, r->used + 2);
}

uint16_t ring_used_flags(const struct ring *r)
{
	return get16(r->gm, r->used);
}

uint16_t ring_avail_event(const struct ring *r)
{
	return get16(r->gm, r->used + 4 + sizeof(struct vring_used_elem) * r->size);
}

void ring_set_used_idx(struct ring *r, uint16_t idx)
{
	put16(r->gm, r->used + 2, idx);
}

void ring_set_used_flags(struct ring *r, uint16_t flags)
{
	put16(r->gm, r->used, flags);
}

void ring_big_gmem(struct gmem *gm, uint64_t size)
{
	const struct gmem_region layout[1] = { { 0, size, NULL } };

	if (gmem_init(gm, layout, 1))
		abort();
}
