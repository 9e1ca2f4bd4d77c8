// SPDX-License-Identifier: MIT
// x86 segment descriptors: what a GDT entry means as a KVM segment register.
#ifndef MINNOW_X86_H
#define MINNOW_X86_H

#include <stdint.h>
#include <linux/kvm.h>

/* A KVM segment register from a GDT descriptor d (SDM vol. 3A, 3.4.5). */
struct kvm_segment x86_segment(uint64_t d, uint16_t selector);

#endif
