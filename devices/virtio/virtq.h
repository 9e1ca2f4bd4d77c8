// SPDX-License-Identifier: MIT
// Split virtqueue, device side (virtio 1.2 §2.7): bounded chain walking over untrusted rings.
#ifndef MINNOW_VIRTQ_H
#define MINNOW_VIRTQ_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/uio.h>
#include <linux/virtio_ring.h>

#include "base/gmem.h"

#define VIRTQ_MAX_SIZE 1024	/* largest queue we offer (QueueNumMax) */

/* Why a chain was refused; each has its own counter (virtio 1.2 §2.7.5, §2.7.4.2, §2.7.5.3.1). */
enum virtq_err {
	VIRTQ_ERR_ADDR,		/* buffer or indirect table not inside guest RAM, or wraps */
	VIRTQ_ERR_NEXT,		/* next index beyond the table */
	VIRTQ_ERR_LOOP,		/* more descriptors than the queue size: a loop, or too long */
	VIRTQ_ERR_ORDER,	/* a readable descriptor after a writable one */
	VIRTQ_ERR_INDIRECT,	/* indirect not negotiated, nested, with NEXT, or bad table length */
	VIRTQ_ERR_TOTAL,	/* the chain's bytes exceed 2^32 - 1 */
	VIRTQ_ERR_MAX,
};

extern const char *const virtq_err_names[VIRTQ_ERR_MAX];

/* Why a queue stopped (it needs a device reset). */
enum virtq_broken {
	VIRTQ_OK,
	VIRTQ_BROKEN_AVAIL_IDX,	/* avail.idx ran more than the queue size ahead */
	VIRTQ_BROKEN_HEAD,	/* an avail ring entry names no descriptor */
	VIRTQ_BROKEN_DUPLICATE,	/* a head made available again while still in use (§2.7.13.3) */
};


/* One available chain, split into driver-readable (out) then device-writable (in) buffers. */
struct virtq_chain {
	uint16_t head;
	uint16_t nr_out;
	uint16_t nr_in;
	uint32_t out_bytes;
	uint32_t in_bytes;
	struct iovec *iov;	/* nr_out readable, then nr_in writable; host pointers into RAM */
};

/*
 * The device's view of one queue. The guest owns the rings; the device owns
 * the cursors and never re-reads them from guest memory. Owned by one thread
 * (the queue's I/O thread) once the device is running.
 */
struct virtq {
	const struct gmem *gm;
	uint16_t size;
	bool event_idx;
	bool indirect;
	uint64_t desc_gpa, avail_gpa, used_gpa;
	/* host views of the rings, validated once at setup */
	const uint8_t *desc;
	const volatile uint16_t *avail;	/* flags, idx, ring[size], used_event */
	volatile uint8_t *used;		/* flags, idx, ring[size] of {id, len}, avail_event */
	uint16_t next_avail;
	uint16_t next_used;
	uint16_t signalled_used;	/* used idx at the last interrupt (EVENT_IDX) */
	bool signalled_valid;
	enum virtq_broken broken;
	/*
	 * Who owns the queue (virtq_set_owner). violation is told of each driver
	 * violation the queue meets (a refused chain, a corrupt ring), on the
	 * queue's thread, after the queue counted and answered it: head names the
	 * chain (-1 for none), msg says what the driver did. NULL (unit tests):
	 * counted only. name and index are for trace lines.
	 */
	void (*violation)(void *opaque, const struct virtq *q, int head, const char *msg);
	void *opaque;
	const char *name;
	uint16_t index;
	uint64_t errors[VIRTQ_ERR_MAX];
	uint64_t chains;
	/* heads handed out by virtq_pop and not yet used: a second use would complete twice */
	uint64_t in_use[VIRTQ_MAX_SIZE / 64];
	struct iovec iov[VIRTQ_MAX_SIZE];
};

/*
 * Validates a queue's configuration (virtio 1.2 §2.7, §4.2.2.2): size a power
 * of two in 1..VIRTQ_MAX_SIZE; desc 16-aligned, avail 2-aligned, used 4-aligned;
 * each ring wholly inside one RAM region. -EINVAL otherwise; q is then unusable.
 */
int virtq_init(struct virtq *q, const struct gmem *gm, uint16_t size, uint64_t desc,
	       uint64_t avail, uint64_t used, bool event_idx, bool indirect) __must_check;
/*
 * Names q (for trace lines) and where it reports its driver's violations,
 * after virtq_init. The transport does this (vmmio_attach_queue).
 */
void virtq_set_owner(struct virtq *q, const char *name, uint16_t index,
		     void (*violation)(void *opaque, const struct virtq *q, int head,
				       const char *msg),
		     void *opaque);
/* The same checks without building a queue: 0 or -EINVAL. */
int virtq_validate(const struct gmem *gm, uint16_t size, uint64_t desc, uint64_t avail,
		   uint64_t used) __must_check;

enum virtq_pop_result {
	VIRTQ_EMPTY,	/* nothing available */
	VIRTQ_CHAIN,	/* chain filled in */
	VIRTQ_BROKEN,	/* the ring is corrupt: q->broken says why; stop using the queue */
};

/*
 * The next good chain. Bad chains met on the way are completed with length 0
 * and counted in q->errors; *completed says how many, so the caller knows an
 * interrupt may be due. The chain's head is in use until virtq_add_used (or
 * virtq_push) returns it; a head made available again before that breaks the
 * queue (VIRTQ_BROKEN_DUPLICATE) rather than being completed twice.
 */
enum virtq_pop_result virtq_pop(struct virtq *q, struct virtq_chain *chain, unsigned int *completed);

/* Returns a chain to the driver with len bytes written; publishes used.idx. */
void virtq_push(struct virtq *q, uint16_t head, uint32_t len);
/*
 * The same in two steps, for buffers the driver must see together (one
 * frame over several RX buffers, §5.1.6.4): add the k-th pending entry, then
 * publish them all with one used.idx update.
 */
void virtq_add_used(struct virtq *q, uint16_t k, uint16_t head, uint32_t len);
void virtq_publish(struct virtq *q, uint16_t n);

/* After pushes: whether the driver wants an interrupt now (§2.7.10, EVENT_IDX §2.7.10.1). */
bool virtq_should_notify(struct virtq *q);

/*
 * One bounded walk over a chain's descriptors (§2.7.5), as the driver wrote
 * them: every descriptor is copied once and only the copy is used. It checks
 * the chain's structure: indirect tables (§2.7.5.3.1), next indices, and at
 * most the queue size (inside an indirect table, its entry count) of
 * descriptors, so loops end. Buffers are the caller's to check.
 */
struct virtq_walk {
	const struct virtq *q;
	const uint8_t *table;	/* the table being walked: the queue's, or an indirect one */
	uint32_t table_n;	/* its entries */
	uint32_t budget;	/* descriptors it may still yield */
	uint32_t idx;		/* after VIRTQ_STEP_DESC: the index of *d in its table */
	bool in_indirect;	/* after VIRTQ_STEP_DESC: *d came from an indirect table */
	bool started;
	struct vring_desc d;	/* the copy of the last yielded descriptor */
};

enum virtq_step {
	VIRTQ_STEP_DESC,	/* *d holds the chain's next descriptor (an INDIRECT one too) */
	VIRTQ_STEP_END,		/* the chain ended where the driver said */
	VIRTQ_STEP_REFUSED,	/* the chain breaks a rule: *why says which */
};

/* Starts a walk of the chain at head (< q->size). */
void virtq_walk_start(struct virtq_walk *w, const struct virtq *q, uint16_t head);
enum virtq_step virtq_walk_next(struct virtq_walk *w, struct vring_desc *d, enum virtq_err *why);

/* Writes the chain at head to out as the driver wrote it (for the strict-mode dump); bounded. */
void virtq_dump_chain(const struct virtq *q, uint16_t head, FILE *out);

/* The queue's counters as a JSON object, for --metrics. */
void virtq_metrics(const struct virtq *q, FILE *out);

/*
 * Kick suppression around a batch (§2.7.10): disable before draining, enable
 * after; enable returns true when more became available meanwhile (drain again).
 */
void virtq_disable_kicks(struct virtq *q);
bool virtq_enable_kicks(struct virtq *q);

#endif
