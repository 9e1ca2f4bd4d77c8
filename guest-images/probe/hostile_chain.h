// SPDX-License-Identifier: MIT
// Probe guest: the virtio-hostile mode's chain and ring cases (hostile_chain.c).
#ifndef PROBE_HOSTILE_CHAIN_H
#define PROBE_HOSTILE_CHAIN_H

#include "hostile_int.h"

/* The cases; a NULL name ends the table. */
extern const struct hcase h_chain_cases[];

#endif
