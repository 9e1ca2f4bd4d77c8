// SPDX-License-Identifier: MIT
// The --net options, parsed once (vmm/cli_net.c) and read by the backend that opens the host side
// (net/backends.h) and by the virtio-net device that faces the guest (devices/virtio/vnet.h).
#ifndef MINNOW_NET_CONFIG_H
#define MINNOW_NET_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#define NET_QUEUES_MAX 8	/* queue pairs of one device (virtio-net MQ), the default's cap */
#define NET_BATCH_US	20	/* io=uring: the default completion batching window (µs) */
#define NET_BATCH_US_MAX 1000

/* --net: one virtio-net device on a tap. */
struct net_config {
	bool enabled;
	const char *tap;	/* tap=NAME: points at tap_name; NULL with fd=N */
	char tap_name[16];
	int fd;			/* fd=N (tap NULL) */
	int fds[NET_QUEUES_MAX];	/* fds=A:B:...: one pre-opened tap queue per pair (tap NULL) */
	unsigned int nfds;	/* 0: no fds= */
	unsigned int queues;	/* queue pairs; with queues_set false, the default to try */
	bool queues_set;	/* queues= (or fds=) asked for them: no fallback to one */
	uint8_t mac[6];
	bool mac_set;		/* else a random locally administered MAC */
	unsigned int mtu;	/* 0: the tap's */
	unsigned int queue_size;	/* QueueNumMax, a power of two <= VNET_QUEUE_MAX */
	bool csum;		/* offer checksum offloads (both directions) */
	bool tso;		/* offer segmentation offloads (both directions) */
	bool mrg_rxbuf;
	bool ctrl;		/* offer the control queue (CTRL_VQ, CTRL_RX, MAC_ADDR, GUEST_OFFLOADS, MQ) */
	bool io_sync;		/* io=sync: plain readv/writev instead of io_uring, a baseline */
	unsigned int batch_us;	/* io=uring: completion batching window (µs); 0: NET_BATCH_US */
	bool batch_off;		/* batch_us=0: every completion is answered at once */
	const char *pcap;	/* pcap=FILE: points at pcap_path; NULL: no capture */
	char pcap_path[4096];	/* PATH_MAX */
	bool verify;		/* verify=on: check TX offload requests against the bytes */
	bool offload_soft;	/* offload=soft: finish every TX offload in software */
};

#endif
