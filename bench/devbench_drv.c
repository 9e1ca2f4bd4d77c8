// SPDX-License-Identifier: MIT
// devbench's guest: a polling virtio-net driver over tests/support/netdrv, as the probe guest's is
// in its benchmark modes (guest-images/probe/netdrv.c): it never sleeps, posts an RX buffer again
// as soon as it takes it, keeps every TX slot in flight, keeps interrupts off (EVENT_IDX:
// used_event far ahead) and notifies only when the device asked for it (avail_event, virtio 1.2
// §2.7.10). Every step is O(1) per frame: netdrv's free descriptors are a stack, its avail ring an
// index.
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

static void drv_quiet(struct db_drv *v)
{
	struct netdrv *d = v->d;

	ring_set_used_event(&d->q[v->q], (uint16_t)(d->last_used[v->q] + DRV_USED_EVENT_FAR));
}

/*
 * §2.7.10 with EVENT_IDX: notify when the avail index went past avail_event since the last
 * decision. netdrv publishes avail.idx per chain; the full barrier orders that store before the
 * load of avail_event and pairs with the device's barrier between storing avail_event and
 * reloading avail.idx (virtq_enable_kicks): one side always sees the other's store.
 */
static void drv_notify(struct db_drv *v)
{
	struct ring *r = &v->d->q[v->q];
	uint16_t now = ring_avail_idx(r), old = v->kicked;

	if (now == old)
		return;
	v->kicked = now;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (vring_need_event(ring_avail_event(r), now, old)) {
		netdrv_kick(v->d, v->q);
		v->kicks++;
	}
}

/* The benchmark's datagram: IPv4, UDP, to the guest's address and port, of the row's size. */
static bool drv_rx_match(const struct db_drv *v, const uint8_t *f, uint32_t len)
{
	const uint8_t *ip = f + NETPKT_ETH_LEN, *udp = f + NETPKT_L4_AT;

	if (len < NETPKT_UDP_DATA || drv_get16(f + 12) != 0x0800 || ip[9] != 17)
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
	drv_quiet(v);
	drv_notify(v);
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
		drv_quiet(v);
	drv_notify(v);
}

void db_drv_step(struct db_drv *v)
{
	if (v->o->row == DB_RX)
		drv_rx_step(v);
	else
		drv_tx_step(v);
}

unsigned int db_drv_inflight(const struct db_drv *v)
{
	return (unsigned int)(v->d->qsize - v->d->nfree[v->q]);
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
	v->q = netdrv_q(d, o->row == DB_RX ? VNET_RXQ : VNET_TXQ);
	v->kicked = ring_avail_idx(&d->q[v->q]);
	if (o->row == DB_TX)
		return drv_tx_fill(v, tap_mac);
	for (unsigned int i = 0; i < d->qsize; i++) {
		if (netdrv_rx_post(d, o->rxbuf, 0, NETDRV_NO_KICK | NETDRV_NO_FILL) < 0)
			return -ENOSPC;
		v->posted++;
	}
	drv_quiet(v);
	drv_notify(v);
	return 0;
}
