// SPDX-License-Identifier: MIT
// The tap on io_uring: the net backend of the data path (net/backend.h).
#ifndef MINNOW_NET_TAP_URING_H
#define MINNOW_NET_TAP_URING_H

#include "net/tap.h"

/* A tap backend on io_uring with its ops set, to be opened with tap_open; NULL: no memory. */
struct tap *tap_uring_new(void);

/* Whether be is this backend and sends its TX batches linked (a tap that may say EAGAIN). */
bool tap_uring_linked(const struct backend *be);

#endif
