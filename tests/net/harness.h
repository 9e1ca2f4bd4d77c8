// SPDX-License-Identifier: MIT
// The 'net' suite's harness: it plays the guest (tests/support/netdrv over memfd guest RAM) of
// minnow's real virtio-net device on a real tap (tapA) and the peer behind a second, plain tap
// (tapB) in a network namespace that tests/net/net.sh created; the kernel routes between them.
#ifndef MINNOW_TEST_NET_HARNESS_H
#define MINNOW_TEST_NET_HARNESS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "tests/support/netdrv.h"
#include "tests/support/netpkt.h"

/* The addressing net.sh sets up (static neighbours, nud permanent). */
#define H_GUEST_IP   0x0a630102 /* 10.99.1.2, behind tapA: the device */
#define H_HOSTA_IP   0x0a630101 /* 10.99.1.1, tapA's address */
#define H_PEER_IP    0x0a630202 /* 10.99.2.2, behind tapB: the harness */
#define H_HOSTB_IP   0x0a630201 /* 10.99.2.1, tapB's address */
#define H_GUEST_PORT 40000
#define H_PEER_PORT  5201

#define H_WAIT_MS   3000 /* for something that must happen */
#define H_QUIET_MS  150	 /* for something that must not */
#define H_FRAME_MAX (VNET_MAX_FRAME + 64)

#define F(x) VIRTIO_BIT(VIRTIO_NET_F_##x)

struct h_opts {
	const char *tapa, *tapb;
	bool sync;	      /* the device's io=sync engine instead of io_uring */
	bool mrg;	      /* negotiate MRG_RXBUF */
	bool guest_csum;      /* negotiate GUEST_CSUM (default on) */
	bool guest_tso;	      /* negotiate GUEST_TSO4/6 */
	bool guest_uso;	      /* negotiate GUEST_USO4/6 (where the tap has USO) */
	uint32_t rxbuf;	      /* bytes per posted RX buffer (0: a default for the mode) */
	unsigned int rxcount; /* RX buffers kept posted (0: a default for the mode) */
	uint32_t rxpiece;     /* RX chains in descriptors of this many bytes (0: one) */
	bool rxindirect;      /* RX chains through indirect tables */
	bool soft;	      /* offload=soft: minnow finishes TX offloads itself */
	int sndbuf;	      /* TUNSETSNDBUF on tapA before the device opens it (0: tun's) */
	const char *engine;   /* the engine the device must report (metrics' "engine"), or NULL */
	int batch_us;	      /* --net batch_us= (-1: not given) */
};

struct harness {
	struct h_opts o;
	struct netdrv d;
	bool dev_open;
	int tapb_fd;
	uint8_t guest_mac[6], peer_mac[6], tapa_mac[6], tapb_mac[6];
	unsigned long checks;
	unsigned int rx_posted; /* RX chains the driver has out */
};

extern struct harness H;

/* A received frame, as the guest saw it. */
struct h_rx {
	struct virtio_net_hdr_v1 hdr;
	unsigned int nbufs; /* used entries it took */
	uint32_t len;	    /* frame bytes (header excluded) */
	uint8_t frame[H_FRAME_MAX];
};

void h_fail_at(const char *file, int line, const char *fmt, ...) __printf(3, 4) __noreturn;
#define h_fail(...) h_fail_at(__FILE__, __LINE__, __VA_ARGS__)
/* A check: counted, and on failure the harness says what and where, then exits 1. */
#define CHECK(cond, fmt, ...)                                                                      \
	do {                                                                                       \
		H.checks++;                                                                        \
		if (!(cond))                                                                       \
			h_fail_at(__FILE__, __LINE__, "check '%s' failed: " fmt, #cond,            \
				  ##__VA_ARGS__);                                                  \
	} while (0)
#define CHECK_EQ(a, b, what)                                                                       \
	do {                                                                                       \
		unsigned long long a_ = (a), b_ = (b);                                             \
		CHECK(a_ == b_, "%s: got %llu, want %llu", (what), a_, b_);                        \
	} while (0)
void h_note(const char *fmt, ...) __printf(1, 2);

/*
 * The device on tapA with the features the options ask for (checked: all
 * negotiated, and the tap's offloads to match), plus extra_want where the
 * device offers it (the case checks). No RX buffers yet: h_rx_refill.
 */
void h_dev_open(uint64_t extra_want);
/* The TUNSETOFFLOAD flags the options' GUEST_* features map to. */
unsigned int h_tun_offloads(void);
void h_dev_close(void);
uint64_t h_want(void);
/* Keeps o.rxcount buffers of o.rxbuf bytes posted (one kick). */
void h_rx_refill(void);
/*
 * The next frame the guest receives (all its buffers with MRG_RXBUF, whose
 * layout it checks: all but the last full, num_buffers = the count); false
 * on timeout. Buffers are not reposted: call h_rx_refill.
 */
bool h_rx_next(struct h_rx *r, int timeout_ms);
/* Exits 77 (a skip) saying why: only for what the host's kernel lacks. */
void h_skip(const char *why) __noreturn;
/* Nothing arrives for H_QUIET_MS. */
void h_rx_expect_quiet(void);

/* Waits until a tap's transmit path is live (operstate up: linkwatch activated its qdisc). */
void h_wait_link(const char *ifname);
/* tapB, opened by the harness without a vnet header and with IFF_NAPI (GRO checks checksums). */
void h_tapb_send(const void *frame, size_t len);
/* The next IPv4/IPv6 frame tapB hands out, other ethertypes skipped; -1 on timeout. */
long h_tapb_recv(uint8_t *buf, size_t max, int timeout_ms);
/* TCP and UDP frames of ethertype on tapB until quiet_ms of silence (ICMP not counted). */
unsigned int h_tapb_drain(uint16_t ethertype, int quiet_ms);

/* /sys/class/net/IF/statistics/NAME of this namespace. */
uint64_t h_ifstat(const char *ifname, const char *name);
/* A counter of /proc/net/snmp ("Ip", "ForwDatagrams"), of this namespace. */
uint64_t h_snmp(const char *group, const char *name);
int64_t h_now_ms(void);

/* Frames the harness builds: guest -> peer through tapA (TX), peer -> guest through tapB (RX). */
struct netpkt_flow h_flow_tx(void); /* guest MAC -> tapA MAC, 10.99.1.2:40000 -> 10.99.2.2:5201 */
struct netpkt_flow h_flow_rx(void); /* peer MAC -> tapB MAC, 10.99.2.2:5201 -> 10.99.1.2:40000 */
/*
 * What a frame of flow looks like after the kernel forwarded it: MACs of the
 * next hop (src, dst), TTL one less, IPv4 header checksum redone.
 */
void h_forwarded(uint8_t *frame, size_t len, const uint8_t *src_mac, const uint8_t *dst_mac);
uint16_t h_get16(const uint8_t *p);
uint32_t h_get32(const uint8_t *p);
void h_put16(uint8_t *p, uint16_t v);
void h_put32(uint8_t *p, uint32_t v);

/* TX helpers (harness_tx.c): a chain in one of four layouts, in turn; all completions, length 0. */
void h_tx(const struct virtio_net_hdr_v1 *hdr, const uint8_t *f, uint32_t len, bool kick);
void h_tx_wait_all(unsigned int count);
/* The namespace's counters around a TX case. */
struct h_tx_counts {
	uint64_t fwd, ip_hdr_err, udp_csum_err, tcp_csum_err, a_rx, a_rx_err, a_rx_drop, b_tx;
};
void h_tx_counts(struct h_tx_counts *c);
/* sent frames arrived on tapA, wire frames left tapB (at least, with IPv6's MLD), no errors. */
void h_tx_check_counts(const struct h_tx_counts *c0, unsigned int sent, unsigned int wire, bool v6);

/* The cases (harness_tx.c, harness_gso.c, harness_rx.c, harness_tcp.c, harness_reset.c). */
int h_case_tx_csum(void);
int h_case_tx_tso4(void);
int h_case_tx_tso6(void);
int h_case_tx_uso(void);
int h_case_tx_soft_equal4(void);
int h_case_tx_soft_equal6(void);
int h_case_tx_link_down(void);
int h_case_rx_uso(void);
int h_case_renegotiate(void);
int h_case_rx(void);
int h_case_rx_eagain(void);
int h_case_tcp_stream(void);
int h_case_reset(void);
int h_case_tap_gone(void);
int h_case_mq(void);
int h_case_mq_single_tap(void);

#endif
