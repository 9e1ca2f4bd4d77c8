// SPDX-License-Identifier: MIT
// Probe guest minimal network layer: Ethernet, ARP (RFC 826), IPv4 (RFC 791), UDP (RFC 768),
// Internet checksums (RFC 1071), built in place in TX slots and parsed from RX frames.
#ifndef PROBE_NETSTACK_H
#define PROBE_NETSTACK_H

#include "lib.h"
#include "netdrv.h"

#define NET_ETH_HLEN	 14
#define NET_ETH_P_IP	 0x0800
#define NET_ETH_P_ARP	 0x0806
#define NET_ETH_MIN	 60 /* shortest Ethernet frame without the FCS */
#define NET_IP4_HLEN	 20
#define NET_IP_UDP	 17
#define NET_UDP_HLEN	 8
#define NET_UDP_CSUM_OFF 6
#define NET_UDP_PAYLOAD	 (NET_ETH_HLEN + NET_IP4_HLEN + NET_UDP_HLEN) /* 42 */
#define NET_ARP_REQUEST	 1
#define NET_ARP_REPLY	 2

/* One end of a UDP flow. ip in host byte order. */
struct net_addr {
	uint8_t mac[6];
	uint32_t ip;
	uint16_t port;
};

enum net_kind {
	NET_OTHER, /* not ARP for IPv4, not IPv4, or IPv4 but not UDP / a fragment */
	NET_ARP,
	NET_UDP,
	NET_BAD, /* malformed or a wrong checksum: why says which */
};

/* A parsed frame; pointers into it. */
struct net_pkt {
	enum net_kind kind;
	const char *why; /* NET_BAD, or NET_OTHER's kind */
	const uint8_t *dst_mac, *src_mac;
	uint16_t arp_op;
	const uint8_t *arp_sha;
	uint32_t arp_spa, arp_tpa;
	uint32_t src_ip, dst_ip;
	uint16_t sport, dport;
	const uint8_t *payload;
	uint32_t payload_len;
	bool udp_csum_zero; /* sent without a UDP checksum (allowed over IPv4) */
	bool csum_checked;  /* the L4 checksum was verified (not skipped) */
};

/* RFC 1071: adds bytes as big-endian 16-bit words (an odd tail padded with 0). */
uint32_t net_csum_add(uint32_t sum, const uint8_t *p, uint32_t n);
uint16_t net_csum_fold(uint32_t sum);

/* "a.b.c.d" (decimal) and "aa:bb:cc:dd:ee:ff" (hex): 0 or -1. */
int net_parse_ip4(struct str s, uint32_t *ip);
int net_parse_mac(struct str s, uint8_t mac[6]);

/*
 * Ethernet, IPv4 and UDP headers around the payload_len bytes already at
 * frame + NET_UDP_PAYLOAD. With partial (CSUM negotiated), the UDP checksum
 * field gets the pseudo-header sum and hdr NEEDS_CSUM, csum_start 34,
 * csum_offset 6 (§5.1.6.2); otherwise the full checksum (0 sent as 0xffff).
 * Returns the frame length.
 */
uint32_t net_udp_build(uint8_t *frame, const struct net_addr *src, const struct net_addr *dst,
		       uint32_t payload_len, bool partial, struct virtio_net_hdr *hdr);

/* A TCP/IPv4 frame for the offload tests (nethostile_tx.c, netverify.c). */
struct net_tcp_spec {
	uint32_t seq;
	uint8_t flags;		/* TCP flags byte */
	uint8_t doff;		/* the data offset written (the header is 20 bytes whatever it says) */
	uint32_t payload;	/* bytes of net_pattern_fill(index) after the header */
	uint32_t index;
	uint16_t mss;		/* 0: checksum only; else GSO TCPV4 at mss, hdr_len 54 */
};
/*
 * Ethernet, IPv4 (DF) and a 20-byte TCP header from src to dst, as a driver
 * with checksum offload sends it: the checksum field holds the pseudo-header
 * sum, hdr asks NEEDS_CSUM at 34/16. Returns the frame length.
 */
uint32_t net_tcp_build(uint8_t *frame, const struct net_addr *src, const struct net_addr *dst,
		       const struct net_tcp_spec *s, struct virtio_net_hdr *hdr);
/* An ARP frame padded to 60 bytes; a request goes to the broadcast MAC. Returns 60. */
uint32_t net_arp_build(uint8_t *frame, uint16_t op, const uint8_t sha[6], uint32_t spa,
		       const uint8_t tha[6], uint32_t tpa);

/*
 * Classifies a received frame and checks IPv4 (header checksum, lengths)
 * and UDP (length, checksum unless skip_l4: DATA_VALID).
 */
void net_parse(const uint8_t *frame, uint32_t len, bool skip_l4, struct net_pkt *p);

/* The test pattern: bytes 0-3 the index (big-endian), byte k ≥ 4 (index + k) & 0xff. */
void net_pattern_fill(uint8_t *p, uint32_t len, uint32_t index);
/* The index a payload claims, or -1 if the pattern does not hold (len < 4 included). */
int64_t net_pattern_check(const uint8_t *p, uint32_t len);

/* Network byte order, for building and parsing headers byte by byte. */
static inline void be16_put(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void be32_put(uint8_t *p, uint32_t v)
{
	be16_put(p, (uint16_t)(v >> 16));
	be16_put(p + 2, (uint16_t)v);
}

static inline uint16_t be16_get(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t be32_get(const uint8_t *p)
{
	return (uint32_t)be16_get(p) << 16 | be16_get(p + 2);
}

#endif
