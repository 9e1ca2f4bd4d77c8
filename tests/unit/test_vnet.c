// SPDX-License-Identifier: MIT
// Device-level tests of devices/virtio/vnet, TX side (docs/catalogue.md O13-O22): a driver in the
// test (tests/support/netdrv) brings the device up through its registers over real guest RAM, and
// the far end of a SOCK_SEQPACKET socketpair plays the tap. Every case checks the exact bytes the
// "tap" got, the used entries and the counters (read after vnet_stop), and that the queue still
// serves the next good frame.
#include <check.h>
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tests/support/netdrv.h"
#include "tests/support/netpkt.h"
#include "tests/unit/suites.h"

#define F(x)	 VIRTIO_BIT(VIRTIO_NET_F_##x)
#define F_RING	 (VIRTIO_BIT(VIRTIO_RING_F_EVENT_IDX) | \
			 VIRTIO_BIT(VIRTIO_RING_F_INDIRECT_DESC) | F(MAC))
#define NEEDS	 VIRTIO_NET_HDR_F_NEEDS_CSUM
#define ST	 (d.n.stats)
#define WAIT_MS	 2000
#define QUIET_MS 100	/* how long "nothing arrives" is watched */

static struct netdrv d;
static uint8_t frame[VNET_MAX_FRAME + 64], got[VNET_MAX_FRAME + 64];

static void dev_open(uint64_t want)
{
	struct netdrv_cfg c = {
		.opts = { .csum = true, .tso = true },
		.caps = { .tx_csum = true, .tx_tso4 = true, .tx_tso6 = true, .tx_ecn = true,
			  .rx_csum = true, .rx_tso4 = true, .rx_tso6 = true, .rx_ecn = true },
		.want = want | F_RING,
	};

	log_threshold = LOG_ERROR;	/* the drops below are expected */
	ck_assert_msg(netdrv_open(&d, &c) == 0, "%s", d.err);
}

static void teardown(void)
{
	netdrv_close(&d);
}

/* A UDP frame of payload bytes whose contents depend on seq. */
static uint32_t udp_frame(size_t payload, uint32_t seq, bool partial)
{
	uint8_t data[VNET_MAX_FRAME];

	netpkt_pattern(data, payload, seq);
	if (payload >= 4)
		memcpy(data, &seq, 4);
	return (uint32_t)netpkt_udp4(frame, sizeof(frame), &netpkt_test_flow, data, payload,
				     partial);
}

static uint32_t tcp_frame(size_t payload, bool partial)
{
	uint8_t data[VNET_MAX_FRAME];

	netpkt_pattern(data, payload, 7);
	return (uint32_t)netpkt_tcp4(frame, sizeof(frame), &netpkt_test_flow, 1000, 1,
				     NETPKT_TCP_ACK, data, payload, partial);
}

/* The next TX completion: the chain head and used length 0 (§5.1.6.2: TX buffers are read). */
static void expect_tx_used(int head)
{
	struct netdrv_used u;

	ck_assert_int_ge(head, 0);
	ck_assert_msg(netdrv_wait_used(&d, VNET_TXQ, 1, WAIT_MS), "no TX completion");
	ck_assert(netdrv_take_used(&d, VNET_TXQ, &u));
	ck_assert_uint_eq(u.id, (uint32_t)head);
	ck_assert_uint_eq(u.len, 0);
}

/* The tap's next message: exactly the header want (NULL: all zero), then frame[0, len). */
static void expect_peer(const struct virtio_net_hdr_v1 *want, uint32_t len)
{
	struct virtio_net_hdr_v1 h, zero = { 0 };
	ssize_t n = netdrv_peer_recv(&d, &h, got, sizeof(got), WAIT_MS);

	ck_assert_int_eq(n, len);
	ck_assert_mem_eq(&h, want ? want : &zero, VNET_HDR_LEN);
	ck_assert_mem_eq(got, frame, len);
}

static void expect_peer_quiet(void)
{
	ck_assert_int_eq(netdrv_peer_recv(&d, NULL, got, sizeof(got), QUIET_MS), -ETIMEDOUT);
}

/* A plain frame after whatever the test did: the queue still works. */
static void expect_next_frame_sent(void)
{
	uint32_t len = udp_frame(100, 99, false);

	expect_tx_used(netdrv_tx(&d, NULL, frame, len, NULL, 0, 0));
	expect_peer(NULL, len);
}

START_TEST(test_vnet_tx_plain_frame_peer_gets_zero_header)
{
	uint32_t len;

	dev_open(0);
	len = udp_frame(18, 1, false);
	ck_assert_uint_eq(len, 60);
	expect_tx_used(netdrv_tx(&d, NULL, frame, len, NULL, 0, 0));
	expect_peer(NULL, 60);
	expect_peer_quiet();
	netdrv_stop(&d);
	ck_assert_uint_eq(ST.tx_packets, 1);
	ck_assert_uint_eq(ST.tx_bytes, 60);
	ck_assert_uint_eq(ST.tx_dropped, 0);
	ck_assert_uint_eq(ST.tx_csum, 0);
	ck_assert_uint_eq(d.bad_used, 0);
}
END_TEST

START_TEST(test_vnet_tx_needs_csum_tcp4_peer_gets_rebuilt_header)
{
	/* hdr_len and gso_size are noise without GSO: the tap gets a header built from metadata. */
	struct virtio_net_hdr_v1 h = { .flags = NEEDS | 0x80, .csum_start = 34, .csum_offset = 16,
				       .hdr_len = 999, .gso_size = 77, .num_buffers = 5 };
	struct virtio_net_hdr_v1 want = { .flags = NEEDS, .csum_start = 34, .csum_offset = 16 };
	uint32_t len;

	dev_open(F(CSUM));
	ck_assert(d.features & F(CSUM));
	len = tcp_frame(200, true);
	expect_tx_used(netdrv_tx(&d, &h, frame, len, NULL, 0, 0));
	expect_peer(&want, len);
	/* What the tap will finish is a correct TCP checksum. */
	netpkt_finish_csum(got, len, 34, 16);
	ck_assert(netpkt_l4_csum_ok(got, len));
	netdrv_stop(&d);
	ck_assert_uint_eq(ST.tx_packets, 1);
	ck_assert_uint_eq(ST.tx_csum, 1);
	ck_assert_uint_eq(ST.tx_tso, 0);
	ck_assert_uint_eq(ST.tx_dropped, 0);
}
END_TEST

START_TEST(test_vnet_tx_tso4_20k_peer_gets_gso_header)
{
	/* hdr_len 0 is a wrong hint; the device measures 14 + 20 + 20 itself (§5.1.6.2.2). */
	struct virtio_net_hdr_v1 h = { .flags = NEEDS, .gso_type = VIRTIO_NET_HDR_GSO_TCPV4,
				       .csum_start = 34, .csum_offset = 16, .gso_size = 1448 };
	struct virtio_net_hdr_v1 want = h;
	uint32_t len;

	dev_open(F(CSUM) | F(HOST_TSO4));
	ck_assert(d.features & F(HOST_TSO4));
	len = tcp_frame(20000, true);
	ck_assert_uint_eq(len, 20054);
	want.hdr_len = 54;
	expect_tx_used(netdrv_tx(&d, &h, frame, len, NULL, 0, 0));
	expect_peer(&want, len);
	netdrv_stop(&d);
	ck_assert_uint_eq(ST.tx_packets, 1);
	ck_assert_uint_eq(ST.tx_bytes, 20054);
	ck_assert_uint_eq(ST.tx_tso, 1);
	ck_assert_uint_eq(ST.tx_csum, 1);
}
END_TEST

START_TEST(test_vnet_tx_header_split_across_two_descriptors_sent)
{
	struct virtio_net_hdr_v1 h = { .flags = NEEDS, .csum_start = 34, .csum_offset = 6 };
	const uint32_t cut_in_header[] = { 5 }, header_alone[] = { 12 }, header_and_byte[] = { 13 };
	uint32_t len;

	dev_open(F(CSUM));
	len = udp_frame(300, 2, true);
	expect_tx_used(netdrv_tx(&d, &h, frame, len, cut_in_header, 1, 0));
	expect_peer(&h, len);
	expect_tx_used(netdrv_tx(&d, &h, frame, len, header_alone, 1, 0));
	expect_peer(&h, len);
	expect_tx_used(netdrv_tx(&d, &h, frame, len, header_and_byte, 1, 0));
	expect_peer(&h, len);
	netdrv_stop(&d);
	ck_assert_uint_eq(ST.tx_packets, 3);
	ck_assert_uint_eq(ST.tx_csum, 3);
	ck_assert_uint_eq(ST.tx_dropped, 0);
}
END_TEST

START_TEST(test_vnet_tx_frame_in_many_small_descriptors_sent)
{
	/* The header in 1-byte pieces, the Ethernet header cut mid-ethertype, then 20-byte pieces. */
	struct virtio_net_hdr_v1 h = { .flags = NEEDS, .csum_start = 34, .csum_offset = 16 };
	uint32_t pieces[80];
	unsigned int n = 0;
	uint32_t len;

	dev_open(F(CSUM));
	len = tcp_frame(1000, true);
	for (unsigned int i = 0; i < 12; i++)
		pieces[n++] = 1;
	pieces[n++] = 13;
	while (n < 62)
		pieces[n++] = 20;
	/* 12 + 13 + 49 * 20 = 1005 of 1066 bytes: 51 frame pieces with the rest. */
	expect_tx_used(netdrv_tx(&d, &h, frame, len, pieces, n, 0));
	expect_peer(&h, len);
	netdrv_stop(&d);
	ck_assert_uint_eq(ST.tx_packets, 1);
	ck_assert_uint_eq(ST.tx_csum, 1);
}
END_TEST

START_TEST(test_vnet_tx_64_frame_pieces_sent_65_dropped)
{
	uint32_t pieces[70];
	uint32_t len;

	dev_open(0);
	len = udp_frame(1500 - 28, 3, false);
	pieces[0] = 12;
	for (unsigned int i = 1; i < 70; i++)
		pieces[i] = 10;
	/* 12, then 63 pieces of 10 and the rest: 64 frame pieces, the most one write takes. */
	expect_tx_used(netdrv_tx(&d, NULL, frame, len, pieces, 64, 0));
	expect_peer(NULL, len);
	/* 64 pieces of 10 and the rest: 65. Completed with length 0, counted, nothing sent. */
	expect_tx_used(netdrv_tx(&d, NULL, frame, len, pieces, 65, 0));
	expect_peer_quiet();
	expect_next_frame_sent();
	netdrv_stop(&d);
	ck_assert_uint_eq(ST.drops[VNET_DROP_TX_SEGMENTS], 1);
	ck_assert_uint_eq(ST.tx_dropped, 1);
	ck_assert_uint_eq(ST.tx_packets, 2);
}
END_TEST

START_TEST(test_vnet_tx_chain_shorter_than_header_dropped_next_sent)
{
	const uint8_t bytes[11] = { 0 };

	dev_open(0);
	expect_tx_used(netdrv_tx_raw(&d, bytes, 11, NULL, 0, 0));
	expect_tx_used(netdrv_tx_raw(&d, bytes, 1, NULL, 0, 0));
	expect_peer_quiet();
	expect_next_frame_sent();
	netdrv_stop(&d);
	ck_assert_uint_eq(ST.drops[VNET_DROP_TX_HEADER], 2);
	ck_assert_uint_eq(ST.tx_dropped, 2);
	ck_assert_uint_eq(ST.tx_packets, 1);
}
END_TEST

START_TEST(test_vnet_tx_empty_and_runt_frames_dropped_next_sent)
{
	dev_open(0);
	udp_frame(18, 4, false);
	expect_tx_used(netdrv_tx(&d, NULL, frame, 0, NULL, 0, 0));	/* header only */
	expect_tx_used(netdrv_tx(&d, NULL, frame, 13, NULL, 0, 0));	/* under 14 bytes */
	expect_tx_used(netdrv_tx(&d, NULL, frame, 14, NULL, 0, 0));	/* a bare Ethernet header */
	expect_peer(NULL, 14);
	expect_next_frame_sent();
	netdrv_stop(&d);
	ck_assert_uint_eq(ST.tx_offload_err[VNET_TX_ERR_SHORT], 2);
	ck_assert_uint_eq(ST.tx_dropped, 2);
	ck_assert_uint_eq(ST.tx_packets, 2);
}
END_TEST

START_TEST(test_vnet_tx_largest_frame_sent_one_more_dropped)
{
	uint32_t len;

	dev_open(0);
	/* The largest IPv4 packet (65535) behind Ethernet, and one byte of padding: 65550. */
	len = udp_frame(65535 - 28, 5, false) + 1;
	ck_assert_uint_eq(len, VNET_MAX_FRAME);
	expect_tx_used(netdrv_tx(&d, NULL, frame, len, NULL, 0, 0));
	expect_peer(NULL, len);
	/* 65551 bytes: one too many. */
	expect_tx_used(netdrv_tx(&d, NULL, frame, len + 1, NULL, 0, 0));
	expect_peer_quiet();
	expect_next_frame_sent();
	netdrv_stop(&d);
	ck_assert_uint_eq(ST.tx_offload_err[VNET_TX_ERR_LONG], 1);
	ck_assert_uint_eq(ST.tx_dropped, 1);
	ck_assert_uint_eq(ST.tx_packets, 2);
}
END_TEST

START_TEST(test_vnet_tx_writable_descriptor_dropped_next_sent)
{
	const uint32_t pieces[] = { 12 };
	uint32_t len;

	dev_open(0);
	len = udp_frame(100, 6, false);
	expect_tx_used(netdrv_tx(&d, NULL, frame, len, pieces, 1, NETDRV_WRONG_DIR));
	expect_tx_used(netdrv_tx(&d, NULL, frame, len, NULL, 0, NETDRV_WRONG_DIR));
	expect_peer_quiet();
	expect_next_frame_sent();
	netdrv_stop(&d);
	ck_assert_uint_eq(ST.drops[VNET_DROP_TX_WRITABLE], 2);
	ck_assert_uint_eq(ST.tx_dropped, 2);
	ck_assert_uint_eq(ST.tx_packets, 1);
}
END_TEST

START_TEST(test_vnet_tx_bad_csum_offset_dropped_nothing_sent)
{
	struct virtio_net_hdr_v1 h = { .flags = NEEDS, .csum_start = 34, .csum_offset = 10 };
	uint32_t len;

	dev_open(F(CSUM));
	len = tcp_frame(100, true);
	expect_tx_used(netdrv_tx(&d, &h, frame, len, NULL, 0, 0));
	expect_peer_quiet();
	expect_next_frame_sent();
	netdrv_stop(&d);
	ck_assert_uint_eq(ST.tx_offload_err[VNET_TX_ERR_CSUM_OFFSET], 1);
	ck_assert_uint_eq(ST.tx_dropped, 1);
	ck_assert_uint_eq(ST.tx_packets, 1);
	ck_assert_uint_eq(ST.tx_csum, 0);
}
END_TEST

START_TEST(test_vnet_tx_offloads_not_negotiated_dropped)
{
	struct virtio_net_hdr_v1 csum = { .flags = NEEDS, .csum_start = 34, .csum_offset = 16 };
	struct virtio_net_hdr_v1 tso = { .flags = NEEDS, .gso_type = VIRTIO_NET_HDR_GSO_TCPV4,
					 .csum_start = 34, .csum_offset = 16, .gso_size = 1448 };
	uint32_t len;

	/* Offered but not acked: the device honours only what was negotiated (§5.1.6.2.1). */
	dev_open(0);
	ck_assert(d.offered & F(CSUM));
	ck_assert(!(d.features & F(CSUM)));
	len = tcp_frame(3000, true);
	expect_tx_used(netdrv_tx(&d, &csum, frame, len, NULL, 0, 0));
	expect_peer_quiet();
	netdrv_stop(&d);
	ck_assert_uint_eq(ST.tx_offload_err[VNET_TX_ERR_CSUM_NOT_NEGOTIATED], 1);
	ck_assert_uint_eq(ST.tx_dropped, 1);
	netdrv_close(&d);
	/* CSUM but not HOST_TSO4: a TCPV4 super-frame is refused. */
	dev_open(F(CSUM));
	ck_assert(!(d.features & F(HOST_TSO4)));
	expect_tx_used(netdrv_tx(&d, &tso, frame, len, NULL, 0, 0));
	expect_peer_quiet();
	expect_next_frame_sent();
	netdrv_stop(&d);
	ck_assert_uint_eq(ST.tx_offload_err[VNET_TX_ERR_GSO_NOT_NEGOTIATED], 1);
	ck_assert_uint_eq(ST.tx_dropped, 1);
}
END_TEST

START_TEST(test_vnet_tx_tap_refuses_frame_counted_next_sent)
{
	int sz = 4096;	/* the socket doubles it: frames over ~8 KiB get EMSGSIZE */
	uint32_t len;

	dev_open(0);
	ck_assert_int_eq(setsockopt(d.dev_fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz)), 0);
	len = udp_frame(20000, 8, false);
	expect_tx_used(netdrv_tx(&d, NULL, frame, len, NULL, 0, 0));
	expect_peer_quiet();
	expect_next_frame_sent();
	netdrv_stop(&d);
	ck_assert_uint_eq(ST.drops[VNET_DROP_TX_TAP], 1);
	ck_assert_uint_eq(ST.tx_dropped, 1);
	ck_assert_uint_eq(ST.tx_packets, 1);
}
END_TEST

START_TEST(test_vnet_tx_peer_closed_tap_error_queue_keeps_going)
{
	uint32_t len;

	dev_open(0);
	close(d.peer_fd);
	d.peer_fd = -1;
	len = udp_frame(100, 9, false);
	for (int i = 0; i < 3; i++)
		expect_tx_used(netdrv_tx(&d, NULL, frame, len, NULL, 0, 0));
	netdrv_stop(&d);
	ck_assert_uint_eq(ST.drops[VNET_DROP_TX_TAP], 3);
	ck_assert_uint_eq(ST.tx_dropped, 3);
	ck_assert_uint_eq(ST.tx_packets, 0);
	ck_assert_uint_eq(netdrv_status(&d), 0xf);	/* no NEEDS_RESET: a tap error is no ring error */
}
END_TEST

START_TEST(test_vnet_tx_indirect_chain_sent)
{
	struct virtio_net_hdr_v1 h = { .flags = NEEDS, .csum_start = 34, .csum_offset = 6 };
	const uint32_t pieces[] = { 7, 20, 100 };
	uint32_t len;

	dev_open(F(CSUM));
	ck_assert(d.features & VIRTIO_BIT(VIRTIO_RING_F_INDIRECT_DESC));
	len = udp_frame(1000, 10, true);
	expect_tx_used(netdrv_tx(&d, &h, frame, len, pieces, 3, NETDRV_INDIRECT));
	expect_peer(&h, len);
	expect_tx_used(netdrv_tx(&d, &h, frame, len, NULL, 0, NETDRV_INDIRECT));
	expect_peer(&h, len);
	netdrv_stop(&d);
	ck_assert_uint_eq(ST.tx_packets, 2);
	ck_assert_uint_eq(ST.tx_csum, 2);
}
END_TEST

START_TEST(test_vnet_tx_buffer_outside_ram_dropped_next_sent)
{
	uint32_t len;
	int head;

	dev_open(0);
	len = udp_frame(100, 11, false);
	head = netdrv_tx(&d, NULL, frame, len, NULL, 0, NETDRV_NO_KICK);
	ck_assert_int_ge(head, 0);
	/* The descriptor now ends one byte past guest RAM. */
	ring_set_desc(&d.q[VNET_TXQ], (uint16_t)head, NETDRV_RAM - len - 11, len + 12, 0, 0);
	netdrv_kick(&d, VNET_TXQ);
	expect_tx_used(head);
	expect_peer_quiet();
	expect_next_frame_sent();
	netdrv_stop(&d);
	ck_assert_uint_eq(d.n.pair[0].txq.errors[VIRTQ_ERR_ADDR], 1);
	ck_assert_uint_eq(ST.tx_packets, 1);
	ck_assert_uint_eq(netdrv_status(&d), 0xf);
}
END_TEST

/* A full ring of frames, then a slow reader: every frame arrives once, in order. */
START_TEST(test_vnet_tx_full_ring_under_backpressure_all_sent_in_order)
{
	unsigned int sent = 0, seen = 0, late = 0, first_late = 0;
	bool dup = false, have[NETDRV_QSIZE] = { false };
	uint32_t order[NETDRV_QSIZE];
	struct netdrv_used u;

	dev_open(0);
	for (uint32_t i = 0; i < d.qsize; i++) {
		uint32_t len = udp_frame(200 + i, i, false);

		ck_assert_int_ge(netdrv_tx(&d, NULL, frame, len, NULL, 0, NETDRV_NO_KICK), 0);
	}
	netdrv_kick(&d, VNET_TXQ);
	usleep(50000);	/* the socket fills; the rest of the writes wait */
	while (seen < d.qsize) {
		ssize_t n = netdrv_peer_recv(&d, NULL, got, sizeof(got), WAIT_MS);
		uint32_t seq;

		ck_assert_msg(n > 0, "%u of %u frames arrived", seen, d.qsize);
		memcpy(&seq, got + NETPKT_UDP_DATA, 4);
		ck_assert_uint_lt(seq, d.qsize);
		ck_assert_int_eq(n, 242 + seq);	/* whole: its length and checksum */
		ck_assert(netpkt_l4_csum_ok(got, (size_t)n));
		dup |= have[seq];
		have[seq] = true;
		order[seen++] = seq;
	}
	for (unsigned int i = 0; i < d.qsize; i++)
		if (order[i] != i && late++ == 0)
			first_late = i;
	ck_assert_msg(!dup, "a frame arrived twice");
	ck_assert_msg(late == 0, "%u of %u frames out of order; the first at position %u is "
		      "frame %u", late, d.qsize, first_late, order[first_late]);
	ck_assert(netdrv_wait_used(&d, VNET_TXQ, d.qsize, WAIT_MS));
	while (netdrv_take_used(&d, VNET_TXQ, &u)) {
		ck_assert_uint_eq(u.len, 0);
		sent++;
	}
	ck_assert_uint_eq(sent, d.qsize);
	ck_assert_uint_eq(d.bad_used, 0);
	expect_peer_quiet();
	netdrv_stop(&d);
	ck_assert_uint_eq(ST.tx_packets, d.qsize);
	ck_assert_uint_eq(ST.tx_dropped, 0);
}
END_TEST

/* ---- configuration (§5.1.4) ---- */

static void open_opts(const struct net_config *o)
{
	struct netdrv_cfg c = { .opts = *o, .caps = { .tx_csum = true, .rx_csum = true },
				.want = F_RING | F(MTU) | F(STATUS) };

	log_threshold = LOG_ERROR;
	ck_assert_msg(netdrv_open(&d, &c) == 0, "%s", d.err);
}

START_TEST(test_vnet_config_mac_status_mtu_read_back)
{
	const struct net_config o = { .mac = { 0x52, 0x54, 0, 0x12, 0x34, 0x56 }, .mac_set = true,
				     .mtu = 9000, .csum = true };
	uint8_t cfg[12];

	open_opts(&o);
	ck_assert_uint_eq(d.features & (F(MAC) | F(MTU) | F(STATUS)), F(MAC) | F(MTU) | F(STATUS));
	for (unsigned int i = 0; i < sizeof(cfg); i++)
		vmmio_read(&d.n.t, 0x100 + i, cfg + i, 1);
	ck_assert_mem_eq(cfg, "\x52\x54\x00\x12\x34\x56", 6);
	ck_assert_uint_eq(cfg[6] | cfg[7] << 8, VIRTIO_NET_S_LINK_UP);
	ck_assert_uint_eq(cfg[8] | cfg[9] << 8, 1);
	ck_assert_uint_eq(cfg[10] | cfg[11] << 8, 9000);
}
END_TEST

/* --net ...,queue_size=64 (net_config.queue_size): "QueueNumMax, a power of two <= 256". */
START_TEST(test_vnet_config_queue_size_option_sets_queue_num_max)
{
	const struct net_config o = { .queue_size = 64, .csum = true };

	open_opts(&o);
	for (uint32_t q = 0; q < 2; q++) {
		netdrv_reg_write(&d, 0x030, q);
		ck_assert_uint_eq(netdrv_reg_read(&d, 0x034), 64);
	}
}
END_TEST

Suite *vnet_suite(void)
{
	Suite *s = suite_create("vnet");
	TCase *tc = tcase_create("tx");

	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_vnet_tx_plain_frame_peer_gets_zero_header);
	tcase_add_test(tc, test_vnet_tx_needs_csum_tcp4_peer_gets_rebuilt_header);
	tcase_add_test(tc, test_vnet_tx_tso4_20k_peer_gets_gso_header);
	tcase_add_test(tc, test_vnet_tx_header_split_across_two_descriptors_sent);
	tcase_add_test(tc, test_vnet_tx_frame_in_many_small_descriptors_sent);
	tcase_add_test(tc, test_vnet_tx_64_frame_pieces_sent_65_dropped);
	tcase_add_test(tc, test_vnet_tx_chain_shorter_than_header_dropped_next_sent);
	tcase_add_test(tc, test_vnet_tx_empty_and_runt_frames_dropped_next_sent);
	tcase_add_test(tc, test_vnet_tx_largest_frame_sent_one_more_dropped);
	tcase_add_test(tc, test_vnet_tx_writable_descriptor_dropped_next_sent);
	tcase_add_test(tc, test_vnet_tx_bad_csum_offset_dropped_nothing_sent);
	tcase_add_test(tc, test_vnet_tx_offloads_not_negotiated_dropped);
	tcase_add_test(tc, test_vnet_tx_tap_refuses_frame_counted_next_sent);
	tcase_add_test(tc, test_vnet_tx_peer_closed_tap_error_queue_keeps_going);
	tcase_add_test(tc, test_vnet_tx_indirect_chain_sent);
	tcase_add_test(tc, test_vnet_tx_buffer_outside_ram_dropped_next_sent);
	tcase_add_test(tc, test_vnet_tx_full_ring_under_backpressure_all_sent_in_order);
	suite_add_tcase(s, tc);
	tc = tcase_create("config");
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_vnet_config_mac_status_mtu_read_back);
	tcase_add_test(tc, test_vnet_config_queue_size_option_sets_queue_num_max);
	suite_add_tcase(s, tc);
	suite_add_tcase(s, vnet_rx_tcase());
	suite_add_tcase(s, vnet_mrg_tcase());
	suite_add_tcase(s, vnet_reset_tcase());
	suite_add_tcase(s, vnet_offload_tcase());
	suite_add_tcase(s, vnet_mq_tcase());
	return s;
}
