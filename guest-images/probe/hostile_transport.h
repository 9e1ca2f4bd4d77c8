// SPDX-License-Identifier: MIT
// Probe guest: the virtio-hostile mode's transport cases (hostile_transport.c).
#ifndef PROBE_HOSTILE_TRANSPORT_H
#define PROBE_HOSTILE_TRANSPORT_H

#include "hostile_int.h"

/* The cases; a NULL name ends the table. */
extern const struct hcase h_transport_cases[];

#endif
