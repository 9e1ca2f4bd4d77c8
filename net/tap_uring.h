// SPDX-License-Identifier: MIT
// The tap on io_uring: the net backend of the data path (net/backend.h).
#ifndef MINNOW_NET_TAP_URING_H
#define MINNOW_NET_TAP_URING_H

#include "net/tap.h"

struct io_uring;

/* The optional io_uring features the engine uses where the kernel has them. */
enum {
	TAP_URING_F_DEFER = 1u << 0,	/* SINGLE_ISSUER + DEFER_TASKRUN (6.1) */
	TAP_URING_F_RING_FD = 1u << 1,	/* a registered ring fd (5.18) */
	TAP_URING_F_FIXED = 1u << 2,	/* the tap in the ring's file table */
	TAP_URING_F_BATCH = 1u << 3,	/* waits that batch completions (min_wait_usec, 6.12) */
	TAP_URING_F_COUNT = 4,
	TAP_URING_F_ALL = (1u << TAP_URING_F_COUNT) - 1,
};

/*
 * Switches features off, as if the kernel lacked them: a comma list of
 * defer_taskrun, ring_fd, fixed_file, batch_wait, or all. For tests of the fallbacks.
 */
#define TAP_URING_DISABLE_ENV "MINNOW_URING_DISABLE"

/* Parses such a list into TAP_URING_F_* bits: 0, or -EINVAL with a message naming the word. */
int tap_uring_disable_parse(const char *list, unsigned int *off, char *err, size_t errlen)
	__must_check;
/* "io_uring" and "+name" per feature: the engine as metrics name it. */
void tap_uring_engine_name(unsigned int features, char *out, size_t len);
/*
 * The features this kernel has, less those MINNOW_URING_DISABLE switches
 * off; probed once per process. 0, or -EINVAL (a bad variable) with err.
 */
int tap_uring_features(unsigned int *features, char *err, size_t errlen) __must_check;

/*
 * A tap backend on io_uring with its ops set, to be opened with tap_open,
 * batching completions for up to batch_us (0: none); NULL: no memory.
 */
struct tap *tap_uring_new(unsigned int features, unsigned int batch_us);

/* Whether be is this backend and sends its TX batches linked (a tap that may say EAGAIN). */
bool tap_uring_linked(const struct backend *be);

/* The ring of an attached backend, for tests that check its restrictions. */
struct io_uring *tap_uring_ring(struct backend *be);

#endif
