// SPDX-License-Identifier: MIT
// Probe guest TCP connection state (struct tcprun), its sequence arithmetic, segments out, FIN in.
#ifndef PROBE_NETTCP_CONN_H
#define PROBE_NETTCP_CONN_H

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

static inline uint32_t seq_of(const struct tcprun *t, uint64_t off)
{
	return t->iss + 1 + (uint32_t)off;
}

static inline uint32_t rcv_seq(const struct tcprun *t)
{
	return t->irs + 1 + (uint32_t)t->rcv_nxt + (t->peer_fin ? 1 : 0);
}

/* Stream offset of our next sequence number (a sent FIN counts one). */
static inline uint64_t cur_off(const struct tcprun *t)
{
	return (t->tx ? t->nxt : 0) + (t->fin_sent ? 1 : 0);
}

static inline void progress(struct tcprun *t)
{
	t->last_progress = rdtsc();
}

static inline void rto_arm(struct tcprun *t)
{
	t->rto_at = rdtsc() + t->rto_ticks;
}

static inline void rto_reset(struct tcprun *t)
{
	t->rto_ticks = t->rto_min;
	t->rto_at = 0;
}

static inline uint64_t mbps(uint64_t bytes, uint64_t us)
{
	return us ? bytes * 8 / us : 0;
}

/*
 * One segment to the peer: flags, len payload bytes from stream offset off
 * (the pattern), options in a SYN. False when no TX slot is free.
 */
bool nettcp_conn_send_seg(struct tcprun *t, uint8_t flags, uint64_t off, uint32_t len);
/* The peer's FIN is next in sequence: the stream from it is complete. */
void nettcp_conn_take_fin(struct tcprun *t);

#endif
