// SPDX-License-Identifier: MIT
// Device-level tests of devices/virtio/vnet, RX side (docs/catalogue.md O23-O29): the far end of a
// socketpair plays the tap and writes frames with their 12-byte header; the test's driver
// (tests/support/netdrv) posts buffers and checks the exact header, bytes, used entries and
// counters the guest gets, with and without MRG_RXBUF.
#include <check.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "tests/support/netdrv.h"
#include "tests/support/netpkt.h"
#include "tests/unit/suites.h"

#define F(x)	   VIRTIO_BIT(VIRTIO_NET_F_##x)
#define F_RING	   (VIRTIO_BIT(VIRTIO_RING_F_EVENT_IDX) | \
			 VIRTIO_BIT(VIRTIO_RING_F_INDIRECT_DESC) | F(MAC))
#define NEEDS	   VIRTIO_NET_HDR_F_NEEDS_CSUM
#define VALID	   VIRTIO_NET_HDR_F_DATA_VALID
#define ST	   (d.n.stats)
#define WAIT_MS	   2000
#define QUIET_MS   100
#define NEED_MTU   (VNET_HDR_LEN + 18 + 1500)		/* 1530: one tagged 1500-byte frame */
#define NEED_GSO   (VNET_HDR_LEN + VNET_MAX_FRAME)	/* 65562 */

static struct netdrv d;
static uint8_t frame[VNET_MAX_FRAME + 64], got[NETDRV_SLOT];

static void dev_open(uint64_t want, bool mrg, unsigned int mtu)
{
	struct netdrv_cfg c = {
		.opts = { .csum = true, .tso = true, .mrg_rxbuf = mrg, .mtu = mtu },
		.caps = { .tx_csum = true, .tx_tso4 = true, .tx_tso6 = true, .tx_ecn = true,
			  .rx_csum = true, .rx_tso4 = true, .rx_tso6 = true, .rx_ecn = true },
		.want = want | F_RING | (mrg ? F(MRG_RXBUF) : 0),
	};

	log_threshold = LOG_ERROR;	/* the drops below are expected */
	ck_assert_msg(netdrv_open(&d, &c) == 0, "%s", d.err);
	ck_assert_uint_eq(d.features & F(MRG_RXBUF), mrg ? F(MRG_RXBUF) : 0);
}

static void teardown(void)
{
	netdrv_close(&d);
}

static uint32_t udp_frame(size_t payload, uint32_t seq)
{
	uint8_t data[VNET_MAX_FRAME];

	netpkt_pattern(data, payload, seq);
	if (payload >= 4)
		memcpy(data, &seq, 4);
	return (uint32_t)netpkt_udp4(frame, sizeof(frame), &netpkt_test_flow, data, payload, false);
}

static void peer_send(const struct virtio_net_hdr_v1 *h, uint32_t len)
{
	ck_assert_int_eq(netdrv_peer_send(&d, h, frame, len), 0);
}

/* The next RX completion is frame[0, len) behind exactly the header want. */
static void expect_rx(const struct virtio_net_hdr_v1 *want, uint32_t len)
{
	struct virtio_net_hdr_v1 h;
	long n = netdrv_rx_recv(&d, &h, got, sizeof(got), NULL, WAIT_MS);

	ck_assert_int_eq(n, VNET_HDR_LEN + len);
	ck_assert_mem_eq(&h, want, VNET_HDR_LEN);
	ck_assert_mem_eq(got, frame, len);
}

/* The next RX completion is head, given back with length 0. */
static void expect_rx_dropped(int head)
{
	struct netdrv_used u;

	ck_assert_int_ge(head, 0);
	ck_assert_msg(netdrv_wait_used(&d, VNET_RXQ, 1, WAIT_MS), "no RX completion");
	ck_assert(netdrv_take_used(&d, VNET_RXQ, &u));
	ck_assert_uint_eq(u.id, (uint32_t)head);
	ck_assert_uint_eq(u.len, 0);
}

static void expect_rx_quiet(void)
{
	usleep(QUIET_MS * 1000);
	ck_assert_uint_eq(netdrv_used_pending(&d, VNET_RXQ), 0);
}

START_TEST(test_vnet_rx_data_valid_with_guest_csum_passed)
{
	struct virtio_net_hdr_v1 tap = { .flags = VALID }, want = { .flags = VALID, .num_buffers = 1 };
	uint32_t len;

	dev_open(F(GUEST_CSUM), false, 0);
	netdrv_rx_post_n(&d, 4, NEED_MTU);
	len = udp_frame(18, 1);
	ck_assert_uint_eq(len, 60);
	ck_assert_uint_eq(d.n.be->offloads, TUN_F_CSUM);
	peer_send(&tap, len);
	expect_rx(&want, 60);
	netdrv_stop(&d);
	ck_assert_uint_eq(ST.rx_packets, 1);
	ck_assert_uint_eq(ST.rx_bytes, 60);
	ck_assert_uint_eq(ST.rx_data_valid, 1);
	ck_assert_uint_eq(ST.rx_dropped, 0);
	ck_assert_uint_eq(d.bad_used, 0);
}
END_TEST

START_TEST(test_vnet_rx_data_valid_without_guest_csum_flags_zero)
{
	struct virtio_net_hdr_v1 tap = { .flags = VALID }, want = { .num_buffers = 1 };
	uint32_t len;

	dev_open(0, false, 0);
	ck_assert(!(d.features & F(GUEST_CSUM)));
	netdrv_rx_post_n(&d, 4, NEED_MTU);
	ck_assert_uint_eq(d.n.be->offloads, 0);
	len = udp_frame(18, 2);
	peer_send(&tap, len);
	expect_rx(&want, len);
	netdrv_stop(&d);
	ck_assert_uint_eq(ST.rx_packets, 1);
	ck_assert_uint_eq(ST.rx_data_valid, 0);
}
END_TEST

START_TEST(test_vnet_rx_needs_csum_with_guest_csum_passed)
{
	struct virtio_net_hdr_v1 tap = { .flags = NEEDS, .csum_start = 34, .csum_offset = 6 };
	struct virtio_net_hdr_v1 want = tap;
	uint32_t len;

	dev_open(F(GUEST_CSUM), false, 0);
	want.num_buffers = 1;
	netdrv_rx_post_n(&d, 2, NEED_MTU);
	len = udp_frame(300, 3);
	peer_send(&tap, len);
	expect_rx(&want, len);
	netdrv_stop(&d);
	ck_assert_uint_eq(ST.rx_csum_partial, 1);
	ck_assert_uint_eq(ST.rx_packets, 1);
}
END_TEST

START_TEST(test_vnet_rx_needs_csum_without_guest_csum_dropped_next_delivered)
{
	struct virtio_net_hdr_v1 partial = { .flags = NEEDS, .csum_start = 34, .csum_offset = 6 };
	struct virtio_net_hdr_v1 want = { .num_buffers = 1 };
	int first;
	uint32_t len;

	dev_open(0, false, 0);
	/* One buffer at a time: of several reads in flight, any may take the next frame. */
	first = netdrv_rx_post(&d, NEED_MTU, 0, 0);
	len = udp_frame(100, 4);
	peer_send(&partial, len);
	expect_rx_dropped(first);
	netdrv_rx_post_n(&d, 3, NEED_MTU);
	len = udp_frame(100, 5);
	peer_send(NULL, len);
	expect_rx(&want, len);
	netdrv_stop(&d);
	ck_assert_uint_eq(ST.drops[VNET_DROP_RX_OFFLOAD], 1);
	ck_assert_uint_eq(ST.rx_dropped, 1);
	ck_assert_uint_eq(ST.rx_packets, 1);
}
END_TEST

START_TEST(test_vnet_rx_gso_tcpv4_with_guest_tso4_passed)
{
	struct virtio_net_hdr_v1 tap = { .flags = NEEDS, .gso_type = VIRTIO_NET_HDR_GSO_TCPV4,
					 .csum_start = 34, .csum_offset = 16, .gso_size = 1448,
					 .hdr_len = 54 };
	struct virtio_net_hdr_v1 want = tap;
	uint8_t data[20000];
	uint32_t len;

	dev_open(F(GUEST_CSUM) | F(GUEST_TSO4), false, 0);
	ck_assert(d.features & F(GUEST_TSO4));
	ck_assert_uint_eq(d.n.be->offloads, TUN_F_CSUM | TUN_F_TSO4);
	want.num_buffers = 1;
	netdrv_rx_post_n(&d, 2, NEED_GSO);
	netpkt_pattern(data, sizeof(data), 6);
	len = (uint32_t)netpkt_tcp4(frame, sizeof(frame), &netpkt_test_flow, 1, 2, NETPKT_TCP_ACK,
				    data, sizeof(data), true);
	peer_send(&tap, len);
	expect_rx(&want, len);
	netdrv_stop(&d);
	ck_assert_uint_eq(ST.rx_gso, 1);
	ck_assert_uint_eq(ST.rx_csum_partial, 1);
	ck_assert_uint_eq(ST.rx_bytes, 20054);
}
END_TEST

START_TEST(test_vnet_rx_gso_tcpv4_without_guest_tso4_dropped)
{
	struct virtio_net_hdr_v1 tap = { .flags = NEEDS, .gso_type = VIRTIO_NET_HDR_GSO_TCPV4,
					 .csum_start = 34, .csum_offset = 16, .gso_size = 1448,
					 .hdr_len = 54 };
	struct virtio_net_hdr_v1 want = { .num_buffers = 1, .flags = VALID };
	int first;
	uint32_t len;

	dev_open(F(GUEST_CSUM), false, 0);
	first = netdrv_rx_post(&d, NEED_MTU, 0, 0);
	len = udp_frame(1000, 7);	/* a frame that fits: only the header is wrong */
	peer_send(&tap, len);
	expect_rx_dropped(first);
	netdrv_rx_post_n(&d, 1, NEED_MTU);
	peer_send(&want, len);
	expect_rx(&want, len);
	netdrv_stop(&d);
	ck_assert_uint_eq(ST.drops[VNET_DROP_RX_OFFLOAD], 1);
	ck_assert_uint_eq(ST.rx_gso, 0);
	ck_assert_uint_eq(ST.rx_packets, 1);
}
END_TEST

START_TEST(test_vnet_rx_buffer_one_byte_short_dropped_exact_size_used)
{
	struct virtio_net_hdr_v1 want = { .num_buffers = 1 };
	int small;
	uint32_t len;

	dev_open(0, false, 0);
	small = netdrv_rx_post(&d, NEED_MTU - 1, 0, 0);
	expect_rx_dropped(small);	/* at once: no frame needed to tell */
	netdrv_rx_post(&d, NEED_MTU, 0, 0);
	len = udp_frame(1472, 8);	/* 1514 bytes: a full 1500-byte MTU frame */
	peer_send(NULL, len);
	expect_rx(&want, len);
	netdrv_stop(&d);
	ck_assert_uint_eq(ST.drops[VNET_DROP_RX_SMALL], 1);
	ck_assert_uint_eq(ST.rx_dropped, 1);
	ck_assert_uint_eq(ST.rx_packets, 1);
}
END_TEST

START_TEST(test_vnet_rx_buffer_under_65562_with_guest_tso4_dropped)
{
	struct virtio_net_hdr_v1 want = { .num_buffers = 1 };
	int small;
	uint32_t len;

	/* §5.1.6.3.1: with GUEST_TSO4 and no MRG_RXBUF a buffer must take 65562 bytes. */
	dev_open(F(GUEST_CSUM) | F(GUEST_TSO4), false, 0);
	small = netdrv_rx_post(&d, NEED_GSO - 1, 0, 0);
	expect_rx_dropped(small);
	netdrv_rx_post(&d, NEED_GSO, 0, 0);
	len = udp_frame(100, 9);
	peer_send(NULL, len);
	expect_rx(&want, len);
	netdrv_stop(&d);
	ck_assert_uint_eq(ST.drops[VNET_DROP_RX_SMALL], 1);
	ck_assert_uint_eq(ST.rx_packets, 1);
}
END_TEST

START_TEST(test_vnet_rx_readonly_buffer_dropped)
{
	struct virtio_net_hdr_v1 want = { .num_buffers = 1 };
	int ro;
	uint32_t len;

	dev_open(0, false, 0);
	ro = netdrv_rx_post(&d, NEED_MTU, 0, NETDRV_WRONG_DIR);
	expect_rx_dropped(ro);
	ro = netdrv_rx_post(&d, NEED_MTU, 500, NETDRV_WRONG_DIR);	/* readable, then writable */
	expect_rx_dropped(ro);
	netdrv_rx_post(&d, NEED_MTU, 0, 0);
	len = udp_frame(100, 10);
	peer_send(NULL, len);
	expect_rx(&want, len);
	netdrv_stop(&d);
	ck_assert_uint_eq(ST.drops[VNET_DROP_RX_READONLY], 2);
	ck_assert_uint_eq(ST.rx_dropped, 2);
	ck_assert_uint_eq(ST.rx_packets, 1);
}
END_TEST

START_TEST(test_vnet_rx_buffer_in_64_pieces_used_65_dropped)
{
	struct virtio_net_hdr_v1 want = { .num_buffers = 1 };
	int many;
	uint32_t len;

	dev_open(0, false, 0);
	many = netdrv_rx_post(&d, 65 * 24, 24, 0);	/* 1560 bytes in 65 pieces: one read takes 64 */
	expect_rx_dropped(many);
	netdrv_rx_post(&d, 64 * 24, 24, NETDRV_INDIRECT);	/* 1536 bytes in 64 pieces */
	len = udp_frame(1472, 11);
	peer_send(NULL, len);
	expect_rx(&want, len);
	netdrv_stop(&d);
	ck_assert_uint_eq(ST.drops[VNET_DROP_RX_SMALL], 1);
	ck_assert_uint_eq(ST.rx_packets, 1);
}
END_TEST

START_TEST(test_vnet_rx_short_read_from_tap_dropped_next_delivered)
{
	struct virtio_net_hdr_v1 want = { .num_buffers = 1 };
	const uint8_t runt[5] = { 1, 2, 3, 4, 5 };
	int first;
	uint32_t len;

	dev_open(0, false, 0);
	first = netdrv_rx_post(&d, NEED_MTU, 0, 0);
	ck_assert_int_eq(write(d.peer_fd, runt, sizeof(runt)), 5);	/* less than a header */
	expect_rx_dropped(first);
	netdrv_rx_post_n(&d, 1, NEED_MTU);
	len = udp_frame(100, 12);
	peer_send(NULL, len);
	expect_rx(&want, len);
	netdrv_stop(&d);
	ck_assert_uint_eq(ST.drops[VNET_DROP_RX_TAP], 1);
	ck_assert_uint_eq(ST.rx_packets, 1);
}
END_TEST

START_TEST(test_vnet_rx_no_buffers_frames_wait_then_all_delivered_once)
{
	struct virtio_net_hdr_v1 want = { .num_buffers = 1 };

	dev_open(0, false, 0);
	for (uint32_t i = 0; i < 8; i++) {
		uint32_t len = udp_frame(100 + i, i);

		peer_send(NULL, len);
	}
	expect_rx_quiet();
	netdrv_rx_post_n(&d, 16, NEED_MTU);
	for (uint32_t i = 0; i < 8; i++) {
		uint32_t len = udp_frame(100 + i, i);

		expect_rx(&want, len);
	}
	expect_rx_quiet();
	netdrv_stop(&d);
	ck_assert_uint_eq(ST.rx_packets, 8);
	ck_assert_uint_eq(ST.rx_dropped, 0);
	ck_assert_uint_eq(d.bad_used, 0);
}
END_TEST

/* More frames than reads in flight, buffers recycled: all arrive, once each, in order. */
START_TEST(test_vnet_rx_1000_frames_delivered_in_order)
{
	struct virtio_net_hdr_v1 want = { .num_buffers = 1 };
	uint32_t sent = 0, seen = 0;

	dev_open(0, false, 0);
	netdrv_rx_post_n(&d, d.qsize, NEED_MTU);
	while (seen < 1000) {
		while (sent < 1000) {
			uint32_t len = udp_frame(60 + sent % 1400, sent);

			if (netdrv_peer_send(&d, NULL, frame, len) == -EAGAIN)
				break;
			sent++;
		}
		udp_frame(60 + seen % 1400, seen);
		expect_rx(&want, 60 + seen % 1400 + NETPKT_UDP_DATA);
		ck_assert_int_eq(netdrv_rx_post(&d, NEED_MTU, 0, 0) >= 0, 1);
		seen++;
	}
	expect_rx_quiet();
	netdrv_stop(&d);
	ck_assert_uint_eq(ST.rx_packets, 1000);
	ck_assert_uint_eq(ST.rx_dropped, 0);
	ck_assert_uint_eq(d.bad_used, 0);
}
END_TEST

START_TEST(test_vnet_rx_avail_idx_jump_needs_reset_then_recovers)
{
	struct virtio_net_hdr_v1 want = { .num_buffers = 1 };
	int i;
	uint32_t len;

	dev_open(0, false, 0);
	ring_set_avail_idx(&d.q[VNET_RXQ], d.qsize + 1);
	netdrv_kick(&d, VNET_RXQ);
	for (i = 0; i < 200 && !(netdrv_status(&d) & VIRTIO_CONFIG_S_NEEDS_RESET); i++)
		usleep(10000);
	ck_assert_uint_eq(netdrv_status(&d), 0xf | VIRTIO_CONFIG_S_NEEDS_RESET);
	ck_assert_uint_eq(netdrv_reg_read(&d, 0x060) & VIRTIO_MMIO_INT_CONFIG,
			  VIRTIO_MMIO_INT_CONFIG);
	ck_assert_uint_eq(netdrv_used_pending(&d, VNET_RXQ), 0);
	ck_assert_msg(netdrv_up(&d, d.features) == 0, "%s", d.err);
	netdrv_rx_post_n(&d, 1, NEED_MTU);
	len = udp_frame(100, 13);
	peer_send(NULL, len);
	expect_rx(&want, len);
}
END_TEST

TCase *vnet_rx_tcase(void)
{
	TCase *tc = tcase_create("rx");

	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_vnet_rx_data_valid_with_guest_csum_passed);
	tcase_add_test(tc, test_vnet_rx_data_valid_without_guest_csum_flags_zero);
	tcase_add_test(tc, test_vnet_rx_needs_csum_with_guest_csum_passed);
	tcase_add_test(tc, test_vnet_rx_needs_csum_without_guest_csum_dropped_next_delivered);
	tcase_add_test(tc, test_vnet_rx_gso_tcpv4_with_guest_tso4_passed);
	tcase_add_test(tc, test_vnet_rx_gso_tcpv4_without_guest_tso4_dropped);
	tcase_add_test(tc, test_vnet_rx_buffer_one_byte_short_dropped_exact_size_used);
	tcase_add_test(tc, test_vnet_rx_buffer_under_65562_with_guest_tso4_dropped);
	tcase_add_test(tc, test_vnet_rx_readonly_buffer_dropped);
	tcase_add_test(tc, test_vnet_rx_buffer_in_64_pieces_used_65_dropped);
	tcase_add_test(tc, test_vnet_rx_short_read_from_tap_dropped_next_delivered);
	tcase_add_test(tc, test_vnet_rx_no_buffers_frames_wait_then_all_delivered_once);
	tcase_add_test(tc, test_vnet_rx_1000_frames_delivered_in_order);
	tcase_add_test(tc, test_vnet_rx_avail_idx_jump_needs_reset_then_recovers);
	return tc;
}

/* ---- MRG_RXBUF (§5.1.6.3.2): one frame over several buffers ---- */

/* Takes nr consecutive used entries and checks their lengths; the frame they carry in *out. */
static size_t take_merged(unsigned int nr, const int *heads, const uint32_t *lens, uint8_t *out)
{
	size_t at = 0;

	ck_assert_msg(netdrv_wait_used(&d, VNET_RXQ, nr, WAIT_MS), "%u of %u used entries",
		      netdrv_used_pending(&d, VNET_RXQ), nr);
	for (unsigned int i = 0; i < nr; i++) {
		struct netdrv_used u;

		ck_assert(netdrv_take_used(&d, VNET_RXQ, &u));
		if (heads)
			ck_assert_uint_eq(u.id, (uint32_t)heads[i]);
		ck_assert_uint_eq(u.len, lens[i]);
		at += netdrv_buf_read(&d, VNET_RXQ, (uint16_t)u.id, out + at, u.len);
	}
	return at;
}

START_TEST(test_vnet_rx_mrg_4000_frame_spans_three_buffers)
{
	struct virtio_net_hdr_v1 tap = { .flags = VALID }, want = { .flags = VALID, .num_buffers = 3 };
	const uint32_t lens[] = { 1500, 1500, 1012 }, one[] = { 112 };
	int heads[10];
	uint32_t len;

	/* MTU 4000: a read starts once the held buffers take 12 + 18 + 4000 bytes. */
	dev_open(F(GUEST_CSUM), true, 4000);
	for (int i = 0; i < 10; i++)
		heads[i] = netdrv_rx_post(&d, 1500, 0, NETDRV_NO_KICK);
	netdrv_kick(&d, VNET_RXQ);
	len = udp_frame(4000 - NETPKT_UDP_DATA, 14);
	ck_assert_uint_eq(len, 4000);
	peer_send(&tap, len);
	ck_assert_uint_eq(take_merged(3, heads, lens, got), 4012);
	ck_assert_mem_eq(got, &want, VNET_HDR_LEN);
	ck_assert_mem_eq(got + VNET_HDR_LEN, frame, len);
	/* The next frame takes the next buffer alone. */
	len = udp_frame(100 - NETPKT_UDP_DATA, 15);
	peer_send(&tap, len);
	ck_assert_uint_eq(take_merged(1, heads + 3, one, got), 112);
	want.num_buffers = 1;
	ck_assert_mem_eq(got, &want, VNET_HDR_LEN);
	ck_assert_mem_eq(got + VNET_HDR_LEN, frame, len);
	netdrv_stop(&d);
	ck_assert_uint_eq(ST.rx_merged, 1);
	ck_assert_uint_eq(ST.rx_packets, 2);
	ck_assert_uint_eq(ST.rx_bytes, 4100);
	ck_assert_uint_eq(ST.rx_data_valid, 2);
	ck_assert_uint_eq(ST.rx_dropped, 0);
}
END_TEST

START_TEST(test_vnet_rx_mrg_gso_frame_over_14_buffers)
{
	struct virtio_net_hdr_v1 tap = { .flags = NEEDS, .gso_type = VIRTIO_NET_HDR_GSO_TCPV4,
					 .csum_start = 34, .csum_offset = 16, .gso_size = 1448,
					 .hdr_len = 54 };
	struct virtio_net_hdr_v1 want = tap;
	uint32_t lens[14];
	uint8_t data[20000];
	uint32_t len;

	dev_open(F(GUEST_CSUM) | F(GUEST_TSO4), true, 0);
	netdrv_rx_post_n(&d, 50, 1500);	/* 75000 bytes: a read needs 65562 */
	netpkt_pattern(data, sizeof(data), 16);
	len = (uint32_t)netpkt_tcp4(frame, sizeof(frame), &netpkt_test_flow, 1, 2, NETPKT_TCP_ACK,
				    data, sizeof(data), true);
	peer_send(&tap, len);
	for (int i = 0; i < 13; i++)
		lens[i] = 1500;
	lens[13] = VNET_HDR_LEN + len - 13 * 1500;	/* 566 */
	ck_assert_uint_eq(take_merged(14, NULL, lens, got), VNET_HDR_LEN + len);
	want.num_buffers = 14;
	ck_assert_mem_eq(got, &want, VNET_HDR_LEN);
	ck_assert_mem_eq(got + VNET_HDR_LEN, frame, len);
	netdrv_stop(&d);
	ck_assert_uint_eq(ST.rx_gso, 1);
	ck_assert_uint_eq(ST.rx_merged, 1);
}
END_TEST

START_TEST(test_vnet_rx_mrg_too_few_buffers_waits_then_delivered)
{
	struct virtio_net_hdr_v1 want = { .num_buffers = 1 };
	const uint32_t one[] = { 112 };
	int heads[2];
	uint32_t len;

	dev_open(0, true, 0);
	heads[0] = netdrv_rx_post(&d, 1000, 0, 0);
	len = udp_frame(100 - NETPKT_UDP_DATA, 17);
	peer_send(NULL, len);
	expect_rx_quiet();	/* 1000 bytes could be cut short by a 1514-byte frame: no read */
	heads[1] = netdrv_rx_post(&d, 1000, 0, 0);
	ck_assert_uint_eq(take_merged(1, heads, one, got), 112);
	ck_assert_mem_eq(got, &want, VNET_HDR_LEN);
	ck_assert_mem_eq(got + VNET_HDR_LEN, frame, len);
	expect_rx_quiet();
	netdrv_stop(&d);
	ck_assert_uint_eq(ST.rx_packets, 1);
	ck_assert_uint_eq(ST.rx_merged, 0);
}
END_TEST

START_TEST(test_vnet_rx_mrg_needs_csum_without_guest_csum_dropped_next_delivered)
{
	struct virtio_net_hdr_v1 partial = { .flags = NEEDS, .csum_start = 34, .csum_offset = 6 };
	struct virtio_net_hdr_v1 want = { .num_buffers = 1 };
	const uint32_t one[] = { 112 };
	int heads[4];
	uint32_t len;

	dev_open(0, true, 0);
	for (int i = 0; i < 4; i++)
		heads[i] = netdrv_rx_post(&d, 1500, 0, 0);
	len = udp_frame(100 - NETPKT_UDP_DATA, 18);
	/*
	 * 1500-byte buffers, a 1530-byte largest frame: two merged reads in
	 * flight, over heads 0-1 and 2-3. The dropped frame takes head 0 (head 1
	 * goes to the back of the held buffers), the next frame the second read.
	 */
	peer_send(&partial, len);
	expect_rx_dropped(heads[0]);
	peer_send(NULL, len);
	ck_assert_uint_eq(take_merged(1, heads + 2, one, got), 112);
	ck_assert_mem_eq(got, &want, VNET_HDR_LEN);
	ck_assert_mem_eq(got + VNET_HDR_LEN, frame, len);
	netdrv_stop(&d);
	ck_assert_uint_eq(ST.drops[VNET_DROP_RX_OFFLOAD], 1);
	ck_assert_uint_eq(ST.rx_packets, 1);
}
END_TEST

/*
 * A merged read lent while an earlier one is in the kernel starts once that
 * one completes (io_uring keeps one chain of reads in the kernel at a time),
 * even when the completion lends nothing new.
 */
START_TEST(test_vnet_rx_mrg_read_lent_later_starts)
{
	struct virtio_net_hdr_v1 want = { .num_buffers = 1 };
	const uint32_t one[] = { 112 };
	int heads[4];
	uint32_t len;

	dev_open(0, true, 0);
	for (int i = 0; i < 4; i++) {
		heads[i] = netdrv_rx_post(&d, 1500, 0, 0);
		/* 2 x 1500 bytes make a read of a 1530-byte frame: one, then the other. */
		ck_assert(netdrv_wait_consumed(&d, VNET_RXQ, WAIT_MS));
	}
	for (uint32_t seq = 0; seq < 2; seq++) {
		len = udp_frame(100 - NETPKT_UDP_DATA, seq);
		peer_send(NULL, len);
		ck_assert_uint_eq(take_merged(1, heads + 2 * seq, one, got), 112);
		ck_assert_mem_eq(got, &want, VNET_HDR_LEN);
		ck_assert_mem_eq(got + VNET_HDR_LEN, frame, len);
	}
	netdrv_stop(&d);
	ck_assert_uint_eq(ST.rx_packets, 2);
}
END_TEST

START_TEST(test_vnet_rx_mrg_readonly_and_tiny_buffers_dropped)
{
	struct virtio_net_hdr_v1 want = { .num_buffers = 2 };
	struct netdrv_used u;
	int head;
	uint32_t len;

	dev_open(0, true, 0);
	expect_rx_dropped(netdrv_rx_post(&d, 1500, 0, NETDRV_WRONG_DIR));
	expect_rx_dropped(netdrv_rx_post(&d, VNET_HDR_LEN - 1, 0, 0));
	head = netdrv_rx_post(&d, VNET_HDR_LEN, 0, 0);	/* a header fits: MUST be taken (§5.1.6.3.1) */
	netdrv_rx_post_n(&d, 1, 1600);
	len = udp_frame(18, 19);
	peer_send(NULL, len);
	/* The frame starts in the 12-byte buffer: that one is full, the rest in the next. */
	ck_assert(netdrv_wait_used(&d, VNET_RXQ, 2, WAIT_MS));
	ck_assert(netdrv_take_used(&d, VNET_RXQ, &u));
	ck_assert_uint_eq(u.id, (uint32_t)head);
	ck_assert_uint_eq(u.len, VNET_HDR_LEN);
	netdrv_buf_read(&d, VNET_RXQ, (uint16_t)u.id, got, VNET_HDR_LEN);
	ck_assert_mem_eq(got, &want, VNET_HDR_LEN);
	ck_assert(netdrv_take_used(&d, VNET_RXQ, &u));
	ck_assert_uint_eq(u.len, len);
	netdrv_buf_read(&d, VNET_RXQ, (uint16_t)u.id, got, len);
	ck_assert_mem_eq(got, frame, len);
	netdrv_stop(&d);
	ck_assert_uint_eq(ST.drops[VNET_DROP_RX_READONLY], 1);
	ck_assert_uint_eq(ST.drops[VNET_DROP_RX_SMALL], 1);
	ck_assert_uint_eq(ST.rx_packets, 1);
	ck_assert_uint_eq(ST.rx_merged, 1);
}
END_TEST

/*
 * A frame that fills every buffer of the read: exactly those buffers come
 * back, num_buffers says so, and no other entry follows.
 */
START_TEST(test_vnet_rx_mrg_frame_filling_all_held_buffers_exact_entries)
{
	struct virtio_net_hdr_v1 want = { .num_buffers = 3 };
	const uint32_t lens[] = { 600, 600, 326 }, one[] = { 112 };
	int heads[6];
	uint32_t len;

	dev_open(0, true, 0);
	for (int i = 0; i < 3; i++)	/* 1800 bytes: enough for 12 + 18 + 1500 */
		heads[i] = netdrv_rx_post(&d, 600, 0, 0);
	len = udp_frame(1514 - NETPKT_UDP_DATA, 21);
	peer_send(NULL, len);
	ck_assert_uint_eq(take_merged(3, heads, lens, got), VNET_HDR_LEN + 1514);
	/* No fourth entry, least of all one naming a buffer the driver never posted. */
	usleep(QUIET_MS * 1000);
	if (netdrv_used_pending(&d, VNET_RXQ)) {
		struct netdrv_used u;
		bool ours = netdrv_take_used(&d, VNET_RXQ, &u);

		ck_abort_msg("a 4th used entry: id %u len %u (%s)", u.id, u.len,
			     ours ? "a posted buffer" : "no buffer the driver had out");
	}
	ck_assert_mem_eq(got, &want, VNET_HDR_LEN);
	ck_assert_mem_eq(got + VNET_HDR_LEN, frame, len);
	/* And the queue goes on with the next buffers. */
	for (int i = 3; i < 6; i++)
		heads[i] = netdrv_rx_post(&d, 600, 0, 0);
	len = udp_frame(100 - NETPKT_UDP_DATA, 22);
	peer_send(NULL, len);
	ck_assert_uint_eq(take_merged(1, heads + 3, one, got), 112);
	want.num_buffers = 1;
	ck_assert_mem_eq(got, &want, VNET_HDR_LEN);
	ck_assert_mem_eq(got + VNET_HDR_LEN, frame, len);
	netdrv_stop(&d);
	ck_assert_uint_eq(ST.rx_packets, 2);
	ck_assert_uint_eq(ST.rx_merged, 1);
	ck_assert_uint_eq(ST.rx_dropped, 0);
}
END_TEST

/*
 * §5.1.6.3.1: with MRG_RXBUF a buffer need only hold the header. 200 buffers
 * of 1024 bytes take 204800 bytes, three times the largest GSO frame, so a
 * 100-byte frame must be delivered.
 */
START_TEST(test_vnet_rx_mrg_1024_byte_buffers_with_guest_tso4_delivered)
{
	struct virtio_net_hdr_v1 want = { .num_buffers = 1 };
	const uint32_t one[] = { 112 };
	uint32_t len;

	dev_open(F(GUEST_CSUM) | F(GUEST_TSO4), true, 0);
	netdrv_rx_post_n(&d, 200, 1024);
	len = udp_frame(100 - NETPKT_UDP_DATA, 20);
	peer_send(NULL, len);
	ck_assert_uint_eq(take_merged(1, NULL, one, got), 112);
	ck_assert_mem_eq(got, &want, VNET_HDR_LEN);
	ck_assert_mem_eq(got + VNET_HDR_LEN, frame, len);
}
END_TEST

TCase *vnet_mrg_tcase(void)
{
	TCase *tc = tcase_create("mrg");

	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_vnet_rx_mrg_4000_frame_spans_three_buffers);
	tcase_add_test(tc, test_vnet_rx_mrg_gso_frame_over_14_buffers);
	tcase_add_test(tc, test_vnet_rx_mrg_too_few_buffers_waits_then_delivered);
	tcase_add_test(tc, test_vnet_rx_mrg_needs_csum_without_guest_csum_dropped_next_delivered);
	tcase_add_test(tc, test_vnet_rx_mrg_read_lent_later_starts);
	tcase_add_test(tc, test_vnet_rx_mrg_readonly_and_tiny_buffers_dropped);
	tcase_add_test(tc, test_vnet_rx_mrg_frame_filling_all_held_buffers_exact_entries);
	tcase_add_test(tc, test_vnet_rx_mrg_1024_byte_buffers_with_guest_tso4_delivered);
	return tc;
}
