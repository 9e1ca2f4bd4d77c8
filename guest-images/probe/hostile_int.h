// SPDX-License-Identifier: MIT
// Probe guest: the virtio-hostile mode's hand-driven ring, shared by hostile*.c.
//
// One queue of HQ_NUM entries (h_ring), driven by hand, not through
// virtio.c's virtq_add and virtq_get: most chains the cases build are ones a
// correct driver never builds. hostile.c drives it and runs the mode,
// hostile_transport.c holds the cases against the registers and the
// initialization, hostile_chain.c those against the chains and the ring.
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

extern struct hring h_ring;
/* Data buffers: the cases' chains in the first half, the good request in the second. */
extern uint8_t h_buf[4096];
#define BUF(off) ((uint64_t)(uintptr_t)(h_buf + (off)))
#define TABLE(k) ((uint64_t)(uintptr_t)h_ring.table[k])

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

/* The cases, in hostile_transport.c and hostile_chain.c; a NULL name ends each table. */
extern const struct hcase h_transport_cases[];
extern const struct hcase h_chain_cases[];

/* Driving the queue (hostile.c, where each is described). */
void h_status_set(struct hctx *h, uint32_t v);
uint32_t h_status_get(struct hctx *h);
void h_features_write(struct hctx *h, uint64_t f);
bool h_begin(struct hctx *h);
bool h_negotiate(struct hctx *h);
void h_queue_addrs(struct hctx *h, uint64_t desc, uint64_t avail, uint64_t used);
void h_queue_good_addrs(struct hctx *h);
bool h_queue(struct hctx *h);
void h_live(struct hctx *h);
bool h_init(struct hctx *h);

void h_desc_set(struct virtq_desc *d, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next);
void h_avail_put(struct hctx *h, uint16_t head);
void h_avail_publish(struct hctx *h);
void h_kick(struct hctx *h);
uint16_t h_used_idx(void);
bool h_used_wait(struct hctx *h, uint16_t n);
bool h_used_take(struct hctx *h, uint16_t head, uint32_t len);
bool h_quiet(struct hctx *h);
bool h_chain(struct hctx *h, uint16_t head, uint32_t len);
bool h_good(struct hctx *h);
bool h_expect_needs_reset(struct hctx *h, uint32_t irqs_before);

#endif
