// SPDX-License-Identifier: MIT
// Probe guest network modes: a feature report, UDP transmit and receive with a verifiable
// payload pattern, and a UDP echo; ARP answered throughout (netdrv.c, netstack.c). The
// part every net-* mode shares is in netrun.c.
#include "netmodes.h"
#include "netrun.h"

#define RX_COUNT_MAX  (1u << 24) /* datagrams tracked in the seen-bitmap */
#define TX_COUNT_MAX  UINT32_MAX
#define UDP_MAX	      65507 /* largest UDP payload over IPv4 */
#define READY_PAYLOAD "ready"

static struct netrun run;

static void json_mac(struct json *j, const char *key, const uint8_t mac[6])
{
	char s[18];

	netdrv_mac_str(mac, s);
	json_cstr(j, key, s);
}

/* One UDP datagram from me to dst; false if no TX slot is free. */
static bool send_udp(struct netrun *r, const struct net_addr *dst, const uint8_t *data,
		     uint32_t len, int64_t pattern_index)
{
	struct virtio_net_hdr *hdr;
	uint8_t *f = netdrv_tx_slot(&r->nd, &hdr);

	if (!f)
		return false;
	if (pattern_index >= 0)
		net_pattern_fill(f + NET_UDP_PAYLOAD, len, (uint32_t)pattern_index);
	else
		memcpy(f + NET_UDP_PAYLOAD, data, len);
	if (netdrv_tx_queue(&r->nd, f, net_udp_build(f, &r->me, dst, len, r->csum_offload, hdr)))
		return false;
	if (r->batch && r->nd.tx_pending >= r->batch)
		netdrv_tx_flush(&r->nd);
	return true;
}

int net_mode_hello(struct str cmdline, const struct hvm_memmap_entry *map, uint32_t nmap)
{
	struct netrun *r = &run;
	int status;
	const char *why = netrun_open(r, cmdline, "net-hello", map, nmap, false, false, 0, &status);
	struct json j;

	if (why && !*why)
		return status;
	netrun_report_head(&j, r, why);
	json_mac(&j, "mac", r->nd.mac);
	json_u64(&j, "mtu", r->nd.mtu);
	json_hex(&j, "features", r->nd.dev.features);
	json_hex(&j, "negotiated", r->nd.dev.negotiated);
	json_bool(&j, "link_up", r->nd.link & VIRTIO_NET_S_LINK_UP);
	json_u64(&j, "qsize_rx", r->nd.rxq ? r->nd.rxq->num : 0);
	json_u64(&j, "qsize_tx", r->nd.txq ? r->nd.txq->num : 0);
	json_u64(&j, "rxbuf", r->nd.cfg.rxbuf);
	json_u64(&j, "rx_posted", r->nd.nrx);
	json_u64(&j, "tx_slots", r->nd.ntx);
	json_u64(&j, "init_us", r->nd.init_us);
	json_end(&j);
	return netrun_finish(r, why);
}

int net_mode_udp_tx(struct str cmdline, const struct hvm_memmap_entry *map, uint32_t nmap)
{
	struct netrun *r = &run;
	int status;
	const char *why = netrun_open(r, cmdline, "net-udp-tx", map, nmap, true, true, 0, &status);
	struct json j;

	if (why && !*why)
		return status;
	if (!netrun_arg_u64(cmdline, "probe.count", 1, 1, TX_COUNT_MAX, &r->count) ||
	    !netrun_arg_u64(cmdline, "probe.size", 64, 4, UDP_MAX, &r->size))
		return PROBE_EXIT_USAGE;
	if (!why && NET_UDP_PAYLOAD + r->size > (uint64_t)NET_ETH_HLEN + r->nd.mtu)
		why = "probe.size: the datagram exceeds the MTU (no fragmentation here)";
	if (!why && NET_UDP_PAYLOAD + r->size > r->nd.tx_frame_max)
		why = "probe.size: the frame exceeds a TX slot (probe.txbuf)";
	r->t0 = rdtsc();
	while (!why && r->sent < r->count) {
		if (!send_udp(r, &r->peer, NULL, (uint32_t)r->size, (int64_t)r->sent)) {
			/* every slot in flight: let the device see them, then take some back */
			netdrv_tx_flush(&r->nd);
			netrun_wait_poll(r, &why, "timeout: no TX slot came back");
			r->tx_full++;
			continue;
		}
		r->sent++;
		r->bytes += r->size;
	}
	if (!why)
		why = netrun_tx_drain(r);
	r->us = netrun_us_since(r, r->t0);
	netrun_report_head(&j, r, why);
	json_u64(&j, "sent", r->sent);
	json_u64(&j, "bytes", r->bytes);
	json_bool(&j, "csum_offload", r->csum_offload);
	json_u64(&j, "size", r->size);
	json_mac(&j, "peer_mac", r->peer.mac);
	json_u64(&j, "tx_full", r->tx_full);
	json_u64(&j, "mbps", r->us ? r->bytes * 8 / r->us : 0);
	netrun_report_tail(&j, r);
	return netrun_finish(r, why);
}

/* net-udp-rx: the pattern, the size if given, each index once. */
static void rx_check(struct netrun *r, const struct netdrv_rx *rx, const struct net_pkt *p)
{
	int64_t idx = net_pattern_check(p->payload, p->payload_len);

	(void)rx;
	if (r->size && p->payload_len != r->size)
		netrun_note_bad(r, "payload size");
	else if (idx < 0 || (uint64_t)idx >= r->count)
		netrun_note_bad(r, "payload pattern");
	else if (r->seen[idx >> 3] & (1u << (idx & 7))) {
		r->dup++;
		netrun_note_bad(r, "duplicate datagram");
	} else {
		r->seen[idx >> 3] |= (uint8_t)(1u << (idx & 7));
	}
}

/* After the peer's MAC is known: "ready" to peer:peer_port, so it starts sending. */
const char *netmodes_send_ready(struct netrun *r)
{
	if (!r->have_peer)
		return NULL;
	if (!send_udp(r, &r->peer, (const uint8_t *)READY_PAYLOAD, sizeof(READY_PAYLOAD) - 1, -1))
		return "no TX slot for the ready datagram";
	return netrun_tx_drain(r);
}

int net_mode_udp_rx(struct str cmdline, const struct hvm_memmap_entry *map, uint32_t nmap)
{
	struct netrun *r = &run;
	int status;
	const char *why = netrun_open(r, cmdline, "net-udp-rx", map, nmap, true, false, 0, &status);
	struct json j;

	if (why && !*why)
		return status;
	if (!netrun_arg_u64(cmdline, "probe.count", 1, 1, RX_COUNT_MAX, &r->count) ||
	    !netrun_arg_u64(cmdline, "probe.size", 0, 0, UDP_MAX, &r->size))
		return PROBE_EXIT_USAGE;
	r->on_udp = rx_check;
	if (!why) {
		r->seen = netdrv_alloc((r->count + 7) / 8);
		if (!r->seen)
			why = "not enough RAM for the seen-bitmap";
	}
	if (!why)
		why = netmodes_send_ready(r);
	r->t0 = rdtsc();
	while (!why && r->received < r->count)
		netrun_wait_poll(r, &why, "timeout: datagrams missing");
	r->us = netrun_us_since(r, r->t0);
	if (!why && r->bad)
		why = r->bad_why;
	netrun_report_head(&j, r, why);
	json_u64(&j, "received", r->received);
	json_u64(&j, "bytes", r->rbytes);
	json_u64(&j, "data_valid", r->data_valid);
	json_u64(&j, "csum_partial", r->csum_partial);
	json_u64(&j, "csum_zero", r->csum_zero);
	json_u64(&j, "merged", r->merged);
	json_u64(&j, "bad", r->bad);
	json_u64(&j, "dup", r->dup);
	netrun_report_tail(&j, r);
	return netrun_finish(r, why);
}

/* net-echo: the payload back to where it came from. */
static void echo_one(struct netrun *r, const struct netdrv_rx *rx, const struct net_pkt *p)
{
	struct net_addr to;

	(void)rx;
	memcpy(to.mac, p->src_mac, 6);
	to.ip = p->src_ip;
	to.port = p->sport;
	if (p->payload_len + NET_UDP_PAYLOAD > r->nd.tx_frame_max ||
	    !send_udp(r, &to, p->payload, p->payload_len, -1)) {
		r->tx_full++;
		return;
	}
	r->echoed++;
}

int net_mode_echo(struct str cmdline, const struct hvm_memmap_entry *map, uint32_t nmap)
{
	struct netrun *r = &run;
	int status;
	const char *why = netrun_open(r, cmdline, "net-echo", map, nmap, true, false, 0, &status);
	struct json j;

	if (why && !*why)
		return status;
	if (!netrun_arg_u64(cmdline, "probe.count", 1, 1, TX_COUNT_MAX, &r->count))
		return PROBE_EXIT_USAGE;
	r->on_udp = echo_one;
	if (!why)
		why = netmodes_send_ready(r);
	r->t0 = rdtsc();
	while (!why && r->received < r->count)
		netrun_wait_poll(r, &why, "timeout: datagrams missing");
	if (!why)
		why = netrun_tx_drain(r);
	r->us = netrun_us_since(r, r->t0);
	if (!why && r->bad)
		why = r->bad_why;
	netrun_report_head(&j, r, why);
	json_u64(&j, "received", r->received);
	json_u64(&j, "echoed", r->echoed);
	json_u64(&j, "bytes", r->rbytes);
	json_u64(&j, "data_valid", r->data_valid);
	json_u64(&j, "csum_partial", r->csum_partial);
	json_u64(&j, "bad", r->bad);
	json_u64(&j, "tx_full", r->tx_full);
	netrun_report_tail(&j, r);
	return netrun_finish(r, why);
}
