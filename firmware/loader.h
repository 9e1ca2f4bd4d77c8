// SPDX-License-Identifier: MIT
// Loading a kernel into guest RAM: tells a bzImage from a PVH ELF and hands it to its loader.
#ifndef MINNOW_LOADER_H
#define MINNOW_LOADER_H

#include "firmware/boot.h"

/*
 * Loads kernel (bzImage or PVH ELF, told apart by magic), initrd and command
 * line into gm and fills entry. On error returns -errno and writes a message
 * naming the problem into err.
 */
int boot_load(const struct gmem *gm, const struct boot_args *args, struct boot_entry *entry,
	      char *err, size_t errlen) __must_check;

#endif
