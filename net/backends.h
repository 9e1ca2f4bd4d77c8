// SPDX-License-Identifier: MIT
// The net backends minnow has, opened from the --net options: the one place that knows them all
// (net/tap_uring.c, net/tap_sync.c); the device sees only net/backend.h.
#ifndef MINNOW_NET_BACKENDS_H
#define MINNOW_NET_BACKENDS_H

#include <stddef.h>

#include "base/compiler.h"
#include "net/backend.h"
#include "net/config.h"

/*
 * The backends cfg asks for (a tap, on io_uring or io=sync), one per queue
 * pair, into out[0 .. *n) (room for NET_QUEUES_MAX): cfg->queues (or fds=)
 * of them on a multi-queue tap; where queues= was not given and the tap
 * cannot be multi-queue, one. -errno with a message in err.
 */
int backends_open(const struct net_config *cfg, struct backend **out, unsigned int *n, char *err,
		  size_t errlen) __must_check;

/*
 * What can be checked of cfg's taps without opening or changing anything
 * (--dry-run): each fd= or fds= descriptor is an open tap of the right kind.
 * 0, or -errno with err.
 */
int backends_check(const struct net_config *cfg, char *err, size_t errlen) __must_check;

/* The same over an fd that behaves like a tap (a SOCK_SEQPACKET socket in tests): caps as given. */
int backends_open_socket(const struct net_config *cfg, int fd, const struct net_caps *caps,
			 struct backend **out) __must_check;

#endif
