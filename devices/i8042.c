// SPDX-License-Identifier: MIT
// The part of the i8042 keyboard controller a guest needs: status reads and the 0xFE reset.
#include <string.h>

#include "devices/i8042.h"

/* No keyboard: reads say "no data, input buffer empty", which ends Linux's probing quickly. */
static void i8042_read(void *opaque __unused, uint64_t off __unused, uint8_t *data,
		       unsigned int size)
{
	memset(data, 0, size);
}

static void i8042_command(void *opaque, uint64_t off __unused, const uint8_t *data,
			  unsigned int size __unused)
{
	if (data[0] == I8042_CMD_RESET)
		platform_request(opaque, PLATFORM_RESET, 0);
}

int i8042_register(struct bus *pio, const struct platform_sink *sink)
{
	struct bus_dev data = { .name = "i8042-data", .base = I8042_DATA_PORT, .len = 1,
				.read = i8042_read, .opaque = (void *)sink };
	struct bus_dev cmd = { .name = "i8042-cmd", .base = I8042_COMMAND_PORT, .len = 1,
			       .read = i8042_read, .write = i8042_command, .opaque = (void *)sink };
	int ret = bus_register(pio, &data);

	return ret ? ret : bus_register(pio, &cmd);
}
