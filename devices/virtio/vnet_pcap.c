// SPDX-License-Identifier: MIT
// virtio-net's packet capture (--net ...,pcap=FILE): what vnet_tx.c and vnet_rx.c record, with
// the verdict and drop reason named as in --metrics. Every TX chain and every RX buffer the device
// completes is one record, so the file holds tx_packets + tx_dropped + rx_packets + rx_dropped
// packets (less pcap_dropped). The callers test n->pcap first: with no capture that test is all
// the data path pays.
#include <stdio.h>

#include "devices/virtio/vnet_pcap.h"

/*
 * The capture ring has one producer: with several queue pairs their I/O
 * threads take turns (the one lock pairs share, and only with pcap=).
 */
static void vnet_pcap_put(struct vnet *n, const struct pcap_pkt *pkt, const struct iovec *iov,
			  unsigned int niov, size_t skip, uint32_t len)
{
	if (n->npairs > 1)
		pthread_mutex_lock(&n->pcap_lock);
	pcap_record(n->pcap, pkt, iov, niov, skip, len);
	if (n->npairs > 1)
		pthread_mutex_unlock(&n->pcap_lock);
}

void vnet_pcap_tx(struct vnet *n, const struct iovec *iov, unsigned int niov, size_t skip,
		  uint32_t frame_len, const struct virtio_net_hdr_v1 *hdr, const char *drop,
		  const struct verify_result *verify)
{
	struct pcap_pkt pkt = { .tx = true, .queue = VNET_TXQ, .hdr = hdr, .drop = drop };
	char note[256];

	if (verify) {
		/* verify=on's finding, as its log line words it. */
		int k = snprintf(note, sizeof(note), "verify: ");

		verify_describe(verify, note + k, sizeof(note) - k);
		pkt.note = note;
	}

	/* Without a header there is no frame either: a record of length 0 carries the verdict. */
	vnet_pcap_put(n, &pkt, iov, niov, skip, hdr ? frame_len : 0);
}

void vnet_pcap_tx_offload(struct vnet *n, const struct iovec *iov, unsigned int niov, uint32_t len,
			  const struct virtio_net_hdr_v1 *hdr, enum vnet_tx_err err,
			  const struct verify_result *verify)
{
	char why[64];

	snprintf(why, sizeof(why), "tx_offload_errors.%s", vnet_tx_err_names[err]);
	vnet_pcap_tx(n, iov, niov, VNET_HDR_LEN, len - VNET_HDR_LEN, hdr, why, verify);
}

void vnet_pcap_rx(struct vnet *n, const struct iovec *iov, unsigned int niov, uint32_t len,
		  const struct virtio_net_hdr_v1 *hdr, const char *drop)
{
	struct pcap_pkt pkt = { .tx = false, .queue = VNET_RXQ, .hdr = hdr, .drop = drop };

	vnet_pcap_put(n, &pkt, iov, niov, VNET_HDR_LEN, hdr ? len - VNET_HDR_LEN : 0);
}
