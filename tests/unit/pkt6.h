// SPDX-License-Identifier: MIT
// Test frames for the offload verifier and the software fallback: Ethernet (optionally one
// 802.1Q tag), IPv4 or IPv6, TCP or UDP, each byte put by hand and the checksums summed by a
// plain RFC 1071 loop of the test's own, so expected bytes do not come from the code under test.
#ifndef MINNOW_TEST_PKT6_H
#define MINNOW_TEST_PKT6_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

enum { PKT_IP4 = 4, PKT_IP6 = 6 };
enum { PKT_TCP = 6, PKT_UDP = 17 };

struct pkt_spec {
	bool vlan;
	int ip, l4;
	uint16_t ip_id;		/* IPv4 */
	uint32_t seq;		/* TCP */
	uint8_t tcp_flags;
	unsigned int tcp_opts;	/* bytes of TCP options (NOPs), a multiple of 4 */
	uint32_t ip_len_override;	/* 0: the real length */
};

static uint32_t pkt_sum(const uint8_t *p, uint32_t len, uint32_t sum)
{
	for (uint32_t i = 0; i < len; i++)
		sum += i % 2 ? p[i] : (uint32_t)p[i] << 8;
	return sum;
}

static uint16_t pkt_cks(uint32_t sum)
{
	while (sum > 0xffff)
		sum = (sum >> 16) + (sum & 0xffff);
	return (uint16_t)~sum;
}

static void pkt_put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* The L3 offset, L4 offset and header length of a spec. */
static uint32_t pkt_l3(const struct pkt_spec *s)
{
	return s->vlan ? 18 : 14;
}

static uint32_t pkt_l4(const struct pkt_spec *s)
{
	return pkt_l3(s) + (s->ip == PKT_IP4 ? 20 : 40);
}

static uint32_t pkt_hdrs(const struct pkt_spec *s)
{
	return pkt_l4(s) + (s->l4 == PKT_TCP ? 20 + s->tcp_opts : 8);
}

/*
 * A frame of spec s with payload plen bytes from pay into out; full
 * checksums when full, else the L4 field holds the pseudo-header sum as
 * Linux leaves it for NEEDS_CSUM. Returns the frame length.
 */
static uint32_t pkt_build(const struct pkt_spec *s, const uint8_t *pay, uint32_t plen, bool full,
			  uint8_t *out)
{
	uint32_t l3 = pkt_l3(s), l4 = pkt_l4(s), h = pkt_hdrs(s), len = h + plen;
	uint32_t l4len = len - l4, ps;
	uint8_t *ip = out + l3, *t = out + l4;
	uint16_t field = s->l4 == PKT_TCP ? 16 : 6;

	memset(out, 0, h);
	memcpy(out, "\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02", 12);
	if (s->vlan) {
		pkt_put16(out + 12, 0x8100);
		pkt_put16(out + 14, 0x2007);	/* PCP 1, VID 7 */
	}
	pkt_put16(out + l3 - 2, s->ip == PKT_IP4 ? 0x0800 : 0x86dd);
	if (s->ip == PKT_IP4) {
		ip[0] = 0x45;
		pkt_put16(ip + 2, s->ip_len_override ? s->ip_len_override : len - l3);
		pkt_put16(ip + 4, s->ip_id);
		pkt_put16(ip + 6, 0x4000);	/* DF */
		ip[8] = 64;
		ip[9] = (uint8_t)s->l4;
		memcpy(ip + 12, "\x0a\x63\x01\x02\x0a\x63\x02\x02", 8);
		pkt_put16(ip + 10, pkt_cks(pkt_sum(ip, 20, 0)));
		ps = pkt_sum(ip + 12, 8, 0);
	} else {
		ip[0] = 0x60;
		ip[1] = 0x0a;	/* traffic class and flow label bits */
		pkt_put16(ip + 4, s->ip_len_override ? s->ip_len_override : len - l3 - 40);
		ip[6] = (uint8_t)s->l4;
		ip[7] = 64;
		for (int i = 0; i < 32; i++)
			ip[8 + i] = (uint8_t)(0xfd + i * 7);
		ps = pkt_sum(ip + 8, 32, 0);
	}
	ps += (uint32_t)s->l4 + (l4len >> 16) + (l4len & 0xffff);
	pkt_put16(t, 40000);
	pkt_put16(t + 2, 5201);
	if (s->l4 == PKT_TCP) {
		pkt_put16(t + 4, s->seq >> 16);
		pkt_put16(t + 6, s->seq & 0xffff);
		pkt_put16(t + 8, 0x1234);
		pkt_put16(t + 10, 0x5678);
		t[12] = (uint8_t)((20 + s->tcp_opts) / 4) << 4;
		t[13] = s->tcp_flags;
		pkt_put16(t + 14, 0xffff);
		memset(t + 20, 1, s->tcp_opts);	/* NOP options */
	} else {
		pkt_put16(t + 4, l4len);
	}
	memcpy(out + h, pay, plen);
	if (full) {
		uint16_t c = pkt_cks(pkt_sum(t, l4len, ps));

		pkt_put16(t + field, c == 0 && s->l4 == PKT_UDP ? 0xffff : c);
	} else {
		pkt_put16(t + field, (uint16_t)~pkt_cks(ps));
	}
	return len;
}

/*
 * Puts the n-byte IPv6 extension header ext (its own next header set by the
 * caller) between the IPv6 header of the untagged len-byte frame f and what
 * followed it: the IPv6 next header becomes type and its payload length grows
 * by n. Returns the new frame length.
 */
static inline uint32_t pkt_ip6_insert_ext(uint8_t *f, uint32_t len, uint8_t type,
					  const uint8_t *ext, uint32_t n)
{
	memmove(f + 54 + n, f + 54, len - 54);
	memcpy(f + 54, ext, n);
	f[20] = type;
	pkt_put16(f + 18, ((uint32_t)f[18] << 8 | f[19]) + n);
	return len + n;
}

#endif
