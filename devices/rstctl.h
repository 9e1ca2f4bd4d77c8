// SPDX-License-Identifier: MIT
// The reset control register at I/O port 0xCF9 (Intel PIIX/ICH chipsets), as Linux's
// reboot=pci (BOOT_CF9_FORCE) drives it.
#ifndef MINNOW_RSTCTL_H
#define MINNOW_RSTCTL_H

#include "vmm/machine.h"

#define RSTCTL_PORT    0xcf9
#define RSTCTL_SYS_RST 0x02	/* hard (1) or soft (0) reset, when RST_CPU is written */
#define RSTCTL_RST_CPU 0x04	/* writing 1 resets */
#define RSTCTL_FULL_RST 0x08	/* with a hard reset, power-cycle as well */

/* Registers the one-byte port on m's PIO bus. */
int rstctl_register(struct machine *m) __must_check;

#endif
