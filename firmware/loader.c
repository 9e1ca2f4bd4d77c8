// SPDX-License-Identifier: MIT
// Loading a kernel into guest RAM: tells a bzImage from a PVH ELF and hands it to its loader.
#include <errno.h>

#include "firmware/bzimage.h"
#include "firmware/loader.h"
#include "firmware/pvh.h"

int boot_load(const struct gmem *gm, const struct boot_args *args, struct boot_entry *entry,
	      char *err, size_t errlen)
{
	int ret;

	if (gmem_low_end(gm) < 2 * MiB)
		return log_errbuf(err, errlen, -ENOSPC, "guest RAM below 3 GiB is %llu bytes; booting "
				"needs at least 2 MiB", (unsigned long long)gmem_low_end(gm));
	if (pvh_is_elf(&args->kernel))
		ret = pvh_load(gm, args, entry, err, errlen);
	else
		ret = bzimage_load(gm, args, entry, err, errlen);
	if (ret)
		return ret;
	ret = boot_write_gdt(gm, entry->mode);
	if (!ret && entry->mode == BOOT_MODE_LONG)
		ret = boot_write_page_tables(gm);
	if (ret)
		return log_errbuf(err, errlen, ret, "cannot write the boot GDT or page tables into "
				"guest RAM");
	return 0;
}
