// SPDX-License-Identifier: MIT
// A small in-process virtio-net driver for tests: brings a struct vnet up through its virtio-mmio
// registers, as a guest would, over real guest RAM (a memfd), and moves frames through its rings.
#ifndef MINNOW_TEST_NETDRV_H
#define MINNOW_TEST_NETDRV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "devices/virtio/vnet.h"
#include "tests/support/ring.h"

#define NETDRV_RAM	  (192 * MiB)
#define NETDRV_PAIRS	  4		/* queue pairs the driver can set up */
#define NETDRV_NQ	  (2 * NETDRV_PAIRS + 1)	/* and the control queue */
#define NETDRV_QSIZE	  256		/* the device's QueueNumMax */
#define NETDRV_SLOT	  0x12000	/* guest bytes behind one chain: 72 KiB > 12 + 65550 */
#define NETDRV_MAX_PIECES 128		/* descriptors in one chain */
#define NETDRV_BASE	  0xd0000000ULL	/* the device's MMIO window */
#define NETDRV_GSI	  5

/* netdrv_tx / netdrv_rx_post flags. */
#define NETDRV_INDIRECT	  (1u << 0)	/* one descriptor pointing at an indirect table */
#define NETDRV_WRONG_DIR  (1u << 1)	/* TX: last piece device-writable; RX: first piece readable */
#define NETDRV_NO_KICK	  (1u << 2)	/* make the chain available without QueueNotify */
#define NETDRV_NO_FILL	  (1u << 3)	/* RX: no 0xa5 pattern first (a benchmark's cost) */

/* What to build: the device (socketpair or tap) and the driver's requests. */
struct netdrv_cfg {
	struct net_config opts;		/* csum, tso, mrg_rxbuf, mtu; tap or fd ignored */
	struct net_caps caps;		/* socketpair only: what the fake tap "supports" */
	const char *tap;		/* a real tap's name (vnet_init), or NULL: a socketpair */
	int tap_fd;			/* > 0, with tap NULL: a real tap's fd, adopted (fd=) */
	uint64_t want;			/* features the driver asks for, ANDed with the offer */
	uint16_t qsize;			/* QueueNum of both queues; 0: QueueNumMax, at most NETDRV_QSIZE */
	bool sock_nonblock;		/* make the device's socket end O_NONBLOCK, as a tap is */
	unsigned int pairs;		/* socketpair: this many (one socket each, "multi-queue") */
	unsigned int queues;		/* a real tap: queues= (0: opts.queues, opts.queues_set) */
};

/* One chain the driver made available. */
struct netdrv_chain {
	bool busy;
	uint16_t ndesc;			/* descriptors taken from the ring's table */
	uint16_t desc[NETDRV_MAX_PIECES];
	uint32_t len;			/* bytes, laid out contiguously in the head's slot */
};

struct netdrv {
	bool opened;			/* netdrv_close has something to undo */
	struct gmem gm;
	struct vnet n;
	bool n_live;			/* n was initialised (vnet_destroy due) */
	int irq_fd;			/* eventfd the device pulses for interrupts */
	int peer_fd;			/* the test's end of the socketpair; -1 with a real tap */
	int dev_fd;			/* the device's end; -1 with a real tap */
	int peer[NETDRV_PAIRS], dev[NETDRV_PAIRS];	/* every pair's (peer_fd, dev_fd: pair 0's) */
	unsigned int nsock;		/* socketpairs opened */
	unsigned int pair;		/* the pair netdrv_rx_post/tx/rx_recv/peer_* use (netdrv_use) */
	unsigned int pairs;		/* pairs set up at the last netdrv_up */
	int ctrlq;			/* the control queue's index, or -1 */
	uint16_t qsize;
	uint64_t offered, features;	/* device features; negotiated at FEATURES_OK */
	struct ring q[NETDRV_NQ];	/* rx0, tx0, rx1, tx1, ..., control */
	uint16_t last_used[NETDRV_NQ];
	uint16_t nfree[NETDRV_NQ];
	uint16_t free_desc[NETDRV_NQ][NETDRV_QSIZE];
	struct netdrv_chain chain[NETDRV_NQ][NETDRV_QSIZE];
	unsigned int bad_used;		/* used entries naming no chain the driver had out */
	char err[256];
};

struct netdrv_used {
	uint32_t id, len;
};

/*
 * Guest RAM, the device (over a socketpair, or the real tap cfg->tap) and
 * the interrupt eventfd; then netdrv_up. Returns 0, or -errno with d->err.
 */
int netdrv_open(struct netdrv *d, const struct netdrv_cfg *cfg) __must_check;
/* Stops and destroys the device, closes the fds, frees guest RAM; again: nothing. */
void netdrv_close(struct netdrv *d);

/*
 * The driver's bring-up (virtio 1.2 §3.1.1): reset, ACKNOWLEDGE, DRIVER,
 * want & offered (+VERSION_1), FEATURES_OK (checked), both queues, DRIVER_OK.
 * Rings are zeroed and the driver's state forgotten. 0 or -EIO with d->err.
 */
int netdrv_up(struct netdrv *d, uint64_t want) __must_check;
/* Status 0 through the register: the device stops (and drains) before this returns. */
void netdrv_reset(struct netdrv *d);
/* Stops the I/O thread (vnet_stop): the counters in d->n.stats are final and safe to read. */
void netdrv_stop(struct netdrv *d);

/* From now on netdrv_rx_post/tx/rx_recv/peer_* work on pair k (queues 2k, 2k+1). */
void netdrv_use(struct netdrv *d, unsigned int k);
/* The queue index of the pair in use: VNET_RXQ or VNET_TXQ of it. */
unsigned int netdrv_q(const struct netdrv *d, unsigned int which);

/*
 * One control command (virtio 1.2 §5.1.6.5): out_len readable bytes (header
 * and data), then in_len writable ones (the ack: 1; 0: none), kicked, and
 * waited for. Returns the used length (-1 on timeout); *ack the first
 * writable byte afterwards (0xa5 when the device left it alone).
 */
long netdrv_ctrl_raw(struct netdrv *d, const void *out, uint32_t out_len, uint32_t in_len,
		     uint8_t *ack);
/* class, command, data: the ack byte (VIRTIO_NET_OK/ERR), or -1 with no completion. */
int netdrv_ctrl(struct netdrv *d, uint8_t cls, uint8_t cmd, const void *data, uint32_t len);

uint32_t netdrv_status(struct netdrv *d);
uint32_t netdrv_reg_read(struct netdrv *d, uint64_t off);
void netdrv_reg_write(struct netdrv *d, uint64_t off, uint32_t v);
void netdrv_kick(struct netdrv *d, unsigned int q);

/*
 * Posts an RX chain of len bytes, in pieces of piece bytes (0: one
 * descriptor). Returns the head, or -1 when the ring is out of descriptors.
 */
int netdrv_rx_post(struct netdrv *d, uint32_t len, uint32_t piece, unsigned int flags);
/* count chains of len bytes each, one descriptor each, then one kick. */
void netdrv_rx_post_n(struct netdrv *d, unsigned int count, uint32_t len);

/*
 * Makes bytes[0, len) available on TX as one chain cut at the given piece
 * lengths (the rest in a last piece; npieces 0: one descriptor). Returns the
 * head, or -1. bytes NULL: the head's slot holds them already (netdrv_slot).
 */
int netdrv_tx_raw(struct netdrv *d, const void *bytes, uint32_t len, const uint32_t *pieces,
		  unsigned int npieces, unsigned int flags);
/* The 12-byte header (NULL: all zero) then the frame, as netdrv_tx_raw. */
int netdrv_tx(struct netdrv *d, const struct virtio_net_hdr_v1 *hdr, const void *frame,
	      uint32_t len, const uint32_t *pieces, unsigned int npieces, unsigned int flags);

/* Used entries the driver has not taken yet. */
uint16_t netdrv_used_pending(struct netdrv *d, unsigned int q);
/* Waits until count entries are pending (polling used.idx and the irq eventfd). */
bool netdrv_wait_used(struct netdrv *d, unsigned int q, unsigned int count, int timeout_ms);
/* Takes the next used entry and frees its chain; false if none (or it names no chain). */
bool netdrv_take_used(struct netdrv *d, unsigned int q, struct netdrv_used *u);
/* Waits until the device has taken every available chain of q (its next_avail caught up). */
bool netdrv_wait_consumed(struct netdrv *d, unsigned int q, int timeout_ms);

/* Copies up to max bytes of chain head's buffer (before take_used frees it, or just after). */
size_t netdrv_buf_read(struct netdrv *d, unsigned int q, uint16_t head, void *buf, size_t max);
/* The NETDRV_SLOT guest bytes behind head's chains on queue q, in place. */
void *netdrv_slot(struct netdrv *d, unsigned int q, uint16_t head);

/*
 * The next RX frame: waits for one used entry, takes it, splits header and
 * frame. Returns the used length, or -1 on timeout. *id gets the head.
 */
long netdrv_rx_recv(struct netdrv *d, struct virtio_net_hdr_v1 *hdr, void *frame, size_t max,
		    uint32_t *id, int timeout_ms);

/* The fake tap's far end: one frame with its 12-byte header per message. */
int netdrv_peer_send(struct netdrv *d, const struct virtio_net_hdr_v1 *hdr, const void *frame,
		     size_t len) __must_check;
/* Returns the frame length (header excluded), -ETIMEDOUT, or -errno. */
ssize_t netdrv_peer_recv(struct netdrv *d, struct virtio_net_hdr_v1 *hdr, void *frame,
			 size_t max, int timeout_ms);
/* Messages waiting on the peer end (0 after timeout_ms of silence). */
unsigned int netdrv_peer_drain(struct netdrv *d, int timeout_ms);

/* Counts of /proc/self/fd and /proc/self/task entries, for leak checks. */
unsigned int netdrv_count_fds(void);
unsigned int netdrv_count_threads(void);

#endif
