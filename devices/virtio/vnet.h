// SPDX-License-Identifier: MIT
// virtio-net device (virtio 1.2 §5.1): one queue pair on a tap, features from the tap's
// capabilities, an io_uring I/O thread per queue pair (vnet_io.c).
#ifndef MINNOW_VNET_H
#define MINNOW_VNET_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "devices/virtio/virtq.h"
#include "devices/virtio/vmmio.h"
#include "devices/virtio/vnet_hdr.h"
#include "net/pcap.h"
#include "net/soft.h"
#include "net/tap.h"
#include "net/verify.h"

#define VNET_QUEUE_MAX	  256
#define VNET_RXQ	  0
#define VNET_TXQ	  1

/* What the user asked for (--net). */
struct vnet_opts {
	const char *tap;	/* tap name, or NULL with fd >= 0 */
	int fd;
	uint8_t mac[6];
	bool mac_set;		/* else a random locally administered MAC */
	unsigned int mtu;	/* 0: the tap's */
	unsigned int queue_size;	/* QueueNumMax, a power of two <= VNET_QUEUE_MAX */
	bool csum;		/* offer checksum offloads (both directions) */
	bool tso;		/* offer segmentation offloads (both directions) */
	bool mrg_rxbuf;
	bool io_sync;		/* plain readv/writev instead of io_uring: a benchmark baseline */
	const char *pcap;	/* capture every packet to this pcapng file, or NULL */
	bool verify;		/* check every offloaded TX frame against its bytes (net/verify.h) */
	bool soft;		/* offload=soft: finish every TX offload in software (net/soft.h) */
};

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

/* The drop reasons as --metrics and the packet capture name them. */
extern const char *const vnet_drop_names[VNET_DROP_MAX];

/* Counters, written by the I/O thread; read when it is stopped (--metrics). */
struct vnet_stats {
	uint64_t tx_packets, tx_bytes, tx_dropped;
	uint64_t tx_csum, tx_tso, tx_uso;
	uint64_t tx_offload_err[VNET_TX_ERR_MAX];
	uint64_t rx_packets, rx_bytes, rx_dropped;
	uint64_t rx_data_valid, rx_csum_partial, rx_gso, rx_merged;
	uint64_t drops[VNET_DROP_MAX];
	uint64_t tx_eagain, rx_eagain, uring_submits, interrupts;
	/* verify=on: frames checked, and mismatches by kind */
	uint64_t verify_frames, verify_bad, verify[VERIFY_KIND_MAX];
	/* software offloads: frames taken, segments sent, frames dropped by reason */
	uint64_t soft_frames, soft_segments, soft_err[SOFT_ERR_MAX];
};

struct vnet_io;

struct vnet {
	struct vmmio t;
	struct tap tap;
	struct vnet_opts opts;
	struct net_caps hw;		/* TX offloads the tap does itself; the rest go soft */
	uint16_t mtu;
	uint64_t negotiated;		/* copied at DRIVER_OK for the I/O thread */
	unsigned int active_offloads;	/* the tap's offloads at the last DRIVER_OK, for metrics */
	struct virtq rxq, txq;		/* owned by the I/O thread while it runs */
	struct vnet_io *io;
	pthread_t thread;
	bool running;
	int stop_fd;
	struct vnet_stats stats;
	struct log_ratelimit rl;
	struct pcap *pcap;		/* --net ...,pcap=FILE; NULL: no capture */
};

/* Opens the tap and sets up the device at base/gsi; -errno with a message on failure. */
int vnet_init(struct vnet *n, const struct vnet_opts *opts, const struct gmem *gm, uint64_t base,
	      uint32_t gsi, int vm_fd, int irq_fd, char *err, size_t errlen) __must_check;
/* The same over an fd that behaves like a tap (a SOCK_SEQPACKET socketpair in tests). */
int vnet_init_socket(struct vnet *n, const struct vnet_opts *opts, int fd,
		     const struct net_caps *caps, const struct gmem *gm, uint64_t base, uint32_t gsi,
		     int vm_fd, int irq_fd) __must_check;
void vnet_stop(struct vnet *n);
void vnet_destroy(struct vnet *n);
void vnet_metrics(struct vnet *n, FILE *out);

/* vnet_offload.c: which TX offloads the tap does, and which minnow finishes in software. */
void vnet_offload_init(struct vnet *n);

/* The I/O thread (vnet_io.c): started at activation, stopped (and drained) at reset. */
int vnet_io_start(struct vnet *n) __must_check;
void vnet_io_stop(struct vnet *n);

#endif
