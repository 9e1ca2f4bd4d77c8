// SPDX-License-Identifier: MIT
// Probe guest TCP modes net-tcp-tx and net-tcp-rx: the handshake, segments in (data and ACKs
// handed to nettcp_rx.c and nettcp_tx.c), the RTO, the run loop, the keys and the reports.
#include "nettcp.h"
#include "netmodes.h"
#include "nettcp_rx.h"
#include "nettcp_tx.h"

struct netrun nettcp_run;
struct tcprun nettcp_conn;

/* The RTO fired: resend what is outstanding (go-back-N), back off. */
static void on_rto(struct tcprun *t)
{
	t->rto_fired++;
	t->rto_ticks = t->rto_ticks * 2 > t->rto_max ? t->rto_max : t->rto_ticks * 2;
	t->rto_at = 0;
	switch (t->state) {
	case TCP_SYN_SENT:
		if (nettcp_conn_send_seg(t, TCP_SYN, 0, 0))
			t->syns++;
		rto_arm(t);
		break;
	case TCP_SYN_RCVD:
		if (nettcp_conn_send_seg(t, TCP_SYN | TCP_ACK, 0, 0))
			t->syns++;
		rto_arm(t);
		break;
	case TCP_ESTABLISHED:
		if (t->tx) {
			if (!t->wnd && t->nxt == t->una)
				t->probe_zero_wnd = true;
			t->nxt = t->una;
			t->recover = t->high;
			nettcp_tx_fill(t);
			if (!t->rto_at && t->nxt > t->una)
				rto_arm(t);
		}
		break;
	case TCP_FIN_WAIT:
	case TCP_LAST_ACK:
		if (!t->fin_acked) {
			nettcp_conn_send_seg(t, TCP_FIN | TCP_ACK, t->tx ? t->total : 0, 0);
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
		if (nettcp_conn_send_seg(t, TCP_SYN | TCP_ACK, 0, 0))
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
		nettcp_conn_send_seg(t, TCP_ACK, 0, 0);
		t->t_first = rdtsc();
		progress(t);
		return;
	case TCP_SYN_RCVD:
		if (s->flags & TCP_SYN) { /* our SYN-ACK was lost: again */
			if (s->seq == t->irs && nettcp_conn_send_seg(t, TCP_SYN | TCP_ACK, 0, 0))
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
			nettcp_tx_on_ack(t, s);
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
			nettcp_rx_on_data(t, s);
	}
	if (s->flags & TCP_FIN) {
		int64_t at = (int32_t)(s->seq + s->len - rcv_seq(t));

		/* A FIN beyond a gap (net-tcp-rx) counts once the gap is filled. */
		if (!t->peer_fin && at > 0 && !t->tx) {
			t->fin_held = true;
			t->fin_at = t->rcv_nxt + (uint64_t)at;
		}
		if (!t->peer_fin && at == 0)
			nettcp_conn_take_fin(t);
		t->ack_now = true;
	}
}

/* netrun's hook for frames that are not ARP or UDP: ours if IPv4 TCP. */
static bool on_other(struct netrun *r, const struct netdrv_rx *rx)
{
	struct tcprun *t = &nettcp_conn;
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
const char *nettcp_run_conn(struct tcprun *t)
{
	const char *why = NULL;

	progress(t);
	while (!finished(t)) {
		int k;

		if (t->tx)
			nettcp_tx_fill(t);
		if (!t->tx && t->peer_fin && t->state == TCP_ESTABLISHED) {
			/* The peer is done: our FIN with the ACK of theirs. */
			if (nettcp_conn_send_seg(t, TCP_FIN | TCP_ACK, 0, 0)) {
				t->fin_sent = true;
				t->state = TCP_LAST_ACK;
				rto_arm(t);
			}
		}
		/* One cumulative ACK per poll batch that brought data, or at once after a gap. */
		if (t->ack_now || t->unacked_frames)
			nettcp_conn_send_seg(t, TCP_ACK, cur_off(t), 0);
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
		nettcp_conn_send_seg(t, TCP_ACK, cur_off(t), 0);
	return netrun_tx_drain(t->r);
}

/* Keys and state shared by both modes. NULL, "" after a usage report, or why. */
const char *nettcp_open(struct tcprun *t, struct netrun *r, struct str cmdline, const char *mode,
			const struct hvm_memmap_entry *map, uint32_t nmap, bool tx, int *status)
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

void nettcp_report_counts(struct json *j, struct tcprun *t)
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
		if (nettcp_conn_send_seg(t, TCP_SYN, 0, 0))
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
	struct tcprun *t = &nettcp_conn;
	struct netrun *r = &nettcp_run;
	int status;
	const char *why = nettcp_open(t, r, cmdline, "net-tcp-rx", map, nmap, false, &status);
	struct json j;

	if (why && !*why)
		return status;
	if (!why) {
		t->rcv_wnd = rx_window(r, t->mss);
		t->state = TCP_LISTEN;
		why = netmodes_send_ready(r);
	}
	r->t0 = rdtsc();
	if (!why)
		why = nettcp_run_conn(t);
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
	nettcp_report_counts(&j, t);
	netrun_report_tail(&j, r);
	return netrun_finish(r, why);
}
