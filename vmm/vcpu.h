// SPDX-License-Identifier: MIT
// vCPUs: CPUID, MSRs, registers and LAPIC at creation, and the KVM_RUN loop on one thread each.
#ifndef MINNOW_VCPU_H
#define MINNOW_VCPU_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <linux/kvm.h>

#include "base/bus.h"
#include "base/log.h"
#include "firmware/boot.h"
#include "vmm/kvm.h"

struct gdbstub;

/* Why a vCPU asks its machine to stop. */
enum vcpu_stop {
	VCPU_STOP_POWEROFF,	/* KVM_SYSTEM_EVENT_SHUTDOWN */
	VCPU_STOP_RESET,	/* KVM_SYSTEM_EVENT_RESET */
	VCPU_STOP_TRIPLE_FAULT,	/* KVM_EXIT_SHUTDOWN */
	VCPU_STOP_ERROR,	/* KVM failed or exited in a way minnow does not handle */
};

/*
 * What the vCPUs need of their machine. The machine fills it before
 * vcpu_create (gdb before vcpu_start); it is read-only while they run.
 */
struct vcpu_host {
	const struct kvm *kvm;
	const struct bus *pio;
	const struct bus *mmio;
	const struct boot_entry *entry;	/* the BSP's */
	unsigned int nr_vcpus;
	uint64_t cpuid_hide;		/* --cpuid-mask */
	struct gdbstub *gdb;		/* --gdb; NULL without */
	void *opaque;			/* passed to stop and stopping */
	/* Asks the machine to stop (any vCPU thread; the first request wins). */
	void (*stop)(void *opaque, enum vcpu_stop why);
	/* True once the machine is stopping: the vCPU's loop ends. */
	bool (*stopping)(void *opaque);
};

struct vcpu {
	const struct vcpu_host *host;
	unsigned int index;
	int fd;
	struct kvm_run *run;
	pthread_t thread;
	bool started;
	struct log_ratelimit unclaimed_rl;	/* accesses no device claims */
};

/* Creates vCPU index of host's VM; the BSP (index 0) starts at host->entry. */
int vcpu_create(struct vcpu *v, const struct vcpu_host *host, unsigned int index, char *err,
		size_t errlen) __must_check;
int vcpu_start(struct vcpu *v) __must_check;
/*
 * Makes the vCPU leave KVM_RUN (any thread); its loop then notices the
 * machine is stopping or parks at gdb's gate, whichever its caller set first.
 */
void vcpu_kick(struct vcpu *v);
/* Joins the thread (if started) and releases the vCPU. */
void vcpu_destroy(struct vcpu *v);

/* Installs the no-op SIGUSR2 handler vcpu_kick relies on; once, before any vCPU starts. */
void vcpu_setup_signals(void);

#endif
