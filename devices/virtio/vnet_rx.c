// SPDX-License-Identifier: MIT
// virtio-net RX (host -> guest): every guest buffer that can hold a whole frame is lent to the
// backend (or, with MRG_RXBUF, one read spans as many buffers as a frame needs); on completion
// the frame's metadata becomes the header the guest negotiated and the buffers go back to it.
#include <errno.h>
#include <string.h>

#include "base/stat.h"
#include "base/trace.h"
#include "devices/virtio/vnet_ctrl.h"
#include "devices/virtio/vnet_iov.h"
#include "devices/virtio/vnet_pcap.h"
#include "devices/virtio/vnet_rx.h"
#include "net/l34.h"

static void rx_drop(struct vnet_qp *io, uint16_t head, enum vnet_drop why)
{
	struct vnet *n = io->n;

	STAT_INC(io->p->stats.rx_dropped);
	STAT_INC(io->p->stats.drops[why]);
	trace(TRACE_NET, "%s: RX head %u: drop (%s)", n->t.name, head, vnet_drop_names[why]);
	if (why == VNET_DROP_RX_READONLY)
		vmmio_violation(&n->t, &io->p->rxq, head,
				"RX chain %u dropped (device-readable buffers)", head);
	/* Nothing reaches the guest: the record is the verdict alone, with no frame. */
	if (n->pcap)
		vnet_pcap_rx(n, NULL, 0, 0, NULL, vnet_drop_names[why]);
	virtq_push(&io->p->rxq, head, 0);
	io->rx_pushed = true;
}

/* Stores v big-endian at byte off of the buffers. */
static void rx_put16(const struct iovec *iov, unsigned int niov, size_t off, uint16_t v)
{
	const uint8_t b[2] = { v >> 8, v & 0xff };
	unsigned int k = 0;

	for (unsigned int i = 0; i < niov && k < 2; i++) {
		size_t l = iov[i].iov_len;

		if (off >= l) {
			off -= l;
			continue;
		}
		while (k < 2 && off < l)
			((uint8_t *)iov[i].iov_base)[off++] = b[k++];
		off = 0;
	}
}

/*
 * The software path for a receive offload the guest gave up at run time
 * (GUEST_OFFLOADS_SET without GUEST_CSUM) while the host still hands out a
 * partial checksum (a frame read before TUNSETOFFLOAD took effect, or a
 * backend that cannot change its offloads): the checksum is finished in the
 * guest's buffer, the virtio rule (§5.1.6.2.1): the sum from csum_start to the
 * end, stored at csum_start + csum_offset. false when the fields do not fit.
 */
static bool rx_soft_csum(const struct iovec *iov, unsigned int niov, uint32_t len,
			 const struct net_rx_meta *m)
{
	uint32_t frame = len - VNET_HDR_LEN;
	uint64_t sum = 0;
	uint16_t c;

	if ((uint32_t)m->csum_start + m->csum_offset + 2 > frame ||
	    !l34_sum_iov(iov, niov, VNET_HDR_LEN + m->csum_start, frame - m->csum_start, &sum))
		return false;
	c = (uint16_t)~l34_fold(sum);
	rx_put16(iov, niov, VNET_HDR_LEN + m->csum_start + m->csum_offset,
		 c || m->csum_offset != UDP_CSUM_OFF ? c : 0xffff);	/* UDP: 0 is "none" */
	return true;
}

/*
 * Writes the header for what the guest accepts now (virtio 1.2 §5.1.6.4) at
 * the start of iov (a frame of len bytes, header included), from the
 * backend's metadata, with num_buffers; -EINVAL when the frame needs an
 * offload the guest lacks, and then it must be dropped.
 */
static int rx_header(struct vnet_qp *io, const struct iovec *iov, unsigned int niov, uint32_t len,
		     const struct net_rx_meta *meta, uint16_t num_buffers,
		     struct virtio_net_hdr_v1 *guest)
{
	struct vnet *n = io->n;
	/*
	 * What the guest accepts now (GUEST_OFFLOADS_SET may change it at any
	 * time): read once per frame, so a command takes effect between frames.
	 */
	uint64_t f = (n->negotiated & ~vnet_ctrl_offload_bits()) |
		     atomic_load_explicit(&n->rx_accept, memory_order_relaxed);
	uint64_t csum = VIRTIO_BIT(VIRTIO_NET_F_GUEST_CSUM);
	struct net_rx_meta m = *meta;

	if (m.csum_partial && m.gso == NET_RX_GSO_NONE && (n->negotiated & csum) && !(f & csum) &&
	    rx_soft_csum(iov, niov, len, &m)) {
		STAT_INC(io->p->stats.rx_soft_csum);
		m.csum_partial = false;
		m.l4_csum = NET_CSUM_UNKNOWN;
	}
	if (!vnet_hdr_rx_build(&m, f, num_buffers, guest)) {
		log_ratelimited(&n->rl, LOG_WARN, "%s: RX frame needs offloads the guest did not "
				"negotiate (csum_partial %d gso %d); dropped", n->t.name,
				meta->csum_partial, meta->gso);
		return -EINVAL;
	}
	vnet_iov_copy_in(iov, niov, guest, VNET_HDR_LEN);
	return 0;
}

/* Counts a frame of len bytes (header included) delivered with header g. */
static void rx_count(struct vnet_qp *io, uint32_t len, const struct virtio_net_hdr_v1 *g)
{
	struct vnet *n = io->n;

	trace(TRACE_NET, "%s: RX frame %u flags 0x%x gso_type %u gso_size %u num_buffers %u: "
	      "deliver", n->t.name, len - VNET_HDR_LEN, g->flags, g->gso_type, g->gso_size,
	      g->num_buffers);
	STAT_INC(io->p->stats.rx_packets);
	STAT_ADD(io->p->stats.rx_bytes, len - VNET_HDR_LEN);
	STAT_ADD(io->p->stats.rx_data_valid, !!(g->flags & VIRTIO_NET_HDR_F_DATA_VALID));
	STAT_ADD(io->p->stats.rx_csum_partial, !!(g->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM));
	STAT_ADD(io->p->stats.rx_gso, g->gso_type != VIRTIO_NET_HDR_GSO_NONE);
}

/* A guest buffer for one read, or a drop if it cannot hold a whole frame (§5.1.6.3.1). */
static void rx_post(struct vnet_qp *io, const struct virtq_chain *c)
{
	struct vnet *n = io->n;
	unsigned int index = 0;
	struct rx_req *r;

	if (c->nr_out) {
		rx_drop(io, c->head, VNET_DROP_RX_READONLY);
		return;
	}
	/* A backend may truncate silently (a tap does): a buffer too small is never used. */
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
	r->cap = c->in_bytes;
	memcpy(r->iov, c->iov, c->nr_in * sizeof(struct iovec));
	io->rx_busy++;
	backend_rx_post(io->be, index, r->iov, r->niov, r->cap);
}

/* ---- RX with MRG_RXBUF: one frame over several buffers (virtio 1.2 §5.1.6.3.2) ---- */

/*
 * Up to MRG_READS merged reads are lent at once, each over the next held
 * buffers that together take the largest frame. A frame uses the first
 * buffers of its read; the others go to the back of the FIFO for a later
 * read (the used ring need not follow the available ring's order without
 * VIRTIO_F_IN_ORDER, §2.7.9).
 */
static struct mrg_chain *held_at(struct vnet_qp *io, unsigned int k)
{
	return &io->held[io->order[(io->held_first + k) % MRG_HELD]];
}

static void held_pop(struct vnet_qp *io, unsigned int n)
{
	for (unsigned int k = 0; k < n; k++)
		io->spare[io->nspare++] = io->order[(io->held_first + k) % MRG_HELD];
	io->held_first = (io->held_first + n) % MRG_HELD;
	io->held_count -= n;
}

/* The first n held buffers, which a read spanned but its frame did not use, go to the back. */
static void held_requeue(struct vnet_qp *io, unsigned int n)
{
	for (unsigned int k = 0; k < n; k++) {
		io->order[(io->held_first + io->held_count) % MRG_HELD] =
			io->order[io->held_first];
		io->held_first = (io->held_first + 1) % MRG_HELD;
	}
}

static void mrg_hold(struct vnet_qp *io, const struct virtq_chain *c)
{
	struct mrg_chain *h;
	uint16_t at;

	if (c->nr_out) {
		rx_drop(io, c->head, VNET_DROP_RX_READONLY);
		return;
	}
	if (c->in_bytes < VNET_HDR_LEN || c->nr_in > MRG_CHAIN_IOV) {
		rx_drop(io, c->head, VNET_DROP_RX_SMALL);
		return;
	}
	at = io->spare[--io->nspare];
	io->order[(io->held_first + io->held_count++) % MRG_HELD] = at;
	h = &io->held[at];
	h->head = c->head;
	h->cap = c->in_bytes;
	h->niov = c->nr_in;
	memcpy(h->iov, c->iov, c->nr_in * sizeof(struct iovec));
}

/*
 * Lends merged reads while a slot is free and the free held buffers can take
 * the largest frame: a backend may truncate silently, so a read is never
 * posted into less.
 */
static void mrg_submit(struct vnet_qp *io)
{
	while (io->reads < MRG_READS) {
		unsigned int id = (io->read_first + io->reads) % MRG_READS;
		struct mrg_read *r = &io->read[id];
		unsigned int k = io->mrg_busy, niov = 0;
		uint32_t cap = 0;

		for (; k < io->held_count && cap < io->rx_need; k++) {
			struct mrg_chain *h = held_at(io, k);

			if (niov + h->niov > MRG_IOV_MAX)
				break;
			memcpy(r->iov + niov, h->iov, h->niov * sizeof(struct iovec));
			niov += h->niov;
			cap += h->cap;
		}
		if (cap < io->rx_need)
			break;	/* wait for the guest to post more buffers */
		r->nr = k - io->mrg_busy;
		r->niov = niov;
		r->cap = cap;
		io->mrg_busy = k;
		io->reads++;
		io->rx_busy++;
		backend_rx_post(io->be, id, r->iov, niov, cap);
	}
}

/* The frame of len bytes in read r (the first held buffers): to the guest. Returns buffers used. */
static unsigned int mrg_deliver(struct vnet_qp *io, const struct mrg_read *r, uint32_t len,
				const struct net_rx_meta *meta)
{
	struct vnet *n = io->n;
	struct virtio_net_hdr_v1 guest;
	uint32_t left = len;
	unsigned int used = 0;

	while (left && used < r->nr) {
		uint32_t cap = held_at(io, used++)->cap;

		left -= MIN(left, cap);
	}
	if (rx_header(io, r->iov, r->niov, len, meta, used, &guest)) {
		/* The first buffer carries the drop; the others stay available for the next frame. */
		rx_drop(io, held_at(io, 0)->head, VNET_DROP_RX_OFFLOAD);
		held_pop(io, 1);
		return 1;
	}
	/* The buffers of one frame go out as consecutive used entries, all but the last full. */
	left = len;
	for (unsigned int k = 0; k < used; k++) {
		struct mrg_chain *h = held_at(io, k);
		uint32_t take = MIN(left, h->cap);

		virtq_add_used(&io->p->rxq, k, h->head, take);
		left -= take;
	}
	if (n->pcap)
		vnet_pcap_rx(n, r->iov, r->niov, len, &guest, NULL);
	virtq_publish(&io->p->rxq, used);	/* all of the frame's buffers at once (§5.1.6.4) */
	held_pop(io, used);
	rx_count(io, len, &guest);
	STAT_ADD(io->p->stats.rx_merged, used > 1);
	io->rx_pushed = true;
	return used;
}

/* The oldest merged read came back (the backend completes them in the order lent). */
static void mrg_done(struct vnet_qp *io, int res, const struct net_rx_meta *meta)
{
	struct vnet *n = io->n;
	struct mrg_read *r = &io->read[io->read_first];
	unsigned int used;

	io->rx_busy--;
	if (res < VNET_HDR_LEN) {
		log_ratelimited(&n->rl, LOG_WARN, "%s: read from '%s' failed: %s", n->t.name,
				io->be->name, res == -EMSGSIZE ? "frame larger than the buffers (host "
				"MTU above the guest's?)" : res < 0 ? strerror(-res) : "short frame");
		rx_drop(io, held_at(io, 0)->head, res == -EMSGSIZE ? VNET_DROP_RX_OVERSIZE :
			VNET_DROP_RX_TAP);
		held_pop(io, 1);
		used = 1;
	} else {
		used = mrg_deliver(io, r, (uint32_t)res, meta);
	}
	held_requeue(io, r->nr - used);
	io->mrg_busy -= r->nr;
	io->read_first = (io->read_first + 1) % MRG_READS;
	io->reads--;
}

/*
 * Chains the ring layer refused on the way (virtq_pop completed them with
 * length 0; the queue's bad_chains says why) are drops too (DESIGN §5).
 */
static void rx_refused(struct vnet_qp *io, unsigned int completed)
{
	if (completed) {	/* rare: no store to the counter per chain */
		io->rx_pushed = true;
		STAT_ADD(io->p->stats.rx_dropped, completed);
	}
}

/*
 * Whether enough buffers are lent that the guest need not kick for more: every
 * completion calls vnet_rx_fill, which takes what the guest added meanwhile,
 * so kicks (a VM exit each) are asked for only when the backend runs low (half
 * of what it can hold), or has no merged read it could complete.
 */
static bool rx_stocked(const struct vnet_qp *io)
{
	unsigned int half = MIN(io->p->rxq.size, io->mrg ? MRG_HELD : RX_INFLIGHT) / 2;

	if (io->mrg)
		return io->reads && io->held_count >= half;
	return io->rx_busy >= half;
}

void vnet_rx_start(struct vnet_qp *io)
{
	/* With MRG_RXBUF, every entry of the held-buffer pool is spare. */
	for (unsigned int i = 0; io->mrg && i < MRG_HELD; i++)
		io->spare[io->nspare++] = (uint16_t)(MRG_HELD - 1 - i);
}

/* Keeps a read posted for every buffer the guest gave us (up to RX_INFLIGHT). */
void vnet_rx_fill(struct vnet_qp *io)
{
	struct vnet *n = io->n;

	if (io->gone)
		return;	/* nothing will arrive; the buffers stay the guest's until it resets */
	do {
		struct virtq_chain c;
		unsigned int completed = 0;
		enum virtq_pop_result res = VIRTQ_EMPTY;

		virtq_disable_kicks(&io->p->rxq);
		while ((io->mrg ? io->held_count < MRG_HELD : io->rx_busy < RX_INFLIGHT) &&
		       (res = virtq_pop(&io->p->rxq, &c, &completed)) == VIRTQ_CHAIN) {
			rx_refused(io, completed);
			if (io->mrg)
				mrg_hold(io, &c);
			else
				rx_post(io, &c);
		}
		if (res == VIRTQ_BROKEN) {
			vmmio_set_needs_reset(&n->t);
			break;
		}
		rx_refused(io, completed);
		if (io->mrg)
			mrg_submit(io);
		/* Full, or stocked: a completion makes room and calls us again. */
		if (rx_stocked(io) || (io->mrg ? io->held_count == MRG_HELD :
				       io->rx_busy == RX_INFLIGHT))
			break;
	} while (virtq_enable_kicks(&io->p->rxq));
	/*
	 * Every time, even with nothing new: reads lent while earlier ones were
	 * in the kernel wait in the backend until it can start them.
	 */
	backend_rx_flush(io->be);
}

/* A frame arrived in r: rewrite its header for the guest and hand the buffer back. */
static void rx_deliver(struct vnet_qp *io, struct rx_req *r, uint32_t len,
		       const struct net_rx_meta *meta)
{
	struct virtio_net_hdr_v1 guest;

	if (rx_header(io, r->iov, r->niov, len, meta, 1, &guest)) {
		rx_drop(io, r->head, VNET_DROP_RX_OFFLOAD);
		return;
	}
	rx_count(io, len, &guest);
	if (io->n->pcap)
		vnet_pcap_rx(io->n, r->iov, r->niov, len, &guest, NULL);
	virtq_push(&io->p->rxq, r->head, len);
	io->rx_pushed = true;
}

void vnet_rx_done(struct vnet_qp *io, uint32_t id, int res, const struct net_rx_meta *meta)
{
	struct vnet *n = io->n;
	struct rx_req *r;

	if (io->mrg) {
		mrg_done(io, res, meta);	/* id: the oldest read's (ids go round in order) */
		vnet_rx_fill(io);
		return;
	}
	r = &io->rx[id];
	r->busy = false;
	io->rx_busy--;
	if (res == -EMSGSIZE) {
		/* Truncated in the guest's buffer, so never delivered. */
		log_ratelimited(&n->rl, LOG_WARN, "%s: RX frame larger than the %u-byte buffer (host "
				"MTU above the guest's?); dropped", n->t.name, r->cap);
		rx_drop(io, r->head, VNET_DROP_RX_OVERSIZE);
	} else if (res < VNET_HDR_LEN) {
		log_ratelimited(&n->rl, LOG_WARN, "%s: read from '%s' failed: %s", n->t.name,
				io->be->name, res < 0 ? strerror(-res) : "short frame");
		rx_drop(io, r->head, VNET_DROP_RX_TAP);
	} else {
		rx_deliver(io, r, res, meta);
	}
	vnet_rx_fill(io);
}
