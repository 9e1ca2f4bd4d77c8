// SPDX-License-Identifier: MIT
// virtio-net's I/O thread, one per queue pair: started at activation, stopped (and drained) at
// reset; it runs the backend's loop and answers its events with the RX and TX paths.
#ifndef MINNOW_VNET_IO_H
#define MINNOW_VNET_IO_H

#include "base/compiler.h"
#include "devices/virtio/vnet_state.h"

/* Starts pair p's I/O thread over its queues and backend; 0 or -errno (logged). */
int vnet_io_start(struct vnet_pair *p) __must_check;
/* Stops it: the backend takes back everything in flight before this returns. */
void vnet_io_stop(struct vnet_pair *p);

#endif
