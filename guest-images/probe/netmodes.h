// SPDX-License-Identifier: MIT
// Probe guest network modes: net-hello, net-udp-tx, net-udp-rx, net-echo (netmodes.c),
// net-tcp-tx and net-tcp-rx (nettcp.c, nettcp_tx.c, nettcp_rx.c).
#ifndef PROBE_NETMODES_H
#define PROBE_NETMODES_H

#include "lib.h"
#include "entry.h"

/* Each returns the exit status; map/nmap: the PVH memory map (for the buffer pool). */
int net_mode_hello(struct str cmdline, const struct hvm_memmap_entry *map, uint32_t nmap);
int net_mode_udp_tx(struct str cmdline, const struct hvm_memmap_entry *map, uint32_t nmap);
int net_mode_udp_rx(struct str cmdline, const struct hvm_memmap_entry *map, uint32_t nmap);
int net_mode_echo(struct str cmdline, const struct hvm_memmap_entry *map, uint32_t nmap);
int net_mode_tcp_tx(struct str cmdline, const struct hvm_memmap_entry *map, uint32_t nmap);
int net_mode_tcp_rx(struct str cmdline, const struct hvm_memmap_entry *map, uint32_t nmap);
/* net-verify (netverify.c): right and wrong offload requests for minnow's verify=on. */
int net_mode_verify(struct str cmdline, const struct hvm_memmap_entry *map, uint32_t nmap);

#endif
