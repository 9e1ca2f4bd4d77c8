// SPDX-License-Identifier: MIT
// Unit tests for vmm/cpuid: per-vCPU normalization and hidden features.
#include <check.h>
#include <errno.h>
#include <stdlib.h>

#include "tests/unit/suites.h"
#include "vmm/cpuid.h"

/* A small "supported" table with the leaves normalization touches, all bits set. */
static struct kvm_cpuid2 *make_cpuid(void)
{
	static const struct { uint32_t fn, idx; } leaves[] = {
		{ 0, 0 }, { 1, 0 }, { 4, 0 }, { 6, 0 }, { 7, 0 }, { 0xb, 0 }, { 0xb, 1 },
		{ 0xb, 2 }, { 0xd, 0 }, { 0xd, 1 }, { 0x80000001, 0 },
	};
	struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + ARRAY_SIZE(leaves) * sizeof(c->entries[0]));

	c->nent = ARRAY_SIZE(leaves);
	for (unsigned int i = 0; i < c->nent; i++)
		c->entries[i] = (struct kvm_cpuid_entry2){ .function = leaves[i].fn,
							   .index = leaves[i].idx,
							   .eax = ~0u, .ebx = ~0u,
							   .ecx = ~0u, .edx = ~0u };
	return c;
}

START_TEST(test_cpuid_leaf1_apic_id_and_count)
{
	struct kvm_cpuid2 *c = make_cpuid();
	struct kvm_cpuid_entry2 *e;

	cpuid_normalize(c, 3, 4, 0);
	e = cpuid_find(c, 1, 0);
	ck_assert_uint_eq(e->ebx >> 24, 3);
	ck_assert_uint_eq((e->ebx >> 16) & 0xff, 4);
	ck_assert_uint_eq((e->ebx >> 8) & 0xff, 8);
	ck_assert_uint_eq(e->ecx & (1u << 31), 1u << 31);	/* hypervisor */
	ck_assert_uint_eq(e->ecx & (1u << 15), 0);		/* PDCM */
	ck_assert_uint_eq(e->edx & (1u << 28), 1u << 28);	/* HTT with 4 CPUs */
	ck_assert_uint_eq(cpuid_find(c, 6, 0)->ecx & (1u << 3), 0);
	free(c);
}
END_TEST

START_TEST(test_cpuid_topology_single_cpu)
{
	struct kvm_cpuid2 *c = make_cpuid();

	cpuid_normalize(c, 0, 1, 0);
	ck_assert_uint_eq(cpuid_find(c, 1, 0)->edx & (1u << 28), 0);
	ck_assert_uint_eq(cpuid_find(c, 0xb, 0)->ebx, 1);
	ck_assert_uint_eq(cpuid_find(c, 0xb, 1)->ebx, 1);
	ck_assert_uint_eq(cpuid_find(c, 0xb, 1)->eax, 0);
	ck_assert_uint_eq(cpuid_find(c, 0xb, 1)->edx, 0);
	free(c);
}
END_TEST

START_TEST(test_cpuid_topology_five_cpus)
{
	struct kvm_cpuid2 *c = make_cpuid();

	cpuid_normalize(c, 4, 5, 0);
	ck_assert_uint_eq(cpuid_find(c, 0xb, 0)->ecx, 1u << 8);		/* SMT level */
	ck_assert_uint_eq(cpuid_find(c, 0xb, 1)->ecx, (2u << 8) | 1);	/* core level */
	ck_assert_uint_eq(cpuid_find(c, 0xb, 1)->eax, 3);		/* 5 ids need 3 bits */
	ck_assert_uint_eq(cpuid_find(c, 0xb, 1)->ebx, 5);
	ck_assert_uint_eq(cpuid_find(c, 0xb, 2)->ebx, 0);
	ck_assert_uint_eq(cpuid_find(c, 0xb, 2)->edx, 4);
	ck_assert_uint_eq(cpuid_find(c, 4, 0)->eax >> 26, 7);
	free(c);
}
END_TEST

START_TEST(test_cpuid_hide_xsave_clears_dependants)
{
	struct kvm_cpuid2 *c = make_cpuid();

	cpuid_normalize(c, 0, 1, 1ULL << cpuid_feature_bit("xsave"));
	ck_assert_uint_eq(cpuid_find(c, 1, 0)->ecx & ((1u << 26) | (1u << 27) | (1u << 28)), 0);
	ck_assert_uint_eq(cpuid_find(c, 0xd, 0)->eax, 0);
	ck_assert_uint_eq(cpuid_find(c, 0xd, 1)->eax, 0);
	ck_assert_uint_eq(cpuid_find(c, 7, 0)->ebx & (1u << 5), 0);
	ck_assert_uint_eq(cpuid_find(c, 1, 0)->ecx & (1u << 13), 1u << 13);	/* cx16 kept */
	free(c);
}
END_TEST

START_TEST(test_cpuid_hide_each_feature_clears_its_bit)
{
	for (unsigned int f = 0; f < cpuid_nr_features; f++) {
		struct kvm_cpuid2 *c = make_cpuid();
		const struct cpuid_feature *cf = &cpuid_features[f];
		struct kvm_cpuid_entry2 *e;
		uint32_t regs[4];

		cpuid_normalize(c, 0, 1, 1ULL << f);
		e = cpuid_find(c, cf->leaf, cf->subleaf);
		ck_assert_ptr_nonnull(e);
		regs[0] = e->eax;
		regs[1] = e->ebx;
		regs[2] = e->ecx;
		regs[3] = e->edx;
		ck_assert_msg(!(regs[cf->reg] & (1u << cf->bit)), "%s still set", cf->name);
		free(c);
	}
	ck_assert_int_eq(cpuid_feature_bit("no-such-feature"), -ENOENT);
}
END_TEST

Suite *cpuid_suite(void)
{
	Suite *s = suite_create("cpuid");
	TCase *tc = tcase_create("normalize");

	tcase_add_test(tc, test_cpuid_leaf1_apic_id_and_count);
	tcase_add_test(tc, test_cpuid_topology_single_cpu);
	tcase_add_test(tc, test_cpuid_topology_five_cpus);
	tcase_add_test(tc, test_cpuid_hide_xsave_clears_dependants);
	tcase_add_test(tc, test_cpuid_hide_each_feature_clears_its_bit);
	suite_add_tcase(s, tc);
	return s;
}
