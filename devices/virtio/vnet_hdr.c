// SPDX-License-Identifier: MIT
// virtio-net header <-> metadata (virtio 1.2 §5.1.6): TX validation, RX header building, offload
// features with their dependencies and the tap's offload flags. Pure functions, no I/O.
#include <endian.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <stdbool.h>
#include <string.h>

#include "devices/virtio/vdev.h"
#include "devices/virtio/vnet_hdr.h"
#include "net/l34.h"

#define GSO_ECN		VIRTIO_NET_HDR_GSO_ECN

const char *const vnet_tx_err_names[VNET_TX_ERR_MAX] = {
	[0] = "ok",
	[VNET_TX_ERR_SHORT] = "short",
	[VNET_TX_ERR_LONG] = "long",
	[VNET_TX_ERR_CSUM_NOT_NEGOTIATED] = "csum_not_negotiated",
	[VNET_TX_ERR_CSUM_RANGE] = "csum_range",
	[VNET_TX_ERR_CSUM_OFFSET] = "csum_offset",
	[VNET_TX_ERR_L3] = "l3",
	[VNET_TX_ERR_GSO_TYPE] = "gso_type",
	[VNET_TX_ERR_GSO_NOT_NEGOTIATED] = "gso_not_negotiated",
	[VNET_TX_ERR_GSO_NO_CSUM] = "gso_no_csum",
	[VNET_TX_ERR_GSO_SIZE] = "gso_size",
	[VNET_TX_ERR_GSO_HEADERS] = "gso_headers",
};

static bool has(uint64_t features, unsigned int bit)
{
	return features & VIRTIO_BIT(bit);
}

/*
 * Copying (rather than pointing) means the guest, which can rewrite its
 * buffers at any time, is read exactly once; the frame may be cut across
 * iovecs at any byte.
 */
#define frame_copy l34_copy

static uint16_t be16_at(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/*
 * The GSO request on its own, before the frame is looked at: type known,
 * feature negotiated, ECN allowed, NEEDS_CSUM and gso_size present.
 */
static int tx_gso_gate(const struct virtio_net_hdr_v1 *hdr, uint64_t negotiated)
{
	uint8_t type = hdr->gso_type & ~GSO_ECN;
	unsigned int need;

	switch (type) {
	case VIRTIO_NET_HDR_GSO_NONE:
		/* The ECN bit marks a TCP super-frame (§5.1.6.2.1); alone it means nothing. */
		return hdr->gso_type & GSO_ECN ? VNET_TX_ERR_GSO_TYPE : 0;
	case VIRTIO_NET_HDR_GSO_TCPV4:
		need = VIRTIO_NET_F_HOST_TSO4;
		break;
	case VIRTIO_NET_HDR_GSO_TCPV6:
		need = VIRTIO_NET_F_HOST_TSO6;
		break;
	case VIRTIO_NET_HDR_GSO_UDP_L4:
		need = VIRTIO_NET_F_HOST_USO;
		break;
	default:
		/* UFO (3) is never offered, so it can never be negotiated. */
		return VNET_TX_ERR_GSO_TYPE;
	}
	/* §5.1.6.2.1: each GSO type only with its HOST_* feature. */
	if (!has(negotiated, need))
		return VNET_TX_ERR_GSO_NOT_NEGOTIATED;
	/* §5.1.6.2.1: the ECN bit only with HOST_ECN, and only on TCP segmentation. */
	if ((hdr->gso_type & GSO_ECN) &&
	    (type == VIRTIO_NET_HDR_GSO_UDP_L4 || !has(negotiated, VIRTIO_NET_F_HOST_ECN)))
		return VNET_TX_ERR_GSO_TYPE;
	/* §5.1.6.2.1: GSO MUST come with NEEDS_CSUM and an MSS in gso_size. */
	if (!(hdr->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM))
		return VNET_TX_ERR_GSO_NO_CSUM;
	if (le16toh(hdr->gso_size) == 0)
		return VNET_TX_ERR_GSO_SIZE;
	return 0;
}

/*
 * The L2 length and the IP version from the frame's first bytes: one 802.1Q
 * tag at most. Anything we cannot name (QinQ, stacked tags, non-IP) is dropped
 * rather than sent with a partial checksum nobody will finish.
 */
static int tx_l2_l3(const uint8_t *peek, uint32_t frame_len, uint8_t gso, struct net_tx_meta *meta)
{
	uint16_t type = be16_at(peek + 12);

	meta->l2_len = ETH_HLEN;
	if (type == ETH_P_8021Q) {
		if (frame_len < VNET_PEEK_LEN)
			return VNET_TX_ERR_L3;
		type = be16_at(peek + 16);
		meta->l2_len = VNET_PEEK_LEN;
	}
	if (type == ETH_P_IP)
		meta->flags |= NET_TX_IPV4;
	else if (type == ETH_P_IPV6)
		meta->flags |= NET_TX_IPV6;
	else
		return VNET_TX_ERR_L3;
	/* The GSO type names the IP version too: both must agree. */
	if ((gso == VIRTIO_NET_HDR_GSO_TCPV4 && type != ETH_P_IP) ||
	    (gso == VIRTIO_NET_HDR_GSO_TCPV6 && type != ETH_P_IPV6))
		return VNET_TX_ERR_L3;
	return 0;
}

/* csum_start/csum_offset (§5.1.6.2.1 item 3): inside the frame, past L2, TCP or UDP. */
static int tx_csum(const struct virtio_net_hdr_v1 *hdr, uint32_t frame_len,
		   struct net_tx_meta *meta)
{
	uint16_t start = le16toh(hdr->csum_start), off = le16toh(hdr->csum_offset);

	/* 64-bit sum: start + offset + 2 cannot wrap, whatever the guest wrote. */
	if (start <= meta->l2_len || (uint64_t)start + off + 2 > frame_len)
		return VNET_TX_ERR_CSUM_RANGE;
	meta->l3_len = start - meta->l2_len;
	/*
	 * Only TCP and UDP are named in the metadata; another offset (the
	 * generic scheme allows one) is dropped, never sent half-finished.
	 */
	if (off == TCP_CSUM_OFF)
		meta->flags |= NET_TX_CSUM_TCP;
	else if (off == UDP_CSUM_OFF)
		meta->flags |= NET_TX_CSUM_UDP;
	else
		return VNET_TX_ERR_CSUM_OFFSET;
	return 0;
}

/*
 * The L4 header length for segmentation, from the frame itself: hdr_len is a
 * hint the device MUST NOT rely on (§5.1.6.2.2). Segmenting rewrites the IP
 * header of each segment, so there must be a whole one before L4.
 */
static int tx_gso(const struct virtio_net_hdr_v1 *hdr, const struct iovec *iov,
		  unsigned int nr_iov, uint32_t frame_len, struct net_tx_meta *meta)
{
	uint8_t type = hdr->gso_type & ~GSO_ECN;
	uint32_t l4_at = (uint32_t)meta->l2_len + meta->l3_len;
	uint8_t doff;

	if (meta->l3_len < (meta->flags & NET_TX_IPV4 ? IP4_MIN_HLEN : IP6_HLEN))
		return VNET_TX_ERR_GSO_HEADERS;
	if (type == VIRTIO_NET_HDR_GSO_UDP_L4) {
		if (!(meta->flags & NET_TX_CSUM_UDP))
			return VNET_TX_ERR_CSUM_OFFSET;
		meta->l4_len = UDP_HLEN;
		meta->flags |= NET_TX_USO;
	} else {
		/* The checksum must be the TCP header's for TCP segmentation. */
		if (!(meta->flags & NET_TX_CSUM_TCP))
			return VNET_TX_ERR_CSUM_OFFSET;
		if (!frame_copy(iov, nr_iov, l4_at + TCP_DOFF_OFF, &doff, 1))
			return VNET_TX_ERR_GSO_HEADERS;
		meta->l4_len = (doff >> 4) * 4;
		if (meta->l4_len < TCP_MIN_HLEN)
			return VNET_TX_ERR_GSO_HEADERS;
		meta->flags |= NET_TX_TSO;
		if (hdr->gso_type & GSO_ECN)
			meta->flags |= NET_TX_ECN;
	}
	/* The headers must fit the frame, and the 16-bit hdr_len the tap will get. */
	if (l4_at + meta->l4_len > frame_len || l4_at + meta->l4_len > UINT16_MAX)
		return VNET_TX_ERR_GSO_HEADERS;
	/* Each segment gets a new IPv4 header, so a new header checksum. */
	if (meta->flags & NET_TX_IPV4)
		meta->flags |= NET_TX_CSUM_IP4;
	meta->mss = le16toh(hdr->gso_size);
	return 0;
}

static int tx_parse(const struct virtio_net_hdr_v1 *hdr, const struct iovec *frame,
		    unsigned int nr_iov, uint32_t frame_len, uint64_t negotiated,
		    struct net_tx_meta *meta)
{
	uint8_t peek[VNET_PEEK_LEN] = { 0 };
	uint8_t gso = hdr->gso_type & ~GSO_ECN;
	int err;

	if (frame_len < ETH_HLEN)
		return VNET_TX_ERR_SHORT;
	if (frame_len > VNET_MAX_FRAME)
		return VNET_TX_ERR_LONG;
	meta->len = frame_len;
	/*
	 * §5.1.6.2.1: without CSUM the driver MUST leave flags zero. Other bits
	 * (DATA_VALID, RSC_INFO, unknown ones) are ignored (§5.1.6.2.2).
	 */
	if ((hdr->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) && !has(negotiated, VIRTIO_NET_F_CSUM))
		return VNET_TX_ERR_CSUM_NOT_NEGOTIATED;
	err = tx_gso_gate(hdr, negotiated);
	if (err)
		return err;
	/* §5.1.6.2.2: without NEEDS_CSUM, csum_start/csum_offset MUST NOT be used. */
	if (!(hdr->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM))
		return 0;
	if (!frame_copy(frame, nr_iov, 0, peek, MIN(frame_len, (uint32_t)VNET_PEEK_LEN)))
		return VNET_TX_ERR_SHORT;
	err = tx_l2_l3(peek, frame_len, gso, meta);
	if (!err)
		err = tx_csum(hdr, frame_len, meta);
	if (!err && gso != VIRTIO_NET_HDR_GSO_NONE)
		err = tx_gso(hdr, frame, nr_iov, frame_len, meta);
	return err;
}

enum vnet_tx_err vnet_hdr_tx_parse(const struct virtio_net_hdr_v1 *hdr,
				   const struct iovec *frame, unsigned int nr_iov, uint32_t frame_len,
				   uint64_t negotiated, struct net_tx_meta *meta)
{
	/* One read of the header, even if the caller handed us guest memory. */
	const struct virtio_net_hdr_v1 h = *hdr;
	enum vnet_tx_err err;

	memset(meta, 0, sizeof(*meta));
	err = tx_parse(&h, frame, nr_iov, frame_len, negotiated, meta);
	/* A dropped frame leaves no half-filled request behind. */
	if (err)
		memset(meta, 0, sizeof(*meta));
	return err;
}

static bool csum_ok(enum net_csum_state s)
{
	/* Coalesced frames carry a stale field over a validated payload (as OpenVMM's virtio-net treats them; docs/catalogue.md O23). */
	return s == NET_CSUM_GOOD || s == NET_CSUM_VALIDATED_WRONG;
}

/* The GSO part of an RX header (§5.1.6.4.1): each type only with its GUEST_* feature. */
static bool rx_gso(const struct net_rx_meta *meta, uint64_t negotiated,
		  struct virtio_net_hdr_v1 *out)
{
	bool ok;

	switch (meta->gso) {
	case NET_RX_GSO_TCPV4:
		ok = has(negotiated, VIRTIO_NET_F_GUEST_TSO4);
		out->gso_type = VIRTIO_NET_HDR_GSO_TCPV4;
		break;
	case NET_RX_GSO_TCPV6:
		ok = has(negotiated, VIRTIO_NET_F_GUEST_TSO6);
		out->gso_type = VIRTIO_NET_HDR_GSO_TCPV6;
		break;
	case NET_RX_GSO_UDP_L4:
		/*
		 * The tap hands up UDP super-frames only with both USO flags
		 * (Linux: drivers/net/tun.c, TUN_F_USO4/6); ECN marks TCP super-frames only.
		 */
		ok = has(negotiated, VIRTIO_NET_F_GUEST_USO4) &&
		     has(negotiated, VIRTIO_NET_F_GUEST_USO6) && !meta->gso_ecn;
		out->gso_type = VIRTIO_NET_HDR_GSO_UDP_L4;
		break;
	default:
		return false;
	}
	/* §5.1.6.4.1: a GSO packet MUST have NEEDS_CSUM and gso_size set. */
	if (!ok || !meta->csum_partial || meta->gso_size == 0)
		return false;
	/* §5.1.6.4.1: ECN-marked TSO only with GUEST_ECN, and then with the bit. */
	if (meta->gso_ecn) {
		if (!has(negotiated, VIRTIO_NET_F_GUEST_ECN))
			return false;
		out->gso_type |= GSO_ECN;
	}
	out->gso_size = htole16(meta->gso_size);
	out->hdr_len = htole16(meta->hdr_len);
	return true;
}

bool vnet_hdr_rx_build(const struct net_rx_meta *meta, uint64_t negotiated, uint16_t num_buffers,
		      struct virtio_net_hdr_v1 *out)
{
	bool guest_csum = has(negotiated, VIRTIO_NET_F_GUEST_CSUM);

	memset(out, 0, sizeof(*out));
	/* §5.1.6.3.2, §5.1.6.4.1: the device MUST set num_buffers. */
	out->num_buffers = htole16(num_buffers);
	if (meta->csum_partial) {
		/*
		 * §5.1.6.4.1: NEEDS_CSUM only with GUEST_CSUM. A partial
		 * checksum the guest cannot finish must not be delivered.
		 */
		if (!guest_csum)
			return false;
		out->flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
		out->csum_start = htole16(meta->csum_start);
		out->csum_offset = htole16(meta->csum_offset);
	} else if (guest_csum && csum_ok(meta->ip_csum) && csum_ok(meta->l4_csum)) {
		/* §5.1.6.4.1: without GUEST_CSUM flags MUST be zero (strict reading). */
		out->flags = VIRTIO_NET_HDR_F_DATA_VALID;
	}
	return meta->gso == NET_RX_GSO_NONE || rx_gso(meta, negotiated, out);
}

uint64_t vnet_hdr_offload_features(const struct net_caps *caps)
{
	uint64_t f = 0;

	/* §5.1.3.1: HOST_TSO4/6 and HOST_USO require CSUM, HOST_ECN a HOST_TSO. */
	if (caps->tx_csum) {
		f |= VIRTIO_BIT(VIRTIO_NET_F_CSUM);
		if (caps->tx_tso4)
			f |= VIRTIO_BIT(VIRTIO_NET_F_HOST_TSO4);
		if (caps->tx_tso6)
			f |= VIRTIO_BIT(VIRTIO_NET_F_HOST_TSO6);
		if (caps->tx_ecn && (caps->tx_tso4 || caps->tx_tso6))
			f |= VIRTIO_BIT(VIRTIO_NET_F_HOST_ECN);
		if (caps->tx_uso)
			f |= VIRTIO_BIT(VIRTIO_NET_F_HOST_USO);
	}
	/* §5.1.3.1: GUEST_TSO4/6 (and 1.3's USO4/6) require GUEST_CSUM, GUEST_ECN a GUEST_TSO. */
	if (caps->rx_csum) {
		f |= VIRTIO_BIT(VIRTIO_NET_F_GUEST_CSUM);
		if (caps->rx_tso4)
			f |= VIRTIO_BIT(VIRTIO_NET_F_GUEST_TSO4);
		if (caps->rx_tso6)
			f |= VIRTIO_BIT(VIRTIO_NET_F_GUEST_TSO6);
		if (caps->rx_ecn && (caps->rx_tso4 || caps->rx_tso6))
			f |= VIRTIO_BIT(VIRTIO_NET_F_GUEST_ECN);
		/* Together: the tap delivers UDP super-frames only with both (Linux: drivers/net/tun.c). */
		if (caps->rx_uso)
			f |= VIRTIO_BIT(VIRTIO_NET_F_GUEST_USO4) |
			     VIRTIO_BIT(VIRTIO_NET_F_GUEST_USO6);
	}
	/* HOST_UFO and GUEST_UFO are never offered: UFO is deprecated for USO. */
	return f;
}

int vnet_hdr_check_features(uint64_t acked)
{
	const uint64_t host_gso =
		VIRTIO_BIT(VIRTIO_NET_F_HOST_TSO4) | VIRTIO_BIT(VIRTIO_NET_F_HOST_TSO6) |
		VIRTIO_BIT(VIRTIO_NET_F_HOST_UFO) | VIRTIO_BIT(VIRTIO_NET_F_HOST_USO);
	const uint64_t guest_gso =
		VIRTIO_BIT(VIRTIO_NET_F_GUEST_TSO4) | VIRTIO_BIT(VIRTIO_NET_F_GUEST_TSO6) |
		VIRTIO_BIT(VIRTIO_NET_F_GUEST_UFO) | VIRTIO_BIT(VIRTIO_NET_F_GUEST_USO4) |
		VIRTIO_BIT(VIRTIO_NET_F_GUEST_USO6);
	const uint64_t host_tso = VIRTIO_BIT(VIRTIO_NET_F_HOST_TSO4) |
				  VIRTIO_BIT(VIRTIO_NET_F_HOST_TSO6);
	const uint64_t guest_tso = VIRTIO_BIT(VIRTIO_NET_F_GUEST_TSO4) |
				   VIRTIO_BIT(VIRTIO_NET_F_GUEST_TSO6);

	/* §5.1.3.1 (and 1.3 for GUEST_USO4/6): every dependency of every acked bit. */
	if ((acked & host_gso) && !has(acked, VIRTIO_NET_F_CSUM))
		return -EINVAL;
	if (has(acked, VIRTIO_NET_F_HOST_ECN) && !(acked & host_tso))
		return -EINVAL;
	if ((acked & guest_gso) && !has(acked, VIRTIO_NET_F_GUEST_CSUM))
		return -EINVAL;
	if (has(acked, VIRTIO_NET_F_GUEST_ECN) && !(acked & guest_tso))
		return -EINVAL;
	return 0;
}

void vnet_hdr_rx_accepts(uint64_t negotiated, struct net_caps *accept)
{
	*accept = (struct net_caps){
		.rx_csum = has(negotiated, VIRTIO_NET_F_GUEST_CSUM),
		.rx_tso4 = has(negotiated, VIRTIO_NET_F_GUEST_TSO4),
		.rx_tso6 = has(negotiated, VIRTIO_NET_F_GUEST_TSO6),
		.rx_ecn = has(negotiated, VIRTIO_NET_F_GUEST_ECN),
		/* A UDP super-frame may be either: the guest takes them only with both. */
		.rx_uso = has(negotiated, VIRTIO_NET_F_GUEST_USO4) &&
			  has(negotiated, VIRTIO_NET_F_GUEST_USO6),
	};
}
