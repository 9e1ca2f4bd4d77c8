// SPDX-License-Identifier: MIT
// Unit tests for firmware/e820: the memory map for several RAM sizes.
#include <check.h>
#include <errno.h>

#include "firmware/e820.h"
#include "tests/unit/suites.h"

static void check_low(const struct e820_entry *m, uint64_t low_end)
{
	ck_assert_uint_eq(m[0].addr, 0);
	ck_assert_uint_eq(m[0].size, 0x9fc00);
	ck_assert_uint_eq(m[0].type, E820_RAM);
	ck_assert_uint_eq(m[1].addr, 0x9fc00);
	ck_assert_uint_eq(m[1].size, 0x100000 - 0x9fc00);
	ck_assert_uint_eq(m[1].type, E820_RESERVED);
	ck_assert_uint_eq(m[2].addr, 0x100000);
	ck_assert_uint_eq(m[2].size, low_end - 0x100000);
	ck_assert_uint_eq(m[2].type, E820_RAM);
}

START_TEST(test_e820_sizes_below_hole)
{
	static const uint64_t sizes[] = { 4 * MiB, 64 * MiB, 512 * MiB, 3 * GiB };

	for (unsigned int i = 0; i < ARRAY_SIZE(sizes); i++) {
		struct gmem_region r = { 0, sizes[i], (uint8_t *)0x1000 };
		struct e820_entry m[E820_MAX];
		struct gmem gm;

		ck_assert_int_eq(gmem_init_regions(&gm, &r, 1), 0);
		ck_assert_int_eq(e820_build(&gm, m, E820_MAX), 3);
		check_low(m, sizes[i]);
	}
}
END_TEST

START_TEST(test_e820_above_4g_region)
{
	struct gmem_region r[2] = { { 0, 3 * GiB, (uint8_t *)0x1000 },
				    { 4 * GiB, 5 * GiB, (uint8_t *)0x2000 } };
	struct e820_entry m[E820_MAX];
	struct gmem gm;

	ck_assert_int_eq(gmem_init_regions(&gm, r, 2), 0);
	ck_assert_int_eq(e820_build(&gm, m, E820_MAX), 4);
	check_low(m, 3 * GiB);
	ck_assert_uint_eq(m[3].addr, 4 * GiB);
	ck_assert_uint_eq(m[3].size, 5 * GiB);
	ck_assert_uint_eq(m[3].type, E820_RAM);
}
END_TEST

START_TEST(test_e820_too_small_einval)
{
	struct gmem_region r = { 0, 1 * MiB, (uint8_t *)0x1000 };
	struct e820_entry m[E820_MAX];
	struct gmem gm;

	ck_assert_int_eq(gmem_init_regions(&gm, &r, 1), 0);
	ck_assert_int_eq(e820_build(&gm, m, E820_MAX), -EINVAL);
	r.size = 64 * MiB;
	ck_assert_int_eq(gmem_init_regions(&gm, &r, 1), 0);
	ck_assert_int_eq(e820_build(&gm, m, 2), -EINVAL);
}
END_TEST

Suite *e820_suite(void)
{
	Suite *s = suite_create("e820");
	TCase *tc = tcase_create("layout");

	tcase_add_test(tc, test_e820_sizes_below_hole);
	tcase_add_test(tc, test_e820_above_4g_region);
	tcase_add_test(tc, test_e820_too_small_einval);
	suite_add_tcase(s, tc);
	return s;
}
