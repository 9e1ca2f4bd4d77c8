// SPDX-License-Identifier: MIT
// virtio-net TX (guest -> tap): each chain's header is validated into metadata (vnet_hdr), the
// tap gets a header rebuilt from it plus the guest's frame iovecs, and the chain is completed
// once the write is done; what cannot be sent is dropped and counted (DESIGN §5).
#include <errno.h>
#include <string.h>

#include "base/trace.h"
#include "devices/virtio/vnet_io.h"

static void tx_complete(struct vnet_io *io, uint16_t head)
{
	virtq_push(&io->n->txq, head, 0);	/* TX buffers are only read: used length 0 */
	io->tx_pushed = true;
}

static void tx_drop(struct vnet_io *io, const struct virtq_chain *c,
		    const struct virtio_net_hdr_v1 *guest, enum vnet_drop why)
{
	struct vnet *n = io->n;
	uint16_t head = c->head;

	STAT_INC(n->stats.tx_dropped);
	STAT_INC(n->stats.drops[why]);
	trace(TRACE_NET, "%s: TX head %u: drop (%s)", n->t.name, head, vnet_drop_names[why]);
	vmmio_fault(&n->t, why == VNET_DROP_TX_SEGMENTS ? VMMIO_UNSUPPORTED : VMMIO_VIOLATION,
		    &n->txq, head, "TX chain %u dropped (%s)", head, why == VNET_DROP_TX_HEADER ?
		    "shorter than the header" : why == VNET_DROP_TX_WRITABLE ?
		    "device-writable buffers" : "too many pieces");
	if (n->pcap)
		vnet_pcap_tx(n, c->iov, c->nr_out, c->out_bytes, guest, vnet_drop_names[why], NULL);
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

/* One chain: validate (virtio 1.2 §5.1.6.2), translate, and queue the write. */
static void tx_one(struct vnet_io *io, const struct virtq_chain *c)
{
	struct vnet *n = io->n;
	struct virtio_net_hdr_v1 guest;
	struct verify_result vr;
	unsigned int index;
	struct tx_req *r = tx_slot(io, &index);
	bool bad = false;
	int err;

	if (c->nr_in) {
		tx_drop(io, c, NULL, VNET_DROP_TX_WRITABLE);
		return;
	}
	/* The header is copied once; only the copy is looked at (no double fetch). */
	if (c->out_bytes < VNET_HDR_LEN ||
	    vnet_io_copy_out(&guest, c->iov, c->nr_out, 0, VNET_HDR_LEN) != VNET_HDR_LEN) {
		tx_drop(io, c, NULL, VNET_DROP_TX_HEADER);
		return;
	}
	if (!r || !vnet_io_skip(c->iov, c->nr_out, VNET_HDR_LEN, r->iov + 1, IO_IOV_MAX, &r->niov)) {
		tx_drop(io, c, &guest, VNET_DROP_TX_SEGMENTS);
		return;
	}
	r->frame_len = c->out_bytes - VNET_HDR_LEN;
	/* verify=on sees the guest's own request, also one validation will refuse. */
	if (__builtin_expect(n->opts.verify, 0) && verify_wanted(&guest))
		bad = vnet_offload_verify(n, &guest, r->iov + 1, r->niov, r->frame_len, &vr);
	err = vnet_hdr_tx_parse(&guest, r->iov + 1, r->niov, r->frame_len, n->negotiated, &r->meta);
	if (err) {
		/* An offload we cannot honour: never send a partial checksum or a super-frame. */
		STAT_INC(n->stats.tx_dropped);
		STAT_INC(n->stats.tx_offload_err[err]);
		trace(TRACE_NET, "%s: TX head %u frame %u: drop (%s)", n->t.name, c->head,
		      r->frame_len, vnet_tx_err_names[err]);
		vmmio_fault(&n->t, err == VNET_TX_ERR_L3 ? VMMIO_UNSUPPORTED : VMMIO_VIOLATION,
			    &n->txq, c->head, "TX frame dropped: bad offload request (%s), flags "
			    "0x%x gso_type %u csum_start %u csum_offset %u", vnet_tx_err_names[err],
			    guest.flags, guest.gso_type, guest.csum_start, guest.csum_offset);
		if (n->pcap)
			vnet_pcap_tx_offload(n, c->iov, c->nr_out, c->out_bytes, &guest, err,
					     bad ? &vr : NULL);
		tx_complete(io, c->head);
		return;
	}
	r->soft = vnet_offload_soft(n, &r->meta);
	vnet_hdr_from_tx_meta(&r->meta, &r->hdr);
	trace(TRACE_NET, "%s: TX head %u frame %u flags 0x%x gso_type %u gso_size %u csum_start %u "
	      "csum_offset %u: send", n->t.name, c->head, r->frame_len, r->hdr.flags,
	      r->hdr.gso_type, r->hdr.gso_size, r->hdr.csum_start, r->hdr.csum_offset);
	if (n->pcap) {
		r->guest = guest;
		r->verify_bad = bad;
		if (bad)
			r->verify = vr;
	}
	r->iov[0] = (struct iovec){ &r->hdr, VNET_HDR_LEN };
	r->head = c->head;
	r->busy = true;
	io->tx_busy++;
	io->tx_queue[io->tx_queued++] = index;
}

/*
 * A request's end: counted, its chain completed, its slot freed. res: 0 sent,
 * -errno from the tap, or > 0 when the software path dropped it (counted there).
 */
static void tx_finish(struct vnet_io *io, struct tx_req *r, int res)
{
	struct vnet *n = io->n;

	r->busy = false;
	io->tx_busy--;
	if (io->stopping)
		return;	/* reset: the driver will not look at this ring again */
	if (res == -EBADFD)
		vnet_io_tap_gone(io);
	if (res < 0) {
		STAT_INC(n->stats.tx_dropped);
		STAT_INC(n->stats.drops[VNET_DROP_TX_TAP]);
		log_ratelimited(&n->rl, LOG_WARN, "%s: tap refused a %u-byte frame: %s", n->t.name,
				r->frame_len, strerror(-res));
	} else if (res == 0) {
		STAT_INC(n->stats.tx_packets);
		STAT_ADD(n->stats.tx_bytes, r->frame_len);
		STAT_ADD(n->stats.tx_csum, !!(r->meta.flags & (NET_TX_CSUM_TCP | NET_TX_CSUM_UDP)));
		STAT_ADD(n->stats.tx_tso, !!(r->meta.flags & NET_TX_TSO));
		STAT_ADD(n->stats.tx_uso, !!(r->meta.flags & NET_TX_USO));
	}
	/* iov[0] is our header: the frame is iov[1...], after a header's worth of "skip". */
	if (n->pcap)
		vnet_pcap_tx(n, r->iov, 1 + r->niov, VNET_HDR_LEN + r->frame_len, &r->guest,
			     res < 0 ? vnet_drop_names[VNET_DROP_TX_TAP] :
			     res > 0 ? "soft_errors" : NULL, r->verify_bad ? &r->verify : NULL);
	tx_complete(io, r->head);
}

/* The software-offloaded request at the head of the queue, sent now (vnet_offload.c). */
static void tx_soft(struct vnet_io *io)
{
	struct tx_req *r = &io->tx[io->tx_queue[0]];
	int res = vnet_offload_send(io, r);

	io->tx_queued--;
	memmove(io->tx_queue, io->tx_queue + 1, io->tx_queued * sizeof(io->tx_queue[0]));
	tx_finish(io, r, res);
}

/*
 * Hands the waiting writes to the kernel as one batch: linked, and only once
 * the previous one is done, where writes may say EAGAIN (io->tx_link); at
 * once otherwise. A request finished in software is written
 * synchronously, only when nothing is ahead of it in flight (so frames keep
 * their order), and ends the batch in front of it. Returns whether it sent
 * any such request (freeing slots the caller may fill).
 */
static bool tx_flush(struct vnet_io *io)
{
	unsigned int take = 0, total, k = 0;
	bool soft = false;

	if (io->tx_in_kernel && io->tx_link && !io->sync)
		return false;
	while (io->tx_queued && io->tx[io->tx_queue[0]].soft && !io->tx_in_kernel &&
	       !io->tx_retries && !io->stopping) {
		tx_soft(io);
		soft = true;
	}
	while (take < io->tx_queued && !io->tx[io->tx_queue[take]].soft)
		take++;
	total = io->tx_retries + take;
	if (!total)
		return soft;
	if (io->tx_wait)
		vnet_io_submit_tx_wait(io);	/* the tap said EAGAIN: wait until it takes more */
	io->tx_wait = false;
	for (unsigned int i = 0; i < io->tx_retries; i++, k++)
		vnet_io_submit_tx(io, &io->tx[io->tx_retry[i]], io->tx_retry[i], k + 1 < total);
	for (unsigned int i = 0; i < take; i++, k++)
		vnet_io_submit_tx(io, &io->tx[io->tx_queue[i]], io->tx_queue[i], k + 1 < total);
	io->tx_in_kernel += total;
	io->tx_retries = 0;
	io->tx_queued -= take;
	memmove(io->tx_queue, io->tx_queue + take, io->tx_queued * sizeof(io->tx_queue[0]));
	return soft;
}

/*
 * Chains the ring layer refused on the way (virtq_pop completed them with
 * length 0; the queue's bad_chains says why) are drops too (DESIGN §5).
 */
static void tx_refused(struct vnet_io *io, unsigned int completed)
{
	if (completed) {	/* rare: no store to the counter per chain */
		io->tx_pushed = true;
		STAT_ADD(io->n->stats.tx_dropped, completed);
	}
}

/* Takes chains while write slots are free; with the queue drained, asks for kicks again. */
static void tx_take(struct vnet_io *io)
{
	struct vnet *n = io->n;

	do {
		struct virtq_chain c;
		unsigned int completed = 0;
		enum virtq_pop_result res = VIRTQ_EMPTY;

		virtq_disable_kicks(&n->txq);
		while (io->tx_busy < TX_INFLIGHT &&
		       (res = virtq_pop(&n->txq, &c, &completed)) == VIRTQ_CHAIN) {
			tx_refused(io, completed);
			tx_one(io, &c);
		}
		if (res == VIRTQ_BROKEN) {
			vmmio_set_needs_reset(&n->t);
			break;
		}
		tx_refused(io, completed);
		if (io->tx_busy == TX_INFLIGHT)
			break;	/* a completion frees a slot and calls us again */
	} while (virtq_enable_kicks(&n->txq));
}

void vnet_tx_drain(struct vnet_io *io)
{
	/* Requests sent in software free their slots at once: take more chains into them. */
	do
		tx_take(io);
	while (tx_flush(io));
}

void vnet_tx_done(struct vnet_io *io, unsigned int index, int res)
{
	struct vnet *n = io->n;
	struct tx_req *r = &io->tx[index];

	io->tx_in_kernel--;
	if ((res == -EAGAIN || res == -ECANCELED) && !io->stopping) {
		/*
		 * The tap is full, or an earlier write of the linked batch failed and
		 * the kernel cancelled this one: again, in order; nothing is lost.
		 * Only a full tap is worth waiting for (a down tap never says POLLOUT).
		 */
		STAT_ADD(n->stats.tx_eagain, res == -EAGAIN);
		io->tx_wait |= res == -EAGAIN;
		io->tx_retry[io->tx_retries++] = index;
		if (!io->tx_in_kernel)
			tx_flush(io);
		return;
	}
	tx_finish(io, r, res < 0 ? res : 0);	/* res: the bytes written, or -errno */
	if (io->stopping)
		return;
	if (!io->tx_in_kernel)
		vnet_tx_drain(io);	/* the batch is done: the next one may go */
}
