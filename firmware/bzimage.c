// SPDX-License-Identifier: MIT
// bzImage through the 64-bit boot protocol (Documentation/arch/x86/boot.rst).
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "firmware/bzimage.h"

#define BZ_HDR_OFFSET	 0x1f1
#define BZ_MIN_VERSION	 0x020c	/* 2.12: xloadflags, and so XLF_KERNEL_64 */
#define BZ_LOADED_HIGH	 0x01
#define BZ_ENTRY_64	 0x200	/* "64bit entry is 0x200 and it is ABI so immutable" */

/* Where a relocatable kernel unpacks itself (head_64.S: align up the load address, at least pref). */
static uint64_t bz_kernel_end(const struct bzimage_info *info)
{
	const struct setup_header *h = &info->hdr;
	uint64_t target = BOOT_KERNEL_ADDR;

	if (h->relocatable_kernel && h->kernel_alignment && !(h->kernel_alignment & (h->kernel_alignment - 1)))
		target = MAX(ALIGN_UP(target, (uint64_t)h->kernel_alignment), h->pref_address);
	else if (h->relocatable_kernel)
		target = MAX(target, h->pref_address);
	return MAX(BOOT_KERNEL_ADDR + info->kernel_size, target + (uint64_t)h->init_size);
}

int bzimage_parse(const struct boot_image *img, struct bzimage_info *info, char *err, size_t errlen)
{
	const uint8_t *d = img->data;
	struct setup_header *h = &info->hdr;
	unsigned int setup_sects;
	uint64_t payload_end;

	memset(info, 0, sizeof(*info));
	if (img->size < 0x202 + 4)
		return log_errbuf(err, errlen, -EINVAL, "kernel is truncated: %zu bytes, too short for a setup "
			      "header (%d needed)", img->size, 0x206);
	if (d[0x1fe] != 0x55 || d[0x1ff] != 0xaa)
		return log_errbuf(err, errlen, -EINVAL, "kernel has no boot sector signature 0xAA55 at 0x1fe "
			      "(found 0x%02x%02x): not a bzImage or an ELF", d[0x1ff], d[0x1fe]);
	if (memcmp(d + 0x202, "HdrS", 4) != 0)
		return log_errbuf(err, errlen, -EINVAL, "kernel has no 'HdrS' setup header magic at 0x202: not a "
			      "bzImage, or boot protocol older than 2.00");
	info->hdr_len = MIN((size_t)0x202 + d[0x201] - BZ_HDR_OFFSET, sizeof(*h));
	if (BZ_HDR_OFFSET + info->hdr_len > img->size)
		return log_errbuf(err, errlen, -EINVAL, "kernel is truncated: its setup header ends at 0x%zx, the "
			      "file at 0x%zx", BZ_HDR_OFFSET + info->hdr_len, img->size);
	memcpy(h, d + BZ_HDR_OFFSET, info->hdr_len);
	if (h->version < BZ_MIN_VERSION || info->hdr_len < offsetof(struct setup_header, xloadflags) + 2)
		return log_errbuf(err, errlen, -EINVAL, "kernel boot protocol %x.%02x is too old: minnow needs "
			      "2.12 or later for the 64-bit entry", h->version >> 8, h->version & 0xff);
	if (!(h->xloadflags & XLF_KERNEL_64))
		return log_errbuf(err, errlen, -EINVAL, "kernel has no 64-bit entry point (xloadflags 0x%x lacks "
			      "XLF_KERNEL_64)", h->xloadflags);
	if (!(h->loadflags & BZ_LOADED_HIGH))
		return log_errbuf(err, errlen, -EINVAL, "kernel is a zImage (loadflags 0x%x): minnow loads only "
			      "bzImages at 1 MiB", h->loadflags);
	setup_sects = h->setup_sects ? h->setup_sects : 4;
	info->setup_size = (setup_sects + 1) * 512ul;
	if (info->setup_size >= img->size)
		return log_errbuf(err, errlen, -EINVAL, "kernel is truncated: its setup code is %zu bytes, the file "
			      "only %zu", info->setup_size, img->size);
	info->kernel_size = img->size - info->setup_size;
	payload_end = (uint64_t)h->payload_offset + h->payload_length;
	if (payload_end > info->kernel_size)
		return log_errbuf(err, errlen, -EINVAL, "kernel is truncated: its compressed payload ends at byte "
			      "%llu of the protected-mode part, which has %zu", (unsigned long long)payload_end,
			      info->kernel_size);
	info->kernel_end = bz_kernel_end(info);
	return 0;
}

static int bz_fill_e820(const struct boot_args *args, struct boot_params *bp)
{
	if (args->nr_e820 > ARRAY_SIZE(bp->e820_table))
		return -E2BIG;
	for (unsigned int i = 0; i < args->nr_e820; i++)
		bp->e820_table[i] = (struct boot_e820_entry){ args->e820[i].addr, args->e820[i].size,
							      args->e820[i].type };
	bp->e820_entries = args->nr_e820;
	return 0;
}

int bzimage_load(const struct gmem *gm, const struct boot_args *args, struct boot_entry *entry,
		 char *err, size_t errlen)
{
	struct boot_params *bp = gmem_ptr(gm, GPA(BOOT_ZERO_PAGE_ADDR), sizeof(*bp));
	struct bzimage_info info;
	uint64_t initrd_addr = 0;
	int ret;

	ret = bzimage_parse(&args->kernel, &info, err, errlen);
	if (ret)
		return ret;
	if (info.kernel_end > gmem_low_end(gm)) {
		return log_errbuf(err, errlen, -ENOSPC, "kernel needs RAM up to 0x%llx while it "
				"unpacks (init_size %u); guest RAM below 3 GiB ends at 0x%llx: raise -m",
				(unsigned long long)info.kernel_end, info.hdr.init_size,
				(unsigned long long)gmem_low_end(gm));
	}
	if (!bp || gmem_write(gm, GPA(BOOT_KERNEL_ADDR), args->kernel.data + info.setup_size,
			      info.kernel_size))
		return -EFAULT;
	if (args->initrd.size) {
		ret = boot_place_initrd(gm, &args->initrd, info.kernel_end,
					(uint64_t)info.hdr.initrd_addr_max + 1, &initrd_addr, err, errlen);
		if (ret)
			return ret;
	}
	/* The command line may be cmdline_size bytes long, without its NUL (boot.rst, 2.06+). */
	ret = boot_write_cmdline(gm, args->cmdline, (size_t)info.hdr.cmdline_size + 1);
	if (ret)
		return log_errbuf(err, errlen, ret, "command line is %zu bytes; this kernel accepts at "
				"most %u", strlen(args->cmdline),
				MIN(info.hdr.cmdline_size, (uint32_t)BOOT_CMDLINE_MAX - 1));

	memset(bp, 0, sizeof(*bp));
	memcpy(&bp->hdr, &info.hdr, info.hdr_len);
	bp->hdr.type_of_loader = 0xff;	/* undefined loader */
	bp->hdr.vid_mode = 0xffff;	/* "normal" */
	bp->hdr.cmd_line_ptr = BOOT_CMDLINE_ADDR;
	bp->hdr.ramdisk_image = (uint32_t)initrd_addr;
	bp->hdr.ramdisk_size = (uint32_t)args->initrd.size;
	bp->ext_ramdisk_image = initrd_addr >> 32;
	bp->ext_ramdisk_size = (uint64_t)args->initrd.size >> 32;
	bp->acpi_rsdp_addr = args->rsdp_addr;
	if (bz_fill_e820(args, bp))
		return log_errbuf(err, errlen, -E2BIG, "%u e820 entries do not fit in boot_params",
				args->nr_e820);

	*entry = (struct boot_entry){
		.mode = BOOT_MODE_LONG,
		.rip = BOOT_KERNEL_ADDR + BZ_ENTRY_64,
		.rsi = BOOT_ZERO_PAGE_ADDR,
	};
	return 0;
}
