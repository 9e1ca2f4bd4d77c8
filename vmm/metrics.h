// SPDX-License-Identifier: MIT
// --metrics PATH: the machine's counters as one JSON document, written when the guest ends.
#ifndef MINNOW_METRICS_H
#define MINNOW_METRICS_H

#include "vmm/machine.h"

/* Writes PATH (via a temporary file and rename); 0 or -errno after logging. */
int metrics_write(struct machine *m, const char *path) __must_check;

#endif
