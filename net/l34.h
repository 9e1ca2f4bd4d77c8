// SPDX-License-Identifier: MIT
// A bounded walk of a frame's headers (Ethernet with up to two VLAN tags, IPv4 or IPv6 with a
// few extension headers, TCP or UDP) over the frame's iovecs, and the Internet checksum
// (RFC 1071) over bytes and iovecs. Shared by the offload verifier and the software fallback.
#ifndef MINNOW_NET_L34_H
#define MINNOW_NET_L34_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "base/compiler.h"

#define L34_HDR_MAX	256	/* bytes copied from the frame's start: all headers must fit */
#define L34_VLAN_MAX	2	/* 802.1Q / 802.1ad tags walked */

/* Header layout (RFC 791, RFC 8200, RFC 768, RFC 9293), for every user of the walk. */
#define IP4_MIN_HLEN	20
#define IP6_HLEN	40
#define IP6_FRAG	44	/* the fragment header's next-header value */
#define UDP_HLEN	8
#define UDP_CSUM_OFF	6	/* the checksum field's offset in a UDP header */
#define TCP_MIN_HLEN	20
#define TCP_DOFF_OFF	12	/* data-offset byte: header length in 32-bit words, high nibble */
#define TCP_FLAGS_OFF	13
#define TCP_CSUM_OFF	16	/* ... in a TCP header */
#define TCP_FIN		0x01
#define TCP_PSH		0x08
#define TCP_CWR		0x80
#define L34_EXT_MAX	4	/* IPv6 extension headers walked */

/* Why a frame's headers could not be walked to TCP or UDP. */
/* The verdict on a frame's headers (a fact about guest bytes, not a host error). */
enum l34_err {
	L34_OK,
	L34_ERR_SHORT,	/* the frame ends inside a header, or headers past L34_HDR_MAX */
	L34_ERR_NOT_IP,		/* EtherType neither IPv4 nor IPv6 (after the tags) */
	L34_ERR_IP,		/* bad IP header: version, IHL < 5 */
	L34_ERR_EXT,		/* IPv6: a fragment, or more extension headers than we walk */
	L34_ERR_NOT_L4,		/* the IP payload is neither TCP nor UDP */
	L34_ERR_TCP,		/* TCP data offset below 5 */
};

/* The frame's layout; hdr holds its first `copied` bytes, read once. */
struct l34 {
	uint32_t frame_len;
	uint32_t copied;
	uint16_t l3_off;	/* after Ethernet and the tags */
	uint16_t l4_off;	/* after the IP header and its extensions */
	uint16_t l4_len;	/* TCP header with options, or 8 for UDP */
	uint32_t ip_len;	/* bytes the IP header says the packet has, from l3_off */
	uint8_t ip_version;	/* 4 or 6 */
	uint8_t proto;		/* IPPROTO_TCP or IPPROTO_UDP */
	uint8_t vlans;
	/*
	 * IPv6: where the destination the pseudo-header names lies: the IPv6
	 * header's, or with a routing header that has segments left the final
	 * one (RFC 8200 §8.1), which is what a sender's partial checksum holds.
	 */
	uint16_t dst_off;
	uint8_t hdr[L34_HDR_MAX];
};

/*
 * Walks the headers of a frame_len-byte frame held in iov. Copies at most
 * L34_HDR_MAX bytes, never reads past frame_len, and fills as much of p as it
 * got through (l3_off, ip_version, l4_off, proto) even when it fails.
 * Returns L34_OK or what is wrong with the headers.
 */
enum l34_err l34_parse(const struct iovec *iov, unsigned int nr_iov, uint32_t frame_len, struct l34 *p);

/* Copies len bytes at off of the frame in iov into dst: whether the frame had them all. */
bool l34_copy(const struct iovec *iov, unsigned int nr_iov, uint64_t off, void *dst, size_t len);

/* Adds len bytes to a 32-bit one's-complement accumulator, as 16-bit big-endian words. */
uint64_t l34_sum(uint64_t sum, const void *p, size_t len);
/* The same over the frame's bytes [off, off + len): false when the frame is shorter. */
bool l34_sum_iov(const struct iovec *iov, unsigned int nr_iov, uint64_t off, size_t len,
		 uint64_t *sum);
/* Folds an accumulator to 16 bits (not complemented). */
uint16_t l34_fold(uint64_t sum);
/* The pseudo-header sum (RFC 793/768, RFC 8200 §8.1) for l4_bytes of L4 from p's addresses. */
uint64_t l34_pseudo_sum(const struct l34 *p, uint32_t l4_bytes);

static inline uint16_t l34_be16(const uint8_t *b)
{
	return (uint16_t)(b[0] << 8 | b[1]);
}

static inline void l34_put16(uint8_t *b, uint16_t v)
{
	b[0] = v >> 8;
	b[1] = v & 0xff;
}

#endif
