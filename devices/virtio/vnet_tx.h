// SPDX-License-Identifier: MIT
// virtio-net TX (guest -> host), run by the I/O thread (vnet_io.c).
#ifndef MINNOW_VNET_TX_H
#define MINNOW_VNET_TX_H

#include "devices/virtio/vnet_state.h"

/* Lends the backend the chains the guest made available, while slots are free, and flushes. */
void vnet_tx_drain(struct vnet_qp *io);
/* Frame id came back from the backend (backend_events.tx_done): counted and completed. */
void vnet_tx_done(struct vnet_qp *io, uint32_t id, const struct backend_tx_result *res);

#endif
