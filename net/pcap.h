// SPDX-License-Identifier: MIT
// Packet capture to a pcapng file (--net ...,pcap=FILE): every frame the NIC carried or refused,
// each with a comment naming its virtio-net header, queue and verdict.
//
// Contract: one thread at a time records (the NIC's I/O thread; a restarted I/O thread is joined
// before the next starts). pcap_record never blocks and never makes a system call other than
// clock_gettime and, at most once per half-ring, an eventfd write: it copies the frame into a
// bounded ring, and a writer thread drains the ring to the file. When the ring is full the packet
// is counted in `dropped` instead. The file holds only whole blocks at any moment, and
// pcap_close writes out everything recorded before it returns.
//
// File layout (pcapng, draft-ietf-opsawg-pcapng): one Section Header Block, one Interface
// Description Block (LINKTYPE_ETHERNET, snaplen PCAP_SNAPLEN, named after the tap), then one
// Enhanced Packet Block per record with an opt_comment and epb_flags. The interface is the guest's
// NIC: direction "outbound" is guest -> host (TX), "inbound" is host -> guest (RX).
#ifndef MINNOW_NET_PCAP_H
#define MINNOW_NET_PCAP_H

#include <linux/virtio_net.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "base/compiler.h"

/* Bytes kept of a frame: the largest one the NIC carries (VNET_MAX_FRAME) fits whole. */
#define PCAP_SNAPLEN	 65552
#define PCAP_RING_BYTES	 (8 * MiB)	/* the default ring: a few ms of 10 Gbit/s */
#define PCAP_COMMENT_MAX 480		/* bytes of one packet's comment, the note included */

/* pcapng block types and option codes (draft-ietf-opsawg-pcapng §4, §3.5). */
#define PCAP_BT_SHB	 0x0A0D0D0Au
#define PCAP_BT_IDB	 0x00000001u
#define PCAP_BT_EPB	 0x00000006u
#define PCAP_BOM	 0x1A2B3C4Du
#define PCAP_OPT_END	 0
#define PCAP_OPT_COMMENT 1
#define PCAP_OPT_EPB_FLAGS 2
#define PCAP_OPT_IF_NAME 2
#define PCAP_OPT_SHB_USERAPPL 4
#define PCAP_LINKTYPE_ETHERNET 1
#define PCAP_FLAG_INBOUND  1u	/* epb_flags bits 0-1: direction */
#define PCAP_FLAG_OUTBOUND 2u

struct pcap;

struct pcap_opts {
	const char *ifname;	/* the IDB's if_name */
	size_t ring_bytes;	/* 0: PCAP_RING_BYTES; rounded up to a power of two */
	bool no_writer;		/* tests: no writer thread; pcap_close writes everything */
};

/* One record: what happened to the frame. */
struct pcap_pkt {
	bool tx;				/* guest -> host */
	unsigned int queue;			/* virtqueue index */
	const struct virtio_net_hdr_v1 *hdr;	/* the header (TX: the guest's; RX: ours); NULL: none */
	const char *drop;			/* NULL: sent/delivered; else the drop reason */
	const char *note;			/* more to say (an offload check), or NULL */
};

/* Counters; written by the recording thread, read by anyone (base/stat.h). */
struct pcap_stats {
	uint64_t packets;	/* records in the ring (and so in the file, unless a write fails) */
	uint64_t dropped;	/* packets not captured: the ring was full, or the file failed */
	uint64_t truncated;	/* captured shorter than they were (PCAP_SNAPLEN) */
};

/* Creates (truncates) path and writes the file header; -errno with err naming the file. */
int pcap_open(struct pcap **out, const char *path, const struct pcap_opts *o, char *err,
	      size_t errlen) __must_check;
/*
 * Records len bytes of frame, starting skip bytes into iov (the guest's
 * buffers: gathered, truncated at PCAP_SNAPLEN). Never blocks.
 */
void pcap_record(struct pcap *p, const struct pcap_pkt *pkt, const struct iovec *iov,
		 unsigned int niov, size_t skip, uint32_t len);
/* Stops the writer after it wrote everything recorded, and closes the file. NULL is fine. */
void pcap_close(struct pcap *p);
const struct pcap_stats *pcap_stats(const struct pcap *p);

/* The comment of one record, as pcap_record writes it; returns its length (< size). */
size_t pcap_comment(char *buf, size_t size, const struct pcap_pkt *pkt);

#endif
