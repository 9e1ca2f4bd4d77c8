// SPDX-License-Identifier: MIT
// Probe guest: the net-mq mode, virtio-net with several queue pairs and the control queue
// (virtio 1.2 §5.1.4 max_virtqueue_pairs, §5.1.6.5.5 VQ_PAIRS_SET).
#ifndef PROBE_NETMQ_H
#define PROBE_NETMQ_H

#include "entry.h"
#include "lib.h"

/* Runs the mode; returns the exit status. map/nmap: the PVH memory map (buffers, rings). */
int net_mode_mq(struct str cmdline, const struct hvm_memmap_entry *map, uint32_t nmap);

#endif
