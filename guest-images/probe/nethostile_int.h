// SPDX-License-Identifier: MIT
// Probe guest: the net-hostile mode's state, rings and frames, shared by nethostile*.c.
//
// nethostile.c drives the two queues by hand and runs the mode,
// nethostile_tx.c holds the cases on the TX queue, nethostile_rx.c those on
// the RX queue.
#ifndef PROBE_NETHOSTILE_INT_H
#define PROBE_NETHOSTILE_INT_H

#include "hostile_lib.h"
#include "netdrv.h"
#include "netstack.h"
#include "entry.h"

#define BAD_HEAD   3
#define MAX_PIECES 72
#define QUIET_US   20000 /* how long a device that must do nothing gets to do it */
#define BAD_INDEX  0	 /* pattern index of a bad chain's datagram (the peer's too) */
#define CANARY	   0xa5
#define NF(b)	   VIRTIO_BIT(VIRTIO_NET_F_##b)

/* Features every case takes; the cases add offloads (all of which they need). */
#define BASE_FEATURES (VIRTIO_BIT(VIRTIO_F_VERSION_1) | NF(MAC) | NF(MTU) | NF(STATUS))
#define C_NONE	      0
#define C_CSUM	      NF(CSUM)
#define C_TSO	      (NF(CSUM) | NF(HOST_TSO4))
#define C_MRG	      NF(MRG_RXBUF)

/* One descriptor's worth of a chain. */
struct piece {
	uint8_t *p;
	uint32_t len;
	bool write;
};

/* A queue driven by hand: the driver's avail->idx and next used entry. */
struct nhq {
	struct virtq *q;
	uint16_t avail_idx, last_used;
};

struct nh {
	struct virtio_dev dev;
	struct nhq rx, tx;
	uint16_t good_head; /* the good chain's descriptor: each queue's last */
	uint64_t accept;    /* features the case takes besides BASE_FEATURES */
	uint8_t *bad, *good, *rxgood;
	uint16_t mtu;
	uint32_t rx_need;   /* a whole frame (§5.1.6.3.1): 12 + 18 + MTU */
	uint32_t size;	    /* UDP payload of every datagram but "ready" */
	uint16_t buffers;   /* num_buffers the received frame must have (1) */
	uint8_t want_flags; /* the received header's flags (0) */
	struct net_addr me, peer;
	struct piece chain[MAX_PIECES]; /* the case's bad chain */
	unsigned int nchain;
	uint64_t chain_hash;
	const char *bad_key; /* a usage error: the key */
	struct hl_log log;
};

struct nhcase {
	const char *name;
	bool (*run)(struct nh *h);
	uint64_t accept; /* offloads taken (and needed) besides BASE_FEATURES */
};

/* The cases, in nethostile_tx.c and nethostile_rx.c; a NULL name ends each table. */
extern const struct nhcase nh_tx_cases[];
extern const struct nhcase nh_rx_cases[];

/* In nethostile.c, where each is described: the device's setup, the rings by hand, frames. */
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
