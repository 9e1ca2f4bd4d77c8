// SPDX-License-Identifier: MIT
// The --virtio-strict policy every virtio device shares: what a driver's spec violation does.
#include <errno.h>
#include <stdatomic.h>
#include <string.h>

#include "devices/virtio/vdev.h"

/* Set before any device runs (vdev_strict_set), read-only afterwards. */
static enum vdev_strict vdev_mode = VDEV_STRICT_WARN;
static void (*vdev_stop)(void *opaque);
static void *vdev_stop_arg;
static atomic_bool vdev_aborted;

static const char *const vdev_strict_names[] = {
	[VDEV_STRICT_OFF] = "off", [VDEV_STRICT_WARN] = "warn",
	[VDEV_STRICT_RESET] = "reset", [VDEV_STRICT_ABORT] = "abort",
};

int vdev_strict_parse(const char *name, enum vdev_strict *mode)
{
	for (size_t i = 0; i < ARRAY_SIZE(vdev_strict_names); i++) {
		if (strcmp(name, vdev_strict_names[i]) == 0) {
			*mode = i;
			return 0;
		}
	}
	return -EINVAL;
}

void vdev_strict_set(enum vdev_strict mode, void (*stop)(void *opaque), void *opaque)
{
	vdev_mode = mode;
	vdev_stop = stop;
	vdev_stop_arg = opaque;
	atomic_store(&vdev_aborted, false);
}

enum vdev_strict vdev_strict_mode(void)
{
	return vdev_mode;
}

bool vdev_strict_abort(void)
{
	if (vdev_mode != VDEV_STRICT_ABORT || atomic_exchange(&vdev_aborted, true))
		return false;
	if (vdev_stop)
		vdev_stop(vdev_stop_arg);
	return true;
}
