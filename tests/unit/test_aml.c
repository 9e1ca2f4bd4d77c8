// SPDX-License-Identifier: MIT
// Unit tests for firmware/aml: golden bytes for every construct and PkgLength boundaries.
#include <check.h>
#include <errno.h>
#include <string.h>

#include "firmware/aml.h"
#include "tests/unit/suites.h"

static struct aml a;

static void setup(void)
{
	aml_init(&a);
}

static void teardown(void)
{
	aml_free(&a);
}

#define ck_assert_aml(...)                                                   \
	do {                                                                 \
		const uint8_t want_[] = { __VA_ARGS__ };                     \
		ck_assert_int_eq(a.err, 0);                                  \
		ck_assert_uint_eq(a.len, sizeof(want_));                     \
		ck_assert_mem_eq(a.data, want_, sizeof(want_));              \
	} while (0)

START_TEST(test_aml_integers_shortest_form)
{
	aml_integer(&a, 0);
	aml_integer(&a, 1);
	aml_integer(&a, 5);
	aml_integer(&a, 0x1234);
	aml_integer(&a, 0xd0000000);
	aml_integer(&a, 0x100000000ULL);
	ck_assert_aml(0x00, 0x01, 0x0a, 0x05, 0x0b, 0x34, 0x12, 0x0c, 0x00, 0x00, 0x00, 0xd0,
		      0x0e, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00);
}
END_TEST

START_TEST(test_aml_name_string_and_eisa_id)
{
	aml_name(&a, "_HID");
	aml_string(&a, "LNRO0005");
	aml_name(&a, "_UID");
	aml_eisa_id(&a, "PNP0501");
	aml_name_string(&a, "\\_SB");
	ck_assert_aml(0x08, '_', 'H', 'I', 'D', 0x0d, 'L', 'N', 'R', 'O', '0', '0', '0', '5', 0x00,
		      0x08, '_', 'U', 'I', 'D', 0x0c, 0x41, 0xd0, 0x05, 0x01,
		      0x5c, '_', 'S', 'B', '_');
}
END_TEST

START_TEST(test_aml_s5_package_firecracker_vector)
{
	struct aml_mark m;

	/* Name(_S5_, Package(){5}): 08 5F 53 35 5F 12 04 01 0A 05. */
	aml_name(&a, "_S5_");
	m = aml_package(&a, 1);
	aml_integer(&a, 5);
	aml_end(&a, m);
	ck_assert_aml(0x08, 0x5f, 0x53, 0x35, 0x5f, 0x12, 0x04, 0x01, 0x0a, 0x05);
}
END_TEST

START_TEST(test_aml_device_worked_example)
{
	struct aml_mark dev, crs;

	/* Device(VR00) with _HID, _UID and a _CRS of window + edge IRQ 5. */
	dev = aml_device(&a, "VR00");
	aml_name(&a, "_HID");
	aml_string(&a, "LNRO0005");
	aml_name(&a, "_UID");
	aml_integer(&a, 0);
	aml_name(&a, "_CRS");
	crs = aml_resource_template(&a);
	aml_memory32_fixed(&a, true, 0xd0000000, 0x1000);
	aml_ext_interrupt(&a, true, false, false, 5);
	aml_end(&a, crs);
	aml_end(&a, dev);
	ck_assert_aml(0x5B, 0x82, 0x3A, 0x56, 0x52, 0x30, 0x30, 0x08, 0x5F, 0x48, 0x49, 0x44, 0x0D,
		      0x4C, 0x4E, 0x52, 0x4F, 0x30, 0x30, 0x30, 0x35, 0x00, 0x08, 0x5F, 0x55, 0x49,
		      0x44, 0x00, 0x08, 0x5F, 0x43, 0x52, 0x53, 0x11, 0x1A, 0x0A, 0x17, 0x86, 0x09,
		      0x00, 0x01, 0x00, 0x00, 0x00, 0xD0, 0x00, 0x10, 0x00, 0x00, 0x89, 0x06, 0x00,
		      0x03, 0x01, 0x05, 0x00, 0x00, 0x00, 0x79, 0x00);
	ck_assert_uint_eq(a.len, 60);
}
END_TEST

START_TEST(test_aml_io_and_irq_descriptors)
{
	aml_io(&a, 0x3f8, 0x3f8, 0, 8);
	aml_irq_noflags(&a, 4);
	ck_assert_aml(0x47, 0x01, 0xf8, 0x03, 0xf8, 0x03, 0x00, 0x08, 0x22, 0x10, 0x00);
}
END_TEST

START_TEST(test_aml_pkglen_boundaries)
{
	uint8_t enc[4];

	ck_assert_uint_eq(aml_pkglen_encode(63, enc), 1);
	ck_assert_uint_eq(enc[0], 63);
	ck_assert_uint_eq(aml_pkglen_encode(64, enc), 2);
	ck_assert_uint_eq(enc[0], 0x40);
	ck_assert_uint_eq(enc[1], 0x04);
	ck_assert_uint_eq(aml_pkglen_encode(4095, enc), 2);
	ck_assert_uint_eq(enc[0], 0x4f);
	ck_assert_uint_eq(enc[1], 0xff);
	ck_assert_uint_eq(aml_pkglen_encode(4096, enc), 3);
	ck_assert_uint_eq(enc[0], 0x80);
	ck_assert_uint_eq(enc[1], 0x00);
	ck_assert_uint_eq(enc[2], 0x01);
	ck_assert_uint_eq(aml_pkglen_encode(0xfffff, enc), 3);
	ck_assert_uint_eq(aml_pkglen_encode(0x100000, enc), 4);
	ck_assert_uint_eq(enc[0], 0xc0);
	ck_assert_uint_eq(enc[3], 0x01);
	ck_assert_uint_eq(aml_pkglen_encode(1u << 28, enc), 0);
}
END_TEST

/* A package whose body makes the total land exactly on an encoding boundary. */
static void package_of(size_t body)
{
	struct aml_mark m;
	uint8_t fill[5000];

	memset(fill, 0xa5, sizeof(fill));
	aml_free(&a);
	m = aml_package(&a, 0);	/* opcode, then NumElements (1 byte) counts in the body */
	aml_bytes(&a, fill, body - 1);
	aml_end(&a, m);
}

START_TEST(test_aml_end_picks_pkglen_size_at_63_64_4095_4096)
{
	/* body 62 + 1 length byte = 63: one byte. */
	package_of(62);
	ck_assert_int_eq(a.err, 0);
	ck_assert_uint_eq(a.data[1], 63);
	ck_assert_uint_eq(a.len, 1 + 1 + 62);
	/* body 63 + 1 = 64 does not fit one byte: two bytes, 65 in all. */
	package_of(63);
	ck_assert_uint_eq(a.data[1], 0x40 | (65 & 0xf));
	ck_assert_uint_eq(a.data[2], 65 >> 4);
	ck_assert_uint_eq(a.len, 1 + 2 + 63);
	/* body 4093 + 2 = 4095: still two bytes. */
	package_of(4093);
	ck_assert_uint_eq(a.data[1], 0x4f);
	ck_assert_uint_eq(a.data[2], 0xff);
	/* body 4094 + 2 = 4096: three bytes, 4097 in all. */
	package_of(4094);
	ck_assert_uint_eq(a.data[1], 0x80 | (4097 & 0xf));
	ck_assert_uint_eq(a.data[2], (4097 >> 4) & 0xff);
	ck_assert_uint_eq(a.data[3], 4097 >> 12);
	ck_assert_uint_eq(a.len, 1 + 3 + 4094);
}
END_TEST

START_TEST(test_aml_bad_names_set_err)
{
	aml_name_seg(&a, "TOOLONG");
	ck_assert_int_eq(a.err, -EINVAL);
	aml_integer(&a, 5);	/* no-op once failed */
	ck_assert_uint_eq(a.len, 0);
}
END_TEST

Suite *aml_suite(void)
{
	Suite *s = suite_create("aml");
	TCase *tc = tcase_create("encode");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_aml_integers_shortest_form);
	tcase_add_test(tc, test_aml_name_string_and_eisa_id);
	tcase_add_test(tc, test_aml_s5_package_firecracker_vector);
	tcase_add_test(tc, test_aml_device_worked_example);
	tcase_add_test(tc, test_aml_io_and_irq_descriptors);
	tcase_add_test(tc, test_aml_pkglen_boundaries);
	tcase_add_test(tc, test_aml_end_picks_pkglen_size_at_63_64_4095_4096);
	tcase_add_test(tc, test_aml_bad_names_set_err);
	suite_add_tcase(s, tc);
	return s;
}
