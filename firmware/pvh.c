// SPDX-License-Identifier: MIT
// ELF kernels through the PVH entry (Xen's hvm_start_info ABI, as Linux and QEMU use it).
#include <elf.h>
#include <errno.h>
#include <string.h>

#include "firmware/pvh.h"

/* Linux's COMMAND_LINE_SIZE on x86; PVH has no header that says otherwise. */
#define PVH_CMDLINE_MAX 2048

bool pvh_is_elf(const struct boot_image *img)
{
	return img->size >= SELFMAG && memcmp(img->data, ELFMAG, SELFMAG) == 0;
}

/* The program header table, validated against the file; NULL with err set otherwise. */
static const Elf64_Phdr *pvh_phdrs(const struct boot_image *img, unsigned int *n, char *err,
				   size_t errlen)
{
	const Elf64_Ehdr *eh = (const void *)img->data;
	uint64_t end;

	if (img->size < sizeof(*eh)) {
		log_errbuf(err, errlen, -EINVAL, "ELF kernel is truncated: %zu bytes", img->size);
		return NULL;
	}
	if (eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_ident[EI_DATA] != ELFDATA2LSB ||
	    eh->e_machine != EM_X86_64) {
		log_errbuf(err, errlen, -EINVAL, "ELF kernel is not little-endian x86-64 ELF64 (class "
			 "%u, data %u, machine %u)", eh->e_ident[EI_CLASS], eh->e_ident[EI_DATA],
			 eh->e_machine);
		return NULL;
	}
	if (eh->e_phentsize != sizeof(Elf64_Phdr) || eh->e_phnum == 0 ||
	    __builtin_mul_overflow((uint64_t)eh->e_phnum, sizeof(Elf64_Phdr), &end) ||
	    __builtin_add_overflow(end, eh->e_phoff, &end) || end > img->size) {
		log_errbuf(err, errlen, -EINVAL, "ELF kernel has a bad program header table (%u "
			 "entries of %u bytes at %llu, file %zu bytes)", eh->e_phnum, eh->e_phentsize,
			 (unsigned long long)eh->e_phoff, img->size);
		return NULL;
	}
	if (eh->e_phoff % _Alignof(Elf64_Phdr)) {
		log_errbuf(err, errlen, -EINVAL, "ELF kernel's program headers are misaligned");
		return NULL;
	}
	*n = eh->e_phnum;
	return (const void *)(img->data + eh->e_phoff);
}

/* Checks that [off, off + len) lies inside the file. */
static bool pvh_in_file(const struct boot_image *img, uint64_t off, uint64_t len)
{
	uint64_t end;

	return !__builtin_add_overflow(off, len, &end) && end <= img->size;
}

static int pvh_scan_notes(const struct boot_image *img, const Elf64_Phdr *ph, uint32_t *entry)
{
	uint64_t pos = ph->p_offset, end = ph->p_offset + ph->p_filesz;

	while (end - pos >= sizeof(Elf64_Nhdr)) {
		Elf64_Nhdr nh;
		uint64_t name_at, desc_at, next;

		memcpy(&nh, img->data + pos, sizeof(nh));
		name_at = pos + sizeof(nh);
		desc_at = name_at + ALIGN_UP((uint64_t)nh.n_namesz, 4);
		next = desc_at + ALIGN_UP((uint64_t)nh.n_descsz, 4);
		if (next > end || next <= pos)
			return -EINVAL;
		if (nh.n_type == PVH_NOTE_PHYS32_ENTRY && nh.n_namesz == 4 &&
		    memcmp(img->data + name_at, "Xen", 4) == 0) {
			if (nh.n_descsz != 4 && nh.n_descsz != 8)
				return -EINVAL;
			memcpy(entry, img->data + desc_at, 4);	/* a 32-bit physical address */
			return 0;
		}
		pos = next;
	}
	return -ENOENT;
}

int pvh_find_entry(const struct boot_image *img, uint32_t *entry, char *err, size_t errlen)
{
	unsigned int n;
	const Elf64_Phdr *ph = pvh_phdrs(img, &n, err, errlen);

	if (!ph)
		return -EINVAL;
	for (unsigned int i = 0; i < n; i++) {
		int ret;

		if (ph[i].p_type != PT_NOTE)
			continue;
		if (!pvh_in_file(img, ph[i].p_offset, ph[i].p_filesz))
			return log_errbuf(err, errlen, -EINVAL, "ELF kernel is truncated: note segment "
					"%u lies past the end of the file", i);
		ret = pvh_scan_notes(img, &ph[i], entry);
		if (ret == 0)
			return 0;
		if (ret == -EINVAL)
			return log_errbuf(err, errlen, -EINVAL, "ELF kernel has a malformed note in "
					"segment %u", i);
	}
	return log_errbuf(err, errlen, -EINVAL, "ELF kernel has no PVH entry note "
			"(XEN_ELFNOTE_PHYS32_ENTRY): minnow boots ELF kernels only through PVH");
}

static int pvh_load_segments(const struct gmem *gm, const struct boot_image *img,
			     uint64_t *kernel_end, char *err, size_t errlen)
{
	unsigned int n;
	const Elf64_Phdr *ph = pvh_phdrs(img, &n, err, errlen);

	if (!ph)
		return -EINVAL;
	*kernel_end = BOOT_KERNEL_ADDR;
	for (unsigned int i = 0; i < n; i++) {
		const Elf64_Phdr *p = &ph[i];
		uint8_t *dst;

		if (p->p_type != PT_LOAD || p->p_memsz == 0)
			continue;
		if (p->p_filesz > p->p_memsz || !pvh_in_file(img, p->p_offset, p->p_filesz))
			return log_errbuf(err, errlen, -EINVAL, "ELF kernel is truncated or malformed: "
					"segment %u (%llu bytes at file offset %llu) is not in the "
					"%zu-byte file", i, (unsigned long long)p->p_filesz,
					(unsigned long long)p->p_offset, img->size);
		if (p->p_paddr < BOOT_KERNEL_ADDR)
			return log_errbuf(err, errlen, -EINVAL, "ELF kernel segment %u at 0x%llx overlaps "
					"minnow's boot data below 1 MiB", i,
					(unsigned long long)p->p_paddr);
		dst = gmem_ptr(gm, GPA(p->p_paddr), p->p_memsz);
		if (!dst)
			return log_errbuf(err, errlen, -ENOSPC, "ELF kernel segment %u at 0x%llx (%llu "
					"bytes) is outside guest RAM: raise -m", i,
					(unsigned long long)p->p_paddr, (unsigned long long)p->p_memsz);
		memcpy(dst, img->data + p->p_offset, p->p_filesz);
		memset(dst + p->p_filesz, 0, p->p_memsz - p->p_filesz);
		*kernel_end = MAX(*kernel_end, p->p_paddr + p->p_memsz);
	}
	return 0;
}

static int pvh_write_start_info(const struct gmem *gm, const struct boot_args *args,
				uint64_t initrd_addr)
{
	struct pvh_start_info si = {
		.magic = PVH_START_MAGIC,
		.version = 1,
		.cmdline_paddr = BOOT_CMDLINE_ADDR,
		.rsdp_paddr = args->rsdp_addr,
		.memmap_paddr = PVH_MEMMAP_ADDR,
	};
	/* The memory map must end before the module list that follows it. */
	if (args->nr_e820 * sizeof(struct pvh_memmap_entry) > PVH_MODLIST_ADDR - PVH_MEMMAP_ADDR)
		return -E2BIG;
	for (unsigned int i = 0; i < args->nr_e820; i++) {
		struct pvh_memmap_entry e = { args->e820[i].addr, args->e820[i].size,
					      args->e820[i].type, 0 };

		if (gmem_write(gm, GPA(PVH_MEMMAP_ADDR + i * sizeof(e)), &e, sizeof(e)))
			return -EFAULT;
	}
	si.memmap_entries = args->nr_e820;
	if (args->initrd.size) {
		struct pvh_module mod = { .paddr = initrd_addr, .size = args->initrd.size };

		if (gmem_write(gm, GPA(PVH_MODLIST_ADDR), &mod, sizeof(mod)))
			return -EFAULT;
		si.nr_modules = 1;
		si.modlist_paddr = PVH_MODLIST_ADDR;
	}
	return gmem_write(gm, GPA(BOOT_PVH_INFO_ADDR), &si, sizeof(si));
}

int pvh_load(const struct gmem *gm, const struct boot_args *args, struct boot_entry *entry,
	     char *err, size_t errlen)
{
	uint64_t kernel_end, initrd_addr = 0;
	uint32_t rip;
	int ret;

	ret = pvh_find_entry(&args->kernel, &rip, err, errlen);
	if (ret)
		return ret;
	ret = pvh_load_segments(gm, &args->kernel, &kernel_end, err, errlen);
	if (ret)
		return ret;
	if (rip < BOOT_KERNEL_ADDR || rip >= kernel_end)
		return log_errbuf(err, errlen, -EINVAL, "ELF kernel's PVH entry 0x%x is outside its "
				"loaded segments", rip);
	if (args->initrd.size) {
		ret = boot_place_initrd(gm, &args->initrd, ALIGN_UP(kernel_end, 4096ULL),
					UINT64_MAX, &initrd_addr, err, errlen);
		if (ret)
			return ret;
	}
	ret = boot_write_cmdline(gm, args->cmdline, PVH_CMDLINE_MAX);
	if (ret)
		return log_errbuf(err, errlen, ret, "command line is %zu bytes; PVH kernels accept at "
				"most %d", strlen(args->cmdline), PVH_CMDLINE_MAX - 1);
	if (pvh_write_start_info(gm, args, initrd_addr))
		return log_errbuf(err, errlen, -EFAULT, "cannot write hvm_start_info into guest RAM");
	*entry = (struct boot_entry){ .mode = BOOT_MODE_PVH, .rip = rip, .rbx = BOOT_PVH_INFO_ADDR };
	return 0;
}
