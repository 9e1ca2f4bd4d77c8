// SPDX-License-Identifier: MIT
// What a platform device may ask of the machine that holds it: power off, reset, or end with a
// debug status. The machine hands each device a sink; devices never call up into vmm/.
#ifndef MINNOW_PLATFORM_H
#define MINNOW_PLATFORM_H

#include "base/bus.h"

enum platform_request {
	PLATFORM_POWEROFF,	/* ACPI S5 */
	PLATFORM_RESET,		/* i8042 0xFE, ACPI reset register, port 0xCF9 */
	PLATFORM_DEBUG_EXIT,	/* the debug exit port, with the byte written */
};

/* Called on the vCPU thread that made the access; must be safe from any thread. */
struct platform_sink {
	void (*request)(void *opaque, enum platform_request req, int value);
	void *opaque;
};

static inline void platform_request(const struct platform_sink *sink, enum platform_request req,
				    int value)
{
	sink->request(sink->opaque, req, value);
}

#endif
