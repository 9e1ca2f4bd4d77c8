// SPDX-License-Identifier: MIT
// The reset control register: reads give back the SYS_RST and FULL_RST bits last written; a
// write with RST_CPU set resets the machine (Linux writes cf9 | 2, then cf9 | 6 or cf9 | 14).
#include <string.h>

#include "devices/rstctl.h"

static void rstctl_read(void *opaque, uint64_t off __unused, uint8_t *data,
			unsigned int size)
{
	struct rstctl *r = opaque;

	memset(data, 0, size);
	data[0] = atomic_load(&r->value);
}

static void rstctl_write(void *opaque, uint64_t off __unused, const uint8_t *data,
			 unsigned int size __unused)
{
	struct rstctl *r = opaque;

	atomic_store(&r->value, data[0] & (RSTCTL_SYS_RST | RSTCTL_FULL_RST));
	if (data[0] & RSTCTL_RST_CPU)
		platform_request(r->sink, PLATFORM_RESET, 0);
}

int rstctl_register(struct rstctl *r, struct bus *pio, const struct platform_sink *sink)
{
	struct bus_dev dev = { .name = "reset-control", .base = RSTCTL_PORT, .len = 1,
			       .read = rstctl_read, .write = rstctl_write, .opaque = r };

	r->sink = sink;
	atomic_store(&r->value, 0);
	return bus_register(pio, &dev);
}
