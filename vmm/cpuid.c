// SPDX-License-Identifier: MIT
// The CPUID a vCPU sees: KVM's supported set, normalized per vCPU, minus what the user hides.
#include <errno.h>
#include <string.h>

#include "vmm/cpuid.h"

/* Bit positions: Intel SDM vol. 2A, CPUID instruction, tables 3-8 to 3-11. */
const struct cpuid_feature cpuid_features[] = {
	{ "xsave", 1, 0, 2, 26, "XSAVE/XRSTOR (kvm-pvm ignores this: pass noxsave instead)" },
	{ "avx", 1, 0, 2, 28, "AVX" },
	{ "cx16", 1, 0, 2, 13, "CMPXCHG16B (kvm-pvm cannot emulate it)" },
	{ "popcnt", 1, 0, 2, 23, "POPCNT" },
	{ "movbe", 1, 0, 2, 22, "MOVBE" },
	{ "rdrand", 1, 0, 2, 30, "RDRAND" },
	{ "pcid", 1, 0, 2, 17, "process-context identifiers" },
	{ "x2apic", 1, 0, 2, 21, "x2APIC mode" },
	{ "tsc-deadline", 1, 0, 2, 24, "LAPIC TSC-deadline timer" },
	{ "avx2", 7, 0, 1, 5, "AVX2" },
	{ "la57", 7, 0, 2, 16, "5-level paging" },
	{ "rdseed", 7, 0, 1, 18, "RDSEED" },
	{ "pdpe1gb", 0x80000001, 0, 3, 26, "1 GiB pages" },
};
const unsigned int cpuid_nr_features = ARRAY_SIZE(cpuid_features);

int cpuid_feature_bit(const char *name)
{
	for (unsigned int i = 0; i < cpuid_nr_features; i++)
		if (strcmp(cpuid_features[i].name, name) == 0)
			return i;
	return -ENOENT;
}

/* Leaves whose subleaf selects the data (SDM: "ECX is an input"). */
static int cpuid_leaf_indexed(uint32_t leaf)
{
	return leaf == 4 || leaf == 7 || leaf == 0xb || leaf == 0xd || leaf == 0x1f;
}

struct kvm_cpuid_entry2 *cpuid_find(struct kvm_cpuid2 *cpuid, uint32_t leaf, uint32_t subleaf)
{
	for (uint32_t i = 0; i < cpuid->nent; i++) {
		struct kvm_cpuid_entry2 *e = &cpuid->entries[i];

		if (e->function == leaf && (!cpuid_leaf_indexed(leaf) || e->index == subleaf))
			return e;
	}
	return NULL;
}

static uint32_t *cpuid_reg(struct kvm_cpuid_entry2 *e, unsigned int reg)
{
	switch (reg) {
	case 0: return &e->eax;
	case 1: return &e->ebx;
	case 2: return &e->ecx;
	default: return &e->edx;
	}
}

static unsigned int cpuid_order(unsigned int n)
{
	unsigned int shift = 0;

	while ((1u << shift) < n)
		shift++;
	return shift;
}

/* Leaf 0xB/0x1F: one SMT thread per core, ncpus cores in the package (SDM, "V2 extended topology"). */
static void cpuid_topology(struct kvm_cpuid_entry2 *e, unsigned int apic_id, unsigned int ncpus)
{
	switch (e->index) {
	case 0:
		e->eax = 0;
		e->ebx = 1;
		e->ecx = (1u << 8) | e->index;
		break;
	case 1:
		e->eax = cpuid_order(ncpus);
		e->ebx = ncpus;
		e->ecx = (2u << 8) | e->index;
		break;
	default:
		e->eax = 0;
		e->ebx = 0;
		e->ecx = e->index;
		break;
	}
	e->edx = apic_id;
}

void cpuid_normalize(struct kvm_cpuid2 *cpuid, unsigned int index, unsigned int ncpus,
		     uint64_t hide)
{
	unsigned int apic_id = index;

	for (uint32_t i = 0; i < cpuid->nent; i++) {
		struct kvm_cpuid_entry2 *e = &cpuid->entries[i];

		switch (e->function) {
		case 1:
			/* EBX: CLFLUSH line size (8 * 8 bytes), logical count, initial APIC id. */
			e->ebx = (apic_id << 24) | (MIN(ncpus, 255u) << 16) | (8u << 8);
			e->ecx &= ~(1u << 15);	/* PDCM: no perf-capabilities MSR */
			e->ecx |= 1u << 31;	/* running under a hypervisor */
			e->ecx |= 1u << 24;	/* TSC-deadline: KVM emulates it in the LAPIC */
			if (ncpus > 1)
				e->edx |= 1u << 28;	/* HTT: the count in EBX is valid */
			else
				e->edx &= ~(1u << 28);
			break;
		case 4:
			/* EAX[31:26]: addressable core ids in the package, minus one. */
			e->eax = (e->eax & 0x3ffffff) | (((1u << cpuid_order(ncpus)) - 1) << 26);
			break;
		case 6:
			e->ecx &= ~(1u << 3);	/* energy-performance bias MSR is not emulated */
			break;
		case 0xb:
		case 0x1f:
			cpuid_topology(e, apic_id, ncpus);
			break;
		default:
			break;
		}
	}
	for (unsigned int f = 0; f < cpuid_nr_features; f++) {
		const struct cpuid_feature *cf = &cpuid_features[f];
		struct kvm_cpuid_entry2 *e;

		if (!(hide & (1ULL << f)))
			continue;
		e = cpuid_find(cpuid, cf->leaf, cf->subleaf);
		if (e)
			*cpuid_reg(e, cf->reg) &= ~(1u << cf->bit);
	}
	/* Without XSAVE there is no XSAVE state to enumerate, and AVX cannot be enabled. */
	if (hide & (1ULL << cpuid_feature_bit("xsave"))) {
		struct kvm_cpuid_entry2 *e = cpuid_find(cpuid, 1, 0);

		if (e)
			e->ecx &= ~((1u << 27) | (1u << 28) | (1u << 12)); /* OSXSAVE, AVX, FMA */
		for (uint32_t i = 0; i < cpuid->nent; i++)
			if (cpuid->entries[i].function == 0xd)
				cpuid->entries[i].eax = cpuid->entries[i].ebx = cpuid->entries[i].ecx =
					cpuid->entries[i].edx = 0;
		e = cpuid_find(cpuid, 7, 0);
		if (e)
			e->ebx &= ~((1u << 5) | (1u << 16)); /* AVX2, AVX-512F */
	}
}
