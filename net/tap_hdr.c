// SPDX-License-Identifier: MIT
// The tap's virtio-net header (12 bytes, TUNSETVNETHDRSZ) <-> backend-neutral metadata: the
// header minnow writes in front of a TX frame, and what tun's header says about an RX frame.
#include <endian.h>
#include <string.h>

#include "net/l34.h"
#include "net/tap_hdr.h"

#define GSO_ECN		VIRTIO_NET_HDR_GSO_ECN

void tap_hdr_from_tx_meta(const struct net_tx_meta *meta, struct virtio_net_hdr_v1 *out)
{
	uint16_t hdrs = meta->l2_len + meta->l3_len;

	memset(out, 0, sizeof(*out));
	if (meta->flags & (NET_TX_CSUM_TCP | NET_TX_CSUM_UDP)) {
		out->flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
		out->csum_start = htole16(hdrs);
		out->csum_offset =
			htole16(meta->flags & NET_TX_CSUM_TCP ? TCP_CSUM_OFF : UDP_CSUM_OFF);
	}
	if (meta->flags & NET_TX_TSO)
		out->gso_type = meta->flags & NET_TX_IPV6 ? VIRTIO_NET_HDR_GSO_TCPV6
							  : VIRTIO_NET_HDR_GSO_TCPV4;
	else if (meta->flags & NET_TX_USO)
		out->gso_type = VIRTIO_NET_HDR_GSO_UDP_L4;
	else
		return;
	if (meta->flags & NET_TX_ECN)
		out->gso_type |= GSO_ECN;
	out->gso_size = htole16(meta->mss);
	/* Exact, not a hint: the parser bounded l2 + l3 + l4 to 16 bits. */
	out->hdr_len = htole16((uint16_t)(hdrs + meta->l4_len));
}

void tap_hdr_to_rx_meta(const struct virtio_net_hdr_v1 *tap, struct net_rx_meta *meta)
{
	memset(meta, 0, sizeof(*meta));
	/* NEEDS_CSUM wins: a partial checksum is not a validated one. */
	if (tap->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) {
		meta->csum_partial = true;
		meta->csum_start = le16toh(tap->csum_start);
		meta->csum_offset = le16toh(tap->csum_offset);
	} else if (tap->flags & VIRTIO_NET_HDR_F_DATA_VALID) {
		/* tun sets DATA_VALID for CHECKSUM_UNNECESSARY (Linux: drivers/net/tun.c). */
		meta->ip_csum = NET_CSUM_GOOD;
		meta->l4_csum = NET_CSUM_GOOD;
	}
	switch (tap->gso_type & ~GSO_ECN) {
	case VIRTIO_NET_HDR_GSO_TCPV4:
		meta->gso = NET_RX_GSO_TCPV4;
		break;
	case VIRTIO_NET_HDR_GSO_TCPV6:
		meta->gso = NET_RX_GSO_TCPV6;
		break;
	case VIRTIO_NET_HDR_GSO_UDP_L4:
		meta->gso = NET_RX_GSO_UDP_L4;
		break;
	case VIRTIO_NET_HDR_GSO_NONE:
		meta->gso = NET_RX_GSO_NONE;
		break;
	default:
		/*
		 * tun only sends the types whose TUN_F_* flag we set, never UFO;
		 * anything else is a super-frame the guest must not get as a packet.
		 */
		meta->gso = NET_RX_GSO_UNKNOWN;
		break;
	}
	meta->gso_ecn = (tap->gso_type & GSO_ECN) != 0;
	meta->gso_size = le16toh(tap->gso_size);
	meta->hdr_len = le16toh(tap->hdr_len);
}
