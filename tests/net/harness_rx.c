// SPDX-License-Identifier: MIT
// RX cases (docs/catalogue.md O23-O29, O33, O35-O36): the peer's frames, written into tapB, are
// forwarded by the kernel into tapA, and a socket of the namespace sends to the guest; each frame
// must reach the guest intact with exactly the header the negotiated features allow (and the
// tap's offloads must follow each negotiation); UDP_SEGMENT sends arrive as UDP_L4 super-frames
// with GUEST_USO4/6, cut by the kernel without; and a tiny tap queue with no RX buffers posted
// loses only what the kernel dropped (and counted), never a frame the tap kept.
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tests/net/harness.h"

#define NEEDS	   VIRTIO_NET_HDR_F_NEEDS_CSUM
#define VALID	   VIRTIO_NET_HDR_F_DATA_VALID
#define LOCAL_PORT 5300

enum rx_kind {
	RX_FWD_UDP, /* written into tapB, forwarded: GRO on tapB checked the checksum */
	RX_FWD_TCP,
	RX_FWD_BAD,   /* a UDP checksum that is wrong: nobody may call it valid */
	RX_LOCAL_UDP, /* sent by a socket of the namespace: CHECKSUM_PARTIAL on tapA */
};

static uint8_t frame[H_FRAME_MAX], want[H_FRAME_MAX], data[H_FRAME_MAX];
static struct h_rx rx;

/* The peer's frame number seq: UDP (or TCP) 10.99.2.2 -> 10.99.1.2, seq in the payload. */
static uint32_t peer_frame(uint8_t *buf, enum rx_kind kind, uint32_t seq, size_t size)
{
	struct netpkt_flow fl = h_flow_rx();
	uint32_t len;

	netpkt_pattern(data, size, seq);
	if (size >= 4)
		h_put32(data, seq);
	if (kind == RX_FWD_TCP) {
		fl.sport = (uint16_t)(6000 + seq); /* one flow each: nothing for GRO to merge */
		return (uint32_t)netpkt_tcp4(buf, H_FRAME_MAX, &fl, seq * 100000, 1,
					     NETPKT_TCP_ACK | NETPKT_TCP_PSH, data, size, false);
	}
	len = (uint32_t)netpkt_udp4(buf, H_FRAME_MAX, &fl, data, size, false);
	if (kind == RX_FWD_BAD)
		buf[NETPKT_L4_AT + 6] ^= 0x5a;
	return len;
}

static uint16_t want_nbufs(uint32_t len)
{
	return H.o.mrg ? (uint16_t)((VNET_HDR_LEN + len + H.o.rxbuf - 1) / H.o.rxbuf) : 1;
}

/* The header the guest must see, exactly (§5.1.6.4). */
static void check_hdr(const struct h_rx *r, uint8_t flags, uint16_t start, uint16_t off,
		      const char *what, uint32_t seq)
{
	struct virtio_net_hdr_v1 w = {.flags = flags,
				      .csum_start = start,
				      .csum_offset = off,
				      .num_buffers = want_nbufs(r->len)};

	CHECK(!memcmp(&r->hdr, &w, VNET_HDR_LEN),
	      "%s %u: header flags 0x%x gso %u/%u hdr_len %u csum %u/%u num_buffers %u; want flags "
	      "0x%x csum %u/%u num_buffers %u",
	      what, seq, r->hdr.flags, r->hdr.gso_type, r->hdr.gso_size, r->hdr.hdr_len,
	      r->hdr.csum_start, r->hdr.csum_offset, r->hdr.num_buffers, flags, start, off,
	      w.num_buffers);
}

/* The next guest frame is the peer's frame seq as forwarded, byte for byte. */
static void expect_forwarded(enum rx_kind kind, uint32_t seq, size_t size)
{
	uint32_t len = peer_frame(want, kind, seq, size);
	uint8_t flags = kind != RX_FWD_BAD && H.o.guest_csum ? VALID : 0;

	h_forwarded(want, len, H.tapa_mac, H.guest_mac);
	CHECK(h_rx_next(&rx, H_WAIT_MS), "forwarded frame %u (%zu bytes) never reached the guest",
	      seq, size);
	CHECK_EQ(rx.len, len, "received frame length");
	CHECK(!memcmp(rx.frame, want, len),
	      "frame %u differs from what the peer sent (or is "
	      "another frame: seq %u)",
	      seq,
	      size >= 4
		      ? h_get32(rx.frame + (kind == RX_FWD_TCP ? NETPKT_TCP_DATA : NETPKT_UDP_DATA))
		      : 0);
	check_hdr(&rx, flags, 0, 0, kind == RX_FWD_BAD ? "bad-checksum frame" : "forwarded frame",
		  seq);
}

/* A datagram from a socket of the namespace: NEEDS_CSUM with GUEST_CSUM, else a full checksum. */
static void expect_local(uint32_t seq, size_t size)
{
	const uint8_t *ip = rx.frame + NETPKT_ETH_LEN, *udp = rx.frame + NETPKT_L4_AT;

	CHECK(h_rx_next(&rx, H_WAIT_MS), "local datagram %u never reached the guest", seq);
	CHECK_EQ(rx.len, NETPKT_UDP_DATA + size, "local datagram frame length");
	CHECK(!memcmp(rx.frame, H.guest_mac, 6) && !memcmp(rx.frame + 6, H.tapa_mac, 6),
	      "local datagram %u: not addressed tapA -> guest", seq);
	CHECK(h_get16(rx.frame + 12) == 0x0800 && ip[9] == 17 && h_get32(ip + 12) == H_HOSTA_IP &&
		      h_get32(ip + 16) == H_GUEST_IP && h_get16(udp) == LOCAL_PORT &&
		      h_get16(udp + 2) == H_GUEST_PORT,
	      "local datagram %u: wrong addresses", seq);
	netpkt_pattern(data, size, seq);
	h_put32(data, seq);
	CHECK(!memcmp(udp + NETPKT_UDP_LEN, data, size), "local datagram %u: payload differs", seq);
	if (H.o.guest_csum) {
		/* The kernel left CHECKSUM_PARTIAL: the guest finishes it (§5.1.6.4.1). */
		check_hdr(&rx, NEEDS, NETPKT_L4_AT, 6, "local datagram", seq);
		netpkt_finish_csum(rx.frame, rx.len, NETPKT_L4_AT, 6);
	} else {
		check_hdr(&rx, 0, 0, 0, "local datagram", seq);
	}
	CHECK(netpkt_l4_csum_ok(rx.frame, rx.len), "local datagram %u: UDP checksum wrong%s", seq,
	      H.o.guest_csum ? " after finishing it" : "");
}

static int local_socket(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET,
				.sin_port = htons(LOCAL_PORT),
				.sin_addr.s_addr = htonl(H_HOSTA_IP)};
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	CHECK(s >= 0 && bind(s, (struct sockaddr *)&a, sizeof(a)) == 0,
	      "UDP socket on 10.99.1.1: %s", strerror(errno));
	return s;
}

static void local_send(int s, uint32_t seq, size_t size)
{
	struct sockaddr_in to = {.sin_family = AF_INET,
				 .sin_port = htons(H_GUEST_PORT),
				 .sin_addr.s_addr = htonl(H_GUEST_IP)};

	netpkt_pattern(data, size, seq);
	h_put32(data, seq);
	CHECK(sendto(s, data, size, 0, (struct sockaddr *)&to, sizeof(to)) == (ssize_t)size,
	      "sendto 10.99.1.2: %s", strerror(errno));
}

struct rx_item {
	enum rx_kind kind;
	uint32_t seq;
	size_t size;
};

int h_case_rx(void)
{
	static const size_t sizes[] = {4, 18, 100, 512, 1000, 1472};
	struct rx_item items[64];
	unsigned int n = 0, nvalid = 0, nlocal = 0, nmerged = 0;
	uint64_t bytes = 0;
	int s;

	for (unsigned int i = 0; i < 24; i++)
		items[n++] = (struct rx_item){RX_FWD_UDP, i, sizes[i % 6]};
	for (unsigned int i = 0; i < 8; i++)
		items[n++] = (struct rx_item){RX_FWD_TCP, 100 + i,
					      MIN(sizes[(i + 3) % 6], (size_t)1460)};
	items[n++] = (struct rx_item){RX_FWD_BAD, 200, 300};
	items[n++] = (struct rx_item){RX_FWD_UDP, 201, 1472};
	for (unsigned int i = 0; i < 6; i++)
		items[n++] = (struct rx_item){RX_LOCAL_UDP, 300 + i, sizes[(i + 2) % 6]};

	h_dev_open(0);
	h_rx_refill();
	s = local_socket();
	for (unsigned int i = 0; i < n; i++) {
		if (items[i].kind == RX_LOCAL_UDP) {
			local_send(s, items[i].seq, items[i].size);
		} else {
			uint32_t len =
				peer_frame(frame, items[i].kind, items[i].seq, items[i].size);

			h_tapb_send(frame, len);
		}
	}
	/* In the order sent, each exactly once. */
	for (unsigned int i = 0; i < n; i++) {
		if (items[i].kind == RX_LOCAL_UDP) {
			expect_local(items[i].seq, items[i].size);
			nlocal++;
		} else {
			expect_forwarded(items[i].kind, items[i].seq, items[i].size);
			nvalid += items[i].kind != RX_FWD_BAD;
		}
		bytes += rx.len;
		nmerged += rx.nbufs > 1;
		h_rx_refill();
	}
	h_rx_expect_quiet();
	close(s);
	netdrv_stop(&H.d);
	CHECK_EQ(H.d.n.stats.rx_packets, n, "device rx_packets");
	CHECK_EQ(H.d.n.stats.rx_bytes, bytes, "device rx_bytes");
	CHECK_EQ(H.d.n.stats.rx_dropped, 0, "device rx_dropped");
	CHECK_EQ(H.d.n.stats.rx_data_valid, H.o.guest_csum ? nvalid : 0, "device rx_data_valid");
	CHECK_EQ(H.d.n.stats.rx_csum_partial, H.o.guest_csum ? nlocal : 0,
		 "device rx_csum_partial");
	CHECK_EQ(H.d.n.stats.rx_merged, nmerged, "device rx_merged");
	CHECK_EQ(H.d.bad_used, 0, "used entries naming no chain");
	h_note("%u frames delivered in order, intact: %u DATA_VALID, %u NEEDS_CSUM, %u merged; "
	       "rx_eagain %llu",
	       n, H.o.guest_csum ? nvalid : 0, H.o.guest_csum ? nlocal : 0, nmerged,
	       (unsigned long long)H.d.n.be->stats.rx_eagain);
	return 0;
}

/* ---- a tiny tap queue and no buffers ---- */

#define EAGAIN_BURST 50

static uint64_t sysfs_u64(const char *path)
{
	unsigned long long v = 0;
	FILE *f = fopen(path, "re");

	CHECK(f && fscanf(f, "%llu", &v) == 1, "read %s", path);
	fclose(f);
	return v;
}

/* Waits until the kernel forwarded count more datagrams than base (softirq may lag). */
static void wait_forwarded(uint64_t base, unsigned int count)
{
	int64_t end = h_now_ms() + H_WAIT_MS;

	while (h_snmp("Ip", "ForwDatagrams") - base < count) {
		CHECK(h_now_ms() < end, "the kernel forwarded only %llu of %u frames",
		      (unsigned long long)(h_snmp("Ip", "ForwDatagrams") - base), count);
		usleep(1000);
	}
	usleep(50000); /* the transmit on tapA follows the forward in the same softirq */
}

/* Receives up to max frames, each above the last seq (no duplicate, no reordering); how many. */
static unsigned int take_in_order(uint32_t *last, int timeout_ms, unsigned int max)
{
	unsigned int got = 0;

	while (got < max && h_rx_next(&rx, timeout_ms)) {
		uint32_t seq = h_get32(rx.frame + NETPKT_UDP_DATA), len;

		CHECK(*last == UINT32_MAX || seq > *last,
		      "frame seq %u after %u: a duplicate or "
		      "out of order",
		      seq, *last);
		len = peer_frame(want, RX_FWD_UDP, seq, 200);
		h_forwarded(want, len, H.tapa_mac, H.guest_mac);
		CHECK(rx.len == len && !memcmp(rx.frame, want, len), "frame %u damaged", seq);
		*last = seq;
		got++;
		h_rx_refill();
	}
	return got;
}

int h_case_rx_eagain(void)
{
	char path[128];
	uint64_t qlen, drop0, tx0, fwd0, dropped;
	unsigned int kept, got, burst_got, total = 0;
	uint32_t last = UINT32_MAX, seq = 0;

	snprintf(path, sizeof(path), "/sys/class/net/%s/tx_queue_len", H.o.tapa);
	qlen = sysfs_u64(path);
	CHECK(qlen < EAGAIN_BURST, "%s txqueuelen %llu: net.sh should have made it tiny", H.o.tapa,
	      (unsigned long long)qlen);
	h_dev_open(0);
	/* 1. No RX buffer: the tap keeps qlen frames, the kernel drops (and counts) the rest. */
	drop0 = h_ifstat(H.o.tapa, "tx_dropped");
	tx0 = h_ifstat(H.o.tapa, "tx_packets");
	fwd0 = h_snmp("Ip", "ForwDatagrams");
	for (unsigned int i = 0; i < EAGAIN_BURST; i++) {
		uint32_t len = peer_frame(frame, RX_FWD_UDP, seq++, 200);

		h_tapb_send(frame, len);
	}
	wait_forwarded(fwd0, EAGAIN_BURST);
	dropped = h_ifstat(H.o.tapa, "tx_dropped") - drop0;
	kept = EAGAIN_BURST - (unsigned int)dropped;
	CHECK(kept >= 1 && kept <= qlen, "the tap kept %u of %u frames with txqueuelen %llu", kept,
	      EAGAIN_BURST, (unsigned long long)qlen);
	CHECK_EQ(h_ifstat(H.o.tapa, "tx_packets") - tx0, 0, "tapA tx_packets before any buffer");
	CHECK_EQ(netdrv_used_pending(&H.d, VNET_RXQ), 0, "RX used entries with no buffer posted");
	/* Buffers now: exactly the frames the tap kept, the first ones, once each. */
	h_rx_refill();
	got = take_in_order(&last, H_WAIT_MS, kept);
	CHECK_EQ(got, kept, "frames the guest got of those the tap kept");
	h_rx_expect_quiet();
	CHECK_EQ(last, kept - 1, "last frame kept (the tap keeps the first ones)");
	CHECK_EQ(h_ifstat(H.o.tapa, "tx_packets") - tx0, kept, "tapA tx_packets (frames read)");
	total += got;
	h_note("phase 1: %u sent, tap kept %u (tx_dropped +%llu), guest got %u", EAGAIN_BURST, kept,
	       (unsigned long long)dropped, got);

	/* 2. Buffers posted, one frame at a time: every one arrives. */
	for (unsigned int i = 0; i < 10; i++) {
		uint32_t len = peer_frame(frame, RX_FWD_UDP, seq++, 200);

		h_tapb_send(frame, len);
		CHECK_EQ(take_in_order(&last, H_WAIT_MS, 1), 1, "frame after the queue drained");
		total++;
	}

	/* 3. A burst into the tiny queue with reads in flight: what the tap kept all arrives. */
	drop0 = h_ifstat(H.o.tapa, "tx_dropped");
	tx0 = h_ifstat(H.o.tapa, "tx_packets");
	fwd0 = h_snmp("Ip", "ForwDatagrams");
	for (unsigned int i = 0; i < EAGAIN_BURST; i++) {
		uint32_t len = peer_frame(frame, RX_FWD_UDP, seq++, 200);

		h_tapb_send(frame, len);
	}
	wait_forwarded(fwd0, EAGAIN_BURST);
	dropped = h_ifstat(H.o.tapa, "tx_dropped") - drop0;
	burst_got = take_in_order(&last, H_WAIT_MS, EAGAIN_BURST - (unsigned int)dropped);
	CHECK_EQ(burst_got, EAGAIN_BURST - dropped, "frames the guest got of those the tap kept");
	CHECK_EQ(h_ifstat(H.o.tapa, "tx_packets") - tx0, burst_got,
		 "tapA tx_packets (frames read)");
	total += burst_got;
	h_rx_expect_quiet();
	netdrv_stop(&H.d);
	CHECK_EQ(H.d.n.stats.rx_packets, total, "device rx_packets");
	CHECK_EQ(H.d.n.stats.rx_dropped, 0, "device rx_dropped");
	CHECK_EQ(H.d.bad_used, 0, "used entries naming no chain");
	h_note("phase 3: burst of %u with reads in flight: tap dropped %llu, guest got %u; "
	       "rx_eagain %llu",
	       EAGAIN_BURST, (unsigned long long)dropped, burst_got,
	       (unsigned long long)H.d.n.be->stats.rx_eagain);
	return 0;
}

/* ---- UDP super-frames from a socket (UDP_SEGMENT): GUEST_USO4/6, or the kernel segments ---- */

/* One GSO send of len bytes in seg-byte datagrams, as the guest must receive it. */
static void expect_uso(size_t len, uint16_t seg, uint32_t seed, unsigned int *gso)
{
	size_t nsegs = H.o.guest_uso ? 1 : (len + seg - 1) / seg, off = 0;

	netpkt_pattern(data, len, seed);
	for (size_t k = 0; k < nsegs; k++) {
		size_t plen = H.o.guest_uso ? len : MIN((size_t)seg, len - off);
		const uint8_t *udp = rx.frame + NETPKT_L4_AT;
		const struct virtio_net_hdr_v1 *h = &rx.hdr;

		CHECK(h_rx_next(&rx, H_WAIT_MS), "send %u: frame %zu of %zu never arrived", seed, k,
		      nsegs);
		CHECK_EQ(rx.len, NETPKT_UDP_DATA + plen, "frame length");
		CHECK_EQ(h->num_buffers, want_nbufs(rx.len), "num_buffers");
		if (H.o.guest_uso) {
			/* §5.1.6.4: a UDP_L4 super-frame, its checksum partial over all of it. */
			CHECK(h->gso_type == VIRTIO_NET_HDR_GSO_UDP_L4 && h->gso_size == seg,
			      "gso_type %u gso_size %u; want UDP_L4 (5), %u", h->gso_type,
			      h->gso_size, seg);
			(*gso)++;
		} else {
			CHECK(h->gso_type == 0 && h->gso_size == 0,
			      "gso_type %u gso_size %u without "
			      "GUEST_USO",
			      h->gso_type, h->gso_size);
		}
		if (H.o.guest_csum) {
			CHECK(h->flags == VIRTIO_NET_HDR_F_NEEDS_CSUM &&
				      h->csum_start == NETPKT_L4_AT && h->csum_offset == 6,
			      "flags 0x%x csum %u/%u; want NEEDS_CSUM 34/6", h->flags,
			      h->csum_start, h->csum_offset);
			netpkt_finish_csum(rx.frame, rx.len, NETPKT_L4_AT, 6);
		} else {
			CHECK_EQ(h->flags, 0, "flags without GUEST_CSUM");
		}
		CHECK(netpkt_l4_csum_ok(rx.frame, rx.len), "send %u frame %zu: UDP checksum wrong",
		      seed, k);
		CHECK_EQ(h_get16(udp + 4), NETPKT_UDP_LEN + plen, "UDP length");
		CHECK(!memcmp(udp + NETPKT_UDP_LEN, data + off, plen),
		      "send %u frame %zu: payload "
		      "differs",
		      seed, k);
		off += plen;
		h_rx_refill();
	}
}

int h_case_rx_uso(void)
{
	static const struct {
		size_t len;
		int seg;
	} sends[] = {
		{14000, 1400},
		{4300, 1400},
		{20 * 1472, 1472},
	};
	struct sockaddr_in to = {.sin_family = AF_INET,
				 .sin_port = htons(H_GUEST_PORT),
				 .sin_addr.s_addr = htonl(H_GUEST_IP)};
	unsigned int gso = 0;
	int s;

	h_dev_open(0);
	h_rx_refill();
	s = local_socket();
	for (unsigned int i = 0; i < ARRAY_SIZE(sends); i++) {
		CHECK(setsockopt(s, SOL_UDP, UDP_SEGMENT, &sends[i].seg, sizeof(int)) == 0,
		      "UDP_SEGMENT %d: %s", sends[i].seg, strerror(errno));
		netpkt_pattern(data, sends[i].len, 400 + i);
		CHECK(sendto(s, data, sends[i].len, 0, (struct sockaddr *)&to, sizeof(to)) ==
			      (ssize_t)sends[i].len,
		      "sendto (GSO %d): %s", sends[i].seg, strerror(errno));
		expect_uso(sends[i].len, (uint16_t)sends[i].seg, 400 + i, &gso);
	}
	h_rx_expect_quiet();
	close(s);
	netdrv_stop(&H.d);
	CHECK_EQ(H.d.n.stats.rx_gso, gso, "device rx_gso");
	CHECK_EQ(H.d.n.stats.rx_dropped, 0, "device rx_dropped");
	h_note("%zu UDP_SEGMENT sends reached the guest %s, intact", ARRAY_SIZE(sends),
	       H.o.guest_uso ? "as UDP_L4 super-frames" : "as datagrams the kernel cut");
	return 0;
}

/* ---- renegotiation: the tap's offloads follow every new feature set ---- */

int h_case_renegotiate(void)
{
	static const struct {
		bool csum, tso;
	} phases[] = {
		{true, true}, {false, false}, {true, false}, {false, false}, {true, true},
	};
	uint32_t seq = 0;
	int s;

	H.o.guest_csum = H.o.guest_tso = true;
	h_dev_open(0);
	s = local_socket();
	for (unsigned int p = 0; p < ARRAY_SIZE(phases); p++) {
		uint64_t g = F(GUEST_CSUM) | F(GUEST_TSO4) | F(GUEST_TSO6);

		H.o.guest_csum = phases[p].csum;
		H.o.guest_tso = phases[p].tso;
		if (p > 0) {
			CHECK(netdrv_up(&H.d, h_want()) == 0, "bring-up %u: %s", p, H.d.err);
			H.rx_posted = 0;
		}
		CHECK_EQ(H.d.features & g, h_want() & g, "negotiated GUEST_* features");
		/* TUNSETOFFLOAD at each activation: else the tap hands up what the guest refused.
		 */
		CHECK_EQ(H.d.n.be->offloads, h_tun_offloads(), "the tap's offloads");
		h_rx_refill();
		for (unsigned int i = 0; i < 3; i++) {
			local_send(s, seq, 100 + 400 * i);
			expect_local(seq++, 100 + 400 * i);
			h_rx_refill();
		}
	}
	h_rx_expect_quiet();
	close(s);
	netdrv_stop(&H.d);
	CHECK_EQ(H.d.n.stats.rx_dropped, 0, "device rx_dropped");
	CHECK_EQ(H.d.n.stats.rx_packets, seq, "device rx_packets");
	h_note("%zu negotiations (GUEST_CSUM/TSO on, off, csum only, off, on): the tap's offloads "
	       "followed each; %u datagrams with the right header each time",
	       ARRAY_SIZE(phases), seq);
	return 0;
}
