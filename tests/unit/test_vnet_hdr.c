// SPDX-License-Identifier: MIT
// Unit tests for devices/virtio/vnet_hdr, TX side: the guest's header validated against real
// frames (docs/catalogue.md O1-O12, and the cases of the OpenVMM change), frames cut across iovecs anywhere,
// and the tap header rebuilt from the metadata.
#include <check.h>
#include <endian.h>
#include <stdbool.h>
#include <string.h>

#include "devices/virtio/vdev.h"
#include "devices/virtio/vnet_hdr.h"
#include "net/tap_hdr.h"
#include "tests/unit/suites.h"

#define F(x)	 VIRTIO_BIT(VIRTIO_NET_F_##x)
#define NEG_TX	 (F(CSUM) | F(HOST_TSO4) | F(HOST_TSO6) | F(HOST_ECN) | F(HOST_USO))
#define NEEDS	 VIRTIO_NET_HDR_F_NEEDS_CSUM
#define TCPV4	 VIRTIO_NET_HDR_GSO_TCPV4
#define TCPV6	 VIRTIO_NET_HDR_GSO_TCPV6
#define UDP_L4	 VIRTIO_NET_HDR_GSO_UDP_L4
#define ECN	 VIRTIO_NET_HDR_GSO_ECN

enum { IP4, IP6 };
enum { UDP, TCP };

static uint8_t buf[VNET_MAX_FRAME + 64];

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

/*
 * A real frame in buf: Ethernet (one 802.1Q tag if vlan), a bare IPv4 or
 * IPv6 header, TCP with tcp_hlen bytes of header or UDP, then payload bytes.
 * The TCP bytes beside the data-offset byte are set so that reading the
 * wrong one gives a different length. Returns the frame length.
 */
static uint32_t mk(bool vlan, int ip, int l4, unsigned int tcp_hlen, unsigned int payload)
{
	uint32_t n = 12;

	memset(buf, 0x5a, sizeof(buf));
	memcpy(buf, "\x52\x54\x00\x12\x34\x56\x52\x54\x00\x65\x43\x21", 12);
	if (vlan) {
		put16(buf + 12, 0x8100);
		put16(buf + 14, 5);
		n = 16;
	}
	put16(buf + n, ip == IP6 ? 0x86dd : 0x0800);
	n += 2;
	memset(buf + n, 0, ip == IP6 ? 40 : 20);
	if (ip == IP6) {
		buf[n] = 0x60;
		buf[n + 6] = l4 == TCP ? 6 : 17;
		n += 40;
	} else {
		buf[n] = 0x45;
		buf[n + 9] = l4 == TCP ? 6 : 17;
		n += 20;
	}
	if (l4 == TCP) {
		memset(buf + n, 0xff, tcp_hlen);
		buf[n + 12] = (uint8_t)(tcp_hlen / 4) << 4;
		buf[n + 13] = 0x18;	/* PSH|ACK: a data offset of 4 bytes if misread */
		n += tcp_hlen;
	} else {
		memset(buf + n, 0, 8);
		n += 8;
	}
	return n + payload;
}

static struct virtio_net_hdr_v1 hdr(uint8_t flags, uint8_t gso, uint16_t hdr_len,
				    uint16_t gso_size, uint16_t start, uint16_t off)
{
	struct virtio_net_hdr_v1 h = { .flags = flags, .gso_type = gso };

	h.hdr_len = htole16(hdr_len);
	h.gso_size = htole16(gso_size);
	h.csum_start = htole16(start);
	h.csum_offset = htole16(off);
	return h;
}

static int parse(struct virtio_net_hdr_v1 h, uint32_t len, uint64_t neg, struct net_tx_meta *m)
{
	struct iovec iov = { .iov_base = buf, .iov_len = len };

	return vnet_hdr_tx_parse(&h, &iov, 1, len, neg, m);
}

#define ck_meta(m, fl, ln, l2, l3, l4, ms)                                                         \
	do {                                                                                       \
		ck_assert_uint_eq((m)->flags, (fl));                                               \
		ck_assert_uint_eq((m)->len, (ln));                                                 \
		ck_assert_uint_eq((m)->l2_len, (l2));                                              \
		ck_assert_uint_eq((m)->l3_len, (l3));                                              \
		ck_assert_uint_eq((m)->l4_len, (l4));                                              \
		ck_assert_uint_eq((m)->mss, (ms));                                                 \
	} while (0)

/* A rejected frame: the reason, and nothing left in the metadata. */
#define ck_drop(h, len, neg, err)                                                                  \
	do {                                                                                       \
		struct net_tx_meta m_;                                                             \
		memset(&m_, 0xee, sizeof(m_));                                                     \
		ck_assert_int_eq(parse((h), (len), (neg), &m_), (err));                            \
		ck_meta(&m_, 0, 0, 0, 0, 0, 0);                                                    \
	} while (0)

START_TEST(test_tx_zero_header_no_offload)
{
	uint32_t len = mk(false, IP4, TCP, 20, 100);
	struct virtio_net_hdr_v1 out;
	struct net_tx_meta m;

	/* A1: nothing asked, nothing to do, with or without features. */
	ck_assert_int_eq(parse(hdr(0, 0, 0, 0, 0, 0), len, 0, &m), 0);
	ck_meta(&m, 0, len, 0, 0, 0, 0);
	ck_assert_int_eq(parse(hdr(0, 0, 0, 0, 0, 0), len, NEG_TX, &m), 0);
	ck_meta(&m, 0, len, 0, 0, 0, 0);
	tap_hdr_from_tx_meta(&m, &out);
	ck_assert_mem_eq(&out, &(struct virtio_net_hdr_v1){ 0 }, sizeof(out));
}
END_TEST

START_TEST(test_tx_csum_ipv4_tcp_udp_accepted)
{
	uint32_t len = mk(false, IP4, TCP, 20, 100);
	struct net_tx_meta m;

	/* A2, seed tx_offload_tcp_checksum: no CSUM_IP4, the guest filled that one. */
	ck_assert_int_eq(parse(hdr(NEEDS, 0, 0, 0, 34, 16), len, F(CSUM), &m), 0);
	ck_meta(&m, NET_TX_CSUM_TCP | NET_TX_IPV4, len, 14, 20, 0, 0);
	len = mk(false, IP4, UDP, 0, 100);
	ck_assert_int_eq(parse(hdr(NEEDS, 0, 0, 0, 34, 6), len, F(CSUM), &m), 0);
	ck_meta(&m, NET_TX_CSUM_UDP | NET_TX_IPV4, len, 14, 20, 0, 0);
}
END_TEST

START_TEST(test_tx_csum_ipv6_tcp_udp_accepted)
{
	uint32_t len = mk(false, IP6, TCP, 20, 100);
	struct net_tx_meta m;

	ck_assert_int_eq(parse(hdr(NEEDS, 0, 0, 0, 54, 16), len, F(CSUM), &m), 0);
	ck_meta(&m, NET_TX_CSUM_TCP | NET_TX_IPV6, len, 14, 40, 0, 0);
	len = mk(false, IP6, UDP, 0, 100);
	ck_assert_int_eq(parse(hdr(NEEDS, 0, 0, 0, 54, 6), len, F(CSUM), &m), 0);
	ck_meta(&m, NET_TX_CSUM_UDP | NET_TX_IPV6, len, 14, 40, 0, 0);
}
END_TEST

START_TEST(test_tx_csum_vlan_accepted)
{
	uint32_t len = mk(true, IP4, TCP, 20, 100);
	struct net_tx_meta m;

	/* A3, seed tx_offload_vlan_ipv4/ipv6: one 802.1Q tag makes l2 18. */
	ck_assert_int_eq(parse(hdr(NEEDS, 0, 0, 0, 38, 16), len, F(CSUM), &m), 0);
	ck_meta(&m, NET_TX_CSUM_TCP | NET_TX_IPV4, len, 18, 20, 0, 0);
	len = mk(true, IP6, UDP, 0, 100);
	ck_assert_int_eq(parse(hdr(NEEDS, 0, 0, 0, 58, 6), len, F(CSUM), &m), 0);
	ck_meta(&m, NET_TX_CSUM_UDP | NET_TX_IPV6, len, 18, 40, 0, 0);
}
END_TEST

START_TEST(test_tx_unknown_l3_dropped)
{
	uint32_t len = mk(true, IP4, TCP, 20, 100);
	struct net_tx_meta m;

	/* A3: QinQ is never sent with a partial checksum; nor stacked tags, nor ARP. */
	put16(buf + 12, 0x88a8);
	ck_drop(hdr(NEEDS, 0, 0, 0, 38, 16), len, F(CSUM), VNET_TX_ERR_L3);
	put16(buf + 12, 0x8100);
	put16(buf + 16, 0x8100);
	ck_drop(hdr(NEEDS, 0, 0, 0, 38, 16), len, F(CSUM), VNET_TX_ERR_L3);
	len = mk(false, IP4, TCP, 20, 100);
	put16(buf + 12, 0x0806);
	ck_drop(hdr(NEEDS, 0, 0, 0, 34, 16), len, F(CSUM), VNET_TX_ERR_L3);
	/* A tag cut short: 16 or 17 bytes cannot hold the inner EtherType. */
	len = mk(true, IP4, TCP, 20, 100);
	ck_drop(hdr(NEEDS, 0, 0, 0, 15, 0), 16, F(CSUM), VNET_TX_ERR_L3);
	ck_drop(hdr(NEEDS, 0, 0, 0, 15, 0), 17, F(CSUM), VNET_TX_ERR_L3);
	len = mk(false, IP4, TCP, 20, 100);
	/* Without NEEDS_CSUM the L3 is not our business: sent as is. */
	put16(buf + 12, 0x88a8);
	ck_assert_int_eq(parse(hdr(0, 0, 0, 0, 38, 16), len, F(CSUM), &m), 0);
	ck_meta(&m, 0, len, 0, 0, 0, 0);
}
END_TEST

START_TEST(test_tx_csum_offset_not_tcp_udp_dropped)
{
	static const uint16_t offs[] = { 0, 2, 4, 7, 10, 15, 17, 18, 40 };
	uint32_t len = mk(false, IP4, TCP, 20, 100);

	/* A4: the metadata names TCP and UDP only; never a silent downgrade. */
	for (unsigned int i = 0; i < ARRAY_SIZE(offs); i++)
		ck_drop(hdr(NEEDS, 0, 0, 0, 34, offs[i]), len, F(CSUM), VNET_TX_ERR_CSUM_OFFSET);
}
END_TEST

START_TEST(test_tx_needs_csum_without_csum_dropped)
{
	uint32_t len = mk(false, IP4, TCP, 20, 100);
	struct net_tx_meta m;

	/* A5: §5.1.6.2.1, flags MUST be 0 without CSUM. */
	ck_drop(hdr(NEEDS, 0, 0, 0, 34, 16), len, 0, VNET_TX_ERR_CSUM_NOT_NEGOTIATED);
	ck_drop(hdr(NEEDS, 0, 0, 0, 34, 16), len, NEG_TX & ~F(CSUM),
		VNET_TX_ERR_CSUM_NOT_NEGOTIATED);
	/* Without NEEDS_CSUM, csum_start/offset are never looked at (§5.1.6.2.2). */
	ck_assert_int_eq(parse(hdr(0, 0, 0, 0, 0xffff, 0xffff), len, F(CSUM), &m), 0);
	ck_meta(&m, 0, len, 0, 0, 0, 0);
}
END_TEST

START_TEST(test_tx_csum_bounds_rejected)
{
	uint32_t len = mk(false, IP4, UDP, 0, 100);
	struct net_tx_meta m;

	/* A6: csum_start must be past L2. */
	ck_drop(hdr(NEEDS, 0, 0, 0, 0, 6), len, F(CSUM), VNET_TX_ERR_CSUM_RANGE);
	ck_drop(hdr(NEEDS, 0, 0, 0, 13, 6), len, F(CSUM), VNET_TX_ERR_CSUM_RANGE);
	ck_drop(hdr(NEEDS, 0, 0, 0, 14, 6), len, F(CSUM), VNET_TX_ERR_CSUM_RANGE);
	/* ... and the 2-byte field inside the frame: the last fitting start passes. */
	ck_assert_int_eq(parse(hdr(NEEDS, 0, 0, 0, len - 8, 6), len, F(CSUM), &m), 0);
	ck_meta(&m, NET_TX_CSUM_UDP | NET_TX_IPV4, len, 14, len - 8 - 14, 0, 0);
	ck_drop(hdr(NEEDS, 0, 0, 0, len - 7, 6), len, F(CSUM), VNET_TX_ERR_CSUM_RANGE);
	/* 16-bit wrap: start + offset + 2 overflows u16 but not the check. */
	ck_drop(hdr(NEEDS, 0, 0, 0, 0xffff, 16), len, F(CSUM), VNET_TX_ERR_CSUM_RANGE);
	ck_drop(hdr(NEEDS, 0, 0, 0, 0xfff0, 14), len, F(CSUM), VNET_TX_ERR_CSUM_RANGE);
	ck_drop(hdr(NEEDS, 0, 0, 0, 34, 0xfffe), len, F(CSUM), VNET_TX_ERR_CSUM_RANGE);
	ck_drop(hdr(NEEDS, 0, 0, 0, 0xffff, 0xffff), VNET_MAX_FRAME, F(CSUM),
		VNET_TX_ERR_CSUM_RANGE);
	/* With a tag, l2 is 18: a start at 18 is still inside L2. */
	len = mk(true, IP4, UDP, 0, 100);
	ck_drop(hdr(NEEDS, 0, 0, 0, 18, 6), len, F(CSUM), VNET_TX_ERR_CSUM_RANGE);
}
END_TEST

START_TEST(test_tx_frame_length_limits)
{
	struct net_tx_meta m;

	/* §5.1.6.3: at most 65550 bytes; at least an Ethernet header. */
	mk(false, IP4, UDP, 0, 0);
	ck_drop(hdr(0, 0, 0, 0, 0, 0), 0, NEG_TX, VNET_TX_ERR_SHORT);
	ck_drop(hdr(0, 0, 0, 0, 0, 0), 13, NEG_TX, VNET_TX_ERR_SHORT);
	ck_assert_int_eq(parse(hdr(0, 0, 0, 0, 0, 0), 14, NEG_TX, &m), 0);
	ck_meta(&m, 0, 14, 0, 0, 0, 0);
	ck_assert_int_eq(parse(hdr(0, 0, 0, 0, 0, 0), VNET_MAX_FRAME, NEG_TX, &m), 0);
	ck_meta(&m, 0, VNET_MAX_FRAME, 0, 0, 0, 0);
	ck_drop(hdr(0, 0, 0, 0, 0, 0), VNET_MAX_FRAME + 1, NEG_TX, VNET_TX_ERR_LONG);
	ck_drop(hdr(0, 0, 0, 0, 0, 0), UINT32_MAX, NEG_TX, VNET_TX_ERR_LONG);
	/* The largest csum_start there is fits a UDP checksum, not a TCP one. */
	ck_assert_int_eq(parse(hdr(NEEDS, 0, 0, 0, 0xffff, 6), VNET_MAX_FRAME, F(CSUM), &m), 0);
	ck_meta(&m, NET_TX_CSUM_UDP | NET_TX_IPV4, VNET_MAX_FRAME, 14, 0xffff - 14, 0, 0);
	ck_drop(hdr(NEEDS, 0, 0, 0, 0xffff, 16), VNET_MAX_FRAME, F(CSUM), VNET_TX_ERR_CSUM_RANGE);
}
END_TEST

START_TEST(test_tx_iovecs_shorter_than_frame_dropped)
{
	struct virtio_net_hdr_v1 h = hdr(NEEDS, TCPV4, 0, 1460, 34, 16);
	uint32_t len = mk(false, IP4, TCP, 20, 100);
	struct iovec iov = { .iov_base = buf, .iov_len = 40 };
	struct net_tx_meta m;

	/* A caller bug, not a guest one, but never read past what we were given. */
	ck_assert_int_eq(vnet_hdr_tx_parse(&h, NULL, 0, len, NEG_TX, &m), VNET_TX_ERR_SHORT);
	iov.iov_len = 10;
	ck_assert_int_eq(vnet_hdr_tx_parse(&h, &iov, 1, len, NEG_TX, &m), VNET_TX_ERR_SHORT);
	/* The TCP data-offset byte is at 46: the iovecs end before it. */
	iov.iov_len = 46;
	ck_assert_int_eq(vnet_hdr_tx_parse(&h, &iov, 1, len, NEG_TX, &m),
			 VNET_TX_ERR_GSO_HEADERS);
	ck_meta(&m, 0, 0, 0, 0, 0, 0);
}
END_TEST

START_TEST(test_tx_tso4_accepted)
{
	/* A7, seed tx_offload_tso4: 14 + 20 + 32 (TCP with 12 bytes of options). */
	uint32_t len = mk(false, IP4, TCP, 32, 2 * 1460);
	struct net_tx_meta m;

	ck_assert_int_eq(parse(hdr(NEEDS, TCPV4, 66, 1460, 34, 16), len, NEG_TX, &m), 0);
	ck_meta(&m, NET_TX_TSO | NET_TX_CSUM_TCP | NET_TX_CSUM_IP4 | NET_TX_IPV4, len, 14, 20, 32,
		1460);
	/* With HOST_TSO4 alone (and CSUM) it is the same. */
	ck_assert_int_eq(parse(hdr(NEEDS, TCPV4, 66, 1460, 34, 16), len,
			       F(CSUM) | F(HOST_TSO4), &m), 0);
	ck_meta(&m, NET_TX_TSO | NET_TX_CSUM_TCP | NET_TX_CSUM_IP4 | NET_TX_IPV4, len, 14, 20, 32,
		1460);
}
END_TEST

START_TEST(test_tx_tso6_accepted)
{
	uint32_t len = mk(false, IP6, TCP, 20, 3 * 1440);
	struct net_tx_meta m;

	/* Seed tx_offload_tso6: IPv6 headers carry no checksum, so no CSUM_IP4. */
	ck_assert_int_eq(parse(hdr(NEEDS, TCPV6, 74, 1440, 54, 16), len,
			       F(CSUM) | F(HOST_TSO6), &m), 0);
	ck_meta(&m, NET_TX_TSO | NET_TX_CSUM_TCP | NET_TX_IPV6, len, 14, 40, 20, 1440);
}
END_TEST

START_TEST(test_tx_tso_vlan_accepted)
{
	uint32_t len = mk(true, IP4, TCP, 40, 4000);
	struct net_tx_meta m;

	ck_assert_int_eq(parse(hdr(NEEDS, TCPV4, 78, 1448, 38, 16), len, NEG_TX, &m), 0);
	ck_meta(&m, NET_TX_TSO | NET_TX_CSUM_TCP | NET_TX_CSUM_IP4 | NET_TX_IPV4, len, 18, 20, 40,
		1448);
	len = mk(true, IP6, TCP, 60, 4000);
	ck_assert_int_eq(parse(hdr(NEEDS, TCPV6, 0, 1400, 58, 16), len, NEG_TX, &m), 0);
	ck_meta(&m, NET_TX_TSO | NET_TX_CSUM_TCP | NET_TX_IPV6, len, 18, 40, 60, 1400);
}
END_TEST

START_TEST(test_tx_uso_accepted)
{
	uint32_t len = mk(false, IP4, UDP, 0, 8000);
	struct net_tx_meta m;

	/* Each UDP segment also gets a new IPv4 header (and its checksum). */
	ck_assert_int_eq(parse(hdr(NEEDS, UDP_L4, 42, 1472, 34, 6), len,
			       F(CSUM) | F(HOST_USO), &m), 0);
	ck_meta(&m, NET_TX_USO | NET_TX_CSUM_UDP | NET_TX_CSUM_IP4 | NET_TX_IPV4, len, 14, 20, 8,
		1472);
	len = mk(false, IP6, UDP, 0, 8000);
	ck_assert_int_eq(parse(hdr(NEEDS, UDP_L4, 0, 1452, 54, 6), len, F(CSUM) | F(HOST_USO),
			       &m), 0);
	ck_meta(&m, NET_TX_USO | NET_TX_CSUM_UDP | NET_TX_IPV6, len, 14, 40, 8, 1452);
}
END_TEST

START_TEST(test_tx_gso_without_needs_csum_dropped)
{
	uint32_t len = mk(false, IP4, TCP, 20, 2920);

	/* A8: §5.1.6.2.1, OpenVMM HEAD tx_offload_tso_without_needs_csum_ignored. */
	ck_drop(hdr(0, TCPV4, 54, 1460, 34, 16), len, NEG_TX, VNET_TX_ERR_GSO_NO_CSUM);
	ck_drop(hdr(0, TCPV4 | ECN, 54, 1460, 0, 0), len, NEG_TX, VNET_TX_ERR_GSO_NO_CSUM);
	len = mk(false, IP6, UDP, 0, 2920);
	ck_drop(hdr(VIRTIO_NET_HDR_F_DATA_VALID, UDP_L4, 0, 1000, 54, 6), len, NEG_TX,
		VNET_TX_ERR_GSO_NO_CSUM);
}
END_TEST

START_TEST(test_tx_gso_not_negotiated_dropped)
{
	uint32_t len4 = mk(false, IP4, TCP, 20, 2920);

	/* A9: §5.1.6.2.1, each GSO type only with its HOST_* feature. */
	ck_drop(hdr(NEEDS, TCPV4, 0, 1460, 34, 16), len4, F(CSUM) | F(HOST_TSO6) | F(HOST_USO),
		VNET_TX_ERR_GSO_NOT_NEGOTIATED);
	ck_drop(hdr(NEEDS, TCPV6, 0, 1440, 54, 16), len4, F(CSUM) | F(HOST_TSO4) | F(HOST_USO),
		VNET_TX_ERR_GSO_NOT_NEGOTIATED);
	ck_drop(hdr(NEEDS, UDP_L4, 0, 1000, 34, 6), len4, F(CSUM) | F(HOST_TSO4) | F(HOST_TSO6),
		VNET_TX_ERR_GSO_NOT_NEGOTIATED);
	/* Even without NEEDS_CSUM, the missing feature is named first. */
	ck_drop(hdr(0, TCPV4, 0, 1460, 0, 0), len4, F(CSUM), VNET_TX_ERR_GSO_NOT_NEGOTIATED);
}
END_TEST

START_TEST(test_tx_gso_bad_type_or_size_dropped)
{
	static const uint8_t types[] = { VIRTIO_NET_HDR_GSO_UDP, 2, 6, 7, 0x10, 0x7f, 0x83 };
	uint32_t len = mk(false, IP4, UDP, 0, 2920);

	/* A9: UFO is never offered, so never negotiated; unknown types neither. */
	for (unsigned int i = 0; i < ARRAY_SIZE(types); i++)
		ck_drop(hdr(NEEDS, types[i], 0, 1000, 34, 6), len, NEG_TX, VNET_TX_ERR_GSO_TYPE);
	/* §5.1.6.2.1: gso_size MUST be the MSS. */
	ck_drop(hdr(NEEDS, UDP_L4, 0, 0, 34, 6), len, NEG_TX, VNET_TX_ERR_GSO_SIZE);
	len = mk(false, IP4, TCP, 20, 2920);
	ck_drop(hdr(NEEDS, TCPV4, 54, 0, 34, 16), len, NEG_TX, VNET_TX_ERR_GSO_SIZE);
}
END_TEST

START_TEST(test_tx_gso_ecn)
{
	uint32_t len = mk(false, IP4, TCP, 20, 2920);
	struct net_tx_meta m;

	/* A10: passed through with HOST_ECN ... */
	ck_assert_int_eq(parse(hdr(NEEDS, TCPV4 | ECN, 54, 1460, 34, 16), len, NEG_TX, &m), 0);
	ck_meta(&m, NET_TX_TSO | NET_TX_ECN | NET_TX_CSUM_TCP | NET_TX_CSUM_IP4 | NET_TX_IPV4, len,
		14, 20, 20, 1460);
	/* ... dropped without it, */
	ck_drop(hdr(NEEDS, TCPV4 | ECN, 54, 1460, 34, 16), len, NEG_TX & ~F(HOST_ECN),
		VNET_TX_ERR_GSO_TYPE);
	/* ... and meaningless on its own or on UDP: ECN marks TCP super-frames. */
	ck_drop(hdr(NEEDS, ECN, 0, 0, 34, 16), len, NEG_TX, VNET_TX_ERR_GSO_TYPE);
	len = mk(false, IP4, UDP, 0, 2920);
	ck_drop(hdr(NEEDS, UDP_L4 | ECN, 0, 1000, 34, 6), len, NEG_TX, VNET_TX_ERR_GSO_TYPE);
}
END_TEST

START_TEST(test_tx_hdr_len_ignored)
{
	static const uint16_t lens[] = { 0, 1, 13, 20, 54, 66, 67, 1000, 0xffff };
	uint32_t len = mk(false, IP4, TCP, 32, 2920);
	struct net_tx_meta m;

	/* A11: hdr_len is a hint (§5.1.6.2.2); the data offset decides l4. */
	for (unsigned int i = 0; i < ARRAY_SIZE(lens); i++) {
		ck_assert_int_eq(parse(hdr(NEEDS, TCPV4, lens[i], 1460, 34, 16), len, NEG_TX, &m),
				 0);
		ck_meta(&m, NET_TX_TSO | NET_TX_CSUM_TCP | NET_TX_CSUM_IP4 | NET_TX_IPV4, len, 14,
			20, 32, 1460);
		ck_assert_int_eq(parse(hdr(NEEDS, 0, lens[i], 0, 34, 16), len, NEG_TX, &m), 0);
		ck_meta(&m, NET_TX_CSUM_TCP | NET_TX_IPV4, len, 14, 20, 0, 0);
	}
}
END_TEST

START_TEST(test_tx_rx_only_flags_and_num_buffers_ignored)
{
	uint32_t len = mk(false, IP4, TCP, 20, 2920);
	struct virtio_net_hdr_v1 h;
	struct net_tx_meta m;

	/* A12: DATA_VALID, RSC_INFO and unknown bits on TX are ignored (§5.1.6.2.2). */
	h = hdr(0xff, TCPV4, 54, 1460, 34, 16);
	h.num_buffers = htole16(7);
	ck_assert_int_eq(parse(h, len, NEG_TX, &m), 0);
	ck_meta(&m, NET_TX_TSO | NET_TX_CSUM_TCP | NET_TX_CSUM_IP4 | NET_TX_IPV4, len, 14, 20, 20,
		1460);
	h = hdr(0xff & ~NEEDS, 0, 54, 1460, 34, 16);
	ck_assert_int_eq(parse(h, len, NEG_TX, &m), 0);
	ck_meta(&m, 0, len, 0, 0, 0, 0);
	/* Not even without CSUM: only NEEDS_CSUM needs a feature. */
	ck_assert_int_eq(parse(h, len, 0, &m), 0);
	ck_meta(&m, 0, len, 0, 0, 0, 0);
}
END_TEST

START_TEST(test_tx_gso_ip_version_mismatch_dropped)
{
	uint32_t len = mk(false, IP6, TCP, 20, 2920);

	/* The GSO type names the IP version: it must agree with the EtherType. */
	ck_drop(hdr(NEEDS, TCPV4, 0, 1460, 54, 16), len, NEG_TX, VNET_TX_ERR_L3);
	len = mk(false, IP4, TCP, 20, 2920);
	ck_drop(hdr(NEEDS, TCPV6, 0, 1460, 34, 16), len, NEG_TX, VNET_TX_ERR_L3);
	len = mk(true, IP4, TCP, 20, 2920);
	ck_drop(hdr(NEEDS, TCPV6, 0, 1460, 38, 16), len, NEG_TX, VNET_TX_ERR_L3);
}
END_TEST

START_TEST(test_tx_gso_csum_offset_must_match)
{
	uint32_t len = mk(false, IP4, TCP, 20, 2920);

	/* TCP segmentation finishes the TCP checksum; USO the UDP one. */
	ck_drop(hdr(NEEDS, TCPV4, 0, 1460, 34, 6), len, NEG_TX, VNET_TX_ERR_CSUM_OFFSET);
	ck_drop(hdr(NEEDS, UDP_L4, 0, 1460, 34, 16), len, NEG_TX, VNET_TX_ERR_CSUM_OFFSET);
}
END_TEST

START_TEST(test_tx_tso_bad_data_offset_dropped)
{
	uint32_t len = mk(false, IP4, TCP, 20, 2920);
	struct net_tx_meta m;

	/* A data offset under 5 words is not a TCP header. */
	for (uint8_t doff = 0; doff < 5; doff++) {
		buf[34 + 12] = doff << 4;
		ck_drop(hdr(NEEDS, TCPV4, 54, 1460, 34, 16), len, NEG_TX,
			VNET_TX_ERR_GSO_HEADERS);
	}
	/* 60 bytes of TCP header in a 14 + 20 + 40 byte frame: past the end. */
	len = mk(false, IP4, TCP, 20, 20);
	buf[34 + 12] = 15 << 4;
	ck_drop(hdr(NEEDS, TCPV4, 54, 1460, 34, 16), len, NEG_TX, VNET_TX_ERR_GSO_HEADERS);
	/* Headers ending exactly at the frame's end are fine (no payload). */
	len = mk(false, IP4, TCP, 60, 0);
	ck_assert_int_eq(parse(hdr(NEEDS, TCPV4, 0, 1460, 34, 16), len, NEG_TX, &m), 0);
	ck_meta(&m, NET_TX_TSO | NET_TX_CSUM_TCP | NET_TX_CSUM_IP4 | NET_TX_IPV4, 94, 14, 20, 60,
		1460);
}
END_TEST

START_TEST(test_tx_gso_short_ip_header_dropped)
{
	uint32_t len = mk(false, IP4, TCP, 20, 2920);
	struct net_tx_meta m;

	/* Segmenting rewrites each IP header: a whole one must sit before L4. */
	buf[33 + 12] = 5 << 4;
	ck_drop(hdr(NEEDS, TCPV4, 0, 1460, 33, 16), len, NEG_TX, VNET_TX_ERR_GSO_HEADERS);
	/* Checksum-only needs no IP header rewrite: l3 19 is the guest's business. */
	ck_assert_int_eq(parse(hdr(NEEDS, 0, 0, 0, 33, 16), len, NEG_TX, &m), 0);
	ck_meta(&m, NET_TX_CSUM_TCP | NET_TX_IPV4, len, 14, 19, 0, 0);
	len = mk(false, IP6, UDP, 0, 2920);
	ck_drop(hdr(NEEDS, UDP_L4, 0, 1000, 53, 6), len, NEG_TX, VNET_TX_ERR_GSO_HEADERS);
	len = mk(true, IP6, TCP, 20, 2920);
	buf[57 + 12] = 5 << 4;
	ck_drop(hdr(NEEDS, TCPV6, 0, 1000, 57, 16), len, NEG_TX, VNET_TX_ERR_GSO_HEADERS);
	/* IPv4 options: a longer IP header is fine (l3 24). */
	len = mk(false, IP4, TCP, 20, 2920);
	buf[38 + 12] = 5 << 4;
	ck_assert_int_eq(parse(hdr(NEEDS, TCPV4, 0, 1460, 38, 16), len, NEG_TX, &m), 0);
	ck_meta(&m, NET_TX_TSO | NET_TX_CSUM_TCP | NET_TX_CSUM_IP4 | NET_TX_IPV4, len, 14, 24, 20,
		1460);
}
END_TEST

START_TEST(test_tx_gso_headers_past_16_bits_dropped)
{
	/* l2 + l3 = 65500 and 40 bytes of TCP: 65540 cannot be a 16-bit hdr_len. */
	uint32_t len = VNET_MAX_FRAME;
	struct net_tx_meta m;

	mk(false, IP4, TCP, 20, 0);
	buf[65500 + 12] = 10 << 4;
	ck_drop(hdr(NEEDS, TCPV4, 0, 1460, 65500, 16), len, NEG_TX, VNET_TX_ERR_GSO_HEADERS);
	/* 65480 + 40 = 65520 still fits. */
	buf[65480 + 12] = 10 << 4;
	ck_assert_int_eq(parse(hdr(NEEDS, TCPV4, 0, 1460, 65480, 16), len, NEG_TX, &m), 0);
	ck_meta(&m, NET_TX_TSO | NET_TX_CSUM_TCP | NET_TX_CSUM_IP4 | NET_TX_IPV4, len, 14,
		65480 - 14, 40, 1460);
}
END_TEST

/* Parses buf[0, len) cut into iovecs at the given offsets, with empty iovecs between. */
static int parse_split(struct virtio_net_hdr_v1 h, uint32_t len, const uint32_t *cuts,
		       unsigned int nr_cuts, struct net_tx_meta *m)
{
	struct iovec iov[16];
	unsigned int n = 0;
	uint32_t at = 0;

	for (unsigned int i = 0; i <= nr_cuts; i++) {
		uint32_t end = i < nr_cuts ? cuts[i] : len;

		iov[n++] = (struct iovec){ .iov_base = buf + at, .iov_len = end - at };
		iov[n++] = (struct iovec){ .iov_base = NULL, .iov_len = 0 };
		at = end;
	}
	return vnet_hdr_tx_parse(&h, iov, n, len, NEG_TX, m);
}

START_TEST(test_tx_split_anywhere_same_result)
{
	/* VLAN + IPv4 + TCP with 32 bytes of header: data offset byte at 18 + 20 + 12 = 50. */
	uint32_t len = mk(true, IP4, TCP, 32, 1000);
	struct virtio_net_hdr_v1 h = hdr(NEEDS, TCPV4, 0, 1460, 38, 16);
	const uint32_t flags = NET_TX_TSO | NET_TX_CSUM_TCP | NET_TX_CSUM_IP4 | NET_TX_IPV4;
	struct net_tx_meta m;

	/* Every single cut, in the Ethernet header, the tag, the TCP header and beyond. */
	for (uint32_t cut = 1; cut < 80; cut++) {
		ck_assert_int_eq(parse_split(h, len, &cut, 1, &m), 0);
		ck_meta(&m, flags, len, 18, 20, 32, 1460);
	}
	/* Several cuts at once, around the EtherTypes and the data-offset byte. */
	{
		const uint32_t cuts[] = { 1, 13, 15, 17, 49, 50, 51 };

		ck_assert_int_eq(parse_split(h, len, cuts, ARRAY_SIZE(cuts), &m), 0);
		ck_meta(&m, flags, len, 18, 20, 32, 1460);
	}
}
END_TEST

START_TEST(test_tx_one_byte_iovecs_same_result)
{
	uint32_t len = mk(false, IP6, TCP, 24, 0);
	struct virtio_net_hdr_v1 h = hdr(NEEDS, TCPV6, 0, 1000, 54, 16);
	struct iovec iov[80];
	struct net_tx_meta m;

	for (uint32_t i = 0; i < len; i++)
		iov[i] = (struct iovec){ .iov_base = buf + i, .iov_len = 1 };
	ck_assert_int_eq(vnet_hdr_tx_parse(&h, iov, len, len, NEG_TX, &m), 0);
	ck_meta(&m, NET_TX_TSO | NET_TX_CSUM_TCP | NET_TX_IPV6, len, 14, 40, 24, 1000);
}
END_TEST

/* The guest's header through the parser and back out: what the tap is given. */
static void ck_tap_hdr(struct virtio_net_hdr_v1 in, uint32_t len, struct virtio_net_hdr_v1 want)
{
	struct virtio_net_hdr_v1 out;
	struct net_tx_meta m;

	ck_assert_int_eq(parse(in, len, NEG_TX, &m), 0);
	memset(&out, 0xee, sizeof(out));
	tap_hdr_from_tx_meta(&m, &out);
	ck_assert_uint_eq(out.flags, want.flags);
	ck_assert_uint_eq(out.gso_type, want.gso_type);
	ck_assert_uint_eq(le16toh(out.hdr_len), le16toh(want.hdr_len));
	ck_assert_uint_eq(le16toh(out.gso_size), le16toh(want.gso_size));
	ck_assert_uint_eq(le16toh(out.csum_start), le16toh(want.csum_start));
	ck_assert_uint_eq(le16toh(out.csum_offset), le16toh(want.csum_offset));
	ck_assert_uint_eq(out.num_buffers, 0);
}

START_TEST(test_tx_round_trip_tap_header)
{
	struct virtio_net_hdr_v1 in;
	uint32_t len;

	/* TSO4 with a garbage hdr_len, num_buffers and RX flags: a clean header out. */
	len = mk(false, IP4, TCP, 32, 2920);
	in = hdr(NEEDS | VIRTIO_NET_HDR_F_DATA_VALID | 0x40, TCPV4, 999, 1460, 34, 16);
	in.num_buffers = htole16(9);
	ck_tap_hdr(in, len, hdr(NEEDS, TCPV4, 66, 1460, 34, 16));
	/* TSO4 with ECN, and over a VLAN. */
	ck_tap_hdr(hdr(NEEDS, TCPV4 | ECN, 0, 1460, 34, 16), len,
		   hdr(NEEDS, TCPV4 | ECN, 66, 1460, 34, 16));
	len = mk(true, IP4, TCP, 20, 2920);
	ck_tap_hdr(hdr(NEEDS, TCPV4, 1, 1448, 38, 16), len, hdr(NEEDS, TCPV4, 58, 1448, 38, 16));
	/* TSO6. */
	len = mk(false, IP6, TCP, 20, 2880);
	ck_tap_hdr(hdr(NEEDS, TCPV6, 0, 1440, 54, 16), len, hdr(NEEDS, TCPV6, 74, 1440, 54, 16));
	/* USO over IPv4 and IPv6. */
	len = mk(false, IP4, UDP, 0, 4000);
	ck_tap_hdr(hdr(NEEDS, UDP_L4, 0, 1472, 34, 6), len, hdr(NEEDS, UDP_L4, 42, 1472, 34, 6));
	len = mk(true, IP6, UDP, 0, 4000);
	ck_tap_hdr(hdr(NEEDS, UDP_L4, 0, 1200, 58, 6), len, hdr(NEEDS, UDP_L4, 66, 1200, 58, 6));
	/* Checksum only: no GSO, hdr_len 0 (the kernel raises it to the checksum's end). */
	len = mk(false, IP4, TCP, 20, 100);
	ck_tap_hdr(hdr(NEEDS, 0, 54, 0, 34, 16), len, hdr(NEEDS, 0, 0, 0, 34, 16));
	len = mk(true, IP6, UDP, 0, 100);
	ck_tap_hdr(hdr(NEEDS, 0, 66, 7, 58, 6), len, hdr(NEEDS, 0, 0, 0, 58, 6));
	/* Nothing asked: all zero, whatever else the guest wrote. */
	ck_tap_hdr(hdr(VIRTIO_NET_HDR_F_RSC_INFO, 0, 54, 1460, 34, 16), len, hdr(0, 0, 0, 0, 0, 0));
}
END_TEST

START_TEST(test_tx_from_meta_fresh_header)
{
	struct net_tx_meta m = { .flags = NET_TX_CSUM_UDP | NET_TX_USO | NET_TX_IPV6,
				 .len = 9000, .l2_len = 18, .l3_len = 40, .l4_len = 8,
				 .mss = 1000 };
	struct virtio_net_hdr_v1 out;

	memset(&out, 0xee, sizeof(out));
	tap_hdr_from_tx_meta(&m, &out);
	ck_assert_uint_eq(out.flags, NEEDS);
	ck_assert_uint_eq(out.gso_type, UDP_L4);
	ck_assert_uint_eq(le16toh(out.hdr_len), 66);
	ck_assert_uint_eq(le16toh(out.gso_size), 1000);
	ck_assert_uint_eq(le16toh(out.csum_start), 58);
	ck_assert_uint_eq(le16toh(out.csum_offset), 6);
	ck_assert_uint_eq(out.num_buffers, 0);
	/* No offload flags: lengths alone do not make a header. */
	m.flags = NET_TX_IPV4;
	tap_hdr_from_tx_meta(&m, &out);
	ck_assert_mem_eq(&out, &(struct virtio_net_hdr_v1){ 0 }, sizeof(out));
}
END_TEST

START_TEST(test_tx_err_names)
{
	static const char *const want[] = {
		"ok", "short", "long", "csum_not_negotiated", "csum_range", "csum_offset", "l3",
		"gso_type", "gso_not_negotiated", "gso_no_csum", "gso_size", "gso_headers",
	};

	ck_assert_uint_eq(ARRAY_SIZE(want), VNET_TX_ERR_MAX);
	for (unsigned int i = 0; i < VNET_TX_ERR_MAX; i++)
		ck_assert_str_eq(vnet_tx_err_names[i], want[i]);
}
END_TEST

Suite *vnet_hdr_suite(void)
{
	Suite *s = suite_create("vnet_hdr");
	TCase *tc = tcase_create("tx");

	tcase_add_test(tc, test_tx_zero_header_no_offload);
	tcase_add_test(tc, test_tx_csum_ipv4_tcp_udp_accepted);
	tcase_add_test(tc, test_tx_csum_ipv6_tcp_udp_accepted);
	tcase_add_test(tc, test_tx_csum_vlan_accepted);
	tcase_add_test(tc, test_tx_unknown_l3_dropped);
	tcase_add_test(tc, test_tx_csum_offset_not_tcp_udp_dropped);
	tcase_add_test(tc, test_tx_needs_csum_without_csum_dropped);
	tcase_add_test(tc, test_tx_csum_bounds_rejected);
	tcase_add_test(tc, test_tx_frame_length_limits);
	tcase_add_test(tc, test_tx_iovecs_shorter_than_frame_dropped);
	tcase_add_test(tc, test_tx_tso4_accepted);
	tcase_add_test(tc, test_tx_tso6_accepted);
	tcase_add_test(tc, test_tx_tso_vlan_accepted);
	tcase_add_test(tc, test_tx_uso_accepted);
	tcase_add_test(tc, test_tx_gso_without_needs_csum_dropped);
	tcase_add_test(tc, test_tx_gso_not_negotiated_dropped);
	tcase_add_test(tc, test_tx_gso_bad_type_or_size_dropped);
	tcase_add_test(tc, test_tx_gso_ecn);
	tcase_add_test(tc, test_tx_hdr_len_ignored);
	tcase_add_test(tc, test_tx_rx_only_flags_and_num_buffers_ignored);
	tcase_add_test(tc, test_tx_gso_ip_version_mismatch_dropped);
	tcase_add_test(tc, test_tx_gso_csum_offset_must_match);
	tcase_add_test(tc, test_tx_tso_bad_data_offset_dropped);
	tcase_add_test(tc, test_tx_gso_short_ip_header_dropped);
	tcase_add_test(tc, test_tx_gso_headers_past_16_bits_dropped);
	tcase_add_test(tc, test_tx_split_anywhere_same_result);
	tcase_add_test(tc, test_tx_one_byte_iovecs_same_result);
	tcase_add_test(tc, test_tx_round_trip_tap_header);
	tcase_add_test(tc, test_tx_from_meta_fresh_header);
	tcase_add_test(tc, test_tx_err_names);
	suite_add_tcase(s, tc);
	return s;
}
