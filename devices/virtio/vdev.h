// SPDX-License-Identifier: MIT
// The contract between the virtio transport and a virtio device model, and the --virtio-strict
// policy for a driver's violations of the spec.
#ifndef MINNOW_VDEV_H
#define MINNOW_VDEV_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>

#include "base/compiler.h"

/* A feature bit number (virtio 1.2 §6: VIRTIO_F_*, VIRTIO_RING_F_*, VIRTIO_NET_F_*) as a mask. */
#define VIRTIO_BIT(b) (1ULL << (b))

struct vmmio;
struct virtq;

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
	/*
	 * DRIVER_OK: start serving the ready queues (vmmio_queue tells their
	 * setup). 0 or -errno; on an error the transport sets NEEDS_RESET.
	 */
	int (*activate)(void *dev, struct vmmio *t);
	/*
	 * Reset: stop all I/O; on return nothing touches the rings any more.
	 * Kicks reach the device as its queues' kick eventfds (vmmio.h), whether
	 * KVM's ioeventfd or the transport itself signalled them.
	 */
	void (*reset)(void *dev);
	/* Optional: queue index's device-side state, NULL if not live (for the strict-mode dump). */
	const struct virtq *(*queue)(void *dev, unsigned int index);
};

/*
 * --virtio-strict: what a driver's violation of the virtio spec does. Every
 * violation is counted by its site either way (DESIGN §5); vmmio_fault applies it.
 */
enum vdev_strict {
	VDEV_STRICT_OFF,	/* counted only, nothing logged */
	VDEV_STRICT_WARN,	/* counted and logged at a bounded rate; the default */
	VDEV_STRICT_RESET,	/* and the device sets NEEDS_RESET (config interrupt) */
	VDEV_STRICT_ABORT,	/* and the device state goes to stderr and minnow exits (status 5) */
};

/* "off", "warn", "reset" or "abort"; -EINVAL otherwise. */
int vdev_strict_parse(const char *name, enum vdev_strict *mode) __must_check;
/*
 * Sets the policy; stop is called (from any thread, at most once) for the
 * first violation under VDEV_STRICT_ABORT. Before any device runs.
 */
void vdev_strict_set(enum vdev_strict mode, void (*stop)(void *opaque), void *opaque);

/* The policy set by vdev_strict_set (any thread). */
enum vdev_strict vdev_strict_mode(void);
/*
 * Under VDEV_STRICT_ABORT, for the first violation only: calls the stop
 * function given to vdev_strict_set and returns true (the caller then writes
 * the device state). false for every later violation, or another policy.
 */
bool vdev_strict_abort(void);

#endif
