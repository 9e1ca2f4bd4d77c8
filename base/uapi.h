// SPDX-License-Identifier: MIT
// The virtio and tun constants Debian 12's (Linux 6.1) uapi headers lack, with the values of the
// virtio spec (1.2 §4.2.2, 1.3 §5.1.3) and Linux's include/uapi/linux/if_tun.h; one place, so
// nothing else redefines them.
#ifndef MINNOW_BASE_UAPI_H
#define MINNOW_BASE_UAPI_H

#include <linux/if_tun.h>
#include <linux/virtio_mmio.h>
#include <linux/virtio_net.h>

/* The value of the MagicValue register, "virt" little-endian (§4.2.2). */
#ifndef VIRTIO_MMIO_MAGIC
#define VIRTIO_MMIO_MAGIC 0x74726976
#endif

#ifndef VIRTIO_NET_F_GUEST_USO4
#define VIRTIO_NET_F_GUEST_USO4 54
#endif
#ifndef VIRTIO_NET_F_GUEST_USO6
#define VIRTIO_NET_F_GUEST_USO6 55
#endif
#ifndef VIRTIO_NET_F_HOST_USO
#define VIRTIO_NET_F_HOST_USO 56
#endif
#ifndef VIRTIO_NET_HDR_GSO_UDP_L4
#define VIRTIO_NET_HDR_GSO_UDP_L4 5
#endif
#ifndef TUN_F_USO4
#define TUN_F_USO4 0x20
#endif
#ifndef TUN_F_USO6
#define TUN_F_USO6 0x40
#endif

#endif
