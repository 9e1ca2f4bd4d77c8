// SPDX-License-Identifier: MIT
// A real TCP stream into the guest (docs/catalogue.md O35): a socket of the namespace connects to the
// guest, which the harness plays with a minimal TCP receiver (handshake, in-order data, cumulative
// ACKs sent with NEEDS_CSUM). With GUEST_TSO4 the kernel hands tapA super-frames, which the guest
// must get as GSO_TCPV4 with a partial checksum; without it, MSS-sized frames; without
// GUEST_CSUM, full checksums and flags 0. The bytes must arrive intact either way.
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tests/net/harness.h"

#define TCP_TOTAL	(2u * 1024 * 1024)
#define TCP_PORT	5201
#define TCP_MSS		1460 /* what the guest's SYN-ACK offers; no timestamps, so gso_size */
#define TCP_ISS		0x50000000u
#define TCP_DEADLINE_MS 20000

static uint8_t *sent, *got;
static uint8_t frame[H_FRAME_MAX];
static struct h_rx rx;

struct sender {
	pthread_t thread;
	int err;
	size_t done;
};

/* The namespace's side: connect to the guest, write TCP_TOTAL bytes, close. */
static void *sender_main(void *arg)
{
	struct sender *s = arg;
	struct sockaddr_in to = {.sin_family = AF_INET,
				 .sin_port = htons(TCP_PORT),
				 .sin_addr.s_addr = htonl(H_GUEST_IP)};
	struct timeval tv = {.tv_sec = 10};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) ||
	    connect(fd, (struct sockaddr *)&to, sizeof(to))) {
		s->err = errno;
		goto out;
	}
	while (s->done < TCP_TOTAL) {
		ssize_t n = write(fd, sent + s->done, TCP_TOTAL - s->done);

		if (n <= 0) {
			s->err = n < 0 ? errno : EPIPE;
			break;
		}
		s->done += n;
	}
out:
	if (fd >= 0)
		close(fd);
	return NULL;
}

struct guest_tcp {
	bool established, fin, need_ack;
	uint16_t peer_port;
	uint32_t irs, rcv_nxt, ip_id;
	unsigned int frames, gso_frames, partial_frames, dups, ooo, acks, max_frame;
	unsigned int gso_size_min, gso_size_max;
};

static bool seq_lt(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}

/* Frees the TX chains the device is done with; the ring holds our ACKs only. */
static void tx_reclaim(void)
{
	struct netdrv_used u;

	while (netdrv_used_pending(&H.d, VNET_TXQ)) {
		CHECK(netdrv_take_used(&H.d, VNET_TXQ, &u), "TX used entry names no chain");
		CHECK_EQ(u.len, 0, "TX used length");
	}
}

/* guest -> 10.99.1.1: SYN-ACK (with the MSS option, full checksum) or ACK (NEEDS_CSUM). */
static void send_segment(struct guest_tcp *g, bool syn)
{
	static const uint8_t mss_opt[4] = {2, 4, TCP_MSS >> 8, TCP_MSS & 0xff};
	struct netpkt_flow fl = h_flow_tx();
	struct virtio_net_hdr_v1 h = {.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
				      .csum_start = NETPKT_L4_AT,
				      .csum_offset = 16};
	uint8_t *ip = frame + NETPKT_ETH_LEN;
	uint32_t len;
	int64_t end = h_now_ms() + H_WAIT_MS;

	fl.dst_ip = H_HOSTA_IP;
	fl.sport = TCP_PORT;
	fl.dport = g->peer_port;
	len = (uint32_t)netpkt_tcp4(frame, sizeof(frame), &fl, syn ? TCP_ISS : TCP_ISS + 1,
				    g->rcv_nxt, NETPKT_TCP_ACK | (syn ? NETPKT_TCP_SYN : 0),
				    mss_opt, syn ? 4 : 0, true);
	h_put16(ip + 4, (uint16_t)g->ip_id++);
	h_put16(ip + 10, 0);
	h_put16(ip + 10, (uint16_t)~netpkt_fold(netpkt_sum(ip, NETPKT_IP4_LEN, 0)));
	if (syn) {
		/* The 4 "payload" bytes are the option: 24-byte header; finish the checksum here.
		 */
		frame[NETPKT_L4_AT + 12] = 6 << 4;
		netpkt_finish_csum(frame, len, NETPKT_L4_AT, 16);
	}
	for (;;) {
		tx_reclaim();
		if (netdrv_tx(&H.d, syn ? NULL : &h, frame, len, NULL, 0, 0) >= 0)
			break;
		CHECK(h_now_ms() < end, "TX ring stays full");
		usleep(100);
	}
	g->acks++;
}

/* One frame for the guest's port: check its header against the features, then take its data. */
static void tcp_input(struct guest_tcp *g)
{
	uint8_t *ip = rx.frame + NETPKT_ETH_LEN, *tcp;
	uint32_t seq, plen, ihl, tot;
	const struct virtio_net_hdr_v1 *h = &rx.hdr;

	CHECK(rx.len >= NETPKT_TCP_DATA && h_get16(rx.frame + 12) == 0x0800 && ip[9] == 6 &&
		      h_get32(ip + 16) == H_GUEST_IP,
	      "frame %u: not TCP/IPv4 to the guest", g->frames);
	ihl = (ip[0] & 15) * 4u;
	tot = h_get16(ip + 2);
	tcp = ip + ihl;
	CHECK(h_get16(tcp + 2) == TCP_PORT, "frame %u: to port %u", g->frames, h_get16(tcp + 2));
	CHECK(NETPKT_ETH_LEN + tot == rx.len, "frame %u: IP length %u, frame %u", g->frames, tot,
	      rx.len);
	g->frames++;
	g->max_frame = MAX(g->max_frame, rx.len);
	if (h->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) {
		CHECK(H.o.guest_csum, "NEEDS_CSUM without GUEST_CSUM");
		CHECK(h->csum_start == NETPKT_L4_AT && h->csum_offset == 16, "NEEDS_CSUM at %u/%u",
		      h->csum_start, h->csum_offset);
		netpkt_finish_csum(rx.frame, rx.len, h->csum_start, h->csum_offset);
		g->partial_frames++;
	} else {
		CHECK(H.o.guest_csum || h->flags == 0, "flags 0x%x without GUEST_CSUM", h->flags);
	}
	CHECK(netpkt_l4_csum_ok(rx.frame, rx.len),
	      "frame %u (%u bytes, gso %u): TCP checksum wrong", g->frames, rx.len, h->gso_type);
	if (h->gso_type != VIRTIO_NET_HDR_GSO_NONE) {
		CHECK(H.o.guest_tso, "gso_type %u without GUEST_TSO4", h->gso_type);
		CHECK(h->gso_type == VIRTIO_NET_HDR_GSO_TCPV4, "gso_type %u", h->gso_type);
		CHECK(h->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM, "GSO frame without NEEDS_CSUM");
		CHECK(h->gso_size > 0 && h->gso_size <= TCP_MSS, "gso_size %u", h->gso_size);
		g->gso_size_min = MIN(g->gso_size_min, h->gso_size);
		g->gso_size_max = MAX(g->gso_size_max, h->gso_size);
		g->gso_frames++;
	} else {
		CHECK(rx.len <= NETPKT_ETH_LEN + 1500, "a %u-byte frame without GSO", rx.len);
	}
	seq = h_get32(tcp + 4);
	plen = tot - ihl - (tcp[12] >> 4) * 4u;
	if (tcp[13] & NETPKT_TCP_SYN) {
		CHECK(!g->established || seq == g->irs, "a second connection (SYN %u, first %u)",
		      seq, g->irs);
		if (!g->established) {
			g->peer_port = h_get16(tcp);
			g->irs = seq;
			g->rcv_nxt = seq + 1;
			g->established = true;
		}
		send_segment(g, true); /* again for a retransmitted SYN */
		return;
	}
	CHECK(g->established, "data before the handshake");
	g->need_ack |= plen > 0 || (tcp[13] & NETPKT_TCP_FIN);
	if (seq == g->rcv_nxt) {
		uint32_t off = seq - g->irs - 1;

		CHECK(off + plen <= TCP_TOTAL, "data past the stream's end (%u + %u)", off, plen);
		memcpy(got + off, tcp + (tcp[12] >> 4) * 4u, plen);
		g->rcv_nxt += plen;
		if (tcp[13] & NETPKT_TCP_FIN) {
			g->rcv_nxt++;
			g->fin = true;
		}
	} else if (seq_lt(seq, g->rcv_nxt)) {
		g->dups++; /* a retransmission of what we have */
	} else {
		g->ooo++; /* a gap: the cumulative ACK below asks for it again */
	}
}

int h_case_tcp_stream(void)
{
	struct guest_tcp g = {.ip_id = 1, .gso_size_min = UINT32_MAX};
	struct sender snd = {0};
	uint64_t csum_err0 = h_snmp("Tcp", "InCsumErrors");
	int64_t t0, end;

	sent = malloc(TCP_TOTAL);
	got = malloc(TCP_TOTAL);
	CHECK(sent && got, "out of memory");
	netpkt_pattern(sent, TCP_TOTAL, 77);
	memset(got, 0, TCP_TOTAL);
	h_dev_open(0);
	h_rx_refill();
	t0 = h_now_ms();
	end = t0 + TCP_DEADLINE_MS;
	CHECK(pthread_create(&snd.thread, NULL, sender_main, &snd) == 0, "pthread_create");
	while (!g.fin) {
		if (h_now_ms() > end) {
			h_fail("after %d ms the guest has %u of %u bytes (sender: %zu written, %s)",
			       TCP_DEADLINE_MS, g.rcv_nxt - g.irs - 1, TCP_TOTAL, snd.done,
			       strerror(snd.err));
		}
		if (!h_rx_next(&rx, 100))
			continue;
		tcp_input(&g);
		/* Everything the device has handed over so far, then one cumulative ACK. */
		while (netdrv_used_pending(&H.d, VNET_RXQ) && h_rx_next(&rx, H_WAIT_MS))
			tcp_input(&g);
		h_rx_refill();
		if (g.need_ack)
			send_segment(&g, false);
		g.need_ack = false;
	}
	pthread_join(snd.thread, NULL);
	CHECK_EQ(g.rcv_nxt - g.irs - 2, TCP_TOTAL, "bytes before the FIN");
	CHECK(snd.err == 0, "the sender failed: %s", strerror(snd.err));
	CHECK_EQ(snd.done, TCP_TOTAL, "bytes the sender wrote");
	CHECK(!memcmp(sent, got, TCP_TOTAL), "the stream arrived damaged");
	usleep(50000);
	tx_reclaim();
	CHECK_EQ(h_snmp("Tcp", "InCsumErrors") - csum_err0, 0,
		 "Tcp InCsumErrors (the guest's NEEDS_CSUM ACKs)");
	if (H.o.guest_tso)
		CHECK(g.gso_frames > 0, "GUEST_TSO4 negotiated, yet no GSO frame in %u frames",
		      g.frames);
	if (H.o.guest_tso)
		CHECK_EQ(g.gso_size_min, TCP_MSS, "gso_size (the MSS the guest offered)");
	netdrv_stop(&H.d);
	CHECK_EQ(H.d.n.stats.rx_dropped, 0, "device rx_dropped");
	CHECK_EQ(H.d.n.stats.rx_gso, g.gso_frames, "device rx_gso");
	CHECK_EQ(H.d.n.stats.rx_csum_partial, g.partial_frames, "device rx_csum_partial");
	CHECK_EQ(H.d.n.stats.tx_dropped, 0, "device tx_dropped");
	CHECK_EQ(H.d.n.stats.tx_packets, g.acks, "device tx_packets (the guest's segments)");
	h_note("%u bytes in %lld ms: %u frames (%u GSO, gso_size %u..%u, largest %u bytes, %u "
	       "NEEDS_CSUM), %u retransmitted, %u out of order; %u ACKs",
	       TCP_TOTAL, (long long)(h_now_ms() - t0), g.frames, g.gso_frames,
	       g.gso_frames ? g.gso_size_min : 0, g.gso_frames ? g.gso_size_max : 0, g.max_frame,
	       g.partial_frames, g.dups, g.ooo, g.acks);
	free(sent);
	free(got);
	return 0;
}
