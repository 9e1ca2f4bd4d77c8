// SPDX-License-Identifier: MIT
// Probe guest: the net-verify mode, right and wrong offload requests for minnow's verify=on.
#ifndef PROBE_NETVERIFY_H
#define PROBE_NETVERIFY_H

#include "lib.h"
#include "entry.h"

/* Returns the exit status; map/nmap: the PVH memory map (for the buffer pool). */
int net_mode_verify(struct str cmdline, const struct hvm_memmap_entry *map, uint32_t nmap);

#endif
