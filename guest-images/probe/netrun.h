// SPDX-License-Identifier: MIT
// Probe guest network modes, shared part (netrun.c): the state of one run, the command-line
// keys every net-* mode takes, ARP, polling and waiting, and the JSON report's common fields.
// netmodes.c holds the UDP modes, nettcp.c with nettcp_tx.c and nettcp_rx.c the TCP ones.
#ifndef PROBE_NETRUN_H
#define PROBE_NETRUN_H

#include "netdrv.h"
#include "netstack.h"

struct netrun {
	struct netdrv nd;
	const char *mode;
	struct net_addr me, peer;
	bool have_peer, peer_mac_known;
	bool csum_offload, check_data_valid;
	uint64_t count, size, batch;
	uint8_t *seen; /* net-udp-rx: one bit per datagram index */
	uint64_t hz, t0, us;
	/* counts */
	uint64_t sent, bytes, received, rbytes, bad, dup, data_valid, csum_partial, csum_zero;
	uint64_t merged, other, not_ours, arp_requests, arp_replies, tx_full, echoed;
	const char *bad_why;
	void (*on_udp)(struct netrun *r, const struct netdrv_rx *rx, const struct net_pkt *p);
	/* Frames net_parse calls NET_OTHER (TCP among them): true if the mode took it. */
	bool (*on_other)(struct netrun *r, const struct netdrv_rx *rx);
};

/* {"probe":"error","reason":"bad value for KEY"}; returns PROBE_EXIT_USAGE. */
int netrun_usage(const char *key);
/* probe.KEY as a number in [min, max] (def if absent); false (after a usage report) if not. */
bool netrun_arg_u64(struct str cmdline, const char *key, uint64_t def, uint64_t min, uint64_t max,
		    uint64_t *out);
uint64_t netrun_us_since(const struct netrun *r, uint64_t t);
/* Things the device did wrong (nd->err), summed: any fails a mode. */
uint32_t netrun_dev_errors(const struct netdrv *nd);
/* Counts a bad frame; the first reason is kept. */
void netrun_note_bad(struct netrun *r, const char *why);

/*
 * Parses the common keys (probe.ip, probe.peer, probe.port, probe.peer_port,
 * probe.csum_offload, probe.check_data_valid, probe.batch, probe.peer_mac and
 * the driver's), opens the device (txbuf_def: TX slot size when probe.txbuf
 * is absent, 0 for the driver's default) and, with need_ip and a peer, ARPs
 * for it. NULL, or why: "" after a usage report (*status says the exit).
 */
const char *netrun_open(struct netrun *r, struct str cmdline, const char *mode,
			const struct hvm_memmap_entry *map, uint32_t nmap, bool need_ip,
			bool need_peer, uint32_t txbuf_def, int *status);
/* One netdrv_poll with the common frame handler; false with *why on a device error. */
bool netrun_poll(struct netrun *r, const char **why);
/* netdrv_wait, then netrun_poll; false with *why (timeout_why on a timeout). */
bool netrun_wait_poll(struct netrun *r, const char **why, const char *timeout_why);
/* Flushes and waits until the device has returned every TX chain. */
const char *netrun_tx_drain(struct netrun *r);

/* {"probe":MODE[,"error":why] ... common fields ... "us":N} */
void netrun_report_head(struct json *j, struct netrun *r, const char *why);
void netrun_report_tail(struct json *j, struct netrun *r);
/* Interrupts off; the exit status (FAIL with why or device errors). */
int netrun_finish(struct netrun *r, const char *why);

#endif
