// SPDX-License-Identifier: MIT
// Probe guest: the net-hostile mode's TX cases: one bad chain or header out, then a good datagram.
#include "nethostile_tx.h"
#include "nethostile_ring.h"

#define WRITABLE_AT (64u << 10)
#define MSS	    100	  /* gso_size of the TSO cases: the frame holds two segments */
#define FLOOD	    10000 /* bad chains in tx_drop_flood */
#define FLOOD_BATCH 128
#define OUTSIDE_RAM 0x40000000000ull /* 4 TiB: beyond any guest's RAM here */
#define ETH_P_QINQ  0x88a8
#define ETH_P_VLAN  0x8100
#define ETH_P_LOCAL 0x88b5 /* IEEE 802 local experimental ethertype */
#define VLAN_TCI    100
#define TCP_HLEN    20

/*
 * A TCP/IPv4 super-frame of two MSS segments (ports as the datagrams'), as a
 * TSO driver sends it: NEEDS_CSUM 34/16 over the pseudo-header sum, GSO
 * TCPV4, gso_size MSS, hdr_len 54. doff: the TCP data offset in 32-bit words.
 */
static uint32_t tcp_frame(struct nh *h, uint8_t *f, uint8_t doff, struct virtio_net_hdr *hdr)
{
	const struct net_tcp_spec s = {.seq = 1, .flags = 0x18 /* PSH, ACK */, .doff = doff,
				       .payload = 2 * MSS, .index = BAD_INDEX, .mss = MSS};

	return net_tcp_build(f, &h->me, &h->peer, &s, hdr);
}

/* The TX chains put so far, one kick: the one at BAD_HEAD back first, with length 0. */
static bool tx_kick_bad(struct nh *h, const char *why)
{
	nh_publish(&h->tx);
	nh_notify(h, NETDRV_TXQ);
	if (!nh_used_expect(h, &h->tx, BAD_HEAD, 0, why))
		return false;
	hl_fact(&h->log, "bad_id", BAD_HEAD);
	return true;
}

/* The case's chain (pieces pc, n) as it was before it went out; then the good datagram. */
static bool tx_untouched(struct nh *h, const struct piece *pc, unsigned int n)
{
	if (nh_chain_hash(pc, n) != h->chain_hash)
		return hl_fail(&h->log, "the device wrote into a TX chain");
	return nh_tx_send(h, NULL, "the good datagram's chain did not come back");
}

/*
 * The case's chain on the TX queue, one kick: back with its id and length 0,
 * untouched; then the good datagram. bad_frame_len: the readable bytes after
 * the header (what the device counts if it sends the frame).
 */
static bool tx_run(struct nh *h)
{
	uint64_t readable = 0;

	for (unsigned int k = 0; k < h->nchain; k++)
		readable += h->chain[k].write ? 0 : h->chain[k].len;
	hl_fact(&h->log, "bad_frame_len",
		readable > VIRTIO_NET_HDR_LEN ? readable - VIRTIO_NET_HDR_LEN : 0);
	hl_fact(&h->log, "bad_pieces", h->nchain);
	h->chain_hash = nh_chain_hash(h->chain, h->nchain);
	nh_chain_put(&h->tx, BAD_HEAD, h->chain, h->nchain);
	return tx_kick_bad(h, "the case's TX chain did not come back") &&
	       tx_untouched(h, h->chain, h->nchain);
}

static struct virtio_net_hdr *tx_tcp(struct nh *h, uint8_t doff)
{
	struct virtio_net_hdr *hdr = nh_bad_hdr(h);

	nh_chain1(h, h->bad, VIRTIO_NET_HDR_LEN + tcp_frame(h, nh_bad_frame(h), doff, hdr), false);
	return hdr;
}

/* §5.1.6.2: the header is 12 bytes; a chain of 8 has none. */
static bool case_tx_chain_shorter_than_header(struct nh *h)
{
	memset(h->bad, 0, 8);
	nh_chain1(h, h->bad, 8, false);
	return tx_run(h);
}

/* A header and an empty frame. */
static bool case_tx_header_only(struct nh *h)
{
	nh_bad_hdr(h);
	nh_chain1(h, h->bad, VIRTIO_NET_HDR_LEN, false);
	return tx_run(h);
}

/* One byte short of an Ethernet header: the start of a good datagram. */
static bool case_tx_frame_13_bytes(struct nh *h)
{
	nh_tx_udp(h, false);
	h->chain[0].len = VIRTIO_NET_HDR_LEN + 13;
	return tx_run(h);
}

/* Exactly an Ethernet header (local experimental ethertype), nothing after it: sent. */
static bool case_tx_frame_14_bytes(struct nh *h)
{
	uint8_t *f = nh_bad_frame(h);

	nh_bad_hdr(h);
	memcpy(f, h->peer.mac, 6);
	memcpy(f + 6, h->me.mac, 6);
	be16_put(f + 12, ETH_P_LOCAL);
	nh_chain1(h, h->bad, VIRTIO_NET_HDR_LEN + NET_ETH_HLEN, false);
	return tx_run(h);
}

/* A frame of len bytes (local ethertype, a pattern) in 1 + 5 descriptors. */
static bool tx_long(struct nh *h, uint32_t len)
{
	uint8_t *f = nh_bad_frame(h);

	nh_bad_hdr(h);
	memcpy(f, h->peer.mac, 6);
	memcpy(f + 6, h->me.mac, 6);
	be16_put(f + 12, ETH_P_LOCAL);
	net_pattern_fill(f + NET_ETH_HLEN, len - NET_ETH_HLEN, BAD_INDEX);
	nh_split(h->chain, h->bad, VIRTIO_NET_HDR_LEN + len, 6, VIRTIO_NET_HDR_LEN, false);
	h->nchain = 6;
	return tx_run(h);
}

/* 65551 bytes, one more than the largest frame (§5.1.6.3.1). */
static bool case_tx_frame_too_long(struct nh *h)
{
	return tx_long(h, NETDRV_MAX_FRAME + 1);
}

/* 65550 bytes, the largest frame: the device hands it to its backend. */
static bool case_tx_frame_max(struct nh *h)
{
	return tx_long(h, NETDRV_MAX_FRAME);
}

/* §2.7.4.2 allows it, §5.1.6.2 has no use for it: a good datagram, then a writable buffer. */
static bool case_tx_writable_descriptor(struct nh *h)
{
	nh_tx_udp(h, false);
	memset(h->bad + WRITABLE_AT, CANARY, 256);
	h->chain[1] = (struct piece){h->bad + WRITABLE_AT, 256, true};
	h->nchain = 2;
	return tx_run(h);
}

/* An RX buffer (one writable descriptor of a whole frame's size) on the TX queue. */
static bool case_rx_buffer_on_tx_queue(struct nh *h)
{
	memset(h->bad, CANARY, h->rx_need);
	nh_chain1(h, h->bad, h->rx_need, true);
	return tx_run(h);
}

/* §5.1.6.2.1: without VIRTIO_NET_F_CSUM the driver MUST NOT set NEEDS_CSUM. */
static bool case_tx_csum_not_negotiated(struct nh *h)
{
	struct virtio_net_hdr *hdr = nh_tx_udp(h, false);

	hdr->flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	hdr->csum_start = NET_ETH_HLEN + NET_IP4_HLEN;
	hdr->csum_offset = NET_UDP_CSUM_OFF;
	return tx_run(h);
}

/* csum_start at the frame's end. */
static bool case_tx_csum_start_past_frame(struct nh *h)
{
	struct virtio_net_hdr *hdr = nh_tx_udp(h, true);

	hdr->csum_start = (uint16_t)(h->chain[0].len - VIRTIO_NET_HDR_LEN);
	return tx_run(h);
}

/* csum_start inside the Ethernet header (14: the first byte after it is fine, this is not). */
static bool case_tx_csum_start_in_l2(struct nh *h)
{
	struct virtio_net_hdr *hdr = nh_tx_udp(h, true);

	hdr->csum_start = NET_ETH_HLEN;
	return tx_run(h);
}

/* The 16-bit field would end one byte past the frame. */
static bool case_tx_csum_field_past_frame(struct nh *h)
{
	struct virtio_net_hdr *hdr = nh_tx_udp(h, true);
	uint32_t len = h->chain[0].len - VIRTIO_NET_HDR_LEN;

	hdr->csum_start = (uint16_t)(len - 2 - NET_UDP_CSUM_OFF + 1);
	return tx_run(h);
}

/* csum_start + csum_offset + 2 wraps to 0 in 16 bits: only a wider sum sees it past the frame. */
static bool case_tx_csum_16bit_wrap(struct nh *h)
{
	struct virtio_net_hdr *hdr = nh_tx_udp(h, true);

	hdr->csum_start = 0xfff8;
	hdr->csum_offset = NET_UDP_CSUM_OFF;
	return tx_run(h);
}

/* Neither TCP's 16 nor UDP's 6. */
static bool case_tx_csum_offset_10(struct nh *h)
{
	struct virtio_net_hdr *hdr = nh_tx_udp(h, true);

	hdr->csum_offset = 10;
	return tx_run(h);
}

/* §5.1.6.2.1: GSO needs a segment size. */
static bool case_tx_gso_size_0(struct nh *h)
{
	tx_tcp(h, TCP_HLEN / 4)->gso_size = 0;
	return tx_run(h);
}

/* §5.1.6.2.1: GSO MUST come with NEEDS_CSUM. */
static bool case_tx_gso_without_needs_csum(struct nh *h)
{
	tx_tcp(h, TCP_HLEN / 4)->flags = 0;
	return tx_run(h);
}

/* TCPV4 with CSUM negotiated but not HOST_TSO4. */
static bool case_tx_gso_not_negotiated(struct nh *h)
{
	tx_tcp(h, TCP_HLEN / 4);
	return tx_run(h);
}

/* GSO type 3 (UFO): HOST_UFO is never offered, so never negotiated. */
static bool case_tx_gso_ufo(struct nh *h)
{
	struct virtio_net_hdr *hdr = nh_tx_udp(h, true);

	hdr->gso_type = VIRTIO_NET_HDR_GSO_UDP;
	hdr->gso_size = MSS;
	return tx_run(h);
}

/* GSO type 9: no such type. */
static bool case_tx_gso_unknown_type(struct nh *h)
{
	tx_tcp(h, TCP_HLEN / 4)->gso_type = 9;
	return tx_run(h);
}

/* TCPV4 | ECN with HOST_TSO4 but not HOST_ECN (§5.1.6.2.1). */
static bool case_tx_ecn_without_host_ecn(struct nh *h)
{
	tx_tcp(h, TCP_HLEN / 4)->gso_type = VIRTIO_NET_HDR_GSO_TCPV4 | VIRTIO_NET_HDR_GSO_ECN;
	return tx_run(h);
}

/* The ECN bit on a frame that asks for no segmentation (a checksum only). */
static bool case_tx_ecn_without_gso(struct nh *h)
{
	nh_tx_udp(h, true)->gso_type = VIRTIO_NET_HDR_GSO_ECN;
	return tx_run(h);
}

/* TCP data offset 4 (16 bytes): shorter than a TCP header, so no segment can be built. */
static bool case_tx_gso_tcp_header_short(struct nh *h)
{
	tx_tcp(h, 4);
	return tx_run(h);
}

/* TCP segmentation with UDP's checksum offset. */
static bool case_tx_gso_tcp_with_udp_csum(struct nh *h)
{
	tx_tcp(h, TCP_HLEN / 4)->csum_offset = NET_UDP_CSUM_OFF;
	return tx_run(h);
}

/*
 * The case's datagram behind an 802.1Q (0x8100) or 802.1ad (0x88a8) tag, in
 * one readable descriptor: built 4 bytes in, the MACs moved to the front and
 * the tag put between them and the IPv4 ethertype net_udp_build wrote;
 * csum_start moves by the tag too.
 */
static bool tx_tagged(struct nh *h, uint16_t tpid, bool partial)
{
	struct virtio_net_hdr *hdr = nh_bad_hdr(h);
	uint8_t *f = nh_bad_frame(h);
	uint32_t len = nh_udp_frame(h, f + 4, BAD_INDEX, partial, hdr);

	for (unsigned int i = 0; i < 12; i++)
		f[i] = f[i + 4];
	be16_put(f + 12, tpid);
	be16_put(f + 14, VLAN_TCI);
	if (partial)
		hdr->csum_start = (uint16_t)(hdr->csum_start + 4);
	nh_chain1(h, h->bad, VIRTIO_NET_HDR_LEN + len + 4, false);
	return tx_run(h);
}

/* A partial checksum behind an 802.1ad (QinQ outer) tag: no IP header where one is expected. */
static bool case_tx_qinq_frame_with_csum(struct nh *h)
{
	return tx_tagged(h, ETH_P_QINQ, true);
}

/* The same tag without an offload request: nothing to look into, sent. */
static bool case_tx_qinq_frame_without_csum(struct nh *h)
{
	return tx_tagged(h, ETH_P_QINQ, false);
}

/* One 802.1Q tag, csum_start 38: a frame the device must finish and send. */
static bool case_tx_vlan_frame_with_csum(struct nh *h)
{
	return tx_tagged(h, ETH_P_VLAN, true);
}

/* §5.1.6.2: num_buffers is the device's field; on TX it means nothing: sent. */
static bool case_tx_num_buffers_nonzero(struct nh *h)
{
	nh_tx_udp(h, false)->num_buffers = 0x1234;
	return tx_run(h);
}

/* §5.1.6.2.2: hdr_len is a hint the device must not rely on: sent, checksum finished. */
static bool case_tx_hdr_len_garbage(struct nh *h)
{
	nh_tx_udp(h, true)->hdr_len = 0xffff;
	return tx_run(h);
}

/* DATA_VALID is an RX flag: ignored on TX, sent (without CSUM negotiated, too). */
static bool case_tx_data_valid_flag_set(struct nh *h)
{
	nh_tx_udp(h, false)->flags = VIRTIO_NET_HDR_F_DATA_VALID;
	return tx_run(h);
}

/* RSC_INFO and the undefined flag bits: ignored, sent. */
static bool case_tx_unknown_flags(struct nh *h)
{
	nh_tx_udp(h, false)->flags = 0xfc;
	return tx_run(h);
}

/* VERSION_1 means any layout (§5.1.6.2): the header in 5 + 7 bytes, the frame apart. */
static bool case_tx_header_split(struct nh *h)
{
	uint32_t len = VIRTIO_NET_HDR_LEN +
		       nh_udp_frame(h, nh_bad_frame(h), BAD_INDEX, false, nh_bad_hdr(h));

	h->chain[0] = (struct piece){h->bad, 5, false};
	h->chain[1] = (struct piece){h->bad + 5, 7, false};
	h->chain[2] = (struct piece){h->bad + VIRTIO_NET_HDR_LEN, len - VIRTIO_NET_HDR_LEN, false};
	h->nchain = 3;
	return tx_run(h);
}

/* Zero-length descriptors before, between and after the pieces: nothing to read, sent. */
static bool case_tx_zero_length_descriptors(struct nh *h)
{
	uint32_t len = VIRTIO_NET_HDR_LEN +
		       nh_udp_frame(h, nh_bad_frame(h), BAD_INDEX, false, nh_bad_hdr(h));

	h->chain[0] = (struct piece){h->bad, 0, false};
	h->chain[1] = (struct piece){h->bad, VIRTIO_NET_HDR_LEN, false};
	h->chain[2] = (struct piece){h->bad + VIRTIO_NET_HDR_LEN, 0, false};
	h->chain[3] = (struct piece){h->bad + VIRTIO_NET_HDR_LEN, len - VIRTIO_NET_HDR_LEN, false};
	h->chain[4] = (struct piece){h->bad + len, 0, false};
	h->nchain = 5;
	return tx_run(h);
}

/* 65 descriptors, the header sharing the first with a frame byte: 65 frame pieces. */
static bool case_tx_many_segments(struct nh *h)
{
	uint32_t len = VIRTIO_NET_HDR_LEN +
		       nh_udp_frame(h, nh_bad_frame(h), BAD_INDEX, false, nh_bad_hdr(h));

	nh_split(h->chain, h->bad, len, 65, VIRTIO_NET_HDR_LEN + 1, false);
	h->nchain = 65;
	return tx_run(h);
}

/* 65 descriptors, the header alone in the first: 64 frame pieces, sent. */
static bool case_tx_segments_64(struct nh *h)
{
	uint32_t len = VIRTIO_NET_HDR_LEN +
		       nh_udp_frame(h, nh_bad_frame(h), BAD_INDEX, false, nh_bad_hdr(h));

	nh_split(h->chain, h->bad, len, 65, VIRTIO_NET_HDR_LEN, false);
	h->nchain = 65;
	return tx_run(h);
}

/*
 * 10000 bad requests (csum_offset 10) in batches of 128 chains, each batch in
 * one kick: every chain back with length 0, once; then the good datagram.
 */
static bool case_tx_drop_flood(struct nh *h)
{
	struct virtio_net_hdr *hdr = nh_tx_udp(h, true);
	struct piece pc = h->chain[0];
	uint64_t start = rdtsc();
	uint32_t done = 0;

	hdr->csum_offset = 10;
	h->chain_hash = nh_chain_hash(&pc, 1);
	while (done < FLOOD) {
		uint32_t n = FLOOD - done < FLOOD_BATCH ? FLOOD - done : FLOOD_BATCH;
		uint8_t seen[FLOOD_BATCH] = {0};

		for (uint32_t k = 0; k < n; k++)
			nh_chain_put(&h->tx, (uint16_t)k, &pc, 1);
		nh_publish(&h->tx);
		nh_notify(h, NETDRV_TXQ);
		for (uint32_t k = 0; k < n; k++) {
			uint32_t id, len;

			if (!nh_used_wait(h, &h->tx, "a chain of the flood did not come back")) {
				hl_fact(&h->log, "flood_done", done + k);
				return false;
			}
			nh_used_take(&h->tx, &id, &len);
			if (id >= n || seen[id]++ || len) {
				hl_fact(&h->log, "flood_done", done + k);
				hl_fact(&h->log, "got_id", id);
				hl_fact(&h->log, "got_len", len);
				return hl_fail(&h->log,
					       "flood: a used entry with a bad or repeated id, or "
					       "a length");
			}
		}
		done += n;
	}
	hl_fact(&h->log, "flood", done);
	hl_fact(&h->log, "flood_us", hl_us_since(start));
	return tx_untouched(h, &pc, 1);
}

/*
 * The same head twice in one batch (§2.7.13.3: a driver must not make a chain
 * available again before it is used; docs/catalogue.md O19): the first use
 * goes out and comes back once, the second breaks the queue (NEEDS_RESET, never
 * a second completion); after a reset and a fresh setup the good datagram goes.
 */
static bool case_tx_duplicate_head(struct nh *h)
{
	nh_tx_udp(h, false);
	hl_fact(&h->log, "bad_frame_len", h->chain[0].len - VIRTIO_NET_HDR_LEN);
	h->chain_hash = nh_chain_hash(h->chain, 1);
	nh_chain_put(&h->tx, BAD_HEAD, h->chain, 1);
	nh_chain_put(&h->tx, BAD_HEAD, h->chain, 1);
	return tx_kick_bad(h, "the duplicated TX chain's first use did not come back") &&
	       nh_reinit_after_corruption(h, &h->tx) && tx_untouched(h, h->chain, 1);
}

/* The header readable, the frame's descriptor at 4 TiB, outside guest RAM (C.6 19). */
static bool case_tx_addr_outside_ram(struct nh *h)
{
	nh_bad_hdr(h);
	h->chain[0] = (struct piece){h->bad, VIRTIO_NET_HDR_LEN, false};
	h->chain[1] = (struct piece){(uint8_t *)(uintptr_t)OUTSIDE_RAM, 64, false};
	h->nchain = 2;
	/* Only the first piece is ours to hash: the second is not memory at all. */
	h->chain_hash = nh_chain_hash(h->chain, 1);
	hl_fact(&h->log, "bad_pieces", 2);
	nh_chain_put(&h->tx, BAD_HEAD, h->chain, 2);
	return tx_kick_bad(h, "the case's TX chain did not come back") &&
	       tx_untouched(h, h->chain, 1);
}

/*
 * HOST_TSO4 and GUEST_TSO4 without CSUM and GUEST_CSUM, dependencies §5.1.3.1
 * makes: FEATURES_OK must not stick (§3.1.1 step 6). By hand, so that
 * FEATURES_OK is written once; then FAILED, and a negotiation without them.
 */
static bool case_features_dependency_broken(struct nh *h)
{
	uint64_t bad = BASE_FEATURES | NF(HOST_TSO4) | NF(GUEST_TSO4);
	uint32_t st;

	if ((virtio_read_features(&h->dev) & bad) != bad)
		return hl_fail(&h->log, "the device does not offer HOST_TSO4 and GUEST_TSO4");
	if (!virtio_reset(&h->dev))
		return hl_fail(&h->log, "Status did not read 0 after the reset");
	hl_w32(&h->dev, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE);
	hl_w32(&h->dev, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	hl_w32(&h->dev, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	hl_w32(&h->dev, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)bad);
	hl_w32(&h->dev, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	hl_w32(&h->dev, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(bad >> 32));
	hl_w32(&h->dev, VIRTIO_MMIO_STATUS,
	       VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
	st = virtio_read_status(&h->dev);
	hl_fact(&h->log, "status_refused", st);
	if (st & VIRTIO_STATUS_FEATURES_OK)
		return hl_fail(&h->log, "FEATURES_OK accepted for TSO without checksum offload");
	hl_w32(&h->dev, VIRTIO_MMIO_STATUS,
	       VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FAILED);
	if (!nh_setup(h))
		return false;
	return nh_tx_send(h, NULL, "the good datagram's chain did not come back");
}

const struct nhcase nh_tx_cases[] = {
	{"tx_chain_shorter_than_header", case_tx_chain_shorter_than_header, C_NONE},
	{"tx_header_only", case_tx_header_only, C_NONE},
	{"tx_frame_13_bytes", case_tx_frame_13_bytes, C_NONE},
	{"tx_frame_14_bytes", case_tx_frame_14_bytes, C_NONE},
	{"tx_frame_too_long", case_tx_frame_too_long, C_NONE},
	{"tx_frame_max", case_tx_frame_max, C_NONE},
	{"tx_writable_descriptor", case_tx_writable_descriptor, C_NONE},
	{"rx_buffer_on_tx_queue", case_rx_buffer_on_tx_queue, C_NONE},
	{"tx_csum_not_negotiated", case_tx_csum_not_negotiated, C_NONE},
	{"tx_csum_start_past_frame", case_tx_csum_start_past_frame, C_CSUM},
	{"tx_csum_start_in_l2", case_tx_csum_start_in_l2, C_CSUM},
	{"tx_csum_field_past_frame", case_tx_csum_field_past_frame, C_CSUM},
	{"tx_csum_16bit_wrap", case_tx_csum_16bit_wrap, C_CSUM},
	{"tx_csum_offset_10", case_tx_csum_offset_10, C_CSUM},
	{"tx_gso_size_0", case_tx_gso_size_0, C_TSO},
	{"tx_gso_without_needs_csum", case_tx_gso_without_needs_csum, C_TSO},
	{"tx_gso_not_negotiated", case_tx_gso_not_negotiated, C_CSUM},
	{"tx_gso_ufo", case_tx_gso_ufo, C_TSO},
	{"tx_gso_unknown_type", case_tx_gso_unknown_type, C_TSO},
	{"tx_ecn_without_host_ecn", case_tx_ecn_without_host_ecn, C_TSO},
	{"tx_ecn_without_gso", case_tx_ecn_without_gso, C_CSUM},
	{"tx_gso_tcp_header_short", case_tx_gso_tcp_header_short, C_TSO},
	{"tx_gso_tcp_with_udp_csum", case_tx_gso_tcp_with_udp_csum, C_TSO},
	{"tx_qinq_frame_with_csum", case_tx_qinq_frame_with_csum, C_CSUM},
	{"tx_qinq_frame_without_csum", case_tx_qinq_frame_without_csum, C_NONE},
	{"tx_vlan_frame_with_csum", case_tx_vlan_frame_with_csum, C_CSUM},
	{"tx_num_buffers_nonzero", case_tx_num_buffers_nonzero, C_NONE},
	{"tx_hdr_len_garbage", case_tx_hdr_len_garbage, C_CSUM},
	{"tx_data_valid_flag_set", case_tx_data_valid_flag_set, C_NONE},
	{"tx_unknown_flags", case_tx_unknown_flags, C_NONE},
	{"tx_header_split", case_tx_header_split, C_NONE},
	{"tx_zero_length_descriptors", case_tx_zero_length_descriptors, C_NONE},
	{"tx_many_segments", case_tx_many_segments, C_NONE},
	{"tx_segments_64", case_tx_segments_64, C_NONE},
	{"tx_drop_flood", case_tx_drop_flood, C_CSUM},
	{"tx_duplicate_head", case_tx_duplicate_head, C_NONE},
	{"tx_addr_outside_ram", case_tx_addr_outside_ram, C_NONE},
	{"features_dependency_broken", case_features_dependency_broken, C_NONE},
	{NULL, NULL, 0},
};
