// SPDX-License-Identifier: MIT
// Probe guest: the net-hostile mode's device setup, its two queues driven by hand, its frames.
//
// virtio.c sets the two queues up (256 entries each), nothing more: the cases' chains
// are ones virtq_add never builds (see nethostile.c).
#include "nethostile_ring.h"

#define NH_QSIZE   256
#define WAIT_US	   3000000 /* for a used entry (an RX one waits for the peer) */
#define GOOD_INDEX 1
#define READY	   "ready:" /* then the payload size the peer is to send */

/* ---- the rings, by hand ---- */

void nh_notify(struct nh *h, uint32_t queue)
{
	hl_w32(&h->dev, VIRTIO_MMIO_QUEUE_NOTIFY, queue);
}

/* Descriptors head, head + 1, … for the pieces, linked in order; the head into the ring. */
void nh_chain_put(struct nhq *c, uint16_t head, const struct piece *pc, unsigned int n)
{
	struct virtq_desc *d = c->q->desc;

	for (unsigned int k = 0; k < n; k++) {
		uint16_t i = (uint16_t)(head + k);

		d[i].addr = (uintptr_t)pc[k].p;
		d[i].len = pc[k].len;
		d[i].flags = (uint16_t)((pc[k].write ? VIRTQ_DESC_F_WRITE : 0) |
					(k + 1 < n ? VIRTQ_DESC_F_NEXT : 0));
		d[i].next = (uint16_t)(i + 1);
	}
	c->q->avail->ring[c->avail_idx & (c->q->num - 1)] = head;
	c->avail_idx++;
}

/* Descriptors and ring entries before the index (§2.7.13), the index before the kick. */
void nh_publish(struct nhq *c)
{
	hl_barrier();
	c->q->avail->idx = c->avail_idx;
	hl_full_barrier();
}

uint16_t nh_used_idx(const struct nhq *c)
{
	return c->q->used->idx;
}

/* Waits until an untaken used entry is there. */
bool nh_used_wait(struct nh *h, struct nhq *c, const char *why)
{
	uint64_t start = rdtsc();

	while (nh_used_idx(c) == c->last_used) {
		if (rdtsc() - start > hl_ticks(WAIT_US)) {
			hl_fact(&h->log, "queue", c->q->index);
			hl_fact(&h->log, "used_idx", nh_used_idx(c));
			return hl_fail(&h->log, why);
		}
		cpu_relax();
	}
	hl_barrier(); /* the index before the entry it covers */
	return true;
}

void nh_used_take(struct nhq *c, uint32_t *id, uint32_t *len)
{
	volatile struct virtq_used_elem *e = &c->q->used->ring[c->last_used & (c->q->num - 1)];

	*id = e->id;
	*len = e->len;
	c->last_used++;
}

/* The next used entry must be (head, len). */
bool nh_used_expect(struct nh *h, struct nhq *c, uint16_t head, uint32_t len, const char *why)
{
	uint32_t id, got;

	if (!nh_used_wait(h, c, why))
		return false;
	nh_used_take(c, &id, &got);
	if (id != head || got != len) {
		hl_fact(&h->log, "queue", c->q->index);
		return hl_fail_used(&h->log, id, got, head, len,
				    "used entry differs from the expected one");
	}
	return true;
}

/* FNV-1a over every byte of the chain: the device must leave a dropped chain as it was. */
uint64_t nh_chain_hash(const struct piece *pc, unsigned int n)
{
	uint64_t x = 0xcbf29ce484222325ull;

	for (unsigned int k = 0; k < n; k++) {
		for (uint32_t i = 0; i < pc[k].len; i++)
			x = (x ^ pc[k].p[i]) * 0x100000001b3ull;
	}
	return x;
}

/* n pieces over [p, p + total): first bytes, then even ones, the last takes the rest. */
void nh_split(struct piece *pc, uint8_t *p, uint32_t total, unsigned int n, uint32_t first,
	      bool write)
{
	uint32_t each = n > 1 ? (total - first) / (n - 1) : 0, off = 0;

	for (unsigned int k = 0; k < n; k++) {
		uint32_t len = k == 0 ? first : k == n - 1 ? total - off : each;

		pc[k] = (struct piece){p + off, len, write};
		off += len;
	}
}

void nh_chain1(struct nh *h, uint8_t *p, uint32_t len, bool write)
{
	h->chain[0] = (struct piece){p, len, write};
	h->nchain = 1;
}

/* ---- frames ---- */

/* The bad chain's area: header (zeroed) and a frame after it. */
struct virtio_net_hdr *nh_bad_hdr(struct nh *h)
{
	memset(h->bad, 0, VIRTIO_NET_HDR_LEN);
	return (struct virtio_net_hdr *)h->bad;
}

uint8_t *nh_bad_frame(struct nh *h)
{
	return h->bad + VIRTIO_NET_HDR_LEN;
}

/* A datagram to the peer with payload index; partial: NEEDS_CSUM 34/6 and the pseudo sum. */
uint32_t nh_udp_frame(struct nh *h, uint8_t *f, uint32_t index, bool partial,
		      struct virtio_net_hdr *hdr)
{
	net_pattern_fill(f + NET_UDP_PAYLOAD, h->size, index);
	return net_udp_build(f, &h->me, &h->peer, h->size, partial, hdr);
}

/* "ready:SIZE": the peer answers with one datagram of SIZE bytes. */
const char *nh_ready_text(const struct nh *h)
{
	static char t[sizeof(READY) + 10];
	char digits[10];
	unsigned int n = 0, k = sizeof(READY) - 1;
	uint32_t v = h->size;

	memcpy(t, READY, k);
	do {
		digits[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		t[k++] = digits[--n];
	t[k] = '\0';
	return t;
}

/* One good datagram on the TX queue (text, or the pattern with GOOD_INDEX); back with 0. */
bool nh_tx_send(struct nh *h, const char *text, const char *why)
{
	struct virtio_net_hdr *hdr = (struct virtio_net_hdr *)h->good;
	uint8_t *f = h->good + VIRTIO_NET_HDR_LEN;
	uint32_t plen = text ? (uint32_t)strlen(text) : h->size, len;
	struct piece pc;

	memset(hdr, 0, VIRTIO_NET_HDR_LEN);
	if (text)
		memcpy(f + NET_UDP_PAYLOAD, text, plen);
	else
		net_pattern_fill(f + NET_UDP_PAYLOAD, plen, GOOD_INDEX);
	len = net_udp_build(f, &h->me, &h->peer, plen, false, hdr);
	pc = (struct piece){h->good, VIRTIO_NET_HDR_LEN + len, false};
	nh_chain_put(&h->tx, h->good_head, &pc, 1);
	nh_publish(&h->tx);
	nh_notify(h, NETDRV_TXQ);
	hl_fact(&h->log, text ? "ready_len" : "good_len", len);
	return nh_used_expect(h, &h->tx, h->good_head, 0, why);
}

/* Header and datagram in one readable descriptor; the caller edits the header. */
struct virtio_net_hdr *nh_tx_udp(struct nh *h, bool partial)
{
	struct virtio_net_hdr *hdr = nh_bad_hdr(h);

	nh_chain1(h, h->bad,
		  VIRTIO_NET_HDR_LEN + nh_udp_frame(h, nh_bad_frame(h), BAD_INDEX, partial, hdr),
		  false);
	return hdr;
}

/*
 * With CTRL_VQ: the control queue after the pairs (§5.1.2: index 2 with one
 * pair, 2 × max_virtqueue_pairs with MQ; the pairs beyond the first are left
 * unset unless all_pairs, and get no buffers). Polled as the others.
 */
static bool nh_setup_ctrl(struct nh *h)
{
	uint16_t pairs = 1;
	const char *why = NULL;

	h->ctl = (struct nhq){NULL, 0, 0};
	if (!(h->dev.negotiated & NF(CTRL_VQ)))
		return true;
	if (h->dev.negotiated & NF(MQ)) {
		pairs = virtio_config_read16(&h->dev, VIRTIO_NET_CFG_PAIRS);
		hl_fact(&h->log, "max_pairs", pairs);
	}
	h->max_pairs = pairs;
	if (!pairs || 2u * pairs >= VIRTIO_MAX_QUEUES) {
		virtio_fail(&h->dev);
		return hl_fail(&h->log, "max_virtqueue_pairs outside 1-4");
	}
	for (unsigned int q = 2; q < 2u * pairs && h->all_pairs && !why; q++) {
		why = virtq_setup(&h->dev, q, NH_QSIZE);
		if (!why)
			h->dev.vq[q].avail->flags = VIRTQ_AVAIL_F_NO_INTERRUPT;
	}
	if (!why)
		why = virtq_setup(&h->dev, 2u * pairs, NH_QSIZE);
	if (why) {
		virtio_fail(&h->dev);
		return hl_fail(&h->log, why);
	}
	h->ctl = (struct nhq){&h->dev.vq[2 * pairs], 0, 0};
	h->ctl.q->avail->flags = VIRTQ_AVAIL_F_NO_INTERRUPT;
	return true;
}

/*
 * §3.1.1 with the case's features (a reset first), MAC and MTU, both queues on
 * fresh rings (the next two of virtio.c's pool), DRIVER_OK.
 */
bool nh_setup(struct nh *h)
{
	uint64_t want = BASE_FEATURES | h->accept;
	const char *why = virtio_init(&h->dev, want);

	if (why)
		return hl_fail(&h->log, why);
	if ((h->dev.negotiated & want) != want) {
		hl_fact(&h->log, "offered", h->dev.features);
		virtio_fail(&h->dev);
		return hl_fail(&h->log, "the device does not offer the features this case needs");
	}
	for (unsigned int i = 0; i < 6; i++)
		h->me.mac[i] = virtio_config_read8(&h->dev, VIRTIO_NET_CFG_MAC + i);
	h->mtu = virtio_config_read16(&h->dev, VIRTIO_NET_CFG_MTU);
	if (h->mtu < 68 || h->mtu > GOOD_AREA - 64) {
		virtio_fail(&h->dev);
		return hl_fail(&h->log, "MTU in the config space outside 68-4032");
	}
	h->rx_need = VIRTIO_NET_HDR_LEN + NETDRV_VLAN_ETH + h->mtu;
	why = virtq_setup(&h->dev, NETDRV_RXQ, NH_QSIZE);
	if (!why)
		why = virtq_setup(&h->dev, NETDRV_TXQ, NH_QSIZE);
	if (why) {
		virtio_fail(&h->dev);
		return hl_fail(&h->log, why);
	}
	h->rx = (struct nhq){&h->dev.vq[NETDRV_RXQ], 0, 0};
	h->tx = (struct nhq){&h->dev.vq[NETDRV_TXQ], 0, 0};
	/* The cases' chains take descriptors 0-130, the good one the last. */
	if (h->rx.q->num != NH_QSIZE || h->tx.q->num != NH_QSIZE) {
		virtio_fail(&h->dev);
		return hl_fail(&h->log, "queues smaller than 256 entries (QueueNumMax)");
	}
	h->good_head = NH_QSIZE - 1;
	if (!nh_setup_ctrl(h))
		return false;
	/* Polling: no used buffer notifications, on either queue (no EVENT_IDX). */
	h->rx.q->avail->flags = VIRTQ_AVAIL_F_NO_INTERRUPT;
	h->tx.q->avail->flags = VIRTQ_AVAIL_F_NO_INTERRUPT;
	virtio_driver_ok(&h->dev);
	return true;
}

/*
 * A ring corruption (§2.1.2): Status shows DEVICE_NEEDS_RESET with nothing more
 * on the queue c than its last used entry; then a reset and a fresh setup.
 */
bool nh_reinit_after_corruption(struct nh *h, struct nhq *c)
{
	uint64_t start = rdtsc();

	while (!(virtio_read_status(&h->dev) & VIRTIO_STATUS_DEVICE_NEEDS_RESET)) {
		if (rdtsc() - start > hl_ticks(WAIT_US))
			return hl_fail(&h->log, "no DEVICE_NEEDS_RESET after the ring corruption");
		cpu_relax();
	}
	hl_fact(&h->log, "needs_reset", 1);
	hl_spin_us(QUIET_US);
	if (nh_used_idx(c) != c->last_used) {
		hl_fact(&h->log, "used_idx", nh_used_idx(c));
		return hl_fail(&h->log, "used entries after DEVICE_NEEDS_RESET");
	}
	return nh_setup(h);
}
