// SPDX-License-Identifier: MIT
// Unit tests for firmware/mdesc: the device tree read back with libfdt.
#include <check.h>
#include <errno.h>
#include <libfdt.h>
#include <stdlib.h>
#include <string.h>

#include "firmware/mdesc.h"
#include "tests/unit/suites.h"

static char err[256];

static void *build(uint64_t mem, unsigned int cpus, unsigned int nr_virtio, const char *cmdline,
		   bool devices)
{
	struct mdesc_spec spec = { .mem_bytes = mem, .cpus = cpus, .cmdline = cmdline,
				   .nr_virtio = nr_virtio, .cmdline_devices = devices };
	void *blob = NULL;

	ck_assert_int_eq(mdesc_build(&spec, &blob, err, sizeof(err)), 0);
	ck_assert_int_eq(fdt_check_header(blob), 0);
	return blob;
}

START_TEST(test_mdesc_memory_split_at_hole)
{
	struct mdesc_ram ram[MDESC_MAX_RAM];
	void *b = build(512 * MiB, 1, 0, "", true);

	ck_assert_int_eq(mdesc_ram(b, ram, MDESC_MAX_RAM), 1);
	ck_assert_uint_eq(ram[0].addr, 0);
	ck_assert_uint_eq(ram[0].size, 512 * MiB);
	free(b);
	b = build(6 * GiB, 1, 0, "", true);
	ck_assert_int_eq(mdesc_ram(b, ram, MDESC_MAX_RAM), 2);
	ck_assert_uint_eq(ram[0].size, 3 * GiB);
	ck_assert_uint_eq(ram[1].addr, 4 * GiB);
	ck_assert_uint_eq(ram[1].size, 3 * GiB);
	ck_assert_int_ge(fdt_path_offset(b, "/memory@100000000"), 0);
	free(b);
}
END_TEST

START_TEST(test_mdesc_cpus_apic_ids)
{
	uint32_t ids[MDESC_MAX_CPUS];
	void *b = build(64 * MiB, 5, 0, "", true);

	ck_assert_int_eq(mdesc_cpus(b, ids, MDESC_MAX_CPUS), 5);
	for (unsigned int i = 0; i < 5; i++)
		ck_assert_uint_eq(ids[i], i);
	ck_assert_int_eq(mdesc_cpus(b, ids, 4), -EINVAL);
	free(b);
}
END_TEST

START_TEST(test_mdesc_devices_placed_once)
{
	struct mdesc_virtio v[MDESC_MAX_VIRTIO];
	uint32_t port, gsi;
	void *b = build(64 * MiB, 1, 3, "console=ttyS0", true);

	ck_assert_int_eq(mdesc_virtio(b, v, MDESC_MAX_VIRTIO), 3);
	for (unsigned int i = 0; i < 3; i++) {
		ck_assert_uint_eq(v[i].addr, 0xd0000000 + i * 0x1000);
		ck_assert_uint_eq(v[i].size, 0x1000);
		ck_assert_uint_eq(v[i].gsi, 5 + i);
	}
	ck_assert_int_eq(mdesc_isa_device(b, "ns16550a", &port, &gsi), 0);
	ck_assert_uint_eq(port, 0x3f8);
	ck_assert_uint_eq(gsi, 4);
	ck_assert_int_eq(mdesc_isa_device(b, "minnow,acpi-pm", &port, NULL), 0);
	ck_assert_uint_eq(port, 0x600);
	ck_assert_int_eq(mdesc_isa_device(b, "no,such", &port, NULL), -ENOENT);
	ck_assert_uint_eq(mdesc_ioapic(b), 0xfec00000);
	free(b);
}
END_TEST

START_TEST(test_mdesc_bootargs_with_device_entries)
{
	char line[512];
	void *b = build(64 * MiB, 1, 2, "console=ttyS0 quiet", true);

	ck_assert_str_eq(mdesc_bootargs(b), "console=ttyS0 quiet "
			 "virtio_mmio.device=4K@0xd0000000:5 virtio_mmio.device=4K@0xd0001000:6");
	ck_assert_int_eq(mdesc_cmdline_devices(b, line, sizeof(line)), 2);
	ck_assert_str_eq(line, "virtio_mmio.device=4K@0xd0000000:5 virtio_mmio.device=4K@0xd0001000:6");
	ck_assert_int_eq(mdesc_cmdline_devices(b, line, 20), -E2BIG);
	free(b);
	/* Asked not to append: the user's line exactly; no devices: no trailing space. */
	b = build(64 * MiB, 1, 2, "console=ttyS0", false);
	ck_assert_str_eq(mdesc_bootargs(b), "console=ttyS0");
	free(b);
	b = build(64 * MiB, 1, 0, "", true);
	ck_assert_str_eq(mdesc_bootargs(b), "");
	free(b);
	b = build(64 * MiB, 1, 1, "", true);
	ck_assert_str_eq(mdesc_bootargs(b), "virtio_mmio.device=4K@0xd0000000:5");
	free(b);
}
END_TEST

START_TEST(test_mdesc_bad_specs_rejected)
{
	struct mdesc_spec spec = { .mem_bytes = 64 * MiB, .cpus = 0, .cmdline = "" };
	void *b = NULL;

	ck_assert_int_eq(mdesc_build(&spec, &b, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "0 vCPUs"));
	spec.cpus = 1;
	spec.nr_virtio = 17;
	ck_assert_int_eq(mdesc_build(&spec, &b, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "17 virtio devices"));
	ck_assert_ptr_null(b);
}
END_TEST

Suite *mdesc_suite(void)
{
	Suite *s = suite_create("mdesc");
	TCase *tc = tcase_create("tree");

	tcase_add_test(tc, test_mdesc_memory_split_at_hole);
	tcase_add_test(tc, test_mdesc_cpus_apic_ids);
	tcase_add_test(tc, test_mdesc_devices_placed_once);
	tcase_add_test(tc, test_mdesc_bootargs_with_device_entries);
	tcase_add_test(tc, test_mdesc_bad_specs_rejected);
	suite_add_tcase(s, tc);
	return s;
}
