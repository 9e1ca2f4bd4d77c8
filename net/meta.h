// SPDX-License-Identifier: MIT
// Backend-neutral packet metadata: what the device validated from the guest's virtio-net header
// (TX), and what a backend says about a received frame (RX). After OpenVMM's TxMetadata and
// RxMetadata (microsoft/openvmm, net_backend).
#ifndef MINNOW_NET_META_H
#define MINNOW_NET_META_H

#include <stdbool.h>
#include <stdint.h>

/* What a backend can do; the device offers only features backed by these (DESIGN §5). */
struct net_caps {
	/* Guest -> host: the backend finishes checksums and segments super-frames. */
	bool tx_csum;		/* TCP and UDP checksums, IPv4 and IPv6 */
	bool tx_tso4, tx_tso6, tx_ecn, tx_uso;
	/* Host -> guest: the backend can hand up partial checksums and super-frames. */
	bool rx_csum;
	bool rx_tso4, rx_tso6, rx_ecn, rx_uso;
};

enum net_tx_flag {
	NET_TX_CSUM_TCP = 1 << 0,	/* finish the TCP checksum at l2_len + l3_len + 16 */
	NET_TX_CSUM_UDP = 1 << 1,	/* finish the UDP checksum at l2_len + l3_len + 6 */
	NET_TX_CSUM_IP4 = 1 << 2,	/* recompute each segment's IPv4 header checksum */
	NET_TX_TSO = 1 << 3,		/* segment TCP at mss */
	NET_TX_USO = 1 << 4,		/* segment UDP at mss */
	NET_TX_ECN = 1 << 5,		/* the TCP super-frame carries ECN (CWR on the first segment) */
	NET_TX_IPV4 = 1 << 6,
	NET_TX_IPV6 = 1 << 7,
};

/* A TX frame's validated offload request. All zero: send as is. */
struct net_tx_meta {
	uint32_t flags;		/* enum net_tx_flag */
	uint32_t len;		/* frame length, without the virtio-net header */
	uint16_t l2_len;	/* Ethernet (+ one 802.1Q tag) */
	uint16_t l3_len;	/* IP header(s) up to the L4 header */
	uint16_t l4_len;	/* TCP header with options, or 8 for UDP; set with TSO/USO */
	uint16_t mss;		/* segment payload size; set with TSO/USO */
};

enum net_csum_state {
	NET_CSUM_UNKNOWN,		/* not checked */
	NET_CSUM_GOOD,			/* checked and correct */
	NET_CSUM_BAD,			/* checked and wrong */
	NET_CSUM_VALIDATED_WRONG,	/* payload validated, header field stale (coalesced) */
};

enum net_rx_gso {
	NET_RX_GSO_NONE,
	NET_RX_GSO_TCPV4,
	NET_RX_GSO_TCPV6,
	NET_RX_GSO_UDP_L4,
	NET_RX_GSO_UNKNOWN,	/* a super-frame of a type no guest can take: never delivered */
};

/* What a backend knows about a received frame. */
struct net_rx_meta {
	enum net_csum_state ip_csum;
	enum net_csum_state l4_csum;
	/* The L4 checksum is partial, to be finished at csum_start + csum_offset. */
	bool csum_partial;
	uint16_t csum_start, csum_offset;
	enum net_rx_gso gso;		/* a super-frame the guest must accept as one */
	bool gso_ecn;
	uint16_t gso_size;
	uint16_t hdr_len;		/* hint: bytes of headers */
};

#endif
