// SPDX-License-Identifier: MIT
// The 'net' suite's multi-queue case (VIRTIO_NET_F_MQ, virtio 1.2 §5.1.6.5.5) on a real
// multi-queue tapA: one tap queue per pair. A frame on TX queue k leaves tapB; tun remembers the
// flow for queue k (its automatic steering), so the peer's reply comes back on RX queue k.
// VQ_PAIRS_SET takes pairs 2 and 3 out (TUNSETQUEUE detach) with buffers posted and a TX chain
// waiting on them, and back: every frame arrives once, on a pair in use, in order per flow.
#include <string.h>
#include <unistd.h>
#include <linux/virtio_net.h>

#include "tests/net/harness.h"

#define MQ_PAIRS 4
#define MQ_BUFS	 16	/* RX buffers per pair */

static uint8_t mq_frame[2048], mq_got[H_FRAME_MAX];

/* Flow k: the guest's UDP port 40000 + k. */
static uint32_t mq_build(bool tx, unsigned int k, uint32_t seq)
{
	struct netpkt_flow f = tx ? h_flow_tx() : h_flow_rx();
	uint8_t data[32];

	if (tx)
		f.sport = (uint16_t)(H_GUEST_PORT + k);
	else
		f.dport = (uint16_t)(H_GUEST_PORT + k);
	memset(data, 0, sizeof(data));
	memcpy(data, &seq, 4);
	data[4] = (uint8_t)k;
	return (uint32_t)netpkt_udp4(mq_frame, sizeof(mq_frame), &f, data, sizeof(data), false);
}

static uint32_t mq_seq(void)
{
	uint32_t seq;

	memcpy(&seq, mq_got + 42, 4);	/* Ethernet 14, IPv4 20, UDP 8 */
	return seq;
}

static void mq_pairs(uint16_t n)
{
	CHECK_EQ(netdrv_ctrl(&H.d, VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, &n, 2),
		 VIRTIO_NET_OK, "VQ_PAIRS_SET ack");
}

/* Guest -> peer on pair k; the frame must leave tapB once. */
static void mq_tx(unsigned int k, uint32_t seq)
{
	uint32_t len = mq_build(true, k, seq);
	long got;

	netdrv_use(&H.d, k);
	CHECK(netdrv_tx(&H.d, NULL, mq_frame, len, NULL, 0, 0) >= 0, "TX ring of pair %u full", k);
	CHECK(netdrv_wait_used(&H.d, netdrv_q(&H.d, VNET_TXQ), 1, H_WAIT_MS), "pair %u: no TX "
	      "completion", k);
	while (netdrv_used_pending(&H.d, netdrv_q(&H.d, VNET_TXQ))) {
		struct netdrv_used u;

		CHECK(netdrv_take_used(&H.d, netdrv_q(&H.d, VNET_TXQ), &u), "pair %u TX used", k);
	}
	got = h_tapb_recv(mq_got, sizeof(mq_got), H_WAIT_MS);
	CHECK(got == (long)len, "pair %u: frame %u did not leave tapB (%ld)", k, seq, got);
	CHECK_EQ(mq_seq(), seq, "sequence on tapB");
}

/* Which pair the next RX frame lands on (polling all); -1 on timeout. */
static int mq_rx_any(uint32_t *seq, unsigned int *flow)
{
	int64_t end = h_now_ms() + H_WAIT_MS;

	while (h_now_ms() < end) {
		for (unsigned int k = 0; k < MQ_PAIRS; k++) {
			struct virtio_net_hdr_v1 hdr;

			netdrv_use(&H.d, k);
			if (!netdrv_used_pending(&H.d, netdrv_q(&H.d, VNET_RXQ)))
				continue;
			CHECK(netdrv_rx_recv(&H.d, &hdr, mq_got, sizeof(mq_got), NULL, 0) > VNET_HDR_LEN,
			      "pair %u: an empty RX completion", k);
			*seq = mq_seq();
			*flow = mq_got[46];
			netdrv_rx_post(&H.d, H.o.rxbuf, 0, 0);	/* and give it back */
			return (int)k;
		}
		usleep(1000);
	}
	return -1;
}

int h_case_mq(void)
{
	struct netdrv_cfg c = {
		.opts = { .csum = true, .tso = true, .ctrl = true, .io_sync = H.o.sync,
			  .mrg_rxbuf = H.o.mrg, .mac_set = true },
		.tap = H.o.tapa,
		.queues = MQ_PAIRS,
		.want = F(CTRL_VQ) | F(MQ) | F(MAC) | VIRTIO_BIT(VIRTIO_RING_F_EVENT_IDX) |
			(H.o.mrg ? F(MRG_RXBUF) : 0),
	};
	uint32_t seq = 0, s;
	unsigned int flow;
	int k;

	memcpy(c.opts.mac, H.guest_mac, 6);
	if (netdrv_open(&H.d, &c))
		h_fail("cannot bring the device up on %s with %d queues: %s", H.o.tapa, MQ_PAIRS,
		       H.d.err);
	H.dev_open = true;
	H.o.rxbuf = H.o.mrg ? 1536 : 1530;
	h_wait_link(H.o.tapa);
	CHECK((H.d.features & F(MQ)) && H.d.pairs == MQ_PAIRS, "MQ with %u pairs (features 0x%llx)",
	      H.d.pairs, (unsigned long long)H.d.features);
	CHECK_EQ(H.d.ctrlq, 2 * MQ_PAIRS, "the control queue's index");
	CHECK_EQ(H.d.n.active_pairs, 1, "pairs in use after DRIVER_OK");
	for (unsigned int p = 0; p < MQ_PAIRS; p++) {
		netdrv_use(&H.d, p);
		netdrv_rx_post_n(&H.d, MQ_BUFS, H.o.rxbuf);
	}
	mq_pairs(MQ_PAIRS);
	/* Each flow out of its own pair, and its reply back on the same pair. */
	for (unsigned int round = 0; round < 3; round++) {
		for (unsigned int p = 0; p < MQ_PAIRS; p++) {
			mq_tx(p, seq);
			h_tapb_send(mq_frame, mq_build(false, p, seq));
			k = mq_rx_any(&s, &flow);
			CHECK(k == (int)p, "flow %u's reply came on pair %d, want %u", p, k, p);
			CHECK_EQ(s, seq, "reply sequence");
			seq++;
		}
	}
	/* Pairs 2 and 3 out: a TX chain waiting on pair 3 stays; replies land on 0 or 1. */
	mq_pairs(2);
	CHECK_EQ(H.d.n.active_pairs, 2, "pairs in use");
	netdrv_use(&H.d, 3);
	CHECK(netdrv_tx(&H.d, NULL, mq_frame, mq_build(true, 3, 1000), NULL, 0, 0) >= 0, "TX pair 3");
	for (unsigned int p = 0; p < MQ_PAIRS; p++) {
		h_tapb_send(mq_frame, mq_build(false, p, seq));
		k = mq_rx_any(&s, &flow);
		CHECK(k == 0 || k == 1, "flow %u's frame came on pair %d with two in use", p, k);
		CHECK_EQ(s, seq, "sequence");
		CHECK_EQ(flow, p, "flow");
		seq++;
	}
	usleep(H_QUIET_MS * 1000);
	for (unsigned int p = 2; p < MQ_PAIRS; p++) {
		netdrv_use(&H.d, p);
		CHECK_EQ(netdrv_used_pending(&H.d, netdrv_q(&H.d, VNET_RXQ)), 0,
			 "RX completions on a pair out of use");
	}
	CHECK_EQ(netdrv_used_pending(&H.d, netdrv_q(&H.d, VNET_TXQ)), 0,
		 "TX completions on a pair out of use");
	CHECK(h_tapb_recv(mq_got, sizeof(mq_got), H_QUIET_MS) < 0, "pair 3's frame left early");
	/* Back to four: the waiting chain goes out once, the buffers posted before serve again. */
	mq_pairs(MQ_PAIRS);
	netdrv_use(&H.d, 3);
	CHECK(netdrv_wait_used(&H.d, netdrv_q(&H.d, VNET_TXQ), 1, H_WAIT_MS), "pair 3's waiting TX");
	{
		struct netdrv_used u;

		CHECK(netdrv_take_used(&H.d, netdrv_q(&H.d, VNET_TXQ), &u), "pair 3 TX used");
	}
	CHECK(h_tapb_recv(mq_got, sizeof(mq_got), H_WAIT_MS) > 0, "pair 3's frame on tapB");
	CHECK_EQ(mq_seq(), 1000, "pair 3's frame");
	CHECK(h_tapb_recv(mq_got, sizeof(mq_got), H_QUIET_MS) < 0, "a duplicate on tapB");
	for (unsigned int p = 0; p < MQ_PAIRS; p++) {
		mq_tx(p, seq);
		h_tapb_send(mq_frame, mq_build(false, p, seq));
		k = mq_rx_any(&s, &flow);
		CHECK(k == (int)p, "after re-enable, flow %u's reply came on pair %d", p, k);
		CHECK_EQ(s, seq, "sequence");
		seq++;
	}
	usleep(H_QUIET_MS * 1000);
	for (unsigned int p = 0; p < MQ_PAIRS; p++) {
		netdrv_use(&H.d, p);
		CHECK_EQ(netdrv_used_pending(&H.d, netdrv_q(&H.d, VNET_RXQ)), 0, "a duplicate RX");
	}
	netdrv_stop(&H.d);
	CHECK_EQ(H.d.n.stats.rx_packets, seq, "device rx_packets (every reply once)");
	CHECK_EQ(H.d.n.stats.tx_packets, seq - MQ_PAIRS + 1, "device tx_packets");
	CHECK_EQ(H.d.n.stats.rx_dropped + H.d.n.stats.tx_dropped, 0, "drops");
	CHECK_EQ(H.d.n.cstats.err, 0, "control errors");
	CHECK_EQ(H.d.bad_used, 0, "used entries naming no chain");
	CHECK_EQ(netdrv_status(&H.d), 0xf, "device status (no NEEDS_RESET)");
	return 0;
}

/*
 * A single-queue tapA (net.sh's default): without queues= the device falls
 * back to one pair; queues=4 is an error naming the tap and the value.
 */
int h_case_mq_single_tap(void)
{
	struct netdrv_cfg c = {
		.opts = { .csum = true, .tso = true, .ctrl = true, .queues = MQ_PAIRS },
		.tap = H.o.tapa,
		.want = F(CTRL_VQ) | F(MQ) | F(MAC),
	};

	if (netdrv_open(&H.d, &c))
		h_fail("the default queues on a single-queue tap: %s", H.d.err);
	H.dev_open = true;
	CHECK_EQ(H.d.n.npairs, 1, "pairs on a single-queue tap");
	CHECK(!(H.d.offered & F(MQ)), "MQ offered on one pair");
	CHECK(H.d.features & F(CTRL_VQ), "the control queue on one pair");
	netdrv_close(&H.d);
	H.dev_open = false;
	c.queues = MQ_PAIRS;
	CHECK(netdrv_open(&H.d, &c) != 0, "queues=%d on a single-queue tap opened", MQ_PAIRS);
	CHECK(strstr(H.d.err, "queues=4") && strstr(H.d.err, H.o.tapa), "the error names the tap "
	      "and the value: %s", H.d.err);
	h_note("refused as it should be: %s", H.d.err);
	netdrv_close(&H.d);
	return 0;
}
