// SPDX-License-Identifier: MIT
// bzImage through the 64-bit boot protocol (Documentation/arch/x86/boot.rst).
#ifndef MINNOW_BZIMAGE_H
#define MINNOW_BZIMAGE_H

#include <asm/bootparam.h>

#include "firmware/boot.h"

/* What minnow needs from a bzImage's setup header, validated. */
struct bzimage_info {
	struct setup_header hdr;	/* as the image carries it, truncated to our struct */
	size_t hdr_len;			/* bytes of it the image provides */
	size_t setup_size;		/* real-mode part: (setup_sects + 1) * 512 */
	size_t kernel_size;		/* the protected-mode part loaded at 1 MiB */
	uint64_t kernel_end;		/* first byte above what the kernel uses while it unpacks */
};

/* Validates the header; -EINVAL with a message naming what is wrong. */
int bzimage_parse(const struct boot_image *img, struct bzimage_info *info, char *err,
		  size_t errlen) __must_check;

/* Loads kernel, initrd, command line and boot_params (with the e820 map); fills entry. */
int bzimage_load(const struct gmem *gm, const struct boot_args *args, struct boot_entry *entry,
		 char *err, size_t errlen) __must_check;

#endif
