// SPDX-License-Identifier: MIT
// virtio-net's state, types only: the device (struct vnet) and its I/O thread's queue pair
// (struct vnet_qp), shared by vnet.c, vnet_io.c, vnet_rx.c, vnet_tx.c and vnet_pcap.c, which
// each declare their own functions in their own header.
#ifndef MINNOW_VNET_STATE_H
#define MINNOW_VNET_STATE_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/log.h"
#include "devices/virtio/virtq.h"
#include "devices/virtio/vmmio.h"
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
#define MRG_HELD	256	/* guest buffers held for the next merged read */
#define MRG_CHAIN_IOV	8	/* pieces of one mergeable buffer (Linux posts 1) */

#define MRG_INDEX	RX_INFLIGHT	/* the buffer id of the merged read */

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
	uint64_t drops[VNET_DROP_MAX];
	uint64_t interrupts;
	/* verify=on: frames checked, and mismatches by kind */
	uint64_t verify_frames, verify_bad, verify[VERIFY_KIND_MAX];
	/* software offloads: frames taken, segments sent, frames dropped by reason */
	uint64_t soft_frames, soft_segments, soft_err[SOFT_ERR_MAX];
};

struct vnet_qp;

struct vnet {
	struct vmmio t;
	struct backend *be;		/* the host side of the queue pair */
	struct net_config cfg;		/* the --net options */
	uint8_t mac[6];
	uint16_t mtu;
	uint64_t negotiated;		/* copied at DRIVER_OK for the I/O thread */
	unsigned int active_offloads;	/* the host's RX offloads at the last DRIVER_OK, for metrics */
	struct virtq rxq, txq;		/* owned by the I/O thread while it runs */
	struct vnet_qp *io;		/* the running I/O thread's queue pair; NULL when stopped */
	pthread_t thread;
	bool running;
	int stop_fd;
	struct vnet_stats stats;
	struct log_ratelimit rl;
	struct pcap *pcap;		/* --net ...,pcap=FILE; NULL: no capture */
};

/* A guest RX buffer lent to the backend for one frame. */
struct rx_req {
	bool busy;
	uint16_t head;
	uint32_t cap;			/* bytes the guest's buffer holds */
	unsigned int niov;
	struct iovec iov[IO_IOV_MAX + 1];	/* + one for the backend (backend_rx_post) */
};

/* A guest RX buffer waiting to take part of a merged read (VIRTIO_NET_F_MRG_RXBUF). */
struct mrg_chain {
	uint16_t head;
	uint32_t cap;
	unsigned int niov;
	struct iovec iov[MRG_CHAIN_IOV];
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
	struct backend *be;
	unsigned int rx_busy, tx_busy;	/* requests lent to the backend */
	bool rx_pushed, tx_pushed;	/* used entries since the last interrupt decision */
	bool gone;			/* the host side is gone: no more reads, NEEDS_RESET */
	uint32_t rx_need;		/* bytes a buffer must hold for one frame */
	struct rx_req rx[RX_INFLIGHT];
	struct tx_req tx[TX_INFLIGHT];
	/* MRG_RXBUF: held buffers (a FIFO), and the one merged read spanning the first nr of them. */
	bool mrg;
	struct mrg_chain held[MRG_HELD];
	unsigned int held_first, held_count;
	unsigned int mrg_nr;		/* buffers in the read in flight; 0 when none */
	unsigned int mrg_niov;
	uint32_t mrg_cap;
	struct iovec mrg_iov[MRG_IOV_MAX + 1];
	/* start-up handshake */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int init_result;
	bool init_done;
};

#endif
