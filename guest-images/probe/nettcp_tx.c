// SPDX-License-Identifier: MIT
// Probe guest net-tcp-tx's data path: the stream out in MSS segments or TSO super-frames within
// the peer's window, go-back-N on a timeout or three duplicate ACKs (the mode is in nettcp.c).
#include "nettcp_tx.h"

/* net-tcp-tx: new (or resent) data as far as the window and the TX slots allow. */
void nettcp_tx_fill(struct tcprun *t)
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
		if (!nettcp_conn_send_seg(t, TCP_ACK | (t->nxt + len == t->total ? TCP_PSH : 0),
					  t->nxt, (uint32_t)len))
			return;
		t->probe_zero_wnd = false;
		t->nxt += len;
		if (!t->rto_at)
			rto_arm(t);
	}
	if (t->state == TCP_ESTABLISHED && t->una == t->total && !t->fin_sent) {
		if (nettcp_conn_send_seg(t, TCP_FIN | TCP_ACK, t->total, 0)) {
			t->fin_sent = true;
			t->state = TCP_FIN_WAIT;
			rto_arm(t);
		}
	}
}

/* net-tcp-tx: an acceptable ACK moves una; three duplicates resend from una. */
void nettcp_tx_on_ack(struct tcprun *t, const struct tcp_seg *s)
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
