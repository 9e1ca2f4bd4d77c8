// SPDX-License-Identifier: MIT
// Test ring builder: the driver's side of a split virtqueue, written straight into guest RAM.
#ifndef MINNOW_TEST_RING_H
#define MINNOW_TEST_RING_H

#include <stdint.h>

#include "base/gmem.h"

/*
 * A split ring laid out at fixed guest-physical addresses (virtio 1.2 §2.7).
 * Every accessor goes through gmem_ptr and aborts when the bytes are not RAM,
 * so a test that mislays its ring fails loudly instead of passing by luck.
 * Nothing is cached: the guest memory is the only state, and a test may
 * scribble on it between calls.
 */
struct ring {
	const struct gmem *gm;
	uint16_t size;
	uint64_t desc, avail, used;
};

/* Zeroes the three rings of a size-entry queue at desc, avail and used. */
void ring_init(struct ring *r, const struct gmem *gm, uint16_t size, uint64_t desc,
	       uint64_t avail, uint64_t used);

/* Descriptor i of the ring's table, or entry i of an indirect table at gpa table. */
void ring_set_desc(struct ring *r, uint16_t i, uint64_t addr, uint32_t len, uint16_t flags,
		   uint16_t next);
void ring_set_table_desc(const struct gmem *gm, uint64_t table, uint16_t i, uint64_t addr,
			 uint32_t len, uint16_t flags, uint16_t next);

/* Writes head to avail.ring[avail.idx % size], then bumps avail.idx (what a driver does). */
void ring_add_avail(struct ring *r, uint16_t head);

/* Raw driver-area fields. */
void ring_set_avail_idx(struct ring *r, uint16_t idx);
void ring_set_avail_flags(struct ring *r, uint16_t flags);
void ring_set_used_event(struct ring *r, uint16_t v);
uint16_t ring_avail_idx(const struct ring *r);

/* The device area, as the driver would read it; slot k is taken modulo size. */
void ring_used(const struct ring *r, uint16_t k, uint32_t *id, uint32_t *len);
uint16_t ring_used_idx(const struct ring *r);
uint16_t ring_used_flags(const struct ring *r);
uint16_t ring_avail_event(const struct ring *r);
/* A misbehaving driver writing into the device area. */
void ring_set_used_idx(struct ring *r, uint16_t idx);
void ring_set_used_flags(struct ring *r, uint16_t flags);

/*
 * Guest RAM of one region [0, size) backed by MAP_NORESERVE memory (gmem_init),
 * for chains whose lengths add up past 4 GiB: only touched pages are committed.
 * Aborts on failure; release with gmem_destroy.
 */
void ring_big_gmem(struct gmem *gm, uint64_t size);

#endif
