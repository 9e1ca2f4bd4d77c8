// SPDX-License-Identifier: MIT
// Probe guest: the net-hostile mode's types and constants, shared by nethostile*.c.
//
// nethostile_ring.c drives the two queues by hand, nethostile_tx.c holds the
// cases on the TX queue, nethostile_rx.c those on the RX queue, and
// nethostile.c runs the mode.
#ifndef PROBE_NETHOSTILE_INT_H
#define PROBE_NETHOSTILE_INT_H

#include "hostile_lib.h"
#include "netdrv.h"
#include "netstack.h"
#include "entry.h"

#define BAD_HEAD   3
#define MAX_PIECES 72
#define QUIET_US   20000      /* how long a device that must do nothing gets to do it */
#define GOOD_AREA  (4u << 10) /* the good TX frame; the good RX buffer after it */
#define BAD_INDEX  0	      /* pattern index of a bad chain's datagram (the peer's too) */
#define CANARY	   0xa5
#define NF(b)	   VIRTIO_BIT(VIRTIO_NET_F_##b)

/* Features every case takes; the cases add offloads (all of which they need). */
#define BASE_FEATURES (VIRTIO_BIT(VIRTIO_F_VERSION_1) | NF(MAC) | NF(MTU) | NF(STATUS))
#define C_NONE	      0
#define C_CSUM	      NF(CSUM)
#define C_TSO	      (NF(CSUM) | NF(HOST_TSO4))
#define C_MRG	      NF(MRG_RXBUF)
#define C_CTRL	      (NF(CTRL_VQ) | NF(CTRL_RX)) /* the control queue (nethostile_ctrl.c) */

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
	struct nhq ctl;	    /* with CTRL_VQ: the control queue (q NULL without) */
	uint16_t max_pairs; /* with MQ: max_virtqueue_pairs (the control queue is 2 × it) */
	bool all_pairs;	    /* with MQ: set up every pair's queues, not just the first */
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

#endif
