// SPDX-License-Identifier: MIT
// The net backend interface: what a virtio-net device drives, one instance per queue pair. The
// device lends guest buffers (RX) and frames with their validated offload metadata (TX); the
// backend moves them on its own engine, in the device's I/O thread, and calls the device back.
#ifndef MINNOW_NET_BACKEND_H
#define MINNOW_NET_BACKEND_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "base/compiler.h"
#include "net/meta.h"
#include "net/soft.h"

#define BACKEND_RXQ	  0	/* the queues backend_events.kick names */
#define BACKEND_TXQ	  1
#define BACKEND_HDR_ROOM  12	/* bytes at the start of every RX buffer for the device's header */
#define BACKEND_RX_IDS	  65	/* RX buffer ids run from 0 to BACKEND_RX_IDS - 1 */
#define BACKEND_TX_IDS	  128	/* TX frame ids run from 0 to BACKEND_TX_IDS - 1 */
#define BACKEND_TX_IOV	  64	/* pieces of one TX frame */
#define BACKEND_TX_HDR	  12	/* the backend's own bytes in front of a TX frame */

/* One TX frame, in the device's memory, lent to the backend from backend_tx to its tx_done. */
struct backend_tx {
	struct net_tx_meta meta;	/* the validated offload request; meta.len: the frame's bytes */
	unsigned int niov;		/* pieces of the frame, in iov[1...] */
	struct iovec iov[1 + BACKEND_TX_IOV];	/* iov[0] is the backend's: it points into hdr */
	uint8_t hdr[BACKEND_TX_HDR];	/* the backend's header for this frame */
	bool soft;			/* the backend's: it finishes this frame in software */
};

/* How one TX frame ended, for the device to count. */
struct backend_tx_result {
	int err;		/* 0: sent; -errno: the host refused it (a frame lost, not a guest error) */
	bool soft;		/* it went through the software offload path (net/soft.h) */
	unsigned int segments;	/* soft: the plain frames that went out */
	enum soft_err soft_err;	/* soft: why the frame was dropped unsent, or 0 */
};

/*
 * The device's side, called on its I/O thread from inside backend_run, and
 * never after backend_run saw the stop: buffers and frames still lent then
 * are simply given back with the backend (the device forgets them too).
 */
struct backend_events {
	void *ctx;
	/* Queue BACKEND_RXQ or BACKEND_TXQ may have work: the driver kicked, or the loop starts. */
	void (*kick)(void *ctx, unsigned int queue);
	/*
	 * RX buffer id came back. res: the bytes the frame took, BACKEND_HDR_ROOM
	 * included, with meta describing it; 0 <= res < BACKEND_HDR_ROOM: a
	 * short read (meta NULL); -EMSGSIZE: the frame was larger than the
	 * buffer (dropped); another -errno: the host's read failed.
	 */
	void (*rx_done)(void *ctx, uint32_t id, int res, const struct net_rx_meta *meta);
	/* TX frame id is done with, as r says; its memory is the device's again. */
	void (*tx_done)(void *ctx, uint32_t id, const struct backend_tx_result *r);
	/* No TX frame is in the host's hands any more: the device may send its next batch. */
	void (*tx_idle)(void *ctx);
	/* A batch of events was handled: the time to decide on interrupts. */
	void (*batch)(void *ctx);
	/* The host side went away for good (a detached tap): once, before that I/O's callback. */
	void (*gone)(void *ctx);
};

/* What the I/O thread waits on besides the backend's own I/O. */
struct backend_loop {
	int kick_fd[2];		/* eventfds of the driver's kicks, by BACKEND_RXQ / BACKEND_TXQ */
	int stop_fd;		/* an eventfd: readable once the device resets */
	const char *label;	/* whose I/O this is, for trace lines: the device's name */
	struct backend_events ev;
};

/* Counters, written by the I/O thread; read when it is stopped (--metrics). */
struct backend_stats {
	uint64_t tx_eagain, rx_eagain;	/* the host was full or empty: tried again */
};

struct backend;

/* One implementation (net/tap_uring.c, net/tap_sync.c); calls on the I/O thread unless said. */
struct backend_ops {
	/* The I/O thread's set-up (an io_uring), before backend_run: 0 or -errno. */
	int (*attach)(struct backend *be, const struct backend_loop *loop);
	/*
	 * Handles kicks and I/O until the stop fd fires, then takes back what
	 * is in the host's hands. 0, or -errno when the engine itself failed.
	 */
	int (*run)(struct backend *be);
	void (*detach)(struct backend *be);
	/*
	 * Lends an RX buffer of cap bytes in niov pieces; iov has room for one
	 * more, which the backend may use. Reads start by rx_flush at the latest,
	 * and complete in the order lent.
	 */
	void (*rx_post)(struct backend *be, uint32_t id, struct iovec *iov, unsigned int niov,
			uint32_t cap);
	void (*rx_flush)(struct backend *be);
	/* Lends a TX frame; frames go out in the order lent, once tx_flush was called. */
	void (*tx)(struct backend *be, uint32_t id, struct backend_tx *pkt);
	/* Returns whether frames completed during the call (tx_done: slots the device may refill). */
	bool (*tx_flush)(struct backend *be);
	/*
	 * What the guest accepts on RX (its rx_* caps): any thread, the I/O thread
	 * stopped, or the control queue's while it runs (the host applies it to
	 * frames it has not read yet; the device checks every frame anyway).
	 */
	int (*set_rx_offloads)(struct backend *be, const struct net_caps *accept);
	/*
	 * Any thread, also while the I/O thread runs: attaches (true) or detaches
	 * (false) this pair's queue of a multi-queue host (a tap: TUNSETQUEUE).
	 * Detached, the backend starts no read (the reads lent stay lent: none
	 * completes until it is attached again and a kick arrives), a write may
	 * fail (the frame is dropped and counted), and EBADFD is no sign that the
	 * host went away. 0 or -errno.
	 */
	int (*set_queue)(struct backend *be, bool enabled);
	/* Any thread, the I/O thread stopped: closes the host side and frees be. */
	void (*close)(struct backend *be);
};

/* The part every backend shares: what the device may read. */
struct backend {
	const struct backend_ops *ops;
	const char *name;		/* the host interface, for logs, metrics and captures */
	char engine[64];		/* how it moves frames ("io_uring+fixed_file"), for metrics */
	/*
	 * The offload decision (tap capabilities, software fallback, what the
	 * user switched off): what the device may offer. Whatever the host
	 * cannot do, the backend finishes in software.
	 */
	struct net_caps offer;
	unsigned int mtu;		/* the host interface's MTU */
	unsigned int offloads;		/* the host's receive offloads now set, as it names them
					   (written by whoever calls set_rx_offloads; STAT_READ) */
	bool multiqueue;		/* one queue of a multi-queue host: set_queue detaches */
	struct backend_stats stats;
};

static inline int __must_check backend_attach(struct backend *be, const struct backend_loop *l)
{
	return be->ops->attach(be, l);
}

static inline int __must_check backend_run(struct backend *be)
{
	return be->ops->run(be);
}

static inline void backend_detach(struct backend *be)
{
	be->ops->detach(be);
}

static inline void backend_rx_post(struct backend *be, uint32_t id, struct iovec *iov,
				   unsigned int niov, uint32_t cap)
{
	be->ops->rx_post(be, id, iov, niov, cap);
}

static inline void backend_rx_flush(struct backend *be)
{
	be->ops->rx_flush(be);
}

static inline void backend_tx(struct backend *be, uint32_t id, struct backend_tx *pkt)
{
	be->ops->tx(be, id, pkt);
}

static inline bool backend_tx_flush(struct backend *be)
{
	return be->ops->tx_flush(be);
}

static inline int __must_check backend_set_rx_offloads(struct backend *be,
						       const struct net_caps *accept)
{
	return be->ops->set_rx_offloads(be, accept);
}

static inline int __must_check backend_set_queue(struct backend *be, bool enabled)
{
	return be->ops->set_queue(be, enabled);
}

static inline void backend_close(struct backend *be)
{
	if (be)
		be->ops->close(be);
}

#endif
