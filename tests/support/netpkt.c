// SPDX-License-Identifier: MIT
// Test frames: Ethernet + IPv4 + UDP/TCP built byte by byte, with full or partial (as Linux leaves
// them for CHECKSUM_PARTIAL) L4 checksums, and the checks that a received frame is intact.
#include <string.h>

#include "tests/support/netpkt.h"

const struct netpkt_flow netpkt_test_flow = {
	.src_mac = { 0x02, 0, 0, 0, 0, 0x02 }, .dst_mac = { 0x02, 0, 0, 0, 0, 0x01 },
	.src_ip = 0x0a630102, .dst_ip = 0x0a630202, .sport = 40000, .dport = 5201,
};

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, (uint16_t)v);
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

uint32_t netpkt_sum(const void *p, size_t len, uint32_t sum)
{
	const uint8_t *b = p;
	uint64_t s = sum;

	for (size_t i = 0; i + 1 < len; i += 2)
		s += get16(b + i);
	if (len & 1)
		s += (uint32_t)b[len - 1] << 8;
	while (s >> 32)
		s = (s & 0xffffffff) + (s >> 32);
	return (uint32_t)s;
}

uint16_t netpkt_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* RFC 768/793 pseudo-header: addresses, protocol, L4 length. */
static uint32_t pseudo_sum(const uint8_t *ip, uint8_t proto, uint16_t l4_len)
{
	uint32_t s = netpkt_sum(ip + 12, 8, 0);

	return s + proto + l4_len;
}

static size_t eth_ip4(uint8_t *buf, const struct netpkt_flow *f, uint8_t proto, size_t l4_len)
{
	uint8_t *ip = buf + NETPKT_ETH_LEN;

	memcpy(buf, f->dst_mac, 6);
	memcpy(buf + 6, f->src_mac, 6);
	put16(buf + 12, 0x0800);
	memset(ip, 0, NETPKT_IP4_LEN);
	ip[0] = 0x45;
	put16(ip + 2, (uint16_t)(NETPKT_IP4_LEN + l4_len));
	put16(ip + 4, 0x1234);
	put16(ip + 6, 0x4000);	/* DF */
	ip[8] = 64;
	ip[9] = proto;
	put32(ip + 12, f->src_ip);
	put32(ip + 16, f->dst_ip);
	put16(ip + 10, (uint16_t)~netpkt_fold(netpkt_sum(ip, NETPKT_IP4_LEN, 0)));
	return NETPKT_L4_AT;
}

/* The L4 checksum at off: full, or the folded pseudo-header sum a device will finish. */
static void l4_csum(uint8_t *frame, size_t l4_len, uint8_t proto, unsigned int off, bool partial)
{
	uint8_t *ip = frame + NETPKT_ETH_LEN, *l4 = frame + NETPKT_L4_AT;
	uint32_t ps = pseudo_sum(ip, proto, (uint16_t)l4_len);
	uint16_t c;

	put16(l4 + off, 0);
	if (partial) {
		put16(l4 + off, netpkt_fold(ps));
		return;
	}
	c = (uint16_t)~netpkt_fold(netpkt_sum(l4, l4_len, ps));
	if (proto == 17 && c == 0)
		c = 0xffff;	/* RFC 768: 0 means "no checksum" */
	put16(l4 + off, c);
}

size_t netpkt_udp4(uint8_t *buf, size_t max, const struct netpkt_flow *f, const void *payload,
		   size_t len, bool partial)
{
	size_t l4_len = NETPKT_UDP_LEN + len;
	uint8_t *udp = buf + NETPKT_L4_AT;

	if (NETPKT_L4_AT + l4_len > max || l4_len > 65535 - NETPKT_IP4_LEN)
		return 0;
	eth_ip4(buf, f, 17, l4_len);
	put16(udp, f->sport);
	put16(udp + 2, f->dport);
	put16(udp + 4, (uint16_t)l4_len);
	memcpy(udp + NETPKT_UDP_LEN, payload, len);
	l4_csum(buf, l4_len, 17, 6, partial);
	return NETPKT_L4_AT + l4_len;
}

size_t netpkt_tcp4(uint8_t *buf, size_t max, const struct netpkt_flow *f, uint32_t seq,
		   uint32_t ack, uint8_t tcp_flags, const void *payload, size_t len, bool partial)
{
	size_t l4_len = NETPKT_TCP_LEN + len;
	uint8_t *tcp = buf + NETPKT_L4_AT;

	if (NETPKT_L4_AT + l4_len > max || l4_len > 65535 - NETPKT_IP4_LEN)
		return 0;
	eth_ip4(buf, f, 6, l4_len);
	memset(tcp, 0, NETPKT_TCP_LEN);
	put16(tcp, f->sport);
	put16(tcp + 2, f->dport);
	put32(tcp + 4, seq);
	put32(tcp + 8, ack);
	tcp[12] = (NETPKT_TCP_LEN / 4) << 4;
	tcp[13] = tcp_flags;
	put16(tcp + 14, 65535);
	memcpy(tcp + NETPKT_TCP_LEN, payload, len);
	l4_csum(buf, l4_len, 6, 16, partial);
	return NETPKT_L4_AT + l4_len;
}

bool netpkt_ip4_csum_ok(const uint8_t *frame, size_t len)
{
	const uint8_t *ip = frame + NETPKT_ETH_LEN;
	size_t ihl;

	if (len < NETPKT_L4_AT || get16(frame + 12) != 0x0800 || (ip[0] >> 4) != 4)
		return false;
	ihl = (ip[0] & 15) * 4u;
	return ihl >= NETPKT_IP4_LEN && NETPKT_ETH_LEN + ihl <= len &&
	       netpkt_fold(netpkt_sum(ip, ihl, 0)) == 0xffff;
}

bool netpkt_l4_csum_ok(const uint8_t *frame, size_t len)
{
	const uint8_t *ip = frame + NETPKT_ETH_LEN;
	size_t ihl, tot, l4_len;

	if (!netpkt_ip4_csum_ok(frame, len))
		return false;
	ihl = (ip[0] & 15) * 4u;
	tot = get16(ip + 2);
	if (tot < ihl || NETPKT_ETH_LEN + tot > len)
		return false;
	l4_len = tot - ihl;
	if (ip[9] != 6 && ip[9] != 17)
		return false;
	return netpkt_fold(netpkt_sum(ip + ihl, l4_len, pseudo_sum(ip, ip[9], (uint16_t)l4_len))) ==
	       0xffff;
}

void netpkt_finish_csum(uint8_t *frame, size_t len, uint16_t start, uint16_t off)
{
	if ((size_t)start + off + 2 > len)
		return;
	put16(frame + start + off, (uint16_t)~netpkt_fold(netpkt_sum(frame + start, len - start, 0)));
}

void netpkt_pattern(uint8_t *p, size_t len, uint32_t seed)
{
	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)(seed * 131 + i * 7 + (i >> 8));
}
