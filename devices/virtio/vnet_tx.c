// SPDX-License-Identifier: MIT
// virtio-net TX (guest -> host): each chain's header is validated into metadata (vnet_hdr), the
// backend gets that metadata plus the guest's frame iovecs, and the chain is completed once the
// backend is done with it; what cannot be sent is dropped and counted (DESIGN §5). verify=on
// checks each offloaded frame's header against its bytes on the way.
#include <errno.h>
#include <string.h>

#include "base/stat.h"
#include "base/trace.h"
#include "devices/virtio/vnet_iov.h"
#include "devices/virtio/vnet_pcap.h"
#include "devices/virtio/vnet_tx.h"
#include "net/l34.h"

static void tx_complete(struct vnet_qp *io, uint16_t head)
{
	virtq_push(&io->p->txq, head, 0);	/* TX buffers are only read: used length 0 */
	io->tx_pushed = true;
}

static void tx_drop(struct vnet_qp *io, const struct virtq_chain *c,
		    const struct virtio_net_hdr_v1 *guest, enum vnet_drop why)
{
	struct vnet *n = io->n;
	uint16_t head = c->head;

	STAT_INC(io->p->stats.tx_dropped);
	STAT_INC(io->p->stats.drops[why]);
	trace(TRACE_NET, "%s: TX head %u: drop (%s)", n->t.name, head, vnet_drop_names[why]);
	vmmio_fault(&n->t, why == VNET_DROP_TX_SEGMENTS ? VMMIO_UNSUPPORTED : VMMIO_VIOLATION,
		    &io->p->txq, head, "TX chain %u dropped (%s)", head, why == VNET_DROP_TX_HEADER ?
		    "shorter than the header" : why == VNET_DROP_TX_WRITABLE ?
		    "device-writable buffers" : "too many pieces");
	if (n->pcap)
		vnet_pcap_tx(n, c->iov, c->nr_out, VNET_HDR_LEN, c->out_bytes - VNET_HDR_LEN, guest,
			     vnet_drop_names[why], NULL);
	tx_complete(io, head);
}

static struct tx_req *tx_slot(struct vnet_qp *io, unsigned int *index)
{
	for (unsigned int i = 0; i < TX_INFLIGHT; i++) {
		if (!io->tx[i].busy) {
			*index = i;
			return &io->tx[i];
		}
	}
	return NULL;
}

/*
 * verify=on's check of one TX frame against the guest's request: counted and
 * logged; true, with the mismatches in *r, when the request disagrees with
 * the bytes.
 */
static bool tx_verify(struct vnet_qp *io, const struct virtio_net_hdr_v1 *hdr,
		      const struct iovec *frame, unsigned int nr_iov, uint32_t frame_len,
		      struct verify_result *r)
{
	struct vnet *n = io->n;
	char line[256];

	STAT_INC(io->p->stats.verify_frames);
	if (!verify_frame(hdr, frame, nr_iov, frame_len, r))
		return false;
	STAT_INC(io->p->stats.verify_bad);
	for (int k = 0; k < VERIFY_KIND_MAX; k++)
		STAT_ADD(io->p->stats.verify[k], !!(r->kinds & (1u << k)));
	if (log_threshold >= LOG_WARN) {
		verify_describe(r, line, sizeof(line));
		log_ratelimited(&n->rl, LOG_WARN, "%s: verify: TX frame's offload request disagrees "
				"with its bytes: %s", n->t.name, line);
	}
	return true;
}

/* One chain: validate (virtio 1.2 §5.1.6.2), translate, and lend it to the backend. */
static void tx_one(struct vnet_qp *io, const struct virtq_chain *c)
{
	struct vnet *n = io->n;
	struct virtio_net_hdr_v1 guest;
	struct verify_result vr;
	unsigned int index;
	struct tx_req *r = tx_slot(io, &index);
	struct backend_tx *p = r ? &r->pkt : NULL;
	uint32_t frame_len = c->out_bytes - VNET_HDR_LEN;
	bool bad = false;
	enum vnet_tx_err err;

	if (c->nr_in) {
		tx_drop(io, c, NULL, VNET_DROP_TX_WRITABLE);
		return;
	}
	/* The header is copied once; only the copy is looked at (no double fetch). */
	if (c->out_bytes < VNET_HDR_LEN || !l34_copy(c->iov, c->nr_out, 0, &guest, VNET_HDR_LEN)) {
		tx_drop(io, c, NULL, VNET_DROP_TX_HEADER);
		return;
	}
	if (!p || !vnet_iov_skip(c->iov, c->nr_out, VNET_HDR_LEN, p->iov + 1, IO_IOV_MAX, &p->niov)) {
		tx_drop(io, c, &guest, VNET_DROP_TX_SEGMENTS);
		return;
	}
	/* verify=on sees the guest's own request, also one validation will refuse. */
	if (__builtin_expect(n->cfg.verify, 0) && verify_wanted(&guest))
		bad = tx_verify(io, &guest, p->iov + 1, p->niov, frame_len, &vr);
	err = vnet_hdr_tx_parse(&guest, p->iov + 1, p->niov, frame_len, n->negotiated, &p->meta);
	if (err) {
		/* An offload we cannot honour: never send a partial checksum or a super-frame. */
		STAT_INC(io->p->stats.tx_dropped);
		STAT_INC(io->p->stats.tx_offload_err[err]);
		trace(TRACE_NET, "%s: TX head %u frame %u: drop (%s)", n->t.name, c->head,
		      frame_len, vnet_tx_err_names[err]);
		vmmio_fault(&n->t, err == VNET_TX_ERR_L3 ? VMMIO_UNSUPPORTED : VMMIO_VIOLATION,
			    &io->p->txq, c->head, "TX frame dropped: bad offload request (%s), flags "
			    "0x%x gso_type %u csum_start %u csum_offset %u", vnet_tx_err_names[err],
			    guest.flags, guest.gso_type, guest.csum_start, guest.csum_offset);
		if (n->pcap)
			vnet_pcap_tx_offload(n, c->iov, c->nr_out, c->out_bytes, &guest, err,
					     bad ? &vr : NULL);
		tx_complete(io, c->head);
		return;
	}
	/* The guest's own request, as README's trace table shows it: what a driver author checks. */
	trace(TRACE_NET, "%s: TX head %u frame %u flags 0x%x gso_type %u gso_size %u csum_start %u "
	      "csum_offset %u: send", n->t.name, c->head, frame_len, guest.flags, guest.gso_type,
	      guest.gso_size, guest.csum_start, guest.csum_offset);
	if (n->pcap) {
		r->guest = guest;
		r->verify_bad = bad;
		if (bad)
			r->verify = vr;
	}
	r->head = c->head;
	r->busy = true;
	io->tx_busy++;
	backend_tx(io->be, index, p);
}

/* A soft frame's extra counts; false when the software path dropped it (counted here). */
static bool tx_soft_counted(struct vnet_qp *io, const struct tx_req *r,
			    const struct backend_tx_result *res)
{
	struct vnet *n = io->n;
	const struct net_tx_meta *m = &r->pkt.meta;

	STAT_INC(io->p->stats.soft_frames);
	if (res->err)
		return true;	/* the host refused a segment: counted as any refusal */
	if (!res->soft_err) {
		STAT_ADD(io->p->stats.soft_segments, res->segments);
		return true;
	}
	STAT_INC(io->p->stats.tx_dropped);
	STAT_INC(io->p->stats.soft_err[res->soft_err]);
	log_ratelimited(&n->rl, LOG_WARN, "%s: TX frame dropped: software offload failed (%s), "
			"len %u l2 %u l3 %u l4 %u mss %u", n->t.name, soft_err_names[res->soft_err],
			m->len, m->l2_len, m->l3_len, m->l4_len, m->mss);
	return false;
}

void vnet_tx_done(struct vnet_qp *io, uint32_t id, const struct backend_tx_result *res)
{
	struct vnet *n = io->n;
	struct tx_req *r = &io->tx[id];
	const struct net_tx_meta *m = &r->pkt.meta;
	bool soft_dropped = res->soft && !tx_soft_counted(io, r, res);

	r->busy = false;
	io->tx_busy--;
	if (res->err) {
		STAT_INC(io->p->stats.tx_dropped);
		STAT_INC(io->p->stats.drops[VNET_DROP_TX_TAP]);
		log_ratelimited(&n->rl, LOG_WARN, "%s: '%s' refused a %u-byte frame: %s", n->t.name,
				io->be->name, m->len, strerror(-res->err));
	} else if (!soft_dropped) {
		STAT_INC(io->p->stats.tx_packets);
		STAT_ADD(io->p->stats.tx_bytes, m->len);
		STAT_ADD(io->p->stats.tx_csum, !!(m->flags & (NET_TX_CSUM_TCP | NET_TX_CSUM_UDP)));
		STAT_ADD(io->p->stats.tx_tso, !!(m->flags & NET_TX_TSO));
		STAT_ADD(io->p->stats.tx_uso, !!(m->flags & NET_TX_USO));
	}
	if (n->pcap)
		vnet_pcap_tx(n, r->pkt.iov + 1, r->pkt.niov, 0, m->len, &r->guest,
			     res->err ? vnet_drop_names[VNET_DROP_TX_TAP] :
			     soft_dropped ? "soft_errors" : NULL, r->verify_bad ? &r->verify : NULL);
	tx_complete(io, r->head);
}

/*
 * Chains the ring layer refused on the way (virtq_pop completed them with
 * length 0; the queue's bad_chains says why) are drops too (DESIGN §5).
 */
static void tx_refused(struct vnet_qp *io, unsigned int completed)
{
	if (completed) {	/* rare: no store to the counter per chain */
		io->tx_pushed = true;
		STAT_ADD(io->p->stats.tx_dropped, completed);
	}
}

/* Takes chains while write slots are free; with the queue drained, asks for kicks again. */
static void tx_take(struct vnet_qp *io)
{
	struct vnet *n = io->n;

	do {
		struct virtq_chain c;
		unsigned int completed = 0;
		enum virtq_pop_result res = VIRTQ_EMPTY;

		virtq_disable_kicks(&io->p->txq);
		while (io->tx_busy < TX_INFLIGHT &&
		       (res = virtq_pop(&io->p->txq, &c, &completed)) == VIRTQ_CHAIN) {
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
	} while (virtq_enable_kicks(&io->p->txq));
}

void vnet_tx_drain(struct vnet_qp *io)
{
	/*
	 * A pair VQ_PAIRS_SET disabled takes no new chain (its host queue is
	 * detached); frames already lent complete. Read once per batch.
	 */
	if (!atomic_load(&io->p->enabled)) {
		backend_tx_flush(io->be);
		return;
	}
	/* Frames sent in software free their slots at once: take more chains into them. */
	do
		tx_take(io);
	while (backend_tx_flush(io->be));
}
