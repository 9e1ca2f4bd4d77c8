// SPDX-License-Identifier: MIT
// --trace: one stderr line per data-path event in the categories asked for; free when off.
#ifndef MINNOW_TRACE_H
#define MINNOW_TRACE_H

#include <stddef.h>
#include <stdio.h>

#include "base/compiler.h"

enum trace_cat {
	TRACE_MMIO,	/* virtio-mmio register reads and writes */
	TRACE_VIRTQ,	/* chains taken, refused and returned; rings found corrupt */
	TRACE_NET,	/* virtio-net frames: length, header fields, verdict */
	TRACE_URING,	/* io_uring requests submitted and completed */
	TRACE_IRQ,	/* interrupts raised, or suppressed by the driver (EVENT_IDX, NO_INTERRUPT) */
	TRACE_NR,
};

/*
 * Bit c set: category c is traced. Written once by the main thread before any
 * other thread starts, read-only afterwards.
 */
extern unsigned int trace_mask;

#define TRACE_ON(cat)	__builtin_expect(!!(trace_mask & (1u << (cat))), 0)

/* The arguments are evaluated (and the line formatted) only when cat is on. */
#define trace(cat, fmt, ...)                                              \
	do {                                                              \
		if (TRACE_ON(cat))                                        \
			trace_line((cat), fmt, ##__VA_ARGS__);            \
	} while (0)

/* "minnow: trace SECONDS CATEGORY: message", one write per line; seconds since trace_start. */
void trace_line(enum trace_cat cat, const char *fmt, ...) __printf(2, 3);
/* Turns the categories in mask on and starts the clock the lines show. */
void trace_start(unsigned int mask);

/*
 * Parses "CAT[,CAT...]" (mmio, virtq, net, uring, irq, all) into *mask: 0, or
 * -EINVAL with the first unknown word copied into bad.
 */
int trace_parse(const char *list, unsigned int *mask, char *bad, size_t badlen) __must_check;
/* Lists the categories on out (--trace help). */
void trace_help(FILE *out);

#endif
