// SPDX-License-Identifier: MIT
// The part of the i8042 keyboard controller a guest needs: status reads and the 0xFE reset.
#ifndef MINNOW_I8042_H
#define MINNOW_I8042_H

#include "devices/platform.h"

#define I8042_DATA_PORT	   0x60
#define I8042_COMMAND_PORT 0x64
#define I8042_CMD_RESET	   0xfe	/* pulse the CPU reset line */

/* Registers ports 0x60 and 0x64 on pio; sink must outlive the bus. */
int i8042_register(struct bus *pio, const struct platform_sink *sink) __must_check;

#endif
