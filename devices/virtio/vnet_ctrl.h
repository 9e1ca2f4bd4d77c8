// SPDX-License-Identifier: MIT
// virtio-net's control virtqueue (virtio 1.2 §5.1.6.5), pure: one command's bytes parsed and
// checked against the negotiated features into a struct vnet_ctrl_cmd, and the state the
// commands record (receive modes, MAC filter, guest offloads, queue pairs). No I/O: the device
// (vnet.c) pops the chain, carries out what a command asks of the host, and writes the ack.
#ifndef MINNOW_VNET_CTRL_H
#define MINNOW_VNET_CTRL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/compiler.h"

#define VNET_CTRL_MAX_LEN   16384	/* readable bytes of one command: a MAC table of ~2700 */
#define VNET_CTRL_HDR_LEN   2		/* struct virtio_net_ctrl_hdr: class, command */

/* Why a command was answered VIRTIO_NET_ERR (or, with no ack byte, used length 0). */
enum vnet_ctrl_err {
	VNET_CTRL_OK,
	VNET_CTRL_ERR_NO_ACK,		/* no device-writable byte for the ack: used length 0 */
	VNET_CTRL_ERR_LAYOUT,		/* writable bytes beyond the 1-byte ack (data written where
					   it must be read), or readable bytes past VNET_CTRL_MAX_LEN */
	VNET_CTRL_ERR_SHORT,		/* fewer readable bytes than the 2-byte header */
	VNET_CTRL_ERR_CLASS,		/* a class minnow does not know */
	VNET_CTRL_ERR_COMMAND,		/* a command its class does not have */
	VNET_CTRL_ERR_NOT_NEGOTIATED,	/* a command of a feature the driver did not negotiate */
	VNET_CTRL_ERR_LENGTH,		/* the data's length is not the command's */
	VNET_CTRL_ERR_MAC_TABLE,	/* TABLE_SET: entry counts that do not fit its data */
	VNET_CTRL_ERR_PAIRS,		/* VQ_PAIRS_SET: 0, or above max_virtqueue_pairs */
	VNET_CTRL_ERR_OFFLOADS,		/* GUEST_OFFLOADS_SET: a bit not negotiated, or not an offload */
	VNET_CTRL_ERR_HOST,		/* a valid command the host refused (TUNSETOFFLOAD, TUNSETQUEUE) */
	VNET_CTRL_ERR_CHAIN,		/* the ring refused the chain (virtq_pop): used length 0 */
	VNET_CTRL_ERR_MAX,
};

/* The reasons as --metrics names them ("ctrl":{"errors":{...}}). */
extern const char *const vnet_ctrl_err_names[VNET_CTRL_ERR_MAX];

enum vnet_ctrl_kind {
	VNET_CTRL_PROMISC,
	VNET_CTRL_ALLMULTI,
	VNET_CTRL_MAC_TABLE,
	VNET_CTRL_MAC_ADDR,
	VNET_CTRL_PAIRS,
	VNET_CTRL_OFFLOADS,
};

/* One checked command. */
struct vnet_ctrl_cmd {
	uint8_t class, command;
	enum vnet_ctrl_kind kind;
	bool on;			/* PROMISC, ALLMULTI */
	uint8_t mac[6];			/* MAC_ADDR */
	uint32_t unicast, multicast;	/* MAC_TABLE: entries of each table */
	uint16_t pairs;			/* PAIRS */
	uint64_t offloads;		/* OFFLOADS: VIRTIO_NET_F_GUEST_* bits */
};

/* What the commands recorded; written by the thread serving the control queue. */
struct vnet_ctrl_state {
	bool promisc, allmulti;
	uint8_t mac[6];
	uint32_t unicast, multicast;
	uint64_t guest_offloads;
	uint16_t pairs;
};

/* The GUEST_* feature bits GUEST_OFFLOADS_SET may name (§5.1.6.5.6.1). */
uint64_t vnet_ctrl_offload_bits(void);

/*
 * Parses one command: buf holds the chain's out_len readable bytes (header,
 * then data), in_len is its writable bytes (the ack). Checks every field
 * against the negotiated features and max_pairs (§5.1.6.5). Returns
 * VNET_CTRL_OK with *cmd filled, or why the command is refused.
 */
enum vnet_ctrl_err vnet_ctrl_parse(const uint8_t *buf, size_t out_len, size_t in_len,
				   uint64_t negotiated, uint16_t max_pairs,
				   struct vnet_ctrl_cmd *cmd) __must_check;

/* Records an accepted (and, where the host takes part, carried out) command in s. */
void vnet_ctrl_apply(struct vnet_ctrl_state *s, const struct vnet_ctrl_cmd *cmd);

#endif
