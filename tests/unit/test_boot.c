// SPDX-License-Identifier: MIT
// Unit tests for firmware/boot: page tables, GDT, command line and initrd placement.
#include <check.h>
#include <errno.h>
#include <string.h>

#include "firmware/boot.h"
#include "tests/support/fake_gmem.h"
#include "tests/unit/suites.h"

static struct fake_gmem f;
static char err[512];

static void setup(void)
{
	fake_gmem_init(&f, 32 * MiB, 0, 0);
}

static void teardown(void)
{
	fake_gmem_destroy(&f);
}

static uint64_t rd64(uint64_t gpa)
{
	uint64_t v;

	ck_assert_int_eq(gmem_read(&f.gm, &v, GPA(gpa), 8), 0);
	return v;
}

START_TEST(test_boot_page_tables_identity_4g)
{
	ck_assert_int_eq(boot_write_page_tables(&f.gm), 0);
	ck_assert_uint_eq(rd64(BOOT_PML4_ADDR), BOOT_PDPT_ADDR | 3);
	ck_assert_uint_eq(rd64(BOOT_PML4_ADDR + 8), 0);
	for (unsigned int i = 0; i < 4; i++)
		ck_assert_uint_eq(rd64(BOOT_PDPT_ADDR + 8 * i), (BOOT_PD_ADDR + 4096 * i) | 3);
	ck_assert_uint_eq(rd64(BOOT_PDPT_ADDR + 32), 0);
	ck_assert_uint_eq(rd64(BOOT_PD_ADDR), 0x83);
	ck_assert_uint_eq(rd64(BOOT_PD_ADDR + 8), (2 * MiB) | 0x83);
	/* The last 2 MiB page below 4 GiB maps the LAPIC/IOAPIC range too. */
	ck_assert_uint_eq(rd64(BOOT_PD_ADDR + 8 * 2047), (4 * GiB - 2 * MiB) | 0x83);
}
END_TEST

START_TEST(test_boot_gdt_long_and_pvh)
{
	ck_assert_int_eq(boot_write_gdt(&f.gm, BOOT_MODE_LONG), 0);
	ck_assert_uint_eq(rd64(BOOT_GDT_ADDR), 0);
	ck_assert_uint_eq(rd64(BOOT_GDT_ADDR + BOOT_SEL_CS), 0x00af9b000000ffffULL);
	ck_assert_uint_eq(rd64(BOOT_GDT_ADDR + BOOT_SEL_DS), 0x00cf93000000ffffULL);
	ck_assert_uint_eq(rd64(BOOT_GDT_ADDR + BOOT_SEL_TSS), 0x00008b0000000067ULL);
	ck_assert_uint_eq(rd64(BOOT_IDT_ADDR), 0);
	ck_assert_int_eq(boot_write_gdt(&f.gm, BOOT_MODE_PVH), 0);
	ck_assert_uint_eq(rd64(BOOT_GDT_ADDR + BOOT_SEL_CS), 0x00cf9b000000ffffULL);
}
END_TEST

START_TEST(test_boot_cmdline_limits)
{
	char big[BOOT_CMDLINE_MAX + 1];
	char got[16];

	ck_assert_int_eq(boot_write_cmdline(&f.gm, "console=ttyS0", 14), 0);
	ck_assert_int_eq(gmem_read(&f.gm, got, GPA(BOOT_CMDLINE_ADDR), 14), 0);
	ck_assert_str_eq(got, "console=ttyS0");
	ck_assert_int_eq(boot_write_cmdline(&f.gm, "console=ttyS0", 13), -E2BIG);
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	ck_assert_int_eq(boot_write_cmdline(&f.gm, big, SIZE_MAX), -E2BIG);
}
END_TEST

START_TEST(test_boot_initrd_top_aligned)
{
	static const uint8_t rd[5000] = { 0xab };
	struct boot_image img = { rd, sizeof(rd) };
	uint64_t addr;
	uint8_t b;

	ck_assert_int_eq(boot_place_initrd(&f.gm, &img, 16 * MiB, UINT64_MAX, &addr, err,
					   sizeof(err)), 0);
	ck_assert_uint_eq(addr, (32 * MiB - 5000) & ~4095ULL);
	ck_assert_int_eq(gmem_read(&f.gm, &b, GPA(addr), 1), 0);
	ck_assert_uint_eq(b, 0xab);
	/* initrd_addr_max below the top of RAM wins. */
	ck_assert_int_eq(boot_place_initrd(&f.gm, &img, MiB, 8 * MiB, &addr, err, sizeof(err)), 0);
	ck_assert_uint_eq(addr, (8 * MiB - 5000) & ~4095ULL);
}
END_TEST

START_TEST(test_boot_initrd_overlapping_kernel_enospc)
{
	static const uint8_t rd[8192];
	struct boot_image img = { rd, sizeof(rd) };
	uint64_t addr = 0;

	ck_assert_int_eq(boot_place_initrd(&f.gm, &img, 32 * MiB - 4096, UINT64_MAX, &addr, err,
					   sizeof(err)), -ENOSPC);
	ck_assert_ptr_nonnull(strstr(err, "initrd (8192 bytes) does not fit"));
	ck_assert_uint_eq(addr, 0);
}
END_TEST

Suite *boot_suite(void)
{
	Suite *s = suite_create("boot");
	TCase *tc = tcase_create("layout");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_boot_page_tables_identity_4g);
	tcase_add_test(tc, test_boot_gdt_long_and_pvh);
	tcase_add_test(tc, test_boot_cmdline_limits);
	tcase_add_test(tc, test_boot_initrd_top_aligned);
	tcase_add_test(tc, test_boot_initrd_overlapping_kernel_enospc);
	suite_add_tcase(s, tc);
	return s;
}
