// SPDX-License-Identifier: MIT
// The tap on readv/writev and poll() (--net ...,io=sync): a net backend kept as a benchmark
// baseline for the io_uring one (net/backend.h).
#ifndef MINNOW_NET_TAP_SYNC_H
#define MINNOW_NET_TAP_SYNC_H

#include "net/tap.h"

/* A tap backend on readv/writev with its ops set, to be opened with tap_open; NULL: no memory. */
struct tap *tap_sync_new(void);

#endif
