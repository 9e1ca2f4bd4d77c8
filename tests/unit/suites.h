// SPDX-License-Identifier: MIT
// The unit-test suites, one per module, run by tests/unit/main.c.
#ifndef MINNOW_TEST_SUITES_H
#define MINNOW_TEST_SUITES_H

#include <check.h>

Suite *gmem_suite(void);
Suite *bus_suite(void);
Suite *cli_suite(void);
Suite *cpuid_suite(void);
Suite *e820_suite(void);
Suite *boot_suite(void);
Suite *bzimage_suite(void);
Suite *pvh_suite(void);
Suite *serial_suite(void);
Suite *machine_suite(void);
Suite *aml_suite(void);
Suite *mdesc_suite(void);
Suite *acpi_suite(void);
Suite *virtq_suite(void);
Suite *virtq_ring_suite(void);
Suite *virtq_walk_suite(void);
Suite *vmmio_suite(void);
Suite *vnet_hdr_suite(void);
Suite *vnet_hdr_rx_suite(void);
Suite *vnet_suite(void);
Suite *pcap_suite(void);
Suite *soft_suite(void);
Suite *verify_suite(void);
Suite *gdbpkt_suite(void);
Suite *gva_suite(void);
Suite *vnet_ctrl_suite(void);
Suite *tap_uring_suite(void);
Suite *sandbox_suite(void);
Suite *confine_suite(void);
Suite *dryrun_suite(void);
/* More test cases of the "vnet" suite, from test_vnet_rx.c and test_vnet_reset.c. */
TCase *vnet_rx_tcase(void);
TCase *vnet_mrg_tcase(void);
TCase *vnet_reset_tcase(void);
TCase *vnet_offload_tcase(void);
TCase *vnet_mq_tcase(void);

#endif
