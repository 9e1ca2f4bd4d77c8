// SPDX-License-Identifier: MIT
// The tap on readv/writev and poll() (io=sync), a baseline for benchmarks: the device's buffers
// and frames wait in two FIFOs, and each pass runs them in order until the tap would block.
// Frames finished in software go out in their place in the TX FIFO.
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "net/tap_sync.h"

/* Ids waiting for a readv or writev, in the order the device lent them. */
struct sync_fifo {
	unsigned int first, count;
	uint32_t id[BACKEND_TX_IDS];	/* the larger of BACKEND_RX_IDS and BACKEND_TX_IDS */
};

struct tap_sync {
	struct tap tap;		/* first: a struct backend, then the shared tap */
	struct backend_loop loop;
	bool stopping;
	bool gone;		/* the tap was detached (EBADFD): said once, and no longer polled */
	struct sync_fifo rxf, txf;
	struct {
		struct iovec *iov;
		unsigned int niov;	/* the guest's pieces; the spill byte is iov[niov] */
		uint32_t cap;
	} rx[BACKEND_RX_IDS];
	struct backend_tx *tx[BACKEND_TX_IDS];
	uint8_t spill;		/* one host byte past every read: catches oversize frames */
};

_Static_assert(BACKEND_TX_IDS >= BACKEND_RX_IDS, "sync_fifo holds either queue's ids");

static struct tap_sync *sync_of(struct backend *be)
{
	return (struct tap_sync *)be;
}

static void sync_push(struct sync_fifo *f, uint32_t id)
{
	f->id[(f->first + f->count++) % ARRAY_SIZE(f->id)] = id;
}

static void sync_pop(struct sync_fifo *f)
{
	f->first = (f->first + 1) % ARRAY_SIZE(f->id);
	f->count--;
}

static void sync_gone(struct tap_sync *s, int res)
{
	/* A queue detached on purpose (VQ_PAIRS_SET) says EBADFD too: not gone. */
	if (res != -EBADFD || s->gone || atomic_load(&s->tap.detached))
		return;
	s->gone = true;
	s->loop.ev.gone(s->loop.ev.ctx);
}

static void sync_rx_post(struct backend *be, uint32_t id, struct iovec *iov, unsigned int niov,
			 uint32_t cap)
{
	struct tap_sync *s = sync_of(be);

	/* One host byte after the guest's buffers: a frame that reaches it did not fit. */
	iov[niov] = (struct iovec){ &s->spill, 1 };
	s->rx[id].iov = iov;
	s->rx[id].niov = niov;
	s->rx[id].cap = cap;
	sync_push(&s->rxf, id);
}

/* Reads are queued as they are posted: there is no batch to hand over. */
static void sync_rx_flush(struct backend *be __unused)
{
}

static void sync_tx(struct backend *be, uint32_t id, struct backend_tx *pkt)
{
	struct tap_sync *s = sync_of(be);

	tap_tx_prepare(&s->tap, pkt);
	s->tx[id] = pkt;
	sync_push(&s->txf, id);
}

/* Writes are queued as they are given: nothing completes here. */
static bool sync_tx_flush(struct backend *be __unused)
{
	return false;
}

/* Reads into the queued buffers until the tap is empty; returns how many completed. */
static unsigned int sync_rx_pass(struct tap_sync *s)
{
	unsigned int done = 0;

	/* Detached (VQ_PAIRS_SET): nothing is read; the lent buffers wait, in order. */
	while (s->rxf.count && !s->stopping && !atomic_load(&s->tap.detached)) {
		uint32_t id = s->rxf.id[s->rxf.first];
		struct net_rx_meta meta;
		ssize_t n = readv(s->tap.fd, s->rx[id].iov, s->rx[id].niov + 1);
		int res = n < 0 ? -errno : (int)n;

		if (res == -EAGAIN || res == -EINTR ||
		    (res == -EBADFD && atomic_load(&s->tap.detached)))
			break;
		sync_pop(&s->rxf);
		done++;
		sync_gone(s, res);
		res = tap_rx_result(s->rx[id].iov, s->rx[id].niov, s->rx[id].cap, res, &meta);
		s->loop.ev.rx_done(s->loop.ev.ctx, id, res, res >= TAP_HDR_LEN ? &meta : NULL);
	}
	return done;
}

/* Writes the queued frames in order until the tap is full; returns how many completed. */
static unsigned int sync_tx_pass(struct tap_sync *s)
{
	unsigned int done = 0;

	while (s->txf.count && !s->stopping) {
		uint32_t id = s->txf.id[s->txf.first];
		struct backend_tx *p = s->tx[id];
		struct backend_tx_result r = { 0 };

		if (p->soft) {
			tap_send_soft(&s->tap, p, &r);
		} else if (writev(s->tap.fd, p->iov, 1 + p->niov) < 0) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			r.err = -errno;
		}
		sync_pop(&s->txf);
		done++;
		sync_gone(s, r.err);
		s->loop.ev.tx_done(s->loop.ev.ctx, id, &r);
		if (!s->txf.count)
			s->loop.ev.tx_idle(s->loop.ev.ctx);	/* all written: the next batch may go */
	}
	return done;
}

static void sync_kick(struct tap_sync *s, unsigned int q)
{
	uint64_t v;

	/* One read clears the eventfd's count (EAGAIN: nothing to clear); a kick: "look at the ring". */
	if (read(s->loop.kick_fd[q], &v, sizeof(v)) < 0)
		v = 0;
	s->loop.ev.kick(s->loop.ev.ctx, q);
}

static int sync_run(struct backend *be)
{
	struct tap_sync *s = sync_of(be);
	const struct backend_events *ev = &s->loop.ev;

	ev->kick(ev->ctx, BACKEND_RXQ);
	ev->kick(ev->ctx, BACKEND_TXQ);
	while (!s->stopping) {
		struct pollfd p[4] = {
			{ .fd = s->loop.kick_fd[BACKEND_RXQ], .events = POLLIN },
			{ .fd = s->loop.kick_fd[BACKEND_TXQ], .events = POLLIN },
			{ .fd = s->loop.stop_fd, .events = POLLIN },
			{ .fd = -1 },	/* the tap, only when a request waits on it */
		};

		while (sync_tx_pass(s) + sync_rx_pass(s))
			;
		ev->batch(ev->ctx);
		p[3].events = (s->rxf.count && !atomic_load(&s->tap.detached) ? POLLIN : 0) |
			      (s->txf.count ? POLLOUT : 0);
		/* A detached tap reports POLLERR for ever: poll it only when we want something. */
		p[3].fd = p[3].events && !s->gone ? s->tap.fd : -1;
		if (poll(p, 4, -1) < 0 && errno != EINTR)
			return -errno;
		if (p[2].revents)
			s->stopping = true;
		if (p[0].revents && !s->stopping)
			sync_kick(s, BACKEND_RXQ);
		if (p[1].revents && !s->stopping)
			sync_kick(s, BACKEND_TXQ);
	}
	/* Nothing is in the kernel's hands: what is queued is simply forgotten. */
	return 0;
}

static int sync_attach(struct backend *be, const struct backend_loop *loop)
{
	struct tap_sync *s = sync_of(be);

	/* Everything after the tap is the I/O thread's, fresh at every activation. */
	memset((uint8_t *)s + sizeof(s->tap), 0, sizeof(*s) - sizeof(s->tap));
	s->loop = *loop;
	tap_attach(&s->tap, loop);
	return 0;
}

/* Nothing was set up for the thread. */
static void sync_detach(struct backend *be __unused)
{
}

static void sync_close(struct backend *be)
{
	tap_close(&sync_of(be)->tap);
	free(sync_of(be));
}

static const struct backend_ops tap_sync_ops = {
	.attach = sync_attach,
	.run = sync_run,
	.detach = sync_detach,
	.rx_post = sync_rx_post,
	.rx_flush = sync_rx_flush,
	.tx = sync_tx,
	.tx_flush = sync_tx_flush,
	.set_rx_offloads = tap_set_rx_offloads,
	.set_queue = tap_set_queue,
	.close = sync_close,
};

struct tap *tap_sync_new(void)
{
	struct tap_sync *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->tap.be.ops = &tap_sync_ops;
	snprintf(s->tap.be.engine, sizeof(s->tap.be.engine), "readv");
	return &s->tap;
}
