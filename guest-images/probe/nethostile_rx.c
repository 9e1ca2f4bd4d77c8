// SPDX-License-Identifier: MIT
// Probe guest: the net-hostile mode's RX cases: bad buffers on the RX queue, then a good one fills.
#include "nethostile_rx.h"
#include "nethostile_ring.h"

#define DRY_SIZE    1000 /* rx_mrg_ring_dry: a 1054-byte frame with its header */
#define DRY_BUF	    512
#define DRY_BUFS    4
#define DRY_HEAD    10
#define DRY_WAIT_US 50000
#define HDR_BUFS    128 /* rx_mrg_header_size_buffers: 12 bytes each */
#define RESET_BUFS  128 /* more than the device keeps reads posted for (64 in minnow) */
#define EXIT_BUFS   120

/*
 * NEEDS_CSUM on RX (§5.1.6.4.1): the sum from csum_start on, the field at
 * csum_start + csum_offset holding the pseudo-header sum, finished in place
 * as a NIC would; false if the field lies outside the frame.
 */
static bool rx_finish_csum(uint8_t *f, uint32_t len, const struct virtio_net_hdr *hdr)
{
	uint32_t at = (uint32_t)hdr->csum_start + hdr->csum_offset;
	uint16_t v;

	if (hdr->csum_start >= len || at + 2 > len)
		return false;
	v = (uint16_t)~net_csum_fold(net_csum_add(0, f + hdr->csum_start, len - hdr->csum_start));
	be16_put(f + at, v);
	return true;
}

/*
 * The buffer (cap bytes, canary-filled before it was posted) after the device
 * used len bytes of it: a header with num_buffers as h->buffers, flags exactly
 * h->want_flags and every other field 0 (no GSO negotiated here; NEEDS_CSUM
 * with UDP's 34/6), then the peer's datagram, and nothing written after it.
 */
static bool rx_check(struct nh *h, uint8_t *b, uint32_t len, uint32_t cap)
{
	struct virtio_net_hdr hdr;
	struct net_pkt p;
	bool partial = h->want_flags & VIRTIO_NET_HDR_F_NEEDS_CSUM;

	hl_fact(&h->log, "rx_used_len", len);
	if (len < VIRTIO_NET_HDR_LEN || len > cap)
		return hl_fail(&h->log, "RX used length outside the buffer");
	for (uint32_t i = len; i < cap; i++) {
		if (b[i] != CANARY) {
			hl_fact(&h->log, "written_at", i);
			return hl_fail(&h->log, "the device wrote past the used length");
		}
	}
	memcpy(&hdr, b, VIRTIO_NET_HDR_LEN);
	hl_fact(&h->log, "num_buffers", hdr.num_buffers);
	hl_fact(&h->log, "rx_flags", hdr.flags);
	/* §5.1.6.4: 1 without MRG_RXBUF; with it the buffers the frame took. */
	if (hdr.num_buffers != h->buffers)
		return hl_fail(&h->log, "num_buffers is not the buffers the frame took");
	if (hdr.flags != h->want_flags || hdr.gso_type || hdr.gso_size || hdr.hdr_len)
		return hl_fail(&h->log, "RX header flags or GSO fields other than expected");
	if (partial ? hdr.csum_start != NET_ETH_HLEN + NET_IP4_HLEN ||
			      hdr.csum_offset != NET_UDP_CSUM_OFF
		    : hdr.csum_start || hdr.csum_offset)
		return hl_fail(&h->log, "RX header csum_start or csum_offset other than expected");
	hl_fact(&h->log, "rx_frame_len", len - VIRTIO_NET_HDR_LEN);
	if (partial && !rx_finish_csum(b + VIRTIO_NET_HDR_LEN, len - VIRTIO_NET_HDR_LEN, &hdr))
		return hl_fail(&h->log, "NEEDS_CSUM with the field outside the frame");
	net_parse(b + VIRTIO_NET_HDR_LEN, len - VIRTIO_NET_HDR_LEN, false, &p);
	if (p.kind != NET_UDP)
		return hl_fail(&h->log, "the received frame is not a good UDP datagram");
	if (p.src_ip != h->peer.ip || p.dst_ip != h->me.ip || p.dport != h->me.port)
		return hl_fail(&h->log, "a datagram from or to another address or port");
	if (p.payload_len != h->size || net_pattern_check(p.payload, p.payload_len) != BAD_INDEX)
		return hl_fail(&h->log, "the datagram's payload is not the peer's");
	return true;
}

/*
 * After the posts: "ready" to the peer, then its datagram must land in the
 * good buffer (the chain at good_head) and the case's chain at BAD_HEAD, if
 * any, come back with length 0 and untouched, in either order.
 */
static bool rx_collect(struct nh *h, uint16_t good_head, const struct piece *good,
		       unsigned int ngood)
{
	unsigned int want = h->nchain ? 2 : 1;
	uint32_t cap = 0;
	bool got_good = false, got_bad = false;

	for (unsigned int k = 0; k < ngood; k++)
		cap += good[k].len;
	if (!nh_tx_send(h, nh_ready_text(h), "the ready datagram's chain did not come back"))
		return false;
	for (unsigned int i = 0; i < want; i++) {
		uint32_t id, len;

		if (!nh_used_wait(h, &h->rx,
				  got_good ? "the case's RX chain did not come back"
					   : "no datagram from the peer in the good buffer"))
			return false;
		nh_used_take(&h->rx, &id, &len);
		if (h->nchain && id == BAD_HEAD && !got_bad) {
			got_bad = true;
			hl_fact(&h->log, "bad_id", id);
			hl_fact(&h->log, "bad_used_len", len);
			if (len)
				return hl_fail(&h->log,
					       "the case's RX chain came back with a length");
		} else if (id == good_head && !got_good) {
			got_good = true;
			hl_fact(&h->log, "good_id", id);
			if (!rx_check(h, good[0].p, len, cap))
				return false;
		} else {
			hl_fact(&h->log, "got_id", id);
			hl_fact(&h->log, "got_len", len);
			return hl_fail(&h->log, "RX used entry with an unexpected id");
		}
	}
	if (h->nchain && nh_chain_hash(h->chain, h->nchain) != h->chain_hash)
		return hl_fail(&h->log, "the device wrote into an RX chain it did not use");
	return true;
}

/* The case's chain (canary-filled where writable) and a good buffer, one kick, then collect. */
static bool rx_run(struct nh *h)
{
	struct piece good = {h->rxgood, h->rx_need, true};

	for (unsigned int k = 0; k < h->nchain; k++) {
		if (h->chain[k].write)
			memset(h->chain[k].p, CANARY, h->chain[k].len);
	}
	hl_fact(&h->log, "bad_pieces", h->nchain);
	h->chain_hash = nh_chain_hash(h->chain, h->nchain);
	memset(h->rxgood, CANARY, h->rx_need);
	nh_chain_put(&h->rx, BAD_HEAD, h->chain, h->nchain);
	nh_chain_put(&h->rx, h->good_head, &good, 1);
	nh_publish(&h->rx);
	nh_notify(h, NETDRV_RXQ);
	return rx_collect(h, h->good_head, &good, 1);
}

/* The good buffer alone, one kick, then collect. */
static bool rx_good(struct nh *h)
{
	struct piece good = {h->rxgood, h->rx_need, true};

	memset(h->rxgood, CANARY, h->rx_need);
	nh_chain_put(&h->rx, h->good_head, &good, 1);
	nh_publish(&h->rx);
	nh_notify(h, NETDRV_RXQ);
	return rx_collect(h, h->good_head, &good, 1);
}

/*
 * A frame of frame bytes (header included) merged into n buffers of size
 * bytes, posted one a chain at head, head + 1, …: used in order, all but the
 * last full; the bytes taken in *total. why: when a buffer does not come back.
 */
static bool rx_take_merged(struct nh *h, uint16_t head, unsigned int n, uint32_t size,
			   uint32_t frame, uint32_t *total, const char *why)
{
	*total = 0;
	for (unsigned int k = 0; k < n; k++) {
		uint32_t id, len, want = frame - *total < size ? frame - *total : size;

		if (!nh_used_wait(h, &h->rx, why))
			return false;
		nh_used_take(&h->rx, &id, &len);
		if (id != head + k || len != want)
			return hl_fail_used(&h->log, id, len, head + k, want,
					    "merged buffers used out of order or not filled");
		*total += len;
	}
	return true;
}

/* A 100-byte buffer: far from a whole frame (§5.1.6.3.1). */
static bool case_rx_buffer_too_small(struct nh *h)
{
	nh_chain1(h, h->bad, 100, true);
	return rx_run(h);
}

/* One byte less than 12 + 18 + MTU. */
static bool case_rx_buffer_one_short(struct nh *h)
{
	nh_chain1(h, h->bad, h->rx_need - 1, true);
	return rx_run(h);
}

/* §5.1.6.3: RX buffers are device-writable; this one is readable only. */
static bool case_rx_readonly_buffer(struct nh *h)
{
	memset(h->bad, CANARY, h->rx_need);
	nh_chain1(h, h->bad, h->rx_need, false);
	return rx_run(h);
}

/* A readable header piece, then a writable buffer of a whole frame. */
static bool case_rx_mixed_read_write_buffer(struct nh *h)
{
	memset(h->bad, CANARY, VIRTIO_NET_HDR_LEN);
	h->chain[0] = (struct piece){h->bad, VIRTIO_NET_HDR_LEN, false};
	h->chain[1] = (struct piece){h->bad + VIRTIO_NET_HDR_LEN, h->rx_need, true};
	h->nchain = 2;
	return rx_run(h);
}

/* Writable, then readable: the order §2.7.4.2 forbids. */
static bool case_rx_write_then_read(struct nh *h)
{
	memset(h->bad + h->rx_need, CANARY, VIRTIO_NET_HDR_LEN);
	h->chain[0] = (struct piece){h->bad, h->rx_need, true};
	h->chain[1] = (struct piece){h->bad + h->rx_need, VIRTIO_NET_HDR_LEN, false};
	h->nchain = 2;
	return rx_run(h);
}

/* One writable descriptor of length 0. */
static bool case_rx_zero_length_descriptor_only(struct nh *h)
{
	nh_chain1(h, h->bad, 0, true);
	return rx_run(h);
}

/* A whole frame's size in 65 writable pieces. */
static bool case_rx_many_pieces(struct nh *h)
{
	nh_split(h->chain, h->bad, h->rx_need, 65, VIRTIO_NET_HDR_LEN, true);
	h->nchain = 65;
	return rx_run(h);
}

/* The good buffer itself in 64 pieces (the header alone in the first): it takes the frame. */
static bool case_rx_pieces_64(struct nh *h)
{
	static struct piece pc[64];

	nh_split(pc, h->rxgood, h->rx_need, 64, VIRTIO_NET_HDR_LEN, true);
	h->nchain = 0;
	memset(h->rxgood, CANARY, h->rx_need);
	nh_chain_put(&h->rx, BAD_HEAD, pc, 64);
	nh_publish(&h->rx);
	nh_notify(h, NETDRV_RXQ);
	hl_fact(&h->log, "good_pieces", 64);
	return rx_collect(h, BAD_HEAD, pc, 64);
}

/*
 * QueueNotify for queue 2 (the control queue, not offered) and 5 with a buffer
 * available: nothing happens; the kick for queue 0 then works.
 */
static bool case_rx_notify_wrong_queue(struct nh *h)
{
	struct piece good = {h->rxgood, h->rx_need, true};

	h->nchain = 0;
	memset(h->rxgood, CANARY, h->rx_need);
	nh_chain_put(&h->rx, h->good_head, &good, 1);
	nh_publish(&h->rx);
	nh_notify(h, 2);
	nh_notify(h, 5);
	hl_fact(&h->log, "bad_notifies", 2);
	hl_spin_us(QUIET_US);
	if (nh_used_idx(&h->rx) != h->rx.last_used || nh_used_idx(&h->tx) != h->tx.last_used)
		return hl_fail(&h->log, "a kick for a queue that does not exist moved a used ring");
	nh_notify(h, NETDRV_RXQ);
	return rx_collect(h, h->good_head, &good, 1);
}

/* What a TX chain looks like (header and datagram, readable) posted on the RX queue. */
static bool case_tx_on_rx_queue(struct nh *h)
{
	nh_tx_udp(h, false);
	return rx_run(h);
}

/* With MRG_RXBUF a buffer must hold at least the header (§5.1.6.3.2): 11 bytes do not. */
static bool case_rx_mrg_buffer_below_header(struct nh *h)
{
	nh_chain1(h, h->bad, VIRTIO_NET_HDR_LEN - 1, true);
	return rx_run(h);
}

/*
 * GUEST_CSUM negotiated, so the device asks the tap for partial checksums: a
 * host socket's datagram arrives with NEEDS_CSUM. Then a reset and a
 * negotiation without it (C.6 36): the device must tell the tap, and the next
 * datagram arrives with its checksum complete and no flags.
 */
static bool case_rx_renegotiate_fewer_offloads(struct nh *h)
{
	h->nchain = 0;
	h->want_flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	if (!rx_good(h))
		return false;
	hl_fact(&h->log, "first_flags", VIRTIO_NET_HDR_F_NEEDS_CSUM);
	if (!virtio_reset(&h->dev))
		return hl_fail(&h->log, "Status did not read 0 after the reset");
	h->accept = C_NONE;
	h->want_flags = 0;
	if (!nh_setup(h))
		return false;
	return rx_good(h);
}

/*
 * The good buffer made available twice (§2.7.13.3, docs/catalogue.md O19): the
 * second use breaks the queue (NEEDS_RESET) before anything arrives; after a
 * reset and a fresh setup the datagram comes into the good buffer.
 */
static bool case_rx_duplicate_head(struct nh *h)
{
	struct piece good = {h->rxgood, h->rx_need, true};

	h->nchain = 0;
	memset(h->rxgood, CANARY, h->rx_need);
	nh_chain_put(&h->rx, h->good_head, &good, 1);
	nh_chain_put(&h->rx, h->good_head, &good, 1);
	nh_publish(&h->rx);
	nh_notify(h, NETDRV_RXQ);
	return nh_reinit_after_corruption(h, &h->rx) && rx_good(h);
}

/*
 * MRG_RXBUF with too little room posted (C.6 33): one 512-byte buffer when the
 * peer's 1054-byte frame (header included) comes. Nothing may be delivered into
 * it alone; once three more are posted the frame takes the first three
 * (num_buffers 3, all but the last full) and the fourth stays available.
 */
static bool case_rx_mrg_ring_dry(struct nh *h)
{
	struct piece pc[DRY_BUFS];
	uint32_t total, frame;

	h->size = DRY_SIZE;
	h->buffers = 3;
	h->nchain = 0;
	frame = VIRTIO_NET_HDR_LEN + NET_UDP_PAYLOAD + DRY_SIZE;
	memset(h->rxgood, CANARY, DRY_BUF * DRY_BUFS);
	for (unsigned int k = 0; k < DRY_BUFS; k++)
		pc[k] = (struct piece){h->rxgood + k * DRY_BUF, DRY_BUF, true};
	nh_chain_put(&h->rx, DRY_HEAD, &pc[0], 1);
	nh_publish(&h->rx);
	nh_notify(h, NETDRV_RXQ);
	if (!nh_tx_send(h, nh_ready_text(h), "the ready datagram's chain did not come back"))
		return false;
	hl_spin_us(DRY_WAIT_US);
	if (nh_used_idx(&h->rx) != h->rx.last_used)
		return hl_fail(&h->log, "a frame went into less room than a whole frame needs");
	for (unsigned int k = 1; k < DRY_BUFS; k++)
		nh_chain_put(&h->rx, (uint16_t)(DRY_HEAD + k), &pc[k], 1);
	nh_publish(&h->rx);
	nh_notify(h, NETDRV_RXQ);
	if (!rx_take_merged(h, DRY_HEAD, 3, DRY_BUF, frame, &total,
			    "the frame did not come once the buffers were there"))
		return false;
	hl_fact(&h->log, "good_id", DRY_HEAD);
	return rx_check(h, h->rxgood, total, DRY_BUF * DRY_BUFS);
}

/*
 * MRG_RXBUF with buffers of exactly the header's 12 bytes, the least
 * §5.1.6.3.2 allows: 128 of them, side by side; the 118-byte frame (header
 * included) takes 10 (num_buffers 10, nine full, the last 10 bytes).
 */
static bool case_rx_mrg_header_size_buffers(struct nh *h)
{
	static struct piece pc[HDR_BUFS];
	uint32_t total, frame = VIRTIO_NET_HDR_LEN + NET_UDP_PAYLOAD + h->size;
	uint16_t want_bufs = (uint16_t)((frame + VIRTIO_NET_HDR_LEN - 1) / VIRTIO_NET_HDR_LEN);

	h->buffers = want_bufs;
	h->nchain = 0;
	memset(h->rxgood, CANARY, HDR_BUFS * VIRTIO_NET_HDR_LEN);
	for (unsigned int k = 0; k < HDR_BUFS; k++) {
		pc[k] = (struct piece){h->rxgood + k * VIRTIO_NET_HDR_LEN, VIRTIO_NET_HDR_LEN,
				       true};
		nh_chain_put(&h->rx, (uint16_t)(BAD_HEAD + k), &pc[k], 1);
	}
	nh_publish(&h->rx);
	nh_notify(h, NETDRV_RXQ);
	if (!nh_tx_send(h, nh_ready_text(h), "the ready datagram's chain did not come back"))
		return false;
	if (!rx_take_merged(h, BAD_HEAD, want_bufs, VIRTIO_NET_HDR_LEN, frame, &total,
			    "the frame did not come in the 12-byte buffers"))
		return false;
	hl_fact(&h->log, "good_id", BAD_HEAD);
	hl_fact(&h->log, "buffers_used", want_bufs);
	return rx_check(h, h->rxgood, total, HDR_BUFS * VIRTIO_NET_HDR_LEN);
}

/*
 * 128 buffers posted (the device reads into them), then a reset (C.6 12): the
 * old rings and buffers must stay as they are, and after a new initialization
 * on new rings the peer's datagram arrives in a good buffer. Then 120 more
 * buffers, so the device has reads posted when the guest ends.
 */
static bool case_rx_reset_with_reads_in_flight(struct nh *h)
{
	static struct piece pc[RESET_BUFS];
	volatile struct virtq_used *old_rx = h->rx.q->used, *old_tx = h->tx.q->used;
	uint64_t hash;

	for (unsigned int k = 0; k < RESET_BUFS; k++) {
		pc[k] = (struct piece){h->bad + k * h->rx_need, h->rx_need, true};
		memset(pc[k].p, CANARY, pc[k].len);
		nh_chain_put(&h->rx, (uint16_t)(BAD_HEAD + k), &pc[k], 1);
	}
	hash = nh_chain_hash(pc, RESET_BUFS);
	nh_publish(&h->rx);
	nh_notify(h, NETDRV_RXQ);
	hl_spin_us(QUIET_US);
	if (nh_used_idx(&h->rx) != h->rx.last_used)
		return hl_fail(&h->log, "a buffer came back before any frame arrived");
	if (!virtio_reset(&h->dev))
		return hl_fail(&h->log, "Status did not read 0 after the reset (reads in flight)");
	hl_fact(&h->log, "reset_bufs", RESET_BUFS);
	if (!nh_setup(h))
		return false;
	h->nchain = 0;
	if (!rx_good(h))
		return false;
	hl_spin_us(QUIET_US);
	hl_fact(&h->log, "old_rx_used_idx", old_rx->idx);
	if (old_rx->idx || old_tx->idx)
		return hl_fail(&h->log,
			       "the device wrote a used entry into a ring it was reset from");
	if (nh_chain_hash(pc, RESET_BUFS) != hash)
		return hl_fail(&h->log, "the device wrote into a buffer after the reset");
	for (unsigned int k = 0; k < EXIT_BUFS; k++)
		nh_chain_put(&h->rx, (uint16_t)(BAD_HEAD + k), &pc[k], 1);
	nh_publish(&h->rx);
	nh_notify(h, NETDRV_RXQ);
	hl_fact(&h->log, "exit_bufs", EXIT_BUFS);
	return true;
}

const struct nhcase nh_rx_cases[] = {
	{"rx_buffer_too_small", case_rx_buffer_too_small, C_NONE},
	{"rx_buffer_one_short", case_rx_buffer_one_short, C_NONE},
	{"rx_readonly_buffer", case_rx_readonly_buffer, C_NONE},
	{"rx_mixed_read_write_buffer", case_rx_mixed_read_write_buffer, C_NONE},
	{"rx_write_then_read", case_rx_write_then_read, C_NONE},
	{"rx_zero_length_descriptor_only", case_rx_zero_length_descriptor_only, C_NONE},
	{"rx_many_pieces", case_rx_many_pieces, C_NONE},
	{"rx_pieces_64", case_rx_pieces_64, C_NONE},
	{"rx_notify_wrong_queue", case_rx_notify_wrong_queue, C_NONE},
	{"tx_on_rx_queue", case_tx_on_rx_queue, C_NONE},
	{"rx_mrg_buffer_below_header", case_rx_mrg_buffer_below_header, C_MRG},
	/* The same readable-only buffer, with MRG_RXBUF negotiated. */
	{"rx_mrg_readonly_buffer", case_rx_readonly_buffer, C_MRG},
	{"rx_duplicate_head", case_rx_duplicate_head, C_NONE},
	{"rx_renegotiate_fewer_offloads", case_rx_renegotiate_fewer_offloads, NF(GUEST_CSUM)},
	{"rx_mrg_ring_dry", case_rx_mrg_ring_dry, C_MRG},
	{"rx_mrg_header_size_buffers", case_rx_mrg_header_size_buffers, C_MRG},
	{"rx_reset_with_reads_in_flight", case_rx_reset_with_reads_in_flight, C_NONE},
	{NULL, NULL, 0},
};
