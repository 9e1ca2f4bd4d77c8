// SPDX-License-Identifier: MIT
// Guest-virtual to guest-physical translation by walking the guest's page tables through gmem.
#include <errno.h>
#include <stdbool.h>

#include "gdb/gva.h"

#define GVA_CR0_PG	(1ULL << 31)
#define GVA_CR4_PAE	(1ULL << 5)
#define GVA_CR4_LA57	(1ULL << 12)
#define GVA_EFER_LMA	(1ULL << 10)
#define GVA_PTE_P	(1ULL << 0)
#define GVA_PTE_PS	(1ULL << 7)
/* Bits 51:12 of an entry (SDM vol. 3A table 4-15 and following, MAXPHYADDR at most 52). */
#define GVA_ADDR_MASK	0x000ffffffffff000ULL

int gva_translate(const struct gmem *gm, const struct gva_mmu *mmu, uint64_t gva, gpa_t *gpa,
		  uint64_t *page_left)
{
	uint64_t table = mmu->cr3 & GVA_ADDR_MASK;

	if (!(mmu->cr0 & GVA_CR0_PG)) {
		/* Paging off: protected mode with 32-bit linear addresses (the PVH entry). */
		if (gva > UINT32_MAX)
			return -EFAULT;
		*gpa = GPA(gva);
		*page_left = 4096 - (gva & 4095);
		return 0;
	}
	if (!(mmu->efer & GVA_EFER_LMA) || !(mmu->cr4 & GVA_CR4_PAE) || (mmu->cr4 & GVA_CR4_LA57))
		return -EOPNOTSUPP;
	/* Bits 63:48 must copy bit 47 (canonical); the walk alone would alias them. */
	if ((uint64_t)((int64_t)(gva << 16) >> 16) != gva)
		return -EFAULT;
	/* Levels 4..1 index with bits 47:39, 38:30, 29:21, 20:12; PS ends the walk at 3 and 2. */
	for (int level = 4; level >= 1; level--) {
		unsigned int shift = 12 + 9 * (level - 1);
		uint64_t entry, page_size = 1ULL << shift;

		if (gmem_read(gm, &entry, GPA(table + ((gva >> shift) & 511) * 8), sizeof(entry)))
			return -EFAULT;
		if (!(entry & GVA_PTE_P))
			return -EFAULT;
		if (level == 1 || ((level == 2 || level == 3) && (entry & GVA_PTE_PS))) {
			/* A large page's frame is aligned to its size; bit 12 there is PAT. */
			uint64_t frame = entry & GVA_ADDR_MASK & ~(page_size - 1);

			*gpa = GPA(frame | (gva & (page_size - 1)));
			*page_left = page_size - (gva & (page_size - 1));
			return 0;
		}
		table = entry & GVA_ADDR_MASK;
	}
	return -EFAULT;
}

static int gva_copy(const struct gmem *gm, const struct gva_mmu *mmu, uint64_t gva, void *buf,
		    uint64_t len, bool write)
{
	uint8_t *p = buf;

	while (len) {
		uint64_t left, n;
		gpa_t gpa;
		int ret = gva_translate(gm, mmu, gva, &gpa, &left);

		if (ret)
			return ret;
		n = MIN(left, len);
		ret = write ? gmem_write(gm, gpa, p, n) : gmem_read(gm, p, gpa, n);
		if (ret)
			return ret;
		gva += n;
		p += n;
		len -= n;
	}
	return 0;
}

int gva_read(const struct gmem *gm, const struct gva_mmu *mmu, uint64_t gva, void *dst,
	     uint64_t len)
{
	return gva_copy(gm, mmu, gva, dst, len, false);
}

int gva_write(const struct gmem *gm, const struct gva_mmu *mmu, uint64_t gva, const void *src,
	      uint64_t len)
{
	return gva_copy(gm, mmu, gva, (void *)src, len, true);
}
