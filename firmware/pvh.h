// SPDX-License-Identifier: MIT
// ELF kernels through the PVH entry (Xen's hvm_start_info ABI, as Linux and QEMU use it).
#ifndef MINNOW_PVH_H
#define MINNOW_PVH_H

#include <stdbool.h>
#include <stdint.h>

#include "firmware/boot.h"

/* xen/include/public/arch-x86/hvm/start_info.h, version 1. */
#define PVH_START_MAGIC		0x336ec578
#define PVH_NOTE_PHYS32_ENTRY	18	/* XEN_ELFNOTE_PHYS32_ENTRY */

struct pvh_start_info {
	uint32_t magic;
	uint32_t version;
	uint32_t flags;
	uint32_t nr_modules;
	uint64_t modlist_paddr;
	uint64_t cmdline_paddr;
	uint64_t rsdp_paddr;
	uint64_t memmap_paddr;
	uint32_t memmap_entries;
	uint32_t reserved;
};

struct pvh_module {
	uint64_t paddr;
	uint64_t size;
	uint64_t cmdline_paddr;
	uint64_t reserved;
};

struct pvh_memmap_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
	uint32_t reserved;
};

#define PVH_MEMMAP_ADDR (BOOT_PVH_INFO_ADDR + 0x40)
#define PVH_MODLIST_ADDR (BOOT_PVH_INFO_ADDR + 0x200)

/* True for an ELF64 image (the loader then requires the PVH note). */
bool pvh_is_elf(const struct boot_image *img);

/* The 32-bit entry from the image's PVH note; -EINVAL with a message when absent or malformed. */
int pvh_find_entry(const struct boot_image *img, uint32_t *entry, char *err,
		   size_t errlen) __must_check;

/* Loads the PT_LOAD segments, initrd, command line and hvm_start_info; fills entry. */
int pvh_load(const struct gmem *gm, const struct boot_args *args, struct boot_entry *entry,
	     char *err, size_t errlen) __must_check;

#endif
