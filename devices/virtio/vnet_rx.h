// SPDX-License-Identifier: MIT
// virtio-net RX (host -> guest), run by the I/O thread (vnet_io.c).
#ifndef MINNOW_VNET_RX_H
#define MINNOW_VNET_RX_H

#include "devices/virtio/vnet_state.h"

/* The RX state of a fresh I/O thread (io->mrg and rx_need set). */
void vnet_rx_start(struct vnet_qp *io);
/* Lends the backend every buffer the guest gave us (up to RX_INFLIGHT, or MRG_HELD held). */
void vnet_rx_fill(struct vnet_qp *io);
/* Buffer id came back from the backend (backend_events.rx_done): delivered or dropped. */
void vnet_rx_done(struct vnet_qp *io, uint32_t id, int res, const struct net_rx_meta *meta);

#endif
