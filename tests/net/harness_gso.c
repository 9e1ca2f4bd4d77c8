// SPDX-License-Identifier: MIT
// TX segmentation offloads (offloads.md §9 E34): the guest hands minnow's device TSO4, TSO6 and
// USO super-frames; the kernel forwards them to tapB, which cannot take super-frames, and so cuts
// them in software. On tapB: exactly ceil(payload / gso_size) segments, each with a correct
// checksum, consecutive sequence numbers (TCP) and the super-frame's payload in order.
#include <string.h>

#include "tests/net/harness.h"

#define IP6_LEN 40
#define TS_OPT	12 /* NOP, NOP, timestamps: what Linux puts in every segment */

static uint8_t frame[H_FRAME_MAX], got[H_FRAME_MAX];
static uint8_t data[VNET_MAX_FRAME];

static const uint8_t ip6_guest[16] = {0xfd, 0x99, 0, 1, [15] = 2};
static const uint8_t ip6_peer[16] = {0xfd, 0x99, 0, 2, [15] = 2};
static const uint8_t ts_opt[TS_OPT] = {1, 1, 8, 10, 0, 0, 0x12, 0x34, 0, 0, 0x56, 0x78};

/* IPv6 pseudo-header (RFC 8200 §8.1) plus sum_len bytes of l4, not folded. */
static uint32_t tcp6_sum(const uint8_t *ip6, uint32_t l4_len, const uint8_t *l4, size_t sum_len)
{
	uint32_t s = netpkt_sum(ip6 + 8, 32, 0) + (l4_len >> 16) + (l4_len & 0xffff) + 6;

	return netpkt_sum(l4, sum_len, s);
}

/* Ethernet + IPv6 + TCP (20 bytes + opt_len of options at the start of payload), partial sum. */
static uint32_t tcp6_frame(uint8_t *buf, uint32_t seq, uint8_t flags, const uint8_t *payload,
			   uint32_t len, unsigned int opt_len)
{
	uint8_t *ip = buf + NETPKT_ETH_LEN, *tcp = ip + IP6_LEN;
	uint32_t l4_len = NETPKT_TCP_LEN + len;

	memcpy(buf, H.tapa_mac, 6);
	memcpy(buf + 6, H.guest_mac, 6);
	h_put16(buf + 12, 0x86dd);
	memset(ip, 0, IP6_LEN);
	ip[0] = 0x60;
	h_put16(ip + 4, (uint16_t)l4_len);
	ip[6] = 6;
	ip[7] = 64;
	memcpy(ip + 8, ip6_guest, 16);
	memcpy(ip + 24, ip6_peer, 16);
	memset(tcp, 0, NETPKT_TCP_LEN);
	h_put16(tcp, H_GUEST_PORT);
	h_put16(tcp + 2, H_PEER_PORT);
	h_put32(tcp + 4, seq);
	h_put32(tcp + 8, 7);
	tcp[12] = (uint8_t)(((NETPKT_TCP_LEN + opt_len) / 4) << 4);
	tcp[13] = flags;
	h_put16(tcp + 14, 65535);
	memcpy(tcp + NETPKT_TCP_LEN, payload, len);
	/* Linux's CHECKSUM_PARTIAL: the pseudo-header sum over the whole super-frame's L4 length.
	 */
	h_put16(tcp + 16, netpkt_fold(tcp6_sum(ip, l4_len, NULL, 0)));
	return NETPKT_ETH_LEN + IP6_LEN + l4_len;
}

struct superframe {
	uint32_t size; /* TCP/UDP payload bytes */
	uint32_t seq;
	unsigned int opt; /* TCP option bytes */
	uint16_t mss;	  /* gso_size */
};

/* One wire segment of a super-frame, checked field by field; returns its payload length. */
static uint32_t check_segment(bool v6, const uint8_t *seg, long n, unsigned int k,
			      unsigned int nsegs, const struct superframe *sf, uint32_t off)
{
	const uint8_t *ip = seg + NETPKT_ETH_LEN;
	unsigned int l3 = v6 ? IP6_LEN : NETPKT_IP4_LEN, thl = NETPKT_TCP_LEN + sf->opt;
	const uint8_t *tcp = ip + l3;
	uint32_t plen = MIN((uint32_t)sf->mss, sf->size - off), l4_len = thl + plen;

	CHECK_EQ(n, NETPKT_ETH_LEN + l3 + l4_len, "segment length");
	CHECK(n <= NETPKT_ETH_LEN + 1500, "segment %u: %ld bytes, beyond tapB's MTU", k, n);
	CHECK(!memcmp(seg, H.peer_mac, 6) && !memcmp(seg + 6, H.tapb_mac, 6),
	      "segment %u: not addressed tapB -> peer", k);
	if (v6) {
		CHECK_EQ(h_get16(ip + 4), l4_len, "IPv6 payload length");
		CHECK_EQ(ip[7], 63, "IPv6 hop limit after forwarding");
		CHECK_EQ(netpkt_fold(tcp6_sum(ip, l4_len, tcp, l4_len)), 0xffff,
			 "TCP/IPv6 checksum verifies");
	} else {
		CHECK(netpkt_ip4_csum_ok(seg, n), "segment %u: bad IPv4 header checksum", k);
		CHECK_EQ(h_get16(ip + 2), NETPKT_IP4_LEN + l4_len, "IPv4 total length");
		CHECK_EQ(ip[8], 63, "IPv4 TTL after forwarding");
		CHECK(netpkt_l4_csum_ok(seg, n), "segment %u of %u: bad TCP checksum 0x%04x", k,
		      nsegs, h_get16(tcp + 16));
	}
	CHECK_EQ(h_get16(tcp), H_GUEST_PORT, "TCP source port");
	CHECK_EQ(h_get32(tcp + 4), sf->seq + off, "TCP sequence number");
	CHECK_EQ(h_get32(tcp + 8), 7, "TCP ack number");
	CHECK_EQ(tcp[12] >> 4, thl / 4, "TCP data offset");
	CHECK(!memcmp(tcp + NETPKT_TCP_LEN, ts_opt, sf->opt), "segment %u: TCP options lost", k);
	/* PSH (and FIN) only on the last segment (tcp_gso_segment). */
	CHECK_EQ(tcp[13], k + 1 == nsegs ? NETPKT_TCP_ACK | NETPKT_TCP_PSH : NETPKT_TCP_ACK,
		 "TCP flags");
	CHECK(!memcmp(tcp + thl, data + off, plen), "segment %u: payload differs", k);
	return plen;
}

/* The super-frame sf as the guest's TCP stack would hand it over. */
static uint32_t tcp_superframe(bool v6, const struct superframe *sf, unsigned int i)
{
	struct netpkt_flow fl = h_flow_tx();
	static uint8_t payload[VNET_MAX_FRAME];
	uint32_t len;

	netpkt_pattern(data, sf->size, 100 + i);
	memcpy(payload, ts_opt, sf->opt);
	memcpy(payload + sf->opt, data, sf->size);
	if (v6)
		return tcp6_frame(frame, sf->seq, NETPKT_TCP_ACK | NETPKT_TCP_PSH, payload,
				  sf->opt + sf->size, sf->opt);
	len = (uint32_t)netpkt_tcp4(frame, sizeof(frame), &fl, sf->seq, 7,
				    NETPKT_TCP_ACK | NETPKT_TCP_PSH, payload, sf->opt + sf->size,
				    true);
	/* The options were "payload": same L4 length, so the partial sum still holds. */
	frame[NETPKT_L4_AT + 12] = (uint8_t)(((NETPKT_TCP_LEN + sf->opt) / 4) << 4);
	return len;
}

static int tso_case(bool v6)
{
	/*
	 * The largest super-frame (the 65550-byte frame limit; its sequence
	 * numbers wrap), one with a short tail, one of exact segments, and one
	 * with timestamps whose segments fill tapB's MTU exactly.
	 */
	const struct superframe v4f[] = {
		{65495, 0xffff8000u, 0, 1448},
		{3000, 0x1000, 0, 1448},
		{4 * 1448, 0x2000, 0, 1448},
		{20000, 0x3000, TS_OPT, 1448},
	};
	const struct superframe v6f[] = {
		{65476, 0xffff8000u, 0, 1440},
		{3000, 0x1000, 0, 1440},
		{4 * 1440, 0x2000, 0, 1440},
		{20000, 0x3000, TS_OPT, 1428},
	};
	const struct superframe *sfs = v6 ? v6f : v4f;
	const unsigned int nsf = ARRAY_SIZE(v4f), l3 = v6 ? IP6_LEN : NETPKT_IP4_LEN;
	unsigned int wire = 0;
	struct h_tx_counts c0;

	h_dev_open(0);
	h_tx_counts(&c0);
	for (unsigned int f = 0; f < nsf; f++) {
		struct virtio_net_hdr_v1 h = {
			.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
			.gso_type = v6 ? VIRTIO_NET_HDR_GSO_TCPV6 : VIRTIO_NET_HDR_GSO_TCPV4,
			.hdr_len = (uint16_t)(NETPKT_ETH_LEN + l3 + NETPKT_TCP_LEN + sfs[f].opt),
			.gso_size = sfs[f].mss,
			.csum_start = (uint16_t)(NETPKT_ETH_LEN + l3),
			.csum_offset = 16,
		};
		uint32_t len = tcp_superframe(v6, &sfs[f], f);

		CHECK(len > 0 && len <= VNET_MAX_FRAME, "super-frame %u: %u bytes", f, len);
		h_tx(&h, frame, len, true);
	}
	h_tx_wait_all(nsf);
	for (unsigned int f = 0; f < nsf; f++) {
		unsigned int nsegs = (sfs[f].size + sfs[f].mss - 1) / sfs[f].mss;
		uint32_t off = 0;

		tcp_superframe(v6, &sfs[f], f); /* data[] again */
		for (unsigned int k = 0; k < nsegs; k++) {
			long n;

			/* IPv6 also carries the namespace's own ICMPv6 (MLD): only TCP counts. */
			do
				n = h_tapb_recv(got, sizeof(got), H_WAIT_MS);
			while (n >= 0 && v6 && got[NETPKT_ETH_LEN + 6] != 6);
			CHECK(n >= 0, "super-frame %u: only %u of %u segments reached %s", f, k,
			      nsegs, H.o.tapb);
			CHECK_EQ(h_get16(got + 12), v6 ? 0x86dd : 0x0800, "segment ethertype");
			off += check_segment(v6, got, n, k, nsegs, &sfs[f], off);
		}
		CHECK_EQ(off, sfs[f].size, "reassembled payload length");
		wire += nsegs;
	}
	CHECK_EQ(h_tapb_drain(v6 ? 0x86dd : 0x0800, H_QUIET_MS), 0,
		 "TCP/UDP frames on tapB beyond the segments");
	h_tx_check_counts(&c0, nsf, wire, v6);
	netdrv_stop(&H.d);
	CHECK_EQ(H.d.n.stats.tx_packets, nsf, "device tx_packets");
	CHECK_EQ(H.d.n.stats.tx_tso, nsf, "device tx_tso");
	CHECK_EQ(H.d.n.stats.tx_dropped, 0, "device tx_dropped");
	h_note("%u TSO%c super-frames (payloads %u, %u, %u, %u+timestamps; gso_size %u/%u) -> %u "
	       "wire segments, all checksums right, payload intact",
	       nsf, v6 ? '6' : '4', sfs[0].size, sfs[1].size, sfs[2].size, sfs[3].size, sfs[0].mss,
	       sfs[3].mss, wire);
	return 0;
}

int h_case_tx_tso4(void)
{
	return tso_case(false);
}

int h_case_tx_tso6(void)
{
	return tso_case(true);
}

/* ---- USO: UDP segmentation (VIRTIO_NET_F_HOST_USO, GSO type UDP_L4) ---- */

int h_case_tx_uso(void)
{
	/* A 47-datagram super-frame with a short tail, and one of exact datagrams. */
	const struct superframe sfs[] = {{65000, 0, 0, 1400}, {8 * 1472, 0, 0, 1472}};
	struct netpkt_flow fl = h_flow_tx();
	struct h_tx_counts c0;
	unsigned int wire = 0;

	h_dev_open(F(HOST_USO));
	if (!(H.d.features & F(HOST_USO)))
		h_skip("the tap takes no UDP super-frames (USO in tun needs Linux 6.2)");
	h_tx_counts(&c0);
	for (unsigned int f = 0; f < ARRAY_SIZE(sfs); f++) {
		struct virtio_net_hdr_v1 h = {
			.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
			.gso_type = VIRTIO_NET_HDR_GSO_UDP_L4,
			.hdr_len = NETPKT_UDP_DATA,
			.gso_size = sfs[f].mss,
			.csum_start = NETPKT_L4_AT,
			.csum_offset = 6,
		};
		uint32_t len;

		netpkt_pattern(data, sfs[f].size, 200 + f);
		len = (uint32_t)netpkt_udp4(frame, sizeof(frame), &fl, data, sfs[f].size, true);
		CHECK(len > 0, "USO super-frame %u", f);
		h_tx(&h, frame, len, true);
	}
	h_tx_wait_all(ARRAY_SIZE(sfs));
	for (unsigned int f = 0; f < ARRAY_SIZE(sfs); f++) {
		unsigned int nsegs = (sfs[f].size + sfs[f].mss - 1) / sfs[f].mss;
		uint32_t off = 0;

		netpkt_pattern(data, sfs[f].size, 200 + f);
		for (unsigned int k = 0; k < nsegs; k++) {
			uint32_t plen = MIN((uint32_t)sfs[f].mss, sfs[f].size - off);
			const uint8_t *udp = got + NETPKT_L4_AT;
			long n = h_tapb_recv(got, sizeof(got), H_WAIT_MS);

			CHECK(n >= 0, "USO super-frame %u: only %u of %u datagrams reached %s", f,
			      k, nsegs, H.o.tapb);
			CHECK_EQ(n, NETPKT_UDP_DATA + plen, "datagram frame length");
			CHECK(netpkt_ip4_csum_ok(got, n), "datagram %u: bad IPv4 header checksum",
			      k);
			CHECK(netpkt_l4_csum_ok(got, n),
			      "datagram %u of %u: bad UDP checksum 0x%04x", k, nsegs,
			      h_get16(udp + 6));
			CHECK(h_get16(udp + 6) != 0, "datagram %u: UDP checksum left 0", k);
			CHECK_EQ(got[NETPKT_ETH_LEN + 8], 63, "TTL after forwarding");
			CHECK(h_get16(udp) == H_GUEST_PORT && h_get16(udp + 2) == H_PEER_PORT,
			      "datagram %u: ports", k);
			CHECK_EQ(h_get16(udp + 4), NETPKT_UDP_LEN + plen, "UDP length");
			CHECK(!memcmp(udp + NETPKT_UDP_LEN, data + off, plen),
			      "datagram %u: payload "
			      "differs",
			      k);
			off += plen;
		}
		wire += nsegs;
	}
	CHECK_EQ(h_tapb_drain(0x0800, H_QUIET_MS), 0, "frames on tapB beyond the datagrams");
	h_tx_check_counts(&c0, ARRAY_SIZE(sfs), wire, false);
	netdrv_stop(&H.d);
	CHECK_EQ(H.d.n.stats.tx_packets, ARRAY_SIZE(sfs), "device tx_packets");
	CHECK_EQ(H.d.n.stats.tx_uso, ARRAY_SIZE(sfs), "device tx_uso");
	CHECK_EQ(H.d.n.stats.tx_dropped, 0, "device tx_dropped");
	h_note("%zu USO super-frames (payloads %u/%u, gso_size %u/%u) -> %u datagrams, all "
	       "checksums right, payload intact",
	       ARRAY_SIZE(sfs), sfs[0].size, sfs[1].size, sfs[0].mss, sfs[1].mss, wire);
	return 0;
}
