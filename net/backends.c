// SPDX-License-Identifier: MIT
// The net backends minnow has, opened from the --net options (io=uring|sync picks the engine).
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "net/backends.h"
#include "net/tap_sync.h"
#include "net/tap_uring.h"

static struct tap *backends_new(const struct net_config *cfg)
{
	return cfg->io_sync ? tap_sync_new() : tap_uring_new();
}

int backends_open(const struct net_config *cfg, struct backend **out, char *err, size_t errlen)
{
	struct tap *t = backends_new(cfg);
	int ret;

	if (!t) {
		snprintf(err, errlen, "cannot set up the tap backend: out of memory");
		return -ENOMEM;
	}
	ret = tap_open(t, cfg, err, errlen);
	if (ret) {
		free(t);
		return ret;
	}
	*out = &t->be;
	return 0;
}

int backends_open_socket(const struct net_config *cfg, int fd, const struct net_caps *caps,
			 struct backend **out)
{
	struct tap *t = backends_new(cfg);

	if (!t)
		return -ENOMEM;
	tap_from_socket(t, cfg, fd, caps);
	*out = &t->be;
	return 0;
}
