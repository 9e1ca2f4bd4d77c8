// SPDX-License-Identifier: MIT
// The offload verifier: the guest's virtio-net header (virtio 1.2 §5.1.6.2) checked against
// the frame it describes. Every check is a fact about the bytes, named by a kind.
#include <endian.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "net/verify.h"

#define ETH_MIN_FRAME	60	/* without the FCS: shorter frames are padded to it */

const char *const verify_kind_names[VERIFY_KIND_MAX] = {
	[VERIFY_NO_L4] = "no_l4",
	[VERIFY_CSUM_START] = "csum_start",
	[VERIFY_CSUM_OFFSET] = "csum_offset",
	[VERIFY_CSUM_PARTIAL] = "csum_partial",
	[VERIFY_HDR_LEN] = "hdr_len",
	[VERIFY_GSO_SIZE] = "gso_size",
	[VERIFY_GSO_TYPE] = "gso_type",
	[VERIFY_IP_LEN] = "ip_len",
};

static void mark(struct verify_result *r, enum verify_kind k)
{
	r->kinds |= 1u << k;
}

/*
 * The L4 length the pseudo-header counts: up to the end the IP header names
 * (a frame padded to Ethernet's 60 bytes carries bytes past it), else to the
 * frame's end.
 */
static uint32_t l4_bytes(const struct l34 *p)
{
	uint32_t ip_end = (uint32_t)p->l3_off + p->ip_len;

	if (ip_end >= (uint32_t)p->l4_off + p->l4_len && ip_end <= p->frame_len)
		return ip_end - p->l4_off;
	return p->frame_len - p->l4_off;
}

/*
 * NEEDS_CSUM: the checksum must start at the L4 header, land on its checksum
 * field, and that field must hold the pseudo-header sum over the L4 length
 * (what Linux's tcp_v4_send_check leaves; the host folds the rest in). One's
 * complement has two zeros: 0x0000 and 0xffff are the same sum.
 */
static void check_csum(const struct l34 *p, struct verify_result *r)
{
	uint16_t want_off = p->proto == IPPROTO_TCP ? TCP_CSUM_OFF : UDP_CSUM_OFF;
	uint32_t field = (uint32_t)p->l4_off + want_off;

	if (r->csum_start != p->l4_off)
		mark(r, VERIFY_CSUM_START);
	if (r->csum_offset != want_off)
		mark(r, VERIFY_CSUM_OFFSET);
	if (field + 2 > p->copied)
		return;
	r->csum_field = l34_be16(p->hdr + field);
	r->csum_want = l34_fold(l34_pseudo_sum(p, l4_bytes(p)));
	if (r->csum_field != r->csum_want &&
	    !((r->csum_field == 0 || r->csum_field == 0xffff) &&
	      (r->csum_want == 0 || r->csum_want == 0xffff)))
		mark(r, VERIFY_CSUM_PARTIAL);
}

/* GSO: the type names the frame's IP version and protocol; sizes fit the headers and frame. */
static void check_gso(const struct l34 *p, struct verify_result *r)
{
	uint8_t type = r->gso_type & ~VIRTIO_NET_HDR_GSO_ECN;
	uint32_t hdrs = (uint32_t)p->l4_off + p->l4_len;
	bool ok;

	switch (type) {
	case VIRTIO_NET_HDR_GSO_TCPV4: ok = p->ip_version == 4 && p->proto == IPPROTO_TCP; break;
	case VIRTIO_NET_HDR_GSO_TCPV6: ok = p->ip_version == 6 && p->proto == IPPROTO_TCP; break;
	case VIRTIO_NET_HDR_GSO_UDP_L4: ok = p->proto == IPPROTO_UDP; break;
	default: ok = false; break;	/* UFO, or a type no spec names */
	}
	if (!ok)
		mark(r, VERIFY_GSO_TYPE);
	/*
	 * hdr_len is a hint (§5.1.6.2.2): Linux puts the linear part's length
	 * there, which may hold payload too, so only too short or past the frame
	 * is wrong.
	 */
	if (r->hdr_len < hdrs || r->hdr_len > p->frame_len)
		mark(r, VERIFY_HDR_LEN);
	if (r->gso_size == 0 || p->frame_len <= hdrs + r->gso_size)
		mark(r, VERIFY_GSO_SIZE);
}

uint32_t verify_frame(const struct virtio_net_hdr_v1 *hdr, const struct iovec *iov,
		      unsigned int nr_iov, uint32_t frame_len, struct verify_result *r)
{
	struct l34 p;

	memset(r, 0, sizeof(*r));
	r->len = frame_len;
	r->flags = hdr->flags;
	r->gso_type = hdr->gso_type;
	r->csum_start = le16toh(hdr->csum_start);
	r->csum_offset = le16toh(hdr->csum_offset);
	r->hdr_len = le16toh(hdr->hdr_len);
	r->gso_size = le16toh(hdr->gso_size);
	r->parse_err = l34_parse(iov, nr_iov, frame_len, &p);
	r->l3_off = p.l3_off;
	r->l4_off = p.l4_off;
	r->l4_len = p.l4_len;
	r->ip_version = p.ip_version;
	r->proto = p.proto;
	if (r->parse_err) {
		mark(r, VERIFY_NO_L4);
		return r->kinds;
	}
	/*
	 * The IP length must not run past the frame; short of it only in a
	 * frame padded to Ethernet's minimum of 60 bytes. (A super-frame's IP
	 * length is the super-frame's, Linux's GSO rewrites it per segment.)
	 */
	if (p.l3_off + p.ip_len > frame_len ||
	    (p.l3_off + p.ip_len < frame_len && frame_len > ETH_MIN_FRAME))
		mark(r, VERIFY_IP_LEN);
	if (hdr->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM)
		check_csum(&p, r);
	if (hdr->gso_type != VIRTIO_NET_HDR_GSO_NONE)
		check_gso(&p, r);
	return r->kinds;
}

int verify_describe(const struct verify_result *r, char *buf, size_t len)
{
	static const char *const l34_err_names[] = {
		[L34_OK] = "", [L34_ERR_SHORT] = "short", [L34_ERR_NOT_IP] = "not_ip",
		[L34_ERR_IP] = "bad_ip", [L34_ERR_EXT] = "ipv6_ext", [L34_ERR_NOT_L4] = "not_tcp_udp",
		[L34_ERR_TCP] = "bad_tcp",
	};
	char kinds[128] = "";
	size_t at = 0;

	for (int k = 0; k < VERIFY_KIND_MAX; k++)
		if (r->kinds & (1u << k) && at < sizeof(kinds))
			at += snprintf(kinds + at, sizeof(kinds) - at, "%s%s", at ? "," : "",
				       verify_kind_names[k]);
	return snprintf(buf, len, "%s: flags 0x%x csum_start %u csum_offset %u hdr_len %u "
			"gso_type %u gso_size %u | len %u l3 %u l4 %u l4_len %u ipv%u proto %u "
			"csum 0x%04x want 0x%04x%s%s", r->kinds ? kinds : "ok", r->flags,
			r->csum_start, r->csum_offset, r->hdr_len, r->gso_type, r->gso_size, r->len,
			r->l3_off, r->l4_off, r->l4_len, r->ip_version, r->proto, r->csum_field,
			r->csum_want, r->parse_err ? " parse " : "",
			r->parse_err < ARRAY_SIZE(l34_err_names) ?
				l34_err_names[r->parse_err] : "");
}
