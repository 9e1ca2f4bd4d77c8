// SPDX-License-Identifier: MIT
// The machine as the gdb stub sees it: vCPU fds, guest RAM, and two requests back to the VMM.
#ifndef MINNOW_GDBTARGET_H
#define MINNOW_GDBTARGET_H

#include <stdbool.h>

#include "base/gmem.h"

/*
 * Filled by the VMM and handed to gdbstub_create, which copies it (and the
 * vcpu_fds array). Everything it names must stay valid until gdbstub_release
 * has returned; gmem until gdbstub_destroy.
 *
 * The stub issues KVM vCPU ioctls (KVM_GET/SET_REGS, KVM_GET/SET_SREGS,
 * KVM_GET_FPU, KVM_SET_GUEST_DEBUG) on vcpu_fds[i] from its server thread
 * only while vCPU i is parked in gdbstub_vcpu_gate, and from vCPU i's own
 * thread inside gdbstub_vcpu_int3: never while vCPU i is in KVM_RUN.
 */
struct gdbtarget {
	unsigned int nr_vcpus;
	const int *vcpu_fds;		/* nr_vcpus KVM vCPU fds, by vCPU index */
	const struct gmem *gmem;	/* guest RAM: memory packets, int3s, page walks */
	bool pvm;			/* kvm-pvm: int3 and CPL-3 #DB reach the guest (gdbtrap.c) */
	void *opaque;			/* passed to kick and kill */
	/*
	 * Makes vCPU i leave KVM_RUN and come back through gdbstub_vcpu_gate
	 * (any thread; the stub has set vCPU i's hold before it calls this).
	 */
	void (*kick)(void *opaque, unsigned int vcpu);
	/* gdb asked to kill the guest ('k', vKill): stop the machine (server thread). */
	void (*kill)(void *opaque);
};

#endif
