// SPDX-License-Identifier: MIT
// The reset control register at I/O port 0xCF9 (Intel PIIX/ICH chipsets), as Linux's
// reboot=pci (BOOT_CF9_FORCE) drives it.
#ifndef MINNOW_RSTCTL_H
#define MINNOW_RSTCTL_H

#include <stdatomic.h>
#include <stdint.h>

#include "devices/platform.h"

#define RSTCTL_PORT    0xcf9
#define RSTCTL_SYS_RST 0x02	/* hard (1) or soft (0) reset, when RST_CPU is written */
#define RSTCTL_RST_CPU 0x04	/* writing 1 resets */
#define RSTCTL_FULL_RST 0x08	/* with a hard reset, power-cycle as well */

struct rstctl {
	const struct platform_sink *sink;
	_Atomic uint8_t value;	/* SYS_RST and FULL_RST as last written; vCPUs may race */
};

/* Registers the one-byte port on pio; r and sink must outlive the bus. */
int rstctl_register(struct rstctl *r, struct bus *pio, const struct platform_sink *sink) __must_check;

#endif
