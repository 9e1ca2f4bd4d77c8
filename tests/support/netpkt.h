// SPDX-License-Identifier: MIT
// Test frames: Ethernet + IPv4 + UDP/TCP built byte by byte, with full or partial (as Linux leaves
// them for CHECKSUM_PARTIAL) L4 checksums, and the checks that a received frame is intact.
#ifndef MINNOW_TEST_NETPKT_H
#define MINNOW_TEST_NETPKT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NETPKT_ETH_LEN	 14
#define NETPKT_IP4_LEN	 20
#define NETPKT_UDP_LEN	 8
#define NETPKT_TCP_LEN	 20
#define NETPKT_L4_AT	 (NETPKT_ETH_LEN + NETPKT_IP4_LEN)	/* 34 */
#define NETPKT_TCP_DATA	 (NETPKT_L4_AT + NETPKT_TCP_LEN)	/* 54 */
#define NETPKT_UDP_DATA	 (NETPKT_L4_AT + NETPKT_UDP_LEN)	/* 42 */

#define NETPKT_TCP_FIN 0x01
#define NETPKT_TCP_SYN 0x02
#define NETPKT_TCP_RST 0x04
#define NETPKT_TCP_PSH 0x08
#define NETPKT_TCP_ACK 0x10

struct netpkt_flow {
	uint8_t src_mac[6], dst_mac[6];
	uint32_t src_ip, dst_ip;	/* host byte order */
	uint16_t sport, dport;
};

/* The 16-bit one's complement sum of p (RFC 1071), added to sum; not folded, not inverted. */
uint32_t netpkt_sum(const void *p, size_t len, uint32_t sum);
uint16_t netpkt_fold(uint32_t sum);

/*
 * Ethernet + IPv4 + UDP + payload into buf; returns the frame length (0 if
 * max is too small). partial: the UDP checksum field holds the folded
 * pseudo-header sum, for a device to finish at csum_start 34, offset 6.
 */
size_t netpkt_udp4(uint8_t *buf, size_t max, const struct netpkt_flow *f, const void *payload,
		   size_t len, bool partial);
/* The same with TCP (20-byte header, window 65535); csum_offset 16. */
size_t netpkt_tcp4(uint8_t *buf, size_t max, const struct netpkt_flow *f, uint32_t seq,
		   uint32_t ack, uint8_t tcp_flags, const void *payload, size_t len, bool partial);

/* Whether an IPv4 frame's header checksum and TCP/UDP checksum are right. */
bool netpkt_ip4_csum_ok(const uint8_t *frame, size_t len);
bool netpkt_l4_csum_ok(const uint8_t *frame, size_t len);
/* Finishes a partial checksum as a device would: sum from start, store at start + off. */
void netpkt_finish_csum(uint8_t *frame, size_t len, uint16_t start, uint16_t off);

/* A guest (10.99.1.2, 02:00:00:00:00:02) talking to a host (10.99.2.2, 02:00:00:00:00:01). */
extern const struct netpkt_flow netpkt_test_flow;

/* Fills p with a pattern that depends on seed and the byte's index. */
void netpkt_pattern(uint8_t *p, size_t len, uint32_t seed);

#endif
