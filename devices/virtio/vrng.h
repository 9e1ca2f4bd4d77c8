// SPDX-License-Identifier: MIT
// virtio entropy device (virtio 1.2 §5.4): one request queue filled from getrandom().
#ifndef MINNOW_VRNG_H
#define MINNOW_VRNG_H

#include <pthread.h>
#include <stdbool.h>
#include <linux/virtio_ids.h>

#include "devices/virtio/virtq.h"
#include "devices/virtio/vmmio.h"

struct vrng {
	struct vmmio t;
	struct virtq q;			/* owned by the I/O thread while it runs */
	pthread_t thread;
	bool running;			/* vCPU side, under t.lock */
	int stop_fd;
	/* Counters, written by the I/O thread. */
	_Atomic uint64_t bytes;
	_Atomic uint64_t requests;
	_Atomic uint64_t no_writable;	/* chains with no device-writable buffer */
};

/* Creates the device and its transport at base/gsi (vm_fd and irq_fd may be -1 in tests). */
int vrng_init(struct vrng *r, const struct gmem *gm, uint64_t base, uint32_t gsi, int vm_fd,
	      int irq_fd) __must_check;
/* The device's counters as one JSON object, for --metrics (after the guest stopped). */
void vrng_metrics(struct vrng *r, FILE *out);
/* Stops the I/O thread (the guest is gone); the counters stay readable. */
void vrng_stop(struct vrng *r);
/* Stops the I/O thread and frees the transport. */
void vrng_destroy(struct vrng *r);

#endif
