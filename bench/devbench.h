// SPDX-License-Identifier: MIT
// The device-only benchmark (bench/devbench.c): minnow's virtio-net device and its net backend on
// a real tap, driven by an in-process polling driver (tests/support/netdrv) instead of a VM, with
// the host peer on a thread of the same process; no KVM. Shared by devbench*.c.
#ifndef BENCH_DEVBENCH_H
#define BENCH_DEVBENCH_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "tests/support/netdrv.h"

/*
 * The addressing bench/dev.sh sets up in its namespace (a static neighbour, nud permanent): the
 * device 10.99.1.2 with MAC 02:00:00:00:00:02 behind the tap, the peer on the tap's 10.99.1.1.
 */
#define DB_GUEST_MAC  0x02, 0, 0, 0, 0, 0x02
#define DB_GUEST_IP   0x0a630102
#define DB_HOST_IP    0x0a630101
#define DB_GUEST_PORT 5000
#define DB_HOST_PORT  5000

enum db_row { DB_RX, DB_TX };

struct db_opts {
	enum db_row row;
	const char *row_name;
	const char *tap;
	bool sync; /* io=sync: the readv/writev engine instead of io_uring */
	bool mrg;  /* negotiate MRG_RXBUF */
	double seconds, warmup;
	uint32_t size;	     /* UDP payload bytes of every datagram */
	uint32_t rxbuf;	     /* bytes of one posted RX buffer, header included */
	unsigned int window; /* rx: most datagrams the peer keeps queued on the tap */
};

/* The host side: one thread, sending (rx) or receiving (tx) UDP through the tap. */
struct db_peer {
	const struct db_opts *o;
	pthread_t thread;
	bool started;
	atomic_bool stop;
	int fd;
	int tap_taken, tap_dropped; /* rx: the tap's tx_packets, tx_dropped (sysfs) */
	int err;		    /* errno that ended the thread early, read after the join */
	/* Written by the peer thread only, read at any time (relaxed). */
	_Atomic uint64_t frames, bytes; /* rx: sent; tx: received of the right size */
	_Atomic uint64_t bad, stalls;	/* tx: datagrams of another size; rx: full windows */
};

/* The guest's driver: counters written by the one thread that polls. */
struct db_drv {
	const struct db_opts *o;
	struct netdrv *d;
	unsigned int q;		/* the queue the row moves frames through */
	uint16_t kicked;	/* avail.idx at the last notification decision */
	uint32_t frame_len;	/* tx: header + frame bytes in every slot */
	unsigned int mrg_left;	/* rx: buffers still to take of a merged frame */
	bool no_post;		/* tx: the run is over: take completions, post nothing */
	uint64_t frames, bytes; /* rx: datagrams of the flow; tx: chains completed */
	uint64_t other;		/* rx: frames of another flow or size */
	uint64_t posted, kicks, polls_idle;
	uint64_t csum_partial, data_valid; /* rx: what the header said */
};

/* devbench_drv.c: the polling driver. */
int db_drv_init(struct db_drv *v, struct netdrv *d, const struct db_opts *o,
		const uint8_t tap_mac[6]) __must_check;
/* One pass over the row's queue: take what the device used, post again, notify if asked. */
void db_drv_step(struct db_drv *v);
/* Chains the device still holds (tx). */
unsigned int db_drv_inflight(const struct db_drv *v);

/* devbench_peer.c: the host side. */
int db_peer_start(struct db_peer *p, const struct db_opts *o) __must_check;
void db_peer_stop(struct db_peer *p);
/* CPU nanoseconds the peer thread has used. */
uint64_t db_peer_cpu_ns(const struct db_peer *p);
/* Datagrams the peer's socket dropped (tx: its receive buffer was full); from any thread. */
uint64_t db_peer_drops(const struct db_peer *p);

#endif
