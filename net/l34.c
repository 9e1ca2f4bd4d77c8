// SPDX-License-Identifier: MIT
// A bounded walk of a frame's L2/L3/L4 headers over its iovecs, and Internet checksums
// (RFC 1071). The frame's first bytes are copied once and walked in the copy, so a guest that
// rewrites its buffer meanwhile cannot make two reads disagree.
#include <netinet/in.h>
#include <string.h>

#include "net/l34.h"

#define ETH_HLEN_	14
#define VLAN_HLEN	4

bool l34_copy(const struct iovec *iov, unsigned int nr_iov, uint64_t off, void *dst, size_t len)
{
	uint8_t *d = dst;

	for (unsigned int i = 0; i < nr_iov && len; i++) {
		size_t chunk;

		if (off >= iov[i].iov_len) {
			off -= iov[i].iov_len;
			continue;
		}
		chunk = MIN(iov[i].iov_len - off, len);
		memcpy(d, (const uint8_t *)iov[i].iov_base + off, chunk);
		d += chunk;
		len -= chunk;
		off = 0;
	}
	return len == 0;
}

static bool has(const struct l34 *p, uint32_t end)
{
	return end <= p->copied;
}

/* Ethernet and up to L34_VLAN_MAX tags: the EtherType after them, 0 when cut short. */
static uint16_t walk_l2(struct l34 *p)
{
	uint16_t type;

	p->l3_off = ETH_HLEN_;
	if (!has(p, ETH_HLEN_))
		return 0;
	type = l34_be16(p->hdr + 12);
	while ((type == 0x8100 || type == 0x88a8) && p->vlans < L34_VLAN_MAX) {
		if (!has(p, p->l3_off + VLAN_HLEN))
			return 0;
		type = l34_be16(p->hdr + p->l3_off + 2);
		p->l3_off += VLAN_HLEN;
		p->vlans++;
	}
	return type;
}

static enum l34_err walk_ip4(struct l34 *p)
{
	const uint8_t *ip = p->hdr + p->l3_off;
	unsigned int ihl;

	if (!has(p, p->l3_off + IP4_MIN_HLEN))
		return L34_ERR_SHORT;
	ihl = (ip[0] & 0x0f) * 4;
	if (ip[0] >> 4 != 4 || ihl < IP4_MIN_HLEN)
		return L34_ERR_IP;
	p->ip_version = 4;
	p->ip_len = l34_be16(ip + 2);
	p->proto = ip[9];
	p->l4_off = p->l3_off + ihl;
	return has(p, p->l4_off) ? L34_OK : L34_ERR_SHORT;
}

/*
 * A routing header at off with segments left: the final destination is the
 * last address of a type 0 or 2 header (RFC 2460, RFC 6275 §6.4), or segment
 * list[0] of a segment routing header (type 4, RFC 8754 §2). Other types keep
 * the IPv6 header's destination.
 */
static void ip6_final_dst(struct l34 *p, uint32_t off)
{
	uint8_t type, addrs;
	uint32_t at;

	if (!has(p, off + 4) || p->hdr[off + 3] == 0)
		return;
	type = p->hdr[off + 2];
	addrs = p->hdr[off + 1] / 2;
	if (addrs == 0)
		return;
	if (type == 4)
		at = off + 8;
	else if (type == 0 || type == 2)
		at = off + 8 + 16 * (addrs - 1u);
	else
		return;
	if (has(p, at + 16))
		p->dst_off = (uint16_t)at;
}

/* IPv6 and its hop-by-hop, routing and destination options headers (RFC 8200 §4). */
static enum l34_err walk_ip6(struct l34 *p)
{
	const uint8_t *ip = p->hdr + p->l3_off;
	uint8_t next;
	uint32_t off = p->l3_off + IP6_HLEN;

	if (!has(p, off))
		return L34_ERR_SHORT;
	if (ip[0] >> 4 != 6)
		return L34_ERR_IP;
	p->ip_version = 6;
	p->ip_len = IP6_HLEN + l34_be16(ip + 4);
	p->dst_off = p->l3_off + 24;
	next = ip[6];
	for (unsigned int i = 0; next == 0 || next == 43 || next == 60; i++) {
		if (i == L34_EXT_MAX || !has(p, off + 2))
			return i == L34_EXT_MAX ? L34_ERR_EXT : L34_ERR_SHORT;
		if (next == 43)
			ip6_final_dst(p, off);
		next = p->hdr[off];
		off += (p->hdr[off + 1] + 1) * 8;
	}
	p->proto = next;
	p->l4_off = off;
	if (next == IP6_FRAG)
		return L34_ERR_EXT;	/* a fragment has no L4 header to offload */
	return has(p, off) ? L34_OK : L34_ERR_SHORT;
}

static enum l34_err walk_l4(struct l34 *p)
{
	if (p->proto == IPPROTO_UDP) {
		p->l4_len = UDP_HLEN;
	} else if (p->proto == IPPROTO_TCP) {
		if (!has(p, p->l4_off + 13u))
			return L34_ERR_SHORT;
		p->l4_len = (p->hdr[p->l4_off + 12] >> 4) * 4;
		if (p->l4_len < TCP_MIN_HLEN)
			return L34_ERR_TCP;
	} else {
		return L34_ERR_NOT_L4;
	}
	return has(p, (uint32_t)p->l4_off + p->l4_len) ? L34_OK : L34_ERR_SHORT;
}

enum l34_err l34_parse(const struct iovec *iov, unsigned int nr_iov, uint32_t frame_len, struct l34 *p)
{
	uint16_t type;
	enum l34_err err;

	memset(p, 0, offsetof(struct l34, hdr));
	p->frame_len = frame_len;
	p->copied = MIN(frame_len, (uint32_t)L34_HDR_MAX);
	if (!l34_copy(iov, nr_iov, 0, p->hdr, p->copied))
		p->copied = 0;
	type = walk_l2(p);
	if (!type)
		return L34_ERR_SHORT;
	if (type == 0x0800)
		err = walk_ip4(p);
	else if (type == 0x86dd)
		err = walk_ip6(p);
	else
		return L34_ERR_NOT_IP;
	return err ? err : walk_l4(p);
}

uint64_t l34_sum(uint64_t sum, const void *p, size_t len)
{
	const uint8_t *b = p;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(b[i] << 8 | b[i + 1]);
	if (i < len)
		sum += (uint32_t)b[i] << 8;
	return sum;
}

bool l34_sum_iov(const struct iovec *iov, unsigned int nr_iov, uint64_t off, size_t len,
		 uint64_t *sum)
{
	bool odd = false;	/* the next byte is the low half of a 16-bit word */
	uint64_t s = 0;

	for (unsigned int i = 0; i < nr_iov && len; i++) {
		const uint8_t *b;
		size_t chunk;

		if (off >= iov[i].iov_len) {
			off -= iov[i].iov_len;
			continue;
		}
		b = (const uint8_t *)iov[i].iov_base + off;
		chunk = MIN(iov[i].iov_len - off, len);
		off = 0;
		len -= chunk;
		if (odd && chunk) {
			s += *b++;
			chunk--;
			odd = false;
		}
		s = l34_sum(s, b, chunk);
		odd = chunk & 1;
	}
	*sum += s;
	return len == 0;
}

uint16_t l34_fold(uint64_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

uint64_t l34_pseudo_sum(const struct l34 *p, uint32_t l4_bytes)
{
	const uint8_t *ip = p->hdr + p->l3_off;
	uint64_t sum = p->proto + (uint64_t)l4_bytes;

	/* IPv4 addresses at 12 (8 bytes); IPv6 source at 8, destination as walked. */
	if (p->ip_version == 4)
		return l34_sum(sum, ip + 12, 8);
	return l34_sum(l34_sum(sum, ip + 8, 16), p->hdr + p->dst_off, 16);
}
