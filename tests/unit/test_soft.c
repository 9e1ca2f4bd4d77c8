// SPDX-License-Identifier: MIT
// Unit tests for net/soft: software checksums and TCP/UDP segmentation, segment bytes compared
// with frames built independently (tests/unit/pkt6.h) for IPv4/IPv6, with and without VLAN,
// from frames cut across iovecs at odd places.
#include <check.h>
#include <endian.h>
#include <errno.h>

#include "devices/virtio/vdev.h"
#include "devices/virtio/vnet_hdr.h"
#include "net/l34.h"
#include "net/soft.h"
#include "tests/unit/pkt6.h"
#include "tests/unit/suites.h"

#define NEG (VIRTIO_BIT(VIRTIO_NET_F_CSUM) | VIRTIO_BIT(VIRTIO_NET_F_HOST_TSO4) | \
	     VIRTIO_BIT(VIRTIO_NET_F_HOST_TSO6) | VIRTIO_BIT(VIRTIO_NET_F_HOST_ECN) | \
	     VIRTIO_BIT(VIRTIO_NET_F_HOST_USO))
#define SEGS_MAX 64
#define CWR 0x80
#define FIN 0x01
#define PSH 0x08
#define ACK 0x10

static uint8_t frame[70000], payload[70000], scratch[SOFT_SCRATCH_LEN], want[70000];

/* What the sink was given: every frame, back to back. */
static struct {
	uint8_t bytes[200000];
	uint32_t at, n, len[SEGS_MAX], off[SEGS_MAX];
	int fail_at;	/* the emit call (1-based) that fails; 0: none */
} got;

static int collect(void *ctx, const uint8_t *f, size_t len)
{
	(void)ctx;
	if (got.fail_at && (int)got.n + 1 == got.fail_at)
		return -EIO;
	ck_assert_uint_lt(got.n, SEGS_MAX);
	ck_assert_uint_le(got.at + len, sizeof(got.bytes));
	got.off[got.n] = got.at;
	got.len[got.n++] = (uint32_t)len;
	memcpy(got.bytes + got.at, f, len);
	got.at += (uint32_t)len;
	return 0;
}

static const struct soft_sink sink = { collect, NULL };

static void setup(void)
{
	memset(&got, 0, sizeof(got));
	for (size_t i = 0; i < sizeof(payload); i++)
		payload[i] = (uint8_t)(i * 131 + (i >> 8) * 7 + 3);
}

/* The guest's request for frame (len bytes) validated as minnow does, into meta. */
static void meta_of(const struct pkt_spec *s, uint32_t len, uint8_t gso, uint16_t mss,
		    struct net_tx_meta *m)
{
	struct virtio_net_hdr_v1 h = { .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM, .gso_type = gso };
	struct iovec iov = { frame, len };

	h.csum_start = htole16((uint16_t)pkt_l4(s));
	h.csum_offset = htole16(s->l4 == PKT_TCP ? 16 : 6);
	h.gso_size = htole16(mss);
	h.hdr_len = htole16((uint16_t)pkt_hdrs(s));
	ck_assert_int_eq(vnet_hdr_tx_parse(&h, &iov, 1, len, NEG, m), 0);
}

/* What the last soft_send said besides its return value. */
static struct soft_result res;

/* soft_send over frame cut into four pieces at odd places. */
static int send_split(const struct net_tx_meta *m, uint32_t len)
{
	struct iovec iov[4] = {
		{ frame, 7 }, { frame + 7, 33 }, { frame + 40, 101 }, { frame + 141, len - 141 },
	};

	return soft_send(m, iov, 4, scratch, &sink, &res);
}

/* Segments i of n of a super-frame of spec s, as Linux's GSO writes them. */
static uint32_t want_segment(const struct pkt_spec *s, uint32_t plen, uint16_t mss, uint32_t i,
			     uint32_t n)
{
	struct pkt_spec seg = *s;
	uint32_t chunk = plen - i * mss < mss ? plen - i * mss : mss;

	seg.ip_len_override = 0;
	seg.ip_id = (uint16_t)(s->ip_id + i);
	seg.seq = s->seq + i * mss;
	if (i > 0)
		seg.tcp_flags &= ~CWR;
	if (i + 1 < n)
		seg.tcp_flags &= ~(FIN | PSH);
	return pkt_build(&seg, payload + i * mss, chunk, true, want);
}

static void check_gso(struct pkt_spec s, uint32_t plen, uint16_t mss)
{
	uint8_t gso = s.l4 == PKT_UDP ? VIRTIO_NET_HDR_GSO_UDP_L4 :
		      s.ip == PKT_IP4 ? VIRTIO_NET_HDR_GSO_TCPV4 : VIRTIO_NET_HDR_GSO_TCPV6;
	uint32_t len = pkt_build(&s, payload, plen, false, frame), n = (plen + mss - 1) / mss;
	struct net_tx_meta m;

	meta_of(&s, len, gso, mss, &m);
	ck_assert_int_eq(send_split(&m, len), 0);
	ck_assert_uint_eq(res.frames, n);
	ck_assert_int_eq(res.err, 0);
	ck_assert_uint_eq(got.n, n);
	for (uint32_t i = 0; i < n; i++) {
		uint32_t wl = want_segment(&s, plen, mss, i, n);

		ck_assert_uint_eq(got.len[i], wl);
		ck_assert_mem_eq(got.bytes + got.off[i], want, wl);
	}
}

START_TEST(test_soft_tso_segments_equal_independent_bytes)
{
	/* _i: bit 0 VLAN, bit 1 IPv6. 4000 bytes at 1448: 1448, 1448, 1104. */
	struct pkt_spec s = { .vlan = _i & 1, .ip = _i & 2 ? PKT_IP6 : PKT_IP4, .l4 = PKT_TCP,
			      .ip_id = 0x1234, .seq = 0xfffff000, .tcp_flags = CWR | ACK | PSH | FIN };

	check_gso(s, 4000, 1448);
}
END_TEST

START_TEST(test_soft_tso_options_id_wrap_exact_multiple)
{
	/* 12 bytes of TCP options; the IPv4 ID wraps; the payload is 5 whole segments. */
	struct pkt_spec s = { .vlan = _i & 1, .ip = _i & 2 ? PKT_IP6 : PKT_IP4, .l4 = PKT_TCP,
			      .ip_id = 0xfffe, .seq = 1, .tcp_flags = ACK | PSH, .tcp_opts = 12 };

	check_gso(s, 5 * 1000, 1000);
}
END_TEST

START_TEST(test_soft_tso_64k_frame_45_segments)
{
	struct pkt_spec s = { .vlan = _i & 1, .ip = _i & 2 ? PKT_IP6 : PKT_IP4, .l4 = PKT_TCP,
			      .ip_id = 7, .seq = 1000, .tcp_flags = ACK | PSH };

	check_gso(s, 65000, 1448);
}
END_TEST

START_TEST(test_soft_uso_segments_equal_independent_bytes)
{
	struct pkt_spec s = { .vlan = _i & 1, .ip = _i & 2 ? PKT_IP6 : PKT_IP4, .l4 = PKT_UDP,
			      .ip_id = 99 };

	check_gso(s, 3000, 1400);
}
END_TEST

START_TEST(test_soft_csum_only_equals_full_checksum)
{
	struct pkt_spec s = { .vlan = _i & 1, .ip = _i & 2 ? PKT_IP6 : PKT_IP4,
			      .l4 = _i & 4 ? PKT_UDP : PKT_TCP, .tcp_flags = ACK };
	uint32_t len = pkt_build(&s, payload, 999, false, frame);
	struct net_tx_meta m;

	meta_of(&s, len, VIRTIO_NET_HDR_GSO_NONE, 0, &m);
	ck_assert_int_eq(send_split(&m, len), 0);
	ck_assert_uint_eq(res.frames, 1);
	ck_assert_int_eq(res.err, 0);
	ck_assert_uint_eq(pkt_build(&s, payload, 999, true, want), len);
	ck_assert_uint_eq(got.len[0], len);
	ck_assert_mem_eq(got.bytes, want, len);
}
END_TEST

/*
 * TSO6 through a routing header with a segment left: every segment's TCP
 * checksum covers the final destination (RFC 8200 §8.1), as the sender's
 * partial sum did and Linux's GSO keeps it.
 */
START_TEST(test_soft_tso6_routing_header_final_destination)
{
	static const uint8_t final[16] = { 0xfd, 0x99, 7, 7, [15] = 0x21 };
	struct pkt_spec s = { .ip = PKT_IP6, .l4 = PKT_TCP, .tcp_flags = ACK };
	uint32_t len = pkt_build(&s, payload, 3000, false, frame), l4 = 54 + 24;
	uint8_t rh[24] = { 6, 2, 2, 1 };
	struct virtio_net_hdr_v1 h = { .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
				       .gso_type = VIRTIO_NET_HDR_GSO_TCPV6 };
	struct iovec iov;
	struct net_tx_meta m;

	memcpy(rh + 8, final, 16);
	len = pkt_ip6_insert_ext(frame, len, 43, rh, 24);
	h.csum_start = htole16((uint16_t)l4);
	h.csum_offset = htole16(16);
	h.gso_size = htole16(1000);
	h.hdr_len = htole16((uint16_t)(l4 + 20));
	iov = (struct iovec){ frame, len };
	ck_assert_int_eq(vnet_hdr_tx_parse(&h, &iov, 1, len, NEG, &m), 0);
	ck_assert_int_eq(send_split(&m, len), 0);
	ck_assert_uint_eq(res.frames, 3);
	ck_assert_int_eq(res.err, 0);
	for (uint32_t i = 0; i < 3; i++) {
		const uint8_t *seg = got.bytes + got.off[i];
		uint32_t tcp_len = got.len[i] - l4;
		uint64_t sum = l34_sum(l34_sum(6 + (uint64_t)tcp_len, seg + 22, 16), final, 16);

		ck_assert_uint_eq(tcp_len, 20 + 1000);
		ck_assert_uint_eq(l34_be16(seg + 18), 24 + tcp_len);
		ck_assert_mem_eq(seg + 54, rh, 24);
		ck_assert_uint_eq(l34_fold(l34_sum(sum, seg + l4, tcp_len)), 0xffff);
	}
}
END_TEST

START_TEST(test_soft_no_offload_frame_unchanged)
{
	struct pkt_spec s = { .ip = PKT_IP4, .l4 = PKT_UDP };
	uint32_t len = pkt_build(&s, payload, 300, false, frame);
	struct net_tx_meta m = { .len = len };

	ck_assert_int_eq(send_split(&m, len), 0);
	ck_assert_uint_eq(res.frames, 1);
	ck_assert_int_eq(res.err, 0);
	ck_assert_mem_eq(got.bytes, frame, len);
}
END_TEST

START_TEST(test_soft_layout_mismatch_dropped_nothing_sent)
{
	struct pkt_spec s = { .ip = PKT_IP4, .l4 = PKT_TCP, .tcp_flags = ACK };
	uint32_t len = pkt_build(&s, payload, 3000, false, frame);
	struct net_tx_meta m;

	meta_of(&s, len, VIRTIO_NET_HDR_GSO_TCPV4, 1000, &m);
	m.l3_len += 4;	/* metadata that no longer matches the bytes */
	ck_assert_int_eq(send_split(&m, len), 0);
	ck_assert_int_eq(res.err, SOFT_ERR_LAYOUT);
	ck_assert_uint_eq(got.n, 0);
	meta_of(&s, len, VIRTIO_NET_HDR_GSO_TCPV4, 1000, &m);
	m.flags = (m.flags & ~NET_TX_IPV4) | NET_TX_IPV6;
	ck_assert_int_eq(send_split(&m, len), 0);
	ck_assert_int_eq(res.err, SOFT_ERR_LAYOUT);
	ck_assert_uint_eq(got.n, 0);
}
END_TEST

START_TEST(test_soft_emit_failure_stops_segmenting)
{
	struct pkt_spec s = { .ip = PKT_IP6, .l4 = PKT_TCP, .tcp_flags = ACK };
	uint32_t len = pkt_build(&s, payload, 5000, false, frame);
	struct net_tx_meta m;

	meta_of(&s, len, VIRTIO_NET_HDR_GSO_TCPV6, 1000, &m);
	got.fail_at = 3;
	ck_assert_int_eq(send_split(&m, len), -EIO);
	ck_assert_uint_eq(res.frames, 2);
	ck_assert_uint_eq(got.n, 2);
}
END_TEST

START_TEST(test_soft_frame_shorter_than_metadata_dropped)
{
	struct pkt_spec s = { .ip = PKT_IP4, .l4 = PKT_TCP, .tcp_flags = ACK };
	uint32_t len = pkt_build(&s, payload, 3000, false, frame);
	struct net_tx_meta m;
	struct iovec iov = { frame, len - 100 };	/* the iovecs hold less than meta.len */

	meta_of(&s, len, VIRTIO_NET_HDR_GSO_TCPV4, 1000, &m);
	ck_assert_int_eq(soft_send(&m, &iov, 1, scratch, &sink, &res), 0);
	ck_assert_int_eq(res.err, SOFT_ERR_SHORT);
	ck_assert_uint_eq(got.n, 2);
	m.len = SOFT_SCRATCH_LEN + 1;
	ck_assert_int_eq(soft_send(&m, &iov, 1, scratch, &sink, &res), 0);
	ck_assert_int_eq(res.err, SOFT_ERR_SHORT);
}
END_TEST

Suite *soft_suite(void)
{
	Suite *s = suite_create("soft");
	TCase *tc = tcase_create("soft");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_loop_test(tc, test_soft_tso_segments_equal_independent_bytes, 0, 4);
	tcase_add_loop_test(tc, test_soft_tso_options_id_wrap_exact_multiple, 0, 4);
	tcase_add_loop_test(tc, test_soft_tso_64k_frame_45_segments, 0, 4);
	tcase_add_loop_test(tc, test_soft_uso_segments_equal_independent_bytes, 0, 4);
	tcase_add_loop_test(tc, test_soft_csum_only_equals_full_checksum, 0, 8);
	tcase_add_test(tc, test_soft_tso6_routing_header_final_destination);
	tcase_add_test(tc, test_soft_no_offload_frame_unchanged);
	tcase_add_test(tc, test_soft_layout_mismatch_dropped_nothing_sent);
	tcase_add_test(tc, test_soft_emit_failure_stops_segmenting);
	tcase_add_test(tc, test_soft_frame_shorter_than_metadata_dropped);
	suite_add_tcase(s, tc);
	return s;
}
