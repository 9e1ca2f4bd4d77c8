// SPDX-License-Identifier: MIT
// Probe guest TCP wire format: IPv4 + TCP segments built in place (full or partial checksums,
// TSO super-frames) and received segments parsed and checked. Written from RFC 9293, RFC 7323
// (window scale) and virtio 1.2 §5.1.6.2.
#include "tcp.h"

#define IP4_DF	    0x4000
#define IP4_MF	    0x2000
#define IP4_OFFMASK 0x1fff
#define IP4_TTL	    64
#define OPT_EOL	    0
#define OPT_NOP	    1
#define OPT_MSS	    2
#define OPT_WSCALE  3

/* RFC 9293 §3.1: source, destination, zero, protocol 6, TCP length. */
static uint32_t pseudo_sum(uint32_t src, uint32_t dst, uint32_t tcp_len)
{
	uint8_t ph[12];

	be32_put(ph, src);
	be32_put(ph + 4, dst);
	ph[8] = 0;
	ph[9] = NET_IP_TCP;
	be16_put(ph + 10, (uint16_t)tcp_len);
	return net_csum_add(0, ph, sizeof(ph));
}

uint32_t tcp_build(uint8_t *frame, const struct net_addr *src, const struct net_addr *dst,
		   const struct tcp_seg *s, const uint8_t *opts, uint32_t optlen, uint32_t len,
		   const struct tcp_tx_opts *o, struct virtio_net_hdr *hdr, bool *gso)
{
	static uint16_t ip_id;
	uint8_t *ip = frame + NET_ETH_HLEN, *th = ip + NET_IP4_HLEN;
	uint32_t thlen = TCP_HLEN + optlen, tcp_len = thlen + len;

	*gso = o->partial && o->gso_size && len > o->gso_size;
	memcpy(frame, dst->mac, 6);
	memcpy(frame + 6, src->mac, 6);
	be16_put(frame + 12, NET_ETH_P_IP);
	ip[0] = 0x45;
	ip[1] = 0;
	be16_put(ip + 2, (uint16_t)(NET_IP4_HLEN + tcp_len));
	be16_put(ip + 4, ip_id);
	/* The device's segmentation gives each segment the next ID, as Linux's TSO does. */
	ip_id = (uint16_t)(ip_id + (*gso ? (len + o->gso_size - 1) / o->gso_size : 1));
	be16_put(ip + 6, IP4_DF);
	ip[8] = IP4_TTL;
	ip[9] = NET_IP_TCP;
	be16_put(ip + 10, 0);
	be32_put(ip + 12, src->ip);
	be32_put(ip + 16, dst->ip);
	be16_put(ip + 10, (uint16_t)~net_csum_fold(net_csum_add(0, ip, NET_IP4_HLEN)));

	be16_put(th, src->port);
	be16_put(th + 2, dst->port);
	be32_put(th + 4, s->seq);
	be32_put(th + 8, s->ack);
	th[12] = (uint8_t)(thlen / 4 << 4);
	th[13] = s->flags;
	be16_put(th + 14, s->window);
	be16_put(th + 16, 0);
	be16_put(th + 18, 0); /* urgent pointer */
	if (optlen)
		memcpy(th + TCP_HLEN, opts, optlen);
	if (o->partial) {
		/*
		 * §5.1.6.2: the device sums from csum_start to the end and stores
		 * the complement at csum_start + csum_offset; the field holds the
		 * pseudo-header sum with the length of this (super-)frame's TCP
		 * part, as Linux writes it: segmentation adjusts it per segment.
		 */
		be16_put(th + TCP_CSUM_OFF, net_csum_fold(pseudo_sum(src->ip, dst->ip, tcp_len)));
		hdr->flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
		hdr->csum_start = NET_ETH_HLEN + NET_IP4_HLEN;
		hdr->csum_offset = TCP_CSUM_OFF;
		if (*gso) {
			hdr->gso_type = VIRTIO_NET_HDR_GSO_TCPV4;
			hdr->gso_size = o->gso_size;
			hdr->hdr_len = (uint16_t)(NET_ETH_HLEN + NET_IP4_HLEN + thlen);
		}
	} else {
		be16_put(th + TCP_CSUM_OFF,
		      (uint16_t)~net_csum_fold(
			      net_csum_add(pseudo_sum(src->ip, dst->ip, tcp_len), th, tcp_len)));
	}
	return NET_ETH_HLEN + NET_IP4_HLEN + tcp_len;
}

/* RFC 9293 §3.2: kinds 0 and 1 are one byte, the others kind, length, data. */
static bool parse_options(const uint8_t *o, uint32_t n, struct tcp_seg *s)
{
	uint32_t i = 0;

	while (i < n) {
		uint8_t kind = o[i], olen;

		if (kind == OPT_EOL)
			break;
		if (kind == OPT_NOP) {
			i++;
			continue;
		}
		if (i + 1 >= n || (olen = o[i + 1]) < 2 || i + olen > n)
			return false;
		if (kind == OPT_MSS && olen == 4)
			s->opt_mss = be16_get(o + i + 2);
		else if (kind == OPT_WSCALE && olen == 3)
			s->opt_wscale = o[i + 2] > 14 ? 14 : o[i + 2]; /* RFC 7323 §2.3 */
		i += olen;
	}
	return true;
}

int tcp_parse(const uint8_t *frame, uint32_t len, bool skip_l4, struct tcp_seg *s, const char **why)
{
	const uint8_t *ip = frame + NET_ETH_HLEN, *th;
	uint32_t ihl, total, thlen, tcp_len;

	memset(s, 0, sizeof(*s));
	s->opt_mss = -1;
	s->opt_wscale = -1;
	if (len < NET_ETH_HLEN + NET_IP4_HLEN || be16_get(frame + 12) != NET_ETH_P_IP ||
	    ip[0] >> 4 != 4 || ip[9] != NET_IP_TCP)
		return 0;
	len -= NET_ETH_HLEN;
	ihl = (uint32_t)(ip[0] & 0xf) * 4;
	if (ihl < NET_IP4_HLEN || ihl > len || (total = be16_get(ip + 2)) < ihl || total > len) {
		*why = "ipv4 header";
		return -1;
	}
	if (net_csum_fold(net_csum_add(0, ip, ihl)) != 0xffff) {
		*why = "ipv4 header checksum";
		return -1;
	}
	if (be16_get(ip + 6) & (IP4_MF | IP4_OFFMASK))
		return 0;
	s->src_ip = be32_get(ip + 12);
	s->dst_ip = be32_get(ip + 16);
	th = ip + ihl;
	tcp_len = total - ihl;
	if (tcp_len < TCP_HLEN || (thlen = (uint32_t)(th[12] >> 4) * 4) < TCP_HLEN ||
	    thlen > tcp_len) {
		*why = "tcp header length";
		return -1;
	}
	s->sport = be16_get(th);
	s->dport = be16_get(th + 2);
	s->seq = be32_get(th + 4);
	s->ack = be32_get(th + 8);
	s->flags = th[13];
	s->window = be16_get(th + 14);
	s->payload = th + thlen;
	s->len = tcp_len - thlen;
	if (!parse_options(th + TCP_HLEN, thlen - TCP_HLEN, s)) {
		*why = "tcp options";
		return -1;
	}
	if (skip_l4)
		return 1;
	s->csum_checked = true;
	if (net_csum_fold(net_csum_add(pseudo_sum(s->src_ip, s->dst_ip, tcp_len), th, tcp_len)) !=
	    0xffff) {
		*why = "tcp checksum";
		return -1;
	}
	return 1;
}
