// SPDX-License-Identifier: MIT
// virtio-net's I/O thread (DESIGN §6): one io_uring loop per queue pair. Kicks arrive by multishot
// poll on the queues' ioeventfds; RX reads and TX writes point straight into guest RAM; a used
// entry is written only after its I/O completed; interrupts are coalesced per batch; reset
// cancels and drains everything in flight.
#include <errno.h>
#include <liburing.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "devices/virtio/vnet.h"
#include "vmm/stat.h"

#define IO_ENTRIES	256
#define RX_INFLIGHT	64	/* reads posted ahead of traffic, one per guest buffer */
#define TX_INFLIGHT	128	/* writes in flight */
#define IO_IOV_MAX	64	/* pieces of one frame */
#define MRG_HELD	256	/* guest buffers held for the next merged read */
#define MRG_CHAIN_IOV	8	/* pieces of one mergeable buffer (Linux posts 1) */

enum io_tag { TAG_KICK_RX, TAG_KICK_TX, TAG_STOP, TAG_RX, TAG_TX, TAG_CANCEL };
#define TAG(t, i)	(((uint64_t)(t) << 32) | (i))

struct rx_req {
	bool busy;
	uint16_t head;
	unsigned int niov;
	struct iovec iov[IO_IOV_MAX];
};

/* A guest RX buffer waiting to take part of a merged read (VIRTIO_NET_F_MRG_RXBUF). */
struct mrg_chain {
	uint16_t head;
	uint32_t cap;
	unsigned int niov;
	struct iovec iov[MRG_CHAIN_IOV];
};

struct tx_req {
	bool busy;
	uint16_t head;
	uint32_t frame_len;
	struct net_tx_meta meta;
	struct virtio_net_hdr_v1 hdr;	/* ours, rebuilt from the validated metadata */
	unsigned int niov;
	struct iovec iov[1 + IO_IOV_MAX];
};

struct vnet_io {
	struct vnet *n;
	struct io_uring ring;
	int kick_fd[2];
	int tap_fd;
	unsigned int polls;		/* armed multishot polls */
	unsigned int rx_busy, tx_busy;
	bool rx_pushed, tx_pushed;	/* used entries since the last interrupt decision */
	bool stopping;
	uint32_t rx_need;		/* bytes a buffer must hold for one frame */
	struct rx_req rx[RX_INFLIGHT];
	struct tx_req tx[TX_INFLIGHT];
	/* MRG_RXBUF: held buffers (a FIFO), and the one merged read spanning the first nr of them. */
	bool mrg;
	struct mrg_chain held[MRG_HELD];
	unsigned int held_first, held_count;
	unsigned int mrg_nr;		/* buffers in the read in flight; 0 when none */
	struct rx_req mrg_req;
	/* start-up handshake */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int init_result;
	bool init_done;
};

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
static size_t iov_copy_out(void *dst, const struct iovec *iov, unsigned int n, size_t off, size_t len)
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

static size_t iov_copy_in(const struct iovec *iov, unsigned int n, const void *src, size_t len)
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
static bool iov_skip(const struct iovec *src, unsigned int n, size_t skip, struct iovec *dst,
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

/* ---- TX: guest -> tap ---- */

static void tx_complete(struct vnet_io *io, uint16_t head)
{
	virtq_push(&io->n->txq, head, 0);	/* TX buffers are only read: used length 0 */
	io->tx_pushed = true;
}

static void tx_drop(struct vnet_io *io, uint16_t head, enum vnet_drop why)
{
	struct vnet *n = io->n;

	STAT_INC(n->stats.tx_dropped);
	STAT_INC(n->stats.drops[why]);
	log_ratelimited(&n->rl, LOG_WARN, "%s: TX chain %u dropped (%s)", n->t.name, head,
			why == VNET_DROP_TX_HEADER ? "shorter than the header" :
			why == VNET_DROP_TX_WRITABLE ? "device-writable buffers" : "too many pieces");
	tx_complete(io, head);
}

static struct tx_req *tx_slot(struct vnet_io *io, unsigned int *index)
{
	for (unsigned int i = 0; i < TX_INFLIGHT; i++) {
		if (!io->tx[i].busy) {
			*index = i;
			return &io->tx[i];
		}
	}
	return NULL;
}

static void tx_submit(struct vnet_io *io, struct tx_req *r, unsigned int index)
{
	struct io_uring_sqe *sqe = io_sqe(io);

	io_uring_prep_writev(sqe, io->tap_fd, r->iov, 1 + r->niov, 0);
	io_uring_sqe_set_data64(sqe, TAG(TAG_TX, index));
}

/* One chain: validate (virtio 1.2 §5.1.6.2), translate, and queue the write. */
static void tx_one(struct vnet_io *io, const struct virtq_chain *c)
{
	struct vnet *n = io->n;
	struct virtio_net_hdr_v1 guest;
	unsigned int index;
	struct tx_req *r = tx_slot(io, &index);
	int err;

	if (c->nr_in) {
		tx_drop(io, c->head, VNET_DROP_TX_WRITABLE);
		return;
	}
	/* The header is copied once; only the copy is looked at (no double fetch). */
	if (c->out_bytes < VNET_HDR_LEN ||
	    iov_copy_out(&guest, c->iov, c->nr_out, 0, VNET_HDR_LEN) != VNET_HDR_LEN) {
		tx_drop(io, c->head, VNET_DROP_TX_HEADER);
		return;
	}
	if (!r || !iov_skip(c->iov, c->nr_out, VNET_HDR_LEN, r->iov + 1, IO_IOV_MAX, &r->niov)) {
		tx_drop(io, c->head, VNET_DROP_TX_SEGMENTS);
		return;
	}
	r->frame_len = c->out_bytes - VNET_HDR_LEN;
	err = vnet_hdr_tx_parse(&guest, r->iov + 1, r->niov, r->frame_len, n->negotiated, &r->meta);
	if (err) {
		/* An offload we cannot honour: never send a partial checksum or a super-frame. */
		STAT_INC(n->stats.tx_dropped);
		STAT_INC(n->stats.tx_offload_err[err]);
		log_ratelimited(&n->rl, LOG_WARN, "%s: TX frame dropped: bad offload request (%s), "
				"flags 0x%x gso_type %u csum_start %u csum_offset %u", n->t.name,
				vnet_tx_err_names[err], guest.flags, guest.gso_type,
				guest.csum_start, guest.csum_offset);
		tx_complete(io, c->head);
		return;
	}
	vnet_hdr_from_tx_meta(&r->meta, &r->hdr);
	r->iov[0] = (struct iovec){ &r->hdr, VNET_HDR_LEN };
	r->head = c->head;
	r->busy = true;
	io->tx_busy++;
	tx_submit(io, r, index);
}

/* Takes chains while write slots are free; with the queue drained, asks for kicks again. */
static void tx_drain(struct vnet_io *io)
{
	struct vnet *n = io->n;

	do {
		struct virtq_chain c;
		unsigned int completed;
		enum virtq_pop_result res = VIRTQ_EMPTY;

		virtq_disable_kicks(&n->txq);
		while (io->tx_busy < TX_INFLIGHT &&
		       (res = virtq_pop(&n->txq, &c, &completed)) == VIRTQ_CHAIN) {
			io->tx_pushed |= completed > 0;
			tx_one(io, &c);
		}
		if (res == VIRTQ_BROKEN) {
			vmmio_set_needs_reset(&n->t);
			return;
		}
		io->tx_pushed |= completed > 0;
		if (io->tx_busy == TX_INFLIGHT)
			return;	/* a completion frees a slot and calls us again */
	} while (virtq_enable_kicks(&n->txq));
}

static void tx_done(struct vnet_io *io, unsigned int index, int res)
{
	struct vnet *n = io->n;
	struct tx_req *r = &io->tx[index];

	if (res == -EAGAIN && !io->stopping) {
		STAT_INC(n->stats.tx_eagain);	/* the tap is full: try again, nothing is lost */
		tx_submit(io, r, index);
		return;
	}
	r->busy = false;
	io->tx_busy--;
	if (io->stopping)
		return;	/* reset: the driver will not look at this ring again */
	if (res < 0) {
		STAT_INC(n->stats.tx_dropped);
		STAT_INC(n->stats.drops[VNET_DROP_TX_TAP]);
		log_ratelimited(&n->rl, LOG_WARN, "%s: tap refused a %u-byte frame: %s", n->t.name,
				r->frame_len, strerror(-res));
	} else {
		STAT_INC(n->stats.tx_packets);
		STAT_ADD(n->stats.tx_bytes, r->frame_len);
		STAT_ADD(n->stats.tx_csum, !!(r->meta.flags & (NET_TX_CSUM_TCP | NET_TX_CSUM_UDP)));
		STAT_ADD(n->stats.tx_tso, !!(r->meta.flags & NET_TX_TSO));
		STAT_ADD(n->stats.tx_uso, !!(r->meta.flags & NET_TX_USO));
	}
	tx_complete(io, r->head);
	tx_drain(io);
}

/* ---- RX: tap -> guest ---- */

static void rx_drop(struct vnet_io *io, uint16_t head, enum vnet_drop why)
{
	struct vnet *n = io->n;

	STAT_INC(n->stats.rx_dropped);
	STAT_INC(n->stats.drops[why]);
	virtq_push(&n->rxq, head, 0);
	io->rx_pushed = true;
}

static void rx_submit(struct vnet_io *io, struct rx_req *r, unsigned int index)
{
	struct io_uring_sqe *sqe = io_sqe(io);

	io_uring_prep_readv(sqe, io->tap_fd, r->iov, r->niov, 0);
	io_uring_sqe_set_data64(sqe, TAG(TAG_RX, index));
}

/* A guest buffer for one read, or a drop if it cannot hold a whole frame (§5.1.6.3.1). */
static void rx_post(struct vnet_io *io, const struct virtq_chain *c)
{
	struct vnet *n = io->n;
	unsigned int index = 0;
	struct rx_req *r;

	if (c->nr_out) {
		rx_drop(io, c->head, VNET_DROP_RX_READONLY);
		return;
	}
	/* The tap truncates silently: a buffer smaller than a frame is never used. */
	if (c->in_bytes < io->rx_need || c->nr_in > IO_IOV_MAX) {
		log_ratelimited(&n->rl, LOG_WARN, "%s: RX buffer of %u bytes in %u pieces cannot hold "
				"a %u-byte frame; dropped", n->t.name, c->in_bytes, c->nr_in,
				io->rx_need);
		rx_drop(io, c->head, VNET_DROP_RX_SMALL);
		return;
	}
	while (io->rx[index].busy)
		index++;
	r = &io->rx[index];
	r->busy = true;
	r->head = c->head;
	r->niov = c->nr_in;
	memcpy(r->iov, c->iov, c->nr_in * sizeof(struct iovec));
	io->rx_busy++;
	rx_submit(io, r, index);
}

/* ---- RX with MRG_RXBUF: one frame over several buffers (virtio 1.2 §5.1.6.3.2) ---- */

static struct mrg_chain *held_at(struct vnet_io *io, unsigned int k)
{
	return &io->held[(io->held_first + k) % MRG_HELD];
}

static void held_pop(struct vnet_io *io, unsigned int n)
{
	io->held_first = (io->held_first + n) % MRG_HELD;
	io->held_count -= n;
}

static void mrg_hold(struct vnet_io *io, const struct virtq_chain *c)
{
	struct mrg_chain *h;

	if (c->nr_out) {
		rx_drop(io, c->head, VNET_DROP_RX_READONLY);
		return;
	}
	if (c->in_bytes < VNET_HDR_LEN || c->nr_in > MRG_CHAIN_IOV) {
		rx_drop(io, c->head, VNET_DROP_RX_SMALL);
		return;
	}
	h = held_at(io, io->held_count++);
	h->head = c->head;
	h->cap = c->in_bytes;
	h->niov = c->nr_in;
	memcpy(h->iov, c->iov, c->nr_in * sizeof(struct iovec));
}

/*
 * Starts the merged read over the first held buffers once together they can
 * take the largest frame: the tap truncates silently, so a read is never
 * posted into less.
 */
static void mrg_submit(struct vnet_io *io)
{
	struct rx_req *r = &io->mrg_req;
	uint32_t cap = 0;
	unsigned int k, niov = 0;

	if (io->mrg_nr || io->stopping)
		return;
	for (k = 0; k < io->held_count && cap < io->rx_need; k++) {
		struct mrg_chain *h = held_at(io, k);

		if (niov + h->niov > IO_IOV_MAX)
			break;
		memcpy(r->iov + niov, h->iov, h->niov * sizeof(struct iovec));
		niov += h->niov;
		cap += h->cap;
	}
	if (cap < io->rx_need)
		return;	/* wait for the guest to post more buffers */
	r->niov = niov;
	io->mrg_nr = k;
	io->rx_busy++;
	rx_submit(io, r, RX_INFLIGHT);
}

static void mrg_deliver(struct vnet_io *io, uint32_t len)
{
	struct vnet *n = io->n;
	struct rx_req *r = &io->mrg_req;
	struct virtio_net_hdr_v1 tap, guest;
	struct net_rx_meta meta;
	uint32_t left = len;
	unsigned int used = 0;

	iov_copy_out(&tap, r->iov, r->niov, 0, VNET_HDR_LEN);
	vnet_hdr_to_rx_meta(&tap, &meta);
	while (left && used < io->mrg_nr)
		left -= MIN(left, held_at(io, used++)->cap);
	if (vnet_hdr_rx_build(&meta, n->negotiated, used, &guest)) {
		/* The first buffer carries the drop; the others stay available for the next frame. */
		rx_drop(io, held_at(io, 0)->head, VNET_DROP_RX_OFFLOAD);
		held_pop(io, 1);
		return;
	}
	iov_copy_in(r->iov, r->niov, &guest, VNET_HDR_LEN);
	/* The buffers of one frame go out as consecutive used entries, all but the last full. */
	left = len;
	for (unsigned int k = 0; k < used; k++) {
		struct mrg_chain *h = held_at(io, k);
		uint32_t take = MIN(left, h->cap);

		virtq_push(&n->rxq, h->head, take);
		left -= take;
	}
	held_pop(io, used);
	STAT_INC(n->stats.rx_packets);
	STAT_ADD(n->stats.rx_bytes, len - VNET_HDR_LEN);
	STAT_ADD(n->stats.rx_merged, used > 1);
	STAT_ADD(n->stats.rx_data_valid, !!(guest.flags & VIRTIO_NET_HDR_F_DATA_VALID));
	STAT_ADD(n->stats.rx_csum_partial, !!(guest.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM));
	STAT_ADD(n->stats.rx_gso, guest.gso_type != VIRTIO_NET_HDR_GSO_NONE);
	io->rx_pushed = true;
}

static void mrg_done(struct vnet_io *io, int res)
{
	struct vnet *n = io->n;

	if (res == -EAGAIN && !io->stopping) {
		STAT_INC(n->stats.rx_eagain);
		rx_submit(io, &io->mrg_req, RX_INFLIGHT);
		return;
	}
	io->rx_busy--;
	if (io->stopping)
		return;
	if (res < VNET_HDR_LEN) {
		log_ratelimited(&n->rl, LOG_WARN, "%s: tap read failed: %s", n->t.name,
				res < 0 ? strerror(-res) : "short frame");
		rx_drop(io, held_at(io, 0)->head, VNET_DROP_RX_TAP);
		held_pop(io, 1);
	} else {
		mrg_deliver(io, res);
	}
	io->mrg_nr = 0;
}

/* Keeps a read posted for every buffer the guest gave us (up to RX_INFLIGHT). */
static void rx_fill(struct vnet_io *io)
{
	struct vnet *n = io->n;

	do {
		struct virtq_chain c;
		unsigned int completed;
		enum virtq_pop_result res = VIRTQ_EMPTY;

		virtq_disable_kicks(&n->rxq);
		while ((io->mrg ? io->held_count < MRG_HELD : io->rx_busy < RX_INFLIGHT) &&
		       (res = virtq_pop(&n->rxq, &c, &completed)) == VIRTQ_CHAIN) {
			io->rx_pushed |= completed > 0;
			if (io->mrg)
				mrg_hold(io, &c);
			else
				rx_post(io, &c);
		}
		if (res == VIRTQ_BROKEN) {
			vmmio_set_needs_reset(&n->t);
			return;
		}
		io->rx_pushed |= completed > 0;
		if (io->mrg)
			mrg_submit(io);
		if (io->mrg ? io->held_count == MRG_HELD : io->rx_busy == RX_INFLIGHT)
			return;	/* full: a completion makes room and calls us again */
	} while (virtq_enable_kicks(&n->rxq));
}

/* A frame arrived in r: rewrite its header for the guest and hand the buffer back. */
static void rx_deliver(struct vnet_io *io, struct rx_req *r, uint32_t len)
{
	struct vnet *n = io->n;
	struct virtio_net_hdr_v1 tap, guest;
	struct net_rx_meta meta;

	/* tun wrote the first 10 bytes and skipped num_buffers (offloads.md §6). */
	iov_copy_out(&tap, r->iov, r->niov, 0, VNET_HDR_LEN);
	vnet_hdr_to_rx_meta(&tap, &meta);
	if (vnet_hdr_rx_build(&meta, n->negotiated, 1, &guest)) {
		log_ratelimited(&n->rl, LOG_WARN, "%s: RX frame needs offloads the guest did not "
				"negotiate (flags 0x%x gso %u); dropped", n->t.name, tap.flags,
				tap.gso_type);
		rx_drop(io, r->head, VNET_DROP_RX_OFFLOAD);
		return;
	}
	iov_copy_in(r->iov, r->niov, &guest, VNET_HDR_LEN);
	STAT_INC(n->stats.rx_packets);
	STAT_ADD(n->stats.rx_bytes, len - VNET_HDR_LEN);
	STAT_ADD(n->stats.rx_data_valid, !!(guest.flags & VIRTIO_NET_HDR_F_DATA_VALID));
	STAT_ADD(n->stats.rx_csum_partial, !!(guest.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM));
	STAT_ADD(n->stats.rx_gso, guest.gso_type != VIRTIO_NET_HDR_GSO_NONE);
	virtq_push(&n->rxq, r->head, len);
	io->rx_pushed = true;
}

static void rx_done(struct vnet_io *io, unsigned int index, int res)
{
	struct vnet *n = io->n;
	struct rx_req *r;

	if (index == RX_INFLIGHT) {	/* the merged read */
		mrg_done(io, res);
		rx_fill(io);
		return;
	}
	r = &io->rx[index];
	if (res == -EAGAIN && !io->stopping) {
		STAT_INC(n->stats.rx_eagain);
		rx_submit(io, r, index);
		return;
	}
	r->busy = false;
	io->rx_busy--;
	if (io->stopping)
		return;	/* reset: nothing is written into the ring any more */
	if (res < VNET_HDR_LEN) {
		log_ratelimited(&n->rl, LOG_WARN, "%s: tap read failed: %s", n->t.name,
				res < 0 ? strerror(-res) : "short frame");
		rx_drop(io, r->head, VNET_DROP_RX_TAP);
	} else {
		rx_deliver(io, r, res);
	}
	rx_fill(io);
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
		rx_fill(io);
	else
		tx_drain(io);
}

static void io_cqe(struct vnet_io *io, const struct io_uring_cqe *cqe)
{
	enum io_tag tag = cqe->user_data >> 32;
	unsigned int index = (uint32_t)cqe->user_data;

	switch (tag) {
	case TAG_KICK_RX: io_kick(io, cqe, io->kick_fd[VNET_RXQ], TAG_KICK_RX); break;
	case TAG_KICK_TX: io_kick(io, cqe, io->kick_fd[VNET_TXQ], TAG_KICK_TX); break;
	case TAG_STOP:
		if (!(cqe->flags & IORING_CQE_F_MORE))
			io->polls--;
		io->stopping = true;
		break;
	case TAG_RX: rx_done(io, index, cqe->res); break;
	case TAG_TX: tx_done(io, index, cqe->res); break;
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
		vmmio_interrupt(&n->t, VMMIO_INT_VRING);
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
	rx_fill(io);
	tx_drain(io);
	io_notify(io);
	while (!io->stopping && !(ret = io_step(io)))
		io_notify(io);
	if (ret) {
		log_err("%s: io_uring failed: %s; the device needs a reset", n->t.name, strerror(-ret));
		vmmio_set_needs_reset(&n->t);
	}
	/* Reset: cancel every read, write and poll, and wait until the kernel let go of them all. */
	io->stopping = true;
	sqe = io_sqe(io);
	io_uring_prep_cancel64(sqe, 0, IORING_ASYNC_CANCEL_ANY);
	io_uring_sqe_set_data64(sqe, TAG(TAG_CANCEL, 0));
	while (io->rx_busy || io->tx_busy || io->polls)
		if (io_step(io))
			break;
}

static void *io_thread(void *arg)
{
	struct vnet_io *io = arg;
	struct io_uring_params p = {
		/* One thread submits and reaps: completions run when it waits (liburing 2.3). */
		.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN |
			 IORING_SETUP_COOP_TASKRUN,
	};
	int ret = io_uring_queue_init_params(IO_ENTRIES, &io->ring, &p);

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
