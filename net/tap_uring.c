// SPDX-License-Identifier: MIT
// The tap on io_uring (DESIGN §6), the data path: one ring per queue pair, in the device's I/O
// thread. Kicks arrive by multishot poll on the queues' ioeventfds; reads and writes point
// straight into guest RAM; reads go to the kernel as one hard-linked chain at a time, writes as
// batches (linked where the tap may say EAGAIN); stopping cancels and drains everything. The
// optional io_uring features are probed once per process (tap_uring_features), each with a
// fallback, and a busy ring batches its completions.
#include <errno.h>
#include <liburing.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/log.h"
#include "base/stat.h"
#include "base/trace.h"
#include "net/tap_uring.h"

#define URING_ENTRIES	256
/*
 * Completion batching (TAP_URING_F_BATCH): a wait ends at URING_BATCH
 * completions, or batch_us (--net batch_us=) after it began once one is
 * there. Under load one wake-up, one system call and one guest interrupt
 * cover a batch. It is adaptive, like a NIC's interrupt moderation: a wait
 * batches only after a pass that found frames piling up (two reads or two
 * writes or more completed in it), so one request at a time (a ping, a
 * request and its answer) is answered at once and a stream is batched.
 */
#define URING_BATCH	32u
#ifndef IORING_FEAT_MIN_TIMEOUT
#define IORING_FEAT_MIN_TIMEOUT	(1U << 15)	/* 6.12: io_uring_getevents_arg.min_wait_usec */
#endif
#ifndef IORING_ENTER_REGISTERED_RING
#define IORING_ENTER_REGISTERED_RING	(1U << 4)
#endif

enum uring_tag { TAG_KICK_RX, TAG_KICK_TX, TAG_STOP, TAG_RX, TAG_TX, TAG_CANCEL, TAG_TX_WAIT };
/* The files a ring uses, in its file table in this order. */
enum uring_file { URING_TAP, URING_KICK_RX, URING_KICK_TX, URING_STOP, URING_FILES };
#define TAG(t, i)	(((uint64_t)(t) << 32) | (i))

/* An RX buffer lent by the device: kept for a read that must be posted again (EAGAIN). */
struct uring_rx {
	struct iovec *iov;
	unsigned int niov;	/* the guest's pieces; the spill byte is iov[niov] */
	uint32_t cap;
};

struct tap_uring {
	struct tap tap;		/* first: a struct backend, then the shared tap */
	unsigned int features;	/* TAP_URING_F_*: what this ring may use (tap_uring_features) */
	unsigned int batch_us;	/* TAP_URING_F_BATCH: the longest wait for a batch */
	bool busy;		/* the last pass completed two reads, or two writes, or more */
	bool rx_handed;		/* the last pass gave the guest a frame: it may answer at once */
	struct backend_loop loop;
	struct io_uring ring;
	unsigned int used;	/* TAP_URING_F_*: what the ring of this activation got */
	/* Each file in SQEs (enum uring_file): its registered index, or its fd. */
	int file[URING_FILES];
	uint8_t file_flags;	/* IOSQE_FIXED_FILE with the registered indexes */
	bool stopping;
	bool gone;		/* the tap was detached (EBADFD): said once */
	/*
	 * Writes may say EAGAIN (a tap with a limited send buffer, a test socket):
	 * one linked batch at a time, so a retried write cannot fall behind a later
	 * one. On a tap that is never full, writes complete in submission order and
	 * batches go out unlinked, as soon as they are made.
	 */
	bool tx_link;
	unsigned int polls;	/* armed multishot polls */
	/* RX: reads go to the kernel as one hard-linked chain at a time. */
	unsigned int rx_in_kernel, rx_queued, rx_parked;
	uint32_t rx_queue[BACKEND_RX_IDS];
	uint32_t rx_park[BACKEND_RX_IDS];	/* reads a detach failed (EBADFD), in order */
	struct uring_rx rx[BACKEND_RX_IDS];
	/*
	 * TX order: tx_queue holds frames ready for the next batch; tx_retry the
	 * ones that met EAGAIN (and the links cancelled behind them), which go first.
	 */
	unsigned int tx_in_kernel, tx_queued, tx_retries;
	bool tx_wait;		/* a retry met EAGAIN: wait for POLLOUT first */
	uint32_t tx_queue[BACKEND_TX_IDS];
	uint32_t tx_retry[BACKEND_TX_IDS];
	struct backend_tx *tx[BACKEND_TX_IDS];
	uint8_t spill;		/* one host byte past every read: catches oversize frames */
};

static struct tap_uring *uring_of(struct backend *be)
{
	return (struct tap_uring *)be;
}

/* ---- optional features ---- */

static const char *const uring_feature_names[TAP_URING_F_COUNT] = {
	"defer_taskrun", "ring_fd", "fixed_file", "batch_wait",
};

int tap_uring_disable_parse(const char *list, unsigned int *off, char *err, size_t errlen)
{
	char buf[128], *save = NULL;

	*off = 0;
	if (!list || !*list)
		return 0;
	if (strlen(list) >= sizeof(buf)) {
		snprintf(err, errlen, "%s is too long", TAP_URING_DISABLE_ENV);
		return -EINVAL;
	}
	strcpy(buf, list);
	for (char *w = strtok_r(buf, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
		unsigned int f = 0;

		if (!strcmp(w, "all"))
			f = TAP_URING_F_ALL;
		for (unsigned int i = 0; i < TAP_URING_F_COUNT && !f; i++)
			if (!strcmp(w, uring_feature_names[i]))
				f = 1u << i;
		if (!f) {
			snprintf(err, errlen, "%s: unknown io_uring feature '%s' (known: all, "
				 "defer_taskrun, ring_fd, fixed_file, batch_wait)",
				 TAP_URING_DISABLE_ENV, w);
			return -EINVAL;
		}
		*off |= f;
	}
	return 0;
}

void tap_uring_engine_name(unsigned int features, char *out, size_t len)
{
	size_t at = (size_t)snprintf(out, len, "io_uring");

	for (unsigned int i = 0; i < TAP_URING_F_COUNT && at < len; i++)
		if (features & (1u << i))
			at += (size_t)snprintf(out + at, len - at, "+%s", uring_feature_names[i]);
}

/*
 * Sets up ring with the flags *features allows, plus setup (which every kernel
 * minnow runs on has), and leaves in *features what it got (a kernel may
 * refuse some): 0 or -errno.
 */
static int uring_init(struct io_uring *ring, unsigned int *features, unsigned int setup)
{
	struct io_uring_params p = {
		/* One thread submits and reaps: completions run only when it waits (6.1). */
		.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN |
			 IORING_SETUP_COOP_TASKRUN | setup,
	};
	int ret = -EINVAL;

	if (*features & TAP_URING_F_DEFER)
		ret = io_uring_queue_init_params(URING_ENTRIES, ring, &p);
	if (ret == -EINVAL) {
		/* an older kernel, or switched off: plain flags */
		memset(&p, 0, sizeof(p));
		p.flags = setup;
		*features &= ~TAP_URING_F_DEFER;
		ret = io_uring_queue_init_params(URING_ENTRIES, ring, &p);
	}
	if (!(p.features & IORING_FEAT_MIN_TIMEOUT))
		*features &= ~TAP_URING_F_BATCH;
	return ret;
}

static unsigned int uring_probed;
static int uring_probe_ret;	/* -EINVAL: MINNOW_URING_DISABLE is wrong (uring_probe_err) */
static char uring_probe_err[160];

/*
 * What this kernel can do, less what MINNOW_URING_DISABLE switches off (a
 * test's way to take the paths an older kernel takes): tried once on a
 * scratch ring, with a scratch eventfd for the file table.
 */
static void uring_probe(void)
{
	unsigned int off, f;
	struct io_uring ring;
	int fd;

	uring_probe_ret = tap_uring_disable_parse(getenv(TAP_URING_DISABLE_ENV), &off,
						  uring_probe_err, sizeof(uring_probe_err));
	f = TAP_URING_F_ALL & ~off;
	if (uring_probe_ret || uring_init(&ring, &f, 0))
		return;	/* no ring at all: attach says why, for the ring it needs */
	if ((f & TAP_URING_F_RING_FD) && io_uring_register_ring_fd(&ring) != 1)
		f &= ~TAP_URING_F_RING_FD;
	fd = eventfd(0, EFD_CLOEXEC);	/* any file but a ring's own (the kernel refuses those) */
	if ((f & TAP_URING_F_FIXED) && (fd < 0 || io_uring_register_files(&ring, &fd, 1)))
		f &= ~TAP_URING_F_FIXED;
	if (fd >= 0)
		close(fd);
	io_uring_queue_exit(&ring);
	uring_probed = f;
}

int tap_uring_features(unsigned int *features, char *err, size_t errlen)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, uring_probe);
	if (uring_probe_ret) {
		snprintf(err, errlen, "%s", uring_probe_err);
		return uring_probe_ret;
	}
	*features = uring_probed;
	return 0;
}

static struct io_uring_sqe *uring_sqe(struct tap_uring *u)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&u->ring);

	if (!sqe) {
		/* The SQ ring is full: hand what is there to the kernel and take a fresh entry. */
		io_uring_submit(&u->ring);
		sqe = io_uring_get_sqe(&u->ring);
	}
	return sqe;
}

static void uring_arm_poll(struct tap_uring *u, enum uring_file f, enum uring_tag tag)
{
	struct io_uring_sqe *sqe = uring_sqe(u);

	if (!sqe)
		return;
	io_uring_prep_poll_multishot(sqe, u->file[f], POLLIN);
	sqe->flags |= u->file_flags;
	io_uring_sqe_set_data64(sqe, TAG(tag, 0));
	u->polls++;
}

static void uring_gone(struct tap_uring *u)
{
	if (u->gone)
		return;
	u->gone = true;
	u->loop.ev.gone(u->loop.ev.ctx);
}

/* ---- RX ---- */

static void uring_read(struct tap_uring *u, uint32_t id, bool link)
{
	struct io_uring_sqe *sqe = uring_sqe(u);
	struct uring_rx *r = &u->rx[id];

	io_uring_prep_readv(sqe, u->file[URING_TAP], r->iov, r->niov + 1, 0);
	sqe->flags |= u->file_flags;
	trace(TRACE_URING, "%s: sqe readv rx %u, %u guest pieces%s", u->loop.label, id,
	      r->niov, link ? ", hard-linked to the next" : "");
	io_uring_sqe_set_data64(sqe, TAG(TAG_RX, id));
	/*
	 * Hard link: the next read starts when this one completed, so frames
	 * complete in the order the tap gave them out. (A tap read is always
	 * "short", which would sever a plain link.)
	 */
	if (link)
		sqe->flags |= IOSQE_IO_HARDLINK;
}

static void uring_rx_post(struct backend *be, uint32_t id, struct iovec *iov, unsigned int niov,
			  uint32_t cap)
{
	struct tap_uring *u = uring_of(be);

	/* One host byte after the guest's buffers: a frame that reaches it did not fit. */
	iov[niov] = (struct iovec){ &u->spill, 1 };
	u->rx[id] = (struct uring_rx){ iov, niov, cap };
	u->rx_queue[u->rx_queued++] = id;
}

/* Hands the posted reads to the kernel as one hard-linked chain, once the previous one is done. */
static void uring_rx_flush(struct backend *be)
{
	struct tap_uring *u = uring_of(be);
	unsigned int n = u->rx_queued, p = u->rx_parked;

	/* Detached: no read starts (it would fail at once); the lent buffers wait. */
	if (!(n + p) || u->rx_in_kernel || atomic_load(&u->tap.detached))
		return;
	/* Reads a detach made fail go first again: frames still complete in the order lent. */
	for (unsigned int i = 0; i < p; i++)
		uring_read(u, u->rx_park[i], i + 1 < n + p);
	for (unsigned int i = 0; i < n; i++)
		uring_read(u, u->rx_queue[i], p + i + 1 < n + p);
	u->rx_in_kernel += n + p;
	u->rx_queued = u->rx_parked = 0;
}

static void uring_rx_done(struct tap_uring *u, uint32_t id, int res)
{
	struct uring_rx *r = &u->rx[id];
	struct net_rx_meta meta;

	if (res == -EAGAIN && !u->stopping) {
		STAT_INC(u->tap.be.stats.rx_eagain);
		uring_read(u, id, false);
		return;
	}
	u->rx_in_kernel--;
	if (u->stopping)
		return;	/* the device is resetting: it forgets the buffer */
	if ((res == -EBADFD || res == -ECANCELED) && atomic_load(&u->tap.detached)) {
		/* The queue was detached (VQ_PAIRS_SET): the buffer stays lent, unread. */
		u->rx_park[u->rx_parked++] = id;
		return;
	}
	if (res == -EBADFD)
		uring_gone(u);
	res = tap_rx_result(r->iov, r->niov, r->cap, res, &meta);
	u->loop.ev.rx_done(u->loop.ev.ctx, id, res, res >= TAP_HDR_LEN ? &meta : NULL);
}

/* ---- TX ---- */

static void uring_write(struct tap_uring *u, uint32_t id, bool link)
{
	struct io_uring_sqe *sqe = uring_sqe(u);
	struct backend_tx *p = u->tx[id];

	io_uring_prep_writev(sqe, u->file[URING_TAP], p->iov, 1 + p->niov, 0);
	sqe->flags |= u->file_flags;
	trace(TRACE_URING, "%s: sqe writev tx %u, header + %u guest pieces, %u bytes%s",
	      u->loop.label, id, p->niov, p->meta.len, link ? ", linked to the next" : "");
	io_uring_sqe_set_data64(sqe, TAG(TAG_TX, id));
	if (link && u->tx_link)
		sqe->flags |= IOSQE_IO_LINK;
}

/* Waits for the tap to take writes again before what follows (a linked POLLOUT). */
static void uring_write_wait(struct tap_uring *u)
{
	struct io_uring_sqe *sqe = uring_sqe(u);

	io_uring_prep_poll_add(sqe, u->file[URING_TAP], POLLOUT);
	io_uring_sqe_set_data64(sqe, TAG(TAG_TX_WAIT, 0));
	sqe->flags |= IOSQE_IO_LINK | u->file_flags;
}

static void uring_tx(struct backend *be, uint32_t id, struct backend_tx *pkt)
{
	struct tap_uring *u = uring_of(be);

	tap_tx_prepare(&u->tap, pkt);
	u->tx[id] = pkt;
	u->tx_queue[u->tx_queued++] = id;
}

/* The software-offloaded frame at the head of the queue, sent now (net/soft.h). */
static void uring_tx_soft(struct tap_uring *u)
{
	uint32_t id = u->tx_queue[0];
	struct backend_tx_result r;

	tap_send_soft(&u->tap, u->tx[id], &r);
	u->tx_queued--;
	memmove(u->tx_queue, u->tx_queue + 1, u->tx_queued * sizeof(u->tx_queue[0]));
	u->loop.ev.tx_done(u->loop.ev.ctx, id, &r);
}

/*
 * Hands the waiting writes to the kernel as one batch: linked, and only once
 * the previous one is done, where writes may say EAGAIN (tx_link); at once
 * otherwise. A frame finished in software is written synchronously, only
 * when nothing is ahead of it in flight (so frames keep their order), and
 * ends the batch in front of it. Returns whether it sent any such frame.
 */
static bool uring_tx_flush(struct backend *be)
{
	struct tap_uring *u = uring_of(be);
	unsigned int take = 0, total, k = 0;
	bool soft = false;

	if (u->tx_in_kernel && u->tx_link)
		return false;
	while (u->tx_queued && u->tx[u->tx_queue[0]]->soft && !u->tx_in_kernel &&
	       !u->tx_retries && !u->stopping) {
		uring_tx_soft(u);
		soft = true;
	}
	while (take < u->tx_queued && !u->tx[u->tx_queue[take]]->soft)
		take++;
	total = u->tx_retries + take;
	if (!total)
		return soft;
	if (u->tx_wait)
		uring_write_wait(u);	/* the tap said EAGAIN: wait until it takes more */
	u->tx_wait = false;
	for (unsigned int i = 0; i < u->tx_retries; i++, k++)
		uring_write(u, u->tx_retry[i], k + 1 < total);
	for (unsigned int i = 0; i < take; i++, k++)
		uring_write(u, u->tx_queue[i], k + 1 < total);
	u->tx_in_kernel += total;
	u->tx_retries = 0;
	u->tx_queued -= take;
	memmove(u->tx_queue, u->tx_queue + take, u->tx_queued * sizeof(u->tx_queue[0]));
	return soft;
}

static void uring_tx_done(struct tap_uring *u, uint32_t id, int res)
{
	struct backend_tx_result r = { .err = res < 0 ? res : 0 };	/* res: bytes, or -errno */

	u->tx_in_kernel--;
	if ((res == -EAGAIN || res == -ECANCELED) && !u->stopping) {
		/*
		 * The tap is full, or an earlier write of the linked batch failed and
		 * the kernel cancelled this one: again, in order; nothing is lost.
		 * Only a full tap is worth waiting for (a down tap never says POLLOUT).
		 */
		STAT_ADD(u->tap.be.stats.tx_eagain, res == -EAGAIN);
		u->tx_wait |= res == -EAGAIN;
		u->tx_retry[u->tx_retries++] = id;
		if (!u->tx_in_kernel)
			uring_tx_flush(&u->tap.be);
		return;
	}
	if (u->stopping)
		return;	/* the device is resetting: it forgets the frame */
	if (res == -EBADFD && !atomic_load(&u->tap.detached))
		uring_gone(u);
	u->loop.ev.tx_done(u->loop.ev.ctx, id, &r);
	if (!u->tx_in_kernel)
		u->loop.ev.tx_idle(u->loop.ev.ctx);	/* the batch is done: the next one may go */
}

/* ---- the loop ---- */

static void uring_kick(struct tap_uring *u, const struct io_uring_cqe *cqe, unsigned int q,
		       enum uring_tag tag)
{
	if (!(cqe->flags & IORING_CQE_F_MORE)) {
		/* The multishot poll ended (cancelled, or the kernel dropped it): re-arm. */
		u->polls--;
		if (cqe->res >= 0 && !u->stopping)
			uring_arm_poll(u, q == BACKEND_RXQ ? URING_KICK_RX : URING_KICK_TX, tag);
	}
	if (cqe->res < 0 || u->stopping)
		return;
	/*
	 * Every kick means "look at the ring", and the eventfd is never read: a
	 * multishot poll completes at every wake-up (a write to the eventfd),
	 * whatever its count, so the count may grow (2^64 kicks would take
	 * millennia) and a system call per kick is saved. A kick that lands while
	 * this one is handled makes another completion; none is lost.
	 */
	/* The queue may be attached again (VQ_PAIRS_SET kicks): the reads it held start. */
	if (q == BACKEND_RXQ)
		uring_rx_flush(&u->tap.be);
	u->loop.ev.kick(u->loop.ev.ctx, q);
}

/* One completion, handled: returns its tag. */
static enum uring_tag uring_cqe(struct tap_uring *u, const struct io_uring_cqe *cqe)
{
	enum uring_tag tag = cqe->user_data >> 32;
	uint32_t id = (uint32_t)cqe->user_data;
	static const char *const tags[] = {
		[TAG_KICK_RX] = "kick rx", [TAG_KICK_TX] = "kick tx", [TAG_STOP] = "stop",
		[TAG_RX] = "readv rx", [TAG_TX] = "writev tx", [TAG_CANCEL] = "cancel",
		[TAG_TX_WAIT] = "pollout",
	};

	if (tag < ARRAY_SIZE(tags))
		trace(TRACE_URING, "%s: cqe %s %u res %d%s", u->loop.label, tags[tag], id,
		      cqe->res, cqe->flags & IORING_CQE_F_MORE ? " (more)" : "");

	switch (tag) {
	case TAG_KICK_RX: uring_kick(u, cqe, BACKEND_RXQ, TAG_KICK_RX); break;
	case TAG_KICK_TX: uring_kick(u, cqe, BACKEND_TXQ, TAG_KICK_TX); break;
	case TAG_STOP:
		if (!(cqe->flags & IORING_CQE_F_MORE))
			u->polls--;
		u->stopping = true;
		break;
	case TAG_RX: uring_rx_done(u, id, cqe->res); break;
	case TAG_TX: uring_tx_done(u, id, cqe->res); break;
	default: break;
	}
	return tag;
}

/*
 * Submits what is queued and waits for one completion, or with batching (6.12)
 * as URING_BATCH says. liburing 2.3 has no call that takes min_wait_usec: the
 * SQ tail is published here as its io_uring_submit would, then one enter.
 */
static int uring_enter(struct tap_uring *u)
{
	struct io_uring_sq *sq = &u->ring.sq;
	/*
	 * pad is min_wait_usec since 6.12 (IORING_FEAT_MIN_TIMEOUT); Debian 12's
	 * header predates it. Without a timeout, a batched wait that saw nothing
	 * by then ends with ETIME at once (a loop that spins when idle): an idle
	 * ring wakes once a second instead.
	 */
	struct __kernel_timespec idle = { .tv_sec = 1 };
	struct io_uring_getevents_arg arg = { .sigmask_sz = _NSIG / 8, .pad = u->batch_us,
					      .ts = (uint64_t)(uintptr_t)&idle };
	unsigned int flags = IORING_ENTER_GETEVENTS | IORING_ENTER_EXT_ARG;
	unsigned int fd = (unsigned int)u->ring.ring_fd;
	/*
	 * Never wait for more than can complete: with one read in the kernel (a
	 * merged read of MRG_RXBUF) a batch of more would always run to batch_us.
	 */
	unsigned int want = MIN(URING_BATCH, u->rx_in_kernel + u->tx_in_kernel);

	if (!(u->used & TAP_URING_F_BATCH) || !u->busy || u->stopping || want <= 1) {
		/*
		 * A frame just went to the guest, whose answer (a kick) may follow
		 * within a microsecond or two: look once more before sleeping. One
		 * more enter costs far less than a sleep and its wake-up; it took
		 * the rr row's round trip from ~22 to ~15 us (bench/README.md).
		 */
		if (u->rx_handed && !u->stopping) {
			int ret = io_uring_submit_and_get_events(&u->ring);

			if (ret < 0 || io_uring_cq_ready(&u->ring))
				return ret;
		}
		return io_uring_submit_and_wait(&u->ring, 1);
	}
	if (sq->sqe_head != sq->sqe_tail) {
		sq->sqe_head = sq->sqe_tail;
		io_uring_smp_store_release(sq->ktail, sq->sqe_tail);
	}
	if (u->used & TAP_URING_F_RING_FD) {
		fd = (unsigned int)u->ring.enter_ring_fd;
		flags |= IORING_ENTER_REGISTERED_RING;
	}
	return io_uring_enter2(fd, *sq->ktail - io_uring_smp_load_acquire(sq->khead), want, flags,
			       (sigset_t *)&arg, sizeof(arg));
}

/* Waits for at least one completion and handles all that are there: 0 or -errno. */
static int uring_step(struct tap_uring *u)
{
	struct io_uring_cqe *cqe;
	unsigned int head, count = 0, rx = 0, tx = 0;
	int ret;

	ret = uring_enter(u);
	if (ret < 0 && ret != -EINTR && ret != -EAGAIN && ret != -EBUSY && ret != -ETIME)
		return ret;
	io_uring_for_each_cqe(&u->ring, head, cqe) {
		enum uring_tag tag = uring_cqe(u, cqe);

		rx += tag == TAG_RX;
		tx += tag == TAG_TX;
		count++;
	}
	io_uring_cq_advance(&u->ring, count);
	u->busy = rx >= 2 || tx >= 2;
	u->rx_handed = rx > 0;
	return 0;
}

static int uring_run(struct backend *be)
{
	struct tap_uring *u = uring_of(be);
	const struct backend_events *ev = &u->loop.ev;
	struct io_uring_sqe *sqe;
	int ret = 0;

	uring_arm_poll(u, URING_KICK_RX, TAG_KICK_RX);
	uring_arm_poll(u, URING_KICK_TX, TAG_KICK_TX);
	uring_arm_poll(u, URING_STOP, TAG_STOP);
	ev->kick(ev->ctx, BACKEND_RXQ);
	ev->kick(ev->ctx, BACKEND_TXQ);
	ev->batch(ev->ctx);
	while (!u->stopping && !(ret = uring_step(u)))
		ev->batch(ev->ctx);
	if (ret)
		log_err("tap '%s': io_uring failed: %s", u->tap.name, strerror(-ret));
	/*
	 * Stop: cancel every read, write and poll, and wait until the kernel let
	 * go of them all. Cancelling the head of a hard-linked chain starts the
	 * next link, so cancel again until nothing is left.
	 */
	u->stopping = true;
	while (u->rx_in_kernel || u->tx_in_kernel || u->polls) {
		sqe = uring_sqe(u);
		io_uring_prep_cancel64(sqe, 0, IORING_ASYNC_CANCEL_ANY);
		sqe->flags |= u->file_flags;	/* the restrictions require it of every SQE */
		io_uring_sqe_set_data64(sqe, TAG(TAG_CANCEL, 0));
		if (uring_step(u))
			break;
	}
	return ret;
}

/*
 * The ring was made disabled: before it is enabled, it may only ever carry
 * the operations the data path uses, with the SQE flags it sets, on the
 * registered files when it has them; and of io_uring_register only what
 * teardown needs. Anything else is refused with EACCES (5.10).
 */
static int uring_restrict(struct io_uring *ring, uint8_t required)
{
	static const uint8_t ops[] = { IORING_OP_READV, IORING_OP_WRITEV, IORING_OP_POLL_ADD,
				       IORING_OP_ASYNC_CANCEL };
	static const uint8_t regs[] = { IORING_UNREGISTER_FILES, IORING_UNREGISTER_RING_FDS };
	struct io_uring_restriction r[8] = { 0 };
	unsigned int n = 0;

	for (unsigned int i = 0; i < sizeof(ops); i++)
		r[n++] = (struct io_uring_restriction){ .opcode = IORING_RESTRICTION_SQE_OP,
							.sqe_op = ops[i] };
	r[n++] = (struct io_uring_restriction){
		.opcode = IORING_RESTRICTION_SQE_FLAGS_ALLOWED,
		.sqe_flags = IOSQE_FIXED_FILE | IOSQE_IO_LINK | IOSQE_IO_HARDLINK };
	r[n++] = (struct io_uring_restriction){ .opcode = IORING_RESTRICTION_SQE_FLAGS_REQUIRED,
						.sqe_flags = required };
	for (unsigned int i = 0; i < sizeof(regs); i++)
		r[n++] = (struct io_uring_restriction){ .opcode = IORING_RESTRICTION_REGISTER_OP,
							.register_op = regs[i] };
	/* Debian 12's liburing 2.3 declares these two calls' helpers but does not export them. */
	if (syscall(__NR_io_uring_register, ring->ring_fd, IORING_REGISTER_RESTRICTIONS, r, n) ||
	    syscall(__NR_io_uring_register, ring->ring_fd, IORING_REGISTER_ENABLE_RINGS, NULL, 0))
		return -errno;
	return 0;
}

static int uring_attach(struct backend *be, const struct backend_loop *loop)
{
	struct tap_uring *u = uring_of(be);
	int ret;

	/* Everything after the features is the I/O thread's, fresh at every activation. */
	memset(&u->loop, 0, sizeof(*u) - offsetof(struct tap_uring, loop));
	u->loop = *loop;
	u->tx_link = !u->tap.never_full;
	tap_attach(&u->tap, loop);
	u->used = u->features;
	/* Disabled until uring_restrict has said what it may ever do (5.10). */
	ret = uring_init(&u->ring, &u->used, IORING_SETUP_R_DISABLED);
	if (ret) {
		log_err("tap '%s': cannot set up io_uring: %s", u->tap.name, strerror(-ret));
		return ret;
	}
	/* The ring's own fd, registered: io_uring_enter skips looking it up (5.18). */
	if ((u->used & TAP_URING_F_RING_FD) && io_uring_register_ring_fd(&u->ring) != 1)
		u->used &= ~TAP_URING_F_RING_FD;
	/*
	 * The tap and the eventfds in the ring's file table: no fd lookup per read
	 * and write (5.1), and the restrictions can require that no SQE names any
	 * other file.
	 */
	u->file[URING_TAP] = u->tap.fd;
	u->file[URING_KICK_RX] = loop->kick_fd[BACKEND_RXQ];
	u->file[URING_KICK_TX] = loop->kick_fd[BACKEND_TXQ];
	u->file[URING_STOP] = loop->stop_fd;
	if ((u->used & TAP_URING_F_FIXED) && !io_uring_register_files(&u->ring, u->file, URING_FILES)) {
		for (unsigned int i = 0; i < URING_FILES; i++)
			u->file[i] = (int)i;
		u->file_flags = IOSQE_FIXED_FILE;
	} else {
		u->used &= ~TAP_URING_F_FIXED;
	}
	ret = uring_restrict(&u->ring, u->file_flags);
	if (ret)
		log_err("tap '%s': cannot restrict io_uring: %s", u->tap.name, strerror(-ret));
	return ret;
}

static void uring_detach(struct backend *be)
{
	struct tap_uring *u = uring_of(be);

	/*
	 * The file table first: a ring is torn down in the background, and the
	 * tap's reference in its table would keep the tap attached (busy) after
	 * tap_close, for whoever opens it next.
	 */
	if (u->used & TAP_URING_F_FIXED)
		io_uring_unregister_files(&u->ring);
	io_uring_queue_exit(&u->ring);
}

struct io_uring *tap_uring_ring(struct backend *be)
{
	return &uring_of(be)->ring;
}

static void uring_close(struct backend *be)
{
	tap_close(&uring_of(be)->tap);
	free(uring_of(be));
}

static const struct backend_ops tap_uring_ops = {
	.attach = uring_attach,
	.run = uring_run,
	.detach = uring_detach,
	.rx_post = uring_rx_post,
	.rx_flush = uring_rx_flush,
	.tx = uring_tx,
	.tx_flush = uring_tx_flush,
	.set_rx_offloads = tap_set_rx_offloads,
	.set_queue = tap_set_queue,
	.close = uring_close,
};

struct tap *tap_uring_new(unsigned int features, unsigned int batch_us)
{
	struct tap_uring *u = calloc(1, sizeof(*u));

	if (!u)
		return NULL;
	u->tap.be.ops = &tap_uring_ops;
	u->features = batch_us ? features : features & ~TAP_URING_F_BATCH;
	u->batch_us = batch_us;
	tap_uring_engine_name(u->features, u->tap.be.engine, sizeof(u->tap.be.engine));
	return &u->tap;
}

bool tap_uring_linked(const struct backend *be)
{
	return be->ops == &tap_uring_ops && ((const struct tap_uring *)be)->tx_link;
}
