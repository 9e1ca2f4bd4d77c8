// SPDX-License-Identifier: MIT
// Probe guest net-* modes' shared part: common keys, the device, ARP, polling, the report's fields.
#include "netrun.h"

#define ARP_TRIES  3
#define ARP_TRY_MS 300

int netrun_usage(const char *key)
{
	struct json j;

	json_begin(&j);
	json_cstr(&j, "probe", "error");
	json_str_concat(&j, "reason", "bad value for ", (struct str){key, strlen(key)});
	json_end(&j);
	return PROBE_EXIT_USAGE;
}

/* probe.KEY as a number; false (after a usage report) when malformed. */
bool netrun_arg_u64(struct str cmdline, const char *key, uint64_t def, uint64_t min, uint64_t max,
		    uint64_t *out)
{
	struct str v;

	*out = def;
	if (!cmdline_get(cmdline, key, &v))
		return true;
	if (str_to_u64(v, max, out) || *out < min) {
		netrun_usage(key);
		return false;
	}
	return true;
}

static bool arg_ip(struct str cmdline, const char *key, bool required, uint32_t *ip, bool *set)
{
	struct str v;

	*set = cmdline_get(cmdline, key, &v);
	if (!*set) {
		if (required)
			netrun_usage(key);
		return !required;
	}
	if (net_parse_ip4(v, ip)) {
		netrun_usage(key);
		return false;
	}
	return true;
}

uint64_t netrun_us_since(const struct netrun *r, uint64_t t)
{
	uint64_t d = rdtsc() - t;

	return d / r->hz * 1000000 + d % r->hz * 1000000 / r->hz;
}

uint32_t netrun_dev_errors(const struct netdrv *nd)
{
	const struct netdrv_errors *e = &nd->err;

	return e->bad_id + e->rx_len + e->num_buffers + e->flags + e->gso + e->tx_len +
	       e->needs_reset;
}

/* The device's misbehaviour, by kind, only the kinds seen. */
static void json_dev_errors(struct json *j, const struct netdrv *nd)
{
	const struct netdrv_errors *e = &nd->err;
	const struct {
		const char *key;
		uint32_t v;
	} kinds[] = {
		{"err_bad_id", e->bad_id},
		{"err_rx_len", e->rx_len},
		{"err_num_buffers", e->num_buffers},
		{"err_flags", e->flags},
		{"err_gso", e->gso},
		{"err_tx_len", e->tx_len},
		{"err_needs_reset", e->needs_reset},
	};

	json_u64(j, "dev_errors", netrun_dev_errors(nd));
	for (size_t i = 0; i < ARRAY_SIZE(kinds); i++) {
		if (kinds[i].v)
			json_u64(j, kinds[i].key, kinds[i].v);
	}
}

/* An ARP request or reply from us; false if no TX slot is free. */
static bool send_arp(struct netrun *r, uint16_t op, const uint8_t tha[6], uint32_t tpa)
{
	struct virtio_net_hdr *hdr;
	uint8_t *f = netdrv_tx_slot(&r->nd, &hdr);

	if (!f) {
		r->tx_full++;
		return false;
	}
	if (netdrv_tx_queue(&r->nd, f, net_arp_build(f, op, r->me.mac, r->me.ip, tha, tpa))) {
		r->tx_full++;
		return false;
	}
	if (op == NET_ARP_REQUEST)
		r->arp_requests++;
	else
		r->arp_replies++;
	return true;
}

static void on_arp(struct netrun *r, const struct net_pkt *p)
{
	/* RFC 826: learn the sender if it is the peer, answer requests for our address. */
	if (r->have_peer && p->arp_spa == r->peer.ip && !r->peer_mac_known) {
		memcpy(r->peer.mac, p->arp_sha, 6);
		r->peer_mac_known = true;
	}
	if (p->arp_op == NET_ARP_REQUEST && p->arp_tpa == r->me.ip)
		send_arp(r, NET_ARP_REPLY, p->arp_sha, p->arp_spa);
}

void netrun_note_bad(struct netrun *r, const char *why)
{
	r->bad++;
	if (!r->bad_why)
		r->bad_why = why;
}

/* netdrv_poll's callback, for every mode. */
static void on_frame(void *ctx, struct netdrv *nd, const struct netdrv_rx *rx)
{
	struct netrun *r = ctx;
	bool dv = rx->hdr.flags & VIRTIO_NET_HDR_F_DATA_VALID;
	struct net_pkt p;

	(void)nd;
	net_parse(rx->frame, rx->len, dv && !r->check_data_valid, &p);
	switch (p.kind) {
	case NET_ARP:
		on_arp(r, &p);
		break;
	case NET_UDP:
	case NET_BAD:
		if (p.kind == NET_UDP && (p.dst_ip != r->me.ip || p.dport != r->me.port)) {
			r->not_ours++;
			break;
		}
		r->received++;
		r->rbytes += p.payload_len;
		r->data_valid += dv;
		r->csum_partial += !!(rx->hdr.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM);
		r->csum_zero += p.udp_csum_zero;
		r->merged += rx->buffers > 1;
		if (p.kind == NET_BAD)
			netrun_note_bad(r, p.why);
		else if (r->on_udp)
			r->on_udp(r, rx, &p);
		break;
	default:
		/* A mode that speaks another IPv4 protocol (nettcp.c) may claim the frame. */
		if (r->on_other && r->on_other(r, rx))
			break;
		r->other++;
		break;
	}
}

/* One poll; false (with *why) after a device error. */
bool netrun_poll(struct netrun *r, const char **why)
{
	if (netdrv_poll(&r->nd, on_frame, r) < 0) {
		*why = "device returned a bad used entry";
		return false;
	}
	return true;
}

/* Waits for something, then polls; false with *why on timeout or device error. */
bool netrun_wait_poll(struct netrun *r, const char **why, const char *timeout_why)
{
	if (!netdrv_wait(&r->nd)) {
		*why = r->nd.err.needs_reset ? "device needs reset" : timeout_why;
		return false;
	}
	return netrun_poll(r, why);
}

/* The peer's MAC from probe.peer_mac, or by ARP (3 requests, 300 ms apart). */
static const char *resolve_peer(struct netrun *r)
{
	uint64_t per_try = r->hz / 1000 * ARP_TRY_MS;
	const char *why = NULL;

	for (unsigned int t = 0; t < ARP_TRIES && !r->peer_mac_known; t++) {
		uint64_t start = rdtsc();

		send_arp(r, NET_ARP_REQUEST, (const uint8_t[6]){0}, r->peer.ip);
		netdrv_tx_flush(&r->nd);
		while (!r->peer_mac_known && rdtsc() - start < per_try) {
			if (!netrun_poll(r, &why))
				return why;
			cpu_relax();
		}
	}
	return r->peer_mac_known ? NULL : "no ARP reply from the peer";
}

/* Waits until the device has returned every TX chain (the frames reached the tap). */
const char *netrun_tx_drain(struct netrun *r)
{
	const char *why = NULL;

	netdrv_tx_flush(&r->nd);
	while (netdrv_tx_inflight(&r->nd)) {
		if (!netrun_wait_poll(r, &why, "timeout: TX chains not returned"))
			return why;
	}
	return NULL;
}

/* Common keys, the device, and (when a peer is named) its MAC. NULL or why; *status on usage. */
const char *netrun_open(struct netrun *r, struct str cmdline, const char *mode,
			const struct hvm_memmap_entry *map, uint32_t nmap, bool need_ip,
			bool need_peer, uint32_t txbuf_def, int *status)
{
	struct netdrv_cfg cfg;
	const char *bad = netdrv_cfg_parse(cmdline, &cfg);
	uint64_t port, peer_port, v;
	bool ip_set;
	struct str s;

	memset(r, 0, sizeof(*r));
	r->mode = mode;
	*status = PROBE_EXIT_USAGE;
	if (bad) {
		netrun_usage(bad);
		return "";
	}
	if (!arg_ip(cmdline, "probe.ip", need_ip, &r->me.ip, &ip_set) ||
	    !arg_ip(cmdline, "probe.peer", need_peer, &r->peer.ip, &r->have_peer) ||
	    !netrun_arg_u64(cmdline, "probe.port", 0, need_ip ? 1 : 0, 65535, &port) ||
	    !netrun_arg_u64(cmdline, "probe.peer_port", port, 0, 65535, &peer_port) ||
	    !netrun_arg_u64(cmdline, "probe.csum_offload", 0, 0, 1, &v))
		return "";
	r->csum_offload = v;
	if (!netrun_arg_u64(cmdline, "probe.check_data_valid", 0, 0, 1, &v))
		return "";
	r->check_data_valid = v;
	if (!netrun_arg_u64(cmdline, "probe.batch", 0, 0, VIRTQ_MAX, &r->batch))
		return "";
	if (cmdline_get(cmdline, "probe.peer_mac", &s)) {
		if (net_parse_mac(s, r->peer.mac))
			return netrun_usage("probe.peer_mac"), "";
		r->peer_mac_known = true;
	}
	r->me.port = (uint16_t)port;
	r->peer.port = (uint16_t)peer_port;
	if (!cfg.txbuf)
		cfg.txbuf = txbuf_def;
	*status = PROBE_EXIT_FAIL;
	r->hz = tsc_hz();
	bad = netdrv_open(&r->nd, cmdline, &cfg, map, nmap);
	if (bad)
		return bad;
	memcpy(r->me.mac, r->nd.mac, 6);
	if (r->csum_offload && !r->nd.csum)
		return "probe.csum_offload=1 without VIRTIO_NET_F_CSUM negotiated";
	if (r->have_peer && need_ip)
		return resolve_peer(r);
	return NULL;
}

void netrun_report_head(struct json *j, struct netrun *r, const char *why)
{
	json_begin(j);
	json_cstr(j, "probe", r->mode);
	if (why)
		json_cstr(j, "error", why);
}

void netrun_report_tail(struct json *j, struct netrun *r)
{
	struct netdrv *nd = &r->nd;

	json_hex(j, "negotiated", nd->dev.negotiated);
	json_u64(j, "tx_frames", nd->tx_frames);
	json_u64(j, "rx_frames", nd->rx_frames);
	json_u64(j, "rx_merged", nd->rx_merged);
	json_u64(j, "num_buffers_not_1", nd->num_buffers_not_1);
	json_u64(j, "arp_requests", r->arp_requests);
	json_u64(j, "arp_replies", r->arp_replies);
	json_u64(j, "other", r->other);
	json_u64(j, "not_ours", r->not_ours);
	json_u64(j, "kicks_tx", nd->txq ? nd->txq->kicks : 0);
	json_u64(j, "kicks_rx", nd->rxq ? nd->rxq->kicks : 0);
	if (!nd->cfg.poll) {
		json_u64(j, "irqs", nd->irqs_handled);
		json_u64(j, "isr_empty", nd->isr_empty);
	}
	json_dev_errors(j, nd);
	json_u64(j, "init_us", nd->init_us);
	json_u64(j, "us", r->us);
	json_end(j);
}

int netrun_finish(struct netrun *r, const char *why)
{
	if (!why && netrun_dev_errors(&r->nd))
		why = "the device broke a rule (dev_errors)";
	netdrv_close(&r->nd, false);
	return why ? PROBE_EXIT_FAIL : PROBE_EXIT_OK;
}
