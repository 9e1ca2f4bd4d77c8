// SPDX-License-Identifier: MIT
// What every kernel loader shares: the guest-physical boot layout, the CPU state a kernel starts
// in, the GDT and page tables (the loaders are bzimage.c and pvh.c; loader.c picks one).
#ifndef MINNOW_BOOT_H
#define MINNOW_BOOT_H

#include <stddef.h>
#include <stdint.h>

#include "base/gmem.h"
#include "base/log.h"
#include "firmware/e820.h"

/*
 * Guest-physical layout below 1 MiB. Everything minnow
 * writes for the boot lives here; kernels load at or above 1 MiB.
 */
#define BOOT_GDT_ADDR	    0x500ULL
#define BOOT_IDT_ADDR	    0x540ULL	/* after the six GDT entries */
#define BOOT_PVH_INFO_ADDR  0x6000ULL	/* hvm_start_info, its memory map and module list */
#define BOOT_ZERO_PAGE_ADDR 0x7000ULL	/* struct boot_params */
#define BOOT_STACK_ADDR	    0x8ff0ULL
#define BOOT_PML4_ADDR	    0x9000ULL
#define BOOT_PDPT_ADDR	    0xa000ULL
#define BOOT_PD_ADDR	    0xb000ULL	/* four page directories: 4 GiB of 2 MiB pages */
#define BOOT_CMDLINE_ADDR   0x20000ULL
#define BOOT_CMDLINE_MAX    4096ULL	/* including the terminating NUL */
#define BOOT_KERNEL_ADDR    0x100000ULL

/* GDT selectors (boot.rst: __BOOT_CS 0x10, __BOOT_DS 0x18), and a TSS for TR. */
#define BOOT_SEL_CS  0x10
#define BOOT_SEL_DS  0x18
#define BOOT_SEL_TSS 0x20

enum boot_mode {
	BOOT_MODE_LONG,	 /* 64-bit boot protocol: long mode, identity paging */
	BOOT_MODE_PVH,	 /* PVH: 32-bit protected mode, paging off */
};

/* The BSP's starting state, as the loader decided it. */
struct boot_entry {
	enum boot_mode mode;
	uint64_t rip;
	uint64_t rsi;	/* 64-bit protocol: boot_params */
	uint64_t rbx;	/* PVH: hvm_start_info */
};

/* What the loaders share with each other and with their tests. */
struct boot_image {
	const uint8_t *data;
	size_t size;
};

struct boot_args {
	struct boot_image kernel;
	struct boot_image initrd;	/* size 0: none */
	const char *cmdline;
	/* Guest-physical address of the ACPI RSDP, 0 when there is none. */
	uint64_t rsdp_addr;
	/* The memory map the kernel is told (from the machine description). */
	const struct e820_entry *e820;
	unsigned int nr_e820;
};

/* The GDT at BOOT_GDT_ADDR: code descriptor 64-bit (LONG) or 32-bit (PVH). */
int boot_write_gdt(const struct gmem *gm, enum boot_mode mode) __must_check;
/* The GDT descriptors minnow writes, for the vCPU's segment registers. */
uint64_t boot_gdt_entry(enum boot_mode mode, unsigned int index);
/* Identity page tables for the first 4 GiB at BOOT_PML4_ADDR. */
int boot_write_page_tables(const struct gmem *gm) __must_check;
/* Writes the command line at BOOT_CMDLINE_ADDR; -E2BIG when longer than max - 1 bytes. */
int boot_write_cmdline(const struct gmem *gm, const char *cmdline, size_t max) __must_check;

/*
 * Places the initrd as high as possible in low RAM, page-aligned, below
 * limit (exclusive) and at or above floor. Returns its address through addr.
 */
int boot_place_initrd(const struct gmem *gm, const struct boot_image *initrd, uint64_t floor,
		      uint64_t limit, uint64_t *addr, char *err, size_t errlen) __must_check;

#endif
