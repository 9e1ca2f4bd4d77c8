// SPDX-License-Identifier: MIT
// Probe guest virtio-net driver (virtio 1.2 §5.1): negotiation, config, buffers, TX, RX, waits.
#include "irq.h"
#include "netdrv.h"

#define NET_VECTOR     0x30 /* the device's IOAPIC vector (probe_virtio_irq_count_eoi) */
#define IOAPIC_PINS    24
#define POOL_ALIGN     (2ull << 20)
#define BUF_ALIGN      64
#define RXBUF_MAX      (128u << 10)
#define TXBUF_MAX      (64u << 10)
#define MRG_RXBUF_DEF  2048 /* header included, as Linux's mergeable buffers roughly */
#define TIMEOUT_MS_DEF 5000
#define CFG_GEN_TRIES  8
#define F(b)	       VIRTIO_BIT(VIRTIO_NET_F_##b)

extern char _end[]; /* probe.ld: the end of the image (.bss included) */

static uint64_t pool_next, pool_end;

static int cfg_u64(struct str cmdline, const char *key, uint64_t def, uint64_t max, uint64_t *out)
{
	struct str v;

	*out = def;
	if (!cmdline_get(cmdline, key, &v))
		return 0;
	return str_to_u64(v, max, out);
}

const char *netdrv_cfg_parse(struct str cmdline, struct netdrv_cfg *cfg)
{
	uint64_t v;

	memset(cfg, 0, sizeof(*cfg));
	if (cfg_u64(cmdline, "probe.features", NETDRV_DEFAULT_FEATURES, UINT64_MAX, &v))
		return "probe.features";
	cfg->features = v;
	if (cfg_u64(cmdline, "probe.qsize", VIRTQ_MAX, VIRTQ_MAX, &v) || !v)
		return "probe.qsize";
	cfg->qsize = (unsigned int)v;
	if (cfg_u64(cmdline, "probe.rxbuf", 0, RXBUF_MAX, &v) || (v && v <= VIRTIO_NET_HDR_LEN))
		return "probe.rxbuf";
	cfg->rxbuf = (uint32_t)v;
	if (cfg_u64(cmdline, "probe.rxcount", 0, VIRTQ_MAX, &v))
		return "probe.rxcount";
	cfg->rxcount = (unsigned int)v;
	if (cfg_u64(cmdline, "probe.rxsg", 1, NETDRV_MAX_PIECES, &v) || !v)
		return "probe.rxsg";
	cfg->rxsg = (unsigned int)v;
	if (cfg_u64(cmdline, "probe.txbuf", 0, TXBUF_MAX, &v) || (v && v < 60))
		return "probe.txbuf";
	cfg->txbuf = (uint32_t)v;
	if (cfg_u64(cmdline, "probe.txsg", 0, 1, &v))
		return "probe.txsg";
	cfg->txsg = v;
	if (cfg_u64(cmdline, "probe.indirect", 0, 1, &v))
		return "probe.indirect";
	cfg->indirect = v;
	if (cfg_u64(cmdline, "probe.poll", 1, 1, &v))
		return "probe.poll";
	cfg->poll = v;
	if (cfg_u64(cmdline, "probe.timeout_ms", TIMEOUT_MS_DEF, 600000, &v) || !v)
		return "probe.timeout_ms";
	cfg->timeout_ms = v;
	return NULL;
}

/* RAM from the first 2 MiB boundary above the image to the end of its memory map entry. */
const char *netdrv_pool_init(const struct hvm_memmap_entry *map, uint32_t nmap)
{
	uint64_t start = ((uintptr_t)_end + POOL_ALIGN - 1) & ~(POOL_ALIGN - 1);

	for (uint32_t i = 0; i < nmap; i++) {
		uint64_t end = map[i].addr + map[i].size;

		if (map[i].type != HVM_MEMMAP_TYPE_RAM || map[i].addr > start || end <= start)
			continue;
		pool_next = start;
		pool_end = end < PROBE_IDENTITY_LIMIT ? end : PROBE_IDENTITY_LIMIT;
		return NULL;
	}
	return "no RAM above the probe image in the memory map";
}

static uint8_t *pool_alloc(uint64_t size)
{
	uint64_t p = (pool_next + BUF_ALIGN - 1) & ~(uint64_t)(BUF_ALIGN - 1);

	if (p > pool_end || size > pool_end - p)
		return NULL;
	pool_next = p + size;
	return (uint8_t *)(uintptr_t)p;
}

/* §5.1.3.1: a feature needs its dependency; the driver MUST NOT accept it without. */
static bool features_consistent(uint64_t f)
{
	uint64_t guest_gso =
		F(GUEST_TSO4) | F(GUEST_TSO6) | F(GUEST_UFO) | F(GUEST_USO4) | F(GUEST_USO6);
	uint64_t host_gso = F(HOST_TSO4) | F(HOST_TSO6) | F(HOST_UFO) | F(HOST_USO);

	if ((f & guest_gso) && !(f & F(GUEST_CSUM)))
		return false;
	if ((f & F(GUEST_ECN)) && !(f & (F(GUEST_TSO4) | F(GUEST_TSO6))))
		return false;
	if ((f & host_gso) && !(f & F(CSUM)))
		return false;
	if ((f & F(HOST_ECN)) && !(f & (F(HOST_TSO4) | F(HOST_TSO6))))
		return false;
	return true;
}

/* §5.1.4: MAC (read under ConfigGeneration, six 8-bit fields), status and MTU (16-bit). */
static void read_config(struct netdrv *nd)
{
	struct virtio_dev *d = &nd->dev;
	uint64_t f = d->negotiated;

	if (f & F(MAC)) {
		for (unsigned int t = 0; t < CFG_GEN_TRIES; t++) {
			uint32_t gen = virtio_config_generation(d);

			for (unsigned int i = 0; i < 6; i++)
				nd->mac[i] = virtio_config_read8(d, VIRTIO_NET_CFG_MAC + i);
			if (virtio_config_generation(d) == gen)
				break;
		}
	}
	nd->link = f & F(STATUS) ? virtio_config_read16(d, VIRTIO_NET_CFG_STATUS)
				 : VIRTIO_NET_S_LINK_UP;
	nd->mtu = f & F(MTU) ? virtio_config_read16(d, VIRTIO_NET_CFG_MTU) : 1500;
}

static const char *find_device(struct netdrv *nd, struct str cmdline)
{
	struct virtio_mmio_loc locs[VIRTIO_MAX_DEVICES];
	struct str bad;
	int n = virtio_find(cmdline, locs, VIRTIO_MAX_DEVICES, &bad);

	if (n < 0)
		return "malformed virtio_mmio.device word";
	for (int i = 0; i < n && i < VIRTIO_MAX_DEVICES; i++) {
		if (!virtio_open(&nd->dev, &locs[i]) && nd->dev.device_id == VIRTIO_ID_NET)
			return NULL;
	}
	return "no virtio-net device (id 1) on the command line";
}

/* One RX buffer as rxsg pieces of one contiguous area: the header piece first. */
static int rx_post(struct netdrv *nd, struct netdrv_rxbuf *b)
{
	struct virtio_sg sg[NETDRV_MAX_PIECES];
	uint32_t size = nd->cfg.rxbuf, off = 0;
	unsigned int n = nd->cfg.rxsg;

	for (unsigned int k = 0; k < n; k++) {
		uint32_t len = k == n - 1 ? size - off
			       : k == 0	  ? VIRTIO_NET_HDR_LEN
					  : (size - VIRTIO_NET_HDR_LEN) / (n - 1);

		sg[k] = (struct virtio_sg){(uintptr_t)b->p + off, len, true};
		off += len;
	}
	if (virtq_add(nd->rxq, sg, n, false, b))
		return -1;
	b->posted = true;
	return 0;
}

static const char *setup_buffers(struct netdrv *nd)
{
	struct netdrv_cfg *c = &nd->cfg;
	uint8_t *rx, *tx;

	if (!c->rxbuf)
		c->rxbuf = nd->mrg && nd->rx_need > MRG_RXBUF_DEF ? MRG_RXBUF_DEF : nd->rx_need;
	if (c->rxsg > 1 && c->rxbuf < VIRTIO_NET_HDR_LEN + c->rxsg - 1)
		return "probe.rxbuf too small for probe.rxsg pieces";
	nd->nrx = c->rxcount ? c->rxcount : nd->rxq->num / c->rxsg;
	if (nd->nrx > nd->rxq->num / c->rxsg)
		return "probe.rxcount exceeds the RX queue";
	nd->tx_frame_max = c->txbuf ? c->txbuf : 14u + nd->mtu + 4;
	nd->ntx = c->txsg && !c->indirect ? nd->txq->num / 2 : nd->txq->num;
	/* One array each, with a stride the pool's alignment keeps (netdrv_tx_queue divides by it).
	 */
	nd->tx_stride = (VIRTIO_NET_HDR_LEN + nd->tx_frame_max + BUF_ALIGN - 1) & ~(BUF_ALIGN - 1u);
	rx = pool_alloc((uint64_t)nd->nrx * c->rxbuf);
	tx = pool_alloc((uint64_t)nd->ntx * nd->tx_stride);
	if (!rx || !tx)
		return "not enough RAM for the RX buffers and TX slots";
	for (unsigned int i = 0; i < nd->nrx; i++)
		nd->rx[i].p = rx + (uint64_t)i * c->rxbuf;
	for (unsigned int i = 0; i < nd->ntx; i++) {
		nd->tx[i].p = tx + (uint64_t)i * nd->tx_stride;
		nd->tx_free[nd->ntx_free++] = (uint16_t)i;
	}
	nd->merge = pool_alloc(VIRTIO_NET_HDR_LEN + NETDRV_MAX_FRAME);
	return nd->merge ? NULL : "not enough RAM for the merge buffer";
}

static const char *setup_irq(struct netdrv *nd)
{
	if (nd->cfg.poll) {
		virtq_disable_irq(nd->rxq);
		virtq_disable_irq(nd->txq);
		return NULL;
	}
	if (nd->dev.loc.irq >= IOAPIC_PINS)
		return "irq beyond the IOAPIC's pins";
	pic_mask_all();
	lapic_enable();
	idt_set_gate(NET_VECTOR, probe_virtio_irq_count_eoi);
	ioapic_route(nd->dev.loc.irq, NET_VECTOR);
	nd->irq_routed = true;
	virtq_enable_irq(nd->rxq);
	virtq_enable_irq(nd->txq);
	return NULL;
}

static const char *negotiate(struct netdrv *nd)
{
	uint64_t gso = F(GUEST_TSO4) | F(GUEST_TSO6) | F(GUEST_UFO) | F(GUEST_USO4) | F(GUEST_USO6);
	uint64_t accept = nd->cfg.features & virtio_read_features(&nd->dev);
	const char *why;

	if (!features_consistent(accept))
		return "probe.features & offer breaks a feature dependency (virtio 1.2 §5.1.3.1)";
	why = virtio_init(&nd->dev, accept);
	if (why)
		return why;
	nd->csum = nd->dev.negotiated & F(CSUM);
	nd->guest_csum = nd->dev.negotiated & F(GUEST_CSUM);
	nd->mrg = nd->dev.negotiated & F(MRG_RXBUF);
	nd->guest_gso = nd->dev.negotiated & gso;
	read_config(nd);
	if (nd->mtu < 68)
		return "MTU below 68 in the config space";
	/* §5.1.6.3.1: a whole frame per buffer unless MRG_RXBUF. */
	nd->rx_need = VIRTIO_NET_HDR_LEN +
		      (nd->guest_gso ? NETDRV_MAX_FRAME : NETDRV_VLAN_ETH + (uint32_t)nd->mtu);
	return NULL;
}

const char *netdrv_open(struct netdrv *nd, struct str cmdline, const struct netdrv_cfg *cfg,
			const struct hvm_memmap_entry *map, uint32_t nmap)
{
	uint64_t start = rdtsc(), hz = tsc_hz();
	const char *why;

	memset(nd, 0, sizeof(*nd));
	nd->cfg = *cfg;
	nd->idle_ticks = hz / 1000 * cfg->timeout_ms;
	why = netdrv_pool_init(map, nmap);
	if (!why)
		why = find_device(nd, cmdline);
	if (why)
		return why;
	why = negotiate(nd);
	if (!why)
		why = virtq_setup(&nd->dev, NETDRV_RXQ, cfg->qsize);
	if (!why)
		why = virtq_setup(&nd->dev, NETDRV_TXQ, cfg->qsize);
	if (!why) {
		nd->rxq = &nd->dev.vq[NETDRV_RXQ];
		nd->txq = &nd->dev.vq[NETDRV_TXQ];
		if (cfg->indirect && !nd->txq->indirect)
			why = "probe.indirect=1 without VIRTIO_F_INDIRECT_DESC negotiated";
	}
	if (!why)
		why = setup_buffers(nd);
	if (!why)
		why = setup_irq(nd);
	if (why) {
		virtio_fail(&nd->dev);
		return why;
	}
	virtio_driver_ok(&nd->dev);
	for (unsigned int i = 0; i < nd->nrx; i++)
		rx_post(nd, &nd->rx[i]);
	virtq_kick(nd->rxq);
	if (!cfg->poll)
		irq_enable();
	nd->init_us = (rdtsc() - start) / (hz / 1000000);
	return NULL;
}

/* Takes the TX queue's used entries: their slots are free again. */
static int tx_harvest(struct netdrv *nd)
{
	uint32_t len;
	void *tok;
	int got;

	while ((got = virtq_get(nd->txq, &len, &tok)) > 0) {
		struct netdrv_txslot *s = tok;

		/* §2.7.8: len counts bytes written into the chain; TX chains have none. */
		if (len)
			nd->err.tx_len++;
		s->busy = false;
		nd->tx_free[nd->ntx_free++] = (uint16_t)(s - nd->tx);
	}
	if (got < 0)
		nd->err.bad_id++;
	return got;
}

uint8_t *netdrv_tx_slot(struct netdrv *nd, struct virtio_net_hdr **hdr_out)
{
	struct netdrv_txslot *s;

	if (!nd->ntx_free)
		tx_harvest(nd);
	if (!nd->ntx_free)
		return NULL;
	s = &nd->tx[nd->tx_free[--nd->ntx_free]];
	s->busy = true;
	memset(s->p, 0, VIRTIO_NET_HDR_LEN);
	*hdr_out = (struct virtio_net_hdr *)s->p;
	return s->p + VIRTIO_NET_HDR_LEN;
}

int netdrv_tx_queue(struct netdrv *nd, uint8_t *frame, uint32_t len)
{
	uint8_t *hdr = frame - VIRTIO_NET_HDR_LEN;
	uint64_t i = (uint64_t)(hdr - nd->tx[0].p) / nd->tx_stride;
	struct virtio_sg sg[2];
	unsigned int n = 1;

	if (i >= nd->ntx || nd->tx[i].p != hdr || !nd->tx[i].busy || len > nd->tx_frame_max)
		return -1;
	if (nd->cfg.txsg) {
		sg[0] = (struct virtio_sg){(uintptr_t)hdr, VIRTIO_NET_HDR_LEN, false};
		sg[1] = (struct virtio_sg){(uintptr_t)frame, len, false};
		n = 2;
	} else {
		sg[0] = (struct virtio_sg){(uintptr_t)hdr, VIRTIO_NET_HDR_LEN + len, false};
	}
	if (virtq_add(nd->txq, sg, n, nd->cfg.indirect, &nd->tx[i])) {
		nd->tx[i].busy = false; /* the slot goes back: nothing is in flight */
		nd->tx_free[nd->ntx_free++] = (uint16_t)i;
		return -1;
	}
	nd->tx_pending++;
	nd->tx_frames++;
	nd->tx_bytes += len;
	return 0;
}

void netdrv_tx_flush(struct netdrv *nd)
{
	if (nd->tx_pending)
		virtq_kick(nd->txq);
	nd->tx_pending = 0;
}

unsigned int netdrv_tx_inflight(const struct netdrv *nd)
{
	return nd->ntx - nd->ntx_free;
}

/* §5.1.6.4: what the header may say under the negotiated features. */
static void rx_check_hdr(struct netdrv *nd, const struct virtio_net_hdr *h)
{
	uint64_t f = nd->dev.negotiated;
	uint8_t gso = h->gso_type & (uint8_t)~VIRTIO_NET_HDR_GSO_ECN;
	bool ok;

	/* Strict reading of §5.1.6.4.1: without GUEST_CSUM the flags are 0; RSC_INFO never. */
	if ((h->flags && !nd->guest_csum) ||
	    (h->flags & ~(VIRTIO_NET_HDR_F_NEEDS_CSUM | VIRTIO_NET_HDR_F_DATA_VALID)))
		nd->err.flags++;
	switch (gso) {
	case VIRTIO_NET_HDR_GSO_NONE:
		ok = !(h->gso_type & VIRTIO_NET_HDR_GSO_ECN);
		break;
	case VIRTIO_NET_HDR_GSO_TCPV4:
		ok = f & F(GUEST_TSO4);
		break;
	case VIRTIO_NET_HDR_GSO_TCPV6:
		ok = f & F(GUEST_TSO6);
		break;
	case VIRTIO_NET_HDR_GSO_UDP_L4:
		ok = (f & F(GUEST_USO4)) || (f & F(GUEST_USO6));
		break;
	default:
		ok = false;
		break;
	}
	if (gso != VIRTIO_NET_HDR_GSO_NONE &&
	    (!(h->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) || !h->gso_size))
		ok = false;
	if ((h->gso_type & VIRTIO_NET_HDR_GSO_ECN) && !(f & F(GUEST_ECN)))
		ok = false;
	if (!ok)
		nd->err.gso++;
}

/*
 * NEEDS_CSUM (§5.1.6.4.1): the bytes from csum_start on are summed, the
 * field at csum_start + csum_offset holding the pseudo-header sum, and the
 * folded complement stored there: what a NIC does on transmit.
 */
static bool rx_complete_csum(uint8_t *frame, uint32_t len, const struct virtio_net_hdr *h)
{
	uint32_t start = h->csum_start, at = start + h->csum_offset, sum = 0;
	uint16_t v;

	if (start >= len || at + 2 > len)
		return false;
	for (uint32_t i = start; i + 1 < len; i += 2)
		sum += (uint32_t)(frame[i] << 8 | frame[i + 1]);
	if ((len - start) & 1)
		sum += (uint32_t)frame[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	v = (uint16_t)~sum;
	frame[at] = (uint8_t)(v >> 8);
	frame[at + 1] = (uint8_t)v;
	return true;
}

/* The rest of a merged frame: num_buffers - 1 more used entries, appended (§5.1.6.4). */
static bool rx_merge(struct netdrv *nd, struct netdrv_rx *rx, struct netdrv_rxbuf **bufs,
		     unsigned int *nbufs)
{
	uint32_t len;
	void *tok;

	memcpy(nd->merge, rx->frame, rx->len);
	rx->frame = nd->merge;
	for (unsigned int k = 1; k < rx->buffers; k++) {
		int got = virtq_get(nd->rxq, &len, &tok);

		if (got <= 0) {
			/* Linux's receive_mergeable treats a missing buffer as an error too. */
			if (got < 0)
				nd->err.bad_id++;
			else
				nd->err.num_buffers++;
			return false;
		}
		bufs[(*nbufs)++] = tok;
		if (len > nd->cfg.rxbuf || rx->len + len > NETDRV_MAX_FRAME) {
			nd->err.rx_len++;
			return false;
		}
		memcpy(nd->merge + rx->len, ((struct netdrv_rxbuf *)tok)->p, len);
		rx->len += len;
	}
	nd->rx_merged++;
	return true;
}

/* One RX used entry (and, merged, those that follow): checked, then handed to fn. */
static void rx_one(struct netdrv *nd, struct netdrv_rxbuf *b, uint32_t len, netdrv_rx_fn fn,
		   void *ctx)
{
	static struct netdrv_rxbuf *bufs[VIRTQ_MAX];
	unsigned int nbufs = 0;
	struct netdrv_rx rx;
	bool ok = true;

	bufs[nbufs++] = b;
	if (len < VIRTIO_NET_HDR_LEN || len > nd->cfg.rxbuf) {
		nd->err.rx_len++;
		ok = false;
	} else {
		memcpy(&rx.hdr, b->p, VIRTIO_NET_HDR_LEN);
		rx.frame = b->p + VIRTIO_NET_HDR_LEN;
		rx.len = len - VIRTIO_NET_HDR_LEN;
		rx.buffers = rx.hdr.num_buffers;
		/*
		 * §5.1.6.4: num_buffers is 1 without MRG_RXBUF, at least 1 with
		 * it. Without, QEMU 7.2 leaves it unset: counted apart, and the
		 * frame taken as one buffer, as Linux's driver does.
		 */
		if (!nd->mrg && rx.buffers != 1) {
			nd->num_buffers_not_1++;
			rx.buffers = 1;
		}
		if (!rx.buffers || rx.buffers > nd->nrx) {
			nd->err.num_buffers++;
			ok = false;
		} else if (rx.buffers > 1) {
			ok = rx_merge(nd, &rx, bufs, &nbufs);
		}
	}
	if (ok) {
		rx_check_hdr(nd, &rx.hdr);
		if (rx.hdr.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) {
			nd->rx_csum_partial++;
			if (!rx_complete_csum(rx.frame, rx.len, &rx.hdr))
				nd->err.flags++;
		} else if (rx.hdr.flags & VIRTIO_NET_HDR_F_DATA_VALID) {
			nd->rx_data_valid++;
		}
		nd->rx_frames++;
		nd->rx_bytes += rx.len;
		fn(ctx, nd, &rx);
	}
	for (unsigned int k = 0; k < nbufs; k++) {
		bufs[k]->posted = false;
		if (!rx_post(nd, bufs[k]))
			nd->reposted++;
	}
}

int netdrv_poll(struct netdrv *nd, netdrv_rx_fn fn, void *ctx)
{
	uint32_t len, before = nd->err.bad_id;
	void *tok;
	int got, frames = 0;

	tx_harvest(nd);
	while ((got = virtq_get(nd->rxq, &len, &tok)) > 0) {
		rx_one(nd, tok, len, fn, ctx);
		frames++;
	}
	if (got < 0)
		nd->err.bad_id++;
	virtq_kick(nd->rxq);
	netdrv_tx_flush(nd); /* what fn queued (ARP replies, echoes) */
	return nd->err.bad_id != before ? -1 : frames;
}

bool netdrv_wait(struct netdrv *nd)
{
	uint64_t t0 = rdtsc();

	if (nd->cfg.poll) {
		while (!virtq_pending(nd->rxq) && !virtq_pending(nd->txq)) {
			if (rdtsc() - t0 > nd->idle_ticks)
				goto timeout;
			cpu_relax();
		}
		return true;
	}
	/* Each wait re-arms both queues: a notification for the next used entry. */
	if (virtq_enable_irq(nd->rxq) | virtq_enable_irq(nd->txq))
		return true;
	while (probe_virtio_irq_count == nd->irq_seen) {
		if (rdtsc() - t0 > nd->idle_ticks)
			goto timeout;
		cpu_relax();
	}
	nd->irq_seen = probe_virtio_irq_count;
	nd->irqs_handled++;
	if (!(virtio_isr_ack(&nd->dev) & VIRTIO_MMIO_INT_VRING))
		nd->isr_empty++;
	return true;
timeout:
	if (virtio_read_status(&nd->dev) & VIRTIO_STATUS_DEVICE_NEEDS_RESET)
		nd->err.needs_reset++;
	return false;
}

void netdrv_close(struct netdrv *nd, bool reset)
{
	if (nd->irq_routed) {
		irq_disable();
		ioapic_mask(nd->dev.loc.irq);
		nd->irq_routed = false;
	}
	if (reset && nd->dev.regs)
		virtio_reset(&nd->dev);
}

uint8_t *netdrv_alloc(uint64_t size)
{
	uint8_t *p = pool_alloc(size);

	if (p)
		memset(p, 0, size);
	return p;
}

void netdrv_mac_str(const uint8_t mac[6], char out[18])
{
	static const char hex[] = "0123456789abcdef";

	for (unsigned int i = 0; i < 6; i++) {
		out[i * 3] = hex[mac[i] >> 4];
		out[i * 3 + 1] = hex[mac[i] & 0xf];
		out[i * 3 + 2] = i < 5 ? ':' : '\0';
	}
}
