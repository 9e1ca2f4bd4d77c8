// SPDX-License-Identifier: MIT
// virtio-net's state, types only: the device (struct vnet) and its I/O thread's queue pair
// (struct vnet_qp), shared by vnet.c, vnet_io.c, vnet_rx.c, vnet_tx.c and vnet_pcap.c, which
// each declare their own functions in their own header.
#ifndef MINNOW_VNET_STATE_H
#define MINNOW_VNET_STATE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/log.h"
#include "devices/virtio/virtq.h"
#include "devices/virtio/vmmio.h"
#include "devices/virtio/vnet_ctrl.h"
#include "devices/virtio/vnet_hdr.h"
#include "net/backend.h"
#include "net/config.h"
#include "net/pcap.h"
#include "net/soft.h"
#include "net/verify.h"

#define VNET_RXQ	  BACKEND_RXQ
#define VNET_TXQ	  BACKEND_TXQ

#define RX_INFLIGHT	(BACKEND_RX_IDS - 1)	/* reads posted ahead of traffic, one per buffer */
#define TX_INFLIGHT	BACKEND_TX_IDS		/* writes in flight */
#define IO_IOV_MAX	64	/* pieces of one frame in one guest buffer */
#define MRG_IOV_MAX	1024	/* pieces of one merged read: UIO_MAXIOV */
#define MRG_HELD	256	/* guest buffers held for merged reads */
#define MRG_CHAIN_IOV	8	/* pieces of one mergeable buffer (Linux posts 1) */
#define MRG_READS	8	/* merged reads in flight; their backend ids are 0..MRG_READS-1 */

_Static_assert(MRG_READS <= BACKEND_RX_IDS, "every merged read has a backend id");

_Static_assert(IO_IOV_MAX == BACKEND_TX_IOV, "a TX chain's pieces fit one backend_tx");
_Static_assert(VNET_HDR_LEN == BACKEND_HDR_ROOM, "the backend leaves room for our header");

/* Why a chain was completed with length 0 instead of carrying a packet. */
enum vnet_drop {
	VNET_DROP_TX_HEADER,	/* TX chain shorter than the 12-byte header */
	VNET_DROP_TX_WRITABLE,	/* TX chain with device-writable buffers */
	VNET_DROP_TX_TAP,	/* the tap refused the frame (EINVAL, EIO, ...) */
	VNET_DROP_TX_SEGMENTS,	/* TX chain in more pieces than one write takes */
	VNET_DROP_RX_SMALL,	/* RX chain too small for a full frame */
	VNET_DROP_RX_READONLY,	/* RX chain with device-readable buffers */
	VNET_DROP_RX_OFFLOAD,	/* frame needs an offload the guest did not negotiate */
	VNET_DROP_RX_TAP,	/* the tap read failed */
	VNET_DROP_RX_OVERSIZE,	/* frame larger than the guest's buffers (tap MTU above ours) */
	VNET_DROP_MAX,
};

/* The drop reasons as --metrics and the packet capture name them (vnet.c). */
extern const char *const vnet_drop_names[VNET_DROP_MAX];

/* Counters, written by the I/O thread; read when it is stopped (--metrics). */
struct vnet_stats {
	uint64_t tx_packets, tx_bytes, tx_dropped;
	uint64_t tx_csum, tx_tso, tx_uso;
	uint64_t tx_offload_err[VNET_TX_ERR_MAX];
	uint64_t rx_packets, rx_bytes, rx_dropped;
	uint64_t rx_data_valid, rx_csum_partial, rx_gso, rx_merged;
	uint64_t rx_soft_csum;	/* partial checksums finished for a guest that gave GUEST_CSUM up */
	uint64_t drops[VNET_DROP_MAX];
	uint64_t interrupts;
	/* verify=on: frames checked, and mismatches by kind */
	uint64_t verify_frames, verify_bad, verify[VERIFY_KIND_MAX];
	/* software offloads: frames taken, segments sent, frames dropped by reason */
	uint64_t soft_frames, soft_segments, soft_err[SOFT_ERR_MAX];
};

struct vnet_qp;
struct vnet;

/* One queue pair: queues 2k (RX) and 2k+1 (TX), its backend and its I/O thread. */
struct vnet_pair {
	struct vnet *n;
	unsigned int index;
	struct backend *be;		/* this pair's host queue (a tap fd) */
	struct virtq rxq, txq;		/* owned by the pair's I/O thread while it runs */
	struct vnet_qp *io;		/* the running I/O thread's state; NULL when stopped */
	pthread_t thread;
	int stop_fd;			/* an eventfd: ends the pair's I/O thread */
	/*
	 * Whether the driver may use the pair (VQ_PAIRS_SET, §5.1.6.5.5): written
	 * by the control queue's thread, read by the I/O thread before each TX
	 * batch; a disabled pair takes no TX chain and its host queue is detached.
	 */
	atomic_bool enabled;
	struct vnet_stats stats;	/* written by the pair's I/O thread */
	uint64_t kicks;			/* kicks the I/O thread handled (base/stat.h) */
};

/* Control queue counters (written by the control thread; base/stat.h). */
struct vnet_ctrl_stats {
	uint64_t commands, ok, err;
	uint64_t errors[VNET_CTRL_ERR_MAX];
};

struct vnet {
	struct vmmio t;
	struct backend *be;		/* pair 0's backend (the tap's offloads, name, MTU) */
	struct net_config cfg;		/* the --net options */
	uint8_t mac[6];
	uint16_t mtu;
	unsigned int npairs;		/* queue pairs the backend has: max_virtqueue_pairs */
	bool ctrl;			/* the control queue (and its features) is offered */
	uint64_t negotiated;		/* copied at DRIVER_OK for the I/O threads */
	unsigned int active_offloads;	/* the host's RX offloads now set, for metrics (STAT_READ) */
	/* GUEST_* bits the guest accepts now: negotiated, then GUEST_OFFLOADS_SET; per frame. */
	_Atomic uint64_t rx_accept;
	struct vnet_pair pair[NET_QUEUES_MAX];
	unsigned int active_pairs;	/* pairs in use (VQ_PAIRS_SET; 1 without MQ) (STAT_READ) */
	unsigned int started;		/* pairs whose I/O thread runs (0 .. started-1) */
	bool running;
	/* The control queue: its ring, thread and state (vnet_cq.c). */
	struct virtq ctrlq;
	unsigned int ctrl_index;	/* its queue index: 2 * pairs, by what was negotiated */
	pthread_t ctrl_thread;
	bool ctrl_running;
	int ctrl_stop_fd;
	pthread_mutex_t ctrl_lock;	/* cs, for --metrics while the control thread writes it */
	struct vnet_ctrl_state cs;
	struct vnet_ctrl_stats cstats;
	struct vnet_stats stats;	/* the pairs' totals, summed by vnet_stop (tests read it) */
	struct log_ratelimit rl;
	struct pcap *pcap;		/* --net ...,pcap=FILE; NULL: no capture */
	pthread_mutex_t pcap_lock;	/* pcap's one producer, with several pairs */
};

/* A guest RX buffer lent to the backend for one frame. */
struct rx_req {
	bool busy;
	uint16_t head;
	uint32_t cap;			/* bytes the guest's buffer holds */
	unsigned int niov;
	struct iovec iov[IO_IOV_MAX + 1];	/* + one for the backend (backend_rx_post) */
};

/* A guest RX buffer held for a merged read (VIRTIO_NET_F_MRG_RXBUF). */
struct mrg_chain {
	uint16_t head;
	uint32_t cap;
	unsigned int niov;
	struct iovec iov[MRG_CHAIN_IOV];
};

/* One merged read lent to the backend: the next nr held buffers, as one iovec. */
struct mrg_read {
	unsigned int nr;
	unsigned int niov;
	uint32_t cap;
	struct iovec iov[MRG_IOV_MAX + 1];	/* and one the backend may use */
};

/* A TX chain lent to the backend as one frame. */
struct tx_req {
	bool busy;
	uint16_t head;
	struct backend_tx pkt;
	struct virtio_net_hdr_v1 guest;	/* the guest's header, kept only for a packet capture */
	bool verify_bad;		/* verify=on found a mismatch (kept only for a capture) */
	struct verify_result verify;
};

/* The I/O thread's queue pair: what is lent to the backend, and the merged-read state. */
struct vnet_qp {
	struct vnet *n;
	struct vnet_pair *p;
	struct backend *be;
	unsigned int rx_busy, tx_busy;	/* requests lent to the backend */
	bool rx_pushed, tx_pushed;	/* used entries since the last interrupt decision */
	bool gone;			/* the host side is gone: no more reads, NEEDS_RESET */
	uint32_t rx_need;		/* bytes a buffer must hold for one frame */
	struct rx_req rx[RX_INFLIGHT];
	struct tx_req tx[TX_INFLIGHT];
	/*
	 * MRG_RXBUF: the held buffers (a pool), in a FIFO of pool indexes: first
	 * the mrg_busy buffers that the reads in flight span, in the order of the
	 * reads, then the free ones. The reads complete in the order lent.
	 */
	bool mrg;
	struct mrg_chain held[MRG_HELD];
	uint16_t order[MRG_HELD];	/* the FIFO, from held_first */
	uint16_t spare[MRG_HELD];	/* pool entries not in the FIFO, a stack */
	unsigned int held_first, held_count, nspare;
	unsigned int mrg_busy;		/* held buffers the reads in flight span */
	unsigned int read_first, reads;	/* the reads in flight: a ring of MRG_READS */
	struct mrg_read read[MRG_READS];
	/* start-up handshake */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int init_result;
	bool init_done;
};

#endif
