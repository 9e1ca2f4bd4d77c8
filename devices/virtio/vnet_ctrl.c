// SPDX-License-Identifier: MIT
// virtio-net's control virtqueue commands (virtio 1.2 §5.1.6.5): parsed from the chain's
// readable bytes and checked against the negotiated features; pure, no I/O.
#include <string.h>
#include <linux/virtio_net.h>

#include "base/uapi.h"
#include "devices/virtio/vdev.h"
#include "devices/virtio/vnet_ctrl.h"

const char *const vnet_ctrl_err_names[VNET_CTRL_ERR_MAX] = {
	[VNET_CTRL_OK] = "ok", [VNET_CTRL_ERR_NO_ACK] = "no_ack",
	[VNET_CTRL_ERR_LAYOUT] = "layout", [VNET_CTRL_ERR_SHORT] = "short",
	[VNET_CTRL_ERR_CLASS] = "class", [VNET_CTRL_ERR_COMMAND] = "command",
	[VNET_CTRL_ERR_NOT_NEGOTIATED] = "not_negotiated", [VNET_CTRL_ERR_LENGTH] = "length",
	[VNET_CTRL_ERR_MAC_TABLE] = "mac_table", [VNET_CTRL_ERR_PAIRS] = "pairs",
	[VNET_CTRL_ERR_OFFLOADS] = "offloads", [VNET_CTRL_ERR_HOST] = "host",
	[VNET_CTRL_ERR_CHAIN] = "chain",
};

#define F(x) VIRTIO_BIT(VIRTIO_NET_F_##x)

uint64_t vnet_ctrl_offload_bits(void)
{
	/* §5.1.6.5.6.1: the offloads are named by their GUEST_* feature bits. */
	return F(GUEST_CSUM) | F(GUEST_TSO4) | F(GUEST_TSO6) | F(GUEST_ECN) | F(GUEST_UFO) |
	       VIRTIO_BIT(VIRTIO_NET_F_GUEST_USO4) | VIRTIO_BIT(VIRTIO_NET_F_GUEST_USO6);
}

static uint32_t ctrl_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* §5.1.6.5.2: PROMISC and ALLMULTI need CTRL_RX; the other four CTRL_RX_EXTRA, never offered. */
static enum vnet_ctrl_err ctrl_rx(const uint8_t *d, size_t len, uint64_t f,
				  struct vnet_ctrl_cmd *cmd)
{
	if (cmd->command > VIRTIO_NET_CTRL_RX_NOBCAST)
		return VNET_CTRL_ERR_COMMAND;
	if (!(f & F(CTRL_RX)) ||
	    (cmd->command > VIRTIO_NET_CTRL_RX_ALLMULTI && !(f & F(CTRL_RX_EXTRA))))
		return VNET_CTRL_ERR_NOT_NEGOTIATED;
	if (cmd->command > VIRTIO_NET_CTRL_RX_ALLMULTI)
		return VNET_CTRL_ERR_COMMAND;	/* unreachable while CTRL_RX_EXTRA is not offered */
	if (len != 1)
		return VNET_CTRL_ERR_LENGTH;
	cmd->kind = cmd->command == VIRTIO_NET_CTRL_RX_PROMISC ? VNET_CTRL_PROMISC :
								 VNET_CTRL_ALLMULTI;
	cmd->on = d[0] != 0;
	return VNET_CTRL_OK;
}

/*
 * §5.1.6.5.2: TABLE_SET (with CTRL_RX) is two tables, each a le32 count then
 * that many 6-byte addresses, and nothing after them; ADDR_SET (with
 * CTRL_MAC_ADDR) one address.
 */
static enum vnet_ctrl_err ctrl_mac(const uint8_t *d, size_t len, uint64_t f,
				   struct vnet_ctrl_cmd *cmd)
{
	size_t off = 0;

	if (cmd->command == VIRTIO_NET_CTRL_MAC_ADDR_SET) {
		if (!(f & F(CTRL_MAC_ADDR)))
			return VNET_CTRL_ERR_NOT_NEGOTIATED;
		if (len != 6)
			return VNET_CTRL_ERR_LENGTH;
		cmd->kind = VNET_CTRL_MAC_ADDR;
		memcpy(cmd->mac, d, 6);
		return VNET_CTRL_OK;
	}
	if (cmd->command != VIRTIO_NET_CTRL_MAC_TABLE_SET)
		return VNET_CTRL_ERR_COMMAND;
	if (!(f & F(CTRL_RX)))
		return VNET_CTRL_ERR_NOT_NEGOTIATED;
	for (int t = 0; t < 2; t++) {
		uint32_t entries;

		if (len - off < 4)
			return VNET_CTRL_ERR_MAC_TABLE;
		entries = ctrl_le32(d + off);
		off += 4;
		/* Overflow-safe: entries * 6 is compared with what is left. */
		if (entries > (len - off) / 6)
			return VNET_CTRL_ERR_MAC_TABLE;
		off += (size_t)entries * 6;
		*(t ? &cmd->multicast : &cmd->unicast) = entries;
	}
	if (off != len)
		return VNET_CTRL_ERR_MAC_TABLE;
	cmd->kind = VNET_CTRL_MAC_TABLE;
	return VNET_CTRL_OK;
}

/* §5.1.6.5.5: VQ_PAIRS_SET, 1 to max_virtqueue_pairs; RSS and hash commands are not offered. */
static enum vnet_ctrl_err ctrl_mq(const uint8_t *d, size_t len, uint64_t f, uint16_t max_pairs,
				  struct vnet_ctrl_cmd *cmd)
{
	if (cmd->command != VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET)
		return cmd->command <= VIRTIO_NET_CTRL_MQ_HASH_CONFIG ?
			       VNET_CTRL_ERR_NOT_NEGOTIATED : VNET_CTRL_ERR_COMMAND;
	if (!(f & F(MQ)))
		return VNET_CTRL_ERR_NOT_NEGOTIATED;
	if (len != 2)
		return VNET_CTRL_ERR_LENGTH;
	cmd->pairs = (uint16_t)(d[0] | d[1] << 8);
	if (cmd->pairs < VIRTIO_NET_CTRL_MQ_VQ_PAIRS_MIN || cmd->pairs > max_pairs)
		return VNET_CTRL_ERR_PAIRS;
	cmd->kind = VNET_CTRL_PAIRS;
	return VNET_CTRL_OK;
}

/* §5.1.6.5.6.2: only offloads whose GUEST_* feature was negotiated. */
static enum vnet_ctrl_err ctrl_offloads(const uint8_t *d, size_t len, uint64_t f,
					struct vnet_ctrl_cmd *cmd)
{
	uint64_t v;

	if (cmd->command != VIRTIO_NET_CTRL_GUEST_OFFLOADS_SET)
		return VNET_CTRL_ERR_COMMAND;
	if (!(f & F(CTRL_GUEST_OFFLOADS)))
		return VNET_CTRL_ERR_NOT_NEGOTIATED;
	if (len != 8)
		return VNET_CTRL_ERR_LENGTH;
	v = (uint64_t)ctrl_le32(d + 4) << 32 | ctrl_le32(d);
	if (v & ~(vnet_ctrl_offload_bits() & f))
		return VNET_CTRL_ERR_OFFLOADS;
	cmd->kind = VNET_CTRL_OFFLOADS;
	cmd->offloads = v;
	return VNET_CTRL_OK;
}

enum vnet_ctrl_err vnet_ctrl_parse(const uint8_t *buf, size_t out_len, size_t in_len,
				   uint64_t negotiated, uint16_t max_pairs,
				   struct vnet_ctrl_cmd *cmd)
{
	const uint8_t *d = buf + VNET_CTRL_HDR_LEN;
	size_t len = out_len - VNET_CTRL_HDR_LEN;

	memset(cmd, 0, sizeof(*cmd));
	/* §5.1.6.5: the header and data are device-readable, the ack one device-writable byte. */
	if (in_len == 0)
		return VNET_CTRL_ERR_NO_ACK;
	if (in_len != 1 || out_len > VNET_CTRL_MAX_LEN)
		return VNET_CTRL_ERR_LAYOUT;
	if (out_len < VNET_CTRL_HDR_LEN)
		return VNET_CTRL_ERR_SHORT;
	if (!(negotiated & F(CTRL_VQ)))
		return VNET_CTRL_ERR_NOT_NEGOTIATED;	/* no control queue: a test can still ask */
	cmd->class = buf[0];
	cmd->command = buf[1];
	switch (cmd->class) {
	case VIRTIO_NET_CTRL_RX: return ctrl_rx(d, len, negotiated, cmd);
	case VIRTIO_NET_CTRL_MAC: return ctrl_mac(d, len, negotiated, cmd);
	case VIRTIO_NET_CTRL_MQ: return ctrl_mq(d, len, negotiated, max_pairs, cmd);
	case VIRTIO_NET_CTRL_GUEST_OFFLOADS: return ctrl_offloads(d, len, negotiated, cmd);
	/* Classes of features minnow never offers (VLAN filter, announce, coalescing). */
	case VIRTIO_NET_CTRL_VLAN: case VIRTIO_NET_CTRL_ANNOUNCE: case VIRTIO_NET_CTRL_NOTF_COAL:
		return VNET_CTRL_ERR_NOT_NEGOTIATED;
	default: return VNET_CTRL_ERR_CLASS;
	}
}

void vnet_ctrl_apply(struct vnet_ctrl_state *s, const struct vnet_ctrl_cmd *cmd)
{
	switch (cmd->kind) {
	case VNET_CTRL_PROMISC: s->promisc = cmd->on; break;
	case VNET_CTRL_ALLMULTI: s->allmulti = cmd->on; break;
	case VNET_CTRL_MAC_TABLE:
		s->unicast = cmd->unicast;
		s->multicast = cmd->multicast;
		break;
	case VNET_CTRL_MAC_ADDR: memcpy(s->mac, cmd->mac, 6); break;
	case VNET_CTRL_PAIRS: s->pairs = cmd->pairs; break;
	case VNET_CTRL_OFFLOADS: s->guest_offloads = cmd->offloads; break;
	}
}
