// SPDX-License-Identifier: MIT
// Probe guest TCP modes (nettcp.c): net-tcp-tx and net-tcp-rx, the handshake, segments in, the
// RTO, the run loop, the keys and reports; on nettcp_conn.c (the connection, segments out),
// nettcp_tx.c (the sender's data path) and nettcp_rx.c (the receiver's). net-tcp-tx: active open,
// a byte stream out in MSS segments or TSO super-frames, the peer's window respected, go-back-N
// retransmission on a timeout or three duplicate ACKs, FIN close. net-tcp-rx: one passive open,
// every byte checked as it arrives, GSO super-frames taken whole, what lies beyond a gap
// remembered as byte ranges, cumulative ACKs. Written from RFC 9293, RFC 5681 and RFC 7323
// (window scale); no SACK, no timestamps, no congestion control: the peer is a host socket on
// the other side of a tap. The stream's byte k is k & 0xff, so nothing is buffered: a
// retransmission is rebuilt from its offset, and received bytes are checked, never kept.
#ifndef PROBE_NETTCP_H
#define PROBE_NETTCP_H

#include "entry.h"
#include "lib.h"
#include "nettcp_conn.h"

/* The one run (nettcp.c): the device and the connection. */
extern struct netrun nettcp_run;
extern struct tcprun nettcp_conn;

/* Runs the connection until both FINs are through; NULL or why. */
const char *nettcp_run_conn(struct tcprun *t);
/* Keys and state shared by both modes. NULL, "" after a usage report, or why. */
const char *nettcp_open(struct tcprun *t, struct netrun *r, struct str cmdline, const char *mode,
			const struct hvm_memmap_entry *map, uint32_t nmap, bool tx, int *status);
/* The report's fields common to both modes. */
void nettcp_report_counts(struct json *j, struct tcprun *t);

/* Each returns the exit status; map/nmap: the PVH memory map (for the buffer pool). */
int net_mode_tcp_tx(struct str cmdline, const struct hvm_memmap_entry *map, uint32_t nmap);
int net_mode_tcp_rx(struct str cmdline, const struct hvm_memmap_entry *map, uint32_t nmap);

#endif
