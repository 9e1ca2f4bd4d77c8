// SPDX-License-Identifier: MIT
// Probe guest: the virtio-hostile mode's chain and ring cases, on a live queue.
#include "hostile_chain.h"
#include "hostile_ring.h"

#define OUTSIDE_RAM   0x40000000000ull /* 4 TiB: beyond any guest's RAM here */
#define WRAP_ADDR     0xffffffffffffff00ull
#define KICK_STORM    10000
#define STORM_MAX_US  5000000
#define BIG_DESC_ADDR 0x1000000ull /* 16 MiB: above the probe */
#define BIG_DESC_LEN  0x90000000u  /* two of these exceed 2^32 - 1 bytes */

/* ---- chain cases: the queue is live; the chain comes back with length 0 ---- */

static bool bad_then_good(struct hctx *h)
{
	return h_chain(h, HQ_BAD_HEAD, 0) && h_good(h);
}

static bool case_desc_loop_self(struct hctx *h)
{
	h_desc_set(&h_ring.desc[3], BUF(0), 64, W | N, 3);
	return bad_then_good(h);
}

static bool case_desc_loop_two(struct hctx *h)
{
	h_desc_set(&h_ring.desc[3], BUF(0), 32, W | N, 5);
	h_desc_set(&h_ring.desc[5], BUF(32), 32, W | N, 3);
	return bad_then_good(h);
}

/* All HQ_NUM descriptors from head 3 around the table; last: NEXT back to 3 or none. */
static void desc_ring_chain(bool loop)
{
	for (unsigned int k = 0; k < HQ_NUM; k++) {
		uint16_t i = (HQ_BAD_HEAD + k) % HQ_NUM;
		bool last = k == HQ_NUM - 1;

		h_desc_set(&h_ring.desc[i], BUF(8 * k), 8, (uint16_t)(W | (!last || loop ? N : 0)),
			   (uint16_t)((i + 1) % HQ_NUM));
	}
}

/* Queue size + 1 descriptors: the whole table, then head again. */
static bool case_chain_too_long(struct hctx *h)
{
	desc_ring_chain(true);
	return bad_then_good(h);
}

/* Exactly queue size descriptors: allowed, served in full. */
static bool case_chain_full(struct hctx *h)
{
	desc_ring_chain(false);
	return h_chain(h, HQ_BAD_HEAD, 8 * HQ_NUM) && h_good(h);
}

static bool case_next_out_of_range(struct hctx *h)
{
	h_desc_set(&h_ring.desc[3], BUF(0), 64, W | N, HQ_NUM);
	return bad_then_good(h);
}

static bool case_addr_outside_ram(struct hctx *h)
{
	h_desc_set(&h_ring.desc[3], OUTSIDE_RAM, 64, W, 0);
	return bad_then_good(h);
}

static bool case_addr_wraps(struct hctx *h)
{
	h_desc_set(&h_ring.desc[3], WRAP_ADDR, 512, W, 0);
	return bad_then_good(h);
}

static bool case_addr_straddles_ram_end(struct hctx *h)
{
	h_desc_set(&h_ring.desc[3], h->ram_top - 32, 64, W, 0);
	return bad_then_good(h);
}

/* A buffer in the device's own register window. */
static bool case_addr_in_mmio(struct hctx *h)
{
	h_desc_set(&h_ring.desc[3], h->dev.loc.base, 64, W, 0);
	return bad_then_good(h);
}

/* A writable buffer over the descriptor table itself: legal RAM, filled, the device unharmed. */
static bool case_addr_in_ring(struct hctx *h)
{
	h_desc_set(&h_ring.desc[3], (uintptr_t)h_ring.desc, sizeof(h_ring.desc), W, 0);
	return h_chain(h, HQ_BAD_HEAD, sizeof(h_ring.desc)) && h_good(h);
}

/* One descriptor of length 0 (at address 0): nothing to fill, served with 0 bytes. */
static bool case_len_zero_only(struct hctx *h)
{
	h_desc_set(&h_ring.desc[3], 0, 0, W, 0);
	return bad_then_good(h);
}

/* §5.4.6.1: an entropy request with only a device-readable buffer: 0 bytes back. */
static bool case_readonly_buffer(struct hctx *h)
{
	h_desc_set(&h_ring.desc[3], BUF(0), 64, 0, 0);
	return bad_then_good(h);
}

/* Readable then writable: the allowed order; only the writable part is filled. */
static bool case_read_then_write(struct hctx *h)
{
	h_desc_set(&h_ring.desc[3], BUF(0), 32, N, 5);
	h_desc_set(&h_ring.desc[5], BUF(32), 32, W, 0);
	return h_chain(h, HQ_BAD_HEAD, 32) && h_good(h);
}

/* §2.7.4.2: a readable descriptor after a writable one. */
static bool case_write_before_read(struct hctx *h)
{
	h_desc_set(&h_ring.desc[3], BUF(0), 32, W | N, 5);
	h_desc_set(&h_ring.desc[5], BUF(32), 32, 0, 0);
	return bad_then_good(h);
}

/* §2.7.5.3.1: an indirect descriptor without VIRTIO_F_INDIRECT_DESC. */
static bool case_indirect_not_negotiated(struct hctx *h)
{
	h_desc_set(&h_ring.table[0][0], BUF(0), 64, W, 0);
	h_desc_set(&h_ring.desc[3], TABLE(0), 16, I, 0);
	return bad_then_good(h);
}

static bool case_indirect_nested(struct hctx *h)
{
	h_desc_set(&h_ring.table[1][0], BUF(0), 64, W, 0);
	h_desc_set(&h_ring.table[0][0], TABLE(1), 16, I, 0);
	h_desc_set(&h_ring.desc[3], TABLE(0), 16, I, 0);
	return bad_then_good(h);
}

static bool case_indirect_with_next(struct hctx *h)
{
	h_desc_set(&h_ring.table[0][0], BUF(0), 64, W, 0);
	h_desc_set(&h_ring.desc[3], TABLE(0), 16, I | N, 5);
	h_desc_set(&h_ring.desc[5], BUF(64), 64, W, 0);
	return bad_then_good(h);
}

/* Table lengths 0, 17 (not a multiple of 16) and queue size + 1 entries: three chains. */
static bool case_indirect_bad_len(struct hctx *h)
{
	static const uint32_t lens[] = {0, 17, 16 * (HQ_NUM + 1)};

	for (unsigned int k = 0; k < HQ_TABLE_LEN; k++)
		h_desc_set(&h_ring.table[0][k], BUF(8 * k), 8, W, 0);
	for (unsigned int i = 0; i < ARRAY_SIZE(lens); i++) {
		h_desc_set(&h_ring.desc[3 + i], TABLE(0), lens[i], I, 0);
		h_avail_put(h, (uint16_t)(3 + i));
	}
	h_avail_publish(h);
	h_kick(h);
	if (!h_used_wait(h, ARRAY_SIZE(lens)))
		return false;
	for (unsigned int i = 0; i < ARRAY_SIZE(lens); i++) {
		if (!h_used_take(h, (uint16_t)(3 + i), 0))
			return false;
	}
	hl_fact(&h->log, "chains", ARRAY_SIZE(lens));
	return h_good(h);
}

static bool case_indirect_loop(struct hctx *h)
{
	h_desc_set(&h_ring.table[0][0], BUF(0), 32, W | N, 1);
	h_desc_set(&h_ring.table[0][1], BUF(32), 32, W | N, 0);
	h_desc_set(&h_ring.desc[3], TABLE(0), 32, I, 0);
	return bad_then_good(h);
}

static bool case_indirect_next_out_of_range(struct hctx *h)
{
	h_desc_set(&h_ring.table[0][0], BUF(0), 32, W | N, 2);
	h_desc_set(&h_ring.table[0][1], BUF(32), 32, W, 0);
	h_desc_set(&h_ring.desc[3], TABLE(0), 32, I, 0);
	return bad_then_good(h);
}

static bool case_indirect_addr_outside_ram(struct hctx *h)
{
	h_desc_set(&h_ring.desc[3], OUTSIDE_RAM, 16, I, 0);
	return bad_then_good(h);
}

/* A table of queue size entries: allowed, served in full. */
static bool case_indirect_full(struct hctx *h)
{
	for (unsigned int k = 0; k < HQ_NUM; k++)
		h_desc_set(&h_ring.table[0][k], BUF(8 * k), 8,
			   (uint16_t)(W | (k + 1 < HQ_NUM ? N : 0)),
			   (uint16_t)(k + 1 < HQ_NUM ? k + 1 : 0));
	h_desc_set(&h_ring.desc[3], TABLE(0), 16 * HQ_NUM, I, 0);
	return h_chain(h, HQ_BAD_HEAD, 8 * HQ_NUM) && h_good(h);
}

/* §2.7.5.3.2: the device ignores WRITE on a descriptor that points to a table. */
static bool case_indirect_write_flag(struct hctx *h)
{
	h_desc_set(&h_ring.table[0][0], BUF(0), 64, W, 0);
	h_desc_set(&h_ring.desc[3], TABLE(0), 16, I | W, 0);
	return h_chain(h, HQ_BAD_HEAD, 64) && h_good(h);
}

/* Two readable descriptors of BIG_DESC_LEN over the same RAM: more than 2^32 - 1 bytes. */
static bool case_total_over_4g(struct hctx *h)
{
	bool room = false;

	for (uint32_t i = 0; i < h->nmap; i++) {
		const struct hvm_memmap_entry *e = &h->map[i];

		if (e->type == HVM_MEMMAP_TYPE_RAM && e->addr <= BIG_DESC_ADDR &&
		    e->addr + e->size >= BIG_DESC_ADDR + BIG_DESC_LEN)
			room = true;
	}
	if (!room)
		return hl_fail(&h->log, "needs 2.5 GiB of RAM below 4 GiB (minnow -m 3G)");
	h_desc_set(&h_ring.desc[3], BIG_DESC_ADDR, BIG_DESC_LEN, N, 5);
	h_desc_set(&h_ring.desc[5], BIG_DESC_ADDR, BIG_DESC_LEN, 0, 0);
	return bad_then_good(h);
}

/* The driver scribbles over the used ring; the device keeps its own cursor. */
static bool case_used_idx_scribble(struct hctx *h)
{
	volatile struct virtq_used *u = &h_ring.used;

	if (!h_good(h))
		return false;
	u->idx = 0x1234;
	u->flags = 0xffff;
	u->ring[0].id = 0xffffffff;
	u->ring[0].len = 0xffffffff;
	u->ring[1].id = 0xdead;
	u->ring[1].len = 0xbeef;
	hl_full_barrier();
	/* The next entries land in slots 1 and 2, and used->idx says 2, then 3. */
	return h_good(h) && h_good(h);
}

/*
 * §2.7.13: the same head twice in the available ring. The rng device serves a
 * request before it takes the next, so the head is free again: served twice.
 */
static bool case_duplicate_head(struct hctx *h)
{
	h_desc_set(&h_ring.desc[3], BUF(0), 64, W, 0);
	h_avail_put(h, HQ_BAD_HEAD);
	h_avail_put(h, HQ_BAD_HEAD);
	h_avail_publish(h);
	h_kick(h);
	if (!h_used_wait(h, 2) || !h_used_take(h, HQ_BAD_HEAD, 64) ||
	    !h_used_take(h, HQ_BAD_HEAD, 64))
		return false;
	return h_good(h);
}

/* EVENT_IDX with used_event and avail_event poisoned: requests are still served. */
static bool case_event_idx_poison(struct hctx *h)
{
	volatile uint16_t *used_event = &h_ring.avail.ring[HQ_NUM];
	volatile uint16_t *avail_event = (volatile uint16_t *)&h_ring.used.ring[HQ_NUM];
	static const uint16_t vals[] = {0xffff, 0, 0x7fff, 0x8001};

	if (!(h->dev.negotiated & F_EVENT))
		return hl_fail(&h->log, "VIRTIO_F_EVENT_IDX not negotiated");
	for (unsigned int i = 0; i < ARRAY_SIZE(vals); i++) {
		*used_event = vals[i];
		*avail_event = vals[i];
		hl_full_barrier();
		if (!h_good(h))
			return false;
	}
	return true;
}

/* HQ_NUM chains of 8 bytes on descriptors 0..HQ_NUM-1, made available with one kick. */
static bool ring_batch(struct hctx *h)
{
	for (uint16_t i = 0; i < HQ_NUM; i++) {
		h_desc_set(&h_ring.desc[i], BUF(8 * i), 8, W, 0);
		h_avail_put(h, i);
	}
	h_avail_publish(h);
	h_kick(h);
	if (!h_used_wait(h, HQ_NUM))
		return false;
	for (uint16_t i = 0; i < HQ_NUM; i++) {
		if (!h_used_take(h, i, 8))
			return false;
	}
	return true;
}

/* §2.7.13.3: exactly queue size chains available at once is allowed. */
static bool case_ring_full(struct hctx *h)
{
	return ring_batch(h) && h_good(h);
}

/* avail->idx and used->idx wrap at 2^16: the device's cursors follow. */
static bool case_idx_wrap(struct hctx *h)
{
	for (uint32_t n = 0; n < 0x10000 / HQ_NUM + 1; n++) {
		if (!ring_batch(h)) {
			hl_fact(&h->log, "batch", n);
			return false;
		}
	}
	hl_fact(&h->log, "avail_idx", h->avail_idx);
	return h_good(h);
}

/* ---- ring cases: the device must stop and ask for a reset ---- */

static bool case_avail_idx_jump(struct hctx *h)
{
	uint32_t irqs;

	if (!h_good(h))
		return false;
	irqs = probe_virtio_irq_count;
	h->avail_idx = (uint16_t)(h->avail_idx + HQ_NUM + 1);
	h_avail_publish(h);
	h_kick(h);
	return h_expect_needs_reset(h, irqs);
}

static bool case_avail_idx_backwards(struct hctx *h)
{
	uint32_t irqs;

	if (!h_good(h))
		return false;
	irqs = probe_virtio_irq_count;
	h->avail_idx--;
	h_avail_publish(h);
	h_kick(h);
	return h_expect_needs_reset(h, irqs);
}

static bool case_head_out_of_range(struct hctx *h)
{
	uint32_t irqs;

	if (!h_good(h))
		return false;
	irqs = probe_virtio_irq_count;
	h_avail_put(h, HQ_NUM + 3);
	h_avail_publish(h);
	h_kick(h);
	return h_expect_needs_reset(h, irqs);
}

/*
 * For --virtio-strict=reset: a looping chain comes back with length 0, and
 * then the device asks for a reset as for a corrupt ring, and serves again
 * after one.
 */
static bool case_strict_reset_loop(struct hctx *h)
{
	uint32_t irqs = probe_virtio_irq_count;

	h_desc_set(&h_ring.desc[3], BUF(0), 64, W | N, 3);
	return h_chain(h, HQ_BAD_HEAD, 0) && h_expect_needs_reset(h, irqs);
}

/* Many kicks with nothing new: absorbed by the ioeventfd, bounded time, device fine. */
static bool case_kick_storm(struct hctx *h)
{
	uint64_t start, us;

	if (!h_good(h))
		return false;
	start = rdtsc();
	for (unsigned int i = 0; i < KICK_STORM; i++)
		h_kick(h);
	us = hl_us_since(start);
	hl_fact(&h->log, "kicks", KICK_STORM);
	hl_fact(&h->log, "storm_us", us);
	if (us > STORM_MAX_US)
		return hl_fail(&h->log, "the kick storm took too long");
	return h_quiet(h) && h_good(h);
}

const struct hcase h_chain_cases[] = {
	{"desc_loop_self", case_desc_loop_self, true, F_INDIRECT},
	{"desc_loop_two", case_desc_loop_two, true, F_INDIRECT},
	{"chain_too_long", case_chain_too_long, true, F_INDIRECT},
	{"chain_full", case_chain_full, true, F_INDIRECT},
	{"next_out_of_range", case_next_out_of_range, true, F_INDIRECT},
	{"addr_outside_ram", case_addr_outside_ram, true, F_INDIRECT},
	{"addr_wraps", case_addr_wraps, true, F_INDIRECT},
	{"addr_straddles_ram_end", case_addr_straddles_ram_end, true, F_INDIRECT},
	{"addr_in_mmio", case_addr_in_mmio, true, F_INDIRECT},
	{"addr_in_ring", case_addr_in_ring, true, F_INDIRECT},
	{"len_zero_only", case_len_zero_only, true, F_INDIRECT},
	{"readonly_buffer", case_readonly_buffer, true, F_INDIRECT},
	{"read_then_write", case_read_then_write, true, F_INDIRECT},
	{"write_before_read", case_write_before_read, true, F_INDIRECT},
	{"indirect_not_negotiated", case_indirect_not_negotiated, true, 0},
	{"indirect_nested", case_indirect_nested, true, F_INDIRECT},
	{"indirect_with_next", case_indirect_with_next, true, F_INDIRECT},
	{"indirect_bad_len", case_indirect_bad_len, true, F_INDIRECT},
	{"indirect_loop", case_indirect_loop, true, F_INDIRECT},
	{"indirect_next_out_of_range", case_indirect_next_out_of_range, true, F_INDIRECT},
	{"indirect_addr_outside_ram", case_indirect_addr_outside_ram, true, F_INDIRECT},
	{"indirect_full", case_indirect_full, true, F_INDIRECT},
	{"indirect_write_flag", case_indirect_write_flag, true, F_INDIRECT},
	{"total_over_4g", case_total_over_4g, true, F_INDIRECT},
	{"used_idx_scribble", case_used_idx_scribble, true, F_INDIRECT},
	{"duplicate_head", case_duplicate_head, true, F_INDIRECT},
	{"event_idx_poison", case_event_idx_poison, true, F_INDIRECT | F_EVENT},
	{"ring_full", case_ring_full, true, F_INDIRECT},
	{"idx_wrap", case_idx_wrap, true, F_INDIRECT},
	{"avail_idx_jump", case_avail_idx_jump, true, F_INDIRECT},
	{"avail_idx_backwards", case_avail_idx_backwards, true, F_INDIRECT},
	{"head_out_of_range", case_head_out_of_range, true, F_INDIRECT},
	{"kick_storm", case_kick_storm, true, F_INDIRECT},
	{"strict_reset_loop", case_strict_reset_loop, true, F_INDIRECT},
	{NULL, NULL, false, 0},
};
