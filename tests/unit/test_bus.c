// SPDX-License-Identifier: MIT
// Unit tests for base/bus: registration, lookup and dispatch by address.
#include <check.h>
#include <errno.h>
#include <string.h>

#include "base/bus.h"
#include "tests/unit/suites.h"

struct probe_dev {
	uint64_t last_off;
	unsigned int last_size;
	uint8_t last_data[8];
	unsigned int writes;
};

static void probe_read(void *opaque, uint64_t off, uint8_t *data, unsigned int size)
{
	(void)opaque;
	for (unsigned int i = 0; i < size; i++)
		data[i] = (uint8_t)(off + i);
}

static void probe_write(void *opaque, uint64_t off, const uint8_t *data, unsigned int size)
{
	struct probe_dev *p = opaque;

	p->last_off = off;
	p->last_size = size;
	memcpy(p->last_data, data, size);
	p->writes++;
}

START_TEST(test_bus_register_overlap_eexist)
{
	struct bus b = { 0 };
	struct bus_dev a = { .base = 0x100, .len = 0x10 };
	struct bus_dev c = { .base = 0x10f, .len = 1 };
	struct bus_dev d = { .base = 0xf8, .len = 9 };
	struct bus_dev e = { .base = 0x110, .len = 1 };

	ck_assert_int_eq(bus_register(&b, &a), 0);
	ck_assert_int_eq(bus_register(&b, &c), -EEXIST);
	ck_assert_int_eq(bus_register(&b, &d), -EEXIST);
	ck_assert_int_eq(bus_register(&b, &e), 0);
}
END_TEST

START_TEST(test_bus_register_empty_or_wrapping_einval)
{
	struct bus b = { 0 };
	struct bus_dev empty = { .base = 0x100, .len = 0 };
	struct bus_dev wrap = { .base = UINT64_MAX - 2, .len = 8 };
	struct bus_dev top = { .base = UINT64_MAX - 7, .len = 8 };

	ck_assert_int_eq(bus_register(&b, &empty), -EINVAL);
	ck_assert_int_eq(bus_register(&b, &wrap), -EINVAL);
	ck_assert_int_eq(bus_register(&b, &top), 0);
	ck_assert_ptr_nonnull(bus_find(&b, UINT64_MAX));
}
END_TEST

START_TEST(test_bus_find_sorted_lookup)
{
	struct bus b = { 0 };
	static const uint64_t bases[] = { 0x3f8, 0x60, 0x501, 0x64, 0x20 };

	for (unsigned int i = 0; i < 5; i++) {
		struct bus_dev d = { .base = bases[i], .len = i == 0 ? 8 : 1 };

		ck_assert_int_eq(bus_register(&b, &d), 0);
	}
	ck_assert_uint_eq(bus_find(&b, 0x3ff)->base, 0x3f8);
	ck_assert_uint_eq(bus_find(&b, 0x64)->base, 0x64);
	ck_assert_uint_eq(bus_find(&b, 0x20)->base, 0x20);
	ck_assert_ptr_null(bus_find(&b, 0x400));
	ck_assert_ptr_null(bus_find(&b, 0x61));
	ck_assert_ptr_null(bus_find(&b, 0));
}
END_TEST

START_TEST(test_bus_dispatch_offset_and_unclaimed)
{
	struct bus b = { .unclaimed_byte = 0xff };
	struct probe_dev p = { 0 };
	struct bus_dev d = { .base = 0x1000, .len = 0x100, .read = probe_read,
			     .write = probe_write, .opaque = &p };
	uint8_t buf[4] = { 1, 2, 3, 4 };

	ck_assert_int_eq(bus_register(&b, &d), 0);
	ck_assert(bus_write(&b, 0x1010, buf, 4));
	ck_assert_uint_eq(p.last_off, 0x10);
	ck_assert_uint_eq(p.last_size, 4);
	ck_assert_mem_eq(p.last_data, buf, 4);
	ck_assert(bus_read(&b, 0x1020, buf, 2));
	ck_assert_uint_eq(buf[0], 0x20);
	ck_assert_uint_eq(buf[1], 0x21);
	/* Unclaimed, or straddling the end of the window: all ones, not delivered. */
	ck_assert(!bus_read(&b, 0x2000, buf, 4));
	ck_assert_uint_eq(buf[3], 0xff);
	ck_assert(!bus_write(&b, 0x10fe, buf, 4));
	ck_assert_uint_eq(p.writes, 1);
}
END_TEST

Suite *bus_suite(void)
{
	Suite *s = suite_create("bus");
	TCase *tc = tcase_create("dispatch");

	tcase_add_test(tc, test_bus_register_overlap_eexist);
	tcase_add_test(tc, test_bus_register_empty_or_wrapping_einval);
	tcase_add_test(tc, test_bus_find_sorted_lookup);
	tcase_add_test(tc, test_bus_dispatch_offset_and_unclaimed);
	suite_add_tcase(s, tc);
	return s;
}
