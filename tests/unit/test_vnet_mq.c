// SPDX-License-Identifier: MIT
// Device-level tests of the control queue (devices/virtio/vnet_cq.c, virtio 1.2 §5.1.6.5) and of
// several queue pairs (VIRTIO_NET_F_MQ): the in-process driver (tests/support/netdrv) over one
// socketpair per pair standing in for the queues of a multi-queue tap. Each command's exact
// outcome (ack byte, used length, counter by reason), frames on each pair, and VQ_PAIRS_SET down
// and up with traffic waiting: nothing lost, nothing duplicated, in order.
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/if_tun.h>
#include <linux/virtio_mmio.h>
#include <linux/virtio_net.h>

#include "tests/support/netdrv.h"
#include "tests/support/netpkt.h"
#include "tests/unit/suites.h"

#define F(x)	  VIRTIO_BIT(VIRTIO_NET_F_##x)
#define F_CTRL	  (F(CTRL_VQ) | F(CTRL_RX) | F(CTRL_MAC_ADDR) | F(CTRL_GUEST_OFFLOADS))
#define F_BASE	  (VIRTIO_BIT(VIRTIO_RING_F_EVENT_IDX) | VIRTIO_BIT(VIRTIO_RING_F_INDIRECT_DESC) | \
		   F(MAC) | F(CSUM) | F(GUEST_CSUM))
#define WAIT_MS	  2000
#define QUIET_MS  100
#define RXBUF	  1536
#define OK	  VIRTIO_NET_OK
#define ERR	  VIRTIO_NET_ERR
#define CS	  (d.n.cstats)

static struct netdrv d;
static uint8_t frame[2048];

static void dev_open(unsigned int pairs, uint64_t want)
{
	struct netdrv_cfg c = {
		.opts = { .csum = true, .tso = true, .ctrl = true },
		.caps = { .tx_csum = true, .rx_csum = true },
		.want = want | F_BASE,
		.pairs = pairs,
	};

	log_threshold = LOG_ERROR;	/* the refusals below are expected */
	ck_assert_msg(netdrv_open(&d, &c) == 0, "%s", d.err);
}

static void teardown(void)
{
	netdrv_close(&d);
}

/* A UDP frame whose payload starts with seq; partial: the checksum left to the receiver. */
static uint32_t udp_frame_p(uint32_t seq, bool partial)
{
	uint8_t data[64];

	netpkt_pattern(data, sizeof(data), seq);
	memcpy(data, &seq, 4);
	return (uint32_t)netpkt_udp4(frame, sizeof(frame), &netpkt_test_flow, data, sizeof(data),
				     partial);
}

static uint32_t udp_frame(uint32_t seq)
{
	return udp_frame_p(seq, false);
}

static uint32_t frame_seq(const uint8_t *f)
{
	uint32_t seq;

	memcpy(&seq, f + 42, 4);	/* Ethernet 14 + IPv4 20 + UDP 8 */
	return seq;
}

START_TEST(test_vnet_cq_rx_mac_commands_recorded_ok)
{
	uint8_t on = 1, mac[6] = { 0x52, 0x54, 0, 0xab, 0xcd, 0xef }, got[6];
	uint8_t table[4 + 6 + 4 + 12] = { 1, 0, 0, 0, [10] = 2 };

	dev_open(1, F_CTRL);
	ck_assert(d.features & F(CTRL_VQ));
	ck_assert(!(d.offered & F(MQ)));	/* one pair: nothing to steer */
	ck_assert_int_eq(d.ctrlq, 2);
	ck_assert_int_eq(netdrv_ctrl(&d, VIRTIO_NET_CTRL_RX, VIRTIO_NET_CTRL_RX_PROMISC, &on, 1), OK);
	ck_assert_int_eq(netdrv_ctrl(&d, VIRTIO_NET_CTRL_RX, VIRTIO_NET_CTRL_RX_ALLMULTI, &on, 1),
			 OK);
	ck_assert_int_eq(netdrv_ctrl(&d, VIRTIO_NET_CTRL_MAC, VIRTIO_NET_CTRL_MAC_ADDR_SET, mac, 6),
			 OK);
	ck_assert_int_eq(netdrv_ctrl(&d, VIRTIO_NET_CTRL_MAC, VIRTIO_NET_CTRL_MAC_TABLE_SET, table,
				     sizeof(table)), OK);
	for (int i = 0; i < 6; i++)
		got[i] = (uint8_t)netdrv_reg_read(&d, VIRTIO_MMIO_CONFIG + i);
	ck_assert_mem_eq(got, mac, 6);	/* the config space reports the new address */
	netdrv_stop(&d);
	ck_assert_uint_eq(CS.commands, 4);
	ck_assert_uint_eq(CS.ok, 4);
	ck_assert_uint_eq(CS.err, 0);
	ck_assert(d.n.cs.promisc && d.n.cs.allmulti);
	ck_assert_mem_eq(d.n.cs.mac, mac, 6);
	ck_assert_uint_eq(d.n.cs.unicast, 1);
	ck_assert_uint_eq(d.n.cs.multicast, 2);
}
END_TEST

/* Each malformed command: its bytes, the used length and ack byte it gets, and its reason. */
static const struct {
	uint8_t out[16];
	uint32_t out_len, in_len;
	long used;
	uint8_t ack;
	enum vnet_ctrl_err why;
} bad[] = {
	{ { 0, 0, 1 }, 3, 0, 0, 0xa5, VNET_CTRL_ERR_NO_ACK },	/* read-only ack: nowhere to say */
	{ { 0 }, 0, 4, 1, ERR, VNET_CTRL_ERR_LAYOUT },		/* header and data device-writable */
	{ { 0, 0, 1 }, 3, 2, 1, ERR, VNET_CTRL_ERR_LAYOUT },	/* a 2-byte "ack" */
	{ { 0 }, 1, 1, 1, ERR, VNET_CTRL_ERR_SHORT },		/* half a header */
	{ { 9, 0 }, 2, 1, 1, ERR, VNET_CTRL_ERR_CLASS },
	{ { VIRTIO_NET_CTRL_RX, 6, 1 }, 3, 1, 1, ERR, VNET_CTRL_ERR_COMMAND },
	{ { VIRTIO_NET_CTRL_RX, VIRTIO_NET_CTRL_RX_PROMISC, 1, 1 }, 4, 1, 1, ERR,
	  VNET_CTRL_ERR_LENGTH },
	{ { VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, 1, 0 }, 4, 1, 1, ERR,
	  VNET_CTRL_ERR_NOT_NEGOTIATED },			/* no MQ on one pair */
	{ { VIRTIO_NET_CTRL_MAC, VIRTIO_NET_CTRL_MAC_TABLE_SET, 5, 0, 0, 0 }, 6, 1, 1, ERR,
	  VNET_CTRL_ERR_MAC_TABLE },				/* 5 entries, no room */
	{ { VIRTIO_NET_CTRL_GUEST_OFFLOADS, VIRTIO_NET_CTRL_GUEST_OFFLOADS_SET,
	    1 << VIRTIO_NET_F_GUEST_TSO4 }, 10, 1, 1, ERR, VNET_CTRL_ERR_OFFLOADS },
};

START_TEST(test_vnet_cq_malformed_exact_outcome_queue_goes_on)
{
	uint8_t ack = 0, on = 1;
	long used;

	dev_open(1, F_CTRL);
	used = netdrv_ctrl_raw(&d, bad[_i].out, bad[_i].out_len, bad[_i].in_len, &ack);
	ck_assert_int_eq(used, bad[_i].used);
	ck_assert_uint_eq(ack, bad[_i].ack);
	/* The queue serves the next good command. */
	ck_assert_int_eq(netdrv_ctrl(&d, VIRTIO_NET_CTRL_RX, VIRTIO_NET_CTRL_RX_PROMISC, &on, 1), OK);
	ck_assert_uint_eq(netdrv_status(&d), 0xf);	/* a bad command is no ring error */
	netdrv_stop(&d);
	ck_assert_uint_eq(CS.commands, 2);
	ck_assert_uint_eq(CS.ok, 1);
	ck_assert_uint_eq(CS.err, 1);
	for (int e = 1; e < VNET_CTRL_ERR_MAX; e++)
		ck_assert_uint_eq(CS.errors[e], e == (int)bad[_i].why);
	ck_assert(d.n.cs.promisc);
}
END_TEST

static uint8_t good[2048], rx[2048];

START_TEST(test_vnet_cq_guest_offloads_set_changes_rx_between_frames)
{
	struct virtio_net_hdr_v1 tap = { .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM, .csum_start = 34,
					 .csum_offset = 6 }, got;
	uint64_t off = 0;
	uint32_t len = udp_frame(1);

	dev_open(1, F_CTRL);
	netdrv_rx_post_n(&d, 8, RXBUF);
	ck_assert_uint_eq(d.n.active_offloads, TUN_F_CSUM);
	ck_assert_int_eq(netdrv_peer_send(&d, &tap, frame, len), 0);
	ck_assert_int_eq(netdrv_rx_recv(&d, &got, NULL, 0, NULL, WAIT_MS), VNET_HDR_LEN + len);
	ck_assert_uint_eq(got.flags, VIRTIO_NET_HDR_F_NEEDS_CSUM);
	/*
	 * The guest gives up GUEST_CSUM: the host is told; a partial frame it
	 * still hands out (this socket cannot change) is finished in software.
	 */
	ck_assert_int_eq(netdrv_ctrl(&d, VIRTIO_NET_CTRL_GUEST_OFFLOADS,
				     VIRTIO_NET_CTRL_GUEST_OFFLOADS_SET, &off, 8), OK);
	ck_assert_uint_eq(d.n.active_offloads, 0);
	ck_assert_uint_eq(d.n.be->offloads, 0);
	udp_frame(2);
	memcpy(good, frame, len);
	udp_frame_p(2, true);	/* what a tap hands out: the pseudo-header sum in the field */
	ck_assert_int_eq(netdrv_peer_send(&d, &tap, frame, len), 0);
	ck_assert_int_eq(netdrv_rx_recv(&d, &got, rx, sizeof(rx), NULL, WAIT_MS), VNET_HDR_LEN + len);
	ck_assert_uint_eq(got.flags, 0);
	ck_assert_mem_eq(rx, good, len);	/* the checksum the sender would have written */
	/* And back. */
	off = F(GUEST_CSUM);
	ck_assert_int_eq(netdrv_ctrl(&d, VIRTIO_NET_CTRL_GUEST_OFFLOADS,
				     VIRTIO_NET_CTRL_GUEST_OFFLOADS_SET, &off, 8), OK);
	ck_assert_uint_eq(d.n.active_offloads, TUN_F_CSUM);
	ck_assert_int_eq(netdrv_peer_send(&d, &tap, frame, len), 0);
	ck_assert_int_eq(netdrv_rx_recv(&d, &got, NULL, 0, NULL, WAIT_MS), VNET_HDR_LEN + len);
	ck_assert_uint_eq(got.flags, VIRTIO_NET_HDR_F_NEEDS_CSUM);
	netdrv_stop(&d);
	ck_assert_uint_eq(d.n.stats.rx_packets, 3);
	ck_assert_uint_eq(d.n.stats.rx_dropped, 0);
	ck_assert_uint_eq(d.n.stats.rx_soft_csum, 1);
	ck_assert_uint_eq(d.n.cs.guest_offloads, F(GUEST_CSUM));
	ck_assert_uint_eq(CS.ok, 2);
}
END_TEST

START_TEST(test_vnet_cq_avail_idx_jump_needs_reset)
{
	uint8_t on = 1;
	int i;

	dev_open(1, F_CTRL);
	ring_set_avail_idx(&d.q[d.ctrlq], d.qsize + 1);
	netdrv_kick(&d, (unsigned int)d.ctrlq);
	for (i = 0; i < 200 && !(netdrv_status(&d) & VIRTIO_CONFIG_S_NEEDS_RESET); i++)
		usleep(5000);
	ck_assert_uint_eq(netdrv_status(&d), 0xf | VIRTIO_CONFIG_S_NEEDS_RESET);
	/* A reset and a new bring-up serve commands again. */
	ck_assert_int_eq(netdrv_up(&d, F_CTRL | F_BASE), 0);
	ck_assert_int_eq(netdrv_ctrl(&d, VIRTIO_NET_CTRL_RX, VIRTIO_NET_CTRL_RX_PROMISC, &on, 1), OK);
}
END_TEST

/* The metrics object carries the per-pair and control keys. */
static void expect_metrics(const char *want)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	ck_assert_ptr_nonnull(f);
	vnet_metrics(&d.n, f);
	fclose(f);
	ck_assert_msg(strstr(buf, want), "'%s' not in %s", want, buf);
	/* Well-formed, as far as a test without a JSON parser can tell. */
	for (const char *no = ",,\0[,\0,]\0,}\0{,\0"; *no; no += strlen(no) + 1)
		ck_assert_msg(!strstr(buf, no), "'%s' in %s", no, buf);
	for (const char *pairs = "{}[]"; *pairs; pairs += 2) {
		int depth = 0;

		for (const char *c = buf; *c; c++)
			depth += (*c == pairs[0]) - (*c == pairs[1]);
		ck_assert_msg(depth == 0, "unbalanced %c%c in %s", pairs[0], pairs[1], buf);
	}
	free(buf);
}

START_TEST(test_vnet_mq_one_pair_until_vq_pairs_set)
{
	uint16_t pairs = 3;
	uint32_t len = udp_frame(7);

	dev_open(3, F_CTRL | F(MQ));
	ck_assert(d.features & F(MQ));
	ck_assert_uint_eq(d.pairs, 3);
	ck_assert_int_eq(d.ctrlq, 6);
	expect_metrics("\"queue_pairs\":{\"max\":3,\"active\":1}");
	/* Pair 2 is not in use yet: its TX chain waits (§5.1.6.5.5). */
	netdrv_use(&d, 2);
	ck_assert_int_ge(netdrv_tx(&d, NULL, frame, len, NULL, 0, 0), 0);
	usleep(QUIET_MS * 1000);
	ck_assert_uint_eq(netdrv_used_pending(&d, netdrv_q(&d, VNET_TXQ)), 0);
	ck_assert_int_eq(netdrv_ctrl(&d, VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, &pairs,
				     2), OK);
	ck_assert(netdrv_wait_used(&d, netdrv_q(&d, VNET_TXQ), 1, WAIT_MS));
	ck_assert_int_eq(netdrv_peer_recv(&d, NULL, NULL, 0, WAIT_MS), len);
	expect_metrics("\"queue_pairs\":{\"max\":3,\"active\":3}");
	pairs = 4;
	ck_assert_int_eq(netdrv_ctrl(&d, VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, &pairs,
				     2), ERR);
	pairs = 0;
	ck_assert_int_eq(netdrv_ctrl(&d, VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, &pairs,
				     2), ERR);
	netdrv_stop(&d);
	ck_assert_uint_eq(CS.errors[VNET_CTRL_ERR_PAIRS], 2);
	ck_assert_uint_eq(d.n.pair[2].stats.tx_packets, 1);
	ck_assert_uint_eq(d.n.pair[0].stats.tx_packets, 0);
	expect_metrics("{\"pair\":2,\"rx_packets\":0,\"rx_bytes\":0,\"tx_packets\":1,");
}
END_TEST

START_TEST(test_vnet_mq_every_pair_its_own_frames)
{
	uint16_t pairs = 3;

	dev_open(3, F_CTRL | F(MQ));
	ck_assert_int_eq(netdrv_ctrl(&d, VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, &pairs,
				     2), OK);
	for (unsigned int k = 0; k < 3; k++) {
		netdrv_use(&d, k);
		netdrv_rx_post_n(&d, 4, RXBUF);
	}
	for (unsigned int k = 0; k < 3; k++) {
		uint32_t len = udp_frame(100 + k);
		uint8_t got[2048];

		netdrv_use(&d, k);
		ck_assert_int_ge(netdrv_tx(&d, NULL, frame, len, NULL, 0, 0), 0);
		ck_assert_int_eq(netdrv_peer_recv(&d, NULL, got, sizeof(got), WAIT_MS), len);
		ck_assert_uint_eq(frame_seq(got), 100 + k);
		len = udp_frame(200 + k);
		ck_assert_int_eq(netdrv_peer_send(&d, NULL, frame, len), 0);
		ck_assert_int_eq(netdrv_rx_recv(&d, NULL, got, sizeof(got), NULL, WAIT_MS),
				 VNET_HDR_LEN + len);
		ck_assert_uint_eq(frame_seq(got), 200 + k);
	}
	netdrv_stop(&d);
	for (unsigned int k = 0; k < 3; k++) {
		ck_assert_uint_eq(d.n.pair[k].stats.tx_packets, 1);
		ck_assert_uint_eq(d.n.pair[k].stats.rx_packets, 1);
	}
	ck_assert_uint_eq(d.n.stats.tx_packets, 3);
	ck_assert_uint_eq(d.n.stats.rx_packets, 3);
	ck_assert_uint_eq(d.bad_used, 0);
}
END_TEST

/* Frames for pair 1 while it is out of use wait (neither read nor lost) and come in order after. */
START_TEST(test_vnet_mq_pairs_down_up_no_loss_no_duplicate)
{
	uint16_t two = 2, one = 1;
	uint8_t got[2048];
	unsigned int k;

	dev_open(2, F_CTRL | F(MQ));
	ck_assert_int_eq(netdrv_ctrl(&d, VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, &two,
				     2), OK);
	netdrv_use(&d, 1);
	netdrv_rx_post_n(&d, 4, RXBUF);	/* all used below: no read left in flight */
	for (k = 0; k < 4; k++) {
		uint32_t len = udp_frame(k);

		ck_assert_int_eq(netdrv_peer_send(&d, NULL, frame, len), 0);
	}
	for (k = 0; k < 4; k++) {
		ck_assert_int_gt(netdrv_rx_recv(&d, NULL, got, sizeof(got), NULL, WAIT_MS), 0);
		ck_assert_uint_eq(frame_seq(got), k);
	}
	ck_assert_int_eq(netdrv_ctrl(&d, VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, &one,
				     2), OK);
	netdrv_rx_post_n(&d, 12, RXBUF);	/* lent to a detached queue: not read */
	for (k = 4; k < 10; k++) {
		uint32_t len = udp_frame(k);

		ck_assert_int_eq(netdrv_peer_send(&d, NULL, frame, len), 0);
	}
	ck_assert_int_ge(netdrv_tx(&d, NULL, frame, udp_frame(50), NULL, 0, 0), 0);
	usleep(QUIET_MS * 1000);
	/* Nothing delivered, nothing completed: the buffers are still the guest's. */
	ck_assert_uint_eq(netdrv_used_pending(&d, netdrv_q(&d, VNET_RXQ)), 0);
	ck_assert_uint_eq(netdrv_used_pending(&d, netdrv_q(&d, VNET_TXQ)), 0);
	expect_metrics("\"queue_pairs\":{\"max\":2,\"active\":1}");
	ck_assert_int_eq(netdrv_ctrl(&d, VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, &two,
				     2), OK);
	for (k = 4; k < 10; k++) {
		ck_assert_int_gt(netdrv_rx_recv(&d, NULL, got, sizeof(got), NULL, WAIT_MS), 0);
		ck_assert_uint_eq(frame_seq(got), k);
	}
	ck_assert(netdrv_wait_used(&d, netdrv_q(&d, VNET_TXQ), 1, WAIT_MS));
	ck_assert_int_gt(netdrv_peer_recv(&d, NULL, got, sizeof(got), WAIT_MS), 0);
	ck_assert_uint_eq(frame_seq(got), 50);
	usleep(QUIET_MS * 1000);
	ck_assert_uint_eq(netdrv_used_pending(&d, netdrv_q(&d, VNET_RXQ)), 0);	/* no duplicate */
	netdrv_stop(&d);
	ck_assert_uint_eq(d.n.pair[1].stats.rx_packets, 10);
	ck_assert_uint_eq(d.n.pair[1].stats.rx_dropped, 0);
	ck_assert_uint_eq(d.n.pair[1].stats.tx_packets, 1);
	ck_assert_uint_eq(d.bad_used, 0);
}
END_TEST

/* A driver that does not negotiate MQ gets one pair and the control queue at index 2. */
START_TEST(test_vnet_mq_not_negotiated_one_pair_ctrl_at_2)
{
	uint8_t on = 1;

	dev_open(3, F_CTRL);
	ck_assert(d.offered & F(MQ));
	ck_assert(!(d.features & F(MQ)));
	ck_assert_int_eq(d.ctrlq, 2);
	ck_assert_int_eq(netdrv_ctrl(&d, VIRTIO_NET_CTRL_RX, VIRTIO_NET_CTRL_RX_PROMISC, &on, 1), OK);
	netdrv_stop(&d);
	ck_assert_uint_eq(d.n.started, 1);
}
END_TEST

TCase *vnet_mq_tcase(void)
{
	TCase *tc = tcase_create("mq");

	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_vnet_cq_rx_mac_commands_recorded_ok);
	tcase_add_loop_test(tc, test_vnet_cq_malformed_exact_outcome_queue_goes_on, 0,
			    (int)(sizeof(bad) / sizeof(bad[0])));
	tcase_add_test(tc, test_vnet_cq_guest_offloads_set_changes_rx_between_frames);
	tcase_add_test(tc, test_vnet_cq_avail_idx_jump_needs_reset);
	tcase_add_test(tc, test_vnet_mq_one_pair_until_vq_pairs_set);
	tcase_add_test(tc, test_vnet_mq_every_pair_its_own_frames);
	tcase_add_test(tc, test_vnet_mq_pairs_down_up_no_loss_no_duplicate);
	tcase_add_test(tc, test_vnet_mq_not_negotiated_one_pair_ctrl_at_2);
	return tc;
}
