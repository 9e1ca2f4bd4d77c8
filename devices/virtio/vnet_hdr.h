// SPDX-License-Identifier: MIT
// virtio-net header <-> metadata (virtio 1.2 §5.1.6): validate and translate the guest's TX
// offload requests, build RX headers, offer features with their dependencies, and say what the
// negotiated features let the guest receive. Pure functions, no I/O.
#ifndef MINNOW_VNET_HDR_H
#define MINNOW_VNET_HDR_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "base/compiler.h"
#include "base/uapi.h"
#include "net/meta.h"

#define VNET_HDR_LEN	 12	/* struct virtio_net_hdr_v1, VERSION_1 (§5.1.6) */
#define VNET_PEEK_LEN	 18	/* Ethernet header with one 802.1Q tag */
#define VNET_MAX_FRAME	 65550	/* largest frame, without the header (§5.1.6.3.1) */

/* Why a TX frame is dropped rather than sent (one counter each): a verdict, not an errno. */
enum vnet_tx_err {
	VNET_TX_OK,			/* valid: send it */
	VNET_TX_ERR_SHORT,		/* shorter than an Ethernet header (14) */
	VNET_TX_ERR_LONG,		/* longer than VNET_MAX_FRAME */
	VNET_TX_ERR_CSUM_NOT_NEGOTIATED,	/* NEEDS_CSUM without CSUM */
	VNET_TX_ERR_CSUM_RANGE,		/* csum_start <= l2_len, or past the frame */
	VNET_TX_ERR_CSUM_OFFSET,	/* csum_offset neither 16 (TCP) nor 6 (UDP) */
	VNET_TX_ERR_L3,			/* IP version unknown (not IPv4/IPv6, or QinQ) */
	VNET_TX_ERR_GSO_TYPE,		/* unknown GSO type, UFO, or ECN without HOST_ECN */
	VNET_TX_ERR_GSO_NOT_NEGOTIATED,	/* GSO type whose HOST_* feature was not negotiated */
	VNET_TX_ERR_GSO_NO_CSUM,	/* GSO without NEEDS_CSUM */
	VNET_TX_ERR_GSO_SIZE,		/* gso_size 0 */
	VNET_TX_ERR_GSO_HEADERS,	/* TCP data offset < 20 or headers past the frame */
	VNET_TX_ERR_MAX,
};

extern const char *const vnet_tx_err_names[VNET_TX_ERR_MAX];

/*
 * Validates the guest's header for a frame of frame_len bytes held in the
 * given iovecs (the frame only, header excluded) under the negotiated
 * features, and fills meta. Reads at most VNET_PEEK_LEN bytes from the start
 * of the frame and, for TSO, the TCP header's data-offset byte; never trusts
 * hdr_len. Returns VNET_TX_OK, or why the frame must be dropped.
 * Fields honoured only when their feature was negotiated (§5.1.6.2.1);
 * num_buffers and unknown flag bits are ignored.
 */
enum vnet_tx_err vnet_hdr_tx_parse(const struct virtio_net_hdr_v1 *hdr,
				   const struct iovec *frame, unsigned int nr_iov, uint32_t frame_len,
				   uint64_t negotiated, struct net_tx_meta *meta) __must_check;

/*
 * The guest's RX header for a frame the backend described in meta, under
 * the negotiated features, with num_buffers. DATA_VALID only with GUEST_CSUM
 * and both checksums good or validated-but-wrong; NEEDS_CSUM only with
 * GUEST_CSUM; GSO only with the matching GUEST_TSO4/TSO6/USO4+USO6 (and ECN
 * with GUEST_ECN). Returns whether the guest can take the frame: false when
 * meta asks for something it did not negotiate (then drop the frame).
 */
bool vnet_hdr_rx_build(const struct net_rx_meta *meta, uint64_t negotiated, uint16_t num_buffers,
		       struct virtio_net_hdr_v1 *out) __must_check;

/*
 * The virtio-net offload features to offer for caps: CSUM/HOST_TSO4/6/ECN/
 * USO from tx_*, GUEST_CSUM/GUEST_TSO4/6/ECN/USO4+6 from rx_*, never a
 * feature without its dependency (§5.1.3.1): HOST_TSO4/6 and HOST_USO need
 * CSUM, HOST_ECN needs a HOST_TSO, GUEST_TSO4/6 and GUEST_USO4/6 need
 * GUEST_CSUM, GUEST_ECN needs a GUEST_TSO. Only the offload bits: MAC, STATUS, MTU, MRG_RXBUF are the
 * device's to add.
 */
uint64_t vnet_hdr_offload_features(const struct net_caps *caps);

/* Whether an acked feature set respects those dependencies: 0 or -EINVAL. */
int vnet_hdr_check_features(uint64_t acked) __must_check;

/* What the guest can receive under the negotiated features, as rx_* capabilities. */
void vnet_hdr_rx_accepts(uint64_t negotiated, struct net_caps *accept);

#endif
