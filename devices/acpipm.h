// SPDX-License-Identifier: MIT
// The ACPI PM port: the FADT's sleep control/status and reset registers, on one I/O port.
#ifndef MINNOW_ACPIPM_H
#define MINNOW_ACPIPM_H

#include "vmm/machine.h"

/* Registers the one-byte port at `port` on m's PIO bus. */
int acpipm_register(struct machine *m, uint16_t port) __must_check;

#endif
