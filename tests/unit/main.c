// SPDX-License-Identifier: MIT
// Unit-test runner: every suite, forked, with TAP output for meson.
#include <stdlib.h>
#include <string.h>

#include "tests/unit/suites.h"

static const struct {
	const char *name;
	Suite *(*make)(void);
} unit_suites[] = {
	{ "gmem", gmem_suite }, { "bus", bus_suite }, { "cli", cli_suite },
	{ "cpuid", cpuid_suite }, { "e820", e820_suite }, { "boot", boot_suite },
	{ "bzimage", bzimage_suite }, { "pvh", pvh_suite }, { "serial", serial_suite },
	{ "machine", machine_suite }, { "aml", aml_suite }, { "mdesc", mdesc_suite },
	{ "acpi", acpi_suite }, { "vmmio", vmmio_suite }, { "virtq", virtq_suite },
	{ "virtq_ring", virtq_ring_suite }, { "virtq_walk", virtq_walk_suite },
	{ "vnet_hdr", vnet_hdr_suite },
	{ "vnet_hdr_rx", vnet_hdr_rx_suite }, { "vnet", vnet_suite },
	{ "pcap", pcap_suite },
	{ "soft", soft_suite }, { "verify", verify_suite },
	{ "gdbpkt", gdbpkt_suite }, { "gva", gva_suite }, { "vnet_ctrl", vnet_ctrl_suite },
	{ "tap_uring", tap_uring_suite }, { "sandbox", sandbox_suite },
	{ "confine", confine_suite }, { "dryrun", dryrun_suite },
};

int main(int argc, char **argv)
{
	SRunner *sr = srunner_create(NULL);
	int failed;

	for (size_t i = 0; i < sizeof(unit_suites) / sizeof(unit_suites[0]); i++) {
		/* `unit-tests NAME` runs only the suite called NAME. */
		if (argc < 2 || strcmp(argv[1], unit_suites[i].name) == 0)
			srunner_add_suite(sr, unit_suites[i].make());
	}
	srunner_set_tap(sr, "-");
	srunner_run_all(sr, CK_SILENT);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
