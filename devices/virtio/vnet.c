// SPDX-License-Identifier: MIT
// virtio-net device (virtio 1.2 §5.1): queue pairs on net backends, one backend and I/O thread
// each (vnet_io.c), the control queue (vnet_cq.c), features from what the backend offers.
#include <errno.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <unistd.h>
#include <linux/virtio_ids.h>

#include "base/stat.h"
#include "devices/virtio/vnet.h"
#include "devices/virtio/vnet_cq.h"
#include "devices/virtio/vnet_io.h"
#include "net/backends.h"

#define VNET_CONFIG_SIZE 12	/* mac[6], status, max_virtqueue_pairs, mtu (§5.1.4) */

/* What vnet_init_backend was given and made: the backends, and the stop eventfds. */
static void vnet_close_backend(struct vnet *n)
{
	for (unsigned int i = 0; i < n->npairs; i++) {
		if (n->pair[i].stop_fd >= 0)
			close(n->pair[i].stop_fd);
		n->pair[i].stop_fd = -1;
		backend_close(n->pair[i].be);
		n->pair[i].be = NULL;
	}
	if (n->ctrl_stop_fd >= 0)
		close(n->ctrl_stop_fd);
	n->ctrl_stop_fd = -1;
	n->be = NULL;
}

const char *const vnet_drop_names[VNET_DROP_MAX] = {
	[VNET_DROP_TX_HEADER] = "tx_short_chain", [VNET_DROP_TX_WRITABLE] = "tx_writable",
	[VNET_DROP_TX_TAP] = "tx_tap_error", [VNET_DROP_TX_SEGMENTS] = "tx_segments",
	[VNET_DROP_RX_SMALL] = "rx_small_buffer", [VNET_DROP_RX_READONLY] = "rx_readonly",
	[VNET_DROP_RX_OFFLOAD] = "rx_offload", [VNET_DROP_RX_TAP] = "rx_tap_error",
	[VNET_DROP_RX_OVERSIZE] = "rx_oversize",
};

#define F(x) VIRTIO_BIT(VIRTIO_NET_F_##x)
/* The control queue's features: each needs CTRL_VQ (§5.1.3.1). */
#define VNET_CTRL_FEATURES (F(CTRL_VQ) | F(CTRL_RX) | F(CTRL_MAC_ADDR) | F(CTRL_GUEST_OFFLOADS) | F(MQ))

static uint64_t vnet_features(void *dev)
{
	struct vnet *n = dev;
	uint64_t f = vnet_hdr_offload_features(&n->be->offer);

	f |= VIRTIO_BIT(VIRTIO_NET_F_MAC) | VIRTIO_BIT(VIRTIO_NET_F_STATUS) |
	     VIRTIO_BIT(VIRTIO_NET_F_MTU) | VIRTIO_BIT(VIRTIO_RING_F_EVENT_IDX) |
	     VIRTIO_BIT(VIRTIO_RING_F_INDIRECT_DESC);
	if (n->cfg.mrg_rxbuf)
		f |= VIRTIO_BIT(VIRTIO_NET_F_MRG_RXBUF);
	if (n->ctrl) {
		f |= F(CTRL_VQ) | F(CTRL_RX) | F(CTRL_MAC_ADDR);
		/* Changing what the guest receives needs something to change. */
		if (f & vnet_ctrl_offload_bits())
			f |= F(CTRL_GUEST_OFFLOADS);
		/* Several pairs need a multi-queue backend: one backend each. */
		if (n->npairs > 1)
			f |= F(MQ);
	}
	return f;
}

static int vnet_check_features(void *dev __unused, uint64_t acked)
{
	if ((acked & VNET_CTRL_FEATURES & ~F(CTRL_VQ)) && !(acked & F(CTRL_VQ)))
		return -EINVAL;
	return vnet_hdr_check_features(acked);
}

static void vnet_config_read(void *dev, uint32_t off, uint8_t *data, uint32_t len)
{
	struct vnet *n = dev;
	uint8_t cfg[VNET_CONFIG_SIZE];
	uint16_t status = VIRTIO_NET_S_LINK_UP, pairs = (uint16_t)n->npairs, mtu = n->mtu;

	/* The MAC may change under CTRL_MAC_ADDR (the control thread): lock order t.lock, ctrl_lock. */
	pthread_mutex_lock(&n->ctrl_lock);
	memcpy(cfg, n->mac, 6);
	pthread_mutex_unlock(&n->ctrl_lock);
	memcpy(cfg + 6, &status, 2);
	memcpy(cfg + 8, &pairs, 2);
	memcpy(cfg + 10, &mtu, 2);
	memcpy(data, cfg + off, len);
}

/* The MAC is read-only: a driver changes it with VIRTIO_NET_CTRL_MAC_ADDR_SET (§5.1.4). */
static void vnet_config_write(void *dev, uint32_t off, const uint8_t *data __unused, uint32_t len)
{
	struct vnet *n = dev;

	vmmio_violation(&n->t, NULL, -1, "driver wrote %u bytes of read-only config at %u", len,
			off);
}

/* Pair p's rings, from queues 2p and 2p+1; false when the driver did not set both up. */
static int vnet_pair_rings(struct vnet *n, struct vmmio *t, unsigned int i, bool *ready)
{
	struct vnet_pair *p = &n->pair[i];
	struct vmmio_queue rx, tx;
	uint64_t f = vmmio_features(t);
	bool ev = f & VIRTIO_BIT(VIRTIO_RING_F_EVENT_IDX);
	bool ind = f & VIRTIO_BIT(VIRTIO_RING_F_INDIRECT_DESC);

	*ready = vmmio_queue(t, 2 * i + VNET_RXQ, &rx) && vmmio_queue(t, 2 * i + VNET_TXQ, &tx);
	if (!*ready)
		return 0;
	if (virtq_init(&p->rxq, t->gm, rx.num, rx.desc, rx.avail, rx.used, ev, ind) ||
	    virtq_init(&p->txq, t->gm, tx.num, tx.desc, tx.avail, tx.used, ev, ind))
		return -EINVAL;
	vmmio_attach_queue(t, 2 * i + VNET_RXQ, &p->rxq);
	vmmio_attach_queue(t, 2 * i + VNET_TXQ, &p->txq);
	return 0;
}

/*
 * The pairs in use from DRIVER_OK: pair 0 only (§5.1.6.5.5: one until
 * VQ_PAIRS_SET). The others' host queues are detached, so the tap steers no
 * flow to a queue nobody reads.
 */
static void vnet_pairs_reset(struct vnet *n)
{
	for (unsigned int i = 0; i < n->npairs; i++) {
		atomic_store(&n->pair[i].enabled, i == 0);
		if (backend_set_queue(n->pair[i].be, i == 0))
			log_warn("%s: cannot %s queue %u of '%s'", n->t.name,
				 i ? "detach" : "attach", i, n->be->name);
	}
	__atomic_store_n(&n->active_pairs, 1, __ATOMIC_RELAXED);
}

static int vnet_activate(void *dev, struct vmmio *t)
{
	struct vnet *n = dev;
	struct net_caps accept;
	uint64_t f = vmmio_features(t);
	unsigned int used = (f & F(MQ)) ? n->npairs : 1;
	bool ready;
	int ret;

	if (vnet_pair_rings(n, t, 0, &ready))
		return -EINVAL;
	if (!ready) {
		log_warn("%s: DRIVER_OK without both queues ready; the device stays idle", t->name);
		return 0;
	}
	n->started = 1;
	while (n->started < used) {
		if (vnet_pair_rings(n, t, n->started, &ready))
			return -EINVAL;
		if (!ready)
			break;	/* VQ_PAIRS_SET may not go past the pairs the driver set up */
		n->started++;
	}
	n->negotiated = f;
	/* The guest receives only what it negotiated (§5.1.6.3.2): tell the backend, every time. */
	vnet_hdr_rx_accepts(f, &accept);
	ret = backend_set_rx_offloads(n->be, &accept);
	if (ret) {
		log_err("%s: '%s' refuses the guest's receive offloads: %s", t->name, n->be->name,
			strerror(-ret));
		return ret;
	}
	__atomic_store_n(&n->active_offloads, STAT_READ(n->be->offloads), __ATOMIC_RELAXED);
	atomic_store(&n->rx_accept, f & vnet_ctrl_offload_bits());
	vnet_pairs_reset(n);
	vnet_cq_reset_state(n);
	n->running = true;
	for (unsigned int i = 0; i < n->started; i++) {
		ret = vnet_io_start(&n->pair[i]);
		if (ret)
			return ret;	/* the transport sets NEEDS_RESET; its reset stops the others */
	}
	return vnet_cq_start(n, t);
}

static void vnet_reset(void *dev)
{
	struct vnet *n = dev;

	if (!n->running)
		return;
	/* The control thread first: it may be starting or detaching pairs. */
	vnet_cq_stop(n);
	/* Cancels and drains every read and write in flight before the transport clears state. */
	for (unsigned int i = 0; i < n->started; i++)
		vnet_io_stop(&n->pair[i]);
	n->running = false;
	if (backend_set_rx_offloads(n->be, &(struct net_caps){ 0 }))
		log_warn("%s: cannot clear the backend's offloads", n->t.name);
}

static const struct virtq *vnet_queue(void *dev, unsigned int index)
{
	struct vnet *n = dev;

	if (!n->running)
		return NULL;
	if (n->ctrl_running && index == n->ctrl_index)
		return &n->ctrlq;
	if (index / 2 >= n->started)
		return NULL;
	return index % 2 == VNET_RXQ ? &n->pair[index / 2].rxq : &n->pair[index / 2].txq;
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

int vnet_init_backend(struct vnet *n, const struct net_config *cfg, struct backend **be,
		      unsigned int npairs, const struct gmem *gm, uint64_t base, uint32_t gsi,
		      int vm_fd, int irq_fd)
{
	int ret = 0;

	memset(n, 0, sizeof(*n));
	n->cfg = *cfg;
	n->npairs = npairs;
	n->be = be[0];
	n->ctrl_stop_fd = -1;
	for (unsigned int i = 0; i < npairs; i++) {
		n->pair[i] = (struct vnet_pair){ .n = n, .index = i, .be = be[i], .stop_fd = -1 };
		n->pair[i].stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (n->pair[i].stop_fd < 0)
			ret = -errno;
	}
	/* The control queue: unless ctrl=off, and with several pairs only on a host that detaches. */
	n->ctrl = cfg->ctrl && (npairs == 1 || n->be->multiqueue);
	memcpy(n->mac, cfg->mac, 6);
	n->mtu = cfg->mtu ? cfg->mtu : n->be->mtu;
	n->rl = (struct log_ratelimit)LOG_RATELIMIT_INIT;
	pthread_mutex_init(&n->ctrl_lock, NULL);
	pthread_mutex_init(&n->pcap_lock, NULL);
	n->ctrl_stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (ret)
		;
	else if (n->ctrl_stop_fd < 0)
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
	/* rx0, tx0, rx1, tx1, ..., then the control queue (§5.1.2). */
	if ((cfg->queue_size && vmmio_set_queue_max(&n->t, cfg->queue_size)) ||
	    vmmio_set_nr_queues(&n->t, 2 * npairs + (n->ctrl ? 1 : 0))) {
		vmmio_destroy(&n->t);
		vnet_close_backend(n);
		return -EINVAL;
	}
	return 0;
}

int vnet_init(struct vnet *n, const struct net_config *cfg, const struct gmem *gm, uint64_t base,
	      uint32_t gsi, int vm_fd, int irq_fd, char *err, size_t errlen)
{
	struct backend *be[NET_QUEUES_MAX];
	struct pcap *pcap = NULL;
	unsigned int npairs;
	int ret = backends_open(cfg, be, &npairs, err, errlen);

	if (ret)
		return ret;
	if (cfg->pcap) {
		struct pcap_opts po = { .ifname = be[0]->name };

		ret = pcap_open(&pcap, cfg->pcap, &po, err, errlen);
		if (ret) {
			while (npairs)
				backend_close(be[--npairs]);
			return ret;
		}
	}
	ret = vnet_init_backend(n, cfg, be, npairs, gm, base, gsi, vm_fd, irq_fd);
	if (ret) {
		snprintf(err, errlen, "cannot set up virtio-net: %s", strerror(-ret));
		pcap_close(pcap);
		return ret;
	}
	n->pcap = pcap;
	if (npairs > 1)
		log_info("%s: %u queue pairs on tap '%s'", n->t.name, npairs, n->be->name);
	return 0;
}

/* The pairs' counters added up into n->stats (the totals --metrics and tests read). */
static void vnet_sum_stats(struct vnet *n, struct vnet_stats *tot)
{
	const size_t words = sizeof(*tot) / sizeof(uint64_t);

	_Static_assert(sizeof(struct vnet_stats) % sizeof(uint64_t) == 0, "counters only");
	memset(tot, 0, sizeof(*tot));
	for (unsigned int i = 0; i < n->npairs; i++) {
		const uint64_t *src = (const uint64_t *)&n->pair[i].stats;
		uint64_t *dst = (uint64_t *)tot;

		for (size_t w = 0; w < words; w++)
			dst[w] += STAT_READ(src[w]);
	}
}

void vnet_stop(struct vnet *n)
{
	pthread_mutex_lock(&n->t.lock);
	vnet_reset(n);
	pthread_mutex_unlock(&n->t.lock);
	vnet_sum_stats(n, &n->stats);
}

void vnet_destroy(struct vnet *n)
{
	vnet_stop(n);
	pcap_close(n->pcap);	/* the I/O thread is gone: everything it recorded goes out */
	n->pcap = NULL;
	vmmio_destroy(&n->t);
	vnet_close_backend(n);
	pthread_mutex_destroy(&n->ctrl_lock);
	pthread_mutex_destroy(&n->pcap_lock);
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

/* "queue_pairs", "queues" (one object per pair) and "ctrl", inside "net". */
static void vnet_metrics_pairs(struct vnet *n, FILE *out)
{
	struct vnet_ctrl_state cs;
	const struct vnet_ctrl_stats *c = &n->cstats;

	fprintf(out, ",\"queue_pairs\":{\"max\":%u,\"active\":%u},\"queues\":[", n->npairs,
		STAT_READ(n->active_pairs));
	for (unsigned int i = 0; i < n->npairs; i++) {
		const struct vnet_stats *s = &n->pair[i].stats;

		fprintf(out, "%s{\"pair\":%u,\"rx_packets\":%llu,\"rx_bytes\":%llu,"
			"\"tx_packets\":%llu,\"tx_bytes\":%llu,\"rx_dropped\":%llu,"
			"\"tx_dropped\":%llu,\"kicks\":%llu,\"interrupts\":%llu}", i ? "," : "", i,
			(unsigned long long)STAT_READ(s->rx_packets),
			(unsigned long long)STAT_READ(s->rx_bytes),
			(unsigned long long)STAT_READ(s->tx_packets),
			(unsigned long long)STAT_READ(s->tx_bytes),
			(unsigned long long)STAT_READ(s->rx_dropped),
			(unsigned long long)STAT_READ(s->tx_dropped),
			(unsigned long long)STAT_READ(n->pair[i].kicks),
			(unsigned long long)STAT_READ(s->interrupts));
	}
	pthread_mutex_lock(&n->ctrl_lock);
	cs = n->cs;
	pthread_mutex_unlock(&n->ctrl_lock);
	fprintf(out, "],\"ctrl\":{\"commands\":%llu,\"ok\":%llu,\"err\":%llu",
		(unsigned long long)STAT_READ(c->commands), (unsigned long long)STAT_READ(c->ok),
		(unsigned long long)STAT_READ(c->err));
	vnet_metrics_counts(out, "errors", vnet_ctrl_err_names, (uint64_t *)c->errors, 1,
			    VNET_CTRL_ERR_MAX);
	fprintf(out, ",\"promisc\":%s,\"allmulti\":%s,\"mac\":\"%02x:%02x:%02x:%02x:%02x:%02x\","
		"\"mac_table\":{\"unicast\":%u,\"multicast\":%u},\"guest_offloads\":%llu}",
		cs.promisc ? "true" : "false", cs.allmulti ? "true" : "false", cs.mac[0], cs.mac[1],
		cs.mac[2], cs.mac[3], cs.mac[4], cs.mac[5], cs.unicast, cs.multicast,
		(unsigned long long)cs.guest_offloads);
}

void vnet_metrics(struct vnet *n, FILE *out)
{
	struct vnet_stats tot, *s = &tot;
	uint64_t eagain[2] = { 0 };

	vnet_sum_stats(n, &tot);
	for (unsigned int i = 0; i < n->npairs; i++) {
		eagain[0] += STAT_READ(n->pair[i].be->stats.tx_eagain);
		eagain[1] += STAT_READ(n->pair[i].be->stats.rx_eagain);
	}
	fprintf(out, "{\"name\":\"%s\",\"tap\":\"%s\",\"engine\":\"%s\",\"tap_offloads\":%u,"
		"\"tap_offloads_active\":%u,", n->t.name, n->be->name, n->be->engine,
		STAT_READ(n->be->offloads), STAT_READ(n->active_offloads));
	vmmio_metrics(&n->t, out);
	/* Every ring set up at the last DRIVER_OK, by queue index: rx0, tx0, rx1, ..., control. */
	fprintf(out, ",\"queues\":[");
	for (unsigned int i = 0, k = 0; i < n->npairs; i++) {
		if (!n->pair[i].rxq.size)
			continue;
		fprintf(out, "%s", k++ ? "," : "");
		virtq_metrics(&n->pair[i].rxq, out);
		fprintf(out, ",");
		virtq_metrics(&n->pair[i].txq, out);
	}
	if (n->ctrlq.size) {
		fprintf(out, ",");
		virtq_metrics(&n->ctrlq, out);
	}
	fprintf(out, "],\"net\":{\"tx_packets\":%llu,\"tx_bytes\":%llu,\"tx_dropped\":%llu,"
		"\"tx_csum\":%llu,\"tx_tso\":%llu,\"tx_uso\":%llu,\"rx_packets\":%llu,"
		"\"rx_bytes\":%llu,\"rx_dropped\":%llu,\"rx_data_valid\":%llu,"
		"\"rx_csum_partial\":%llu,\"rx_gso\":%llu,\"rx_merged\":%llu,\"tx_eagain\":%llu,"
		"\"rx_eagain\":%llu,\"interrupts\":%llu,\"rx_soft_csum\":%llu",
		(unsigned long long)STAT_READ(s->tx_packets), (unsigned long long)STAT_READ(s->tx_bytes),
		(unsigned long long)STAT_READ(s->tx_dropped), (unsigned long long)STAT_READ(s->tx_csum),
		(unsigned long long)STAT_READ(s->tx_tso), (unsigned long long)STAT_READ(s->tx_uso),
		(unsigned long long)STAT_READ(s->rx_packets), (unsigned long long)STAT_READ(s->rx_bytes),
		(unsigned long long)STAT_READ(s->rx_dropped), (unsigned long long)STAT_READ(s->rx_data_valid),
		(unsigned long long)STAT_READ(s->rx_csum_partial), (unsigned long long)STAT_READ(s->rx_gso),
		(unsigned long long)STAT_READ(s->rx_merged),
		(unsigned long long)eagain[0], (unsigned long long)eagain[1],
		(unsigned long long)STAT_READ(s->interrupts),
		(unsigned long long)STAT_READ(s->rx_soft_csum));
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
	vnet_metrics_pairs(n, out);
	fprintf(out, "}}");
}
