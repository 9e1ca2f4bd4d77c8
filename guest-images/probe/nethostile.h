// SPDX-License-Identifier: MIT
// Probe guest: the net-hostile mode, one misbehaving virtio-net driver case per run.
#ifndef PROBE_NETHOSTILE_H
#define PROBE_NETHOSTILE_H

#include "lib.h"
#include "entry.h"

/*
 * probe.mode=net-hostile probe.case=NAME against the first virtio-net device
 * (id 1) on the command line: one bad chain or header on the TX or RX queue,
 * then a good UDP datagram out (TX cases) or in (RX cases). map/n: the PVH
 * memory map (the buffers come from RAM above the image). Returns the exit
 * status.
 */
int net_hostile(struct str cmdline, const struct hvm_memmap_entry *map, uint32_t n);

#endif
