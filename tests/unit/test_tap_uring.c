// SPDX-License-Identifier: MIT
// Unit tests for net/tap_uring's optional features: the MINNOW_URING_DISABLE list that makes a
// test take the paths an older kernel takes, and the engine name the metrics report.
#include <check.h>
#include <errno.h>
#include <string.h>

#include "net/tap_uring.h"
#include "tests/unit/suites.h"

START_TEST(disable_list)
{
	char err[160] = "";
	unsigned int off = 99;

	ck_assert_int_eq(tap_uring_disable_parse(NULL, &off, err, sizeof(err)), 0);
	ck_assert_uint_eq(off, 0);
	ck_assert_int_eq(tap_uring_disable_parse("", &off, err, sizeof(err)), 0);
	ck_assert_uint_eq(off, 0);
	ck_assert_int_eq(tap_uring_disable_parse("fixed_file", &off, err, sizeof(err)), 0);
	ck_assert_uint_eq(off, TAP_URING_F_FIXED);
	ck_assert_int_eq(tap_uring_disable_parse("ring_fd,defer_taskrun", &off, err, sizeof(err)),
			 0);
	ck_assert_uint_eq(off, TAP_URING_F_RING_FD | TAP_URING_F_DEFER);
	ck_assert_int_eq(tap_uring_disable_parse("batch_wait", &off, err, sizeof(err)), 0);
	ck_assert_uint_eq(off, TAP_URING_F_BATCH);
	ck_assert_int_eq(tap_uring_disable_parse("all", &off, err, sizeof(err)), 0);
	ck_assert_uint_eq(off, TAP_URING_F_ALL);
	ck_assert_str_eq(err, "");
}
END_TEST

START_TEST(disable_unknown)
{
	char err[160] = "";
	unsigned int off = 0;

	ck_assert_int_eq(tap_uring_disable_parse("ring_fd,sqpoll", &off, err, sizeof(err)),
			 -EINVAL);
	ck_assert_str_eq(err, "MINNOW_URING_DISABLE: unknown io_uring feature 'sqpoll' (known: "
			 "all, defer_taskrun, ring_fd, fixed_file, batch_wait)");
	ck_assert_int_eq(tap_uring_disable_parse(",,", &off, err, sizeof(err)), 0);
	ck_assert_uint_eq(off, 0);
}
END_TEST

START_TEST(engine_names)
{
	char name[64];

	tap_uring_engine_name(0, name, sizeof(name));
	ck_assert_str_eq(name, "io_uring");
	tap_uring_engine_name(TAP_URING_F_ALL, name, sizeof(name));
	ck_assert_str_eq(name, "io_uring+defer_taskrun+ring_fd+fixed_file+batch_wait");
	tap_uring_engine_name(TAP_URING_F_FIXED, name, sizeof(name));
	ck_assert_str_eq(name, "io_uring+fixed_file");
	tap_uring_engine_name(TAP_URING_F_ALL, name, 12);	/* cut, still a string */
	ck_assert_str_eq(name, "io_uring+de");
}
END_TEST

Suite *tap_uring_suite(void)
{
	Suite *s = suite_create("tap_uring");
	TCase *tc = tcase_create("features");

	tcase_add_test(tc, disable_list);
	tcase_add_test(tc, disable_unknown);
	tcase_add_test(tc, engine_names);
	suite_add_tcase(s, tc);
	return s;
}
