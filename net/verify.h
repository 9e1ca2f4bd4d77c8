// SPDX-License-Identifier: MIT
// The offload verifier (--net ...,verify=on): a guest's TX offload request (its virtio-net
// header) checked against the frame's own bytes, kind by kind. It reports; it changes nothing.
#ifndef MINNOW_NET_VERIFY_H
#define MINNOW_NET_VERIFY_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "base/uapi.h"
#include "net/l34.h"

/* What can disagree between the header and the frame: one counter each. */
enum verify_kind {
	VERIFY_NO_L4,		/* an offload on a frame that is not TCP/UDP over IPv4/IPv6 */
	VERIFY_CSUM_START,	/* csum_start is not where the TCP/UDP header starts */
	VERIFY_CSUM_OFFSET,	/* csum_offset is not 16 (TCP) or 6 (UDP) */
	VERIFY_CSUM_PARTIAL,	/* the checksum field does not hold the pseudo-header sum */
	VERIFY_HDR_LEN,		/* GSO: hdr_len shorter than the headers, or past the frame */
	VERIFY_GSO_SIZE,	/* GSO: gso_size 0, or the payload fits one segment */
	VERIFY_GSO_TYPE,	/* GSO type not the frame's IP version and protocol */
	VERIFY_IP_LEN,		/* the IP length field disagrees with the frame length */
	VERIFY_KIND_MAX,
};

extern const char *const verify_kind_names[VERIFY_KIND_MAX];

/* One frame's verdict: the kinds found, and the offsets behind them. */
struct verify_result {
	uint32_t kinds;		/* bit (1 << enum verify_kind) per mismatch */
	enum l34_err parse_err;	/* L34_OK when the headers were walked */
	uint32_t len;
	uint16_t csum_start, csum_offset, hdr_len, gso_size;
	uint8_t flags, gso_type;
	uint16_t l3_off, l4_off, l4_len;
	uint8_t ip_version, proto;
	uint16_t csum_field, csum_want;	/* the checksum field, and the pseudo-header sum */
};

/* Whether a header asks for an offload at all (the verifier looks at no other frame). */
static inline bool verify_wanted(const struct virtio_net_hdr_v1 *hdr)
{
	return (hdr->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) ||
	       hdr->gso_type != VIRTIO_NET_HDR_GSO_NONE;
}

/*
 * Checks the guest's header against the frame_len-byte frame in iov (header
 * excluded) and fills r. Reads at most L34_HDR_MAX bytes of the frame.
 * Returns r->kinds: 0 when header and bytes agree.
 */
uint32_t verify_frame(const struct virtio_net_hdr_v1 *hdr, const struct iovec *iov,
		      unsigned int nr_iov, uint32_t frame_len, struct verify_result *r);

/*
 * A one-line description of r into buf (always terminated; truncated to
 * len): the kinds, then the header's fields and the frame's offsets, e.g.
 * "csum_offset: csum_start 34 csum_offset 6 ... l4 34 tcp". For logs and
 * the capture's per-packet comment. Returns what snprintf returns.
 */
int verify_describe(const struct verify_result *r, char *buf, size_t len);

#endif
