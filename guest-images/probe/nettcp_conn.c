// SPDX-License-Identifier: MIT
// Probe guest TCP connection: segments out (window advertised, SYN options), the peer's FIN in.
#include "nettcp_conn.h"

/* What we advertise: scaled once window scaling is on (never in a SYN, RFC 7323 §2.2). */
static uint16_t adv_window(const struct tcprun *t, bool syn)
{
	uint64_t w = t->tx ? TX_RCV_WND : t->rcv_wnd;

	if (!syn && t->wscale_ok)
		w >>= t->rcv_shift;
	return (uint16_t)(w > 0xffff ? 0xffff : w);
}

/*
 * One segment to the peer: flags, len payload bytes from stream offset off
 * (the pattern), options in a SYN. False when no TX slot is free.
 */
bool nettcp_conn_send_seg(struct tcprun *t, uint8_t flags, uint64_t off, uint32_t len)
{
	struct netrun *r = t->r;
	struct tcp_tx_opts o = {t->partial, t->tso ? t->mss : 0};
	uint8_t opts[SYN_OPTLEN];
	uint32_t optlen = 0, flen;
	struct virtio_net_hdr *hdr;
	struct tcp_seg s;
	uint8_t *f;
	bool gso;

	/*
	 * probe.drop: the frame is lost on the way (never queued); the sender
	 * does not know. Only first transmissions, so that recovery always ends.
	 */
	if (len && off >= t->high && t->drop_every && ++t->drop_ctr % t->drop_every == 0) {
		t->dropped++;
		if (off + len > t->high)
			t->high = off + len;
		return true;
	}
	f = netdrv_tx_slot(&r->nd, &hdr);
	if (!f) {
		r->tx_full++;
		return false;
	}
	memset(&s, 0, sizeof(s));
	s.flags = flags;
	s.seq = flags & TCP_SYN ? t->iss : seq_of(t, off);
	if (flags & TCP_ACK)
		s.ack = rcv_seq(t);
	s.window = adv_window(t, flags & TCP_SYN);
	if (flags & TCP_SYN) {
		/* MSS (kind 2), and window scale (kind 3) unless answering a SYN without it. */
		uint16_t mss = (uint16_t)(r->nd.mtu - NET_IP4_HLEN - TCP_HLEN);

		opts[0] = 2;
		opts[1] = 4;
		opts[2] = (uint8_t)(mss >> 8);
		opts[3] = (uint8_t)mss;
		optlen = 4;
		if (t->tx || t->wscale_ok) {
			opts[4] = 1;
			opts[5] = 3;
			opts[6] = 3;
			opts[7] = t->rcv_shift;
			optlen = 8;
		}
	}
	if (len)
		memcpy(f + TCP_PAYLOAD + optlen, t->pattern + (off & 0xff), len);
	flen = tcp_build(f, &r->me, &t->rem, &s, opts, optlen, len, &o, hdr, &gso);
	if (netdrv_tx_queue(&r->nd, f, flen)) {
		r->tx_full++;
		return false;
	}
	t->partial_frames += t->partial;
	if (len) {
		t->segments_sent++;
		t->tso_frames += gso;
		t->wire_segments += gso ? (len + t->mss - 1) / t->mss : 1;
		if (off < t->high) {
			t->retransmits++;
			t->retransmitted_bytes += (off + len < t->high ? off + len : t->high) - off;
		}
		if (off + len > t->high)
			t->high = off + len;
	}
	if ((flags & TCP_ACK) && !len && !(flags & (TCP_SYN | TCP_FIN)))
		t->acks_sent++;
	if (flags & TCP_ACK) {
		t->unacked_frames = 0;
		t->ack_now = false;
	}
	return true;
}

/* The peer's FIN is next in sequence: the stream from it is complete. */
void nettcp_conn_take_fin(struct tcprun *t)
{
	t->peer_fin = true;
	t->fin_held = false;
	progress(t);
	if (!t->tx && t->rcv_nxt < t->total)
		t->fail = "the peer closed before probe.bytes arrived";
}
