// SPDX-License-Identifier: MIT
// virtio-mmio transport, version 2 (virtio 1.2 §4.2): register file, status state machine,
// feature negotiation, queue setup, ioeventfd kicks and irqfd interrupts.
#ifndef MINNOW_VMMIO_H
#define MINNOW_VMMIO_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <linux/virtio_mmio.h>

#include "base/bus.h"
#include "base/gmem.h"
#include "base/log.h"
#include "devices/virtio/vdev.h"
#include "devices/virtio/virtq.h"

#define VMMIO_MAX_QUEUES 17	/* virtio-net: 8 queue pairs and the control queue */
#define VMMIO_WINDOW	 0x1000

/* What the driver did wrong, one counter each (DESIGN §5). */
enum vmmio_err {
	VMMIO_ERR_ACCESS,	/* wrong width, unaligned, undefined or read-only register */
	VMMIO_ERR_CONFIG,	/* config space access out of bounds */
	VMMIO_ERR_QUEUE_SEL,	/* queue register use with QueueSel beyond the queues */
	VMMIO_ERR_QUEUE,	/* bad size or ring addresses at QueueReady, or setup while live */
	VMMIO_ERR_FEATURES,	/* unoffered or inconsistent features, or writes after FEATURES_OK */
	VMMIO_ERR_STATUS,	/* bits cleared without reset, DRIVER_OK without FEATURES_OK, ... */
	VMMIO_ERR_NOTIFY,	/* kick for no queue, or before DRIVER_OK */
	VMMIO_ERR_MAX,
};

extern const char *const vmmio_err_names[VMMIO_ERR_MAX];

struct vmmio_queue {
	uint16_t num;
	bool ready;
	uint64_t desc, avail, used;
	int kick_fd;		/* eventfd signalled by KVM on QueueNotify == index */
	bool kick_registered;
};

struct vmmio {
	const struct vdev_ops *ops;
	void *dev;
	const struct gmem *gm;
	uint64_t base;
	uint32_t gsi;
	int vm_fd;		/* for ioeventfds; -1 in unit tests (vmmio_notify writes kick_fd) */
	int irq_fd;		/* irqfd on gsi */
	pthread_mutex_t lock;	/* register state below; taken by vCPU threads */
	uint32_t status;
	uint32_t dev_features_sel, drv_features_sel, queue_sel;
	uint64_t offered;
	uint16_t queue_max;	/* QueueNumMax: ops->queue_max unless the device lowered it */
	unsigned int nr_queues;	/* ops->nr_queues unless the device raised it */
	uint64_t driver_features;
	/* What the last DRIVER_OK saw: kept across resets, so that the metrics written after a
	 * driver reset its device at power-off still say what was negotiated. */
	uint64_t driver_ok_features;
	uint64_t driver_ok_count;
	struct vmmio_queue queues[VMMIO_MAX_QUEUES];
	uint32_t config_generation;
	/* Set from any thread. */
	_Atomic uint32_t interrupt_status;
	atomic_bool needs_reset;
	_Atomic uint64_t errors[VMMIO_ERR_MAX];
	_Atomic uint64_t interrupts;
	uint64_t userspace_kicks;	/* good kicks that exited instead of hitting the ioeventfd */
	/* Driver spec violations, from any thread (vmmio_fault); their log's rate limit. */
	_Atomic uint64_t violations;
	pthread_mutex_t violation_lock;	/* rl; taken after lock, never before it */
	struct log_ratelimit rl;
	char name[48];
};

/*
 * Sets up the transport for a device at base (a VMMIO_WINDOW) on gsi. vm_fd
 * and irq_fd may be -1 (unit tests). Creates the queues' kick eventfds.
 */
int vmmio_init(struct vmmio *t, const struct vdev_ops *ops, void *dev, const struct gmem *gm,
	       uint64_t base, uint32_t gsi, int vm_fd, int irq_fd) __must_check;
void vmmio_destroy(struct vmmio *t);
/* Sets this instance's number of queues (<= VMMIO_MAX_QUEUES); before the guest runs. */
int vmmio_set_nr_queues(struct vmmio *t, unsigned int nr) __must_check;
/* Lowers QueueNumMax for this instance (a power of two <= ops->queue_max); before the guest runs. */
int vmmio_set_queue_max(struct vmmio *t, uint16_t max) __must_check;
struct bus_dev vmmio_bus_dev(struct vmmio *t);

/* Register access, as the bus delivers it (exposed for unit tests). */
void vmmio_read(struct vmmio *t, uint64_t offset, uint8_t *data, unsigned int size);
void vmmio_write(struct vmmio *t, uint64_t offset, const uint8_t *data, unsigned int size);

/* For the device: negotiated features, and a ready queue's setup (false if not ready). */
uint64_t vmmio_features(const struct vmmio *t);
bool vmmio_queue(const struct vmmio *t, unsigned int index, struct vmmio_queue *out);
/* Names q (set up by virtq_init) as queue index of t: its violations go to vmmio_fault. */
void vmmio_attach_queue(struct vmmio *t, unsigned int index, struct virtq *q);

/* The transport's counters as JSON members ("transport":{...}), for --metrics. */
void vmmio_metrics(struct vmmio *t, FILE *out);

/*
 * Raise an interrupt (any thread): sets InterruptStatus bits (VIRTIO_MMIO_INT_*) and pulses
 * the GSI.
 */
void vmmio_interrupt(struct vmmio *t, uint32_t bits);
/* Ring corruption (any thread): NEEDS_RESET and a config interrupt (§2.1.2). */
void vmmio_set_needs_reset(struct vmmio *t);

/* What vmmio_fault reports. */
enum vmmio_fault {
	VMMIO_VIOLATION,	/* the driver broke a virtio spec rule: --virtio-strict applies */
	VMMIO_UNSUPPORTED,	/* a legal request this device cannot serve: logged only */
};

/*
 * A driver request on transport t was refused: the caller has counted it in
 * its own counter; this logs it at a bounded rate and, for a violation,
 * counts it in t->violations and applies --virtio-strict (vdev.h). q and head
 * name the offending chain (q NULL, or head < 0, when there is none). From
 * any thread; never takes t->lock. Host and backend errors (a tap refusing a
 * write) are neither kind.
 */
void vmmio_fault(struct vmmio *t, enum vmmio_fault kind, const struct virtq *q, int head,
		 const char *fmt, ...) __printf(5, 6);
#define vmmio_violation(t, q, head, ...) vmmio_fault((t), VMMIO_VIOLATION, (q), (head), __VA_ARGS__)

#endif
