// SPDX-License-Identifier: MIT
// Guest-virtual to guest-physical translation by walking the guest's page tables through gmem.
#ifndef MINNOW_GVA_H
#define MINNOW_GVA_H

#include <stdint.h>

#include "base/gmem.h"

/* The paging state of a vCPU, as KVM_GET_SREGS reports it. */
struct gva_mmu {
	uint64_t cr0, cr3, cr4, efer;
};

/*
 * Translates gva for mmu: identity when paging is off (CR0.PG clear), else
 * the 4-level long-mode walk from CR3 with 1 GiB and 2 MiB pages (SDM vol. 3A
 * 4.5). Every table entry is read through gmem. On success stores the
 * address and how many bytes from it stay in the same page (>= 1). Returns
 * -EFAULT for a non-present entry or a table outside RAM, -EOPNOTSUPP for
 * 32-bit paging, PAE without long mode and 5-level paging.
 */
int gva_translate(const struct gmem *gm, const struct gva_mmu *mmu, uint64_t gva, gpa_t *gpa,
		  uint64_t *page_left) __must_check;

/*
 * Copies len bytes at guest-virtual gva (page by page) to or from guest RAM;
 * 0, or the first error of gva_translate or gmem.
 */
int gva_read(const struct gmem *gm, const struct gva_mmu *mmu, uint64_t gva, void *dst,
	     uint64_t len) __must_check;
int gva_write(const struct gmem *gm, const struct gva_mmu *mmu, uint64_t gva, const void *src,
	      uint64_t len) __must_check;

#endif
