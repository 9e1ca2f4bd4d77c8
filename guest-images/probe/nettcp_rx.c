// SPDX-License-Identifier: MIT
// Probe guest net-tcp-rx's data path: every byte checked as it arrives, what lies beyond a gap
// held as byte ranges, cumulative ACKs (the mode, with the window the RX ring holds, in nettcp.c).
#include "nettcp_rx.h"

/* The stream's byte k is k & 0xff: n payload bytes checked from stream offset off. */
static void check_pattern(struct tcprun *t, const uint8_t *p, uint64_t off, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++) {
		if (p[i] != (uint8_t)(off + i)) {
			if (!t->r->bad_why)
				t->bad_pattern_at = off + i;
			netrun_note_bad(t->r, "payload pattern");
			return;
		}
	}
}

/*
 * [start, end) arrived (and was checked) beyond a gap: kept as a range,
 * merged with the ranges it touches. Only the range is kept, not the bytes:
 * they were checked already. False when OOO_MAX ranges are held.
 */
static bool ooo_add(struct tcprun *t, uint64_t start, uint64_t end)
{
	struct ooo_range *q = t->held;
	unsigned int i = 0, j;

	while (i < t->nheld && q[i].end < start)
		i++;
	for (j = i; j < t->nheld && q[j].start <= end; j++) {
		start = q[j].start < start ? q[j].start : start;
		end = q[j].end > end ? q[j].end : end;
	}
	if (i == j) {
		if (t->nheld == OOO_MAX)
			return false;
		memmove(&q[i + 1], &q[i], (t->nheld - i) * sizeof(*q));
		t->nheld++;
	} else {
		memmove(&q[i + 1], &q[j], (t->nheld - j) * sizeof(*q));
		t->nheld -= j - i - 1;
	}
	q[i] = (struct ooo_range){start, end};
	return true;
}

/*
 * net-tcp-rx: every byte is checked against the pattern as it arrives. In
 * order it moves rcv_nxt (and with it any ranges held beyond it); after a
 * gap it is held as a range (no bytes kept) and answered with a duplicate
 * ACK at once (RFC 5681 §4.2), so the sender's fast retransmit fills the gap.
 */
void nettcp_rx_on_data(struct tcprun *t, const struct tcp_seg *s)
{
	int64_t delta = (int32_t)(s->seq - rcv_seq(t));
	uint64_t skip = delta < 0 ? (uint64_t)-delta : 0, start, end;
	bool filled = false;

	t->data_frames++;
	if (t->peer_fin || skip >= s->len) {
		t->dup++;
		if (!nettcp_conn_send_seg(t, TCP_ACK, cur_off(t), 0))
			t->ack_now = true;
		return;
	}
	start = t->rcv_nxt + (delta > 0 ? (uint64_t)delta : 0);
	end = start + (s->len - skip);
	if (end > t->total) {
		netrun_note_bad(t->r, "more bytes than probe.bytes");
		end = t->total;
		if (start >= end)
			return;
	}
	check_pattern(t, s->payload + skip, start, end - start);
	if (delta > 0) {
		if (!t->ooo++) {
			t->ooo_first_expected = t->rcv_nxt;
			t->ooo_first_got = start;
			t->ooo_first_frame = t->data_frames;
		}
		if (!ooo_add(t, start, end))
			t->ooo_full++; /* not kept: the sender sends it again */
		if (!nettcp_conn_send_seg(t, TCP_ACK, cur_off(t), 0))
			t->ack_now = true;
		return;
	}
	if (!t->t_first)
		t->t_first = rdtsc();
	t->rcv_nxt = end;
	while (t->nheld && t->held[0].start <= t->rcv_nxt) {
		if (t->held[0].end > t->rcv_nxt)
			t->rcv_nxt = t->held[0].end;
		memmove(&t->held[0], &t->held[1], --t->nheld * sizeof(t->held[0]));
		filled = true;
	}
	if (t->rcv_nxt == t->total)
		t->t_last = rdtsc();
	if (t->fin_held && t->rcv_nxt == t->fin_at) {
		nettcp_conn_take_fin(t);
		filled = true;
	}
	progress(t);
	t->unacked_frames++;
	/* RFC 5681 §4.2: an ACK at once when a segment fills (part of) a gap. */
	if (filled && !nettcp_conn_send_seg(t, TCP_ACK, cur_off(t), 0))
		t->ack_now = true;
}
