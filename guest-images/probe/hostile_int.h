// SPDX-License-Identifier: MIT
// Probe guest: the virtio-hostile mode's types and constants, shared by hostile*.c.
//
// One queue of HQ_NUM entries (h_ring), driven by hand, not through
// virtio.c's virtq_add and virtq_get: most chains the cases build are ones a
// correct driver never builds. hostile_ring.c drives it, hostile_transport.c
// holds the cases against the registers and the initialization,
// hostile_chain.c those against the chains and the ring, and hostile.c runs
// the mode.
#ifndef PROBE_HOSTILE_INT_H
#define PROBE_HOSTILE_INT_H

#include "hostile_lib.h"
#include "entry.h"

#define HQ_NUM	     8 /* queue size in every case */
#define HQ_TABLES    3 /* indirect tables */
#define HQ_TABLE_LEN (HQ_NUM + 1)
#define HQ_GOOD_HEAD (HQ_NUM - 1) /* the good request's descriptor */
#define HQ_BAD_HEAD  3		  /* where the cases' chains start */
#define GOOD_LEN     64

#define W VIRTQ_DESC_F_WRITE
#define N VIRTQ_DESC_F_NEXT
#define I VIRTQ_DESC_F_INDIRECT

#define ACK	 VIRTIO_STATUS_ACKNOWLEDGE
#define DRV	 VIRTIO_STATUS_DRIVER
#define FEAT_OK	 VIRTIO_STATUS_FEATURES_OK
#define DRV_OK	 VIRTIO_STATUS_DRIVER_OK
#define ST_READY (ACK | DRV | FEAT_OK)
#define ST_LIVE	 (ACK | DRV | FEAT_OK | DRV_OK)

#define F_INDIRECT VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC)
#define F_EVENT	   VIRTIO_BIT(VIRTIO_F_EVENT_IDX)
#define F_V1	   VIRTIO_BIT(VIRTIO_F_VERSION_1)

/* The one queue's memory: desc 16-aligned, avail 2, used 4 (§2.7). */
struct hring {
	struct virtq_desc desc[HQ_NUM];
	struct virtq_desc table[HQ_TABLES][HQ_TABLE_LEN];
	struct virtq_avail avail;
	struct virtq_used used;
} __attribute__((aligned(4096)));

struct hctx {
	struct virtio_dev dev;
	uint64_t accept;	       /* features the driver takes, besides VERSION_1 */
	uint16_t avail_idx, last_used; /* the driver's avail->idx, next used entry */
	uint32_t num_max;	       /* QueueNumMax of queue 0 */
	uint32_t good;		       /* good requests served */
	uint64_t ram_top;	       /* end of the RAM range that holds the probe */
	const struct hvm_memmap_entry *map;
	uint32_t nmap;
	struct hl_log log;
};

struct hcase {
	const char *name;
	bool (*run)(struct hctx *h);
	bool init;	 /* a full initialization before run */
	uint64_t accept; /* features the driver takes (VERSION_1 always) */
};

#endif
