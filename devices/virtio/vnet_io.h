// SPDX-License-Identifier: MIT
// virtio-net's I/O thread, private to vnet_io.c (the loop), vnet_tx.c and vnet_rx.c (the packets):
// requests in flight, their iovecs into guest RAM, and the calls between the three files.
#ifndef MINNOW_VNET_IO_H
#define MINNOW_VNET_IO_H

#include <liburing.h>

#include "base/stat.h"
#include "devices/virtio/vnet.h"
#include "net/verify.h"

#define IO_ENTRIES	256
#define RX_INFLIGHT	64	/* reads posted ahead of traffic, one per guest buffer */
#define TX_INFLIGHT	128	/* writes in flight */
#define IO_IOV_MAX	64	/* pieces of one frame in one guest buffer */
#define MRG_IOV_MAX	1024	/* pieces of one merged read: UIO_MAXIOV */
#define MRG_HELD	256	/* guest buffers held for the next merged read */
#define MRG_CHAIN_IOV	8	/* pieces of one mergeable buffer (Linux posts 1) */

#define MRG_INDEX	RX_INFLIGHT	/* the request index of the merged read */

struct rx_req {
	bool busy;
	uint16_t head;
	uint32_t cap;			/* bytes the guest's buffer holds */
	unsigned int niov;
	struct iovec iov[IO_IOV_MAX + 1];	/* + the spill byte (vnet_rx.c) */
};

/* A guest RX buffer waiting to take part of a merged read (VIRTIO_NET_F_MRG_RXBUF). */
struct mrg_chain {
	uint16_t head;
	uint32_t cap;
	unsigned int niov;
	struct iovec iov[MRG_CHAIN_IOV];
};

struct tx_req {
	bool busy;
	uint16_t head;
	uint32_t frame_len;
	struct net_tx_meta meta;
	bool soft;			/* finished in software at the batch boundary (vnet_offload.c) */
	struct virtio_net_hdr_v1 hdr;	/* ours, rebuilt from the validated metadata */
	struct virtio_net_hdr_v1 guest;	/* the guest's, kept only for a packet capture */
	bool verify_bad;		/* verify=on found a mismatch (kept only for a capture) */
	struct verify_result verify;
	unsigned int niov;
	struct iovec iov[1 + IO_IOV_MAX];
};

/* Requests waiting for a synchronous readv/writev (the baseline engine, io=sync). */
struct sync_fifo {
	unsigned int first, count;
	uint32_t index[RX_INFLIGHT + 1 + TX_INFLIGHT];
};

struct vnet_io {
	struct vnet *n;
	bool sync;			/* io=sync: plain readv/writev instead of io_uring */
	/*
	 * Writes may say EAGAIN (a tap with a limited send buffer, a test socket):
	 * one linked batch at a time, so a retried write cannot fall behind a later
	 * one. On a tap that is never full, writes complete in submission order and
	 * batches go out unlinked, as soon as they are made.
	 */
	bool tx_link;
	struct io_uring ring;
	struct sync_fifo sync_rx, sync_tx;
	int kick_fd[2];
	int tap_fd;
	unsigned int polls;		/* armed multishot polls */
	unsigned int rx_busy, tx_busy;	/* requests in use (tx: queued or in the kernel) */
	/*
	 * TX order: writes go to the kernel as one linked batch at a time, so
	 * parked writes cannot overtake each other. tx_queue holds requests ready
	 * for the next batch; tx_retry the ones that met EAGAIN (and the links
	 * cancelled behind them), which go first.
	 */
	/* RX order likewise: reads go to the kernel as one hard-linked chain at a time. */
	unsigned int rx_in_kernel, rx_queued;
	uint32_t rx_queue[RX_INFLIGHT];
	unsigned int tx_in_kernel;
	unsigned int tx_queued, tx_retries;
	bool tx_wait;			/* a retry met EAGAIN: wait for POLLOUT first */
	bool tap_gone;			/* the tap was detached (EBADFD): the device needs a reset */
	uint32_t tx_queue[TX_INFLIGHT];
	uint32_t tx_retry[TX_INFLIGHT];
	bool rx_pushed, tx_pushed;	/* used entries since the last interrupt decision */
	bool stopping;
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
	uint8_t spill;			/* one host byte past every read: catches oversize frames */
	uint8_t soft_scratch[SOFT_SCRATCH_LEN];	/* one software-offloaded frame at a time */
	/* start-up handshake */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int init_result;
	bool init_done;
};

/* vnet_io.c: hand a request to the engine; its completion calls vnet_rx_done/vnet_tx_done. */
/* iov must have room for one more entry: the spill byte goes there. */
void vnet_io_submit_rx(struct vnet_io *io, struct iovec *iov, unsigned int niov,
		       unsigned int index, bool link);
void vnet_io_submit_tx(struct vnet_io *io, struct tx_req *r, unsigned int index, bool link);
/* Waits for the tap to take writes again before what follows (a linked POLLOUT). */
void vnet_io_submit_tx_wait(struct vnet_io *io);
/* vnet_io.c: iovec helpers over guest buffers. */
size_t vnet_io_copy_out(void *dst, const struct iovec *iov, unsigned int n, size_t off, size_t len);
size_t vnet_io_copy_in(const struct iovec *iov, unsigned int n, const void *src, size_t len);
bool vnet_io_skip(const struct iovec *src, unsigned int n, size_t skip, struct iovec *dst,
		  unsigned int max, unsigned int *out_n);

/* The tap was detached (a read or write said EBADFD): no more reads, NEEDS_RESET. */
void vnet_io_tap_gone(struct vnet_io *io);

/* vnet_tx.c */
void vnet_tx_drain(struct vnet_io *io);
void vnet_tx_done(struct vnet_io *io, unsigned int index, int res);
/*
 * vnet_offload.c: verify=on's check of one TX frame (counted and logged;
 * true, with the mismatches in *r, when the request disagrees with the
 * bytes); the software path of one request.
 */
bool vnet_offload_verify(struct vnet *n, const struct virtio_net_hdr_v1 *hdr,
			 const struct iovec *frame, unsigned int nr_iov, uint32_t frame_len,
			 struct verify_result *r);
bool vnet_offload_soft(const struct vnet *n, const struct net_tx_meta *meta);
/*
 * Sends r's frame finished in software, synchronously: 0 when it went out,
 * -errno when the tap refused it, 1 when it was dropped (and counted) here.
 */
int vnet_offload_send(struct vnet_io *io, struct tx_req *r);
/* vnet_rx.c */
void vnet_rx_fill(struct vnet_io *io);
void vnet_rx_done(struct vnet_io *io, unsigned int index, int res);

/*
 * vnet_pcap.c, called only with n->pcap set: one record per completed chain.
 * iov, niov, len: the chain's buffers and bytes, header included; hdr: the
 * header (TX: the guest's; RX: the one written for the guest), NULL if none;
 * drop: NULL, or the reason as --metrics names it; verify: verify=on's
 * mismatches for the comment, or NULL.
 */
void vnet_pcap_tx(struct vnet *n, const struct iovec *iov, unsigned int niov, uint32_t len,
		  const struct virtio_net_hdr_v1 *hdr, const char *drop,
		  const struct verify_result *verify);
void vnet_pcap_tx_offload(struct vnet *n, const struct iovec *iov, unsigned int niov, uint32_t len,
			  const struct virtio_net_hdr_v1 *hdr, int err,
			  const struct verify_result *verify);
void vnet_pcap_rx(struct vnet *n, const struct iovec *iov, unsigned int niov, uint32_t len,
		  const struct virtio_net_hdr_v1 *hdr, const char *drop);

#endif
