// SPDX-License-Identifier: MIT
// virtio-net's I/O thread (DESIGN §6): one io_uring loop per queue pair. Kicks arrive by multishot
// poll on the queues' ioeventfds; RX reads and TX writes point straight into guest RAM; a used
// entry is written only after its I/O completed; interrupts are coalesced per batch; reset
// cancels and drains everything in flight. io=sync runs the same packet code over plain
// readv/writev, as a benchmark baseline only.
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "base/trace.h"
#include "devices/virtio/vnet_io.h"

enum io_tag { TAG_KICK_RX, TAG_KICK_TX, TAG_STOP, TAG_RX, TAG_TX, TAG_CANCEL, TAG_TX_WAIT };
#define TAG(t, i)	(((uint64_t)(t) << 32) | (i))

static struct io_uring_sqe *io_sqe(struct vnet_io *io)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&io->ring);

	if (!sqe) {
		/* The SQ ring is full: hand what is there to the kernel and take a fresh entry. */
		STAT_INC(io->n->stats.uring_submits);
		io_uring_submit(&io->ring);
		sqe = io_uring_get_sqe(&io->ring);
	}
	return sqe;
}

static void io_arm_poll(struct vnet_io *io, int fd, enum io_tag tag)
{
	struct io_uring_sqe *sqe = io_sqe(io);

	if (!sqe)
		return;
	io_uring_prep_poll_multishot(sqe, fd, POLLIN);
	io_uring_sqe_set_data64(sqe, TAG(tag, 0));
	io->polls++;
}

/* Copies up to len bytes starting off bytes into the iovecs; returns how many were copied. */
size_t vnet_io_copy_out(void *dst, const struct iovec *iov, unsigned int n, size_t off, size_t len)
{
	size_t done = 0;

	for (unsigned int i = 0; i < n && done < len; i++) {
		size_t l = iov[i].iov_len;

		if (off >= l) {
			off -= l;
			continue;
		}
		l = MIN(l - off, len - done);
		memcpy((uint8_t *)dst + done, (uint8_t *)iov[i].iov_base + off, l);
		done += l;
		off = 0;
	}
	return done;
}

size_t vnet_io_copy_in(const struct iovec *iov, unsigned int n, const void *src, size_t len)
{
	size_t done = 0;

	for (unsigned int i = 0; i < n && done < len; i++) {
		size_t l = MIN(iov[i].iov_len, len - done);

		memcpy(iov[i].iov_base, (const uint8_t *)src + done, l);
		done += l;
	}
	return done;
}

/* The iovecs of bytes [skip, ...) of src, into dst (at most max); false if more are needed. */
bool vnet_io_skip(const struct iovec *src, unsigned int n, size_t skip, struct iovec *dst,
		  unsigned int max, unsigned int *out_n)
{
	unsigned int k = 0;

	for (unsigned int i = 0; i < n; i++) {
		if (skip >= src[i].iov_len) {
			skip -= src[i].iov_len;
			continue;
		}
		if (k == max)
			return false;
		dst[k].iov_base = (uint8_t *)src[i].iov_base + skip;
		dst[k].iov_len = src[i].iov_len - skip;
		skip = 0;
		k++;
	}
	*out_n = k;
	return true;
}

static void sync_push(struct sync_fifo *f, uint32_t index)
{
	f->index[(f->first + f->count++) % ARRAY_SIZE(f->index)] = index;
}

void vnet_io_submit_rx(struct vnet_io *io, struct iovec *iov, unsigned int niov,
		       unsigned int index, bool link)
{
	struct io_uring_sqe *sqe;

	/* One host byte after the guest's buffers: a frame that reaches it did not fit. */
	iov[niov] = (struct iovec){ &io->spill, 1 };
	if (io->sync) {
		sync_push(&io->sync_rx, index);
		return;
	}
	sqe = io_sqe(io);
	io_uring_prep_readv(sqe, io->tap_fd, iov, niov + 1, 0);
	trace(TRACE_URING, "%s: sqe readv rx %u, %u guest pieces%s", io->n->t.name, index, niov,
	      link ? ", hard-linked to the next" : "");
	io_uring_sqe_set_data64(sqe, TAG(TAG_RX, index));
	/*
	 * Hard link: the next read starts when this one completed, so frames
	 * complete in the order the tap gave them out. (A tap read is always
	 * "short", which would sever a plain link.)
	 */
	if (link)
		sqe->flags |= IOSQE_IO_HARDLINK;
}

void vnet_io_submit_tx(struct vnet_io *io, struct tx_req *r, unsigned int index, bool link)
{
	struct io_uring_sqe *sqe;

	if (io->sync) {
		sync_push(&io->sync_tx, index);
		return;
	}
	sqe = io_sqe(io);
	io_uring_prep_writev(sqe, io->tap_fd, r->iov, 1 + r->niov, 0);
	trace(TRACE_URING, "%s: sqe writev tx %u, header + %u guest pieces, %u bytes%s",
	      io->n->t.name, index, r->niov, r->frame_len, link ? ", linked to the next" : "");
	io_uring_sqe_set_data64(sqe, TAG(TAG_TX, index));
	if (link && io->tx_link)
		sqe->flags |= IOSQE_IO_LINK;
}

void vnet_io_submit_tx_wait(struct vnet_io *io)
{
	struct io_uring_sqe *sqe;

	if (io->sync)
		return;
	sqe = io_sqe(io);
	io_uring_prep_poll_add(sqe, io->tap_fd, POLLOUT);
	io_uring_sqe_set_data64(sqe, TAG(TAG_TX_WAIT, 0));
	sqe->flags |= IOSQE_IO_LINK;
}

void vnet_io_tap_gone(struct vnet_io *io)
{
	if (io->tap_gone)
		return;
	io->tap_gone = true;
	/* A host problem the guest cannot fix by itself; a reset re-checks the tap (DESIGN §5). */
	log_err("%s: tap '%s' is gone; the device needs a reset", io->n->t.name, io->n->tap.name);
	vmmio_set_needs_reset(&io->n->t);
}

/* ---- the loop ---- */

static void io_kick(struct vnet_io *io, const struct io_uring_cqe *cqe, int fd, enum io_tag tag)
{
	uint64_t v;

	if (!(cqe->flags & IORING_CQE_F_MORE)) {
		/* The multishot poll ended (cancelled, or the kernel dropped it): re-arm. */
		io->polls--;
		if (cqe->res >= 0 && !io->stopping)
			io_arm_poll(io, fd, tag);
	}
	if (cqe->res < 0 || io->stopping)
		return;
	while (read(fd, &v, sizeof(v)) > 0)
		;	/* clear the eventfd; every kick means "look at the ring" */
	if (tag == TAG_KICK_RX)
		vnet_rx_fill(io);
	else
		vnet_tx_drain(io);
}

static void io_cqe(struct vnet_io *io, const struct io_uring_cqe *cqe)
{
	enum io_tag tag = cqe->user_data >> 32;
	unsigned int index = (uint32_t)cqe->user_data;
	static const char *const tags[] = {
		[TAG_KICK_RX] = "kick rx", [TAG_KICK_TX] = "kick tx", [TAG_STOP] = "stop",
		[TAG_RX] = "readv rx", [TAG_TX] = "writev tx", [TAG_CANCEL] = "cancel",
		[TAG_TX_WAIT] = "pollout",
	};

	if (tag < ARRAY_SIZE(tags))
		trace(TRACE_URING, "%s: cqe %s %u res %d%s", io->n->t.name, tags[tag], index,
		      cqe->res, cqe->flags & IORING_CQE_F_MORE ? " (more)" : "");

	switch (tag) {
	case TAG_KICK_RX: io_kick(io, cqe, io->kick_fd[VNET_RXQ], TAG_KICK_RX); break;
	case TAG_KICK_TX: io_kick(io, cqe, io->kick_fd[VNET_TXQ], TAG_KICK_TX); break;
	case TAG_STOP:
		if (!(cqe->flags & IORING_CQE_F_MORE))
			io->polls--;
		io->stopping = true;
		break;
	case TAG_RX: vnet_rx_done(io, index, cqe->res); break;
	case TAG_TX: vnet_tx_done(io, index, cqe->res); break;
	default: break;
	}
}

/* One interrupt per batch, when either queue's driver wants one (§2.7.10). */
static void io_notify(struct vnet_io *io)
{
	struct vnet *n = io->n;
	bool need = false;

	if (io->rx_pushed) {
		io->rx_pushed = false;
		need |= virtq_should_notify(&n->rxq);
	}
	if (io->tx_pushed) {
		io->tx_pushed = false;
		need |= virtq_should_notify(&n->txq);
	}
	if (need) {
		STAT_INC(n->stats.interrupts);
		vmmio_interrupt(&n->t, VIRTIO_MMIO_INT_VRING);
	}
}

/* Waits for at least one completion and handles all that are there. */
static int io_step(struct vnet_io *io)
{
	struct io_uring_cqe *cqe;
	unsigned int head, count = 0;
	int ret;

	STAT_INC(io->n->stats.uring_submits);
	ret = io_uring_submit_and_wait(&io->ring, 1);
	if (ret < 0 && ret != -EINTR && ret != -EAGAIN && ret != -EBUSY)
		return ret;
	io_uring_for_each_cqe(&io->ring, head, cqe) {
		io_cqe(io, cqe);
		count++;
	}
	io_uring_cq_advance(&io->ring, count);
	return 0;
}

static void io_run(struct vnet_io *io)
{
	struct vnet *n = io->n;
	struct io_uring_sqe *sqe;
	int ret = 0;

	io_arm_poll(io, io->kick_fd[VNET_RXQ], TAG_KICK_RX);
	io_arm_poll(io, io->kick_fd[VNET_TXQ], TAG_KICK_TX);
	io_arm_poll(io, n->stop_fd, TAG_STOP);
	vnet_rx_fill(io);
	vnet_tx_drain(io);
	io_notify(io);
	while (!io->stopping && !(ret = io_step(io)))
		io_notify(io);
	if (ret) {
		log_err("%s: io_uring failed: %s; the device needs a reset", n->t.name, strerror(-ret));
		vmmio_set_needs_reset(&n->t);
	}
	/*
	 * Reset: cancel every read, write and poll, and wait until the kernel let
	 * go of them all. Cancelling the head of a hard-linked chain starts the
	 * next link, so cancel again until nothing is left.
	 */
	io->stopping = true;
	while (io->rx_in_kernel || io->tx_in_kernel || io->polls) {
		sqe = io_sqe(io);
		io_uring_prep_cancel64(sqe, 0, IORING_ASYNC_CANCEL_ANY);
		io_uring_sqe_set_data64(sqe, TAG(TAG_CANCEL, 0));
		if (io_step(io))
			break;
	}
}

/* ---- io=sync: the same packets over readv/writev and poll(), a baseline for benchmarks ---- */

/* Runs queued requests in order until the tap would block; returns how many completed. */
static unsigned int sync_pass(struct vnet_io *io, bool rx)
{
	struct sync_fifo *f = rx ? &io->sync_rx : &io->sync_tx;
	unsigned int done = 0;

	while (f->count && !io->stopping) {
		uint32_t index = f->index[f->first];
		ssize_t n;

		if (rx) {
			/* niov + 1: the spill byte vnet_io_submit_rx put there. */
			n = index == MRG_INDEX ? readv(io->tap_fd, io->mrg_iov, io->mrg_niov + 1) :
				readv(io->tap_fd, io->rx[index].iov, io->rx[index].niov + 1);
		} else {
			n = writev(io->tap_fd, io->tx[index].iov, 1 + io->tx[index].niov);
		}
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			break;
		f->first = (f->first + 1) % ARRAY_SIZE(f->index);
		f->count--;
		done++;
		if (rx)
			vnet_rx_done(io, index, n < 0 ? -errno : (int)n);
		else
			vnet_tx_done(io, index, n < 0 ? -errno : (int)n);
	}
	return done;
}

static void sync_kick(struct vnet_io *io, int fd, bool rx)
{
	uint64_t v;

	while (read(fd, &v, sizeof(v)) > 0)
		;
	if (rx)
		vnet_rx_fill(io);
	else
		vnet_tx_drain(io);
}

static void sync_run(struct vnet_io *io)
{
	struct vnet *n = io->n;

	vnet_rx_fill(io);
	vnet_tx_drain(io);
	while (!io->stopping) {
		struct pollfd p[4] = {
			{ .fd = io->kick_fd[VNET_RXQ], .events = POLLIN },
			{ .fd = io->kick_fd[VNET_TXQ], .events = POLLIN },
			{ .fd = n->stop_fd, .events = POLLIN },
			{ .fd = -1 },	/* the tap, only when a request waits on it */
		};

		while (sync_pass(io, false) + sync_pass(io, true))
			;
		io_notify(io);
		p[3].events = (io->sync_rx.count ? POLLIN : 0) | (io->sync_tx.count ? POLLOUT : 0);
		/* A detached tap reports POLLERR for ever: poll it only when we want something. */
		p[3].fd = p[3].events && !io->tap_gone ? io->tap_fd : -1;
		if (poll(p, 4, -1) < 0 && errno != EINTR)
			break;
		if (p[2].revents)
			io->stopping = true;
		if (p[0].revents)
			sync_kick(io, io->kick_fd[VNET_RXQ], true);
		if (p[1].revents)
			sync_kick(io, io->kick_fd[VNET_TXQ], false);
	}
	/* Nothing is in the kernel's hands: queued requests are simply forgotten. */
	io->stopping = true;
	io->rx_busy = io->tx_busy = io->tx_in_kernel = io->rx_in_kernel = 0;
}

static void *io_thread(void *arg)
{
	struct vnet_io *io = arg;
	int ret;
	struct io_uring_params p = {
		/* One thread submits and reaps: completions run when it waits (liburing 2.3). */
		.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN |
			 IORING_SETUP_COOP_TASKRUN,
	};

	if (io->sync) {
		pthread_mutex_lock(&io->lock);
		io->init_done = true;
		pthread_cond_signal(&io->cond);
		pthread_mutex_unlock(&io->lock);
		sync_run(io);
		return NULL;
	}
	ret = io_uring_queue_init_params(IO_ENTRIES, &io->ring, &p);
	if (ret == -EINVAL) {
		memset(&p, 0, sizeof(p));	/* an older kernel: plain flags */
		ret = io_uring_queue_init_params(IO_ENTRIES, &io->ring, &p);
	}
	pthread_mutex_lock(&io->lock);
	io->init_result = ret;
	io->init_done = true;
	pthread_cond_signal(&io->cond);
	pthread_mutex_unlock(&io->lock);
	if (ret)
		return NULL;
	io_run(io);
	io_uring_queue_exit(&io->ring);
	return NULL;
}

int vnet_io_start(struct vnet *n)
{
	struct vnet_io *io = calloc(1, sizeof(*io));
	uint64_t gso = VIRTIO_BIT(VIRTIO_NET_F_GUEST_TSO4) | VIRTIO_BIT(VIRTIO_NET_F_GUEST_TSO6) |
		       VIRTIO_BIT(VIRTIO_NET_F_GUEST_USO4);
	uint64_t v;
	int ret;

	if (!io)
		return -ENOMEM;
	io->n = n;
	io->tap_fd = n->tap.fd;
	io->kick_fd[VNET_RXQ] = n->t.queues[VNET_RXQ].kick_fd;
	io->kick_fd[VNET_TXQ] = n->t.queues[VNET_TXQ].kick_fd;
	/* §5.1.6.3.1: 65562 bytes with guest GSO; else a tagged frame of MTU plus the header. */
	io->rx_need = VNET_HDR_LEN + ((n->negotiated & gso) ? VNET_MAX_FRAME : 18u + n->mtu);
	io->mrg = n->negotiated & VIRTIO_BIT(VIRTIO_NET_F_MRG_RXBUF);
	io->sync = n->opts.io_sync;
	io->tx_link = !n->tap.never_full;
	pthread_mutex_init(&io->lock, NULL);
	pthread_cond_init(&io->cond, NULL);
	while (read(n->stop_fd, &v, sizeof(v)) > 0)
		;	/* a stop left from an earlier reset */
	ret = -pthread_create(&n->thread, NULL, io_thread, io);
	if (!ret) {
		pthread_mutex_lock(&io->lock);
		while (!io->init_done)
			pthread_cond_wait(&io->cond, &io->lock);
		ret = io->init_result;
		pthread_mutex_unlock(&io->lock);
		if (ret) {
			log_err("%s: cannot set up io_uring: %s", n->t.name, strerror(-ret));
			pthread_join(n->thread, NULL);
		}
	}
	if (ret) {
		free(io);
		return ret;
	}
	n->io = io;
	return 0;
}

void vnet_io_stop(struct vnet *n)
{
	uint64_t one = 1;

	if (!n->io)
		return;
	if (write(n->stop_fd, &one, sizeof(one)) != sizeof(one))
		log_err("%s: cannot stop the I/O thread", n->t.name);
	pthread_join(n->thread, NULL);
	pthread_mutex_destroy(&n->io->lock);
	pthread_cond_destroy(&n->io->cond);
	free(n->io);
	n->io = NULL;
}
