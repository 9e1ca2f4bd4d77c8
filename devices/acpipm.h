// SPDX-License-Identifier: MIT
// The ACPI PM port: the FADT's sleep control/status and reset registers, on one I/O port.
#ifndef MINNOW_ACPIPM_H
#define MINNOW_ACPIPM_H

#include "devices/platform.h"

/* Registers the one-byte port at `port` on pio; sink must outlive the bus. */
int acpipm_register(struct bus *pio, uint16_t port, const struct platform_sink *sink) __must_check;

#endif
