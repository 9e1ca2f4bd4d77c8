// SPDX-License-Identifier: MIT
// Probe guest: the virtio-hostile mode, one misbehaving-driver case per run.
#ifndef PROBE_HOSTILE_H
#define PROBE_HOSTILE_H

#include "lib.h"
#include "entry.h"

/*
 * probe.mode=virtio-hostile probe.case=NAME against the first entropy
 * device (id 4) on the command line. map/n: the PVH memory map (RAM bounds
 * for the cases that aim just outside it). Returns the exit status.
 */
int virtio_hostile(struct str cmdline, const struct hvm_memmap_entry *map, uint32_t n);

#endif
