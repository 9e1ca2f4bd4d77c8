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

#include "base/sandbox.h"
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

#define DB_MAX_SIZE	 1472 /* a datagram in one 1500-byte MTU frame: no fragments */
#define DB_RR_SEQ_LEN	 8    /* rr: the request's sequence number opens its payload */
#define DB_RR_TIMEOUT_MS 1000 /* rr: no reply by then is a loss, and the next request goes */

enum db_row { DB_RX, DB_TX, DB_RR };

struct db_opts {
	enum db_row row;
	const char *row_name;
	const char *tap;
	bool sync; /* io=sync: the readv/writev engine instead of io_uring */
	enum sandbox_mode seccomp; /* the device's threads sandboxed (default on) */
	bool mrg;  /* negotiate MRG_RXBUF */
	double seconds, warmup;
	uint32_t size;	     /* UDP payload bytes of every datagram */
	uint32_t rxbuf;	     /* bytes of one posted RX buffer, header included */
	unsigned int window; /* rx: most datagrams the peer keeps queued on the tap */
};

/* The host side: one thread, sending (rx), receiving (tx) or asking (rr) UDP through the tap. */
struct db_peer {
	const struct db_opts *o;
	pthread_t thread;
	bool started;
	atomic_bool stop;
	int fd;
	int tap_taken, tap_dropped; /* rx: the tap's tx_packets, tx_dropped (sysfs) */
	int err;		    /* errno that ended the thread early, read after the join */
	atomic_bool done; /* rr: the thread is about to return, its last round trip over */
	/* Written by the peer thread only, read at any time (relaxed). */
	_Atomic uint64_t frames, bytes; /* rx: sent; tx: received of the right size; rr: replies */
	_Atomic uint64_t bad, stalls;	/* tx, rr: datagrams not as expected; rx: full windows */
	_Atomic uint64_t requests, lost, late; /* rr: sent; timed out; replies to a lost one */
	/* rr: each good round trip's time in ns, in order; the peer's own, read after the join. */
	uint32_t *rtt;
	size_t rtt_cap;
};

/* rr: round-trip times of a window (microseconds; nearest-rank percentiles). */
struct db_rtt {
	uint64_t n;
	double min, med, p90, p99, max, mean;
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
	uint64_t csum_partial, data_valid; /* rx, rr: what the header said */
	unsigned int txq;		   /* rr: the queue the echoes go out on */
	uint16_t tx_kicked;		   /* rr: txq's avail.idx at the last decision */
	uint64_t echo_full, tx_done;	   /* rr: echoes with no TX slot; TX chains completed */
	uint64_t csum_checked, csum_bad;   /* rr: echoes whose checksums were verified */
};

/* devbench_drv.c: the polling driver. */
int db_drv_init(struct db_drv *v, struct netdrv *d, const struct db_opts *o,
		const uint8_t tap_mac[6]) __must_check;
/* One pass over the row's queues: take what the device used, post again, notify if asked. */
void db_drv_step(struct db_drv *v);
/* Chains the device still holds (tx, rr: the TX queue). */
unsigned int db_drv_inflight(const struct db_drv *v);

/* devbench_peer.c: the host side. */
int db_peer_start(struct db_peer *p, const struct db_opts *o) __must_check;
/* Asks the thread to end (after rr's round trip in flight) and joins it. */
void db_peer_stop(struct db_peer *p);
/* rr: the stop request alone; the caller keeps the driver going until done, then stops. */
void db_peer_ask_stop(struct db_peer *p);
/* rr: the times of good round trips [from, to) (counts of p->frames), sorted in place. */
void db_peer_rtt(struct db_peer *p, uint64_t from, uint64_t to, struct db_rtt *out);
/* CPU nanoseconds the peer thread has used. */
uint64_t db_peer_cpu_ns(const struct db_peer *p);
/* Datagrams the peer's socket dropped (tx: its receive buffer was full); from any thread. */
uint64_t db_peer_drops(const struct db_peer *p);

#endif
