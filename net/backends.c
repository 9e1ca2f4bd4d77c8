// SPDX-License-Identifier: MIT
// The net backends minnow has, opened from the --net options (io=uring|sync picks the engine).
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"

#include "net/backends.h"
#include "net/tap_sync.h"
#include "net/tap_uring.h"

/* The engine io= names: 0, or -errno with a message in err. */
static int backends_new(const struct net_config *cfg, struct tap **out, char *err, size_t errlen)
{
	unsigned int features = 0;
	int ret;

	if (!cfg->io_sync) {
		ret = tap_uring_features(&features, err, errlen);
		if (ret)
			return ret;
	}
	*out = cfg->io_sync ? tap_sync_new() :
		tap_uring_new(features, cfg->batch_off ? 0 : cfg->batch_us ? cfg->batch_us :
			      NET_BATCH_US);
	if (!*out) {
		snprintf(err, errlen, "cannot set up the tap backend: out of memory");
		return -ENOMEM;
	}
	return 0;
}

/* Queue q of the tap: 0, or -errno with a message in err. */
static int backends_open_one(const struct net_config *cfg, unsigned int q, bool multi,
			     struct backend **out, char *err, size_t errlen)
{
	struct tap *t;
	int ret = backends_new(cfg, &t, err, errlen);

	if (ret)
		return ret;
	ret = tap_open(t, cfg, q, multi, err, errlen);
	if (ret) {
		free(t);
		return ret;
	}
	*out = &t->be;
	return 0;
}

int backends_open(const struct net_config *cfg, struct backend **out, unsigned int *n, char *err,
		  size_t errlen)
{
	unsigned int want = cfg->nfds ? cfg->nfds : cfg->queues ? cfg->queues : 1;
	bool multi = want > 1;
	int ret = 0;

	for (unsigned int q = 0; q < want; q++) {
		ret = backends_open_one(cfg, q, multi, &out[q], err, errlen);
		/*
		 * The default (queues= not given) on a tap that cannot be
		 * multi-queue, like a persistent one made without multi_queue:
		 * tun says EINVAL, and one queue pair does what minnow always did.
		 */
		if (ret == -EINVAL && q == 0 && multi && cfg->tap && !cfg->queues_set) {
			log_info("tap '%s' cannot be multi-queue (%s): one queue pair instead of "
				 "%u; create it with 'ip tuntap add ... multi_queue' for more",
				 cfg->tap, strerror(-ret), want);
			want = 1;
			multi = false;
			ret = backends_open_one(cfg, 0, false, &out[0], err, errlen);
		}
		if (ret) {
			char why[256];

			snprintf(why, sizeof(why), "%s", err);
			if (multi)
				snprintf(err, errlen, "queues=%u: %s", want, why);
			while (q)
				backend_close(out[--q]);
			return ret;
		}
	}
	*n = want;
	return 0;
}

int backends_check(const struct net_config *cfg, char *err, size_t errlen)
{
	int ret = 0;

	if (cfg->tap)
		return 0;	/* a tap by name is opened (or made) only by a run */
	if (!cfg->nfds)
		return tap_check_fd(cfg->fd, false, NULL, err, errlen);
	for (unsigned int q = 0; q < cfg->nfds && !ret; q++)
		ret = tap_check_fd(cfg->fds[q], cfg->nfds > 1, NULL, err, errlen);
	return ret;
}

int backends_open_socket(const struct net_config *cfg, int fd, const struct net_caps *caps,
			 struct backend **out)
{
	char err[160];
	struct tap *t;
	int ret = backends_new(cfg, &t, err, sizeof(err));

	if (ret) {
		log_err("%s", err);
		return ret;
	}
	tap_from_socket(t, cfg, fd, caps);
	*out = &t->be;
	return 0;
}
