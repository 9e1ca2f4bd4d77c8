// SPDX-License-Identifier: MIT
// Debug exit port: a test guest ends the VM with a status byte (QEMU's isa-debug-exit port).
#include "devices/dbgexit.h"

static void dbgexit_write(void *opaque, uint64_t off, const uint8_t *data,
			  unsigned int size __unused)
{
	/* The status is the low byte of a write at the port's first address. */
	if (off == 0)
		platform_request(opaque, PLATFORM_DEBUG_EXIT, data[0]);
}

int dbgexit_register(struct bus *pio, const struct platform_sink *sink)
{
	struct bus_dev dev = { .name = "debug-exit", .base = DBGEXIT_PORT, .len = DBGEXIT_SIZE,
			       .write = dbgexit_write, .opaque = (void *)sink };

	return bus_register(pio, &dev);
}
