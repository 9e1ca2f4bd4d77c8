// SPDX-License-Identifier: MIT
// Software offloads: the virtio checksum rule and TCP/UDP segmentation matching what Linux's
// GSO (tcp_gso_segment, __udp_gso_segment, inet_gso_segment, ipv6_gso_segment) puts on the
// wire, so a frame looks the same whether the tap or minnow finished it.
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "net/l34.h"
#include "net/soft.h"

const char *const soft_err_names[SOFT_ERR_MAX] = {
	[0] = "ok",
	[SOFT_ERR_LAYOUT] = "layout",
	[SOFT_ERR_SHORT] = "short",
};

/* One frame to the sink, counted: 0 or the sink's -errno. */
static int soft_emit(const struct soft_sink *sink, const uint8_t *f, size_t len,
		     struct soft_result *res)
{
	int ret = sink->emit(sink->ctx, f, len);

	if (!ret)
		res->frames++;
	return ret;
}

void soft_caps(struct net_caps *caps)
{
	caps->tx_csum = caps->tx_tso4 = caps->tx_tso6 = caps->tx_ecn = true;
}

/* Checksum only: sum from csum_start to the end, complement, store (Linux skb_checksum_help). */
static int soft_csum(const struct net_tx_meta *m, uint8_t *f, const struct soft_sink *sink,
		     struct soft_result *res)
{
	uint32_t start = (uint32_t)m->l2_len + m->l3_len;
	uint32_t field = start + (m->flags & NET_TX_CSUM_TCP ? TCP_CSUM_OFF : UDP_CSUM_OFF);
	uint16_t sum;

	if (field + 2 > m->len) {
		res->err = SOFT_ERR_LAYOUT;
		return 0;
	}
	sum = (uint16_t)~l34_fold(l34_sum(0, f + start, m->len - start));
	/* A computed 0 goes out as 0xffff: in UDP, 0 would mean "no checksum" (RFC 768). */
	l34_put16(f + field, sum ? sum : 0xffff);
	return soft_emit(sink, f, m->len, res);
}

/* The per-segment fixes of one segment of seg_len bytes, the i-th of nseg. */
static void soft_fix(const struct l34 *p, uint8_t *s, uint32_t seg_len, uint32_t i,
		     uint32_t nseg, uint16_t mss)
{
	uint8_t *ip = s + p->l3_off, *l4 = s + p->l4_off;
	uint32_t l4_bytes = seg_len - p->l4_off;
	uint16_t field = p->proto == IPPROTO_TCP ? TCP_CSUM_OFF : UDP_CSUM_OFF, sum;

	if (p->ip_version == 4) {
		l34_put16(ip + 2, (uint16_t)(seg_len - p->l3_off));
		l34_put16(ip + 4, (uint16_t)(l34_be16(ip + 4) + i));
		l34_put16(ip + 10, 0);
		l34_put16(ip + 10, (uint16_t)~l34_fold(l34_sum(0, ip, (ip[0] & 0x0f) * 4u)));
	} else {
		l34_put16(ip + 4, (uint16_t)(seg_len - p->l3_off - 40));
	}
	if (p->proto == IPPROTO_TCP) {
		uint32_t seq = (uint32_t)l34_be16(l4 + 4) << 16 | l34_be16(l4 + 6);

		seq += i * (uint32_t)mss;
		l4[4] = seq >> 24;
		l4[5] = seq >> 16;
		l4[6] = seq >> 8;
		l4[7] = seq;
		if (i > 0)
			l4[TCP_FLAGS_OFF] &= ~TCP_CWR;
		if (i + 1 < nseg)
			l4[TCP_FLAGS_OFF] &= ~(TCP_FIN | TCP_PSH);
	} else {
		l34_put16(l4 + 4, (uint16_t)l4_bytes);
	}
	l34_put16(l4 + field, 0);
	sum = (uint16_t)~l34_fold(l34_sum(l34_pseudo_sum(p, l4_bytes), l4, l4_bytes));
	if (p->proto == IPPROTO_UDP && sum == 0)
		sum = 0xffff;
	l34_put16(l4 + field, sum);
}

/* TSO/USO: the headers walked once, then one segment at a time. */
static int soft_segment(const struct net_tx_meta *m, const struct iovec *iov, unsigned int nr_iov,
			uint8_t *scratch, const struct soft_sink *sink, struct soft_result *res)
{
	struct l34 p;
	uint32_t hdrs, payload, nseg;
	bool tcp = m->flags & NET_TX_TSO;
	int ret;

	/* Segment only what the validated metadata describes; the bytes must agree. */
	if (l34_parse(iov, nr_iov, m->len, &p) || p.l4_off != m->l2_len + m->l3_len ||
	    p.l4_len != m->l4_len || p.proto != (tcp ? IPPROTO_TCP : IPPROTO_UDP) ||
	    p.ip_version != (m->flags & NET_TX_IPV4 ? 4 : 6) || m->mss == 0) {
		res->err = SOFT_ERR_LAYOUT;
		return 0;
	}
	hdrs = (uint32_t)p.l4_off + p.l4_len;
	payload = m->len - hdrs;
	nseg = payload ? (payload + m->mss - 1) / m->mss : 1;
	for (uint32_t i = 0; i < nseg; i++) {
		uint32_t chunk = MIN(payload - i * m->mss, (uint32_t)m->mss);

		memcpy(scratch, p.hdr, hdrs);
		if (!l34_copy(iov, nr_iov, hdrs + (uint64_t)i * m->mss, scratch + hdrs, chunk)) {
			res->err = SOFT_ERR_SHORT;
			return 0;
		}
		soft_fix(&p, scratch, hdrs + chunk, i, nseg, m->mss);
		ret = soft_emit(sink, scratch, hdrs + chunk, res);
		if (ret)
			return ret;
	}
	return 0;
}

int soft_send(const struct net_tx_meta *meta, const struct iovec *iov, unsigned int nr_iov,
	      uint8_t *scratch, const struct soft_sink *sink, struct soft_result *res)
{
	*res = (struct soft_result){ 0 };
	if (meta->len > SOFT_SCRATCH_LEN) {
		res->err = SOFT_ERR_SHORT;
		return 0;
	}
	if (meta->flags & (NET_TX_TSO | NET_TX_USO))
		return soft_segment(meta, iov, nr_iov, scratch, sink, res);
	if (!l34_copy(iov, nr_iov, 0, scratch, meta->len)) {
		res->err = SOFT_ERR_SHORT;
		return 0;
	}
	if (!(meta->flags & (NET_TX_CSUM_TCP | NET_TX_CSUM_UDP)))
		return soft_emit(sink, scratch, meta->len, res);
	return soft_csum(meta, scratch, sink, res);
}
