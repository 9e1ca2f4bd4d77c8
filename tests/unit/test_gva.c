// SPDX-License-Identifier: MIT
// Unit tests for gdb/gva: the guest page-table walk over fake guest memory with a hole.
#include <check.h>
#include <errno.h>
#include <string.h>

#include "tests/support/fake_gmem.h"
#include "tests/unit/suites.h"
#include "gdb/gva.h"

#define LOW	 (4 * MiB)
#define PML4	 0x1000ULL
#define PDPT	 0x2000ULL
#define PD	 0x3000ULL
#define PT	 0x4000ULL
#define P	 0x1ULL
#define RW	 0x2ULL
#define PS	 0x80ULL
#define CR0_PG	 (1ULL << 31)
#define CR4_PAE	 (1ULL << 5)
#define EFER_LMA (1ULL << 10)

static struct fake_gmem f;
static const struct gva_mmu long_mode = { .cr0 = CR0_PG | 1, .cr3 = PML4, .cr4 = CR4_PAE,
					  .efer = EFER_LMA | (1ULL << 8) };

static void set_entry(uint64_t table, unsigned int index, uint64_t value)
{
	memcpy(f.low + table + 8 * index, &value, 8);
}

/*
 * 0x400000 -> 0x5000 and 0x401000 -> 0x9000 (4 KiB pages), 0x200000 ->
 * 0x200000 (2 MiB page), 0x40000000 -> 0 (1 GiB page), 0x600000 not
 * present, 0x800000 through a page table outside RAM.
 */
static void setup(void)
{
	fake_gmem_init(&f, LOW, 1ULL << 32, 4096);
	set_entry(PML4, 0, PDPT | P | RW);
	set_entry(PDPT, 0, PD | P | RW);
	set_entry(PDPT, 1, 0 | P | RW | PS);
	set_entry(PD, 1, 0x200000 | P | RW | PS);
	set_entry(PD, 2, PT | P | RW);
	set_entry(PD, 4, 0x80000000ULL | P | RW);
	set_entry(PT, 0, 0x5000 | P | RW);
	set_entry(PT, 1, 0x9000 | P | RW);
}

static void teardown(void)
{
	fake_gmem_destroy(&f);
}

static uint64_t xlate(const struct gva_mmu *mmu, uint64_t gva, int want_ret, uint64_t *left)
{
	gpa_t gpa = GPA(~0ULL);
	uint64_t l = 0;

	ck_assert_int_eq(gva_translate(&f.gm, mmu, gva, &gpa, &l), want_ret);
	if (left)
		*left = l;
	return gpa.v;
}

START_TEST(test_gva_4k_page_maps)
{
	uint64_t left;

	ck_assert_uint_eq(xlate(&long_mode, 0x400123, 0, &left), 0x5123);
	ck_assert_uint_eq(left, 0x1000 - 0x123);
	ck_assert_uint_eq(xlate(&long_mode, 0x401fff, 0, &left), 0x9fff);
	ck_assert_uint_eq(left, 1);
}
END_TEST

START_TEST(test_gva_large_pages_map)
{
	uint64_t left;

	ck_assert_uint_eq(xlate(&long_mode, 0x3ffff0, 0, &left), 0x3ffff0);
	ck_assert_uint_eq(left, 0x10);
	ck_assert_uint_eq(xlate(&long_mode, 0x40001234, 0, &left), 0x1234);
	ck_assert_uint_eq(left, (1ULL << 30) - 0x1234);
}
END_TEST

START_TEST(test_gva_not_present_efault)
{
	xlate(&long_mode, 0x600000, -EFAULT, NULL);
	xlate(&long_mode, 0x402000, -EFAULT, NULL);	/* PT[2] is empty */
	xlate(&long_mode, 1ULL << 39, -EFAULT, NULL);	/* PML4[1] is empty */
}
END_TEST

START_TEST(test_gva_table_outside_ram_efault)
{
	struct gva_mmu bad = long_mode;

	xlate(&long_mode, 0x800000, -EFAULT, NULL);
	/* A CR3 outside RAM too. */
	bad.cr3 = 0x90000000ULL;
	xlate(&bad, 0x400000, -EFAULT, NULL);
}
END_TEST

START_TEST(test_gva_non_canonical_efault)
{
	xlate(&long_mode, 0x0000800000000000ULL, -EFAULT, NULL);
	xlate(&long_mode, 0x8000000000400000ULL, -EFAULT, NULL);
}
END_TEST

START_TEST(test_gva_paging_off_identity_32bit)
{
	struct gva_mmu off = { .cr0 = 1 };
	uint64_t left;

	ck_assert_uint_eq(xlate(&off, 0x100010, 0, &left), 0x100010);
	ck_assert_uint_eq(left, 0xff0);
	xlate(&off, 1ULL << 32, -EFAULT, NULL);
}
END_TEST

START_TEST(test_gva_other_paging_modes_unsupported)
{
	struct gva_mmu m32 = { .cr0 = CR0_PG | 1, .cr3 = PML4 };
	struct gva_mmu la57 = long_mode;

	la57.cr4 |= 1ULL << 12;
	xlate(&m32, 0x400000, -EOPNOTSUPP, NULL);
	xlate(&la57, 0x400000, -EOPNOTSUPP, NULL);
}
END_TEST

START_TEST(test_gva_read_write_across_pages)
{
	uint8_t buf[8], want[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };

	/* 0x400ffc..0x401003 is 0x5ffc..0x5fff then 0x9000..0x9003. */
	ck_assert_int_eq(gva_write(&f.gm, &long_mode, 0x400ffc, want, 8), 0);
	ck_assert_mem_eq(f.low + 0x5ffc, want, 4);
	ck_assert_mem_eq(f.low + 0x9000, want + 4, 4);
	ck_assert_int_eq(gva_read(&f.gm, &long_mode, 0x400ffc, buf, 8), 0);
	ck_assert_mem_eq(buf, want, 8);
	/* Running into an unmapped page fails the whole copy. */
	ck_assert_int_eq(gva_read(&f.gm, &long_mode, 0x401ffc, buf, 8), -EFAULT);
}
END_TEST

START_TEST(test_gva_page_mapping_hole_efault)
{
	uint8_t b;

	/* A present entry whose frame is not RAM: translation works, the copy does not. */
	set_entry(PT, 3, 0x70000000ULL | P);
	ck_assert_uint_eq(xlate(&long_mode, 0x403000, 0, NULL), 0x70000000ULL);
	ck_assert_int_eq(gva_read(&f.gm, &long_mode, 0x403000, &b, 1), -EFAULT);
}
END_TEST

Suite *gva_suite(void)
{
	Suite *s = suite_create("gva");
	TCase *tc = tcase_create("walk");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_gva_4k_page_maps);
	tcase_add_test(tc, test_gva_large_pages_map);
	tcase_add_test(tc, test_gva_not_present_efault);
	tcase_add_test(tc, test_gva_table_outside_ram_efault);
	tcase_add_test(tc, test_gva_non_canonical_efault);
	tcase_add_test(tc, test_gva_paging_off_identity_32bit);
	tcase_add_test(tc, test_gva_other_paging_modes_unsupported);
	tcase_add_test(tc, test_gva_read_write_across_pages);
	tcase_add_test(tc, test_gva_page_mapping_hole_efault);
	suite_add_tcase(s, tc);
	return s;
}
