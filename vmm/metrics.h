// SPDX-License-Identifier: MIT
// --metrics PATH: the machine's counters as one JSON document, at the guest's end and on SIGUSR1.
#ifndef MINNOW_METRICS_H
#define MINNOW_METRICS_H

#include <stdint.h>

#include "base/compiler.h"

struct vnet;
struct vrng;

/* What the document says, gathered by the machine. */
struct metrics_report {
	const char *exit_reason;	/* "running", "poweroff", "reset", ... */
	int exit_value;
	int exit_status;		/* the process exit status they make */
	uint64_t serial_tx_bytes;
	struct vnet *net;		/* NULL without --net */
	struct vrng *rng;		/* NULL without --rng */
};

/* Writes r to path (via a temporary file and rename); 0 or -errno after logging. */
int metrics_write(const char *path, const struct metrics_report *r) __must_check;

#endif
