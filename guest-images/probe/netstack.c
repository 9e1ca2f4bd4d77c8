// SPDX-License-Identifier: MIT
// Probe guest minimal network layer: Ethernet, ARP, IPv4, UDP and their checksums.
#include "netstack.h"

#define IP4_DF	      0x4000
#define IP4_MF	      0x2000
#define IP4_OFFMASK   0x1fff
#define IP4_TTL	      64
#define ARP_HLEN      28
#define ARP_HTYPE_ETH 1

static const uint8_t mac_bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

uint32_t net_csum_add(uint32_t sum, const uint8_t *p, uint32_t n)
{
	uint64_t s = sum;
	uint32_t i = 0;

	for (; i + 1 < n; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (i < n)
		s += (uint32_t)p[i] << 8;
	while (s >> 32)
		s = (s & 0xffffffff) + (s >> 32);
	/* keep a headroom for the caller's next add: fold to 17 bits at most */
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (uint32_t)s;
}

uint16_t net_csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

static uint32_t pseudo_sum(uint32_t src, uint32_t dst, uint16_t udp_len)
{
	uint8_t ph[12];

	be32_put(ph, src);
	be32_put(ph + 4, dst);
	ph[8] = 0;
	ph[9] = NET_IP_UDP;
	be16_put(ph + 10, udp_len);
	return net_csum_add(0, ph, sizeof(ph));
}

int net_parse_ip4(struct str s, uint32_t *ip)
{
	uint32_t v = 0;
	size_t i = 0;

	for (unsigned int part = 0; part < 4; part++) {
		struct str d = {s.p + i, 0};
		uint64_t n;

		while (i < s.len && s.p[i] != '.') {
			i++;
			d.len++;
		}
		if (d.len > 3 || str_to_u64(d, 255, &n))
			return -1;
		v = v << 8 | (uint32_t)n;
		if (part < 3 && (i >= s.len || s.p[i++] != '.'))
			return -1;
	}
	if (i != s.len)
		return -1;
	*ip = v;
	return 0;
}

int net_parse_mac(struct str s, uint8_t mac[6])
{
	static const char hex[] = "0123456789abcdef";

	if (s.len != 17)
		return -1;
	for (unsigned int i = 0; i < 6; i++) {
		unsigned int v = 0;

		for (unsigned int k = 0; k < 2; k++) {
			char c = s.p[i * 3 + k];
			const char *h;

			if (c >= 'A' && c <= 'F')
				c = (char)(c - 'A' + 'a');
			for (h = hex; *h && *h != c; h++)
				;
			if (!*h)
				return -1;
			v = v << 4 | (unsigned int)(h - hex);
		}
		if (i < 5 && s.p[i * 3 + 2] != ':')
			return -1;
		mac[i] = (uint8_t)v;
	}
	return 0;
}

static void eth_build(uint8_t *frame, const uint8_t dst[6], const uint8_t src[6], uint16_t type)
{
	memcpy(frame, dst, 6);
	memcpy(frame + 6, src, 6);
	be16_put(frame + 12, type);
}

uint32_t net_udp_build(uint8_t *frame, const struct net_addr *src, const struct net_addr *dst,
		       uint32_t payload_len, bool partial, struct virtio_net_hdr *hdr)
{
	static uint16_t ip_id;
	uint8_t *ip = frame + NET_ETH_HLEN, *udp = ip + NET_IP4_HLEN;
	uint16_t udp_len = (uint16_t)(NET_UDP_HLEN + payload_len);
	uint16_t sum;

	eth_build(frame, dst->mac, src->mac, NET_ETH_P_IP);
	ip[0] = 0x45; /* version 4, IHL 5 */
	ip[1] = 0;
	be16_put(ip + 2, (uint16_t)(NET_IP4_HLEN + udp_len));
	be16_put(ip + 4, ip_id++);
	be16_put(ip + 6, IP4_DF);
	ip[8] = IP4_TTL;
	ip[9] = NET_IP_UDP;
	be16_put(ip + 10, 0);
	be32_put(ip + 12, src->ip);
	be32_put(ip + 16, dst->ip);
	be16_put(ip + 10, (uint16_t)~net_csum_fold(net_csum_add(0, ip, NET_IP4_HLEN)));

	be16_put(udp, src->port);
	be16_put(udp + 2, dst->port);
	be16_put(udp + 4, udp_len);
	be16_put(udp + 6, 0);
	if (partial) {
		/* §5.1.6.2: the device sums from csum_start and stores at csum_offset. */
		be16_put(udp + 6, net_csum_fold(pseudo_sum(src->ip, dst->ip, udp_len)));
		hdr->flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
		hdr->csum_start = NET_ETH_HLEN + NET_IP4_HLEN;
		hdr->csum_offset = NET_UDP_CSUM_OFF;
	} else {
		sum = (uint16_t)~net_csum_fold(
			net_csum_add(pseudo_sum(src->ip, dst->ip, udp_len), udp, udp_len));
		be16_put(udp + 6, sum ? sum : 0xffff); /* RFC 768: 0 means "no checksum" */
	}
	return NET_UDP_PAYLOAD + payload_len;
}

uint32_t net_arp_build(uint8_t *frame, uint16_t op, const uint8_t sha[6], uint32_t spa,
		       const uint8_t tha[6], uint32_t tpa)
{
	uint8_t *a = frame + NET_ETH_HLEN;

	memset(frame, 0, NET_ETH_MIN);
	eth_build(frame, op == NET_ARP_REQUEST ? mac_bcast : tha, sha, NET_ETH_P_ARP);
	be16_put(a, ARP_HTYPE_ETH);
	be16_put(a + 2, NET_ETH_P_IP);
	a[4] = 6;
	a[5] = 4;
	be16_put(a + 6, op);
	memcpy(a + 8, sha, 6);
	be32_put(a + 14, spa);
	if (op == NET_ARP_REPLY)
		memcpy(a + 18, tha, 6);
	be32_put(a + 24, tpa);
	return NET_ETH_MIN;
}

static void parse_arp(const uint8_t *a, uint32_t len, struct net_pkt *p)
{
	if (len < ARP_HLEN || be16_get(a) != ARP_HTYPE_ETH || be16_get(a + 2) != NET_ETH_P_IP ||
	    a[4] != 6 || a[5] != 4) {
		p->why = "arp (not Ethernet/IPv4)";
		return;
	}
	p->kind = NET_ARP;
	p->arp_op = be16_get(a + 6);
	p->arp_sha = a + 8;
	p->arp_spa = be32_get(a + 14);
	p->arp_tpa = be32_get(a + 24);
}

static void parse_udp(const uint8_t *u, uint32_t len, bool skip_l4, struct net_pkt *p)
{
	uint16_t ulen, field;

	if (len < NET_UDP_HLEN || (ulen = be16_get(u + 4)) < NET_UDP_HLEN || ulen > len) {
		p->kind = NET_BAD;
		p->why = "udp length";
		return;
	}
	p->sport = be16_get(u);
	p->dport = be16_get(u + 2);
	p->payload = u + NET_UDP_HLEN;
	p->payload_len = ulen - NET_UDP_HLEN;
	field = be16_get(u + 6);
	p->udp_csum_zero = field == 0;
	p->kind = NET_UDP;
	if (skip_l4 || p->udp_csum_zero)
		return;
	p->csum_checked = true;
	/* RFC 1071: the sum over pseudo-header, header and data is all ones when right. */
	if (net_csum_fold(net_csum_add(pseudo_sum(p->src_ip, p->dst_ip, ulen), u, ulen)) !=
	    0xffff) {
		p->kind = NET_BAD;
		p->why = "udp checksum";
	}
}

void net_parse(const uint8_t *frame, uint32_t len, bool skip_l4, struct net_pkt *p)
{
	const uint8_t *ip = frame + NET_ETH_HLEN;
	uint32_t ihl, total;
	uint16_t frag;

	memset(p, 0, sizeof(*p));
	p->kind = NET_OTHER;
	if (len < NET_ETH_HLEN) {
		p->kind = NET_BAD;
		p->why = "runt frame";
		return;
	}
	p->dst_mac = frame;
	p->src_mac = frame + 6;
	len -= NET_ETH_HLEN;
	switch (be16_get(frame + 12)) {
	case NET_ETH_P_ARP:
		parse_arp(ip, len, p);
		return;
	case NET_ETH_P_IP:
		break;
	default:
		p->why = "not IPv4";
		return;
	}
	ihl = (uint32_t)(ip[0] & 0xf) * 4;
	if (len < NET_IP4_HLEN || ip[0] >> 4 != 4 || ihl < NET_IP4_HLEN || ihl > len ||
	    (total = be16_get(ip + 2)) < ihl || total > len) {
		p->kind = NET_BAD;
		p->why = "ipv4 header";
		return;
	}
	if (net_csum_fold(net_csum_add(0, ip, ihl)) != 0xffff) {
		p->kind = NET_BAD;
		p->why = "ipv4 header checksum";
		return;
	}
	p->src_ip = be32_get(ip + 12);
	p->dst_ip = be32_get(ip + 16);
	frag = be16_get(ip + 6);
	if (frag & (IP4_MF | IP4_OFFMASK)) {
		p->why = "ipv4 fragment";
		return;
	}
	if (ip[9] != NET_IP_UDP) {
		p->why = "ipv4, not udp";
		return;
	}
	/* Ethernet pads short frames: the IPv4 total length says where the packet ends. */
	parse_udp(ip + ihl, total - ihl, skip_l4, p);
}

void net_pattern_fill(uint8_t *p, uint32_t len, uint32_t index)
{
	for (uint32_t k = 0; k < len; k++)
		p[k] = (uint8_t)(index + k);
	if (len >= 4)
		be32_put(p, index);
}

int64_t net_pattern_check(const uint8_t *p, uint32_t len)
{
	uint32_t index;

	if (len < 4)
		return -1;
	index = be32_get(p);
	for (uint32_t k = 4; k < len; k++) {
		if (p[k] != (uint8_t)(index + k))
			return -1;
	}
	return index;
}

uint32_t net_tcp_build(uint8_t *f, const struct net_addr *src, const struct net_addr *dst,
		       const struct net_tcp_spec *s, struct virtio_net_hdr *hdr)
{
	const uint32_t thl = 20, l4 = NET_ETH_HLEN + NET_IP4_HLEN, tcp_len = thl + s->payload;
	uint8_t *ip = f + NET_ETH_HLEN, *t = f + l4, ph[12];

	memcpy(f, dst->mac, 6);
	memcpy(f + 6, src->mac, 6);
	be16_put(f + 12, NET_ETH_P_IP);
	memset(ip, 0, NET_IP4_HLEN + thl);
	ip[0] = 0x45;
	be16_put(ip + 2, (uint16_t)(NET_IP4_HLEN + tcp_len));
	be16_put(ip + 6, 0x4000); /* DF */
	ip[8] = 64;
	ip[9] = 6; /* TCP */
	be32_put(ip + 12, src->ip);
	be32_put(ip + 16, dst->ip);
	be16_put(ip + 10, (uint16_t)~net_csum_fold(net_csum_add(0, ip, NET_IP4_HLEN)));
	be16_put(t, src->port);
	be16_put(t + 2, dst->port);
	be32_put(t + 4, s->seq);
	t[12] = (uint8_t)(s->doff << 4);
	t[13] = s->flags;
	be16_put(t + 14, 0xffff);
	net_pattern_fill(t + thl, s->payload, s->index);
	be32_put(ph, src->ip);
	be32_put(ph + 4, dst->ip);
	ph[8] = 0;
	ph[9] = 6;
	be16_put(ph + 10, (uint16_t)tcp_len);
	be16_put(t + 16, net_csum_fold(net_csum_add(0, ph, sizeof(ph))));
	hdr->flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	hdr->csum_start = (uint16_t)l4;
	hdr->csum_offset = 16;
	if (s->mss) {
		hdr->gso_type = VIRTIO_NET_HDR_GSO_TCPV4;
		hdr->gso_size = s->mss;
		hdr->hdr_len = (uint16_t)(l4 + thl);
	}
	return l4 + tcp_len;
}
