// SPDX-License-Identifier: MIT
// The CPUID a vCPU sees: KVM's supported set, normalized per vCPU, minus what the user hides.
#ifndef MINNOW_CPUID_H
#define MINNOW_CPUID_H

#include <stdint.h>
#include <linux/kvm.h>

#include "base/compiler.h"

/* Features that --cpuid-mask can hide; bit i of the mask is cpuid_features[i]. */
struct cpuid_feature {
	const char *name;
	uint32_t leaf;
	uint32_t subleaf;
	uint8_t reg; /* 0 eax, 1 ebx, 2 ecx, 3 edx */
	uint8_t bit;
	const char *why;
};

extern const struct cpuid_feature cpuid_features[];
extern const unsigned int cpuid_nr_features;

/* Bit for a feature name ("xsave", "cx16", ...); -ENOENT when unknown. */
int cpuid_feature_bit(const char *name) __must_check;

/*
 * Rewrites the supported table for vCPU `index` of `ncpus`: APIC id,
 * logical-processor count and topology (one core per vCPU, one package),
 * hypervisor bit, TSC-deadline, PDCM off, and every feature in `hide` cleared.
 */
void cpuid_normalize(struct kvm_cpuid2 *cpuid, unsigned int index, unsigned int ncpus,
		     uint64_t hide);

/* The entry for leaf/subleaf, or NULL. */
struct kvm_cpuid_entry2 *cpuid_find(struct kvm_cpuid2 *cpuid, uint32_t leaf, uint32_t subleaf);

#endif
