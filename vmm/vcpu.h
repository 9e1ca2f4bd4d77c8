// SPDX-License-Identifier: MIT
// vCPUs: CPUID, MSRs, registers and LAPIC at creation, and the KVM_RUN loop on one thread each.
#ifndef MINNOW_VCPU_H
#define MINNOW_VCPU_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <linux/kvm.h>

#include "base/log.h"

struct machine;

struct vcpu {
	struct machine *m;
	unsigned int index;
	int fd;
	struct kvm_run *run;
	pthread_t thread;
	bool started;
	struct log_ratelimit unclaimed_rl;	/* accesses no device claims */
};

/* Creates vCPU index of m; the BSP (index 0) starts at m->entry. */
int vcpu_create(struct vcpu *v, struct machine *m, unsigned int index, char *err,
		size_t errlen) __must_check;
int vcpu_start(struct vcpu *v) __must_check;
/* Makes the vCPU leave KVM_RUN and notice the machine is stopping (any thread). */
void vcpu_kick(struct vcpu *v);
/* Joins the thread (if started) and releases the vCPU. */
void vcpu_destroy(struct vcpu *v);

/* A KVM segment register from a GDT descriptor d (SDM vol. 3A, 3.4.5). */
struct kvm_segment vcpu_segment(uint64_t d, uint16_t selector);

/* Installs the no-op SIGUSR2 handler vcpu_kick relies on; once, before any vCPU starts. */
void vcpu_setup_signals(void);

#endif
