// SPDX-License-Identifier: MIT
// Probe guest net-tcp-tx: an active open, the stream out in MSS segments or TSO super-frames
// within the peer's window, go-back-N on a timeout or three duplicate ACKs, the report.
#include "nettcp.h"

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
		if (!nettcp_send_seg(t, TCP_ACK | (t->nxt + len == t->total ? TCP_PSH : 0), t->nxt,
				     (uint32_t)len))
			return;
		t->probe_zero_wnd = false;
		t->nxt += len;
		if (!t->rto_at)
			rto_arm(t);
	}
	if (t->state == TCP_ESTABLISHED && t->una == t->total && !t->fin_sent) {
		if (nettcp_send_seg(t, TCP_FIN | TCP_ACK, t->total, 0)) {
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

int net_mode_tcp_tx(struct str cmdline, const struct hvm_memmap_entry *map, uint32_t nmap)
{
	struct tcprun *t = &nettcp_conn;
	struct netrun *r = &nettcp_run;
	int status;
	const char *why = nettcp_open(t, r, cmdline, "net-tcp-tx", map, nmap, true, &status);
	struct json j;

	if (why && !*why)
		return status;
	if (!why) {
		t->state = TCP_SYN_SENT;
		r->t0 = rdtsc();
		if (nettcp_send_seg(t, TCP_SYN, 0, 0))
			t->syns++;
		rto_arm(t);
		why = nettcp_run_conn(t);
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
	nettcp_report_counts(&j, t);
	json_u64(&j, "bad", r->bad);
	netrun_report_tail(&j, r);
	return netrun_finish(r, why);
}
