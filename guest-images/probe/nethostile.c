// SPDX-License-Identifier: MIT
// Probe guest: the net-hostile mode, one misbehaving virtio-net driver case per run.
//
// Each case puts one chain on the TX or RX queue that a correct driver never
// builds, or a header that breaks a rule of virtio 1.2 §5.1.6, then proves
// that the device still works: a good UDP datagram goes out after a TX case,
// and after an RX case a datagram from the peer arrives in a good buffer.
// Some cases try a boundary the spec allows (the header in two pieces,
// num_buffers or hdr_len on TX, a VLAN tag): those frames must go out.
//
// The rings are driven by hand: virtio.c sets the two queues up (256 entries
// each), nothing more, since most chains below are ones virtq_add never
// builds. The driver polls used->idx and asks for no interrupts
// (VIRTQ_AVAIL_F_NO_INTERRUPT; EVENT_IDX is not negotiated), and every kick
// is a QueueNotify write. The peer's MAC comes from probe.peer_mac, so no ARP:
// every frame the guest sends is one a case meant to send.
//
// Checked here: the bad chain comes back with its id and used length 0, and
// the device wrote nothing into it (all its bytes are hashed before and
// after); the good chain comes back too; a received frame is exactly the
// peer's datagram, in a header that is 0 but for num_buffers and the expected
// flags, with nothing written past the used length. Whether a frame reached
// the wire, and the device's own counters, the test script checks
// (tests/kvm/net-hostile.sh). Cases that reset the device take the next two
// queues of virtio.c's pool (four per run).
//
// This file drives the rings and runs the mode; the cases are in
// nethostile_tx.c and nethostile_rx.c.
#include "nethostile.h"
#include "nethostile_int.h"

#define NH_QSIZE    256
#define WAIT_US	    3000000 /* for a used entry (an RX one waits for the peer) */
#define MAX_FACTS   20
#define POOL_ALIGN  (2ull << 20)
#define BAD_AREA    (256u << 10) /* the bad chain's bytes, writable piece at +64 KiB */
#define GOOD_AREA   (4u << 10)	 /* the good TX frame; the good RX buffer after it */
#define GOOD_INDEX  1
#define PAYLOAD_DEF 64
#define PAYLOAD_MAX 1400
#define READY	    "ready:" /* then the payload size the peer is to send */

extern char _end[]; /* probe.ld: the end of the image (.bss included) */

/* ---- the rings, by hand ---- */

void nh_notify(struct nh *h, uint32_t queue)
{
	hl_w32(&h->dev, VIRTIO_MMIO_QUEUE_NOTIFY, queue);
}

/* Descriptors head, head + 1, … for the pieces, linked in order; the head into the ring. */
void nh_chain_put(struct nhq *c, uint16_t head, const struct piece *pc, unsigned int n)
{
	struct virtq_desc *d = c->q->desc;

	for (unsigned int k = 0; k < n; k++) {
		uint16_t i = (uint16_t)(head + k);

		d[i].addr = (uintptr_t)pc[k].p;
		d[i].len = pc[k].len;
		d[i].flags = (uint16_t)((pc[k].write ? VIRTQ_DESC_F_WRITE : 0) |
					(k + 1 < n ? VIRTQ_DESC_F_NEXT : 0));
		d[i].next = (uint16_t)(i + 1);
	}
	c->q->avail->ring[c->avail_idx & (c->q->num - 1)] = head;
	c->avail_idx++;
}

/* Descriptors and ring entries before the index (§2.7.13), the index before the kick. */
void nh_publish(struct nhq *c)
{
	hl_barrier();
	c->q->avail->idx = c->avail_idx;
	hl_full_barrier();
}

uint16_t nh_used_idx(const struct nhq *c)
{
	return c->q->used->idx;
}

/* Waits until an untaken used entry is there. */
bool nh_used_wait(struct nh *h, struct nhq *c, const char *why)
{
	uint64_t start = rdtsc();

	while (nh_used_idx(c) == c->last_used) {
		if (rdtsc() - start > hl_ticks(WAIT_US)) {
			hl_fact(&h->log, "queue", c->q->index);
			hl_fact(&h->log, "used_idx", nh_used_idx(c));
			return hl_fail(&h->log, why);
		}
		cpu_relax();
	}
	hl_barrier(); /* the index before the entry it covers */
	return true;
}

void nh_used_take(struct nhq *c, uint32_t *id, uint32_t *len)
{
	volatile struct virtq_used_elem *e = &c->q->used->ring[c->last_used & (c->q->num - 1)];

	*id = e->id;
	*len = e->len;
	c->last_used++;
}

/* The next used entry must be (head, len). */
bool nh_used_expect(struct nh *h, struct nhq *c, uint16_t head, uint32_t len, const char *why)
{
	uint32_t id, got;

	if (!nh_used_wait(h, c, why))
		return false;
	nh_used_take(c, &id, &got);
	if (id != head || got != len) {
		hl_fact(&h->log, "queue", c->q->index);
		return hl_fail_used(&h->log, id, got, head, len,
				    "used entry differs from the expected one");
	}
	return true;
}

/* FNV-1a over every byte of the chain: the device must leave a dropped chain as it was. */
uint64_t nh_chain_hash(const struct piece *pc, unsigned int n)
{
	uint64_t x = 0xcbf29ce484222325ull;

	for (unsigned int k = 0; k < n; k++) {
		for (uint32_t i = 0; i < pc[k].len; i++)
			x = (x ^ pc[k].p[i]) * 0x100000001b3ull;
	}
	return x;
}

/* n pieces over [p, p + total): first bytes, then even ones, the last takes the rest. */
void nh_split(struct piece *pc, uint8_t *p, uint32_t total, unsigned int n, uint32_t first,
	      bool write)
{
	uint32_t each = n > 1 ? (total - first) / (n - 1) : 0, off = 0;

	for (unsigned int k = 0; k < n; k++) {
		uint32_t len = k == 0 ? first : k == n - 1 ? total - off : each;

		pc[k] = (struct piece){p + off, len, write};
		off += len;
	}
}

void nh_chain1(struct nh *h, uint8_t *p, uint32_t len, bool write)
{
	h->chain[0] = (struct piece){p, len, write};
	h->nchain = 1;
}

/* ---- frames ---- */

/* The bad chain's area: header (zeroed) and a frame after it. */
struct virtio_net_hdr *nh_bad_hdr(struct nh *h)
{
	memset(h->bad, 0, VIRTIO_NET_HDR_LEN);
	return (struct virtio_net_hdr *)h->bad;
}

uint8_t *nh_bad_frame(struct nh *h)
{
	return h->bad + VIRTIO_NET_HDR_LEN;
}

/* A datagram to the peer with payload index; partial: NEEDS_CSUM 34/6 and the pseudo sum. */
uint32_t nh_udp_frame(struct nh *h, uint8_t *f, uint32_t index, bool partial,
		      struct virtio_net_hdr *hdr)
{
	net_pattern_fill(f + NET_UDP_PAYLOAD, h->size, index);
	return net_udp_build(f, &h->me, &h->peer, h->size, partial, hdr);
}

/* "ready:SIZE": the peer answers with one datagram of SIZE bytes. */
const char *nh_ready_text(const struct nh *h)
{
	static char t[sizeof(READY) + 10];
	char digits[10];
	unsigned int n = 0, k = sizeof(READY) - 1;
	uint32_t v = h->size;

	memcpy(t, READY, k);
	do {
		digits[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		t[k++] = digits[--n];
	t[k] = '\0';
	return t;
}

/* One good datagram on the TX queue (text, or the pattern with GOOD_INDEX); back with 0. */
bool nh_tx_send(struct nh *h, const char *text, const char *why)
{
	struct virtio_net_hdr *hdr = (struct virtio_net_hdr *)h->good;
	uint8_t *f = h->good + VIRTIO_NET_HDR_LEN;
	uint32_t plen = text ? (uint32_t)strlen(text) : h->size, len;
	struct piece pc;

	memset(hdr, 0, VIRTIO_NET_HDR_LEN);
	if (text)
		memcpy(f + NET_UDP_PAYLOAD, text, plen);
	else
		net_pattern_fill(f + NET_UDP_PAYLOAD, plen, GOOD_INDEX);
	len = net_udp_build(f, &h->me, &h->peer, plen, false, hdr);
	pc = (struct piece){h->good, VIRTIO_NET_HDR_LEN + len, false};
	nh_chain_put(&h->tx, h->good_head, &pc, 1);
	nh_publish(&h->tx);
	nh_notify(h, NETDRV_TXQ);
	hl_fact(&h->log, text ? "ready_len" : "good_len", len);
	return nh_used_expect(h, &h->tx, h->good_head, 0, why);
}

/* Header and datagram in one readable descriptor; the caller edits the header. */
struct virtio_net_hdr *nh_tx_udp(struct nh *h, bool partial)
{
	struct virtio_net_hdr *hdr = nh_bad_hdr(h);

	nh_chain1(h, h->bad,
		  VIRTIO_NET_HDR_LEN + nh_udp_frame(h, nh_bad_frame(h), BAD_INDEX, partial, hdr),
		  false);
	return hdr;
}

/* ---- the mode ---- */

static void report(struct nh *h, struct str name, uint64_t us)
{
	struct json j;

	hl_report_head(&j, "net-hostile", name, &h->log);
	if (h->bad_key)
		json_cstr(&j, "key", h->bad_key);
	hl_report_facts(&j, &h->log);
	json_hex(&j, "negotiated", h->dev.negotiated);
	json_u64(&j, "us", us);
	json_end(&j);
}

/* RAM from the first 2 MiB boundary above the image, as netdrv.c's pool. */
static uint8_t *pool(const struct hvm_memmap_entry *map, uint32_t nmap, uint64_t size)
{
	uint64_t start = ((uintptr_t)_end + POOL_ALIGN - 1) & ~(POOL_ALIGN - 1);

	for (uint32_t i = 0; i < nmap; i++) {
		uint64_t end = map[i].addr + map[i].size;

		if (map[i].type == HVM_MEMMAP_TYPE_RAM && map[i].addr <= start && end > start &&
		    end - start >= size && start + size <= PROBE_IDENTITY_LIMIT)
			return (uint8_t *)(uintptr_t)start;
	}
	return NULL;
}

/* probe.ip, probe.peer, probe.port, probe.peer_mac, probe.size: NULL or the bad key. */
static const char *parse_keys(struct nh *h, struct str cmdline)
{
	struct str v;
	uint64_t n;

	if (!cmdline_get(cmdline, "probe.ip", &v) || net_parse_ip4(v, &h->me.ip))
		return "probe.ip";
	if (!cmdline_get(cmdline, "probe.peer", &v) || net_parse_ip4(v, &h->peer.ip))
		return "probe.peer";
	if (!cmdline_get(cmdline, "probe.port", &v) || str_to_u64(v, 65535, &n) || !n)
		return "probe.port";
	h->me.port = h->peer.port = (uint16_t)n;
	if (!cmdline_get(cmdline, "probe.peer_mac", &v) || net_parse_mac(v, h->peer.mac))
		return "probe.peer_mac";
	h->size = PAYLOAD_DEF;
	h->buffers = 1;
	h->want_flags = 0;
	if (cmdline_get(cmdline, "probe.size", &v)) {
		if (str_to_u64(v, PAYLOAD_MAX, &n) || n < 4)
			return "probe.size";
		h->size = (uint32_t)n;
	}
	return NULL;
}

/* The first virtio-net device on the command line, opened. */
static bool nh_open(struct nh *h, struct str cmdline)
{
	return hl_open(&h->dev, cmdline, VIRTIO_ID_NET) ||
	       hl_fail(&h->log, "no virtio-net device (id 1) on the command line");
}

/*
 * §3.1.1 with the case's features (a reset first), MAC and MTU, both queues on
 * fresh rings (the next two of virtio.c's pool), DRIVER_OK.
 */
bool nh_setup(struct nh *h)
{
	uint64_t want = BASE_FEATURES | h->accept;
	const char *why = virtio_init(&h->dev, want);

	if (why)
		return hl_fail(&h->log, why);
	if ((h->dev.negotiated & want) != want) {
		hl_fact(&h->log, "offered", h->dev.features);
		virtio_fail(&h->dev);
		return hl_fail(&h->log, "the device does not offer the features this case needs");
	}
	for (unsigned int i = 0; i < 6; i++)
		h->me.mac[i] = virtio_config_read8(&h->dev, VIRTIO_NET_CFG_MAC + i);
	h->mtu = virtio_config_read16(&h->dev, VIRTIO_NET_CFG_MTU);
	if (h->mtu < 68 || h->mtu > GOOD_AREA - 64) {
		virtio_fail(&h->dev);
		return hl_fail(&h->log, "MTU in the config space outside 68-4032");
	}
	h->rx_need = VIRTIO_NET_HDR_LEN + NETDRV_VLAN_ETH + h->mtu;
	why = virtq_setup(&h->dev, NETDRV_RXQ, NH_QSIZE);
	if (!why)
		why = virtq_setup(&h->dev, NETDRV_TXQ, NH_QSIZE);
	if (why) {
		virtio_fail(&h->dev);
		return hl_fail(&h->log, why);
	}
	h->rx = (struct nhq){&h->dev.vq[NETDRV_RXQ], 0, 0};
	h->tx = (struct nhq){&h->dev.vq[NETDRV_TXQ], 0, 0};
	/* The cases' chains take descriptors 0-130, the good one the last. */
	if (h->rx.q->num != NH_QSIZE || h->tx.q->num != NH_QSIZE) {
		virtio_fail(&h->dev);
		return hl_fail(&h->log, "queues smaller than 256 entries (QueueNumMax)");
	}
	h->good_head = NH_QSIZE - 1;
	/* Polling: no used buffer notifications, on either queue (no EVENT_IDX). */
	h->rx.q->avail->flags = VIRTQ_AVAIL_F_NO_INTERRUPT;
	h->tx.q->avail->flags = VIRTQ_AVAIL_F_NO_INTERRUPT;
	virtio_driver_ok(&h->dev);
	return true;
}

/*
 * A ring corruption (§2.1.2): Status shows DEVICE_NEEDS_RESET with nothing more
 * on the queue c than its last used entry; then a reset and a fresh setup.
 */
bool nh_reinit_after_corruption(struct nh *h, struct nhq *c)
{
	uint64_t start = rdtsc();

	while (!(virtio_read_status(&h->dev) & VIRTIO_STATUS_DEVICE_NEEDS_RESET)) {
		if (rdtsc() - start > hl_ticks(WAIT_US))
			return hl_fail(&h->log, "no DEVICE_NEEDS_RESET after the ring corruption");
		cpu_relax();
	}
	hl_fact(&h->log, "needs_reset", 1);
	hl_spin_us(QUIET_US);
	if (nh_used_idx(c) != c->last_used) {
		hl_fact(&h->log, "used_idx", nh_used_idx(c));
		return hl_fail(&h->log, "used entries after DEVICE_NEEDS_RESET");
	}
	return nh_setup(h);
}

int net_hostile(struct str cmdline, const struct hvm_memmap_entry *map, uint32_t nmap)
{
	static const void *const tables[] = {nh_tx_cases, nh_rx_cases};
	static struct nh nh;
	struct nh *h = &nh;
	struct str name = {"", 0};
	const struct nhcase *c;
	uint64_t start;
	uint8_t *mem;

	h->log.max_facts = MAX_FACTS;
	c = hl_case_find(&h->log, cmdline, &name, tables, ARRAY_SIZE(tables), sizeof(*c));
	if (!c) {
		report(h, name, 0);
		return PROBE_EXIT_USAGE;
	}
	h->bad_key = parse_keys(h, cmdline);
	if (h->bad_key) {
		hl_fail(&h->log, "missing or bad value for a key");
		report(h, name, 0);
		return PROBE_EXIT_USAGE;
	}
	hl_clock_init();
	h->accept = c->accept;
	mem = pool(map, nmap, BAD_AREA + 2 * GOOD_AREA);
	if (!mem) {
		hl_fail(&h->log, "no RAM above the probe image for the buffers");
		report(h, name, 0);
		return PROBE_EXIT_FAIL;
	}
	h->bad = mem;
	h->good = mem + BAD_AREA;
	h->rxgood = mem + BAD_AREA + GOOD_AREA;
	start = rdtsc();
	if (nh_open(h, cmdline) && nh_setup(h) && c->run(h)) {
		/* Nothing more may come back than the chains made available. */
		hl_spin_us(QUIET_US);
		if (nh_used_idx(&h->rx) != h->rx.last_used ||
		    nh_used_idx(&h->tx) != h->tx.last_used) {
			hl_fact(&h->log, "rx_used_idx", nh_used_idx(&h->rx));
			hl_fact(&h->log, "tx_used_idx", nh_used_idx(&h->tx));
			hl_fail(&h->log, "more used entries than chains made available");
		}
	}
	/* The device stays as the case left it: minnow's --metrics shows that state. */
	report(h, name, hl_us_since(start));
	return h->log.why ? PROBE_EXIT_FAIL : PROBE_EXIT_OK;
}
