// SPDX-License-Identifier: MIT
// x86 segment descriptors: what a GDT entry means as a KVM segment register.
#include "base/x86.h"

struct kvm_segment x86_segment(uint64_t d, uint16_t selector)
{
	struct kvm_segment s = {
		.base = ((d >> 16) & 0xffffff) | (((d >> 56) & 0xff) << 24),
		.limit = (d & 0xffff) | (((d >> 48) & 0xf) << 16),
		.selector = selector,
		.type = (d >> 40) & 0xf,
		.s = (d >> 44) & 1,
		.dpl = (d >> 45) & 3,
		.present = (d >> 47) & 1,
		.avl = (d >> 52) & 1,
		.l = (d >> 53) & 1,
		.db = (d >> 54) & 1,
		.g = (d >> 55) & 1,
	};

	if (s.g)
		s.limit = (s.limit << 12) | 0xfff;
	return s;
}
