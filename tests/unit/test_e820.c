// SPDX-License-Identifier: MIT
// Unit tests for firmware/e820: the memory map derived from the machine description.
#include <check.h>
#include <errno.h>
#include <stdlib.h>

#include "firmware/e820.h"
#include "firmware/mdesc.h"
#include "tests/unit/suites.h"

static void *describe(uint64_t mem)
{
	struct mdesc_spec spec = { .mem_bytes = mem, .cpus = 1, .cmdline = "" };
	char err[256];
	void *blob = NULL;

	ck_assert_int_eq(mdesc_build(&spec, &blob, err, sizeof(err)), 0);
	return blob;
}

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
		struct e820_entry m[E820_MAX];
		void *blob = describe(sizes[i]);

		ck_assert_int_eq(e820_build(blob, m, E820_MAX), 3);
		check_low(m, sizes[i]);
		free(blob);
	}
}
END_TEST

START_TEST(test_e820_above_4g_region)
{
	struct e820_entry m[E820_MAX];
	void *blob = describe(8 * GiB);

	ck_assert_int_eq(e820_build(blob, m, E820_MAX), 4);
	check_low(m, 3 * GiB);
	ck_assert_uint_eq(m[3].addr, 4 * GiB);
	ck_assert_uint_eq(m[3].size, 5 * GiB);
	ck_assert_uint_eq(m[3].type, E820_RAM);
	free(blob);
}
END_TEST

START_TEST(test_e820_too_small_einval)
{
	struct e820_entry m[E820_MAX];
	void *blob = describe(64 * MiB);

	ck_assert_int_eq(e820_build(blob, m, 2), -EINVAL);
	free(blob);
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
