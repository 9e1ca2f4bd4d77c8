// SPDX-License-Identifier: MIT
// A small in-process virtio-net driver for tests: brings a struct vnet up through its virtio-mmio
// registers, as a guest would, over real guest RAM (a memfd), and moves frames through its rings.
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>
#include <linux/virtio_mmio.h>
#include <linux/virtio_ring.h>

#include "net/backends.h"
#include "tests/support/netdrv.h"

/* Guest RAM layout: rings, then one indirect table and one data slot per descriptor head. */
#define RING_BASE(q)	 (0x10000ULL + (q) * 0x10000ULL)
#define RING_DESC(q)	 RING_BASE(q)
#define RING_AVAIL(q)	 (RING_BASE(q) + 0x4000)
#define RING_USED(q)	 (RING_BASE(q) + 0x8000)
#define TABLE(q, h)	 (0x100000ULL + (q) * 0x100000ULL + (h) * 0x1000ULL)
#define SLOT(q, h)	 (0x1000000ULL + ((q) * NETDRV_QSIZE + (h)) * (uint64_t)NETDRV_SLOT)

_Static_assert(TABLE(NETDRV_NQ, 0) <= SLOT(0, 0), "tables below the slots");
_Static_assert(SLOT(NETDRV_NQ, 0) <= NETDRV_RAM, "every slot in RAM");

#define RXQ(d)	 netdrv_q(d, VNET_RXQ)
#define TXQ(d)	 netdrv_q(d, VNET_TXQ)

void netdrv_use(struct netdrv *d, unsigned int k)
{
	d->pair = k;
	d->peer_fd = d->nsock > k ? d->peer[k] : -1;
}

unsigned int netdrv_q(const struct netdrv *d, unsigned int which)
{
	return 2 * d->pair + which;
}

static void *gpa_ptr(struct netdrv *d, uint64_t gpa, uint64_t len)
{
	void *p = gmem_ptr(&d->gm, GPA(gpa), len ? len : 1);

	if (!p)
		abort();	/* a test bug: the layout above is all RAM */
	return p;
}

uint32_t netdrv_reg_read(struct netdrv *d, uint64_t off)
{
	uint32_t v;

	vmmio_read(&d->n.t, off, (uint8_t *)&v, 4);
	return v;
}

void netdrv_reg_write(struct netdrv *d, uint64_t off, uint32_t v)
{
	vmmio_write(&d->n.t, off, (const uint8_t *)&v, 4);
}

uint32_t netdrv_status(struct netdrv *d)
{
	return netdrv_reg_read(d, VIRTIO_MMIO_STATUS);
}

void netdrv_kick(struct netdrv *d, unsigned int q)
{
	netdrv_reg_write(d, VIRTIO_MMIO_QUEUE_NOTIFY, q);
}

static int drv_fail(struct netdrv *d, const char *what, uint32_t got)
{
	snprintf(d->err, sizeof(d->err), "bring-up: %s (read 0x%x)", what, got);
	return -EIO;
}

/* Forget every chain and zero the rings: what a driver does before it sets the queues up. */
static void drv_forget(struct netdrv *d)
{
	for (unsigned int q = 0; q < NETDRV_NQ; q++) {
		ring_init(&d->q[q], &d->gm, d->qsize, RING_DESC(q), RING_AVAIL(q), RING_USED(q));
		d->last_used[q] = 0;
		d->nfree[q] = d->qsize;
		for (unsigned int i = 0; i < d->qsize; i++) {
			/* A stack popped from the top: descriptor 0 goes out first. */
			d->free_desc[q][i] = d->qsize - 1 - i;
			d->chain[q][i].busy = false;
		}
	}
}

static int drv_queue(struct netdrv *d, unsigned int q)
{
	uint32_t max;

	netdrv_reg_write(d, VIRTIO_MMIO_QUEUE_SEL, q);
	max = netdrv_reg_read(d, VIRTIO_MMIO_QUEUE_NUM_MAX);
	if (max < d->qsize)
		return drv_fail(d, "QueueNumMax below the queue size", max);
	netdrv_reg_write(d, VIRTIO_MMIO_QUEUE_NUM, d->qsize);
	netdrv_reg_write(d, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)RING_DESC(q));
	netdrv_reg_write(d, VIRTIO_MMIO_QUEUE_DESC_HIGH, 0);
	netdrv_reg_write(d, VIRTIO_MMIO_QUEUE_AVAIL_LOW, (uint32_t)RING_AVAIL(q));
	netdrv_reg_write(d, VIRTIO_MMIO_QUEUE_AVAIL_HIGH, 0);
	netdrv_reg_write(d, VIRTIO_MMIO_QUEUE_USED_LOW, (uint32_t)RING_USED(q));
	netdrv_reg_write(d, VIRTIO_MMIO_QUEUE_USED_HIGH, 0);
	netdrv_reg_write(d, VIRTIO_MMIO_QUEUE_READY, 1);
	if (netdrv_reg_read(d, VIRTIO_MMIO_QUEUE_READY) != 1)
		return drv_fail(d, "QueueReady did not stick", 0);
	return 0;
}

int netdrv_up(struct netdrv *d, uint64_t want)
{
	uint32_t st;
	uint64_t f;

	netdrv_reset(d);
	drv_forget(d);
	netdrv_reg_write(d, VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	netdrv_reg_write(d, VIRTIO_MMIO_STATUS,
			 VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
	netdrv_reg_write(d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	d->offered = netdrv_reg_read(d, VIRTIO_MMIO_DEVICE_FEATURES);
	netdrv_reg_write(d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
	d->offered |= (uint64_t)netdrv_reg_read(d, VIRTIO_MMIO_DEVICE_FEATURES) << 32;
	f = (want | VIRTIO_BIT(VIRTIO_F_VERSION_1)) & d->offered;
	netdrv_reg_write(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	netdrv_reg_write(d, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)f);
	netdrv_reg_write(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	netdrv_reg_write(d, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(f >> 32));
	netdrv_reg_write(d, VIRTIO_MMIO_STATUS, 0xb);
	st = netdrv_status(d);
	if (st != 0xb)
		return drv_fail(d, "FEATURES_OK did not stick", st);
	d->features = f;
	d->pairs = 1;
	if (f & VIRTIO_BIT(VIRTIO_NET_F_MQ)) {
		uint16_t max;

		vmmio_read(&d->n.t, VIRTIO_MMIO_CONFIG + 8, (uint8_t *)&max, 2);
		if (max < 1 || max > NETDRV_PAIRS)
			return drv_fail(d, "max_virtqueue_pairs beyond what the driver lays out", max);
		d->pairs = max;
	}
	for (unsigned int q = 0; q < 2 * d->pairs; q++)
		if (drv_queue(d, q))
			return -EIO;
	/* §5.1.2: the control queue follows max_virtqueue_pairs' pairs (with MQ), else 2. */
	d->ctrlq = -1;
	if (f & VIRTIO_BIT(VIRTIO_NET_F_CTRL_VQ)) {
		d->ctrlq = (int)(2 * d->pairs);
		if (drv_queue(d, (unsigned int)d->ctrlq))
			return -EIO;
	}
	netdrv_reg_write(d, VIRTIO_MMIO_STATUS, 0xf);
	st = netdrv_status(d);
	if (st != 0xf)
		return drv_fail(d, "DRIVER_OK did not stick (or NEEDS_RESET)", st);
	return 0;
}

void netdrv_reset(struct netdrv *d)
{
	netdrv_reg_write(d, VIRTIO_MMIO_STATUS, 0);
}

void netdrv_stop(struct netdrv *d)
{
	vnet_stop(&d->n);
}

int netdrv_open(struct netdrv *d, const struct netdrv_cfg *cfg)
{
	const struct gmem_region ram = { 0, NETDRV_RAM, NULL };
	struct net_config o = cfg->opts;
	struct backend *be[NETDRV_PAIRS];
	unsigned int pairs = cfg->pairs ? MIN(cfg->pairs, (unsigned int)NETDRV_PAIRS) : 1;
	int sv[2], ret = 0;

	memset(d, 0, sizeof(*d));
	d->irq_fd = d->peer_fd = d->dev_fd = -1;
	d->ctrlq = -1;
	d->opened = true;
	d->qsize = cfg->qsize ? cfg->qsize : NETDRV_QSIZE;
	ret = gmem_init(&d->gm, &ram, 1);
	if (ret) {
		snprintf(d->err, sizeof(d->err), "gmem_init: %s", strerror(-ret));
		memset(&d->gm, 0, sizeof(d->gm));
		return ret;
	}
	d->irq_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (d->irq_fd < 0)
		return -errno;
	if (cfg->tap || cfg->tap_fd > 0) {
		o.tap = cfg->tap;
		o.fd = cfg->tap ? -1 : cfg->tap_fd;
		if (cfg->queues) {
			o.queues = cfg->queues;
			o.queues_set = true;
		}
		ret = vnet_init(&d->n, &o, &d->gm, NETDRV_BASE, NETDRV_GSI, -1, d->irq_fd, d->err,
				sizeof(d->err));
	} else {
		for (unsigned int k = 0; k < pairs && !ret; k++) {
			if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
				return -errno;
			d->dev[k] = sv[0];
			d->peer[k] = sv[1];
			d->nsock++;
			if (cfg->sock_nonblock && fcntl(sv[0], F_SETFL, O_NONBLOCK) < 0)
				return -errno;
			o.tap = NULL;
			o.fd = sv[0];
			ret = backends_open_socket(&o, sv[0], &cfg->caps, &be[k]);
			if (!ret)
				be[k]->multiqueue = pairs > 1;	/* set_queue only flips its state */
		}
		d->dev_fd = d->dev[0];
		d->peer_fd = d->peer[0];
		if (!ret)
			ret = vnet_init_backend(&d->n, &o, be, pairs, &d->gm, NETDRV_BASE, NETDRV_GSI,
						-1, d->irq_fd);
		if (ret)
			snprintf(d->err, sizeof(d->err), "vnet_init_backend: %s", strerror(-ret));
	}
	if (ret)
		return ret;
	d->n_live = true;
	if (!cfg->qsize) {
		/* As a driver does: the largest size the device takes, up to what we lay out. */
		netdrv_reg_write(d, VIRTIO_MMIO_QUEUE_SEL, VNET_RXQ);
		d->qsize = MIN(netdrv_reg_read(d, VIRTIO_MMIO_QUEUE_NUM_MAX),
			       (uint32_t)NETDRV_QSIZE);
	}
	return netdrv_up(d, cfg->want);
}

void netdrv_close(struct netdrv *d)
{
	if (!d->opened)
		return;
	if (d->n_live)
		vnet_destroy(&d->n);
	d->n_live = false;
	for (unsigned int k = 0; k < d->nsock; k++) {
		if (d->dev[k] >= 0)
			close(d->dev[k]);
		/* A test may have closed pair 0's peer itself (and set peer_fd to -1). */
		if (d->peer[k] >= 0 && (k || d->peer_fd >= 0))
			close(d->peer[k]);
	}
	d->nsock = 0;
	if (d->irq_fd >= 0)
		close(d->irq_fd);
	d->dev_fd = d->peer_fd = d->irq_fd = -1;
	if (d->gm.mapping)
		gmem_destroy(&d->gm);
	d->opened = false;
}

/* ---- chains ---- */

/* Lays out a chain of pieces (with their descriptor flags) over the head's slot; head or -1. */
static int drv_chain(struct netdrv *d, unsigned int q, const uint32_t *piece, const uint16_t *pflags,
		     unsigned int n, unsigned int flags)
{
	bool ind = flags & NETDRV_INDIRECT;
	unsigned int take = ind ? 1 : n;
	struct netdrv_chain *c;
	uint64_t off = 0;
	uint16_t head;

	if (n == 0 || n > NETDRV_MAX_PIECES || d->nfree[q] < take)
		return -1;
	head = d->free_desc[q][d->nfree[q] - 1];
	c = &d->chain[q][head];
	c->ndesc = take;
	for (unsigned int i = 0; i < take; i++)
		c->desc[i] = d->free_desc[q][--d->nfree[q]];
	for (unsigned int i = 0; i < n; i++) {
		uint16_t fl = pflags[i] | (i + 1 < n ? VRING_DESC_F_NEXT : 0);
		uint16_t next = i + 1 < n ? (ind ? i + 1 : c->desc[i + 1]) : 0;

		if (ind)
			ring_set_table_desc(&d->gm, TABLE(q, head), i, SLOT(q, head) + off, piece[i],
					    fl, next);
		else
			ring_set_desc(&d->q[q], c->desc[i], SLOT(q, head) + off, piece[i], fl, next);
		off += piece[i];
	}
	if (ind)
		ring_set_desc(&d->q[q], head, TABLE(q, head), 16 * n, VRING_DESC_F_INDIRECT, 0);
	c->len = off;
	c->busy = true;
	/* ring_add_avail stores the entry, then avail.idx: the chain is published last. */
	__atomic_thread_fence(__ATOMIC_RELEASE);
	ring_add_avail(&d->q[q], head);
	if (!(flags & NETDRV_NO_KICK))
		netdrv_kick(d, q);
	return head;
}

/* Cuts len bytes into the given piece lengths, the rest in a last piece. */
static unsigned int drv_cut(uint32_t len, const uint32_t *pieces, unsigned int npieces,
			    uint32_t *out)
{
	unsigned int n = 0;
	uint32_t left = len;

	for (unsigned int i = 0; i < npieces && n < NETDRV_MAX_PIECES; i++) {
		out[n++] = pieces[i];
		left -= MIN(left, pieces[i]);
	}
	if ((left || n == 0) && n < NETDRV_MAX_PIECES)
		out[n++] = left;
	return n;
}

int netdrv_rx_post(struct netdrv *d, uint32_t len, uint32_t piece, unsigned int flags)
{
	uint32_t pieces[NETDRV_MAX_PIECES];
	uint16_t pflags[NETDRV_MAX_PIECES];
	unsigned int n = 0;
	uint32_t left = len;

	unsigned int q = RXQ(d);

	if (len > NETDRV_SLOT || !d->nfree[q])
		return -1;
	while (piece && left > piece && n < NETDRV_MAX_PIECES - 1) {
		pieces[n++] = piece;
		left -= piece;
	}
	pieces[n++] = left;
	for (unsigned int i = 0; i < n; i++)
		pflags[i] = i == 0 && (flags & NETDRV_WRONG_DIR) ? 0 : VRING_DESC_F_WRITE;
	/* A pattern the device must overwrite, in place before the chain is published. */
	if (!(flags & NETDRV_NO_FILL))
		memset(gpa_ptr(d, SLOT(q, d->free_desc[q][d->nfree[q] - 1]), len), 0xa5, len);
	return drv_chain(d, q, pieces, pflags, n, flags);
}

void netdrv_rx_post_n(struct netdrv *d, unsigned int count, uint32_t len)
{
	for (unsigned int i = 0; i < count; i++)
		if (netdrv_rx_post(d, len, 0, NETDRV_NO_KICK) < 0)
			abort();	/* the test asked for more than the ring holds */
	netdrv_kick(d, RXQ(d));
}

int netdrv_tx_raw(struct netdrv *d, const void *bytes, uint32_t len, const uint32_t *pieces,
		  unsigned int npieces, unsigned int flags)
{
	uint32_t cut[NETDRV_MAX_PIECES];
	uint16_t pflags[NETDRV_MAX_PIECES];
	unsigned int n = drv_cut(len, pieces, npieces, cut);
	unsigned int q = TXQ(d);
	uint16_t head;

	if (len > NETDRV_SLOT || d->nfree[q] < ((flags & NETDRV_INDIRECT) ? 1 : n))
		return -1;
	head = d->free_desc[q][d->nfree[q] - 1];
	/* The bytes go in before the chain is made available (the avail.idx store publishes). */
	if (len && bytes)
		memcpy(gpa_ptr(d, SLOT(q, head), len), bytes, len);
	for (unsigned int i = 0; i < n; i++)
		pflags[i] = i == n - 1 && (flags & NETDRV_WRONG_DIR) ? VRING_DESC_F_WRITE : 0;
	return drv_chain(d, q, cut, pflags, n, flags);
}

long netdrv_ctrl_raw(struct netdrv *d, const void *out, uint32_t out_len, uint32_t in_len,
		     uint8_t *ack)
{
	uint32_t pieces[2];
	uint16_t pflags[2];
	unsigned int n = 0, q;
	struct netdrv_used u;
	int head;

	if (d->ctrlq < 0 || out_len + in_len > NETDRV_SLOT || !d->nfree[d->ctrlq])
		return -1;
	q = (unsigned int)d->ctrlq;
	head = d->free_desc[q][d->nfree[q] - 1];
	memcpy(gpa_ptr(d, SLOT(q, head), out_len + in_len), out, out_len);
	memset(gpa_ptr(d, SLOT(q, head) + out_len, in_len + 1), 0xa5, in_len + 1);
	if (out_len) {
		pieces[n] = out_len;
		pflags[n++] = 0;
	}
	if (in_len) {
		pieces[n] = in_len;
		pflags[n++] = VRING_DESC_F_WRITE;
	}
	if (drv_chain(d, q, pieces, pflags, n, 0) != head)
		return -1;
	if (!netdrv_wait_used(d, q, 1, 2000) || !netdrv_take_used(d, q, &u) || u.id != (uint32_t)head)
		return -1;
	*ack = *(uint8_t *)gpa_ptr(d, SLOT(q, head) + out_len, 1);
	return u.len;
}

int netdrv_ctrl(struct netdrv *d, uint8_t cls, uint8_t cmd, const void *data, uint32_t len)
{
	uint8_t buf[4096], ack;

	if (len + 2 > sizeof(buf))
		return -1;
	buf[0] = cls;
	buf[1] = cmd;
	if (len)
		memcpy(buf + 2, data, len);
	if (netdrv_ctrl_raw(d, buf, len + 2, 1, &ack) != 1)
		return -1;
	return ack;
}

int netdrv_tx(struct netdrv *d, const struct virtio_net_hdr_v1 *hdr, const void *frame,
	      uint32_t len, const uint32_t *pieces, unsigned int npieces, unsigned int flags)
{
	static uint8_t buf[NETDRV_SLOT];
	struct virtio_net_hdr_v1 zero = { 0 };

	if ((uint64_t)len + VNET_HDR_LEN > sizeof(buf))
		return -1;
	memcpy(buf, hdr ? hdr : &zero, VNET_HDR_LEN);
	if (len)
		memcpy(buf + VNET_HDR_LEN, frame, len);
	return netdrv_tx_raw(d, buf, len + VNET_HDR_LEN, pieces, npieces, flags);
}

/* ---- completions ---- */

uint16_t netdrv_used_pending(struct netdrv *d, unsigned int q)
{
	return (uint16_t)(ring_used_idx(&d->q[q]) - d->last_used[q]);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

bool netdrv_wait_used(struct netdrv *d, unsigned int q, unsigned int count, int timeout_ms)
{
	int64_t end = now_ms() + timeout_ms;
	uint64_t v;

	/* EVENT_IDX (§2.7.10.1): ask for the interrupt when the count-th entry lands. */
	ring_set_used_event(&d->q[q], (uint16_t)(d->last_used[q] + count - 1));
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	for (;;) {
		struct pollfd p = { .fd = d->irq_fd, .events = POLLIN };

		if (netdrv_used_pending(d, q) >= count)
			return true;
		if (now_ms() >= end)
			return false;
		if (poll(&p, 1, 5) > 0 && read(d->irq_fd, &v, sizeof(v)) < 0)
			continue;
	}
}

bool netdrv_take_used(struct netdrv *d, unsigned int q, struct netdrv_used *u)
{
	struct netdrv_chain *c;

	if (!netdrv_used_pending(d, q))
		return false;
	/* Acquire: the entry is read after the index that published it (§2.7.14). */
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	ring_used(&d->q[q], d->last_used[q]++, &u->id, &u->len);
	if (u->id >= d->qsize || !d->chain[q][u->id].busy) {
		d->bad_used++;
		return false;
	}
	c = &d->chain[q][u->id];
	for (unsigned int i = c->ndesc; i > 0; i--)
		d->free_desc[q][d->nfree[q]++] = c->desc[i - 1];
	c->busy = false;
	return true;
}

/* The device's side of queue q (pair q / 2, or the control queue). */
static const struct virtq *dev_vq(const struct netdrv *d, unsigned int q)
{
	if ((int)q == d->ctrlq)
		return &d->n.ctrlq;
	return q & 1 ? &d->n.pair[q / 2].txq : &d->n.pair[q / 2].rxq;
}

bool netdrv_wait_consumed(struct netdrv *d, unsigned int q, int timeout_ms)
{
	int64_t end = now_ms() + timeout_ms;

	/*
	 * The device's own next_avail: a real driver cannot see it (avail_event
	 * is only a hint, and a device with buffers enough leaves it behind on
	 * purpose), but this one lives in the same process.
	 */
	while (__atomic_load_n(&dev_vq(d, q)->next_avail, __ATOMIC_ACQUIRE) !=
	       ring_avail_idx(&d->q[q])) {
		if (now_ms() >= end)
			return false;
		usleep(1000);
	}
	return true;
}

void *netdrv_slot(struct netdrv *d, unsigned int q, uint16_t head)
{
	return gpa_ptr(d, SLOT(q, head), NETDRV_SLOT);
}

size_t netdrv_buf_read(struct netdrv *d, unsigned int q, uint16_t head, void *buf, size_t max)
{
	size_t n = MIN(max, (size_t)d->chain[q][head].len);

	if (n)
		memcpy(buf, gpa_ptr(d, SLOT(q, head), n), n);
	return n;
}

long netdrv_rx_recv(struct netdrv *d, struct virtio_net_hdr_v1 *hdr, void *frame, size_t max,
		    uint32_t *id, int timeout_ms)
{
	struct netdrv_used u;
	const uint8_t *p;

	if (!netdrv_wait_used(d, RXQ(d), 1, timeout_ms) || !netdrv_take_used(d, RXQ(d), &u))
		return -1;
	if (id)
		*id = u.id;
	p = gpa_ptr(d, SLOT(RXQ(d), u.id), NETDRV_SLOT);
	if (hdr)
		memcpy(hdr, p, VNET_HDR_LEN);
	if (frame && u.len > VNET_HDR_LEN)
		memcpy(frame, p + VNET_HDR_LEN, MIN(max, (size_t)u.len - VNET_HDR_LEN));
	return u.len;
}

/* ---- the fake tap's far end ---- */

int netdrv_peer_send(struct netdrv *d, const struct virtio_net_hdr_v1 *hdr, const void *frame,
		     size_t len)
{
	struct virtio_net_hdr_v1 zero = { 0 };
	struct iovec iov[2] = { { (void *)(hdr ? hdr : &zero), VNET_HDR_LEN },
				{ (void *)frame, len } };
	struct msghdr m = { .msg_iov = iov, .msg_iovlen = 2 };

	return sendmsg(d->peer_fd, &m, MSG_DONTWAIT | MSG_NOSIGNAL) < 0 ? -errno : 0;
}

ssize_t netdrv_peer_recv(struct netdrv *d, struct virtio_net_hdr_v1 *hdr, void *frame,
			 size_t max, int timeout_ms)
{
	struct virtio_net_hdr_v1 h;
	struct iovec iov[2] = { { hdr ? (void *)hdr : &h, VNET_HDR_LEN }, { frame, max } };
	struct msghdr m = { .msg_iov = iov, .msg_iovlen = frame ? 2 : 1 };
	struct pollfd p = { .fd = d->peer_fd, .events = POLLIN };
	ssize_t n;

	if (poll(&p, 1, timeout_ms) <= 0)
		return -ETIMEDOUT;
	n = recvmsg(d->peer_fd, &m, MSG_DONTWAIT | MSG_TRUNC);
	if (n < 0)
		return -errno;
	if (n < VNET_HDR_LEN)
		return -EBADMSG;
	return n - VNET_HDR_LEN;
}

unsigned int netdrv_peer_drain(struct netdrv *d, int timeout_ms)
{
	static uint8_t buf[NETDRV_SLOT];
	unsigned int n = 0;

	while (netdrv_peer_recv(d, NULL, buf, sizeof(buf), timeout_ms) >= 0)
		n++;
	return n;
}

/* ---- leak checks ---- */

static unsigned int count_dir(const char *path)
{
	DIR *dir = opendir(path);
	struct dirent *e;
	unsigned int n = 0;

	if (!dir)
		return 0;
	while ((e = readdir(dir)))
		n += e->d_name[0] != '.';
	closedir(dir);
	return n;
}

unsigned int netdrv_count_fds(void)
{
	return count_dir("/proc/self/fd");
}

unsigned int netdrv_count_threads(void)
{
	return count_dir("/proc/self/task");
}
