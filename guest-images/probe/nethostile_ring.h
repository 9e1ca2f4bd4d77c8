// SPDX-License-Identifier: MIT
// Probe guest: the net-hostile mode's device setup, its two queues driven by hand, its frames.
#ifndef PROBE_NETHOSTILE_RING_H
#define PROBE_NETHOSTILE_RING_H

#include "nethostile_int.h"

/* In nethostile_ring.c, where each is described: the device's setup, the rings, frames. */
bool nh_setup(struct nh *h);
bool nh_reinit_after_corruption(struct nh *h, struct nhq *c);
void nh_notify(struct nh *h, uint32_t queue);
void nh_chain_put(struct nhq *c, uint16_t head, const struct piece *pc, unsigned int n);
void nh_publish(struct nhq *c);
uint16_t nh_used_idx(const struct nhq *c);
bool nh_used_wait(struct nh *h, struct nhq *c, const char *why);
void nh_used_take(struct nhq *c, uint32_t *id, uint32_t *len);
bool nh_used_expect(struct nh *h, struct nhq *c, uint16_t head, uint32_t len, const char *why);
uint64_t nh_chain_hash(const struct piece *pc, unsigned int n);
void nh_split(struct piece *pc, uint8_t *p, uint32_t total, unsigned int n, uint32_t first,
	      bool write);
void nh_chain1(struct nh *h, uint8_t *p, uint32_t len, bool write);
struct virtio_net_hdr *nh_bad_hdr(struct nh *h);
uint8_t *nh_bad_frame(struct nh *h);
uint32_t nh_udp_frame(struct nh *h, uint8_t *f, uint32_t index, bool partial,
		      struct virtio_net_hdr *hdr);
struct virtio_net_hdr *nh_tx_udp(struct nh *h, bool partial);
const char *nh_ready_text(const struct nh *h);
bool nh_tx_send(struct nh *h, const char *text, const char *why);

#endif
