// SPDX-License-Identifier: MIT
// virtio-net device (virtio 1.2 §5.1): one queue pair on a net backend, features from what the
// backend offers, an I/O thread per queue pair (vnet_io.c).
#include <errno.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <unistd.h>
#include <linux/virtio_ids.h>

#include "base/stat.h"
#include "devices/virtio/vnet.h"
#include "devices/virtio/vnet_io.h"
#include "net/backends.h"

#define VNET_CONFIG_SIZE 12	/* mac[6], status, max_virtqueue_pairs, mtu (§5.1.4) */

/* What vnet_init_backend was given and made: the backend, and the stop eventfd. */
static void vnet_close_backend(struct vnet *n)
{
	if (n->stop_fd >= 0)
		close(n->stop_fd);
	n->stop_fd = -1;
	backend_close(n->be);
	n->be = NULL;
}

const char *const vnet_drop_names[VNET_DROP_MAX] = {
	[VNET_DROP_TX_HEADER] = "tx_short_chain", [VNET_DROP_TX_WRITABLE] = "tx_writable",
	[VNET_DROP_TX_TAP] = "tx_tap_error", [VNET_DROP_TX_SEGMENTS] = "tx_segments",
	[VNET_DROP_RX_SMALL] = "rx_small_buffer", [VNET_DROP_RX_READONLY] = "rx_readonly",
	[VNET_DROP_RX_OFFLOAD] = "rx_offload", [VNET_DROP_RX_TAP] = "rx_tap_error",
	[VNET_DROP_RX_OVERSIZE] = "rx_oversize",
};

static uint64_t vnet_features(void *dev)
{
	struct vnet *n = dev;
	uint64_t f = vnet_hdr_offload_features(&n->be->offer);

	f |= VIRTIO_BIT(VIRTIO_NET_F_MAC) | VIRTIO_BIT(VIRTIO_NET_F_STATUS) |
	     VIRTIO_BIT(VIRTIO_NET_F_MTU) | VIRTIO_BIT(VIRTIO_RING_F_EVENT_IDX) |
	     VIRTIO_BIT(VIRTIO_RING_F_INDIRECT_DESC);
	if (n->cfg.mrg_rxbuf)
		f |= VIRTIO_BIT(VIRTIO_NET_F_MRG_RXBUF);
	return f;
}

static int vnet_check_features(void *dev __unused, uint64_t acked)
{
	return vnet_hdr_check_features(acked);
}

static void vnet_config_read(void *dev, uint32_t off, uint8_t *data, uint32_t len)
{
	struct vnet *n = dev;
	uint8_t cfg[VNET_CONFIG_SIZE];
	uint16_t status = VIRTIO_NET_S_LINK_UP, pairs = 1, mtu = n->mtu;

	memcpy(cfg, n->mac, 6);
	memcpy(cfg + 6, &status, 2);
	memcpy(cfg + 8, &pairs, 2);
	memcpy(cfg + 10, &mtu, 2);
	memcpy(data, cfg + off, len);
}

/* The MAC is read-only without VIRTIO_NET_F_CTRL_MAC_ADDR... which we never offer (§5.1.4). */
static void vnet_config_write(void *dev, uint32_t off, const uint8_t *data __unused, uint32_t len)
{
	struct vnet *n = dev;

	vmmio_violation(&n->t, NULL, -1, "driver wrote %u bytes of read-only config at %u", len,
			off);
}

static int vnet_activate(void *dev, struct vmmio *t)
{
	struct vnet *n = dev;
	struct vmmio_queue rx, tx;
	struct net_caps accept;
	uint64_t f = vmmio_features(t);
	bool ev = f & VIRTIO_BIT(VIRTIO_RING_F_EVENT_IDX);
	bool ind = f & VIRTIO_BIT(VIRTIO_RING_F_INDIRECT_DESC);
	int ret;

	if (!vmmio_queue(t, VNET_RXQ, &rx) || !vmmio_queue(t, VNET_TXQ, &tx)) {
		log_warn("%s: DRIVER_OK without both queues ready; the device stays idle", t->name);
		return 0;
	}
	if (virtq_init(&n->rxq, t->gm, rx.num, rx.desc, rx.avail, rx.used, ev, ind) ||
	    virtq_init(&n->txq, t->gm, tx.num, tx.desc, tx.avail, tx.used, ev, ind))
		return -EINVAL;
	vmmio_attach_queue(t, VNET_RXQ, &n->rxq);
	vmmio_attach_queue(t, VNET_TXQ, &n->txq);
	n->negotiated = f;
	/* The guest receives only what it negotiated (§5.1.6.3.2): tell the backend, every time. */
	vnet_hdr_rx_accepts(f, &accept);
	ret = backend_set_rx_offloads(n->be, &accept);
	if (ret) {
		log_err("%s: '%s' refuses the guest's receive offloads: %s", t->name, n->be->name,
			strerror(-ret));
		return ret;
	}
	n->active_offloads = n->be->offloads;
	ret = vnet_io_start(n);
	if (ret)
		return ret;
	n->running = true;
	return 0;
}

static void vnet_reset(void *dev)
{
	struct vnet *n = dev;

	if (!n->running)
		return;
	/* Cancels and drains every read and write in flight before the transport clears state. */
	vnet_io_stop(n);
	n->running = false;
	if (backend_set_rx_offloads(n->be, &(struct net_caps){ 0 }))
		log_warn("%s: cannot clear the backend's offloads", n->t.name);
}

static const struct virtq *vnet_queue(void *dev, unsigned int index)
{
	struct vnet *n = dev;

	if (!n->running)
		return NULL;
	return index == VNET_RXQ ? &n->rxq : &n->txq;
}

static const struct vdev_ops vnet_ops = {
	.name = "virtio-net",
	.device_id = VIRTIO_ID_NET,
	.nr_queues = 2,
	.queue_max = VNET_QUEUE_MAX,
	.config_size = VNET_CONFIG_SIZE,
	.features = vnet_features,
	.check_features = vnet_check_features,
	.config_read = vnet_config_read,
	.config_write = vnet_config_write,
	.activate = vnet_activate,
	.reset = vnet_reset,
	.queue = vnet_queue,
};

int vnet_init_backend(struct vnet *n, const struct net_config *cfg, struct backend *be,
		      const struct gmem *gm, uint64_t base, uint32_t gsi, int vm_fd, int irq_fd)
{
	int ret;

	memset(n, 0, sizeof(*n));
	n->cfg = *cfg;
	n->be = be;
	n->stop_fd = -1;
	memcpy(n->mac, cfg->mac, 6);
	n->mtu = cfg->mtu ? cfg->mtu : be->mtu;
	n->rl = (struct log_ratelimit)LOG_RATELIMIT_INIT;
	n->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (n->stop_fd < 0)
		ret = -errno;
	/* Random, locally administered, unicast (IEEE 802: bit 1 set, bit 0 clear). */
	else if (!cfg->mac_set && getrandom(n->mac, 6, 0) != 6)
		ret = -EIO;
	else
		ret = vmmio_init(&n->t, &vnet_ops, n, gm, base, gsi, vm_fd, irq_fd);
	if (ret) {
		vnet_close_backend(n);
		return ret;
	}
	if (!cfg->mac_set)
		n->mac[0] = (n->mac[0] & 0xfe) | 0x02;
	if (cfg->queue_size && vmmio_set_queue_max(&n->t, cfg->queue_size)) {
		vmmio_destroy(&n->t);
		vnet_close_backend(n);
		return -EINVAL;
	}
	return 0;
}

int vnet_init(struct vnet *n, const struct net_config *cfg, const struct gmem *gm, uint64_t base,
	      uint32_t gsi, int vm_fd, int irq_fd, char *err, size_t errlen)
{
	struct backend *be;
	struct pcap *pcap = NULL;
	int ret = backends_open(cfg, &be, err, errlen);

	if (ret)
		return ret;
	if (cfg->pcap) {
		struct pcap_opts po = { .ifname = be->name };

		ret = pcap_open(&pcap, cfg->pcap, &po, err, errlen);
		if (ret) {
			backend_close(be);
			return ret;
		}
	}
	ret = vnet_init_backend(n, cfg, be, gm, base, gsi, vm_fd, irq_fd);
	if (ret) {
		snprintf(err, errlen, "cannot set up virtio-net: %s", strerror(-ret));
		pcap_close(pcap);
		return ret;
	}
	n->pcap = pcap;
	return 0;
}

void vnet_stop(struct vnet *n)
{
	pthread_mutex_lock(&n->t.lock);
	vnet_reset(n);
	pthread_mutex_unlock(&n->t.lock);
}

void vnet_destroy(struct vnet *n)
{
	vnet_stop(n);
	pcap_close(n->pcap);	/* the I/O thread is gone: everything it recorded goes out */
	n->pcap = NULL;
	vmmio_destroy(&n->t);
	vnet_close_backend(n);
}

static void vnet_metrics_counts(FILE *out, const char *name, const char *const *names,
				uint64_t *v, int from, int to)
{
	fprintf(out, ",\"%s\":{", name);
	for (int i = from; i < to; i++)
		fprintf(out, "%s\"%s\":%llu", i > from ? "," : "", names[i],
			(unsigned long long)STAT_READ(v[i]));
	fprintf(out, "}");
}

void vnet_metrics(struct vnet *n, FILE *out)
{
	struct vnet_stats *s = &n->stats;

	fprintf(out, "{\"name\":\"%s\",\"tap\":\"%s\",\"tap_offloads\":%u,"
		"\"tap_offloads_active\":%u,", n->t.name, n->be->name, n->be->offloads,
		n->active_offloads);
	vmmio_metrics(&n->t, out);
	fprintf(out, ",\"queues\":[");
	if (n->rxq.size) {
		virtq_metrics(&n->rxq, out);
		fprintf(out, ",");
		virtq_metrics(&n->txq, out);
	}
	fprintf(out, "],\"net\":{\"tx_packets\":%llu,\"tx_bytes\":%llu,\"tx_dropped\":%llu,"
		"\"tx_csum\":%llu,\"tx_tso\":%llu,\"tx_uso\":%llu,\"rx_packets\":%llu,"
		"\"rx_bytes\":%llu,\"rx_dropped\":%llu,\"rx_data_valid\":%llu,"
		"\"rx_csum_partial\":%llu,\"rx_gso\":%llu,\"rx_merged\":%llu,\"tx_eagain\":%llu,"
		"\"rx_eagain\":%llu,\"interrupts\":%llu",
		(unsigned long long)STAT_READ(s->tx_packets), (unsigned long long)STAT_READ(s->tx_bytes),
		(unsigned long long)STAT_READ(s->tx_dropped), (unsigned long long)STAT_READ(s->tx_csum),
		(unsigned long long)STAT_READ(s->tx_tso), (unsigned long long)STAT_READ(s->tx_uso),
		(unsigned long long)STAT_READ(s->rx_packets), (unsigned long long)STAT_READ(s->rx_bytes),
		(unsigned long long)STAT_READ(s->rx_dropped), (unsigned long long)STAT_READ(s->rx_data_valid),
		(unsigned long long)STAT_READ(s->rx_csum_partial), (unsigned long long)STAT_READ(s->rx_gso),
		(unsigned long long)STAT_READ(s->rx_merged),
		(unsigned long long)STAT_READ(n->be->stats.tx_eagain),
		(unsigned long long)STAT_READ(n->be->stats.rx_eagain),
		(unsigned long long)STAT_READ(s->interrupts));
	if (n->pcap) {
		const struct pcap_stats *ps = pcap_stats(n->pcap);

		fprintf(out, ",\"pcap_packets\":%llu,\"pcap_dropped\":%llu,\"pcap_truncated\":%llu",
			(unsigned long long)STAT_READ(ps->packets),
			(unsigned long long)STAT_READ(ps->dropped),
			(unsigned long long)STAT_READ(ps->truncated));
	}
	vnet_metrics_counts(out, "drops", vnet_drop_names, s->drops, 0, VNET_DROP_MAX);
	vnet_metrics_counts(out, "tx_offload_errors", vnet_tx_err_names, s->tx_offload_err, 1,
			    VNET_TX_ERR_MAX);
	fprintf(out, ",\"verify_frames\":%llu,\"verify_bad\":%llu",
		(unsigned long long)STAT_READ(s->verify_frames),
		(unsigned long long)STAT_READ(s->verify_bad));
	vnet_metrics_counts(out, "verify", verify_kind_names, s->verify, 0, VERIFY_KIND_MAX);
	fprintf(out, ",\"soft_frames\":%llu,\"soft_segments\":%llu",
		(unsigned long long)STAT_READ(s->soft_frames),
		(unsigned long long)STAT_READ(s->soft_segments));
	vnet_metrics_counts(out, "soft_errors", soft_err_names, s->soft_err, 1, SOFT_ERR_MAX);
	fprintf(out, "}}");
}
