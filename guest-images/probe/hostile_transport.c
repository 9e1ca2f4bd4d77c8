// SPDX-License-Identifier: MIT
// Probe guest: the virtio-hostile mode's transport cases: registers, status, features, queue setup.
#include "hostile_transport.h"
#include "hostile_ring.h"

#define BAD_NOTIFIES	1000
#define RESET_CYCLES	50
#define STATUS_RESERVED 0x10 /* §2.1: bit 4 is not defined */

/* §4.2.2: QueueSel naming no queue: QueueNumMax 0, the rest read 0 and writes go nowhere. */
static bool case_queue_sel_oob(struct hctx *h)
{
	static const uint32_t sels[] = {1, 5, 8, 0x10000, 0xffffffff};
	uint32_t bad = 0;

	if (!h_negotiate(h))
		return false;
	for (unsigned int i = 0; i < ARRAY_SIZE(sels); i++) {
		hl_w32(&h->dev, VIRTIO_MMIO_QUEUE_SEL, sels[i]);
		if (hl_r32(&h->dev, VIRTIO_MMIO_QUEUE_NUM_MAX)) {
			hl_fact(&h->log, "queue_sel", sels[i]);
			return hl_fail(&h->log,
				       "QueueNumMax not 0 for a queue that does not exist");
		}
	}
	/* Counted by the device: 2 reads, 8 writes, 1 read (QueueNumMax is not an error). */
	hl_w32(&h->dev, VIRTIO_MMIO_QUEUE_SEL, 5);
	if (hl_r32(&h->dev, VIRTIO_MMIO_QUEUE_READY))
		return hl_fail(&h->log, "QueueReady not 0 with QueueSel 5");
	if (hl_r32(&h->dev, VIRTIO_MMIO_QUEUE_NUM))
		return hl_fail(&h->log, "QueueNum not 0 with QueueSel 5");
	hl_w32(&h->dev, VIRTIO_MMIO_QUEUE_NUM, HQ_NUM);
	h_queue_good_addrs(h);
	hl_w32(&h->dev, VIRTIO_MMIO_QUEUE_READY, 1);
	bad = 2 + 8 + 1;
	if (hl_r32(&h->dev, VIRTIO_MMIO_QUEUE_READY))
		return hl_fail(&h->log, "QueueSel 5 became ready");
	hl_fact(&h->log, "queue_sel_accesses", bad);
	/* Nothing of it may have landed on queue 0. */
	hl_w32(&h->dev, VIRTIO_MMIO_QUEUE_SEL, 0);
	if (hl_r32(&h->dev, VIRTIO_MMIO_QUEUE_READY) || hl_r32(&h->dev, VIRTIO_MMIO_QUEUE_NUM) ||
	    hl_r32(&h->dev, VIRTIO_MMIO_QUEUE_DESC_LOW) ||
	    hl_r32(&h->dev, VIRTIO_MMIO_QUEUE_DRIVER_LOW) ||
	    hl_r32(&h->dev, VIRTIO_MMIO_QUEUE_DEVICE_LOW))
		return hl_fail(&h->log, "writes with QueueSel 5 reached queue 0");
	if (!h_queue(h))
		return false;
	h_live(h);
	return h_good(h);
}

/* QueueNotify with indexes of no queue, after DRIVER_OK: ignored. */
static bool case_notify_bad_index(struct hctx *h)
{
	static const uint32_t vals[] = {1, 7, 8, 0x10000, 0xffffffff};

	if (!h_good(h))
		return false;
	for (unsigned int i = 0; i < BAD_NOTIFIES; i++)
		hl_w32(&h->dev, VIRTIO_MMIO_QUEUE_NOTIFY, vals[i % ARRAY_SIZE(vals)]);
	hl_fact(&h->log, "notifies", BAD_NOTIFIES);
	return h_quiet(h) && h_good(h);
}

/* Kicks after reset, before a queue, with a queue and a chain but before DRIVER_OK. */
static bool case_notify_before_driver_ok(struct hctx *h)
{
	if (!virtio_reset(&h->dev))
		return hl_fail(&h->log, "device did not reset");
	h_kick(h);
	if (!h_negotiate(h))
		return false;
	h_kick(h);
	if (!h_queue(h))
		return false;
	h_desc_set(&h_ring.desc[HQ_BAD_HEAD], BUF(0), GOOD_LEN, W, 0);
	h_avail_put(h, HQ_BAD_HEAD);
	h_avail_publish(h);
	h_kick(h);
	hl_fact(&h->log, "early_kicks", 3);
	if (!h_quiet(h))
		return false;
	/* Live now: the chain made available early is served (on activation or this kick). */
	h_live(h);
	h_kick(h);
	if (!h_used_wait(h, 1) || !h_used_take(h, HQ_BAD_HEAD, GOOD_LEN))
		return false;
	return h_good(h);
}

struct access {
	uint16_t off;
	uint8_t size;
	bool write;
	uint32_t val;
};

/* §4.2.2.2: 32-bit aligned register access only; the rest is ignored and reads 0. */
static bool case_bad_width(struct hctx *h)
{
	static const struct access acc[] = {
		{VIRTIO_MMIO_MAGIC_VALUE, 2, false, 0},
		{VIRTIO_MMIO_MAGIC_VALUE, 1, false, 0},
		{VIRTIO_MMIO_MAGIC_VALUE + 3, 1, false, 0},
		{VIRTIO_MMIO_MAGIC_VALUE + 2, 2, false, 0},
		{VIRTIO_MMIO_MAGIC_VALUE + 2, 4, false, 0},
		{VIRTIO_MMIO_MAGIC_VALUE, 8, false, 0},
		{VIRTIO_MMIO_STATUS, 2, false, 0},
		{VIRTIO_MMIO_STATUS, 2, true, 0}, /* a reset, were it honoured */
		{VIRTIO_MMIO_STATUS, 1, true, 0},
		{VIRTIO_MMIO_QUEUE_NOTIFY, 1, true, 0},
		{VIRTIO_MMIO_QUEUE_SEL, 2, true, 5},
		{VIRTIO_MMIO_STATUS + 2, 4, true, 0},
		{VIRTIO_MMIO_STATUS, 8, true, 0},
	};
	uint32_t n = 0;
	uint64_t v;

	for (unsigned int i = 0; i < ARRAY_SIZE(acc); i++, n++) {
		if (acc[i].write) {
			hl_mmio_write(&h->dev, acc[i].off, acc[i].size, acc[i].val);
			continue;
		}
		v = hl_mmio_read(&h->dev, acc[i].off, acc[i].size);
		if (v) {
			hl_fact(&h->log, "offset", acc[i].off);
			hl_fact(&h->log, "size", acc[i].size);
			hl_fact(&h->log, "value", v);
			return hl_fail(&h->log,
				       "a read of the wrong width or alignment did not read 0");
		}
	}
	/* Undefined offsets 0x0c0-0x0f8 (0x0fc is ConfigGeneration). */
	for (uint32_t off = 0x0c0; off < VIRTIO_MMIO_CONFIG_GENERATION; off += 4, n += 2) {
		v = hl_r32(&h->dev, off);
		hl_w32(&h->dev, off, 0xffffffff);
		if (v) {
			hl_fact(&h->log, "offset", off);
			hl_fact(&h->log, "value", v);
			return hl_fail(&h->log, "an undefined register did not read 0");
		}
	}
	hl_fact(&h->log, "register_accesses", n);
	/* The entropy device has no configuration space: 0 bytes. */
	if (hl_r32(&h->dev, VIRTIO_MMIO_CONFIG))
		return hl_fail(&h->log, "a read beyond the configuration space did not read 0");
	hl_mmio_write(&h->dev, VIRTIO_MMIO_CONFIG, 1, 0xff);
	hl_fact(&h->log, "config_accesses", 2);
	v = h_status_get(h);
	if (v != ST_LIVE) {
		hl_fact(&h->log, "status", v);
		return hl_fail(&h->log, "Status changed");
	}
	if (hl_r32(&h->dev, VIRTIO_MMIO_QUEUE_NUM_MAX) != h->num_max)
		return hl_fail(&h->log, "QueueSel changed (QueueNumMax differs)");
	return h_good(h);
}

/* Writes to read-only registers: ignored, values unchanged. */
static bool case_readonly_write(struct hctx *h)
{
	static const uint16_t ro[] = {
		VIRTIO_MMIO_MAGIC_VALUE,      VIRTIO_MMIO_VERSION,
		VIRTIO_MMIO_DEVICE_ID,	      VIRTIO_MMIO_VENDOR_ID,
		VIRTIO_MMIO_DEVICE_FEATURES,  VIRTIO_MMIO_QUEUE_NUM_MAX,
		VIRTIO_MMIO_INTERRUPT_STATUS, VIRTIO_MMIO_CONFIG_GENERATION,
	};
	uint32_t before[ARRAY_SIZE(ro)];

	for (unsigned int i = 0; i < ARRAY_SIZE(ro); i++)
		before[i] = hl_r32(&h->dev, ro[i]);
	for (unsigned int i = 0; i < ARRAY_SIZE(ro); i++)
		hl_w32(&h->dev, ro[i], ~before[i]);
	for (unsigned int i = 0; i < ARRAY_SIZE(ro); i++) {
		uint32_t v = hl_r32(&h->dev, ro[i]);

		if (v != before[i]) {
			hl_fact(&h->log, "offset", ro[i]);
			hl_fact(&h->log, "before", before[i]);
			hl_fact(&h->log, "after", v);
			return hl_fail(&h->log, "a write changed a read-only register");
		}
	}
	hl_fact(&h->log, "register_accesses", ARRAY_SIZE(ro));
	if (before[0] != VIRTIO_MMIO_MAGIC || before[1] != 2 || before[2] != VIRTIO_ID_ENTROPY)
		return hl_fail(&h->log, "MagicValue, Version or DeviceID unexpected");
	return h_good(h);
}

/* Reads of write-only registers: 0. */
static bool case_writeonly_read(struct hctx *h)
{
	static const uint16_t wo[] = {
		VIRTIO_MMIO_DEVICE_FEATURES_SEL, VIRTIO_MMIO_DRIVER_FEATURES,
		VIRTIO_MMIO_DRIVER_FEATURES_SEL, VIRTIO_MMIO_QUEUE_SEL,
		VIRTIO_MMIO_QUEUE_NOTIFY,	 VIRTIO_MMIO_INTERRUPT_ACK,
	};

	for (unsigned int i = 0; i < ARRAY_SIZE(wo); i++) {
		uint32_t v = hl_r32(&h->dev, wo[i]);

		if (v) {
			hl_fact(&h->log, "offset", wo[i]);
			hl_fact(&h->log, "value", v);
			return hl_fail(&h->log, "a write-only register did not read 0");
		}
	}
	hl_fact(&h->log, "register_accesses", ARRAY_SIZE(wo));
	return h_good(h);
}

/*
 * §2.2: every feature bit acked, in pages 0, 1 and 2; only offered ones are
 * kept, FEATURES_OK is granted (VERSION_1 was among them), and a features
 * write after FEATURES_OK changes nothing. DeviceFeaturesSel beyond 1 reads 0.
 */
static bool case_features_unoffered(struct hctx *h)
{
	if (!h_begin(h))
		return false;
	hl_w32(&h->dev, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 2);
	if (hl_r32(&h->dev, VIRTIO_MMIO_DEVICE_FEATURES))
		return hl_fail(&h->log, "DeviceFeatures page 2 not 0");
	hl_w32(&h->dev, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0xffffffff);
	if (hl_r32(&h->dev, VIRTIO_MMIO_DEVICE_FEATURES))
		return hl_fail(&h->log, "DeviceFeatures page 0xffffffff not 0");
	for (uint32_t page = 0; page < 3; page++) {
		hl_w32(&h->dev, VIRTIO_MMIO_DRIVER_FEATURES_SEL, page);
		hl_w32(&h->dev, VIRTIO_MMIO_DRIVER_FEATURES, 0xffffffff);
	}
	h_status_set(h, ST_READY);
	if (!(h_status_get(h) & FEAT_OK))
		return hl_fail(&h->log, "FEATURES_OK refused although VERSION_1 was acked");
	hl_w32(&h->dev, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	hl_w32(&h->dev, VIRTIO_MMIO_DRIVER_FEATURES, 0);
	hl_fact(&h->log, "feature_writes", 4);
	/* What the device kept: its offer, which the ring code below copes with. */
	h->dev.negotiated = h->dev.features;
	hl_fact(&h->log, "offered", h->dev.features);
	if (!h_queue(h))
		return false;
	h_live(h);
	return h_good(h);
}

/* §6.1: FEATURES_OK without VERSION_1 must not stick (no legacy interface here). */
static bool case_no_version_1(struct hctx *h)
{
	uint32_t st;

	if (!h_begin(h))
		return false;
	h_features_write(h, h->dev.features & F_INDIRECT);
	h_status_set(h, ST_READY);
	st = h_status_get(h);
	hl_fact(&h->log, "status", st);
	if (st & FEAT_OK)
		return hl_fail(&h->log, "FEATURES_OK stuck without VERSION_1");
	return h_init(h) && h_good(h);
}

/* Checks that Status reads want after writing v. */
static bool status_try(struct hctx *h, uint32_t v, uint32_t want)
{
	uint32_t st;

	hl_w32(&h->dev, VIRTIO_MMIO_STATUS, v);
	st = h_status_get(h);
	if (st != want) {
		hl_fact(&h->log, "wrote", v);
		hl_fact(&h->log, "status", st);
		return hl_fail(&h->log, "Status not as expected after a bad write");
	}
	return true;
}

/* §2.1.2: the driver never clears a status bit except by reset; reserved bits stay clear. */
static bool case_status_clear_bits(struct hctx *h)
{
	if (!h_negotiate(h))
		return false;
	if (!status_try(h, ACK | DRV, ST_READY) ||		    /* clears FEATURES_OK */
	    !status_try(h, ST_READY | STATUS_RESERVED, ST_READY) || /* a reserved bit */
	    !status_try(h, ST_READY | VIRTIO_STATUS_DEVICE_NEEDS_RESET, ST_READY))
		return false;
	if (!h_queue(h))
		return false;
	h_live(h);
	if (!status_try(h, ACK | DRV | DRV_OK, ST_LIVE)) /* clears FEATURES_OK while live */
		return false;
	hl_fact(&h->log, "bad_status_writes", 3);
	return h_good(h);
}

/* DRIVER_OK written again while live: no second activation (cursors keep going). */
static bool case_driver_ok_twice(struct hctx *h)
{
	for (int i = 0; i < 2; i++) {
		if (!h_good(h))
			return false;
		hl_w32(&h->dev, VIRTIO_MMIO_STATUS, ST_LIVE);
	}
	return h_good(h);
}

/* §3.1.1: DRIVER_OK before FEATURES_OK: refused, nothing served; a proper init then works. */
static bool case_driver_ok_without_features_ok(struct hctx *h)
{
	uint32_t st;

	if (!h_begin(h))
		return false;
	h_features_write(h, h->dev.features & (h->accept | F_V1));
	if (!h_queue(h))
		return false;
	hl_w32(&h->dev, VIRTIO_MMIO_STATUS, ACK | DRV | DRV_OK);
	st = h_status_get(h);
	hl_fact(&h->log, "status", st);
	if (st != (ACK | DRV))
		return hl_fail(&h->log, "DRIVER_OK accepted without FEATURES_OK");
	h_desc_set(&h_ring.desc[HQ_BAD_HEAD], BUF(0), GOOD_LEN, W, 0);
	h_avail_put(h, HQ_BAD_HEAD);
	h_avail_publish(h);
	h_kick(h);
	return h_quiet(h) && h_init(h) && h_good(h);
}

/* DRIVER_OK with no queue set up; queue setup afterwards is refused; a kick finds nothing. */
static bool case_driver_ok_without_queue(struct hctx *h)
{
	uint32_t st;

	if (!h_negotiate(h))
		return false;
	h_live(h);
	st = h_status_get(h);
	hl_fact(&h->log, "status", st);
	if (st != ST_LIVE)
		return hl_fail(&h->log, "DRIVER_OK without queues refused");
	hl_w32(&h->dev, VIRTIO_MMIO_QUEUE_SEL, 0);
	hl_w32(&h->dev, VIRTIO_MMIO_QUEUE_NUM, HQ_NUM);
	h_queue_good_addrs(h);
	hl_w32(&h->dev, VIRTIO_MMIO_QUEUE_READY, 1);
	hl_fact(&h->log, "queue_writes", 8);
	if (hl_r32(&h->dev, VIRTIO_MMIO_QUEUE_READY))
		return hl_fail(&h->log, "queue set up after DRIVER_OK went live");
	h_kick(h);
	return h_init(h) && h_good(h);
}

/* §4.2.3.2: queue registers are fixed once the queue is ready or the device live. */
static bool case_queue_setup_after_driver_ok(struct hctx *h)
{
	uint32_t desc_lo;

	hl_w32(&h->dev, VIRTIO_MMIO_QUEUE_SEL, 0);
	hl_w32(&h->dev, VIRTIO_MMIO_QUEUE_NUM, HQ_NUM / 2);
	if (hl_r32(&h->dev, VIRTIO_MMIO_QUEUE_NUM) != HQ_NUM)
		return hl_fail(&h->log, "QueueNum changed while live");
	desc_lo = hl_r32(&h->dev, VIRTIO_MMIO_QUEUE_DESC_LOW);
	hl_w32(&h->dev, VIRTIO_MMIO_QUEUE_DESC_LOW, desc_lo + 0x1000);
	if (hl_r32(&h->dev, VIRTIO_MMIO_QUEUE_DESC_LOW) != desc_lo)
		return hl_fail(&h->log, "QueueDescLow changed while live");
	hl_w32(&h->dev, VIRTIO_MMIO_QUEUE_READY, 0);
	if (hl_r32(&h->dev, VIRTIO_MMIO_QUEUE_READY) != 1)
		return hl_fail(&h->log, "QueueReady cleared while live");
	hl_fact(&h->log, "queue_writes", 3);
	return h_good(h);
}

/* §2.7: QueueNum 0, not a power of 2, beyond QueueNumMax, beyond 16 bits; QueueReady 2. */
static bool case_bad_queue_size(struct hctx *h)
{
	uint32_t nums[] = {0, 3, 0, 0x10000 | HQ_NUM};

	if (!h_negotiate(h))
		return false;
	hl_w32(&h->dev, VIRTIO_MMIO_QUEUE_SEL, 0);
	nums[2] = 2 * hl_r32(&h->dev, VIRTIO_MMIO_QUEUE_NUM_MAX);
	h_queue_good_addrs(h);
	for (unsigned int i = 0; i < ARRAY_SIZE(nums); i++) {
		hl_w32(&h->dev, VIRTIO_MMIO_QUEUE_NUM, nums[i]);
		hl_w32(&h->dev, VIRTIO_MMIO_QUEUE_READY, 1);
		if (hl_r32(&h->dev, VIRTIO_MMIO_QUEUE_READY)) {
			hl_fact(&h->log, "num", nums[i]);
			return hl_fail(&h->log, "a bad queue size was accepted");
		}
	}
	hl_w32(&h->dev, VIRTIO_MMIO_QUEUE_NUM, HQ_NUM);
	hl_w32(&h->dev, VIRTIO_MMIO_QUEUE_READY, 2);
	if (hl_r32(&h->dev, VIRTIO_MMIO_QUEUE_READY))
		return hl_fail(&h->log, "QueueReady 2 made the queue ready");
	hl_fact(&h->log, "refused", ARRAY_SIZE(nums) + 1);
	if (!h_queue(h))
		return false;
	h_live(h);
	return h_good(h);
}

/* §2.7: misaligned rings, rings outside RAM, across its end, in MMIO, at the top of the space. */
static bool case_bad_ring_addr(struct hctx *h)
{
	uint64_t d = (uintptr_t)h_ring.desc, a = (uintptr_t)&h_ring.avail,
		 u = (uintptr_t)&h_ring.used;
	const uint64_t bad[][3] = {
		{d + 8, a, u},
		{d, a + 1, u},
		{d, a, u + 2},
		{0xfff00000000ull, a, u},
		{d, a, h->ram_top - 16},
		{d, h->dev.loc.base, u},
		{0xfffffffffffffff0ull, a, u},
	};

	if (!h_negotiate(h))
		return false;
	hl_w32(&h->dev, VIRTIO_MMIO_QUEUE_SEL, 0);
	hl_w32(&h->dev, VIRTIO_MMIO_QUEUE_NUM, HQ_NUM);
	for (unsigned int i = 0; i < ARRAY_SIZE(bad); i++) {
		h_queue_addrs(h, bad[i][0], bad[i][1], bad[i][2]);
		hl_w32(&h->dev, VIRTIO_MMIO_QUEUE_READY, 1);
		if (hl_r32(&h->dev, VIRTIO_MMIO_QUEUE_READY)) {
			hl_fact(&h->log, "setup", i);
			return hl_fail(&h->log, "a bad ring address was accepted");
		}
	}
	hl_fact(&h->log, "refused", ARRAY_SIZE(bad));
	if (!h_queue(h))
		return false;
	h_live(h);
	return h_good(h);
}

/* Reset and re-initialize many times, a request each time. */
static bool case_reset_cycles(struct hctx *h)
{
	for (unsigned int i = 0; i < RESET_CYCLES; i++) {
		if (!h_init(h) || !h_good(h)) {
			hl_fact(&h->log, "cycle", i);
			return false;
		}
	}
	hl_fact(&h->log, "cycles", RESET_CYCLES);
	return true;
}

const struct hcase h_transport_cases[] = {
	{"queue_sel_oob", case_queue_sel_oob, false, F_INDIRECT},
	{"notify_bad_index", case_notify_bad_index, true, F_INDIRECT},
	{"notify_before_driver_ok", case_notify_before_driver_ok, false, F_INDIRECT},
	{"bad_width", case_bad_width, true, F_INDIRECT},
	{"readonly_write", case_readonly_write, true, F_INDIRECT},
	{"writeonly_read", case_writeonly_read, true, F_INDIRECT},
	{"features_unoffered", case_features_unoffered, false, F_INDIRECT},
	{"no_version_1", case_no_version_1, false, F_INDIRECT},
	{"status_clear_bits", case_status_clear_bits, false, F_INDIRECT},
	{"driver_ok_twice", case_driver_ok_twice, true, F_INDIRECT},
	{"driver_ok_without_features_ok", case_driver_ok_without_features_ok, false, F_INDIRECT},
	{"driver_ok_without_queue", case_driver_ok_without_queue, false, F_INDIRECT},
	{"queue_setup_after_driver_ok", case_queue_setup_after_driver_ok, true, F_INDIRECT},
	{"bad_queue_size", case_bad_queue_size, false, F_INDIRECT},
	{"bad_ring_addr", case_bad_ring_addr, false, F_INDIRECT},
	{"reset_cycles", case_reset_cycles, false, F_INDIRECT},
	{NULL, NULL, false, 0},
};
