// SPDX-License-Identifier: MIT
// virtio-net's packet capture records (--net ...,pcap=FILE), called only with n->pcap set: one
// record per completed chain, with the verdict and drop reason named as in --metrics.
#ifndef MINNOW_VNET_PCAP_H
#define MINNOW_VNET_PCAP_H

#include "devices/virtio/vnet_state.h"

/*
 * A TX record: frame_len bytes of frame starting skip bytes into iov (the
 * chain, or the frame's own pieces); hdr: the guest's header, NULL if none
 * (then no frame either); drop: NULL, or the reason as --metrics names it;
 * verify: verify=on's mismatches for the comment, or NULL.
 */
void vnet_pcap_tx(struct vnet *n, const struct iovec *iov, unsigned int niov, size_t skip,
		  uint32_t frame_len, const struct virtio_net_hdr_v1 *hdr, const char *drop,
		  const struct verify_result *verify);
/* A TX chain of len bytes, header included, dropped for its offload request (err). */
void vnet_pcap_tx_offload(struct vnet *n, const struct iovec *iov, unsigned int niov, uint32_t len,
			  const struct virtio_net_hdr_v1 *hdr, enum vnet_tx_err err,
			  const struct verify_result *verify);
/* An RX record: the chain's buffers and len bytes, with the header written for the guest. */
void vnet_pcap_rx(struct vnet *n, const struct iovec *iov, unsigned int niov, uint32_t len,
		  const struct virtio_net_hdr_v1 *hdr, const char *drop);

#endif
