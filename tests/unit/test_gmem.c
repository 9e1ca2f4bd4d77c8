// SPDX-License-Identifier: MIT
// Unit tests for base/gmem: the checked guest-physical to host translation.
#include <check.h>
#include <errno.h>
#include <stdint.h>

#include "tests/support/fake_gmem.h"
#include "tests/unit/suites.h"

#define LOW  (64 * 1024ULL)
#define HOLE_END (1ULL << 20)
#define HIGH (16 * 1024ULL)

static struct fake_gmem f;

static void setup(void)
{
	fake_gmem_init(&f, LOW, HOLE_END, HIGH);
}

static void teardown(void)
{
	fake_gmem_destroy(&f);
}

START_TEST(test_gmem_ptr_region_start_maps)
{
	ck_assert_ptr_eq(gmem_ptr(&f.gm, GPA(0), 1), f.low);
	ck_assert_ptr_eq(gmem_ptr(&f.gm, GPA(HOLE_END), HIGH), f.high);
}
END_TEST

START_TEST(test_gmem_ptr_region_end_exact_maps)
{
	ck_assert_ptr_eq(gmem_ptr(&f.gm, GPA(LOW - 8), 8), f.low + LOW - 8);
	ck_assert_ptr_eq(gmem_ptr(&f.gm, GPA(0), LOW), f.low);
	ck_assert_ptr_eq(gmem_ptr(&f.gm, GPA(HOLE_END + HIGH - 1), 1), f.high + HIGH - 1);
}
END_TEST

START_TEST(test_gmem_ptr_past_end_null)
{
	ck_assert_ptr_null(gmem_ptr(&f.gm, GPA(LOW - 8), 9));
	ck_assert_ptr_null(gmem_ptr(&f.gm, GPA(LOW), 1));
	ck_assert_ptr_null(gmem_ptr(&f.gm, GPA(HOLE_END + HIGH), 1));
	ck_assert_ptr_null(gmem_ptr(&f.gm, GPA(0), LOW + 1));
}
END_TEST

START_TEST(test_gmem_ptr_in_hole_null)
{
	ck_assert_ptr_null(gmem_ptr(&f.gm, GPA(LOW + 4096), 4));
	ck_assert_ptr_null(gmem_ptr(&f.gm, GPA(HOLE_END - 1), 1));
}
END_TEST

START_TEST(test_gmem_ptr_across_hole_null)
{
	/* Both ends are RAM, the middle is not: a start-only check would accept this. */
	ck_assert_ptr_null(gmem_ptr(&f.gm, GPA(LOW - 4), HOLE_END - LOW + 8));
	ck_assert_ptr_null(gmem_ptr(&f.gm, GPA(HOLE_END - 4), 8));
}
END_TEST

START_TEST(test_gmem_ptr_overflowing_range_null)
{
	ck_assert_ptr_null(gmem_ptr(&f.gm, GPA(UINT64_MAX), 2));
	ck_assert_ptr_null(gmem_ptr(&f.gm, GPA(8), UINT64_MAX));
	ck_assert_ptr_null(gmem_ptr(&f.gm, GPA(UINT64_MAX - 3), 4));
	ck_assert_ptr_null(gmem_ptr(&f.gm, GPA(HOLE_END), UINT64_MAX - HOLE_END + 2));
}
END_TEST

START_TEST(test_gmem_ptr_zero_length_null)
{
	ck_assert_ptr_null(gmem_ptr(&f.gm, GPA(0), 0));
}
END_TEST

START_TEST(test_gmem_read_write_roundtrip_and_efault)
{
	uint32_t v = 0xdeadbeef, out = 0;

	ck_assert_int_eq(gmem_write(&f.gm, GPA(HOLE_END + 16), &v, sizeof(v)), 0);
	ck_assert_int_eq(gmem_read(&f.gm, &out, GPA(HOLE_END + 16), sizeof(out)), 0);
	ck_assert_uint_eq(out, 0xdeadbeef);
	ck_assert_int_eq(gmem_write(&f.gm, GPA(LOW - 2), &v, sizeof(v)), -EFAULT);
	ck_assert_int_eq(gmem_read(&f.gm, &out, GPA(LOW), sizeof(out)), -EFAULT);
}
END_TEST

START_TEST(test_gmem_init_regions_overlap_rejected)
{
	uint8_t buf[64];
	struct gmem gm;
	struct gmem_region r[2] = { { 0, 32, buf }, { 16, 32, buf + 32 } };
	struct gmem_region wrap[1] = { { UINT64_MAX - 8, 32, buf } };

	ck_assert_int_eq(gmem_init_regions(&gm, r, 2), -EINVAL);
	ck_assert_int_eq(gmem_init_regions(&gm, wrap, 1), -EINVAL);
	ck_assert_int_eq(gmem_init_regions(&gm, r, 0), -EINVAL);
}
END_TEST

START_TEST(test_gmem_init_layout_one_mapping)
{
	const struct gmem_region layout[2] = { { 0, 3 * GiB, NULL }, { 4 * GiB, GiB + 4096, NULL } };
	struct gmem gm;

	/* 4 GiB + 4 KiB of MAP_NORESERVE memory: nothing is touched, so nothing is committed. */
	ck_assert_int_eq(gmem_init(&gm, layout, 2), 0);
	ck_assert_uint_eq(gm.nr_regions, 2);
	ck_assert_uint_eq(gm.regions[0].size, 3 * GiB);
	ck_assert_uint_eq(gm.regions[1].gpa, 4 * GiB);
	ck_assert_ptr_eq(gm.regions[1].host, gm.regions[0].host + 3 * GiB);
	ck_assert_uint_eq(gmem_size(&gm), 4 * GiB + 4096);
	ck_assert_uint_eq(gm.mapping_size, 4 * GiB + 4096);
	ck_assert_ptr_null(gmem_ptr(&gm, GPA(3 * GiB), 1));
	ck_assert_ptr_nonnull(gmem_ptr(&gm, GPA(5 * GiB + 4095), 1));
	gmem_destroy(&gm);
	ck_assert_int_eq(gmem_init(&gm, layout, 0), -EINVAL);
}
END_TEST

Suite *gmem_suite(void)
{
	Suite *s = suite_create("gmem");
	TCase *tc = tcase_create("translate");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_gmem_ptr_region_start_maps);
	tcase_add_test(tc, test_gmem_ptr_region_end_exact_maps);
	tcase_add_test(tc, test_gmem_ptr_past_end_null);
	tcase_add_test(tc, test_gmem_ptr_in_hole_null);
	tcase_add_test(tc, test_gmem_ptr_across_hole_null);
	tcase_add_test(tc, test_gmem_ptr_overflowing_range_null);
	tcase_add_test(tc, test_gmem_ptr_zero_length_null);
	tcase_add_test(tc, test_gmem_read_write_roundtrip_and_efault);
	tcase_add_test(tc, test_gmem_init_regions_overlap_rejected);
	tcase_add_test(tc, test_gmem_init_layout_one_mapping);
	suite_add_tcase(s, tc);
	return s;
}
