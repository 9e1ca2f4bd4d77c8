// SPDX-License-Identifier: MIT
// Unit tests for firmware/acpi: table layout, checksums, MADT per vCPU count, FADT registers.
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "firmware/acpi.h"
#include "firmware/mdesc.h"
#include "tests/support/fake_gmem.h"
#include "tests/unit/suites.h"

static struct fake_gmem f;
static struct acpi_table t[ACPI_MAX_TABLES];

static int build(unsigned int cpus, unsigned int nr_virtio)
{
	struct mdesc_spec spec = { .mem_bytes = 64 * MiB, .cpus = cpus, .cmdline = "",
				   .nr_virtio = nr_virtio };
	char err[256];
	void *blob;
	int n;

	ck_assert_int_eq(mdesc_build(&spec, &blob, err, sizeof(err)), 0);
	n = acpi_build(blob, &f.gm, t, ACPI_MAX_TABLES);
	free(blob);
	return n;
}

static const uint8_t *find(const char *sig)
{
	for (unsigned int i = 0; i < ACPI_MAX_TABLES; i++)
		if (strcmp(t[i].sig, sig) == 0)
			return gmem_ptr(&f.gm, GPA(t[i].gpa), t[i].len);
	ck_abort_msg("no table %s", sig);
	return NULL;
}

static uint64_t gpa_of(const char *sig)
{
	for (unsigned int i = 0; i < ACPI_MAX_TABLES; i++)
		if (strcmp(t[i].sig, sig) == 0)
			return t[i].gpa;
	ck_abort_msg("no table %s", sig);
	return 0;
}

static uint32_t rd32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint64_t rd64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }

static void setup(void)
{
	fake_gmem_init(&f, 64 * MiB, 0, 0);
	memset(t, 0, sizeof(t));
}

static void teardown(void)
{
	fake_gmem_destroy(&f);
}

START_TEST(test_acpi_tables_checksummed_and_linked)
{
	const uint8_t *rsdp, *xsdt, *fadt;

	ck_assert_int_eq(build(1, 2), 5);
	ck_assert_str_eq(t[0].sig, "RSDP");
	ck_assert_uint_eq(t[0].gpa, ACPI_BASE);
	rsdp = find("RSDP");
	ck_assert_mem_eq(rsdp, "RSD PTR ", 8);
	ck_assert_uint_eq(acpi_checksum(rsdp, 20), 0);
	ck_assert_uint_eq(acpi_checksum(rsdp, 36), 0);
	ck_assert_uint_eq(rsdp[15], 2);
	for (unsigned int i = 1; i < 5; i++) {
		const uint8_t *p = gmem_ptr(&f.gm, GPA(t[i].gpa), t[i].len);

		ck_assert_uint_eq(t[i].gpa % 16, 0);
		ck_assert_uint_ge(t[i].gpa, ACPI_BASE);
		ck_assert_uint_le(t[i].gpa + t[i].len, ACPI_END);
		ck_assert_mem_eq(p, t[i].sig, 4);
		ck_assert_uint_eq(rd32(p + 4), t[i].len);
		ck_assert_uint_eq(acpi_checksum(p, t[i].len), 0);
	}
	xsdt = find("XSDT");
	ck_assert_uint_eq(rd64(rsdp + 24), gpa_of("XSDT"));
	ck_assert_uint_eq(rd32(xsdt + 4), 36 + 16);
	fadt = find("FACP");
	ck_assert_uint_eq(rd64(xsdt + 36), gpa_of("FACP"));
	ck_assert_uint_eq(rd64(xsdt + 44), gpa_of("APIC"));
	ck_assert_uint_eq(rd32(fadt + 40), gpa_of("DSDT"));
	ck_assert_uint_eq(rd64(fadt + 140), gpa_of("DSDT"));	/* X_DSDT == DSDT */
}
END_TEST

START_TEST(test_acpi_fadt_hw_reduced_power_registers)
{
	const uint8_t *fadt;

	ck_assert_int_eq(build(1, 0), 5);
	fadt = find("FACP");
	ck_assert_uint_eq(rd32(fadt + 4), 276);
	ck_assert_uint_eq(fadt[8], 6);
	ck_assert_uint_eq(rd32(fadt + 112) & (1u << 20), 1u << 20);	/* HW_REDUCED_ACPI */
	ck_assert_uint_eq(rd32(fadt + 112) & (1u << 10), 1u << 10);	/* RESET_REG_SUP */
	ck_assert_uint_eq(fadt[109] | fadt[110] << 8, 0x24);	/* no VGA, no CMOS; 8042 clear */
	for (unsigned int off = 116; off <= 256; off += (off == 116 ? 128 : 12)) {
		ck_assert_uint_eq(fadt[off], 1);		/* system I/O */
		ck_assert_uint_eq(fadt[off + 1], 8);
		ck_assert_uint_eq(rd64(fadt + off + 4), MDESC_PM_PORT);
	}
	ck_assert_uint_eq(fadt[128], ACPI_RESET_VALUE);
}
END_TEST

/* 16-bit code at F000:FFF0: mov dx, PM port; mov al, reset value; out dx, al; hlt; jmp hlt. */
START_TEST(test_acpi_reset_vector_writes_the_reset_register)
{
	const uint8_t want[] = { 0xba, MDESC_PM_PORT & 0xff, MDESC_PM_PORT >> 8, 0xb0,
				 ACPI_RESET_VALUE, 0xee, 0xf4, 0xeb, 0xfd };
	const uint8_t *p;

	ck_assert_int_eq(build(1, 0), 5);
	p = gmem_ptr(&f.gm, GPA(0xffff0), sizeof(want));
	ck_assert_mem_eq(p, want, sizeof(want));
	/* No table reaches into it. */
	for (unsigned int i = 0; i < 5; i++)
		ck_assert_uint_le(t[i].gpa + t[i].len, 0xffff0);
}
END_TEST

static void check_madt(unsigned int cpus)
{
	const uint8_t *m, *e;

	ck_assert_int_eq(build(cpus, 0), 5);
	m = find("APIC");
	ck_assert_uint_eq(rd32(m + 4), 44 + 8 * cpus + 12 + 10);
	ck_assert_uint_eq(rd32(m + 36), 0xfee00000);
	e = m + 44;
	for (unsigned int i = 0; i < cpus; i++, e += 8) {
		ck_assert_uint_eq(e[0], 0);
		ck_assert_uint_eq(e[1], 8);
		ck_assert_uint_eq(e[2], i);
		ck_assert_uint_eq(e[3], i);
		ck_assert_uint_eq(rd32(e + 4), 1);
	}
	ck_assert_uint_eq(e[0], 1);
	ck_assert_uint_eq(rd32(e + 4), 0xfec00000);
	ck_assert_uint_eq(rd32(e + 8), 0);
	e += 12;
	ck_assert_uint_eq(e[0], 2);
	ck_assert_uint_eq(e[3], 4);
	ck_assert_uint_eq(rd32(e + 4), 4);
	ck_assert_uint_eq(e[8] | e[9] << 8, 0x5);	/* active high, edge */
}

START_TEST(test_acpi_madt_one_cpu)
{
	check_madt(1);
}
END_TEST

START_TEST(test_acpi_madt_several_cpus)
{
	check_madt(7);
	teardown();
	setup();
	check_madt(64);
}
END_TEST

START_TEST(test_acpi_dsdt_devices_and_s5)
{
	const uint8_t *d;
	uint32_t len;
	const uint8_t s5[] = { 0x08, '_', 'S', '5', '_', 0x12, 0x08, 0x04, 0x0a, 0x05, 0x0a, 0x05,
			       0x00, 0x00 };
	const uint8_t crs1[] = { 0x86, 0x09, 0x00, 0x01, 0x00, 0x10, 0x00, 0xd0, 0x00, 0x10, 0x00,
				 0x00, 0x89, 0x06, 0x00, 0x03, 0x01, 0x06, 0x00, 0x00, 0x00 };

	ck_assert_int_eq(build(1, 3), 5);
	d = find("DSDT");
	len = rd32(d + 4);
	ck_assert_ptr_nonnull(memmem(d, len, "LNRO0005", 8));
	ck_assert_ptr_nonnull(memmem(d, len, "V002", 4));
	ck_assert_ptr_null(memmem(d, len, "V003", 4));
	/* The second device's window and GSI, exactly as the tree placed them. */
	ck_assert_ptr_nonnull(memmem(d, len, crs1, sizeof(crs1)));
	ck_assert_ptr_nonnull(memmem(d, len, "COM1", 4));
	ck_assert_ptr_nonnull(memmem(d, len, (const uint8_t[]){ 0x0c, 0x41, 0xd0, 0x05, 0x01 }, 5));
	ck_assert_mem_eq(d + len - sizeof(s5), s5, sizeof(s5));
}
END_TEST

START_TEST(test_acpi_no_room_enospc)
{
	struct mdesc_spec spec = { .mem_bytes = 64 * MiB, .cpus = 1, .cmdline = "" };
	char err[256];
	void *blob;

	ck_assert_int_eq(mdesc_build(&spec, &blob, err, sizeof(err)), 0);
	ck_assert_int_eq(acpi_build(blob, &f.gm, t, 3), -ENOSPC);
	free(blob);
}
END_TEST

Suite *acpi_suite(void)
{
	Suite *s = suite_create("acpi");
	TCase *tc = tcase_create("tables");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_acpi_tables_checksummed_and_linked);
	tcase_add_test(tc, test_acpi_fadt_hw_reduced_power_registers);
	tcase_add_test(tc, test_acpi_reset_vector_writes_the_reset_register);
	tcase_add_test(tc, test_acpi_madt_one_cpu);
	tcase_add_test(tc, test_acpi_madt_several_cpus);
	tcase_add_test(tc, test_acpi_dsdt_devices_and_s5);
	tcase_add_test(tc, test_acpi_no_room_enospc);
	suite_add_tcase(s, tc);
	return s;
}
