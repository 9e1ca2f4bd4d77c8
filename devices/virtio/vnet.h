// SPDX-License-Identifier: MIT
// virtio-net device (virtio 1.2 §5.1): queue pairs on net backends (net/backend.h), one backend
// and one I/O thread each (vnet_io.c), a control queue (vnet_cq.c), features from what the
// backend offers.
#ifndef MINNOW_VNET_H
#define MINNOW_VNET_H

#include <stdio.h>

#include "base/compiler.h"
#include "devices/virtio/vnet_state.h"
#include "net/backend.h"
#include "net/config.h"

#define VNET_QUEUE_MAX	  256

/*
 * Opens the backend cfg asks for (net/backends.h) and sets up the device at
 * base/gsi; -errno with a message on failure.
 */
int vnet_init(struct vnet *n, const struct net_config *cfg, const struct gmem *gm, uint64_t base,
	      uint32_t gsi, int vm_fd, int irq_fd, char *err, size_t errlen) __must_check;
/*
 * The same over npairs backends already open (be[0..npairs), one per queue
 * pair, npairs <= NET_QUEUES_MAX); the device owns them from here, even on failure.
 */
int vnet_init_backend(struct vnet *n, const struct net_config *cfg, struct backend **be,
		      unsigned int npairs, const struct gmem *gm, uint64_t base, uint32_t gsi,
		      int vm_fd, int irq_fd) __must_check;
void vnet_stop(struct vnet *n);
void vnet_destroy(struct vnet *n);
void vnet_metrics(struct vnet *n, FILE *out);

#endif
