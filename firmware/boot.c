// SPDX-License-Identifier: MIT
// What every kernel loader shares: the GDT, identity page tables, command line and initrd placement.
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "firmware/boot.h"

#define BOOT_GDT_ENTRIES 6
#define PTE_PRESENT	 (1ULL << 0)
#define PTE_WRITE	 (1ULL << 1)
#define PTE_HUGE	 (1ULL << 7)

uint64_t boot_gdt_entry(enum boot_mode mode, unsigned int index)
{
	switch (index) {
	case BOOT_SEL_CS / 8:
		/* Flat code, present, DPL 0, execute/read; L=1 for long mode, D=1 for 32-bit. */
		return mode == BOOT_MODE_LONG ? 0x00af9b000000ffffULL : 0x00cf9b000000ffffULL;
	case BOOT_SEL_DS / 8:
		return 0x00cf93000000ffffULL;	/* flat data, read/write */
	case BOOT_SEL_TSS / 8:
		return 0x00008b0000000067ULL;	/* busy TSS at 0, limit 0x67 (PVH: "TR: 32-bit TSS") */
	default:
		return 0;
	}
}

int boot_write_gdt(const struct gmem *gm, enum boot_mode mode)
{
	uint64_t gdt[BOOT_GDT_ENTRIES];
	uint64_t idt = 0;

	for (unsigned int i = 0; i < BOOT_GDT_ENTRIES; i++)
		gdt[i] = boot_gdt_entry(mode, i);
	if (gmem_write(gm, GPA(BOOT_GDT_ADDR), gdt, sizeof(gdt)))
		return -EFAULT;
	return gmem_write(gm, GPA(BOOT_IDT_ADDR), &idt, sizeof(idt));
}

int boot_write_page_tables(const struct gmem *gm)
{
	uint64_t *pml4 = gmem_ptr(gm, GPA(BOOT_PML4_ADDR), 4096);
	uint64_t *pdpt = gmem_ptr(gm, GPA(BOOT_PDPT_ADDR), 4096);
	uint64_t *pd = gmem_ptr(gm, GPA(BOOT_PD_ADDR), 4 * 4096);

	if (!pml4 || !pdpt || !pd)
		return -EFAULT;
	memset(pml4, 0, 4096);
	memset(pdpt, 0, 4096);
	pml4[0] = BOOT_PDPT_ADDR | PTE_PRESENT | PTE_WRITE;
	for (unsigned int i = 0; i < 4; i++)
		pdpt[i] = (BOOT_PD_ADDR + i * 4096) | PTE_PRESENT | PTE_WRITE;
	for (unsigned int i = 0; i < 4 * 512; i++)
		pd[i] = ((uint64_t)i << 21) | PTE_PRESENT | PTE_WRITE | PTE_HUGE;
	return 0;
}

int boot_write_cmdline(const struct gmem *gm, const char *cmdline, size_t max)
{
	size_t len = strlen(cmdline) + 1;

	if (len > max || len > BOOT_CMDLINE_MAX)
		return -E2BIG;
	return gmem_write(gm, GPA(BOOT_CMDLINE_ADDR), cmdline, len);
}

int boot_place_initrd(const struct gmem *gm, const struct boot_image *initrd, uint64_t floor,
		      uint64_t limit, uint64_t *addr, char *err, size_t errlen)
{
	uint64_t top = MIN(limit, gmem_low_end(gm));
	uint64_t start;

	if (initrd->size > top || (start = (top - initrd->size) & ~4095ULL) < floor)
		return log_errbuf(err, errlen, -ENOSPC, "initrd (%zu bytes) does not fit between the "
				"kernel's end at 0x%llx and 0x%llx; give the guest more memory with -m",
				initrd->size, (unsigned long long)floor, (unsigned long long)top);
	if (gmem_write(gm, GPA(start), initrd->data, initrd->size))
		return -EFAULT;
	*addr = start;
	return 0;
}
