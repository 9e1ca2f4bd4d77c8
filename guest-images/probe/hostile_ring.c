// SPDX-License-Identifier: MIT
// Probe guest: the virtio-hostile mode's one queue and buffers, driven by hand for its cases.
//
// The rings are driven by hand here, not through virtio.c's virtq_add and
// virtq_get: most chains the cases build are ones a correct driver never
// builds. One queue of HQ_NUM entries; the driver polls used->idx and asks
// for no used buffer notifications (VIRTQ_AVAIL_F_NO_INTERRUPT; used_event
// far away with EVENT_IDX), so the interrupts it expects are configuration
// changes only. Every kick is a QueueNotify write, wanted or not. The cases
// are in hostile_transport.c and hostile_chain.c; hostile.c runs the mode.
#include "hostile_ring.h"

#define WAIT_US	 1000000 /* for a used entry, a status bit, an interrupt */
#define QUIET_US 20000	 /* how long a device that must do nothing gets to do it */
#define GOOD_BUF (h_buf + 2048)

struct hring h_ring;
uint8_t h_buf[4096] __attribute__((aligned(4096)));

void h_status_set(struct hctx *h, uint32_t v)
{
	h->dev.status = v;
	hl_w32(&h->dev, VIRTIO_MMIO_STATUS, v);
}

uint32_t h_status_get(struct hctx *h)
{
	return hl_r32(&h->dev, VIRTIO_MMIO_STATUS);
}

void h_features_write(struct hctx *h, uint64_t f)
{
	hl_w32(&h->dev, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	hl_w32(&h->dev, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)f);
	hl_w32(&h->dev, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	hl_w32(&h->dev, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(f >> 32));
	h->dev.negotiated = f;
}

/* §3.1.1 steps 1-3: reset, ACKNOWLEDGE, DRIVER; reads the offer. */
bool h_begin(struct hctx *h)
{
	if (!virtio_reset(&h->dev))
		return hl_fail(&h->log, "device did not reset (Status not 0)");
	h_status_set(h, ACK);
	h_status_set(h, ACK | DRV);
	virtio_read_features(&h->dev);
	if (!(h->dev.features & F_V1))
		return hl_fail(&h->log, "device does not offer VIRTIO_F_VERSION_1");
	return true;
}

/* §3.1.1 steps 1-6 with the case's features. */
bool h_negotiate(struct hctx *h)
{
	if (!h_begin(h))
		return false;
	h_features_write(h, h->dev.features & (h->accept | F_V1));
	h_status_set(h, ST_READY);
	if (!(h_status_get(h) & FEAT_OK))
		return hl_fail(&h->log, "FEATURES_OK not accepted");
	return true;
}

void h_queue_addrs(struct hctx *h, uint64_t desc, uint64_t avail, uint64_t used)
{
	hl_w32(&h->dev, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)desc);
	hl_w32(&h->dev, VIRTIO_MMIO_QUEUE_DESC_HIGH, (uint32_t)(desc >> 32));
	hl_w32(&h->dev, VIRTIO_MMIO_QUEUE_DRIVER_LOW, (uint32_t)avail);
	hl_w32(&h->dev, VIRTIO_MMIO_QUEUE_DRIVER_HIGH, (uint32_t)(avail >> 32));
	hl_w32(&h->dev, VIRTIO_MMIO_QUEUE_DEVICE_LOW, (uint32_t)used);
	hl_w32(&h->dev, VIRTIO_MMIO_QUEUE_DEVICE_HIGH, (uint32_t)(used >> 32));
}

void h_queue_good_addrs(struct hctx *h)
{
	h_queue_addrs(h, (uintptr_t)h_ring.desc, (uintptr_t)&h_ring.avail, (uintptr_t)&h_ring.used);
}

/* §4.2.3.2 for queue 0, on fresh (zeroed) rings, asking for no used buffer notifications. */
bool h_queue(struct hctx *h)
{
	memset(&h_ring, 0, sizeof(h_ring));
	h_ring.avail.flags = VIRTQ_AVAIL_F_NO_INTERRUPT;
	h_ring.avail.ring[HQ_NUM] = 0x8000; /* used_event, with EVENT_IDX: out of reach */
	h->avail_idx = h->last_used = 0;
	hl_w32(&h->dev, VIRTIO_MMIO_QUEUE_SEL, 0);
	if (hl_r32(&h->dev, VIRTIO_MMIO_QUEUE_READY))
		return hl_fail(&h->log, "QueueReady 1 before the queue was set up");
	h->num_max = hl_r32(&h->dev, VIRTIO_MMIO_QUEUE_NUM_MAX);
	if (h->num_max < HQ_NUM)
		return hl_fail(&h->log, "QueueNumMax below the queue size the cases use");
	hl_w32(&h->dev, VIRTIO_MMIO_QUEUE_NUM, HQ_NUM);
	h_queue_good_addrs(h);
	hl_w32(&h->dev, VIRTIO_MMIO_QUEUE_READY, 1);
	if (hl_r32(&h->dev, VIRTIO_MMIO_QUEUE_READY) != 1)
		return hl_fail(&h->log, "a good queue setup was refused");
	return true;
}

void h_live(struct hctx *h)
{
	h_status_set(h, h->dev.status | DRV_OK);
}

/* Reset and the whole of §3.1.1 with one queue. */
bool h_init(struct hctx *h)
{
	if (!h_negotiate(h) || !h_queue(h))
		return false;
	h_live(h);
	return true;
}

void h_desc_set(struct virtq_desc *d, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
	d->addr = addr;
	d->len = len;
	d->flags = flags;
	d->next = next;
}

void h_avail_put(struct hctx *h, uint16_t head)
{
	((volatile struct virtq_avail *)&h_ring.avail)->ring[h->avail_idx % HQ_NUM] = head;
	h->avail_idx++;
}

/* Descriptors and ring entries before the index (§2.7.13), the index before the kick. */
void h_avail_publish(struct hctx *h)
{
	hl_barrier();
	((volatile struct virtq_avail *)&h_ring.avail)->idx = h->avail_idx;
	hl_full_barrier();
}

void h_kick(struct hctx *h)
{
	hl_w32(&h->dev, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
}

uint16_t h_used_idx(void)
{
	return ((volatile struct virtq_used *)&h_ring.used)->idx;
}

/* Waits until used->idx is last_used + n exactly. */
bool h_used_wait(struct hctx *h, uint16_t n)
{
	uint16_t want = (uint16_t)(h->last_used + n);
	uint64_t start = rdtsc();

	while (h_used_idx() != want) {
		if (rdtsc() - start > hl_ticks(WAIT_US)) {
			hl_fact(&h->log, "used_idx", h_used_idx());
			hl_fact(&h->log, "want_used_idx", want);
			return hl_fail(&h->log, "used->idx did not reach the expected value");
		}
		cpu_relax();
	}
	hl_barrier(); /* the index before the entries it covers */
	return true;
}

/* The next used entry must be (head, len). */
bool h_used_take(struct hctx *h, uint16_t head, uint32_t len)
{
	volatile struct virtq_used *u = &h_ring.used;
	uint16_t slot = h->last_used % HQ_NUM;
	uint32_t id = u->ring[slot].id, got = u->ring[slot].len;

	if (id != head || got != len) {
		hl_fact(&h->log, "slot", slot);
		return hl_fail_used(&h->log, id, got, head, len,
				    "used entry differs from the expected one");
	}
	h->last_used++;
	return true;
}

/* Nothing may come back for a while. */
bool h_quiet(struct hctx *h)
{
	hl_spin_us(QUIET_US);
	if (h_used_idx() != h->last_used) {
		hl_fact(&h->log, "used_idx", h_used_idx());
		return hl_fail(&h->log, "the device used a chain it should have left alone");
	}
	return true;
}

/* Makes the chain at head (descriptors written) available and expects it back with len. */
bool h_chain(struct hctx *h, uint16_t head, uint32_t len)
{
	h_avail_put(h, head);
	h_avail_publish(h);
	h_kick(h);
	if (!h_used_wait(h, 1) || !h_used_take(h, head, len))
		return false;
	hl_fact(&h->log, "id", head);
	hl_fact(&h->log, "len", len);
	return true;
}

/* One device-writable buffer of GOOD_LEN: served in full, with bytes that are not all 0. */
bool h_good(struct hctx *h)
{
	volatile uint8_t *b = GOOD_BUF;
	uint8_t any = 0;

	for (unsigned int i = 0; i < GOOD_LEN; i++)
		b[i] = 0;
	h_desc_set(&h_ring.desc[HQ_GOOD_HEAD], (uintptr_t)b, GOOD_LEN, W, 0);
	h_avail_put(h, HQ_GOOD_HEAD);
	h_avail_publish(h);
	h_kick(h);
	if (!h_used_wait(h, 1) || !h_used_take(h, HQ_GOOD_HEAD, GOOD_LEN))
		return hl_fail(&h->log, "good request not served");
	for (unsigned int i = 0; i < GOOD_LEN; i++)
		any |= b[i];
	if (!any)
		return hl_fail(&h->log, "good request: all bytes 0");
	h->good++;
	return true;
}

/* Polls a register until (value & bits) != 0; the last value in *out. */
static bool reg_wait(struct hctx *h, uint32_t off, uint32_t bits, uint32_t *out)
{
	uint64_t start = rdtsc();

	while (!((*out = hl_r32(&h->dev, off)) & bits)) {
		if (rdtsc() - start > hl_ticks(WAIT_US))
			return false;
		cpu_relax();
	}
	return true;
}

/*
 * After a ring corruption (§2.1.2): DEVICE_NEEDS_RESET in Status, the
 * configuration change bit in InterruptStatus and an interrupt; the broken
 * ring stays untouched even when kicked; then reset, re-initialize, serve.
 */
bool h_expect_needs_reset(struct hctx *h, uint32_t irqs_before)
{
	uint16_t idx = h_used_idx();
	uint64_t start;
	uint32_t v;

	if (!reg_wait(h, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_DEVICE_NEEDS_RESET, &v)) {
		hl_fact(&h->log, "status", v);
		return hl_fail(&h->log, "no DEVICE_NEEDS_RESET after the ring corruption");
	}
	hl_fact(&h->log, "status", v);
	if (!reg_wait(h, VIRTIO_MMIO_INTERRUPT_STATUS, VIRTIO_MMIO_INT_CONFIG, &v)) {
		hl_fact(&h->log, "isr", v);
		return hl_fail(&h->log, "no configuration change bit in InterruptStatus");
	}
	hl_fact(&h->log, "isr", v);
	start = rdtsc();
	while (probe_virtio_irq_count == irqs_before) {
		if (rdtsc() - start > hl_ticks(WAIT_US))
			return hl_fail(&h->log, "no interrupt for DEVICE_NEEDS_RESET");
		cpu_relax();
	}
	hl_fact(&h->log, "config_irqs", probe_virtio_irq_count - irqs_before);
	h_kick(h); /* the broken ring must stay as it is */
	hl_spin_us(QUIET_US);
	if (h_used_idx() != idx)
		return hl_fail(&h->log, "the device used entries of a ring it found corrupt");
	hl_w32(&h->dev, VIRTIO_MMIO_INTERRUPT_ACK, v);
	if (!h_init(h))
		return false;
	if (h_status_get(h) != ST_LIVE)
		return hl_fail(&h->log, "Status after the re-initialization is not 0xf");
	return h_good(h);
}
