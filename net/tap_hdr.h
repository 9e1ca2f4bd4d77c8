// SPDX-License-Identifier: MIT
// The tap's virtio-net header <-> backend-neutral metadata (net/meta.h). Pure functions, no I/O.
#ifndef MINNOW_NET_TAP_HDR_H
#define MINNOW_NET_TAP_HDR_H

#include "base/uapi.h"
#include "net/meta.h"

/*
 * The header a tap wants for meta (a fresh one, never the guest's bytes):
 * NEEDS_CSUM at l2+l3 with offset 16/6, GSO type/size and hdr_len = l2+l3+l4
 * for TSO/USO, the ECN bit with NET_TX_ECN; all zero without offloads.
 */
void tap_hdr_from_tx_meta(const struct net_tx_meta *meta, struct virtio_net_hdr_v1 *out);

/* The tap's own RX header turned into backend-neutral metadata. */
void tap_hdr_to_rx_meta(const struct virtio_net_hdr_v1 *tap, struct net_rx_meta *meta);

#endif
