// SPDX-License-Identifier: MIT
// Device-level tests of devices/virtio/vnet across reset (DESIGN §6: "on reset, cancel and drain
// in-flight operations before the device acknowledges"): no used entry is written after status 0
// is accepted, nothing waiting in the tap is lost, the device comes up again and works, the tap's
// offloads follow each negotiation, and repeated resets leak neither fds nor threads.
#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

#include "tests/support/netdrv.h"
#include "tests/support/netpkt.h"
#include "tests/unit/suites.h"

#define F(x)	 VIRTIO_BIT(VIRTIO_NET_F_##x)
#define F_RING	 (VIRTIO_BIT(VIRTIO_RING_F_EVENT_IDX) | \
			 VIRTIO_BIT(VIRTIO_RING_F_INDIRECT_DESC) | F(MAC))
#define WAIT_MS	 2000
#define NEED_MTU (VNET_HDR_LEN + 18 + 1500)

static struct netdrv d;
static uint8_t frame[2048], got[NETDRV_SLOT];

static void dev_open(uint64_t want, bool mrg)
{
	struct netdrv_cfg c = {
		.opts = { .csum = true, .tso = true, .mrg_rxbuf = mrg },
		.caps = { .tx_csum = true, .tx_tso4 = true, .tx_tso6 = true, .tx_ecn = true,
			  .rx_csum = true, .rx_tso4 = true, .rx_tso6 = true, .rx_ecn = true },
		.want = want | F_RING | (mrg ? F(MRG_RXBUF) : 0),
	};

	log_threshold = LOG_ERROR;
	ck_assert_msg(netdrv_open(&d, &c) == 0, "%s", d.err);
}

static void teardown(void)
{
	netdrv_close(&d);
}

static void up(uint64_t features)
{
	ck_assert_msg(netdrv_up(&d, features) == 0, "%s", d.err);
}

static uint32_t udp_frame(size_t payload, uint32_t seq)
{
	uint8_t data[1500];

	netpkt_pattern(data, payload, seq);
	memcpy(data, &seq, 4);
	return (uint32_t)netpkt_udp4(frame, sizeof(frame), &netpkt_test_flow, data, payload, false);
}

/* The next RX frame is the UDP frame with this payload size and sequence number. */
static void expect_rx_frame(size_t payload, uint32_t seq)
{
	struct virtio_net_hdr_v1 h, want = { .num_buffers = 1 };
	uint32_t len = udp_frame(payload, seq);

	ck_assert_int_eq(netdrv_rx_recv(&d, &h, got, sizeof(got), NULL, WAIT_MS), VNET_HDR_LEN + len);
	ck_assert_mem_eq(&h, &want, VNET_HDR_LEN);
	ck_assert_mem_eq(got, frame, len);
}

/* Reset with every RX buffer under a read; a frame sent afterwards waits for the next driver. */
static void reset_with_reads_in_flight(bool mrg)
{
	uint16_t used;

	dev_open(0, mrg);
	netdrv_rx_post_n(&d, 8, mrg ? 1500 : NEED_MTU);
	ck_assert(netdrv_wait_consumed(&d, VNET_RXQ, WAIT_MS));
	used = ring_used_idx(&d.q[VNET_RXQ]);
	ck_assert_uint_eq(used, 0);
	netdrv_reset(&d);
	ck_assert_uint_eq(netdrv_status(&d), 0);
	udp_frame(100, 1);
	ck_assert_int_eq(netdrv_peer_send(&d, NULL, frame, 142), 0);
	usleep(100000);
	ck_assert_uint_eq(ring_used_idx(&d.q[VNET_RXQ]), used);
	/* The same memory, a fresh driver: the frame is still in the tap and arrives once. */
	up(d.features);
	netdrv_rx_post_n(&d, 8, mrg ? 1500 : NEED_MTU);
	expect_rx_frame(100, 1);
	udp_frame(200, 2);
	ck_assert_int_eq(netdrv_peer_send(&d, NULL, frame, 242), 0);
	expect_rx_frame(200, 2);
	usleep(50000);
	ck_assert_uint_eq(netdrv_used_pending(&d, VNET_RXQ), 0);
	netdrv_stop(&d);
	ck_assert_uint_eq(d.n.stats.rx_packets, 2);
	ck_assert_uint_eq(d.n.stats.rx_dropped, 0);
	ck_assert_uint_eq(d.bad_used, 0);
}

START_TEST(test_vnet_reset_with_reads_in_flight_no_used_entry_after)
{
	reset_with_reads_in_flight(false);
}
END_TEST

START_TEST(test_vnet_reset_mrg_with_read_in_flight_no_used_entry_after)
{
	reset_with_reads_in_flight(true);
}
END_TEST

START_TEST(test_vnet_reset_with_writes_in_flight_no_used_entry_after)
{
	unsigned int got_frames = 0;
	uint16_t used;

	dev_open(0, false);
	/* The tap (the peer) reads nothing: the socket fills and most writes wait. */
	for (uint32_t i = 0; i < d.qsize; i++) {
		uint32_t len = udp_frame(300, i);

		ck_assert_int_ge(netdrv_tx(&d, NULL, frame, len, NULL, 0, NETDRV_NO_KICK), 0);
	}
	netdrv_kick(&d, VNET_TXQ);
	usleep(50000);
	netdrv_reset(&d);
	used = ring_used_idx(&d.q[VNET_TXQ]);
	ck_assert_uint_lt(used, d.qsize);	/* some writes were still waiting */
	/* Whatever went out went out whole and in order; nothing more follows. */
	for (;;) {
		struct virtio_net_hdr_v1 h;
		ssize_t n = netdrv_peer_recv(&d, &h, got, sizeof(got), 100);
		uint32_t seq;

		if (n < 0)
			break;
		ck_assert_int_eq(n, 342);
		memcpy(&seq, got + NETPKT_UDP_DATA, 4);
		ck_assert_uint_eq(seq, got_frames);
		got_frames++;
	}
	ck_assert_uint_ge(got_frames, used);
	ck_assert_uint_eq(ring_used_idx(&d.q[VNET_TXQ]), used);
	up(d.features);
	udp_frame(100, 7);
	ck_assert_int_ge(netdrv_tx(&d, NULL, frame, 142, NULL, 0, 0), 0);
	ck_assert(netdrv_wait_used(&d, VNET_TXQ, 1, WAIT_MS));
	ck_assert_int_eq(netdrv_peer_recv(&d, NULL, got, sizeof(got), WAIT_MS), 142);
	ck_assert_mem_eq(got, frame, 142);
}
END_TEST

START_TEST(test_vnet_reset_offloads_cleared_and_reapplied)
{
	dev_open(F(GUEST_CSUM) | F(GUEST_TSO4) | F(GUEST_TSO6), false);
	ck_assert_uint_eq(d.n.be->offloads, TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6);
	netdrv_reset(&d);
	ck_assert_uint_eq(d.n.be->offloads, 0);
	up(F(GUEST_CSUM) | F_RING);
	ck_assert_uint_eq(d.n.be->offloads, TUN_F_CSUM);
	up(F_RING);
	ck_assert_uint_eq(d.n.be->offloads, 0);
	up(F(GUEST_CSUM) | F(GUEST_TSO6) | F_RING);
	ck_assert_uint_eq(d.n.be->offloads, TUN_F_CSUM | TUN_F_TSO6);
}
END_TEST

/* Waits (the kernel may take a moment to reap io_uring workers) until the counts settle. */
static void expect_counts(unsigned int fds, unsigned int threads)
{
	for (int i = 0; i < 200; i++) {
		if (netdrv_count_fds() == fds && netdrv_count_threads() == threads)
			return;
		usleep(10000);
	}
	ck_assert_uint_eq(netdrv_count_fds(), fds);
	ck_assert_uint_eq(netdrv_count_threads(), threads);
}

START_TEST(test_vnet_reset_100_times_with_io_in_flight_no_leak)
{
	unsigned int fds, threads;
	uint64_t f;

	dev_open(F(GUEST_CSUM), false);
	f = d.features;
	fds = netdrv_count_fds();
	threads = netdrv_count_threads();
	ck_assert_uint_ge(threads, 2);	/* the test and the device's I/O thread */
	for (uint32_t i = 0; i < 100; i++) {
		uint32_t len = udp_frame(100, i);

		netdrv_rx_post_n(&d, 16, NEED_MTU);
		ck_assert_int_ge(netdrv_tx(&d, NULL, frame, len, NULL, 0, 0), 0);
		if (i % 2)
			ck_assert_int_eq(netdrv_peer_send(&d, NULL, frame, len), 0);
		up(f);
		netdrv_peer_drain(&d, 0);
	}
	expect_counts(fds, threads);
	/* Still a working NIC, both ways. */
	netdrv_peer_drain(&d, 50);
	netdrv_rx_post_n(&d, 4, NEED_MTU);
	udp_frame(300, 1000);
	ck_assert_int_eq(netdrv_peer_send(&d, NULL, frame, 342), 0);
	expect_rx_frame(300, 1000);
	ck_assert_int_ge(netdrv_tx(&d, NULL, frame, 342, NULL, 0, 0), 0);
	ck_assert_int_eq(netdrv_peer_recv(&d, NULL, got, sizeof(got), WAIT_MS), 342);
	ck_assert_mem_eq(got, frame, 342);
	netdrv_close(&d);
	/* Everything the device had is gone: its sockets, eventfds and guest RAM's memfd... */
	ck_assert_uint_le(netdrv_count_fds(), fds - 6);
	ck_assert_uint_eq(netdrv_count_threads(), threads - 1);
}
END_TEST

/* A peer that keeps the tap busy while the driver resets over and over. */
static atomic_bool streaming;

static void *stream_frames(void *arg)
{
	uint8_t f[200];
	uint32_t seq = 0;

	(void)arg;
	while (atomic_load(&streaming)) {
		uint8_t data[158];

		netpkt_pattern(data, sizeof(data), seq);
		memcpy(data, &seq, 4);
		netpkt_udp4(f, sizeof(f), &netpkt_test_flow, data, sizeof(data), false);
		if (netdrv_peer_send(&d, NULL, f, sizeof(f)) == 0)
			seq++;
		else
			usleep(100);
	}
	return NULL;
}

START_TEST(test_vnet_reset_while_frames_stream_no_late_used_entry)
{
	unsigned int delivered = 0;
	pthread_t t;
	uint64_t f;

	dev_open(0, false);
	f = d.features;
	atomic_store(&streaming, true);
	ck_assert_int_eq(pthread_create(&t, NULL, stream_frames, NULL), 0);
	for (int i = 0; i < 50; i++) {
		struct netdrv_used u;
		uint16_t used;

		netdrv_rx_post_n(&d, 32, NEED_MTU);
		usleep(2000);
		netdrv_reset(&d);
		used = ring_used_idx(&d.q[VNET_RXQ]);
		usleep(5000);
		ck_assert_uint_eq(ring_used_idx(&d.q[VNET_RXQ]), used);
		/* What was delivered before the reset is whole. */
		while (netdrv_take_used(&d, VNET_RXQ, &u)) {
			ck_assert_uint_eq(u.len, VNET_HDR_LEN + 200);
			netdrv_buf_read(&d, VNET_RXQ, (uint16_t)u.id, got, u.len);
			ck_assert(netpkt_l4_csum_ok(got + VNET_HDR_LEN, 200));
			delivered++;
		}
		ck_assert_uint_eq(d.bad_used, 0);
		up(f);
	}
	atomic_store(&streaming, false);
	pthread_join(t, NULL);
	ck_assert_uint_gt(delivered, 0);
}
END_TEST

TCase *vnet_reset_tcase(void)
{
	TCase *tc = tcase_create("reset");

	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_vnet_reset_with_reads_in_flight_no_used_entry_after);
	tcase_add_test(tc, test_vnet_reset_mrg_with_read_in_flight_no_used_entry_after);
	tcase_add_test(tc, test_vnet_reset_with_writes_in_flight_no_used_entry_after);
	tcase_add_test(tc, test_vnet_reset_offloads_cleared_and_reapplied);
	tcase_add_test(tc, test_vnet_reset_100_times_with_io_in_flight_no_leak);
	tcase_add_test(tc, test_vnet_reset_while_frames_stream_no_late_used_entry);
	return tc;
}
