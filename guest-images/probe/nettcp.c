// SPDX-License-Identifier: MIT
// Probe guest TCP modes: net-tcp-tx (active open, a byte stream out in MSS segments or TSO
// super-frames, the peer's window respected, go-back-N retransmission on a timeout or three
// duplicate ACKs, FIN close) and net-tcp-rx (one passive open, every byte checked as it
// arrives, GSO super-frames taken whole, what lies beyond a gap remembered as byte ranges,
// cumulative ACKs). Written from RFC 9293, RFC 5681 and RFC 7323 (window scale); no SACK, no
// timestamps, no congestion control: the peer is a host socket on the other side of a tap.
// The stream's byte k is k & 0xff, so nothing is buffered: a retransmission is rebuilt from
// its offset, and received bytes are checked, never kept.
#include "netmodes.h"
#include "netrun.h"
#include "tcp.h"

#define RTO_MS	      200  /* first retransmission timeout (the RTT here is well below 1 ms) */
#define RTO_MAX_MS    1600 /* doubling stops here */
#define MSS_DEFAULT   536  /* RFC 9293 §3.7.1: without an MSS option */
#define BYTES_MAX     (1ull << 40)
#define RCV_WND_MAX   (256u << 10) /* what net-tcp-rx advertises at most */
#define RCV_WSCALE    3		   /* its shift: 256 KiB fits 15 bits << 3 */
#define TX_RCV_WND    65535	   /* what net-tcp-tx advertises (it receives only a FIN) */
#define DUPACK_THRESH 3		   /* RFC 5681 fast retransmit */
#define PATTERN_LEN   (TCP_IP4_MAX_DATA + 256)
#define SYN_OPTLEN    8	 /* MSS (4), NOP, window scale (3) */
#define OOO_MAX	      32 /* byte ranges net-tcp-rx holds beyond a gap */

struct ooo_range {
	uint64_t start, end;
};

enum tcp_state {
	TCP_CLOSED,
	TCP_LISTEN,
	TCP_SYN_SENT,
	TCP_SYN_RCVD,
	TCP_ESTABLISHED, /* net-tcp-tx: sending; net-tcp-rx: receiving */
	TCP_FIN_WAIT,	 /* net-tcp-tx: our FIN sent, waiting for its ACK and the peer's FIN */
	TCP_LAST_ACK,	 /* net-tcp-rx: the peer's FIN taken, ours sent */
	TCP_DONE,
};

struct tcprun {
	struct netrun *r;
	bool tx;	   /* net-tcp-tx (else net-tcp-rx) */
	bool tso, partial; /* TSO super-frames; partial checksums (NEEDS_CSUM) */
	enum tcp_state state;
	struct net_addr rem; /* the peer: MAC, address, port */
	uint64_t total;	     /* probe.bytes */
	uint8_t *pattern;    /* byte k = k & 0xff, PATTERN_LEN bytes */
	uint32_t iss, irs;
	uint16_t mss, mss_arg;	       /* the segment size used; probe.mss (0: from the peer) */
	uint64_t drop_every, drop_ctr; /* probe.drop: every Nth data frame "lost" (0: none) */
	uint32_t seg_max;	       /* payload bytes per frame (a multiple of mss with TSO) */
	/* sender (stream offsets; our FIN is at offset total) */
	uint64_t una, nxt, high;      /* oldest unacknowledged, next to send, highest sent */
	uint64_t wnd;		      /* peer's window, scaled */
	uint8_t snd_shift, rcv_shift; /* window scale: theirs (applied to what they send), ours */
	bool wscale_ok;
	bool fin_sent, fin_acked, peer_fin, probe_zero_wnd;
	bool fin_held; /* net-tcp-rx: the peer's FIN arrived beyond a gap, at offset fin_at */
	uint64_t fin_at;
	uint32_t dupacks;
	uint64_t recover;
	/* receiver (stream offset of the next byte expected) */
	uint64_t rcv_nxt, rcv_wnd, rx_high; /* rx_high: the end of the highest data seen */
	struct ooo_range held[OOO_MAX];	    /* checked bytes beyond rcv_nxt, sorted */
	unsigned int nheld;
	uint32_t unacked_frames;
	bool ack_now;
	/* timers (TSC) */
	uint64_t rto_at, rto_ticks, rto_min, rto_max, last_progress, idle_ticks;
	uint64_t t_first, t_last; /* first and last data byte (net-tcp-rx), or established and
				     all acknowledged (net-tcp-tx) */
	/* counts */
	uint64_t segments_sent, tso_frames, wire_segments, retransmits, retransmitted_bytes;
	uint64_t partial_frames, rto_fired, fast_retransmits, dupack_count, frames, data_frames;
	uint64_t gso_frames, data_valid, csum_partial, merged, ooo, dup, acks_sent, syns;
	uint64_t unexpected, wnd_max, max_frame, bad_pattern_at, dropped, ooo_full;
	uint64_t ooo_first_expected, ooo_first_got, ooo_first_frame; /* the first gap seen */
	int32_t peer_mss, peer_wscale;
	const char *fail; /* a fatal protocol event (reset, early close) */
};

static struct netrun run;
static struct tcprun tcp;

static uint32_t seq_of(const struct tcprun *t, uint64_t off)
{
	return t->iss + 1 + (uint32_t)off;
}

static uint32_t rcv_seq(const struct tcprun *t)
{
	return t->irs + 1 + (uint32_t)t->rcv_nxt + (t->peer_fin ? 1 : 0);
}

/* Stream offset of our next sequence number (a sent FIN counts one). */
static uint64_t cur_off(const struct tcprun *t)
{
	return (t->tx ? t->nxt : 0) + (t->fin_sent ? 1 : 0);
}

static void progress(struct tcprun *t)
{
	t->last_progress = rdtsc();
}

static void rto_arm(struct tcprun *t)
{
	t->rto_at = rdtsc() + t->rto_ticks;
}

static void rto_reset(struct tcprun *t)
{
	t->rto_ticks = t->rto_min;
	t->rto_at = 0;
}

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
static bool send_seg(struct tcprun *t, uint8_t flags, uint64_t off, uint32_t len)
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
static void take_fin(struct tcprun *t)
{
	t->peer_fin = true;
	t->fin_held = false;
	progress(t);
	if (!t->tx && t->rcv_nxt < t->total)
		t->fail = "the peer closed before probe.bytes arrived";
}

/* net-tcp-tx: new (or resent) data as far as the window and the TX slots allow. */
static void tx_fill(struct tcprun *t)
{
	while (t->state == TCP_ESTABLISHED && t->nxt < t->total) {
		uint64_t inflight = t->nxt - t->una, left = t->total - t->nxt;
		uint64_t avail = t->wnd > inflight ? t->wnd - inflight : 0;
		uint64_t len = left < t->seg_max ? left : t->seg_max;

		if (!avail && t->probe_zero_wnd && !inflight)
			avail = 1; /* RFC 9293 §3.8.6.1: a zero-window probe after a timeout */
		if (len > avail)
			len = avail;
		/* Sender-side silly window avoidance: whole segments while data is in flight. */
		if (len < left && len >= t->mss)
			len -= len % t->mss;
		if (!len || (len < t->mss && len < left && inflight))
			return;
		if (!send_seg(t, TCP_ACK | (t->nxt + len == t->total ? TCP_PSH : 0), t->nxt,
			      (uint32_t)len))
			return;
		t->probe_zero_wnd = false;
		t->nxt += len;
		if (!t->rto_at)
			rto_arm(t);
	}
	if (t->state == TCP_ESTABLISHED && t->una == t->total && !t->fin_sent) {
		if (send_seg(t, TCP_FIN | TCP_ACK, t->total, 0)) {
			t->fin_sent = true;
			t->state = TCP_FIN_WAIT;
			rto_arm(t);
		}
	}
}

/* The RTO fired: resend what is outstanding (go-back-N), back off. */
static void on_rto(struct tcprun *t)
{
	t->rto_fired++;
	t->rto_ticks = t->rto_ticks * 2 > t->rto_max ? t->rto_max : t->rto_ticks * 2;
	t->rto_at = 0;
	switch (t->state) {
	case TCP_SYN_SENT:
		if (send_seg(t, TCP_SYN, 0, 0))
			t->syns++;
		rto_arm(t);
		break;
	case TCP_SYN_RCVD:
		if (send_seg(t, TCP_SYN | TCP_ACK, 0, 0))
			t->syns++;
		rto_arm(t);
		break;
	case TCP_ESTABLISHED:
		if (t->tx) {
			if (!t->wnd && t->nxt == t->una)
				t->probe_zero_wnd = true;
			t->nxt = t->una;
			t->recover = t->high;
			tx_fill(t);
			if (!t->rto_at && t->nxt > t->una)
				rto_arm(t);
		}
		break;
	case TCP_FIN_WAIT:
	case TCP_LAST_ACK:
		if (!t->fin_acked) {
			send_seg(t, TCP_FIN | TCP_ACK, t->tx ? t->total : 0, 0);
			rto_arm(t);
		}
		break;
	default:
		break;
	}
}

/* RFC 7323 §2.2: scaling only when both SYNs carried the option. */
static void take_syn_options(struct tcprun *t, const struct tcp_seg *s)
{
	uint16_t mine = (uint16_t)(t->r->nd.mtu - NET_IP4_HLEN - TCP_HLEN);

	t->peer_mss = s->opt_mss;
	t->peer_wscale = s->opt_wscale;
	t->wscale_ok = s->opt_wscale >= 0;
	t->snd_shift = t->wscale_ok ? (uint8_t)s->opt_wscale : 0;
	if (!t->wscale_ok)
		t->rcv_shift = 0;
	t->mss = s->opt_mss > 0 ? (uint16_t)s->opt_mss : MSS_DEFAULT;
	if (t->mss_arg)
		t->mss = t->mss_arg;
	if (t->mss > mine)
		t->mss = mine;
	t->seg_max = t->mss;
	if (t->tso) {
		uint32_t room = t->r->nd.tx_frame_max - TCP_PAYLOAD;

		t->seg_max = room < TCP_IP4_MAX_DATA ? room : TCP_IP4_MAX_DATA;
		if (t->seg_max >= t->mss)
			t->seg_max -= t->seg_max % t->mss;
	}
}

/* net-tcp-tx: an acceptable ACK moves una; three duplicates resend from una. */
static void tx_on_ack(struct tcprun *t, const struct tcp_seg *s)
{
	uint64_t sent = t->nxt - t->una + (t->fin_sent && !t->fin_acked ? 1 : 0);
	uint64_t delta = (uint32_t)(s->ack - seq_of(t, t->una));
	uint64_t wnd = (uint64_t)s->window << t->snd_shift;

	/* The highest offset ever sent counts too: after a go-back-N, ACKs may cover more. */
	if (t->high > t->nxt)
		sent = t->high - t->una + (t->fin_sent && !t->fin_acked ? 1 : 0);
	if (delta > sent)
		return; /* old, or for data never sent */
	if (delta) {
		uint64_t data = delta;

		if (t->una + data > t->total) { /* it covers our FIN */
			data = t->total - t->una;
			t->fin_acked = true;
		}
		t->una += data;
		if (t->nxt < t->una)
			t->nxt = t->una;
		t->dupacks = 0;
		rto_reset(t);
		if (t->nxt > t->una || (t->fin_sent && !t->fin_acked))
			rto_arm(t);
		progress(t);
		if (t->una == t->total && !t->t_last)
			t->t_last = rdtsc();
	} else if (!s->len && wnd == t->wnd && t->nxt > t->una &&
		   !(s->flags & (TCP_SYN | TCP_FIN))) {
		t->dupack_count++;
		if (++t->dupacks == DUPACK_THRESH && t->una >= t->recover) {
			t->fast_retransmits++;
			t->recover = t->high;
			t->nxt = t->una;
		}
	}
	t->wnd = wnd;
	if (wnd > t->wnd_max)
		t->wnd_max = wnd;
}

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
static void rx_on_data(struct tcprun *t, const struct tcp_seg *s)
{
	int64_t delta = (int32_t)(s->seq - rcv_seq(t));
	uint64_t skip = delta < 0 ? (uint64_t)-delta : 0, start, end;
	bool filled = false;

	t->data_frames++;
	if (t->peer_fin || skip >= s->len) {
		t->dup++;
		if (!send_seg(t, TCP_ACK, cur_off(t), 0))
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
		if (!send_seg(t, TCP_ACK, cur_off(t), 0))
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
		take_fin(t);
		filled = true;
	}
	progress(t);
	t->unacked_frames++;
	/* RFC 5681 §4.2: an ACK at once when a segment fills (part of) a gap. */
	if (filled && !send_seg(t, TCP_ACK, cur_off(t), 0))
		t->ack_now = true;
}

static void on_seg(struct tcprun *t, const struct tcp_seg *s, const uint8_t *src_mac)
{
	if (s->flags & TCP_RST) {
		if (t->state != TCP_LISTEN && t->state != TCP_DONE)
			t->fail = t->state == TCP_SYN_SENT ? "connection refused (RST)"
							   : "connection reset by the peer";
		return;
	}
	switch (t->state) {
	case TCP_LISTEN:
		if ((s->flags & (TCP_SYN | TCP_ACK)) != TCP_SYN) {
			t->unexpected++;
			return;
		}
		memcpy(t->rem.mac, src_mac, 6);
		t->rem.ip = s->src_ip;
		t->rem.port = s->sport;
		t->irs = s->seq;
		take_syn_options(t, s);
		t->state = TCP_SYN_RCVD;
		if (send_seg(t, TCP_SYN | TCP_ACK, 0, 0))
			t->syns++;
		rto_arm(t);
		progress(t);
		return;
	case TCP_SYN_SENT:
		if ((s->flags & (TCP_SYN | TCP_ACK)) != (TCP_SYN | TCP_ACK) ||
		    s->ack != t->iss + 1) {
			t->unexpected++;
			return;
		}
		t->irs = s->seq;
		take_syn_options(t, s);
		t->wnd = t->wnd_max = s->window; /* never scaled in a SYN */
		t->state = TCP_ESTABLISHED;
		rto_reset(t);
		send_seg(t, TCP_ACK, 0, 0);
		t->t_first = rdtsc();
		progress(t);
		return;
	case TCP_SYN_RCVD:
		if (s->flags & TCP_SYN) { /* our SYN-ACK was lost: again */
			if (s->seq == t->irs && send_seg(t, TCP_SYN | TCP_ACK, 0, 0))
				t->syns++;
			return;
		}
		if (!(s->flags & TCP_ACK) || s->ack != t->iss + 1) {
			t->unexpected++;
			return;
		}
		t->state = TCP_ESTABLISHED;
		rto_reset(t);
		progress(t);
		break;
	case TCP_DONE:
	case TCP_CLOSED:
		t->unexpected++;
		return;
	default:
		break;
	}
	if (s->flags & TCP_SYN) { /* a retransmitted SYN-ACK: our ACK was lost */
		t->ack_now = true;
		return;
	}
	if (t->tx) {
		if (s->flags & TCP_ACK)
			tx_on_ack(t, s);
		if (s->len) {
			t->unexpected++; /* the peer has nothing to send; not taken */
			t->ack_now = true;
		}
	} else {
		if ((s->flags & TCP_ACK) && t->state == TCP_LAST_ACK && s->ack == t->iss + 2) {
			t->fin_acked = true;
			rto_reset(t);
		}
		if (s->len)
			rx_on_data(t, s);
	}
	if (s->flags & TCP_FIN) {
		int64_t at = (int32_t)(s->seq + s->len - rcv_seq(t));

		/* A FIN beyond a gap (net-tcp-rx) counts once the gap is filled. */
		if (!t->peer_fin && at > 0 && !t->tx) {
			t->fin_held = true;
			t->fin_at = t->rcv_nxt + (uint64_t)at;
		}
		if (!t->peer_fin && at == 0)
			take_fin(t);
		t->ack_now = true;
	}
}

/* netrun's hook for frames that are not ARP or UDP: ours if IPv4 TCP. */
static bool on_other(struct netrun *r, const struct netdrv_rx *rx)
{
	struct tcprun *t = &tcp;
	bool dv = rx->hdr.flags & VIRTIO_NET_HDR_F_DATA_VALID;
	const char *why = NULL;
	struct tcp_seg s;
	int k = tcp_parse(rx->frame, rx->len, dv && !r->check_data_valid, &s, &why);

	if (!k)
		return false;
	if (k < 0) {
		netrun_note_bad(r, why);
		return true;
	}
	if (s.dst_ip != r->me.ip || s.dport != r->me.port ||
	    (t->state != TCP_LISTEN && (s.src_ip != t->rem.ip || s.sport != t->rem.port))) {
		r->not_ours++;
		return true;
	}
	t->frames++;
	t->gso_frames += rx->hdr.gso_type != VIRTIO_NET_HDR_GSO_NONE;
	t->data_valid += dv;
	t->csum_partial += !!(rx->hdr.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM);
	t->merged += rx->buffers > 1;
	if (rx->len > t->max_frame)
		t->max_frame = rx->len;
	/*
	 * probe.drop: every Nth frame that starts beyond all data seen so far is
	 * ignored, as if lost; a retransmission (it starts below) always passes.
	 */
	if (s.len && t->drop_every && t->state == TCP_ESTABLISHED && !t->peer_fin) {
		int64_t at = (int32_t)(s.seq - rcv_seq(t));
		uint64_t start =
			at < 0 && (uint64_t)-at > t->rcv_nxt ? 0 : t->rcv_nxt + (uint64_t)at;
		bool fresh = start >= t->rx_high;

		if (start + s.len > t->rx_high)
			t->rx_high = start + s.len;
		if (fresh && ++t->drop_ctr % t->drop_every == 0) {
			t->dropped++;
			return true;
		}
	}
	on_seg(t, &s, rx->frame + 6);
	return true;
}

/*
 * Waits for a used entry, at most until the RTO; polls. 1 after a poll, 0
 * when the wait ran out, -1 with *why on a device error.
 */
static int wait_some(struct tcprun *t, const char **why)
{
	struct netdrv *nd = &t->r->nd;
	uint64_t now = rdtsc(), limit = t->idle_ticks;
	bool ok;

	if (t->rto_at)
		limit = t->rto_at > now ? t->rto_at - now : 0;
	if (limit > t->idle_ticks)
		limit = t->idle_ticks;
	nd->idle_ticks = limit;
	ok = netdrv_wait(nd);
	nd->idle_ticks = t->idle_ticks;
	if (!ok) {
		if (nd->err.needs_reset) {
			*why = "device needs reset";
			return -1;
		}
		return 0;
	}
	return netrun_poll(t->r, why) ? 1 : -1;
}

static bool finished(const struct tcprun *t)
{
	if (t->tx)
		return t->fin_acked && t->peer_fin;
	return t->fin_acked;
}

static const char *timeout_why(const struct tcprun *t)
{
	switch (t->state) {
	case TCP_LISTEN:
		return "timeout: no connection";
	case TCP_SYN_SENT:
		return "timeout: no SYN-ACK";
	case TCP_SYN_RCVD:
		return "timeout: handshake not completed";
	case TCP_ESTABLISHED:
		return "timeout: the stream stopped";
	default:
		return "timeout: the close did not complete";
	}
}

/* Runs the connection until both FINs are through; NULL or why. */
static const char *run_conn(struct tcprun *t)
{
	const char *why = NULL;

	progress(t);
	while (!finished(t)) {
		int k;

		if (t->tx)
			tx_fill(t);
		if (!t->tx && t->peer_fin && t->state == TCP_ESTABLISHED) {
			/* The peer is done: our FIN with the ACK of theirs. */
			if (send_seg(t, TCP_FIN | TCP_ACK, 0, 0)) {
				t->fin_sent = true;
				t->state = TCP_LAST_ACK;
				rto_arm(t);
			}
		}
		/* One cumulative ACK per poll batch that brought data, or at once after a gap. */
		if (t->ack_now || t->unacked_frames)
			send_seg(t, TCP_ACK, cur_off(t), 0);
		netdrv_tx_flush(&t->r->nd);
		if (t->fail)
			return t->fail;
		if (finished(t))
			break;
		k = wait_some(t, &why);
		if (k < 0)
			return why;
		if (t->fail)
			return t->fail;
		if (t->rto_at && rdtsc() >= t->rto_at)
			on_rto(t);
		if (rdtsc() - t->last_progress > t->idle_ticks)
			return timeout_why(t);
	}
	t->state = TCP_DONE;
	/* The last ACK (of the peer's FIN, net-tcp-tx). */
	if (t->ack_now)
		send_seg(t, TCP_ACK, cur_off(t), 0);
	return netrun_tx_drain(t->r);
}

/* Keys and state shared by both modes. NULL, "" after a usage report, or why. */
static const char *tcp_open(struct tcprun *t, struct netrun *r, struct str cmdline,
			    const char *mode, const struct hvm_memmap_entry *map, uint32_t nmap,
			    bool tx, int *status)
{
	uint64_t bytes, tso, mss, sport, drop;
	const char *why;

	/* The mode's keys first: a usage error must not come after the device is set up. */
	*status = PROBE_EXIT_USAGE;
	if (!netrun_arg_u64(cmdline, "probe.bytes", 1 << 20, 0, BYTES_MAX, &bytes) ||
	    !netrun_arg_u64(cmdline, "probe.tso", 0, 0, tx, &tso) ||
	    !netrun_arg_u64(cmdline, "probe.mss", 0, 0, 65535 - 40, &mss) ||
	    !netrun_arg_u64(cmdline, "probe.sport", 0, 0, 65535, &sport) ||
	    !netrun_arg_u64(cmdline, "probe.drop", 0, 0, UINT32_MAX, &drop))
		return "";
	if (mss && mss < 64)
		return netrun_usage("probe.mss"), "";
	if (drop == 1)
		return netrun_usage("probe.drop"), "";
	memset(t, 0, sizeof(*t));
	t->r = r;
	t->tx = tx;
	t->tso = tso;
	t->total = bytes;
	t->mss_arg = (uint16_t)mss;
	t->drop_every = drop;
	t->peer_mss = t->peer_wscale = -1;
	why = netrun_open(r, cmdline, mode, map, nmap, true, tx, tso ? 65536 : 0, status);
	if (why)
		return why;
	r->on_other = on_other;
	t->partial = t->tso || r->csum_offload;
	if (t->tso && !(r->nd.dev.negotiated & VIRTIO_BIT(VIRTIO_NET_F_HOST_TSO4)))
		return "probe.tso=1 without VIRTIO_NET_F_HOST_TSO4 negotiated";
	if (t->partial && !r->nd.csum)
		return "partial checksums without VIRTIO_NET_F_CSUM negotiated";
	t->pattern = netdrv_alloc(PATTERN_LEN);
	if (!t->pattern)
		return "not enough RAM for the pattern";
	for (uint32_t i = 0; i < PATTERN_LEN; i++)
		t->pattern[i] = (uint8_t)i;
	t->idle_ticks = r->nd.idle_ticks;
	t->rto_min = r->hz / 1000 * RTO_MS;
	t->rto_max = r->hz / 1000 * RTO_MAX_MS;
	t->rto_ticks = t->rto_min;
	t->iss = (uint32_t)(rdtsc() * 2654435761u);
	t->mss = (uint16_t)(r->nd.mtu - NET_IP4_HLEN - TCP_HLEN);
	t->rcv_shift = tx ? 0 : RCV_WSCALE;
	if (tx) {
		t->rem = r->peer;
		r->me.port = (uint16_t)(sport ? sport : 32768 + rdtsc() % 28000);
	}
	return NULL;
}

static void json_mac(struct json *j, const char *key, const uint8_t mac[6])
{
	char s[18];

	netdrv_mac_str(mac, s);
	json_cstr(j, key, s);
}

static uint64_t mbps(uint64_t bytes, uint64_t us)
{
	return us ? bytes * 8 / us : 0;
}

static void report_counts(struct json *j, struct tcprun *t)
{
	struct netrun *r = t->r;

	json_u64(j, "mss", t->mss);
	json_u64(j, "peer_mss", t->peer_mss < 0 ? 0 : (uint64_t)t->peer_mss);
	json_bool(j, "wscale", t->wscale_ok);
	json_u64(j, "frames_in", t->frames);
	json_u64(j, "unexpected", t->unexpected);
	json_u64(j, "syns", t->syns);
	json_u64(j, "rto_fired", t->rto_fired);
	json_u64(j, "dropped", t->dropped);
	json_u64(j, "tx_full", r->tx_full);
	json_mac(j, "peer_mac", t->rem.mac);
}

int net_mode_tcp_tx(struct str cmdline, const struct hvm_memmap_entry *map, uint32_t nmap)
{
	struct tcprun *t = &tcp;
	struct netrun *r = &run;
	int status;
	const char *why = tcp_open(t, r, cmdline, "net-tcp-tx", map, nmap, true, &status);
	struct json j;

	if (why && !*why)
		return status;
	if (!why) {
		t->state = TCP_SYN_SENT;
		r->t0 = rdtsc();
		if (send_seg(t, TCP_SYN, 0, 0))
			t->syns++;
		rto_arm(t);
		why = run_conn(t);
	}
	if (!why && t->una != t->total)
		why = "not every byte was acknowledged";
	if (!why && r->bad)
		why = r->bad_why;
	if (!why && netrun_dev_errors(&r->nd))
		why = "the device broke a rule (dev_errors)";
	r->us = t->t_last > t->t_first ? (t->t_last - t->t_first) / (r->hz / 1000000) : 0;
	netrun_report_head(&j, r, why);
	json_u64(&j, "bytes", t->una);
	json_u64(&j, "segments_sent", t->segments_sent);
	json_u64(&j, "tso_frames", t->tso_frames);
	json_u64(&j, "retransmits", t->retransmits);
	json_u64(&j, "mbps", mbps(t->una, r->us));
	json_bool(&j, "tso", t->tso);
	json_u64(&j, "wire_segments", t->wire_segments);
	json_u64(&j, "partial_frames", t->partial_frames);
	json_u64(&j, "retransmitted_bytes", t->retransmitted_bytes);
	json_u64(&j, "fast_retransmits", t->fast_retransmits);
	json_u64(&j, "dupacks", t->dupack_count);
	json_u64(&j, "peer_window_max", t->wnd_max);
	json_u64(&j, "sport", r->me.port);
	report_counts(&j, t);
	json_u64(&j, "bad", r->bad);
	netrun_report_tail(&j, r);
	return netrun_finish(r, why);
}

/*
 * Bytes in flight the RX ring can hold if every frame is MSS-sized (with
 * MRG_RXBUF the device also keeps enough buffers back for one largest frame).
 */
static uint64_t rx_window(const struct netrun *r, uint16_t mss)
{
	uint64_t rxbuf = r->nd.cfg.rxbuf, bufs = r->nd.nrx, w;
	uint64_t per_frame = (VIRTIO_NET_HDR_LEN + TCP_PAYLOAD + mss + rxbuf - 1) / rxbuf;

	if (r->nd.mrg) {
		uint64_t keep = (r->nd.rx_need + rxbuf - 1) / rxbuf;

		bufs -= keep < bufs / 2 ? keep : bufs / 2;
	}
	w = bufs / per_frame * mss;
	return w > RCV_WND_MAX ? RCV_WND_MAX : w;
}

int net_mode_tcp_rx(struct str cmdline, const struct hvm_memmap_entry *map, uint32_t nmap)
{
	struct tcprun *t = &tcp;
	struct netrun *r = &run;
	int status;
	const char *why = tcp_open(t, r, cmdline, "net-tcp-rx", map, nmap, false, &status);
	struct json j;

	if (why && !*why)
		return status;
	if (!why) {
		t->rcv_wnd = rx_window(r, t->mss);
		t->state = TCP_LISTEN;
		why = netrun_send_ready(r);
	}
	r->t0 = rdtsc();
	if (!why)
		why = run_conn(t);
	if (!why && t->rcv_nxt != t->total)
		why = "the stream ended short";
	if (!why && r->bad)
		why = r->bad_why;
	if (!why && netrun_dev_errors(&r->nd))
		why = "the device broke a rule (dev_errors)";
	r->us = t->t_last > t->t_first ? (t->t_last - t->t_first) / (r->hz / 1000000) : 0;
	netrun_report_head(&j, r, why);
	json_u64(&j, "bytes", t->rcv_nxt);
	json_u64(&j, "frames", t->data_frames);
	json_u64(&j, "gso_frames", t->gso_frames);
	json_u64(&j, "data_valid", t->data_valid);
	json_u64(&j, "csum_partial", t->csum_partial);
	json_u64(&j, "bad", r->bad);
	json_u64(&j, "mbps", mbps(t->rcv_nxt, r->us));
	if (t->bad_pattern_at)
		json_u64(&j, "bad_pattern_at", t->bad_pattern_at);
	json_u64(&j, "merged", t->merged);
	json_u64(&j, "max_frame", t->max_frame);
	json_u64(&j, "ooo", t->ooo);
	json_u64(&j, "ooo_full", t->ooo_full);
	if (t->ooo) {
		/* The first gap: the offset expected, the one that came instead, in data frame N.
		 */
		json_u64(&j, "ooo_first_expected", t->ooo_first_expected);
		json_u64(&j, "ooo_first_got", t->ooo_first_got);
		json_u64(&j, "ooo_first_frame", t->ooo_first_frame);
	}
	json_u64(&j, "dup", t->dup);
	json_u64(&j, "acks_sent", t->acks_sent);
	json_u64(&j, "window", t->rcv_wnd);
	report_counts(&j, t);
	netrun_report_tail(&j, r);
	return netrun_finish(r, why);
}
