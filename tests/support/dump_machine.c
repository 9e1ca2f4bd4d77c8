// SPDX-License-Identifier: MIT
// Writes the device tree and ACPI tables minnow would build for a machine with N virtio-mmio
// devices, through the same builders, so external validators can check them before a
// device model exists for every slot. usage: dump-machine OUTDIR NR_VIRTIO CPUS
#include <stdio.h>
#include <stdlib.h>

#include "firmware/dump.h"
#include "firmware/mdesc.h"
#include "tests/support/fake_gmem.h"

int main(int argc, char **argv)
{
	struct mdesc_spec spec = { .mem_bytes = 64 * MiB, .cmdline = "console=ttyS0",
				   .cmdline_devices = true };
	struct acpi_table tables[ACPI_MAX_TABLES];
	struct fake_gmem f;
	char err[256], path[4096];
	void *blob;
	int n;

	if (argc != 4) {
		fprintf(stderr, "usage: dump-machine OUTDIR NR_VIRTIO CPUS\n");
		return 2;
	}
	spec.nr_virtio = atoi(argv[2]);
	spec.cpus = atoi(argv[3]);
	if (mdesc_build(&spec, &blob, err, sizeof(err))) {
		fprintf(stderr, "dump-machine: %s\n", err);
		return 1;
	}
	fake_gmem_init(&f, spec.mem_bytes, 0, 0);
	n = acpi_build(blob, &f.gm, tables, ACPI_MAX_TABLES);
	snprintf(path, sizeof(path), "%s/machine.dtb", argv[1]);
	if (n < 0 || dump_acpi(argv[1], &f.gm, tables, n) || dump_dtb(path, blob))
		return 1;
	printf("%s\n", mdesc_bootargs(blob));
	fake_gmem_destroy(&f);
	free(blob);
	return 0;
}
