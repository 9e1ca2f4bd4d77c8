// SPDX-License-Identifier: MIT
// Probe guest TCP wire format (RFC 9293, options from RFC 7323): IPv4 + TCP segments built in
// place in a TX slot, with the full checksum or a partial one for the device to finish
// (virtio 1.2 §5.1.6.2, with TSO), and received segments parsed and checked.
#ifndef PROBE_TCP_H
#define PROBE_TCP_H

#include "netstack.h"

#define TCP_HLEN	 20
#define TCP_CSUM_OFF	 16
#define NET_IP_TCP	 6
#define TCP_PAYLOAD	 (NET_ETH_HLEN + NET_IP4_HLEN + TCP_HLEN) /* 54: without options */
#define TCP_MAX_OPTLEN	 40
#define TCP_IP4_MAX_DATA (65535 - NET_IP4_HLEN - TCP_HLEN) /* payload an IPv4 length allows */

#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_PSH 0x08
#define TCP_ACK 0x10

/* Sequence-space comparisons (RFC 9293 §3.4): a before b. */
static inline bool tcp_seq_lt(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}

/* What a segment says in its header; built by tcp_build, filled by tcp_parse. */
struct tcp_seg {
	uint32_t src_ip, dst_ip;
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t flags;
	uint16_t window;    /* as on the wire (not scaled) */
	int32_t opt_mss;    /* MSS option, -1 when absent */
	int32_t opt_wscale; /* window-scale shift, -1 when absent */
	const uint8_t *payload;
	uint32_t len; /* payload bytes */
	bool csum_checked;
};

/*
 * TX: how the TCP checksum is made. TCP_CSUM_FULL: computed here.
 * TCP_CSUM_PARTIAL: the pseudo-header sum in the field, NEEDS_CSUM with
 * csum_start 34 and csum_offset 16 for the device. gso_size > 0 (with
 * partial) and more payload than gso_size: a TSO super-frame, gso_type
 * TCPV4 and hdr_len set.
 */
struct tcp_tx_opts {
	bool partial;
	uint16_t gso_size;
};

/*
 * Ethernet, IPv4 (DF, TTL 64, the header checksum) and TCP headers with
 * optlen bytes of options (a multiple of 4, copied from opts) in front of
 * the payload already at frame + TCP_PAYLOAD + optlen. s gives ports,
 * seq, ack, flags and window (the addresses come from src/dst). Returns the
 * frame length; *gso tells whether the header asks for segmentation.
 */
uint32_t tcp_build(uint8_t *frame, const struct net_addr *src, const struct net_addr *dst,
		   const struct tcp_seg *s, const uint8_t *opts, uint32_t optlen, uint32_t len,
		   const struct tcp_tx_opts *o, struct virtio_net_hdr *hdr, bool *gso);

/*
 * An IPv4 TCP segment: 1 (parsed into *s), 0 not IPv4 TCP (or a fragment),
 * -1 malformed or a wrong checksum (*why). skip_l4 skips the TCP checksum
 * (DATA_VALID); the IPv4 header checksum is always checked.
 */
int tcp_parse(const uint8_t *frame, uint32_t len, bool skip_l4, struct tcp_seg *s,
	      const char **why);

#endif
