// SPDX-License-Identifier: MIT
// Probe guest: the virtio-hostile mode's hand-driven queue: its memory and its driving.
#ifndef PROBE_HOSTILE_RING_H
#define PROBE_HOSTILE_RING_H

#include "hostile_int.h"

extern struct hring h_ring;
/* Data buffers: the cases' chains in the first half, the good request in the second. */
extern uint8_t h_buf[4096];
#define BUF(off) ((uint64_t)(uintptr_t)(h_buf + (off)))
#define TABLE(k) ((uint64_t)(uintptr_t)h_ring.table[k])

/* Driving the queue (hostile_ring.c, where each is described). */
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
