// SPDX-License-Identifier: MIT
// Probe guest: the net-hostile mode's control-queue cases (nethostile_ctrl.c).
#ifndef PROBE_NETHOSTILE_CTRL_H
#define PROBE_NETHOSTILE_CTRL_H

#include "nethostile_int.h"

/* The cases; a NULL name ends the table. */
extern const struct nhcase nh_ctrl_cases[];

#endif
