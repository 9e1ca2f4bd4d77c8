// SPDX-License-Identifier: MIT
// Probe guest: the net-mq mode, virtio-net with several queue pairs and the control queue.
//
// Negotiates VERSION_1, MAC, MTU, STATUS, CTRL_VQ and MQ, reads
// max_virtqueue_pairs (§5.1.4), sets up every receive and transmit queue
// (rx0, tx0, rx1, tx1, …) and the control queue after them (index
// 2 * max_virtqueue_pairs, §5.1.2), posts RX buffers on every receive queue,
// and after DRIVER_OK sends VQ_PAIRS_SET (§5.1.6.5.5), which must come back
// with VIRTIO_NET_OK in its ack. Then:
//
// - TX: probe.count datagrams on each active transmit queue, from source
//   port probe.port + pair, payload pattern index 0, 1, … per queue (the
//   peer checks that each queue's datagrams reach the tap in order);
// - RX: a "ready" datagram to the peer, which sends probe.rx_count datagrams
//   (pattern index i from source port probe.flow_port + i % probe.flows) into
//   the multi-queue tap, where the kernel picks a queue per flow. Each must
//   arrive once, intact, on an active queue, each flow's in order on each
//   queue, and (with 2 pairs or more) on more than one receive queue.
//
// Polling, no EVENT_IDX, no interrupts (VIRTQ_AVAIL_F_NO_INTERRUPT), no ARP
// (probe.peer_mac): every frame the guest sends is one the mode meant.
#include "hostile_lib.h"
#include "netmq.h"
#include "netrun.h"

#define PAIRS_MAX  4
#define QSIZE	   64
#define SLOT	   2048 /* TX slot: header and a frame of up to 14 + MTU bytes */
#define FLOWS_MAX  64
#define RX_MAX	   4096
#define WAIT_US	   5000000 /* without progress */
#define QUIET_US   20000   /* after the last datagram: nothing more may come */
#define CTRL_ACK   64	   /* the ack byte's offset in the control buffer */
#define READY	   "ready"
#define NF(b)	   VIRTIO_BIT(VIRTIO_NET_F_##b)
#define FEATURES                                                                                   \
	(VIRTIO_BIT(VIRTIO_F_VERSION_1) | NF(MAC) | NF(MTU) | NF(STATUS) | NF(CTRL_VQ) | NF(MQ))

struct mqpair {
	struct virtq *rx, *tx;
	uint8_t *rxbuf; /* QSIZE buffers of rxbuf bytes */
	uint8_t *slots; /* QSIZE TX slots of SLOT bytes */
	uint16_t tx_free[QSIZE], ntx_free;
	uint64_t sent, tx_done, received;
};

struct mq {
	struct virtio_dev dev;
	struct mqpair p[PAIRS_MAX];
	struct virtq *ctrl;
	uint8_t *ctrl_buf;
	struct net_addr me, peer;
	uint16_t max_pairs, pairs, mtu, ctrl_index;
	uint32_t rxbuf;
	uint64_t count, rx_count, size, flows, flow_port;
	uint8_t *seen;
	uint32_t last[FLOWS_MAX][PAIRS_MAX]; /* per flow and queue: the last index + 1 */
	uint8_t flow_queues[FLOWS_MAX];	     /* per flow: the queues it came on, a bit each */
	uint64_t received, bad, dup, reordered, inactive, other, dev_errors;
	uint32_t ctrl_ack, ctrl_len;
	const char *bad_why;
};

static struct mq mq;

static bool arg(struct str cmdline, const char *key, uint64_t def, uint64_t min, uint64_t max,
		uint64_t *out, const char **bad)
{
	struct str v;

	*out = def;
	if (*bad || !cmdline_get(cmdline, key, &v))
		return !*bad;
	if (str_to_u64(v, max, out) || *out < min)
		*bad = key;
	return !*bad;
}

/* The keys; NULL or the bad one. */
static const char *parse_keys(struct mq *m, struct str cmdline)
{
	const char *bad = NULL;
	uint64_t port, peer_port, pairs;
	struct str v;

	if (!cmdline_get(cmdline, "probe.ip", &v) || net_parse_ip4(v, &m->me.ip))
		return "probe.ip";
	if (!cmdline_get(cmdline, "probe.peer", &v) || net_parse_ip4(v, &m->peer.ip))
		return "probe.peer";
	if (!cmdline_get(cmdline, "probe.peer_mac", &v) || net_parse_mac(v, m->peer.mac))
		return "probe.peer_mac";
	arg(cmdline, "probe.port", 5000, 1, 65535 - PAIRS_MAX, &port, &bad);
	arg(cmdline, "probe.peer_port", port, 1, 65535, &peer_port, &bad);
	m->me.port = (uint16_t)port;
	m->peer.port = (uint16_t)peer_port;
	arg(cmdline, "probe.pairs", 0, 0, PAIRS_MAX, &pairs, &bad);
	m->pairs = (uint16_t)pairs;
	arg(cmdline, "probe.count", 100, 0, UINT32_MAX, &m->count, &bad);
	arg(cmdline, "probe.size", 64, 4, 1400, &m->size, &bad);
	arg(cmdline, "probe.rx_count", 256, 0, RX_MAX, &m->rx_count, &bad);
	arg(cmdline, "probe.flows", 16, 1, FLOWS_MAX, &m->flows, &bad);
	arg(cmdline, "probe.flow_port", 6000, 1, 65535 - FLOWS_MAX, &m->flow_port, &bad);
	return bad;
}

static bool post_rx(struct mqpair *p, uint8_t *buf, uint32_t len)
{
	struct virtio_sg sg = {(uintptr_t)buf, len, true};

	return !virtq_add(p->rx, &sg, 1, false, buf);
}

/* Rings for 2 * max_pairs + 1 queues, the buffers, every queue set up; DRIVER_OK. */
static const char *setup(struct mq *m)
{
	uint64_t ring = virtq_mem_bytes();
	uint8_t *mem;
	const char *why;

	m->max_pairs = virtio_config_read16(&m->dev, VIRTIO_NET_CFG_PAIRS);
	m->mtu = virtio_config_read16(&m->dev, VIRTIO_NET_CFG_MTU);
	for (unsigned int i = 0; i < 6; i++)
		m->me.mac[i] = virtio_config_read8(&m->dev, VIRTIO_NET_CFG_MAC + i);
	if (m->max_pairs < 1 || m->max_pairs > PAIRS_MAX)
		return "max_virtqueue_pairs outside 1-4 (this mode sets up at most 4 pairs)";
	if (m->mtu < 68 || VIRTIO_NET_HDR_LEN + NET_ETH_HLEN + m->mtu > SLOT)
		return "MTU outside 68-2022";
	if (!m->pairs)
		m->pairs = m->max_pairs;
	if (m->pairs > m->max_pairs)
		return "probe.pairs above max_virtqueue_pairs";
	m->rxbuf = VIRTIO_NET_HDR_LEN + NETDRV_VLAN_ETH + m->mtu;
	mem = netdrv_alloc(ring * (2u * m->max_pairs + 1) + 4096);
	if (!mem)
		return "no RAM for the rings";
	virtq_pool_add((void *)(((uintptr_t)mem + 4095) & ~(uintptr_t)4095), 2u * m->max_pairs + 1);
	for (unsigned int q = 0; q < 2u * m->max_pairs; q++) {
		why = virtq_setup(&m->dev, q, QSIZE);
		if (why)
			return why;
		virtq_disable_irq(&m->dev.vq[q]);
	}
	m->ctrl_index = (uint16_t)(2 * m->max_pairs);
	why = virtq_setup(&m->dev, m->ctrl_index, QSIZE);
	if (why)
		return why;
	m->ctrl = &m->dev.vq[m->ctrl_index];
	virtq_disable_irq(m->ctrl);
	m->ctrl_buf = netdrv_alloc(128);
	m->seen = netdrv_alloc(RX_MAX / 8);
	if (!m->ctrl_buf || !m->seen)
		return "no RAM for the buffers";
	for (unsigned int i = 0; i < m->max_pairs; i++) {
		struct mqpair *p = &m->p[i];

		p->rx = &m->dev.vq[2 * i];
		p->tx = &m->dev.vq[2 * i + 1];
		p->rxbuf = netdrv_alloc((uint64_t)QSIZE * m->rxbuf);
		p->slots = netdrv_alloc((uint64_t)QSIZE * SLOT);
		if (!p->rxbuf || !p->slots || p->rx->num != QSIZE || p->tx->num != QSIZE)
			return "no RAM for the buffers, or queues below 64 entries";
		for (unsigned int k = 0; k < QSIZE; k++)
			p->tx_free[p->ntx_free++] = (uint16_t)k;
	}
	virtio_driver_ok(&m->dev);
	for (unsigned int i = 0; i < m->max_pairs; i++) {
		for (unsigned int k = 0; k < QSIZE; k++)
			post_rx(&m->p[i], m->p[i].rxbuf + (uint64_t)k * m->rxbuf, m->rxbuf);
		virtq_kick(m->p[i].rx);
	}
	return NULL;
}

/* §5.1.6.5: header and data readable, the ack writable; waits for the used entry. */
static const char *ctrl_cmd(struct mq *m, uint8_t class, uint8_t cmd, const void *data,
			    uint32_t len)
{
	struct virtio_sg sg[2] = {{(uintptr_t)m->ctrl_buf, 2 + len, false},
				  {(uintptr_t)m->ctrl_buf + CTRL_ACK, 1, true}};
	uint64_t start = rdtsc();
	void *tok;
	int got;

	m->ctrl_buf[0] = class;
	m->ctrl_buf[1] = cmd;
	memcpy(m->ctrl_buf + 2, data, len);
	m->ctrl_buf[CTRL_ACK] = 0xa5;
	if (virtq_add(m->ctrl, sg, 2, false, m->ctrl_buf))
		return "no room on the control queue";
	virtq_kick(m->ctrl);
	while (!(got = virtq_get(m->ctrl, &m->ctrl_len, &tok))) {
		if (rdtsc() - start > hl_ticks(WAIT_US))
			return "timeout: the control command did not come back";
		cpu_relax();
	}
	m->ctrl_ack = m->ctrl_buf[CTRL_ACK];
	if (got < 0)
		return "bad used entry on the control queue";
	if (m->ctrl_len != 1 || m->ctrl_ack != VIRTIO_NET_OK)
		return "VQ_PAIRS_SET not acknowledged with VIRTIO_NET_OK and used length 1";
	return NULL;
}

/* The TX queue's used entries: slots free again (used length must be 0). */
static bool tx_harvest(struct mq *m, struct mqpair *p)
{
	bool any = false;
	uint32_t len;
	void *tok;
	int got;

	while ((got = virtq_get(p->tx, &len, &tok)) > 0) {
		m->dev_errors += len != 0;
		p->tx_free[p->ntx_free++] = (uint16_t)(((uint8_t *)tok - p->slots) / SLOT);
		p->tx_done++;
		any = true;
	}
	m->dev_errors += got < 0;
	return any;
}

/* One datagram on pair q's TX queue (not yet kicked); payload: text or pattern index. */
static void tx_one(struct mq *m, unsigned int q, const char *text, uint32_t index)
{
	struct mqpair *p = &m->p[q];
	uint8_t *slot = p->slots + (uint64_t)p->tx_free[--p->ntx_free] * SLOT;
	uint8_t *f = slot + VIRTIO_NET_HDR_LEN;
	struct net_addr src = m->me;
	uint32_t plen = text ? (uint32_t)strlen(text) : (uint32_t)m->size, len;
	struct virtio_sg sg;

	src.port = (uint16_t)(m->me.port + q);
	memset(slot, 0, VIRTIO_NET_HDR_LEN);
	if (text)
		memcpy(f + NET_UDP_PAYLOAD, text, plen);
	else
		net_pattern_fill(f + NET_UDP_PAYLOAD, plen, index);
	len = net_udp_build(f, &src, &m->peer, plen, false, (struct virtio_net_hdr *)slot);
	sg = (struct virtio_sg){(uintptr_t)slot, VIRTIO_NET_HDR_LEN + len, false};
	virtq_add(p->tx, &sg, 1, false, slot);
	p->sent++;
}

/* probe.count datagrams on each active TX queue, interleaved; all back. */
static const char *tx_all(struct mq *m)
{
	uint64_t last = rdtsc();

	for (;;) {
		bool done = true;

		for (unsigned int q = 0; q < m->pairs; q++) {
			struct mqpair *p = &m->p[q];
			bool added = false;

			if (tx_harvest(m, p))
				last = rdtsc();
			while (p->ntx_free && p->sent < m->count) {
				tx_one(m, q, NULL, (uint32_t)p->sent);
				added = true;
			}
			if (added)
				virtq_kick(p->tx);
			done &= p->sent == m->count && p->tx_done == p->sent;
		}
		if (done)
			return NULL;
		if (rdtsc() - last > hl_ticks(WAIT_US))
			return "timeout: TX chains not returned";
		cpu_relax();
	}
}

/* "ready" on pair 0, back: the peer starts sending. */
static const char *tx_ready(struct mq *m)
{
	struct mqpair *p = &m->p[0];
	uint64_t start = rdtsc();

	tx_one(m, 0, READY, 0);
	virtq_kick(p->tx);
	while (p->tx_done != p->sent) {
		tx_harvest(m, p);
		if (rdtsc() - start > hl_ticks(WAIT_US))
			return "timeout: the ready datagram's chain not returned";
		cpu_relax();
	}
	return NULL;
}

static void note_bad(struct mq *m, const char *why)
{
	m->bad++;
	if (!m->bad_why)
		m->bad_why = why;
}

/* One received frame on pair q: checked and counted. */
static void rx_frame(struct mq *m, unsigned int q, const uint8_t *buf, uint32_t len)
{
	const struct virtio_net_hdr *h = (const struct virtio_net_hdr *)buf;
	struct net_pkt pk;
	int64_t i;
	uint64_t flow;

	if (len < VIRTIO_NET_HDR_LEN || len > m->rxbuf || h->flags || h->gso_type ||
	    h->num_buffers != 1) {
		m->dev_errors++;
		return;
	}
	m->p[q].received++;
	if (q >= m->pairs)
		m->inactive++;
	net_parse(buf + VIRTIO_NET_HDR_LEN, len - VIRTIO_NET_HDR_LEN, false, &pk);
	if (pk.kind != NET_UDP && pk.kind != NET_BAD) {
		m->other++;
		return;
	}
	if (pk.kind == NET_BAD) {
		note_bad(m, pk.why);
		return;
	}
	if (pk.dst_ip != m->me.ip || pk.dport != m->me.port) {
		m->other++;
		return;
	}
	i = net_pattern_check(pk.payload, pk.payload_len);
	flow = i < 0 ? 0 : (uint64_t)i % m->flows;
	if (pk.payload_len != m->size || i < 0 || (uint64_t)i >= m->rx_count) {
		note_bad(m, "payload pattern or size");
		return;
	}
	if (pk.sport != m->flow_port + flow) {
		note_bad(m, "datagram from the wrong flow's port");
		return;
	}
	if (m->seen[i >> 3] & (1u << (i & 7))) {
		m->dup++;
		note_bad(m, "duplicate datagram");
		return;
	}
	m->seen[i >> 3] |= (uint8_t)(1u << (i & 7));
	if (m->last[flow][q] > (uint64_t)i)
		m->reordered++;
	m->last[flow][q] = (uint32_t)i + 1;
	m->flow_queues[flow] |= (uint8_t)(1u << q);
	m->received++;
}

/* Every receive queue's used entries (those of inactive pairs too), buffers re-posted. */
static bool rx_poll(struct mq *m)
{
	bool any = false;

	for (unsigned int q = 0; q < m->max_pairs; q++) {
		struct mqpair *p = &m->p[q];
		uint32_t len;
		void *tok;
		int got;

		while ((got = virtq_get(p->rx, &len, &tok)) > 0) {
			rx_frame(m, q, tok, len);
			post_rx(p, tok, m->rxbuf);
			any = true;
		}
		m->dev_errors += got < 0;
		virtq_kick(p->rx);
	}
	return any;
}

static const char *rx_all(struct mq *m)
{
	uint64_t last = rdtsc();

	while (m->received + m->bad < m->rx_count) {
		if (rx_poll(m))
			last = rdtsc();
		else if (rdtsc() - last > hl_ticks(WAIT_US))
			return "timeout: datagrams missing";
		for (unsigned int q = 0; q < m->pairs; q++)
			tx_harvest(m, &m->p[q]);
		cpu_relax();
	}
	hl_spin_us(QUIET_US);
	rx_poll(m);
	return NULL;
}

static const char *run(struct mq *m, struct str cmdline)
{
	uint16_t pairs;
	const char *why;

	if (!hl_open(&m->dev, cmdline, VIRTIO_ID_NET))
		return "no virtio-net device (id 1) on the command line";
	why = virtio_init(&m->dev, FEATURES);
	if (why)
		return why;
	if ((m->dev.negotiated & FEATURES) != FEATURES) {
		virtio_fail(&m->dev);
		return "the device does not offer CTRL_VQ and MQ (and MAC, MTU, STATUS)";
	}
	why = setup(m);
	if (why) {
		virtio_fail(&m->dev);
		return why;
	}
	pairs = m->pairs;
	why = ctrl_cmd(m, VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, &pairs, 2);
	if (!why)
		why = tx_all(m);
	if (!why)
		why = tx_ready(m);
	if (!why)
		why = rx_all(m);
	return why;
}

static void report(struct mq *m, const char *why, uint64_t us)
{
	unsigned int used = 0, split = 0;
	struct json j;

	for (unsigned int q = 0; q < m->max_pairs; q++)
		used += m->p[q].received != 0;
	for (unsigned int f = 0; f < m->flows && f < FLOWS_MAX; f++)
		split += (m->flow_queues[f] & (m->flow_queues[f] - 1)) != 0;
	json_begin(&j);
	json_cstr(&j, "probe", "net-mq");
	if (why)
		json_cstr(&j, "error", why);
	json_hex(&j, "negotiated", m->dev.negotiated);
	json_u64(&j, "max_pairs", m->max_pairs);
	json_u64(&j, "pairs", m->pairs);
	json_u64(&j, "ctrl_queue", m->ctrl_index);
	json_u64(&j, "ctrl_ack", m->ctrl_ack);
	json_u64(&j, "ctrl_len", m->ctrl_len);
	json_u64(&j, "count", m->count);
	json_u64(&j, "received", m->received);
	json_u64(&j, "bad", m->bad);
	json_u64(&j, "dup", m->dup);
	json_u64(&j, "reordered", m->reordered);
	json_u64(&j, "inactive", m->inactive);
	json_u64(&j, "other", m->other);
	json_u64(&j, "rx_queues_used", used);
	json_u64(&j, "flows_split", split);
	json_u64(&j, "dev_errors", m->dev_errors);
	json_open(&j, "queues", '[');
	for (unsigned int q = 0; q < m->max_pairs; q++) {
		const struct mqpair *p = &m->p[q];

		json_open(&j, NULL, '{');
		json_u64(&j, "pair", q);
		json_u64(&j, "tx", p->sent);
		json_u64(&j, "rx", p->received);
		json_u64(&j, "kicks_tx", p->tx ? p->tx->kicks : 0);
		json_u64(&j, "kicks_rx", p->rx ? p->rx->kicks : 0);
		json_close(&j, '}');
	}
	json_close(&j, ']');
	json_u64(&j, "us", us);
	json_end(&j);
}

int net_mode_mq(struct str cmdline, const struct hvm_memmap_entry *map, uint32_t nmap)
{
	struct mq *m = &mq;
	const char *why;
	uint64_t start;
	unsigned int used = 0;

	memset(m, 0, sizeof(*m));
	why = parse_keys(m, cmdline);
	if (why)
		return netrun_usage(why);
	hl_clock_init();
	start = rdtsc();
	why = netdrv_pool_init(map, nmap);
	if (!why)
		why = run(m, cmdline);
	for (unsigned int q = 0; q < m->max_pairs; q++)
		used += m->p[q].received != 0;
	if (!why && m->bad)
		why = m->bad_why;
	if (!why && (m->dev_errors || m->inactive || m->reordered))
		why = m->dev_errors  ? "the device broke a rule (dev_errors)"
		      : m->inactive ? "frames on a receive queue beyond VQ_PAIRS_SET"
				    : "a flow's datagrams out of order on one queue";
	if (!why && m->received != m->rx_count)
		why = "datagrams missing";
	if (!why && m->pairs > 1 && m->rx_count >= 2 * m->flows && used < 2)
		why = "every datagram came on one receive queue";
	report(m, why, hl_us_since(start));
	return why ? PROBE_EXIT_FAIL : PROBE_EXIT_OK;
}
