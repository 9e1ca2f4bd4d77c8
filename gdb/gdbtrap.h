// SPDX-License-Identifier: MIT
// kvm-pvm: gdb breakpoints and steps in CPL-3 code, caught at the guest's own #BP and #DB handlers.
#ifndef MINNOW_GDBTRAP_H
#define MINNOW_GDBTRAP_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/kvm.h>

#include "base/compiler.h"

struct gdbstub;

/*
 * kvm-pvm only (no-ops elsewhere). gdbtrap_arm adds the handler traps to vCPU
 * v's debug controls before it resumes. gdbtrap_unwind, after a stop, turns a
 * trap for our int3 or step back into a stop in the CPL-3 code; false when
 * the stop was its own business and the guest must go on as before, unseen.
 */
void gdbtrap_arm(struct gdbstub *g, unsigned int v, bool step, struct kvm_guest_debug *dbg);
bool gdbtrap_unwind(struct gdbstub *g) __must_check;
/* True when gdb has an int3 at addr. */
bool gdbtrap_is_int3(const struct gdbstub *g, uint64_t addr);

#endif
