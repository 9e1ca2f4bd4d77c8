// SPDX-License-Identifier: MIT
// Probe guest: the net-hostile mode's TX cases (nethostile_tx.c).
#ifndef PROBE_NETHOSTILE_TX_H
#define PROBE_NETHOSTILE_TX_H

#include "nethostile_int.h"

/* The cases; a NULL name ends the table. */
extern const struct nhcase nh_tx_cases[];

#endif
