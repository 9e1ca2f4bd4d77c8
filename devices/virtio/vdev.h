// SPDX-License-Identifier: MIT
// The contract between the virtio transport and a virtio device model.
#ifndef MINNOW_VDEV_H
#define MINNOW_VDEV_H

#include <stdint.h>

#include "vmm/compiler.h"

/* Feature bits every device shares (virtio 1.2 §6). */
#define VIRTIO_F_INDIRECT_DESC	28
#define VIRTIO_F_EVENT_IDX	29
#define VIRTIO_F_VERSION_1	32
#define VIRTIO_BIT(b)		(1ULL << (b))

struct vmmio;

/*
 * A device model's operations, a const table the transport never changes. The
 * transport owns register access, the status state machine, feature masking
 * and queue setup; devices see only what these calls hand them. Register-side
 * calls run on a vCPU thread under the transport's lock.
 */
struct vdev_ops {
	const char *name;
	uint32_t device_id;
	unsigned int nr_queues;
	uint16_t queue_max;
	uint32_t config_size;
	/* The features offered, including VERSION_1 and ring features. */
	uint64_t (*features)(void *dev);
	/* Whether an acked set (already a subset of the offer) is consistent: 0 or -EINVAL. */
	int (*check_features)(void *dev, uint64_t acked);
	/* Config space; offset and length already checked against config_size. */
	void (*config_read)(void *dev, uint32_t offset, uint8_t *data, uint32_t len);
	void (*config_write)(void *dev, uint32_t offset, const uint8_t *data, uint32_t len);
	/* DRIVER_OK: start serving the ready queues (vmmio_queue tells their setup). */
	int (*activate)(void *dev, struct vmmio *t);
	/*
	 * Reset: stop all I/O; on return nothing touches the rings any more.
	 * Kicks reach the device as its queues' kick eventfds (vmmio.h), whether
	 * KVM's ioeventfd or the transport itself signalled them.
	 */
	void (*reset)(void *dev);
};

#endif
