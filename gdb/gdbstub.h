// SPDX-License-Identifier: MIT
// A GDB remote protocol server (--gdb): all-stop debugging of the guest's vCPUs.
#ifndef MINNOW_GDBSTUB_H
#define MINNOW_GDBSTUB_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/kvm.h>

#include "base/compiler.h"
#include "gdb/gdbtarget.h"

struct gdbstub;

/*
 * Checks a --gdb value: a TCP port 1-65535 (on 127.0.0.1 only) or a unix
 * socket path (anything else that is not empty and fits sun_path). 0 or
 * -EINVAL.
 */
int gdbstub_check_addr(const char *where) __must_check;

/*
 * Listens on where; from now on every vCPU of t is held before its first
 * instruction until gdb attaches and continues. 0 or -errno with a message
 * logged. gdbstub_start starts the server thread once the vCPU threads run.
 */
int gdbstub_create(struct gdbstub **out, const struct gdbtarget *t,
		   const char *where) __must_check;
int gdbstub_start(struct gdbstub *g) __must_check;

/* vCPU thread, before each KVM_RUN: parks here while gdb holds the machine. */
void gdbstub_vcpu_gate(struct gdbstub *g, unsigned int vcpu);
/* vCPU thread, on KVM_EXIT_DEBUG (d: kvm_run's debug.arch): reports the stop, holds every vCPU. */
void gdbstub_vcpu_debug(struct gdbstub *g, unsigned int vcpu, const struct kvm_debug_exit_arch *d);

/*
 * vCPU thread, on a KVM emulation failure: true when it failed on one of
 * gdb's int3s (kvm-pvm emulates CPL-0 code and cannot emulate int3), which
 * is then a breakpoint stop like gdbstub_vcpu_debug's.
 */
bool gdbstub_vcpu_int3(struct gdbstub *g, unsigned int vcpu);

/* The machine is stopping: releases every parked vCPU (before they are joined). */
void gdbstub_release(struct gdbstub *g);
/* After the vCPUs are joined: tells gdb the exit status, ends the server, frees g. */
void gdbstub_destroy(struct gdbstub *g, int status);

#endif
