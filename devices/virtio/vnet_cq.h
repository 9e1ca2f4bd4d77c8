// SPDX-License-Identifier: MIT
// virtio-net's control queue (virtio 1.2 §5.1.6.5): a small thread of its own that pops each
// command, checks it (vnet_ctrl.c), carries it out on the host (receive offloads, queue pairs),
// and writes the ack.
#ifndef MINNOW_VNET_CQ_H
#define MINNOW_VNET_CQ_H

#include "base/compiler.h"
#include "devices/virtio/vnet_state.h"

/* At DRIVER_OK: the recorded state back to what the negotiation says (MAC, one pair, offloads). */
void vnet_cq_reset_state(struct vnet *n);
/*
 * At DRIVER_OK, after the pairs' I/O threads started: serves the control
 * queue if CTRL_VQ was negotiated and the driver set it up. 0 or -errno.
 */
int vnet_cq_start(struct vnet *n, struct vmmio *t) __must_check;
/* At reset, before the pairs stop: the control thread ends; nothing touches its ring after. */
void vnet_cq_stop(struct vnet *n);

#endif
