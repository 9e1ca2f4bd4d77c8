// SPDX-License-Identifier: MIT
// Device-level tests of the TX offload paths beside the tap's own: the software fallback of the
// tap backends (offload=soft, and a tap that refuses TSO; net/tap.c) sends finished plain frames in order with the other traffic, and
// verify=on counts exactly the wrong requests, over the socketpair "tap" of tests/support/netdrv.
#include <check.h>
#include <errno.h>
#include <string.h>

#include "tests/support/netdrv.h"
#include "tests/support/netpkt.h"
#include "tests/unit/suites.h"

#define F(x)	VIRTIO_BIT(VIRTIO_NET_F_##x)
#define F_RING	(VIRTIO_BIT(VIRTIO_RING_F_EVENT_IDX) | \
			 VIRTIO_BIT(VIRTIO_RING_F_INDIRECT_DESC) | F(MAC))
#define NEEDS	VIRTIO_NET_HDR_F_NEEDS_CSUM
#define ST	(d.n.stats)
#define WAIT_MS	2000

static struct netdrv d;
static uint8_t frame[VNET_MAX_FRAME + 64], got[VNET_MAX_FRAME + 64], data[VNET_MAX_FRAME];

/* soft: offload=soft over a tap that does everything; else a tap whose probe refused all. */
static void dev_open(bool soft, bool sync, bool verify)
{
	struct netdrv_cfg c = {
		.opts = { .csum = true, .tso = true, .offload_soft = soft, .io_sync = sync,
			  .verify = verify },
		.caps = { .tx_csum = true, .tx_tso4 = true, .tx_tso6 = true, .tx_ecn = true },
		.want = F(CSUM) | F(HOST_TSO4) | F(HOST_TSO6) | F_RING,
	};

	if (soft)
		c.caps.rx_csum = c.caps.rx_tso4 = c.caps.rx_tso6 = c.caps.rx_ecn = true;
	log_threshold = LOG_ERROR;
	ck_assert_msg(netdrv_open(&d, &c) == 0, "%s", d.err);
	/* Offered whatever the tap said: minnow finishes them. */
	ck_assert_uint_eq(d.features & (F(CSUM) | F(HOST_TSO4) | F(HOST_TSO6)),
			  F(CSUM) | F(HOST_TSO4) | F(HOST_TSO6));
}

static void teardown(void)
{
	netdrv_close(&d);
}

static uint32_t tcp_frame(size_t payload, uint8_t flags)
{
	netpkt_pattern(data, payload, 3);
	return (uint32_t)netpkt_tcp4(frame, sizeof(frame), &netpkt_test_flow, 5000, 1, flags, data,
				     payload, true);
}

/* The tap's next message: a header asking for nothing, a frame with right checksums. */
static uint32_t expect_plain(void)
{
	struct virtio_net_hdr_v1 h, zero = { 0 };
	ssize_t n = netdrv_peer_recv(&d, &h, got, sizeof(got), WAIT_MS);

	ck_assert_int_gt(n, 0);
	ck_assert_mem_eq(&h, &zero, sizeof(h));
	ck_assert(netpkt_ip4_csum_ok(got, (size_t)n));
	ck_assert(netpkt_l4_csum_ok(got, (size_t)n));
	return (uint32_t)n;
}

static uint32_t seq_of(const uint8_t *f)
{
	return (uint32_t)f[38] << 24 | (uint32_t)f[39] << 16 | (uint32_t)f[40] << 8 | f[41];
}

START_TEST(test_vnet_soft_tso4_between_plain_frames_in_order)
{
	/* _i: bit 0 offload=soft (else the tap refused TSO), bit 1 io=sync. */
	struct virtio_net_hdr_v1 tso = { .flags = NEEDS, .gso_type = VIRTIO_NET_HDR_GSO_TCPV4,
					 .csum_start = 34, .csum_offset = 16, .gso_size = 1448 };
	uint32_t len;

	dev_open(_i & 1, _i & 2, false);
	len = (uint32_t)netpkt_udp4(frame, sizeof(frame), &netpkt_test_flow, "first", 5, false);
	ck_assert_int_ge(netdrv_tx(&d, NULL, frame, len, NULL, 0, 0), 0);
	len = tcp_frame(20000, NETPKT_TCP_ACK | NETPKT_TCP_PSH);
	ck_assert_int_ge(netdrv_tx(&d, &tso, frame, len, NULL, 0, 0), 0);
	len = (uint32_t)netpkt_udp4(frame, sizeof(frame), &netpkt_test_flow, "last", 4, false);
	ck_assert_int_ge(netdrv_tx(&d, NULL, frame, len, NULL, 0, 0), 0);
	ck_assert_msg(netdrv_wait_used(&d, VNET_TXQ, 3, WAIT_MS), "TX not completed");
	ck_assert_uint_eq(expect_plain(), 47);	/* 14 + 20 + 8 + "first" */
	/* 20000 bytes at 1448: 13 full segments and one of 1176, seq + i * 1448, PSH on the last. */
	for (uint32_t i = 0; i < 14; i++) {
		ck_assert_uint_eq(expect_plain(), 54 + (i < 13 ? 1448 : 1176));
		ck_assert_uint_eq(seq_of(got), 5000 + i * 1448);
		ck_assert_uint_eq(got[47], i < 13 ? NETPKT_TCP_ACK : NETPKT_TCP_ACK | NETPKT_TCP_PSH);
		ck_assert_mem_eq(got + 54, data + i * 1448, i < 13 ? 1448 : 1176);
	}
	ck_assert_uint_eq(expect_plain(), 46);
	netdrv_stop(&d);
	ck_assert_uint_eq(ST.tx_packets, 3);
	ck_assert_uint_eq(ST.tx_tso, 1);
	ck_assert_uint_eq(ST.soft_frames, 1);
	ck_assert_uint_eq(ST.soft_segments, 14);
	ck_assert_uint_eq(ST.tx_dropped, 0);
}
END_TEST

START_TEST(test_vnet_soft_many_frames_fill_all_slots_none_lost)
{
	/* More software frames than write slots in one kick: all go out, in order. */
	struct virtio_net_hdr_v1 csum = { .flags = NEEDS, .csum_start = 34, .csum_offset = 16 };
	unsigned int sent = 0, seen = 0;

	dev_open(true, _i, false);
	for (unsigned int i = 0; i < 200; i++) {
		uint32_t len = (uint32_t)netpkt_tcp4(frame, sizeof(frame), &netpkt_test_flow, i, 1,
						     NETPKT_TCP_ACK, "data", 4, true);

		if (netdrv_tx(&d, &csum, frame, len, NULL, 0, 0) < 0)
			break;	/* the ring is full: the rest once it drains */
		sent++;
		if (sent % 64 == 0) {
			ck_assert(netdrv_wait_used(&d, VNET_TXQ, 64, WAIT_MS));
			for (; seen < sent; seen++) {
				expect_plain();
				ck_assert_uint_eq(seq_of(got), seen);
			}
		}
	}
	ck_assert(netdrv_wait_used(&d, VNET_TXQ, sent % 64, WAIT_MS));
	for (; seen < sent; seen++) {
		expect_plain();
		ck_assert_uint_eq(seq_of(got), seen);
	}
	netdrv_stop(&d);
	ck_assert_uint_eq(ST.soft_frames, sent);
	ck_assert_uint_eq(ST.tx_packets, sent);
}
END_TEST

START_TEST(test_vnet_verify_counts_wrong_request_frame_still_sent)
{
	/* csum_offset 6 on TCP passes validation (a UDP offset) but is wrong: counted, and sent. */
	struct virtio_net_hdr_v1 bad = { .flags = NEEDS, .csum_start = 34, .csum_offset = 6 };
	struct virtio_net_hdr_v1 good = { .flags = NEEDS, .csum_start = 34, .csum_offset = 16 };
	uint32_t len = tcp_frame(300, NETPKT_TCP_ACK);

	dev_open(false, false, true);
	ck_assert_int_ge(netdrv_tx(&d, &good, frame, len, NULL, 0, 0), 0);
	ck_assert_int_ge(netdrv_tx(&d, &bad, frame, len, NULL, 0, 0), 0);
	ck_assert_int_ge(netdrv_tx(&d, NULL, frame, len, NULL, 0, 0), 0);	/* not offloaded */
	ck_assert_msg(netdrv_wait_used(&d, VNET_TXQ, 3, WAIT_MS), "TX not completed");
	netdrv_stop(&d);
	ck_assert_uint_eq(ST.tx_packets, 3);
	ck_assert_uint_eq(ST.verify_frames, 2);
	ck_assert_uint_eq(ST.verify_bad, 1);
	for (int k = 0; k < VERIFY_KIND_MAX; k++)
		ck_assert_uint_eq(ST.verify[k], k == VERIFY_CSUM_OFFSET);
}
END_TEST

TCase *vnet_offload_tcase(void)
{
	TCase *tc = tcase_create("offload");

	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, test_vnet_soft_tso4_between_plain_frames_in_order, 0, 4);
	tcase_add_loop_test(tc, test_vnet_soft_many_frames_fill_all_slots_none_lost, 0, 2);
	tcase_add_test(tc, test_vnet_verify_counts_wrong_request_frame_still_sent);
	return tc;
}
