// SPDX-License-Identifier: MIT
// Probe guest: the exception report that entry.S calls at CPL 0 (trap.c).
#ifndef PROBE_TRAP_H
#define PROBE_TRAP_H

#include "entry.h"

/* Prints the saved frame of an unexpected exception (vectors 0-31), exits with 3. */
void probe_exception(struct probe_frame *f) __attribute__((noreturn));

#endif
