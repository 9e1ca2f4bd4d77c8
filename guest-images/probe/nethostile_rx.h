// SPDX-License-Identifier: MIT
// Probe guest: the net-hostile mode's RX cases (nethostile_rx.c).
#ifndef PROBE_NETHOSTILE_RX_H
#define PROBE_NETHOSTILE_RX_H

#include "nethostile_int.h"

/* The cases; a NULL name ends the table. */
extern const struct nhcase nh_rx_cases[];

#endif
