// SPDX-License-Identifier: MIT
// Probe guest network modes: net-hello, net-udp-tx, net-udp-rx, net-echo (netmodes.c).
#ifndef PROBE_NETMODES_H
#define PROBE_NETMODES_H

#include "lib.h"
#include "entry.h"
#include "netrun.h"

/* Each returns the exit status; map/nmap: the PVH memory map (for the buffer pool). */
int net_mode_hello(struct str cmdline, const struct hvm_memmap_entry *map, uint32_t nmap);
int net_mode_udp_tx(struct str cmdline, const struct hvm_memmap_entry *map, uint32_t nmap);
int net_mode_udp_rx(struct str cmdline, const struct hvm_memmap_entry *map, uint32_t nmap);
int net_mode_echo(struct str cmdline, const struct hvm_memmap_entry *map, uint32_t nmap);
/* "ready" to probe.peer:probe.peer_port (nothing without a peer), then drains TX. */
const char *netmodes_send_ready(struct netrun *r);

#endif
