// SPDX-License-Identifier: MIT
// Debug exit port: a test guest ends the VM with a status byte (QEMU's isa-debug-exit port).
#ifndef MINNOW_DBGEXIT_H
#define MINNOW_DBGEXIT_H

#include "devices/platform.h"

/* Same port and width as `-device isa-debug-exit,iobase=0x501,iosize=2`, so one guest runs on both. */
#define DBGEXIT_PORT 0x501
#define DBGEXIT_SIZE 2

/* Registers the port on pio; sink must outlive the bus. */
int dbgexit_register(struct bus *pio, const struct platform_sink *sink) __must_check;

#endif
