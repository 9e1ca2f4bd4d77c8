// SPDX-License-Identifier: MIT
// TX segmentation offloads (docs/catalogue.md O34): the guest hands minnow's device TSO4, TSO6 and
// USO super-frames; the kernel forwards them to tapB, which cannot take super-frames, and so cuts
// them in software. On tapB: exactly ceil(payload / gso_size) segments, each with a correct
// checksum, consecutive sequence numbers (TCP) and the super-frame's payload in order. With
// offload=soft minnow segments them itself, and what reaches tapB is the same, byte for byte.
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

/*
 * The largest super-frame (the 65550-byte frame limit; its sequence numbers
 * wrap), one with a short tail, one of exact segments, and one with
 * timestamps whose segments fill tapB's MTU exactly.
 */
static const struct superframe v4f[] = {
	{65495, 0xffff8000u, 0, 1448},
	{3000, 0x1000, 0, 1448},
	{4 * 1448, 0x2000, 0, 1448},
	{20000, 0x3000, TS_OPT, 1448},
};
static const struct superframe v6f[] = {
	{65476, 0xffff8000u, 0, 1440},
	{3000, 0x1000, 0, 1440},
	{4 * 1440, 0x2000, 0, 1440},
	{20000, 0x3000, TS_OPT, 1428},
};
#define NSF ((unsigned int)ARRAY_SIZE(v4f))

/* The super-frames of v4f or v6f to the device, one kick each, flags added; all completed. */
static void tso_send(bool v6, uint8_t flags)
{
	const struct superframe *sfs = v6 ? v6f : v4f;
	const unsigned int l3 = v6 ? IP6_LEN : NETPKT_IP4_LEN;

	for (unsigned int f = 0; f < NSF; f++) {
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
		frame[NETPKT_ETH_LEN + l3 + 13] |= flags; /* the partial sum covers no flags */
		h_tx(&h, frame, len, true);
	}
	h_tx_wait_all(NSF);
}

/* The next TCP/UDP frame on tapB (IPv6 also carries the namespace's MLD: skipped). */
static long tapb_next(bool v6, uint8_t *buf, size_t max)
{
	long n;

	do
		n = h_tapb_recv(buf, max, H_WAIT_MS);
	while (n >= 0 && v6 && buf[NETPKT_ETH_LEN + 6] != 6 && buf[NETPKT_ETH_LEN + 6] != 17);
	return n;
}

static int tso_case(bool v6)
{
	const struct superframe *sfs = v6 ? v6f : v4f;
	unsigned int wire = 0;
	struct h_tx_counts c0;

	h_dev_open(0);
	h_tx_counts(&c0);
	tso_send(v6, 0);
	for (unsigned int f = 0; f < NSF; f++) {
		unsigned int nsegs = (sfs[f].size + sfs[f].mss - 1) / sfs[f].mss;
		uint32_t off = 0;

		tcp_superframe(v6, &sfs[f], f); /* data[] again */
		for (unsigned int k = 0; k < nsegs; k++) {
			long n = tapb_next(v6, got, sizeof(got));

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
	/* offload=soft writes the segments themselves into tapA. */
	h_tx_check_counts(&c0, H.o.soft ? wire : NSF, wire, v6);
	netdrv_stop(&H.d);
	CHECK_EQ(H.d.n.stats.tx_packets, NSF, "device tx_packets");
	CHECK_EQ(H.d.n.stats.tx_tso, NSF, "device tx_tso");
	CHECK_EQ(H.d.n.stats.tx_dropped, 0, "device tx_dropped");
	CHECK_EQ(H.d.n.stats.soft_segments, H.o.soft ? wire : 0, "device soft_segments");
	h_note("%u TSO%c super-frames (payloads %u, %u, %u, %u+timestamps; gso_size %u/%u) -> %u "
	       "wire segments%s, all checksums right, payload intact",
	       NSF, v6 ? '6' : '4', sfs[0].size, sfs[1].size, sfs[2].size, sfs[3].size, sfs[0].mss,
	       sfs[3].mss, wire, H.o.soft ? " (offload=soft)" : "");
	return 0;
}

/* ---- offload=soft against the tap's offloads: the same frames, the same bytes on tapB ---- */

#define EQ_BYTES  (256u << 10)
#define EQ_FRAMES 160
#define TCP_CWR	  0x80

static struct eq_capture {
	uint8_t bytes[EQ_BYTES];
	uint32_t at, off[EQ_FRAMES], len[EQ_FRAMES];
} eq[2];

/* Checksum-only frames after the super-frames: TCP with and without options, UDP on IPv4. */
static unsigned int csum_send(bool v6)
{
	const unsigned int l4 = NETPKT_ETH_LEN + (v6 ? IP6_LEN : NETPKT_IP4_LEN);
	const struct superframe small[] = {{1000, 0x4000, 0, 0}, {333, 0x5000, TS_OPT, 0}};
	struct virtio_net_hdr_v1 h = {.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
				      .csum_start = (uint16_t)l4, .csum_offset = 16};
	struct netpkt_flow fl = h_flow_tx();
	unsigned int n = 0;

	for (; n < ARRAY_SIZE(small); n++)
		h_tx(&h, frame, tcp_superframe(v6, &small[n], 10 + n), true);
	if (!v6) {
		h.csum_offset = 6;
		netpkt_pattern(data, 777, 20);
		h_tx(&h, frame, (uint32_t)netpkt_udp4(frame, sizeof(frame), &fl, data, 777, true),
		     true);
		n++;
	}
	h_tx_wait_all(n);
	return n;
}

/* want frames from tapB into c, then nothing more. */
static void eq_take(bool v6, struct eq_capture *c, unsigned int want, const char *pass)
{
	c->at = 0;
	for (unsigned int k = 0; k < want; k++) {
		long n = tapb_next(v6, got, sizeof(got));

		CHECK(n >= 0, "%s: only %u of %u frames reached %s", pass, k, want, H.o.tapb);
		CHECK(c->at + (uint32_t)n <= EQ_BYTES, "%s: capture full", pass);
		memcpy(c->bytes + c->at, got, (size_t)n);
		c->off[k] = c->at;
		c->len[k] = (uint32_t)n;
		c->at += (uint32_t)n;
	}
	CHECK_EQ(h_tapb_drain(v6 ? 0x86dd : 0x0800, H_QUIET_MS), 0, "frames beyond the expected");
}

static int soft_equal_case(bool v6)
{
	const struct superframe *sfs = v6 ? v6f : v4f;
	static const char *const pass_name[] = {"through the tap's offloads", "offload=soft"};
	unsigned int wire = 0, sent = 0;

	for (unsigned int f = 0; f < NSF; f++)
		wire += (sfs[f].size + sfs[f].mss - 1) / sfs[f].mss;
	for (unsigned int pass = 0; pass < 2; pass++) {
		H.o.soft = pass;
		h_dev_open(0);
		/* CWR and FIN on every super-frame: GSO keeps CWR first and FIN last only. */
		tso_send(v6, TCP_CWR | NETPKT_TCP_FIN);
		sent = NSF + csum_send(v6);
		eq_take(v6, &eq[pass], wire + sent - NSF, pass_name[pass]);
		netdrv_stop(&H.d);
		CHECK_EQ(H.d.n.stats.tx_packets, sent, "device tx_packets");
		CHECK_EQ(H.d.n.stats.tx_dropped, 0, "device tx_dropped");
		CHECK_EQ(H.d.n.stats.soft_frames, pass ? sent : 0, "device soft_frames");
		CHECK_EQ(H.d.n.stats.soft_segments, pass ? wire + sent - NSF : 0,
			 "device soft_segments");
		h_dev_close();
	}
	for (unsigned int k = 0; k < wire + sent - NSF; k++) {
		const uint8_t *a = eq[0].bytes + eq[0].off[k], *b = eq[1].bytes + eq[1].off[k];
		unsigned int at = 0;

		CHECK(eq[0].len[k] == eq[1].len[k], "frame %u: %u bytes from the tap's offload, %u "
		      "from offload=soft", k, eq[0].len[k], eq[1].len[k]);
		while (at < eq[0].len[k] && a[at] == b[at])
			at++;
		CHECK(at == eq[0].len[k], "frame %u (%u bytes): differs first at byte %u: 0x%02x "
		      "from the tap's offload, 0x%02x from offload=soft", k, eq[0].len[k], at,
		      a[at], b[at]);
		if (!v6)
			CHECK(netpkt_ip4_csum_ok(a, eq[0].len[k]) && netpkt_l4_csum_ok(a, eq[0].len[k]),
			      "frame %u: checksums", k);
	}
	h_note("%u TSO%c super-frames (CWR, FIN) and %u checksum-only frames -> %u frames on %s, "
	       "byte-identical through the tap's offloads and through offload=soft",
	       (unsigned int)NSF, v6 ? '6' : '4', sent - (unsigned int)NSF, wire + sent - NSF,
	       H.o.tapb);
	return 0;
}

int h_case_tx_soft_equal4(void)
{
	return soft_equal_case(false);
}

int h_case_tx_soft_equal6(void)
{
	return soft_equal_case(true);
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
