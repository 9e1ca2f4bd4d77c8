// SPDX-License-Identifier: MIT
// --dump-dtb and --dump-acpi: write out exactly what the guest sees, for inspection.
#ifndef MINNOW_DUMP_H
#define MINNOW_DUMP_H

#include "firmware/acpi.h"

/* Each returns 0, or -errno after logging what failed and for which path. */
int dump_dtb(const char *path, const void *mdesc) __must_check;
/* DIR/<signature in lower case>.dat for each table, read back from guest RAM. */
int dump_acpi(const char *dir, const struct gmem *gm, const struct acpi_table *tables,
	      unsigned int n) __must_check;

#endif
