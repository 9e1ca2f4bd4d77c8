// SPDX-License-Identifier: MIT
// TX cases (docs/catalogue.md O34, O22): the guest sends through minnow's device into tapA with
// checksum requests; the kernel forwards to tapB, which has no offloads, so the kernel must finish
// every checksum: what tapB hands out is what a wire would carry. And a tap that refuses writes
// (down: EIO) costs the frames it refused, counted, and nothing else. Shared TX helpers.
#include <errno.h>
#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tests/net/harness.h"

#define CSUM_FRAMES 48

static uint8_t frame[H_FRAME_MAX], want[H_FRAME_MAX], got[H_FRAME_MAX];
static uint8_t data[VNET_MAX_FRAME];

/*
 * Queues one TX chain in one of four layouts, in turn (VERSION_1: any layout
 * is legal, §5.1.6.2): one descriptor; the header in its own; the header and
 * the first 7 frame bytes in their own, then 4 KiB pieces; an indirect table
 * with the header cut in two, then 2 KiB pieces. kick: QueueNotify now.
 */
void h_tx(const struct virtio_net_hdr_v1 *hdr, const uint8_t *f, uint32_t len, bool kick)
{
	static unsigned int n;
	uint32_t pieces[NETDRV_MAX_PIECES];
	unsigned int np = 0, layout = n++ % 4, flags = kick ? 0 : NETDRV_NO_KICK;
	uint32_t at = 0, step = layout == 2 ? 4096 : 2048, total = len + VNET_HDR_LEN;

	if (layout == 1) {
		pieces[np++] = VNET_HDR_LEN;
	} else if (layout >= 2) {
		if (layout == 3) {
			pieces[np++] = 5;
			flags |= NETDRV_INDIRECT;
		}
		pieces[np++] = layout == 3 ? VNET_HDR_LEN - 5 : VNET_HDR_LEN;
		pieces[np++] = 7;
		at = VNET_HDR_LEN + 7;
		while (at + step < total && np < 40) {
			pieces[np++] = step;
			at += step;
		}
	}
	CHECK(netdrv_tx(&H.d, hdr, f, len, pieces, np, flags) >= 0, "TX ring full");
}

/* Every TX chain comes back, with used length 0 (the device only reads TX buffers). */
void h_tx_wait_all(unsigned int count)
{
	struct netdrv_used u;

	CHECK(netdrv_wait_used(&H.d, VNET_TXQ, count, H_WAIT_MS),
	      "only %u of %u TX chains completed", netdrv_used_pending(&H.d, VNET_TXQ), count);
	for (unsigned int i = 0; i < count; i++) {
		CHECK(netdrv_take_used(&H.d, VNET_TXQ, &u), "TX used entry %u names no chain", i);
		CHECK_EQ(u.len, 0, "TX used length");
	}
}

void h_tx_counts(struct h_tx_counts *c)
{
	c->fwd = h_snmp("Ip", "ForwDatagrams");
	c->ip_hdr_err = h_snmp("Ip", "InHdrErrors");
	c->udp_csum_err = h_snmp("Udp", "InCsumErrors");
	c->tcp_csum_err = h_snmp("Tcp", "InCsumErrors");
	c->a_rx = h_ifstat(H.o.tapa, "rx_packets");
	c->a_rx_err = h_ifstat(H.o.tapa, "rx_errors");
	c->a_rx_drop = h_ifstat(H.o.tapa, "rx_dropped");
	c->b_tx = h_ifstat(H.o.tapb, "tx_packets");
}

/* The namespace saw sent frames arrive on tapA and wire frames leave tapB, no errors anywhere. */
void h_tx_check_counts(const struct h_tx_counts *c0, unsigned int sent, unsigned int wire, bool v6)
{
	struct h_tx_counts c;

	h_tx_counts(&c);
	CHECK_EQ(c.a_rx - c0->a_rx, sent, "tapA rx_packets (frames the device wrote)");
	CHECK_EQ(c.a_rx_err - c0->a_rx_err, 0, "tapA rx_errors (tun refused a frame)");
	CHECK_EQ(c.a_rx_drop - c0->a_rx_drop, 0, "tapA rx_dropped");
	/* With IPv6 the namespace sends its own MLD reports out of tapB too. */
	if (v6)
		CHECK(c.b_tx - c0->b_tx >= wire, "tapB tx_packets %llu < %u segments",
		      (unsigned long long)(c.b_tx - c0->b_tx), wire);
	else
		CHECK_EQ(c.b_tx - c0->b_tx, wire, "tapB tx_packets (frames on the wire)");
	CHECK_EQ(c.ip_hdr_err - c0->ip_hdr_err, 0, "Ip InHdrErrors");
	CHECK_EQ(c.udp_csum_err - c0->udp_csum_err, 0, "Udp InCsumErrors");
	CHECK_EQ(c.tcp_csum_err - c0->tcp_csum_err, 0, "Tcp InCsumErrors");
}

/* Frame i of the checksum case: UDP or TCP, with a partial checksum or a full one. */
static uint32_t csum_frame(unsigned int i, uint8_t *buf, bool *partial, bool *tcp, bool full)
{
	static const size_t sizes[] = {1, 18, 100, 512, 1000, 1472};
	struct netpkt_flow fl = h_flow_tx();
	size_t len = sizes[i % ARRAY_SIZE(sizes)];

	*tcp = i % 4 == 3;
	*partial = i % 6 != 5;
	netpkt_pattern(data, len, i);
	if (*tcp) {
		len = MIN(len, (size_t)1460); /* DF, and tapB's MTU is 1500 */
		return (uint32_t)netpkt_tcp4(buf, H_FRAME_MAX, &fl, 1000 + i, 7, NETPKT_TCP_ACK,
					     data, len, *partial && !full);
	}
	return (uint32_t)netpkt_udp4(buf, H_FRAME_MAX, &fl, data, len, *partial && !full);
}

int h_case_tx_csum(void)
{
	struct h_tx_counts c0;
	uint64_t bytes = 0;
	unsigned int npartial = 0;

	h_dev_open(0);
	h_tx_counts(&c0);
	for (unsigned int i = 0; i < CSUM_FRAMES; i++) {
		bool partial, tcp;
		uint32_t len = csum_frame(i, frame, &partial, &tcp, false);
		struct virtio_net_hdr_v1 h = {0};

		if (partial) {
			/* Linux's CHECKSUM_PARTIAL: the field holds the pseudo-header sum
			 * (§5.1.6.2). */
			h.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
			h.csum_start = NETPKT_L4_AT;
			h.csum_offset = tcp ? 16 : 6;
			npartial++;
		}
		bytes += len;
		h_tx(partial ? &h : NULL, frame, len, i % 8 == 7 || i == CSUM_FRAMES - 1);
	}
	h_tx_wait_all(CSUM_FRAMES);
	/* In order, each exactly the frame with a full checksum, as forwarded. */
	for (unsigned int i = 0; i < CSUM_FRAMES; i++) {
		bool partial, tcp;
		uint32_t len = csum_frame(i, want, &partial, &tcp, true);
		long n = h_tapb_recv(got, sizeof(got), H_WAIT_MS);
		uint8_t *l4 = got + NETPKT_L4_AT;

		CHECK(n >= 0, "frame %u of %u never reached %s", i, CSUM_FRAMES, H.o.tapb);
		h_forwarded(want, len, H.tapb_mac, H.peer_mac);
		CHECK_EQ(n, len, "forwarded frame length");
		CHECK(netpkt_ip4_csum_ok(got, n), "frame %u: bad IPv4 header checksum", i);
		CHECK(netpkt_l4_csum_ok(got, n), "frame %u (%s, %s): bad %s checksum 0x%04x", i,
		      tcp ? "TCP" : "UDP", partial ? "NEEDS_CSUM" : "full", tcp ? "TCP" : "UDP",
		      h_get16(l4 + (tcp ? 16 : 6)));
		CHECK(tcp || h_get16(l4 + 6) != 0, "frame %u: UDP checksum left 0", i);
		CHECK(!memcmp(got, want, len), "frame %u differs from what the guest sent", i);
	}
	CHECK_EQ(h_tapb_drain(0x0800, H_QUIET_MS), 0, "IPv4 frames on tapB beyond those sent");
	h_tx_check_counts(&c0, CSUM_FRAMES, CSUM_FRAMES, false);
	CHECK_EQ(h_snmp("Ip", "ForwDatagrams") - c0.fwd, CSUM_FRAMES, "Ip ForwDatagrams");
	netdrv_stop(&H.d);
	CHECK_EQ(H.d.n.stats.tx_packets, CSUM_FRAMES, "device tx_packets");
	CHECK_EQ(H.d.n.stats.tx_bytes, bytes, "device tx_bytes");
	CHECK_EQ(H.d.n.stats.tx_csum, npartial, "device tx_csum");
	CHECK_EQ(H.d.n.stats.tx_dropped, 0, "device tx_dropped");
	CHECK_EQ(H.d.bad_used, 0, "used entries naming no chain");
	h_note("%u frames (%u NEEDS_CSUM) forwarded intact with correct checksums", CSUM_FRAMES,
	       npartial);
	return 0;
}

/* ---- tapA down: the tap refuses writes (EIO); the queue goes on ---- */

static void set_up(const char *ifname, bool up)
{
	struct ifreq ifr = {0};
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", ifname);
	CHECK(s >= 0 && ioctl(s, SIOCGIFFLAGS, &ifr) == 0, "SIOCGIFFLAGS %s: %s", ifname,
	      strerror(errno));
	if (up)
		ifr.ifr_flags |= IFF_UP;
	else
		ifr.ifr_flags &= ~IFF_UP;
	CHECK(ioctl(s, SIOCSIFFLAGS, &ifr) == 0, "SIOCSIFFLAGS %s: %s", ifname, strerror(errno));
	close(s);
}

#define DOWN_FRAMES 6

/* Takes up to count TX completions within timeout_ms; returns how many (length 0 each). */
static unsigned int tx_take(unsigned int count, int timeout_ms)
{
	int64_t end = h_now_ms() + timeout_ms;
	struct netdrv_used u;
	unsigned int n = 0;

	while (n < count) {
		if (!netdrv_wait_used(&H.d, VNET_TXQ, 1, (int)MAX(end - h_now_ms(), (int64_t)0)))
			break;
		CHECK(netdrv_take_used(&H.d, VNET_TXQ, &u), "TX used entry names no chain");
		CHECK_EQ(u.len, 0, "TX used length");
		n++;
	}
	return n;
}

int h_case_tx_link_down(void)
{
	struct netpkt_flow fl = h_flow_tx();
	uint64_t a_drop0, refused;
	unsigned int done;

	h_dev_open(0);
	/* tun_get_user: EIO while the interface is down (Linux: drivers/net/tun.c): drop, count, go on. */
	set_up(H.o.tapa, false);
	a_drop0 = h_ifstat(H.o.tapa, "rx_dropped");
	for (unsigned int i = 0; i < DOWN_FRAMES; i++) {
		uint32_t len;

		netpkt_pattern(data, 100, i);
		len = (uint32_t)netpkt_udp4(frame, sizeof(frame), &fl, data, 100, false);
		h_tx(NULL, frame, len, i == DOWN_FRAMES - 1);
	}
	/* Every chain comes back while the link is still down: dropped, not parked. */
	done = tx_take(DOWN_FRAMES, 1000);
	refused = h_ifstat(H.o.tapa, "rx_dropped") - a_drop0;
	set_up(H.o.tapa, true);
	h_wait_link(H.o.tapa);
	if (done < DOWN_FRAMES) {
		unsigned int late = tx_take(DOWN_FRAMES - done, H_WAIT_MS);
		unsigned int out = h_tapb_drain(0x0800, H_QUIET_MS);

		h_fail("io=%s: only %u of %u TX chains completed in 1 s while %s was down (tun "
		       "refused %llu writes with EIO); once it was up again %u more completed and "
		       "%u of the frames queued while it was down went out on %s. EIO must drop "
		       "the frame and the queue go on (O22), not park the rest "
		       "until the link returns",
		       H.o.sync ? "sync" : "uring", done, DOWN_FRAMES, H.o.tapa,
		       (unsigned long long)refused, late, out, H.o.tapb);
	}
	CHECK_EQ(refused, DOWN_FRAMES, "tapA rx_dropped (writes refused while down)");
	/* Up again: the same queue carries the next frames, each once. */
	for (unsigned int i = DOWN_FRAMES; i < 2 * DOWN_FRAMES; i++) {
		struct virtio_net_hdr_v1 h = {.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
					      .csum_start = NETPKT_L4_AT,
					      .csum_offset = 6};
		uint32_t len;
		long n;

		netpkt_pattern(data, 100, i);
		len = (uint32_t)netpkt_udp4(frame, sizeof(frame), &fl, data, 100, true);
		h_tx(&h, frame, len, true);
		h_tx_wait_all(1);
		n = h_tapb_recv(got, sizeof(got), H_WAIT_MS);
		len = (uint32_t)netpkt_udp4(want, sizeof(want), &fl, data, 100, false);
		h_forwarded(want, len, H.tapb_mac, H.peer_mac);
		CHECK(n == (long)len && !memcmp(got, want, len),
		      "frame %u after the link came back: "
		      "%ld bytes, %s",
		      i, n, n < 0 ? "none" : "differs");
	}
	CHECK_EQ(h_tapb_drain(0x0800, H_QUIET_MS), 0, "frames on tapB beyond those sent when up");
	netdrv_stop(&H.d);
	CHECK_EQ(H.d.n.stats.tx_dropped, DOWN_FRAMES, "device tx_dropped");
	CHECK_EQ(H.d.n.stats.drops[VNET_DROP_TX_TAP], DOWN_FRAMES, "device drops tx_tap_error");
	CHECK_EQ(H.d.n.stats.tx_packets, DOWN_FRAMES, "device tx_packets");
	h_note("%u frames refused by the down tap (EIO): completed, counted; %u sent after it came "
	       "up arrived intact",
	       DOWN_FRAMES, DOWN_FRAMES);
	return 0;
}
