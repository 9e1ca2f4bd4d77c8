// SPDX-License-Identifier: MIT
// Software offloads for a backend that cannot do them (--net ...,offload=soft, or a tap that
// refuses them): checksum completion and TCP/UDP segmentation of a validated TX frame into
// plain frames, built one at a time in a caller-owned scratch buffer.
#ifndef MINNOW_NET_SOFT_H
#define MINNOW_NET_SOFT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "base/compiler.h"
#include "net/meta.h"

/* One frame: the largest a guest may send (virtio 1.2 §5.1.6.3.1), rounded up. */
#define SOFT_SCRATCH_LEN 65552

/* Why a frame could not be finished in software (it is dropped and counted). */
enum soft_err {
	SOFT_ERR_LAYOUT = 1,	/* the frame's headers are not where the metadata says */
	SOFT_ERR_SHORT,		/* the frame ended early, or is larger than the scratch */
	SOFT_ERR_MAX,
};

extern const char *const soft_err_names[SOFT_ERR_MAX];

/* What soft_send did with one frame: counted by the caller. */
struct soft_result {
	unsigned int frames;	/* frames handed to the sink */
	enum soft_err err;	/* 0, or why the rest of the frame was dropped unsent */
};

/* Takes one finished frame (no virtio-net header): 0, or -errno to stop. */
struct soft_sink {
	int (*emit)(void *ctx, const uint8_t *frame, size_t len);
	void *ctx;
};

/*
 * Finishes what meta asks for on the frame_len-byte frame in iov and hands
 * the result to sink, frame by frame, built in scratch (SOFT_SCRATCH_LEN
 * bytes):
 * - checksum only: the virtio rule (§5.1.6.2.1), the one's-complement sum
 *   from csum_start to the end, stored at csum_start + csum_offset;
 * - TSO/USO: segments of mss payload bytes, as Linux's GSO makes them: IPv4
 *   ID + i, IP lengths, TCP sequence + i * mss, CWR on the first segment
 *   only, FIN and PSH on the last only, UDP length, and full IPv4 header and
 *   L4 checksums computed from scratch (the guest's partial sum is not used).
 * Fills *res: the frames sent, and for a frame whose bytes do not match
 * meta, why the rest was dropped (some segments may have gone out). Returns
 * 0, or the sink's -errno (res->frames went out before it).
 */
int soft_send(const struct net_tx_meta *meta, const struct iovec *iov, unsigned int nr_iov,
	      uint8_t *scratch, const struct soft_sink *sink, struct soft_result *res) __must_check;

/* The TUN_F_* offloads soft_send covers: what offload=soft offers whatever the tap says. */
void soft_caps(struct net_caps *caps);

#endif
