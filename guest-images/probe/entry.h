// SPDX-License-Identifier: MIT
// Probe guest: boot ABI (PVH start info), exit statuses and symbols of entry.S.
#ifndef PROBE_ENTRY_H
#define PROBE_ENTRY_H

#include <stdint.h>

/*
 * Exit statuses written to the debug exit port (PROBE_EXIT_PORT). QEMU's
 * isa-debug-exit turns status s into process exit code (s << 1) | 1.
 */
#define PROBE_EXIT_OK	     0 /* the mode ran and its checks passed */
#define PROBE_EXIT_FAIL	     1 /* the mode ran and a check failed */
#define PROBE_EXIT_USAGE     2 /* unknown mode or bad probe.* argument */
#define PROBE_EXIT_EXCEPTION 3 /* unexpected CPU exception */
#define PROBE_EXIT_BAD_BOOT  4 /* hvm_start_info missing or invalid */
#define PROBE_EXIT_NO_RESET  5 /* a requested reset did not happen */

#define PROBE_EXIT_PORT 0x501

/* Xen public/arch-x86/hvm/start_info.h; the PVH ABI. */
#define HVM_START_MAGIC	    0x336ec578u
#define HVM_MEMMAP_TYPE_RAM 1

struct hvm_start_info {
	uint32_t magic;
	uint32_t version;
	uint32_t flags;
	uint32_t nr_modules;
	uint64_t modlist_paddr;
	uint64_t cmdline_paddr;
	uint64_t rsdp_paddr;
	uint64_t memmap_paddr;	 /* version >= 1 */
	uint32_t memmap_entries; /* version >= 1 */
	uint32_t reserved;
};

struct hvm_memmap_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
	uint32_t reserved;
};

/* Identity map built by entry.S: guest-physical == virtual below this. */
#define PROBE_IDENTITY_LIMIT 0x100000000ull

/*
 * 64-bit TSS (SDM vol. 3 §8.7) with an I/O permission bitmap covering all
 * 65536 ports, all allowed, and the required trailing 0xff byte. The page
 * tables map it user-writable, which the triple-fault mode relies on.
 */
struct probe_tss {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iopb_offset;
	uint8_t iopb[8192 + 1];
} __attribute__((packed));

/* Register frame that entry.S builds on the kernel stack for exceptions. */
struct probe_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error;
	uint64_t rip, cs, rflags, rsp, ss; /* pushed by the CPU */
};

/* Defined in entry.S. */
extern uint64_t probe_start_info; /* EBX at the PVH entry */
extern struct probe_tss probe_tss;
extern uint8_t probe_idt[256 * 16];
/* Interrupts counted by probe_irq_count_eoi, a CPL-0 handler that also EOIs. */
extern volatile uint32_t probe_irq_count;
void probe_irq_count_eoi(void);
/* The same for virtio devices: probe_virtio_irq_count_eoi bumps probe_virtio_irq_count. */
extern volatile uint32_t probe_virtio_irq_count;
void probe_virtio_irq_count_eoi(void);
/*
 * The page directory entries of the identity map: entry i maps the 2 MiB
 * at i << 21 (entry 0 points to the 4 KiB page table of the first 2 MiB).
 */
extern uint64_t probe_pd[2048];

/* entry.S jumps to probe_main (probe.h) at CPL 3 and calls probe_exception (trap.h) at CPL 0. */

#endif
