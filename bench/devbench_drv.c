// SPDX-License-Identifier: MIT
// devbench's guest: a polling virtio-net driver over tests/support/netdrv, as the probe guest's is
// in its benchmark modes (guest-images/probe/netdrv.c): it never sleeps, posts an RX buffer again
// as soon as it takes it, keeps every TX slot in flight, keeps interrupts off (EVENT_IDX:
// used_event far ahead) and notifies only when the device asked for it (avail_event, virtio 1.2
// §2.7.10). Every step is O(1) per frame: netdrv's free descriptors are a stack, its avail ring an
// index. rr: each request taken on RX goes back at once on TX, turned round (drv_rr_one).
#include <errno.h>
#include <string.h>
#include <linux/virtio_ring.h>

#include "bench/devbench.h"
#include "tests/support/netpkt.h"

#define DRV_BUDGET 64 /* RX used entries taken in one pass before the device is told */
/*
 * used_event half the index space ahead of what was taken: the device is never that far ahead
 * of a driver that keeps polling, so it never interrupts (the probe's USED_EVENT_FAR).
 */
#define DRV_USED_EVENT_FAR 0x8000
#define DRV_CSUM_CHECKS	   16 /* rr: the first echoes, whose checksums are verified (warm-up) */
#define DRV_ECHO_MAX	   (VNET_HDR_LEN + NETPKT_UDP_DATA + DB_MAX_SIZE)

/* A spinning loop's hint to the CPU: the sibling hyperthread, if any, gets the core meanwhile. */
static void drv_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#endif
}

static uint16_t drv_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void drv_quiet(struct db_drv *v, unsigned int q)
{
	struct netdrv *d = v->d;

	ring_set_used_event(&d->q[q], (uint16_t)(d->last_used[q] + DRV_USED_EVENT_FAR));
}

/*
 * §2.7.10 with EVENT_IDX: notify when the avail index went past avail_event since the last
 * decision. netdrv publishes avail.idx per chain; the full barrier orders that store before the
 * load of avail_event and pairs with the device's barrier between storing avail_event and
 * reloading avail.idx (virtq_enable_kicks): one side always sees the other's store.
 */
static void drv_notify(struct db_drv *v, unsigned int q, uint16_t *kicked)
{
	struct ring *r = &v->d->q[q];
	uint16_t now = ring_avail_idx(r), old = *kicked;

	if (now == old)
		return;
	*kicked = now;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (vring_need_event(ring_avail_event(r), now, old)) {
		netdrv_kick(v->d, q);
		v->kicks++;
	}
}

/* The benchmark's datagram, all of it there: IPv4, UDP, to the guest's address and port. */
static bool drv_rx_match(const struct db_drv *v, const uint8_t *f, uint32_t len)
{
	const uint8_t *ip = f + NETPKT_ETH_LEN, *udp = f + NETPKT_L4_AT;

	if (len < NETPKT_UDP_DATA + v->o->size || drv_get16(f + 12) != 0x0800 || ip[9] != 17)
		return false;
	return ((uint32_t)drv_get16(ip + 16) << 16 | drv_get16(ip + 18)) == DB_GUEST_IP &&
	       drv_get16(udp + 2) == DB_GUEST_PORT &&
	       drv_get16(udp + 4) == NETPKT_UDP_LEN + v->o->size;
}

/* One RX used entry: the header and the first bytes are read in place, as a guest would. */
static void drv_rx_one(struct db_drv *v, const struct netdrv_used *u)
{
	const uint8_t *p = netdrv_slot(v->d, v->q, (uint16_t)u->id);
	struct virtio_net_hdr_v1 h;

	if (v->mrg_left) { /* a later buffer of a merged frame (§5.1.6.4.2) */
		v->mrg_left--;
		return;
	}
	if (u->len < VNET_HDR_LEN) {
		v->other++;
		return;
	}
	memcpy(&h, p, sizeof(h));
	if (v->o->mrg && h.num_buffers > 1)
		v->mrg_left = h.num_buffers - 1u;
	if (!drv_rx_match(v, p + VNET_HDR_LEN, u->len - VNET_HDR_LEN)) {
		v->other++;
		return;
	}
	v->frames++;
	v->bytes += v->o->size;
	v->csum_partial += !!(h.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM);
	v->data_valid += !!(h.flags & VIRTIO_NET_HDR_F_DATA_VALID);
}

static void drv_rx_step(struct db_drv *v)
{
	struct netdrv_used u;
	unsigned int n = 0;

	while (n < DRV_BUDGET && netdrv_take_used(v->d, v->q, &u)) {
		drv_rx_one(v, &u);
		n++;
		/* netdrv's free list is a stack: this posts the buffer just taken, still warm. */
		if (netdrv_rx_post(v->d, v->o->rxbuf, 0, NETDRV_NO_KICK | NETDRV_NO_FILL) >= 0)
			v->posted++;
	}
	if (!n) {
		v->polls_idle++;
		drv_relax();
		return;
	}
	drv_quiet(v, v->q);
	drv_notify(v, v->q, &v->kicked);
}

static void drv_tx_step(struct db_drv *v)
{
	struct netdrv *d = v->d;
	struct netdrv_used u;
	unsigned int taken = 0, added = 0;

	while (netdrv_take_used(d, v->q, &u)) {
		v->frames++;
		v->bytes += v->o->size;
		taken++;
	}
	/* Every free slot goes out again: the frame is in it already (db_drv_init). */
	while (!v->no_post && d->nfree[v->q] &&
	       netdrv_tx_raw(d, NULL, v->frame_len, NULL, 0, NETDRV_NO_KICK) >= 0)
		added++;
	v->posted += added;
	if (!taken && !added) {
		v->polls_idle++;
		drv_relax();
		return;
	}
	if (taken)
		drv_quiet(v, v->q);
	drv_notify(v, v->q, &v->kicked);
}

static void drv_swap(uint8_t *a, uint8_t *b, size_t n)
{
	uint8_t t[6];

	memcpy(t, a, n);
	memcpy(a, b, n);
	memcpy(b, t, n);
}

/*
 * rr: the request (frame, len bytes) turned round into out, after a 12-byte header: MACs, IPv4
 * addresses and UDP ports swapped, the payload kept. A swap only reorders the 16-bit words a
 * one's complement sum adds, so the IPv4 header checksum and the UDP checksum stay right as they
 * came: full, or the pseudo-header sum of a partial one (NEEDS_CSUM on RX, virtio 1.2 §5.1.6.4),
 * which the echo's own NEEDS_CSUM at the same offsets (§5.1.6.2) asks the host to finish.
 */
static uint32_t drv_echo_build(uint8_t *out, const struct virtio_net_hdr_v1 *rx,
			       const uint8_t *frame, uint32_t len)
{
	struct virtio_net_hdr_v1 h = {.gso_type = VIRTIO_NET_HDR_GSO_NONE};
	uint8_t *f = out + VNET_HDR_LEN;

	if (rx->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) {
		h.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
		h.csum_start = rx->csum_start;
		h.csum_offset = rx->csum_offset;
	}
	memcpy(out, &h, VNET_HDR_LEN);
	memcpy(f, frame, len);
	drv_swap(f, f + 6, 6);
	drv_swap(f + NETPKT_ETH_LEN + 12, f + NETPKT_ETH_LEN + 16, 4);
	drv_swap(f + NETPKT_L4_AT, f + NETPKT_L4_AT + 2, 2);
	return VNET_HDR_LEN + len;
}

/* rr: an echo's checksums, a partial one finished as the host's kernel would, checked. */
static void drv_echo_check(struct db_drv *v, const uint8_t *echo, uint32_t len)
{
	uint8_t f[NETPKT_UDP_DATA + DB_MAX_SIZE];
	uint32_t flen = len - VNET_HDR_LEN;
	struct virtio_net_hdr_v1 h;

	memcpy(&h, echo, sizeof(h));
	memcpy(f, echo + VNET_HDR_LEN, flen);
	if (h.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM)
		netpkt_finish_csum(f, flen, h.csum_start, h.csum_offset);
	v->csum_checked++;
	v->csum_bad += !netpkt_l4_csum_ok(f, flen);
}

/* rr: one RX used entry; a request of the flow goes back on TX, notified at once. */
static void drv_rr_one(struct db_drv *v, const struct netdrv_used *u)
{
	static uint8_t echo[DRV_ECHO_MAX];
	const uint8_t *p = netdrv_slot(v->d, v->q, (uint16_t)u->id);
	struct virtio_net_hdr_v1 h;
	uint32_t len;

	if (u->len < VNET_HDR_LEN || !drv_rx_match(v, p + VNET_HDR_LEN, u->len - VNET_HDR_LEN)) {
		v->other++;
		return;
	}
	memcpy(&h, p, sizeof(h));
	/* The frame as the headers say: a short one's padding does not go back. */
	len = drv_echo_build(echo, &h, p + VNET_HDR_LEN, NETPKT_UDP_DATA + v->o->size);
	if (netdrv_tx_raw(v->d, echo, len, NULL, 0, NETDRV_NO_KICK) < 0) {
		v->echo_full++;
		return;
	}
	drv_notify(v, v->txq, &v->tx_kicked);
	v->frames++;
	v->bytes += v->o->size;
	v->csum_partial += !!(h.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM);
	v->data_valid += !!(h.flags & VIRTIO_NET_HDR_F_DATA_VALID);
	/* After the notification: the check costs the next wait, not this round trip. */
	if (v->csum_checked < DRV_CSUM_CHECKS)
		drv_echo_check(v, echo, len);
}

/* rr: TX completions freed, then requests echoed and their RX buffers posted again. */
static void drv_rr_step(struct db_drv *v)
{
	struct netdrv_used u;
	unsigned int n = 0, done = 0;

	while (netdrv_take_used(v->d, v->txq, &u))
		done++;
	v->tx_done += done;
	if (done)
		drv_quiet(v, v->txq);
	while (n < DRV_BUDGET && netdrv_take_used(v->d, v->q, &u)) {
		drv_rr_one(v, &u);
		n++;
		if (netdrv_rx_post(v->d, v->o->rxbuf, 0, NETDRV_NO_KICK | NETDRV_NO_FILL) >= 0)
			v->posted++;
	}
	if (!n && !done) {
		v->polls_idle++;
		drv_relax();
		return;
	}
	if (n) {
		drv_quiet(v, v->q);
		drv_notify(v, v->q, &v->kicked);
	}
}

void db_drv_step(struct db_drv *v)
{
	if (v->o->row == DB_RX)
		drv_rx_step(v);
	else if (v->o->row == DB_TX)
		drv_tx_step(v);
	else
		drv_rr_step(v);
}

unsigned int db_drv_inflight(const struct db_drv *v)
{
	unsigned int q = v->o->row == DB_RR ? v->txq : v->q;

	return (unsigned int)(v->d->qsize - v->d->nfree[q]);
}

/*
 * Every TX slot gets the header and the frame once: a UDP datagram with a partial checksum
 * (the pseudo-header sum) and NEEDS_CSUM (§5.1.6.2), guest -> the tap's address.
 */
static int drv_tx_fill(struct db_drv *v, const uint8_t tap_mac[6])
{
	static uint8_t buf[VNET_HDR_LEN + 2048], payload[2048];
	struct netpkt_flow f = {.src_mac = {DB_GUEST_MAC},
				.src_ip = DB_GUEST_IP,
				.dst_ip = DB_HOST_IP,
				.sport = DB_GUEST_PORT,
				.dport = DB_HOST_PORT};
	struct virtio_net_hdr_v1 h = {.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
				      .gso_type = VIRTIO_NET_HDR_GSO_NONE,
				      .csum_start = NETPKT_L4_AT,
				      .csum_offset = 6};
	size_t len;

	memcpy(f.dst_mac, tap_mac, 6);
	netpkt_pattern(payload, v->o->size, 0);
	len = netpkt_udp4(buf + VNET_HDR_LEN, sizeof(buf) - VNET_HDR_LEN, &f, payload, v->o->size,
			  true);
	if (!len)
		return -EMSGSIZE;
	memcpy(buf, &h, VNET_HDR_LEN);
	v->frame_len = (uint32_t)(VNET_HDR_LEN + len);
	for (uint16_t head = 0; head < v->d->qsize; head++)
		memcpy(netdrv_slot(v->d, v->q, head), buf, v->frame_len);
	return 0;
}

int db_drv_init(struct db_drv *v, struct netdrv *d, const struct db_opts *o,
		const uint8_t tap_mac[6])
{
	*v = (struct db_drv){.o = o, .d = d};
	v->q = netdrv_q(d, o->row == DB_TX ? VNET_TXQ : VNET_RXQ);
	v->kicked = ring_avail_idx(&d->q[v->q]);
	if (o->row == DB_TX)
		return drv_tx_fill(v, tap_mac);
	if (o->row == DB_RR) { /* interrupts off on TX too; its avail index as yet unnotified */
		v->txq = netdrv_q(d, VNET_TXQ);
		v->tx_kicked = ring_avail_idx(&d->q[v->txq]);
		drv_quiet(v, v->txq);
	}
	for (unsigned int i = 0; i < d->qsize; i++) {
		if (netdrv_rx_post(d, o->rxbuf, 0, NETDRV_NO_KICK | NETDRV_NO_FILL) < 0)
			return -ENOSPC;
		v->posted++;
	}
	drv_quiet(v, v->q);
	drv_notify(v, v->q, &v->kicked);
	return 0;
}
