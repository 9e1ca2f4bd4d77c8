// SPDX-License-Identifier: MIT
// Probe guest: the net-hostile mode's control-queue cases: one bad command, then a good one.
//
// virtio 1.2 §5.1.6.5: a command is struct virtio_net_ctrl_hdr {u8 class; u8
// cmd}, the command's data (both device-readable), then a device-writable u8
// ack. Each case puts one command on the control queue (descriptor 3 on, the
// readable part at the bad area's start, the ack byte 64 KiB into it) and
// checks what comes back: the used length (1 with a writable ack, 0 without),
// the ack byte (VIRTIO_NET_ERR for a malformed command, VIRTIO_NET_OK for one
// the spec allows), nothing written past the ack or into the readable part.
// Then a good command (descriptors 250-251: PROMISC on with CTRL_RX, else
// GUEST_OFFLOADS_SET 0, else VQ_PAIRS_SET 1) must come back with
// VIRTIO_NET_OK, and a good datagram must go out on the TX queue.
#include "nethostile_ctrl.h"
#include "nethostile_ring.h"

#define ACK_AT	       (64u << 10) /* the bad command's ack byte, in the bad area */
#define GOOD_CTRL_AT   2048	   /* the good command in the good TX area (frame < 2 KiB) */
#define GOOD_ACK_AT    (GOOD_CTRL_AT + 128)
#define GOOD_CTRL_HEAD 250
#define LONG_CMD       20000 /* readable bytes of ctrl_command_too_long (< ACK_AT) */
#define OFFLOAD_TSO4   VIRTIO_BIT(VIRTIO_NET_F_GUEST_TSO4)
#define C_MQ	       (C_CTRL | NF(MQ))
#define C_MAC	       (C_CTRL | NF(CTRL_MAC_ADDR))
#define C_OFF	       (C_CTRL | NF(CTRL_GUEST_OFFLOADS))
#define C_OFF_ONLY     (NF(CTRL_VQ) | NF(CTRL_GUEST_OFFLOADS)) /* no CTRL_RX */

enum { CLASS_RX = VIRTIO_NET_CTRL_RX, CLASS_MAC = VIRTIO_NET_CTRL_MAC,
       CLASS_MQ = VIRTIO_NET_CTRL_MQ, CLASS_OFF = VIRTIO_NET_CTRL_GUEST_OFFLOADS };

static const uint8_t a_mac[6] = {0x52, 0x54, 0x00, 0xab, 0xcd, 0xef};

/* The chain on the control queue at head, published and kicked; the next used entry (head, len). */
static bool ctrl_kick(struct nh *h, uint16_t head, const struct piece *pc, unsigned int n,
		      uint32_t len, const char *why)
{
	nh_chain_put(&h->ctl, head, pc, n);
	nh_publish(&h->ctl);
	nh_notify(h, h->ctl.q->index);
	return nh_used_expect(h, &h->ctl, head, len, why);
}

/* The good command: VIRTIO_NET_OK with used length 1. */
static bool ctrl_good(struct nh *h)
{
	uint8_t *c = h->good + GOOD_CTRL_AT, *ack = h->good + GOOD_ACK_AT;
	uint64_t f = h->dev.negotiated;
	struct piece pc[2];
	uint32_t len = 1;

	memset(c, 0, 16);
	if (f & NF(CTRL_RX)) {
		c[0] = CLASS_RX, c[1] = VIRTIO_NET_CTRL_RX_PROMISC, c[2] = 1;
	} else if (f & NF(CTRL_GUEST_OFFLOADS)) {
		c[0] = CLASS_OFF, c[1] = VIRTIO_NET_CTRL_GUEST_OFFLOADS_SET, len = 8;
	} else {
		c[0] = CLASS_MQ, c[1] = VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, c[2] = 1, len = 2;
	}
	*ack = CANARY;
	pc[0] = (struct piece){c, 2 + len, false};
	pc[1] = (struct piece){ack, 1, true};
	if (!ctrl_kick(h, GOOD_CTRL_HEAD, pc, 2, 1, "the good command did not come back with 1"))
		return false;
	hl_fact(&h->log, "good_ack", *ack);
	if (*ack != VIRTIO_NET_OK)
		return hl_fail(&h->log, "the good command was not acknowledged with VIRTIO_NET_OK");
	return nh_tx_send(h, NULL, "the good datagram's chain did not come back");
}

/*
 * The case's chain (h->chain) at BAD_HEAD: back with used length want_len,
 * the ack byte then want_ack (CANARY: untouched), the byte after it and every
 * readable byte untouched; then the good command and the good datagram.
 */
static bool ctrl_run(struct nh *h, uint32_t want_len, uint8_t want_ack)
{
	uint8_t *ack = h->bad + ACK_AT;
	struct piece ro[MAX_PIECES];
	unsigned int n = 0;

	if (!h->ctl.q)
		return hl_fail(&h->log, "no control queue (CTRL_VQ not negotiated)");
	hl_fact(&h->log, "ctrl_queue", h->ctl.q->index);
	for (unsigned int k = 0; k < h->nchain; k++) {
		if (!h->chain[k].write)
			ro[n++] = h->chain[k];
	}
	h->chain_hash = nh_chain_hash(ro, n);
	if (!ctrl_kick(h, BAD_HEAD, h->chain, h->nchain, want_len,
		       "the case's command did not come back with the expected used length"))
		return false;
	hl_fact(&h->log, "bad_id", BAD_HEAD);
	hl_fact(&h->log, "bad_used_len", want_len);
	hl_fact(&h->log, "ack", *ack);
	if (*ack != want_ack)
		return hl_fail(&h->log, "the ack byte is not the expected one");
	if (ack[1] != CANARY)
		return hl_fail(&h->log, "the device wrote past the ack byte");
	if (nh_chain_hash(ro, n) != h->chain_hash)
		return hl_fail(&h->log, "the device wrote into the command's readable part");
	return ctrl_good(h);
}

/* class, cmd and len data bytes in one readable piece; then the ack (ack_len bytes) unless 0. */
static void cmd_chain(struct nh *h, uint8_t class, uint8_t cmd, const void *data, uint32_t len,
		      uint32_t ack_len, bool ack_write)
{
	h->bad[0] = class;
	h->bad[1] = cmd;
	memcpy(h->bad + 2, data, len);
	memset(h->bad + ACK_AT, CANARY, 16);
	h->chain[0] = (struct piece){h->bad, 2 + len, false};
	h->chain[1] = (struct piece){h->bad + ACK_AT, ack_len, ack_write};
	h->nchain = ack_len ? 2 : 1;
}

/* A command that must be refused: VIRTIO_NET_ERR in a 1-byte writable ack. */
static bool cmd_err(struct nh *h, uint8_t class, uint8_t cmd, const void *data, uint32_t len)
{
	cmd_chain(h, class, cmd, data, len, 1, true);
	return ctrl_run(h, 1, VIRTIO_NET_ERR);
}

/* A command the spec allows: VIRTIO_NET_OK. */
static bool cmd_ok(struct nh *h, uint8_t class, uint8_t cmd, const void *data, uint32_t len)
{
	cmd_chain(h, class, cmd, data, len, 1, true);
	return ctrl_run(h, 1, VIRTIO_NET_OK);
}

static bool pairs_err(struct nh *h, uint16_t pairs)
{
	hl_fact(&h->log, "pairs", pairs);
	return cmd_err(h, CLASS_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, &pairs, 2);
}

/* struct virtio_net_ctrl_mac twice (§5.1.6.5.2): unicast entries, then multicast; len bytes. */
static uint32_t mac_table(uint8_t *p, uint32_t uc, uint32_t uc_given, uint32_t mc, bool with_mc)
{
	uint32_t off = 4;

	memcpy(p, &uc, 4);
	for (uint32_t i = 0; i < uc_given; i++, off += 6) {
		memcpy(p + off, a_mac, 6);
		p[off + 5] = (uint8_t)i;
	}
	if (!with_mc)
		return off;
	memcpy(p + off, &mc, 4);
	off += 4;
	for (uint32_t i = 0; i < mc; i++, off += 6) {
		static const uint8_t group[6] = {0x01, 0x00, 0x5e, 0x00, 0x00, 0x01};

		memcpy(p + off, group, 6);
	}
	return off;
}

static bool mac_table_case(struct nh *h, uint32_t uc, uint32_t uc_given, uint32_t mc,
			   bool with_mc, uint32_t extra, bool ok)
{
	uint8_t t[128];
	uint32_t len = mac_table(t, uc, uc_given, mc, with_mc);

	memset(t + len, 0x77, extra);
	return ok ? cmd_ok(h, CLASS_MAC, VIRTIO_NET_CTRL_MAC_TABLE_SET, t, len + extra)
		  : cmd_err(h, CLASS_MAC, VIRTIO_NET_CTRL_MAC_TABLE_SET, t, len + extra);
}

static const uint8_t on = 1;
static const uint64_t zero64;

/* -- the header -- */
static bool case_ctrl_header_one_byte(struct nh *h)
{
	cmd_chain(h, CLASS_RX, 0, NULL, 0, 1, true);
	h->chain[0].len = 1; /* the class alone */
	return ctrl_run(h, 1, VIRTIO_NET_ERR);
}

static bool case_ctrl_header_missing(struct nh *h)
{
	cmd_chain(h, 0, 0, NULL, 0, 1, true);
	h->chain[0] = h->chain[1]; /* only the ack */
	h->nchain = 1;
	return ctrl_run(h, 1, VIRTIO_NET_ERR);
}

/*
 * The header and ack both device-writable: nothing to read. The device writes
 * VIRTIO_NET_ERR into the first writable byte (as QEMU does: offset 0 of the
 * writable part), the header's class; the command byte and the ack stay.
 */
static bool case_ctrl_header_writable(struct nh *h)
{
	cmd_chain(h, CLASS_RX, VIRTIO_NET_CTRL_RX_PROMISC, NULL, 0, 1, true);
	h->chain[0].write = true;
	if (!ctrl_run(h, 1, CANARY))
		return false;
	hl_fact(&h->log, "hdr_after", (uint32_t)h->bad[0] << 8 | h->bad[1]);
	return (h->bad[0] == VIRTIO_NET_ERR && h->bad[1] == VIRTIO_NET_CTRL_RX_PROMISC) ||
	       hl_fail(&h->log, "not VIRTIO_NET_ERR in the first writable byte alone");
}

/* -- class and command -- */
static bool case_ctrl_unknown_class(struct nh *h)
{
	return cmd_err(h, 0x42, 0, &on, 1);
}

/* 0x20: beyond the RX class's commands (5, NOBCAST, is the last: CTRL_RX_EXTRA's). */
static bool case_ctrl_rx_unknown_command(struct nh *h)
{
	return cmd_err(h, CLASS_RX, 0x20, &on, 1);
}

/* MQ's RSS_CONFIG (1): RSS is not offered. */
static bool case_ctrl_mq_rss_config(struct nh *h)
{
	return cmd_err(h, CLASS_MQ, 1, &zero64, 8);
}

/* -- a class whose feature is not negotiated -- */
static bool case_ctrl_rx_not_negotiated(struct nh *h)
{
	return cmd_err(h, CLASS_RX, VIRTIO_NET_CTRL_RX_PROMISC, &on, 1);
}

static bool case_ctrl_mac_table_not_negotiated(struct nh *h)
{
	return mac_table_case(h, 0, 0, 0, true, 0, false);
}

static bool case_ctrl_mac_addr_not_negotiated(struct nh *h)
{
	return cmd_err(h, CLASS_MAC, VIRTIO_NET_CTRL_MAC_ADDR_SET, a_mac, 6);
}

static bool case_ctrl_mq_not_negotiated(struct nh *h)
{
	return pairs_err(h, 1);
}

static bool case_ctrl_offloads_not_negotiated(struct nh *h)
{
	return cmd_err(h, CLASS_OFF, VIRTIO_NET_CTRL_GUEST_OFFLOADS_SET, &zero64, 8);
}

/* -- where the ack is -- */
static bool case_ctrl_ack_readonly(struct nh *h)
{
	cmd_chain(h, CLASS_RX, VIRTIO_NET_CTRL_RX_PROMISC, &on, 1, 1, false);
	return ctrl_run(h, 0, CANARY);
}

static bool case_ctrl_no_ack(struct nh *h)
{
	cmd_chain(h, CLASS_RX, VIRTIO_NET_CTRL_RX_PROMISC, &on, 1, 0, true);
	return ctrl_run(h, 0, CANARY);
}

/*
 * Two writable bytes where §5.1.6.5 has the 1-byte ack: refused, VIRTIO_NET_ERR
 * in the first (used length 1), the second untouched (ctrl_run).
 */
static bool case_ctrl_ack_two_bytes(struct nh *h)
{
	cmd_chain(h, CLASS_RX, VIRTIO_NET_CTRL_RX_ALLMULTI, &on, 1, 2, true);
	return ctrl_run(h, 1, VIRTIO_NET_ERR);
}

/* The ack before the header: the ring refuses the chain (§2.7.4.2), used length 0. */
static bool case_ctrl_write_then_read(struct nh *h)
{
	cmd_chain(h, CLASS_RX, VIRTIO_NET_CTRL_RX_PROMISC, &on, 1, 1, true);
	h->chain[2] = h->chain[0];
	h->chain[0] = h->chain[1];
	h->chain[1] = h->chain[2];
	return ctrl_run(h, 0, CANARY);
}

/* A MAC table of 20000 bytes (3332 unicast entries): longer than a device need take. */
static bool case_ctrl_command_too_long(struct nh *h)
{
	uint32_t n = (LONG_CMD - 8) / 6;

	memset(h->bad, 0, LONG_CMD + 2);
	h->bad[0] = CLASS_MAC;
	h->bad[1] = VIRTIO_NET_CTRL_MAC_TABLE_SET;
	memcpy(h->bad + 2, &n, 4);
	memset(h->bad + ACK_AT, CANARY, 16);
	h->chain[0] = (struct piece){h->bad, 2 + 8 + n * 6, false};
	h->chain[1] = (struct piece){h->bad + ACK_AT, 1, true};
	h->nchain = 2;
	return ctrl_run(h, 1, VIRTIO_NET_ERR);
}

/* Class, command and data each in its own descriptor: allowed (§2.7.4, any framing). */
static bool case_ctrl_split_pieces(struct nh *h)
{
	cmd_chain(h, CLASS_RX, VIRTIO_NET_CTRL_RX_ALLMULTI, &on, 1, 1, true);
	h->chain[3] = h->chain[1];
	h->chain[0].len = 1;
	h->chain[1] = (struct piece){h->bad + 1, 1, false};
	h->chain[2] = (struct piece){h->bad + 2, 1, false};
	h->nchain = 4;
	return ctrl_run(h, 1, VIRTIO_NET_OK);
}

/* -- the data's length -- */
static bool case_ctrl_promisc_no_data(struct nh *h)
{
	return cmd_err(h, CLASS_RX, VIRTIO_NET_CTRL_RX_PROMISC, NULL, 0);
}

static bool case_ctrl_promisc_two_bytes(struct nh *h)
{
	static const uint8_t two[2] = {1, 1};

	return cmd_err(h, CLASS_RX, VIRTIO_NET_CTRL_RX_PROMISC, two, 2);
}

static bool case_ctrl_pairs_one_byte(struct nh *h)
{
	return cmd_err(h, CLASS_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, &on, 1);
}

static bool case_ctrl_offloads_four_bytes(struct nh *h)
{
	return cmd_err(h, CLASS_OFF, VIRTIO_NET_CTRL_GUEST_OFFLOADS_SET, &zero64, 4);
}

static bool case_ctrl_mac_addr_five_bytes(struct nh *h)
{
	return cmd_err(h, CLASS_MAC, VIRTIO_NET_CTRL_MAC_ADDR_SET, a_mac, 5);
}

/* -- MAC tables (§5.1.6.5.2) -- */
static bool case_ctrl_mac_table_unicast_overflow(struct nh *h)
{
	return mac_table_case(h, 3, 2, 0, false, 0, false);
}

static bool case_ctrl_mac_table_count_huge(struct nh *h)
{
	return mac_table_case(h, 0xffffffffu, 2, 0, false, 0, false);
}

static bool case_ctrl_mac_table_no_multicast(struct nh *h)
{
	return mac_table_case(h, 1, 1, 0, false, 0, false);
}

static bool case_ctrl_mac_table_trailing(struct nh *h)
{
	return mac_table_case(h, 0, 0, 0, true, 3, false);
}

static bool case_ctrl_mac_table_good(struct nh *h)
{
	return mac_table_case(h, 2, 2, 1, true, 0, true);
}

static bool case_ctrl_mac_addr_set(struct nh *h)
{
	return cmd_ok(h, CLASS_MAC, VIRTIO_NET_CTRL_MAC_ADDR_SET, a_mac, 6);
}

/* -- offloads (§5.1.6.5.6.2): only what was negotiated -- */
static bool case_ctrl_offloads_set_zero(struct nh *h)
{
	return cmd_ok(h, CLASS_OFF, VIRTIO_NET_CTRL_GUEST_OFFLOADS_SET, &zero64, 8);
}

static bool case_ctrl_offloads_unnegotiated_bit(struct nh *h)
{
	uint64_t v = OFFLOAD_TSO4;

	return cmd_err(h, CLASS_OFF, VIRTIO_NET_CTRL_GUEST_OFFLOADS_SET, &v, 8);
}

/* -- queue pairs (§5.1.6.5.5): 1 to max_virtqueue_pairs -- */
static bool case_ctrl_pairs_zero(struct nh *h)
{
	return pairs_err(h, 0);
}

static bool case_ctrl_pairs_above_max(struct nh *h)
{
	return pairs_err(h, (uint16_t)(h->max_pairs + 1));
}

static bool case_ctrl_pairs_0x8001(struct nh *h)
{
	return pairs_err(h, 0x8001);
}

/* §5.1.6.5.5: the driver MUST set up the queues first: pair 1's are not. */
static bool case_ctrl_pairs_not_set_up(struct nh *h)
{
	return pairs_err(h, h->max_pairs);
}

/* A reset, every pair's queues set up, then max_virtqueue_pairs: OK. */
static bool case_ctrl_pairs_max(struct nh *h)
{
	uint16_t pairs = h->max_pairs;

	h->all_pairs = true;
	if (!nh_setup(h))
		return false;
	hl_fact(&h->log, "pairs", pairs);
	return cmd_ok(h, CLASS_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, &pairs, 2);
}

const struct nhcase nh_ctrl_cases[] = {
	{"ctrl_header_one_byte", case_ctrl_header_one_byte, C_CTRL},
	{"ctrl_header_missing", case_ctrl_header_missing, C_CTRL},
	{"ctrl_header_writable", case_ctrl_header_writable, C_CTRL},
	{"ctrl_unknown_class", case_ctrl_unknown_class, C_CTRL},
	{"ctrl_rx_unknown_command", case_ctrl_rx_unknown_command, C_CTRL},
	{"ctrl_mq_rss_config", case_ctrl_mq_rss_config, C_MQ},
	{"ctrl_rx_not_negotiated", case_ctrl_rx_not_negotiated, C_OFF_ONLY},
	{"ctrl_mac_table_not_negotiated", case_ctrl_mac_table_not_negotiated, C_OFF_ONLY},
	{"ctrl_mac_addr_not_negotiated", case_ctrl_mac_addr_not_negotiated, C_CTRL},
	{"ctrl_mq_not_negotiated", case_ctrl_mq_not_negotiated, C_CTRL},
	{"ctrl_offloads_not_negotiated", case_ctrl_offloads_not_negotiated, C_CTRL},
	{"ctrl_ack_readonly", case_ctrl_ack_readonly, C_CTRL},
	{"ctrl_no_ack", case_ctrl_no_ack, C_CTRL},
	{"ctrl_ack_two_bytes", case_ctrl_ack_two_bytes, C_CTRL},
	{"ctrl_write_then_read", case_ctrl_write_then_read, C_CTRL},
	{"ctrl_command_too_long", case_ctrl_command_too_long, C_CTRL},
	{"ctrl_split_pieces", case_ctrl_split_pieces, C_CTRL},
	{"ctrl_promisc_no_data", case_ctrl_promisc_no_data, C_CTRL},
	{"ctrl_promisc_two_bytes", case_ctrl_promisc_two_bytes, C_CTRL},
	{"ctrl_pairs_one_byte", case_ctrl_pairs_one_byte, C_MQ},
	{"ctrl_offloads_four_bytes", case_ctrl_offloads_four_bytes, C_OFF},
	{"ctrl_mac_addr_five_bytes", case_ctrl_mac_addr_five_bytes, C_MAC},
	{"ctrl_mac_table_unicast_overflow", case_ctrl_mac_table_unicast_overflow, C_CTRL},
	{"ctrl_mac_table_count_huge", case_ctrl_mac_table_count_huge, C_CTRL},
	{"ctrl_mac_table_no_multicast", case_ctrl_mac_table_no_multicast, C_CTRL},
	{"ctrl_mac_table_trailing", case_ctrl_mac_table_trailing, C_CTRL},
	{"ctrl_mac_table_good", case_ctrl_mac_table_good, C_CTRL},
	{"ctrl_mac_addr_set", case_ctrl_mac_addr_set, C_MAC},
	{"ctrl_offloads_set_zero", case_ctrl_offloads_set_zero, C_OFF},
	{"ctrl_offloads_unnegotiated_bit", case_ctrl_offloads_unnegotiated_bit, C_OFF},
	{"ctrl_pairs_zero", case_ctrl_pairs_zero, C_MQ},
	{"ctrl_pairs_above_max", case_ctrl_pairs_above_max, C_MQ},
	{"ctrl_pairs_0x8001", case_ctrl_pairs_0x8001, C_MQ},
	{"ctrl_pairs_not_set_up", case_ctrl_pairs_not_set_up, C_MQ},
	{"ctrl_pairs_max", case_ctrl_pairs_max, C_MQ},
	{NULL, NULL, 0},
};
