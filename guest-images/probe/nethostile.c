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
#include "nethostile.h"
#include "netdrv.h"
#include "netstack.h"
#include "virtio.h"

#define NH_QSIZE    256
#define BAD_HEAD    3
#define MAX_PIECES  72
#define WAIT_US	    3000000 /* for a used entry (an RX one waits for the peer) */
#define QUIET_US    20000   /* how long a device that must do nothing gets to do it */
#define MAX_FACTS   20
#define POOL_ALIGN  (2ull << 20)
#define BAD_AREA    (256u << 10) /* the bad chain's bytes, writable piece at +64 KiB */
#define GOOD_AREA   (4u << 10)	 /* the good TX frame; the good RX buffer after it */
#define WRITABLE_AT (64u << 10)
#define MSS	    100 /* gso_size of the TSO cases: the frame holds two segments */
#define BAD_INDEX   0	/* pattern index of a bad chain's datagram (the peer's too) */
#define GOOD_INDEX  1
#define PAYLOAD_DEF 64
#define PAYLOAD_MAX 1400
#define CANARY	    0xa5
#define READY	    "ready:" /* then the payload size the peer is to send */
#define FLOOD	    10000    /* bad chains in tx_drop_flood */
#define FLOOD_BATCH 128
#define DRY_SIZE    1000 /* rx_mrg_ring_dry: a 1054-byte frame with its header */
#define DRY_BUF	    512
#define DRY_BUFS    4
#define DRY_HEAD    10
#define DRY_WAIT_US 50000
#define OUTSIDE_RAM 0x40000000000ull /* 4 TiB: beyond any guest's RAM here */
#define HDR_BUFS    128		     /* rx_mrg_header_size_buffers: 12 bytes each */
#define RESET_BUFS  128 /* more than the device keeps reads posted for (64 in minnow) */
#define EXIT_BUFS   120
#define ETH_P_QINQ  0x88a8
#define ETH_P_VLAN  0x8100
#define ETH_P_LOCAL 0x88b5 /* IEEE 802 local experimental ethertype */
#define VLAN_TCI    100
#define IP_TCP	    6
#define TCP_HLEN    20
#define TCP_CSUM    16
#define NF(b)	    VIRTIO_BIT(VIRTIO_NET_F_##b)

/* Features every case takes; the cases add offloads (all of which they need). */
#define BASE_FEATURES (VIRTIO_BIT(VIRTIO_F_VERSION_1) | NF(MAC) | NF(MTU) | NF(STATUS))
#define C_NONE	      0
#define C_CSUM	      NF(CSUM)
#define C_TSO	      (NF(CSUM) | NF(HOST_TSO4))
#define C_MRG	      NF(MRG_RXBUF)

extern char _end[]; /* probe.ld: the end of the image (.bss included) */

struct fact {
	const char *key;
	uint64_t val;
};

/* One descriptor's worth of a chain. */
struct piece {
	uint8_t *p;
	uint32_t len;
	bool write;
};

/* A queue driven by hand: the driver's avail->idx and next used entry. */
struct nhq {
	struct virtq *q;
	uint16_t avail_idx, last_used;
};

struct nh {
	struct virtio_dev dev;
	struct nhq rx, tx;
	uint16_t good_head; /* the good chain's descriptor: each queue's last */
	uint64_t accept;    /* features the case takes besides BASE_FEATURES */
	uint8_t *bad, *good, *rxgood;
	uint16_t mtu;
	uint32_t rx_need;   /* a whole frame (§5.1.6.3.1): 12 + 18 + MTU */
	uint32_t size;	    /* UDP payload of every datagram but "ready" */
	uint16_t buffers;   /* num_buffers the received frame must have (1) */
	uint8_t want_flags; /* the received header's flags (0) */
	struct net_addr me, peer;
	uint64_t tpus;
	struct piece chain[MAX_PIECES]; /* the case's bad chain */
	unsigned int nchain;
	uint64_t chain_hash;
	const char *why;
	const char *bad_key; /* a usage error: the key */
	struct fact facts[MAX_FACTS];
	unsigned int nfacts;
};

static inline void barrier(void)
{
	__asm__ volatile("" : : : "memory");
}

static inline void full_barrier(void)
{
	__asm__ volatile("mfence" : : : "memory");
}

static bool streq(const char *a, const char *b)
{
	while (*a && *a == *b) {
		a++;
		b++;
	}
	return *a == *b;
}

/* A fact for the report; a key given again keeps its last value. */
static void fact(struct nh *h, const char *key, uint64_t val)
{
	for (unsigned int i = 0; i < h->nfacts; i++) {
		if (streq(h->facts[i].key, key)) {
			h->facts[i].val = val;
			return;
		}
	}
	if (h->nfacts < MAX_FACTS)
		h->facts[h->nfacts++] = (struct fact){key, val};
}

static bool fail(struct nh *h, const char *why)
{
	if (!h->why)
		h->why = why;
	return false;
}

static uint64_t ticks(const struct nh *h, uint64_t us)
{
	return us * h->tpus;
}

static void spin_us(const struct nh *h, uint64_t us)
{
	uint64_t start = rdtsc();

	while (rdtsc() - start < ticks(h, us))
		cpu_relax();
}

static bool nh_setup(struct nh *h);

/* ---- the rings, by hand ---- */

static void notify(struct nh *h, uint32_t queue)
{
	*(volatile uint32_t *)(h->dev.regs + VIRTIO_MMIO_QUEUE_NOTIFY) = queue;
}

/* Descriptors head, head + 1, … for the pieces, linked in order; the head into the ring. */
static void chain_put(struct nhq *c, uint16_t head, const struct piece *pc, unsigned int n)
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
static void publish(struct nhq *c)
{
	barrier();
	c->q->avail->idx = c->avail_idx;
	full_barrier();
}

static uint16_t used_idx(const struct nhq *c)
{
	return c->q->used->idx;
}

/* Waits until an untaken used entry is there. */
static bool used_wait(struct nh *h, struct nhq *c, const char *why)
{
	uint64_t start = rdtsc();

	while (used_idx(c) == c->last_used) {
		if (rdtsc() - start > ticks(h, WAIT_US)) {
			fact(h, "queue", c->q->index);
			fact(h, "used_idx", used_idx(c));
			return fail(h, why);
		}
		cpu_relax();
	}
	barrier(); /* the index before the entry it covers */
	return true;
}

static void used_take(struct nhq *c, uint32_t *id, uint32_t *len)
{
	volatile struct virtq_used_elem *e = &c->q->used->ring[c->last_used & (c->q->num - 1)];

	*id = e->id;
	*len = e->len;
	c->last_used++;
}

/* The next used entry must be (head, len). */
static bool used_expect(struct nh *h, struct nhq *c, uint16_t head, uint32_t len, const char *why)
{
	uint32_t id, got;

	if (!used_wait(h, c, why))
		return false;
	used_take(c, &id, &got);
	if (id != head || got != len) {
		fact(h, "queue", c->q->index);
		fact(h, "got_id", id);
		fact(h, "got_len", got);
		fact(h, "want_id", head);
		fact(h, "want_len", len);
		return fail(h, "used entry differs from the expected one");
	}
	return true;
}

/* FNV-1a over every byte of the chain: the device must leave a dropped chain as it was. */
static uint64_t chain_hash(const struct piece *pc, unsigned int n)
{
	uint64_t x = 0xcbf29ce484222325ull;

	for (unsigned int k = 0; k < n; k++) {
		for (uint32_t i = 0; i < pc[k].len; i++)
			x = (x ^ pc[k].p[i]) * 0x100000001b3ull;
	}
	return x;
}

/* n pieces over [p, p + total): first bytes, then even ones, the last takes the rest. */
static void split(struct piece *pc, uint8_t *p, uint32_t total, unsigned int n, uint32_t first,
		  bool write)
{
	uint32_t each = n > 1 ? (total - first) / (n - 1) : 0, off = 0;

	for (unsigned int k = 0; k < n; k++) {
		uint32_t len = k == 0 ? first : k == n - 1 ? total - off : each;

		pc[k] = (struct piece){p + off, len, write};
		off += len;
	}
}

static void chain1(struct nh *h, uint8_t *p, uint32_t len, bool write)
{
	h->chain[0] = (struct piece){p, len, write};
	h->nchain = 1;
}

/* ---- frames ---- */

/* The bad chain's area: header (zeroed) and a frame after it. */
static struct virtio_net_hdr *bad_hdr(struct nh *h)
{
	memset(h->bad, 0, VIRTIO_NET_HDR_LEN);
	return (struct virtio_net_hdr *)h->bad;
}

static uint8_t *bad_frame(struct nh *h)
{
	return h->bad + VIRTIO_NET_HDR_LEN;
}

/* A datagram to the peer with payload index; partial: NEEDS_CSUM 34/6 and the pseudo sum. */
static uint32_t udp_frame(struct nh *h, uint8_t *f, uint32_t index, bool partial,
			  struct virtio_net_hdr *hdr)
{
	net_pattern_fill(f + NET_UDP_PAYLOAD, h->size, index);
	return net_udp_build(f, &h->me, &h->peer, h->size, partial, hdr);
}

/*
 * The same datagram behind an 802.1Q (0x8100) or 802.1ad (0x88a8) tag: built 4
 * bytes in, the MACs moved to the front and the tag put between them and the
 * IPv4 ethertype net_udp_build wrote; csum_start moves by the tag too.
 */
static uint32_t tagged_udp_frame(struct nh *h, uint8_t *f, uint16_t tpid, bool partial,
				 struct virtio_net_hdr *hdr)
{
	uint32_t len = udp_frame(h, f + 4, BAD_INDEX, partial, hdr);

	for (unsigned int i = 0; i < 12; i++)
		f[i] = f[i + 4];
	be16_put(f + 12, tpid);
	be16_put(f + 14, VLAN_TCI);
	if (partial)
		hdr->csum_start = (uint16_t)(hdr->csum_start + 4);
	return len + 4;
}

/*
 * A TCP/IPv4 super-frame of two MSS segments (ports as the datagrams'), as a
 * TSO driver sends it: NEEDS_CSUM 34/16 over the pseudo-header sum, GSO
 * TCPV4, gso_size MSS, hdr_len 54. doff: the TCP data offset in 32-bit words.
 */
static uint32_t tcp_frame(struct nh *h, uint8_t *f, uint8_t doff, struct virtio_net_hdr *hdr)
{
	uint32_t payload = 2 * MSS, tcp_len = TCP_HLEN + payload;
	uint8_t *ip = f + NET_ETH_HLEN, *t = ip + NET_IP4_HLEN, ph[12];

	memcpy(f, h->peer.mac, 6);
	memcpy(f + 6, h->me.mac, 6);
	be16_put(f + 12, NET_ETH_P_IP);
	memset(ip, 0, NET_IP4_HLEN + TCP_HLEN);
	ip[0] = 0x45;
	be16_put(ip + 2, (uint16_t)(NET_IP4_HLEN + tcp_len));
	be16_put(ip + 6, 0x4000); /* DF */
	ip[8] = 64;
	ip[9] = IP_TCP;
	be32_put(ip + 12, h->me.ip);
	be32_put(ip + 16, h->peer.ip);
	be16_put(ip + 10, (uint16_t)~net_csum_fold(net_csum_add(0, ip, NET_IP4_HLEN)));
	be16_put(t, h->me.port);
	be16_put(t + 2, h->peer.port);
	be32_put(t + 4, 1);
	t[12] = (uint8_t)(doff << 4);
	t[13] = 0x18; /* PSH, ACK */
	be16_put(t + 14, 0xffff);
	net_pattern_fill(t + TCP_HLEN, payload, BAD_INDEX);
	be32_put(ph, h->me.ip);
	be32_put(ph + 4, h->peer.ip);
	ph[8] = 0;
	ph[9] = IP_TCP;
	be16_put(ph + 10, (uint16_t)tcp_len);
	be16_put(t + TCP_CSUM, net_csum_fold(net_csum_add(0, ph, sizeof(ph))));
	hdr->flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	hdr->gso_type = VIRTIO_NET_HDR_GSO_TCPV4;
	hdr->gso_size = MSS;
	hdr->hdr_len = NET_ETH_HLEN + NET_IP4_HLEN + TCP_HLEN;
	hdr->csum_start = NET_ETH_HLEN + NET_IP4_HLEN;
	hdr->csum_offset = TCP_CSUM;
	return NET_ETH_HLEN + NET_IP4_HLEN + tcp_len;
}

/* ---- TX ---- */

/* "ready:SIZE": the peer answers with one datagram of SIZE bytes. */
static const char *ready_text(const struct nh *h)
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
static bool tx_send(struct nh *h, const char *text, const char *why)
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
	chain_put(&h->tx, h->good_head, &pc, 1);
	publish(&h->tx);
	notify(h, NETDRV_TXQ);
	fact(h, text ? "ready_len" : "good_len", len);
	return used_expect(h, &h->tx, h->good_head, 0, why);
}

/*
 * The case's chain on the TX queue, one kick: back with its id and length 0,
 * untouched; then the good datagram. bad_frame_len: the readable bytes after
 * the header (what the device counts if it sends the frame).
 */
static bool tx_run(struct nh *h)
{
	uint64_t readable = 0;

	for (unsigned int k = 0; k < h->nchain; k++)
		readable += h->chain[k].write ? 0 : h->chain[k].len;
	fact(h, "bad_frame_len", readable > VIRTIO_NET_HDR_LEN ? readable - VIRTIO_NET_HDR_LEN : 0);
	fact(h, "bad_pieces", h->nchain);
	h->chain_hash = chain_hash(h->chain, h->nchain);
	chain_put(&h->tx, BAD_HEAD, h->chain, h->nchain);
	publish(&h->tx);
	notify(h, NETDRV_TXQ);
	if (!used_expect(h, &h->tx, BAD_HEAD, 0, "the case's TX chain did not come back"))
		return false;
	fact(h, "bad_id", BAD_HEAD);
	if (chain_hash(h->chain, h->nchain) != h->chain_hash)
		return fail(h, "the device wrote into a TX chain");
	return tx_send(h, NULL, "the good datagram's chain did not come back");
}

/* Header and datagram in one readable descriptor; the caller edits the header. */
static struct virtio_net_hdr *tx_udp(struct nh *h, bool partial)
{
	struct virtio_net_hdr *hdr = bad_hdr(h);

	chain1(h, h->bad, VIRTIO_NET_HDR_LEN + udp_frame(h, bad_frame(h), BAD_INDEX, partial, hdr),
	       false);
	return hdr;
}

static struct virtio_net_hdr *tx_tcp(struct nh *h, uint8_t doff)
{
	struct virtio_net_hdr *hdr = bad_hdr(h);

	chain1(h, h->bad, VIRTIO_NET_HDR_LEN + tcp_frame(h, bad_frame(h), doff, hdr), false);
	return hdr;
}

/* §5.1.6.2: the header is 12 bytes; a chain of 8 has none. */
static bool case_tx_chain_shorter_than_header(struct nh *h)
{
	memset(h->bad, 0, 8);
	chain1(h, h->bad, 8, false);
	return tx_run(h);
}

/* A header and an empty frame. */
static bool case_tx_header_only(struct nh *h)
{
	bad_hdr(h);
	chain1(h, h->bad, VIRTIO_NET_HDR_LEN, false);
	return tx_run(h);
}

/* One byte short of an Ethernet header: the start of a good datagram. */
static bool case_tx_frame_13_bytes(struct nh *h)
{
	tx_udp(h, false);
	h->chain[0].len = VIRTIO_NET_HDR_LEN + 13;
	return tx_run(h);
}

/* Exactly an Ethernet header (local experimental ethertype), nothing after it: sent. */
static bool case_tx_frame_14_bytes(struct nh *h)
{
	uint8_t *f = bad_frame(h);

	bad_hdr(h);
	memcpy(f, h->peer.mac, 6);
	memcpy(f + 6, h->me.mac, 6);
	be16_put(f + 12, ETH_P_LOCAL);
	chain1(h, h->bad, VIRTIO_NET_HDR_LEN + NET_ETH_HLEN, false);
	return tx_run(h);
}

/* A frame of len bytes (local ethertype, a pattern) in 1 + 5 descriptors. */
static bool tx_long(struct nh *h, uint32_t len)
{
	uint8_t *f = bad_frame(h);

	bad_hdr(h);
	memcpy(f, h->peer.mac, 6);
	memcpy(f + 6, h->me.mac, 6);
	be16_put(f + 12, ETH_P_LOCAL);
	net_pattern_fill(f + NET_ETH_HLEN, len - NET_ETH_HLEN, BAD_INDEX);
	split(h->chain, h->bad, VIRTIO_NET_HDR_LEN + len, 6, VIRTIO_NET_HDR_LEN, false);
	h->nchain = 6;
	return tx_run(h);
}

/* 65551 bytes, one more than the largest frame (§5.1.6.3.1). */
static bool case_tx_frame_too_long(struct nh *h)
{
	return tx_long(h, NETDRV_MAX_FRAME + 1);
}

/* 65550 bytes, the largest frame: the device hands it to its backend. */
static bool case_tx_frame_max(struct nh *h)
{
	return tx_long(h, NETDRV_MAX_FRAME);
}

/* §2.7.4.2 allows it, §5.1.6.2 has no use for it: a good datagram, then a writable buffer. */
static bool case_tx_writable_descriptor(struct nh *h)
{
	tx_udp(h, false);
	memset(h->bad + WRITABLE_AT, CANARY, 256);
	h->chain[1] = (struct piece){h->bad + WRITABLE_AT, 256, true};
	h->nchain = 2;
	return tx_run(h);
}

/* An RX buffer (one writable descriptor of a whole frame's size) on the TX queue. */
static bool case_rx_buffer_on_tx_queue(struct nh *h)
{
	memset(h->bad, CANARY, h->rx_need);
	chain1(h, h->bad, h->rx_need, true);
	return tx_run(h);
}

/* §5.1.6.2.1: without VIRTIO_NET_F_CSUM the driver MUST NOT set NEEDS_CSUM. */
static bool case_tx_csum_not_negotiated(struct nh *h)
{
	struct virtio_net_hdr *hdr = tx_udp(h, false);

	hdr->flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	hdr->csum_start = NET_ETH_HLEN + NET_IP4_HLEN;
	hdr->csum_offset = NET_UDP_CSUM_OFF;
	return tx_run(h);
}

/* csum_start at the frame's end. */
static bool case_tx_csum_start_past_frame(struct nh *h)
{
	struct virtio_net_hdr *hdr = tx_udp(h, true);

	hdr->csum_start = (uint16_t)(h->chain[0].len - VIRTIO_NET_HDR_LEN);
	return tx_run(h);
}

/* csum_start inside the Ethernet header (14: the first byte after it is fine, this is not). */
static bool case_tx_csum_start_in_l2(struct nh *h)
{
	struct virtio_net_hdr *hdr = tx_udp(h, true);

	hdr->csum_start = NET_ETH_HLEN;
	return tx_run(h);
}

/* The 16-bit field would end one byte past the frame. */
static bool case_tx_csum_field_past_frame(struct nh *h)
{
	struct virtio_net_hdr *hdr = tx_udp(h, true);
	uint32_t len = h->chain[0].len - VIRTIO_NET_HDR_LEN;

	hdr->csum_start = (uint16_t)(len - 2 - NET_UDP_CSUM_OFF + 1);
	return tx_run(h);
}

/* csum_start + csum_offset + 2 wraps to 0 in 16 bits: only a wider sum sees it past the frame. */
static bool case_tx_csum_16bit_wrap(struct nh *h)
{
	struct virtio_net_hdr *hdr = tx_udp(h, true);

	hdr->csum_start = 0xfff8;
	hdr->csum_offset = NET_UDP_CSUM_OFF;
	return tx_run(h);
}

/* Neither TCP's 16 nor UDP's 6. */
static bool case_tx_csum_offset_10(struct nh *h)
{
	struct virtio_net_hdr *hdr = tx_udp(h, true);

	hdr->csum_offset = 10;
	return tx_run(h);
}

/* §5.1.6.2.1: GSO needs a segment size. */
static bool case_tx_gso_size_0(struct nh *h)
{
	tx_tcp(h, TCP_HLEN / 4)->gso_size = 0;
	return tx_run(h);
}

/* §5.1.6.2.1: GSO MUST come with NEEDS_CSUM. */
static bool case_tx_gso_without_needs_csum(struct nh *h)
{
	tx_tcp(h, TCP_HLEN / 4)->flags = 0;
	return tx_run(h);
}

/* TCPV4 with CSUM negotiated but not HOST_TSO4. */
static bool case_tx_gso_not_negotiated(struct nh *h)
{
	tx_tcp(h, TCP_HLEN / 4);
	return tx_run(h);
}

/* GSO type 3 (UFO): HOST_UFO is never offered, so never negotiated. */
static bool case_tx_gso_ufo(struct nh *h)
{
	struct virtio_net_hdr *hdr = tx_udp(h, true);

	hdr->gso_type = VIRTIO_NET_HDR_GSO_UDP;
	hdr->gso_size = MSS;
	return tx_run(h);
}

/* GSO type 9: no such type. */
static bool case_tx_gso_unknown_type(struct nh *h)
{
	tx_tcp(h, TCP_HLEN / 4)->gso_type = 9;
	return tx_run(h);
}

/* TCPV4 | ECN with HOST_TSO4 but not HOST_ECN (§5.1.6.2.1). */
static bool case_tx_ecn_without_host_ecn(struct nh *h)
{
	tx_tcp(h, TCP_HLEN / 4)->gso_type = VIRTIO_NET_HDR_GSO_TCPV4 | VIRTIO_NET_HDR_GSO_ECN;
	return tx_run(h);
}

/* The ECN bit on a frame that asks for no segmentation (a checksum only). */
static bool case_tx_ecn_without_gso(struct nh *h)
{
	tx_udp(h, true)->gso_type = VIRTIO_NET_HDR_GSO_ECN;
	return tx_run(h);
}

/* TCP data offset 4 (16 bytes): shorter than a TCP header, so no segment can be built. */
static bool case_tx_gso_tcp_header_short(struct nh *h)
{
	tx_tcp(h, 4);
	return tx_run(h);
}

/* TCP segmentation with UDP's checksum offset. */
static bool case_tx_gso_tcp_with_udp_csum(struct nh *h)
{
	tx_tcp(h, TCP_HLEN / 4)->csum_offset = NET_UDP_CSUM_OFF;
	return tx_run(h);
}

/* A partial checksum behind an 802.1ad (QinQ outer) tag: no IP header where one is expected. */
static bool case_tx_qinq_frame_with_csum(struct nh *h)
{
	struct virtio_net_hdr *hdr = bad_hdr(h);

	chain1(h, h->bad,
	       VIRTIO_NET_HDR_LEN + tagged_udp_frame(h, bad_frame(h), ETH_P_QINQ, true, hdr),
	       false);
	return tx_run(h);
}

/* The same tag without an offload request: nothing to look into, sent. */
static bool case_tx_qinq_frame_without_csum(struct nh *h)
{
	struct virtio_net_hdr *hdr = bad_hdr(h);

	chain1(h, h->bad,
	       VIRTIO_NET_HDR_LEN + tagged_udp_frame(h, bad_frame(h), ETH_P_QINQ, false, hdr),
	       false);
	return tx_run(h);
}

/* One 802.1Q tag, csum_start 38: a frame the device must finish and send. */
static bool case_tx_vlan_frame_with_csum(struct nh *h)
{
	struct virtio_net_hdr *hdr = bad_hdr(h);

	chain1(h, h->bad,
	       VIRTIO_NET_HDR_LEN + tagged_udp_frame(h, bad_frame(h), ETH_P_VLAN, true, hdr),
	       false);
	return tx_run(h);
}

/* §5.1.6.2: num_buffers is the device's field; on TX it means nothing: sent. */
static bool case_tx_num_buffers_nonzero(struct nh *h)
{
	tx_udp(h, false)->num_buffers = 0x1234;
	return tx_run(h);
}

/* §5.1.6.2.2: hdr_len is a hint the device must not rely on: sent, checksum finished. */
static bool case_tx_hdr_len_garbage(struct nh *h)
{
	tx_udp(h, true)->hdr_len = 0xffff;
	return tx_run(h);
}

/* DATA_VALID is an RX flag: ignored on TX, sent (without CSUM negotiated, too). */
static bool case_tx_data_valid_flag_set(struct nh *h)
{
	tx_udp(h, false)->flags = VIRTIO_NET_HDR_F_DATA_VALID;
	return tx_run(h);
}

/* RSC_INFO and the undefined flag bits: ignored, sent. */
static bool case_tx_unknown_flags(struct nh *h)
{
	tx_udp(h, false)->flags = 0xfc;
	return tx_run(h);
}

/* VERSION_1 means any layout (§5.1.6.2): the header in 5 + 7 bytes, the frame apart. */
static bool case_tx_header_split(struct nh *h)
{
	uint32_t len =
		VIRTIO_NET_HDR_LEN + udp_frame(h, bad_frame(h), BAD_INDEX, false, bad_hdr(h));

	h->chain[0] = (struct piece){h->bad, 5, false};
	h->chain[1] = (struct piece){h->bad + 5, 7, false};
	h->chain[2] = (struct piece){h->bad + VIRTIO_NET_HDR_LEN, len - VIRTIO_NET_HDR_LEN, false};
	h->nchain = 3;
	return tx_run(h);
}

/* Zero-length descriptors before, between and after the pieces: nothing to read, sent. */
static bool case_tx_zero_length_descriptors(struct nh *h)
{
	uint32_t len =
		VIRTIO_NET_HDR_LEN + udp_frame(h, bad_frame(h), BAD_INDEX, false, bad_hdr(h));

	h->chain[0] = (struct piece){h->bad, 0, false};
	h->chain[1] = (struct piece){h->bad, VIRTIO_NET_HDR_LEN, false};
	h->chain[2] = (struct piece){h->bad + VIRTIO_NET_HDR_LEN, 0, false};
	h->chain[3] = (struct piece){h->bad + VIRTIO_NET_HDR_LEN, len - VIRTIO_NET_HDR_LEN, false};
	h->chain[4] = (struct piece){h->bad + len, 0, false};
	h->nchain = 5;
	return tx_run(h);
}

/* 65 descriptors, the header sharing the first with a frame byte: 65 frame pieces. */
static bool case_tx_many_segments(struct nh *h)
{
	uint32_t len =
		VIRTIO_NET_HDR_LEN + udp_frame(h, bad_frame(h), BAD_INDEX, false, bad_hdr(h));

	split(h->chain, h->bad, len, 65, VIRTIO_NET_HDR_LEN + 1, false);
	h->nchain = 65;
	return tx_run(h);
}

/* 65 descriptors, the header alone in the first: 64 frame pieces, sent. */
static bool case_tx_segments_64(struct nh *h)
{
	uint32_t len =
		VIRTIO_NET_HDR_LEN + udp_frame(h, bad_frame(h), BAD_INDEX, false, bad_hdr(h));

	split(h->chain, h->bad, len, 65, VIRTIO_NET_HDR_LEN, false);
	h->nchain = 65;
	return tx_run(h);
}

/*
 * 10000 bad requests (csum_offset 10) in batches of 128 chains, each batch in
 * one kick: every chain back with length 0, once; then the good datagram.
 */
static bool case_tx_drop_flood(struct nh *h)
{
	struct virtio_net_hdr *hdr = tx_udp(h, true);
	struct piece pc = h->chain[0];
	uint64_t start = rdtsc();
	uint32_t done = 0;

	hdr->csum_offset = 10;
	h->chain_hash = chain_hash(&pc, 1);
	while (done < FLOOD) {
		uint32_t n = FLOOD - done < FLOOD_BATCH ? FLOOD - done : FLOOD_BATCH;
		uint8_t seen[FLOOD_BATCH] = {0};

		for (uint32_t k = 0; k < n; k++)
			chain_put(&h->tx, (uint16_t)k, &pc, 1);
		publish(&h->tx);
		notify(h, NETDRV_TXQ);
		for (uint32_t k = 0; k < n; k++) {
			uint32_t id, len;

			if (!used_wait(h, &h->tx, "a chain of the flood did not come back")) {
				fact(h, "flood_done", done + k);
				return false;
			}
			used_take(&h->tx, &id, &len);
			if (id >= n || seen[id]++ || len) {
				fact(h, "flood_done", done + k);
				fact(h, "got_id", id);
				fact(h, "got_len", len);
				return fail(h, "flood: a used entry with a bad or repeated id, or "
					       "a length");
			}
		}
		done += n;
	}
	fact(h, "flood", done);
	fact(h, "flood_us", (rdtsc() - start) / h->tpus);
	if (chain_hash(&pc, 1) != h->chain_hash)
		return fail(h, "the device wrote into a TX chain");
	return tx_send(h, NULL, "the good datagram's chain did not come back");
}

/*
 * The same head twice in one batch (§2.7.13.3: a driver must not make a chain
 * available again before it is used): each use comes back with length 0 and
 * nothing else happens; how many uses there were is reported (completions).
 */
static bool case_tx_duplicate_head(struct nh *h)
{
	uint32_t id, len, n = 1;

	tx_udp(h, false);
	fact(h, "bad_frame_len", h->chain[0].len - VIRTIO_NET_HDR_LEN);
	h->chain_hash = chain_hash(h->chain, 1);
	chain_put(&h->tx, BAD_HEAD, h->chain, 1);
	chain_put(&h->tx, BAD_HEAD, h->chain, 1);
	publish(&h->tx);
	notify(h, NETDRV_TXQ);
	if (!used_expect(h, &h->tx, BAD_HEAD, 0, "the duplicated TX chain did not come back"))
		return false;
	fact(h, "bad_id", BAD_HEAD);
	spin_us(h, QUIET_US);
	while (used_idx(&h->tx) != h->tx.last_used) {
		used_take(&h->tx, &id, &len);
		if (id != BAD_HEAD || len || ++n > 2) {
			fact(h, "got_id", id);
			fact(h, "got_len", len);
			return fail(h, "more or other used entries than the two uses of the head");
		}
	}
	fact(h, "completions", n);
	if (chain_hash(h->chain, 1) != h->chain_hash)
		return fail(h, "the device wrote into a TX chain");
	return tx_send(h, NULL, "the good datagram's chain did not come back");
}

/* The header readable, the frame's descriptor at 4 TiB, outside guest RAM (C.6 19). */
static bool case_tx_addr_outside_ram(struct nh *h)
{
	bad_hdr(h);
	h->chain[0] = (struct piece){h->bad, VIRTIO_NET_HDR_LEN, false};
	h->chain[1] = (struct piece){(uint8_t *)(uintptr_t)OUTSIDE_RAM, 64, false};
	h->nchain = 2;
	/* Only the first piece is ours to hash: the second is not memory at all. */
	h->chain_hash = chain_hash(h->chain, 1);
	fact(h, "bad_pieces", 2);
	chain_put(&h->tx, BAD_HEAD, h->chain, 2);
	publish(&h->tx);
	notify(h, NETDRV_TXQ);
	if (!used_expect(h, &h->tx, BAD_HEAD, 0, "the case's TX chain did not come back"))
		return false;
	fact(h, "bad_id", BAD_HEAD);
	if (chain_hash(h->chain, 1) != h->chain_hash)
		return fail(h, "the device wrote into a TX chain");
	return tx_send(h, NULL, "the good datagram's chain did not come back");
}

/* ---- RX ---- */

/* The peer's datagram in a buffer: the header, then the pattern from the peer to us. */
/*
 * NEEDS_CSUM on RX (§5.1.6.4.1): the sum from csum_start on, the field at
 * csum_start + csum_offset holding the pseudo-header sum, finished in place
 * as a NIC would; false if the field lies outside the frame.
 */
static bool rx_finish_csum(uint8_t *f, uint32_t len, const struct virtio_net_hdr *hdr)
{
	uint32_t at = (uint32_t)hdr->csum_start + hdr->csum_offset;
	uint16_t v;

	if (hdr->csum_start >= len || at + 2 > len)
		return false;
	v = (uint16_t)~net_csum_fold(net_csum_add(0, f + hdr->csum_start, len - hdr->csum_start));
	be16_put(f + at, v);
	return true;
}

/*
 * The buffer (cap bytes, canary-filled before it was posted) after the device
 * used len bytes of it: a header with num_buffers as h->buffers, flags exactly
 * h->want_flags and every other field 0 (no GSO negotiated here; NEEDS_CSUM
 * with UDP's 34/6), then the peer's datagram, and nothing written after it.
 */
static bool rx_check(struct nh *h, uint8_t *b, uint32_t len, uint32_t cap)
{
	struct virtio_net_hdr hdr;
	struct net_pkt p;
	bool partial = h->want_flags & VIRTIO_NET_HDR_F_NEEDS_CSUM;

	fact(h, "rx_used_len", len);
	if (len < VIRTIO_NET_HDR_LEN || len > cap)
		return fail(h, "RX used length outside the buffer");
	for (uint32_t i = len; i < cap; i++) {
		if (b[i] != CANARY) {
			fact(h, "written_at", i);
			return fail(h, "the device wrote past the used length");
		}
	}
	memcpy(&hdr, b, VIRTIO_NET_HDR_LEN);
	fact(h, "num_buffers", hdr.num_buffers);
	fact(h, "rx_flags", hdr.flags);
	/* §5.1.6.4: 1 without MRG_RXBUF; with it the buffers the frame took. */
	if (hdr.num_buffers != h->buffers)
		return fail(h, "num_buffers is not the buffers the frame took");
	if (hdr.flags != h->want_flags || hdr.gso_type || hdr.gso_size || hdr.hdr_len)
		return fail(h, "RX header flags or GSO fields other than expected");
	if (partial ? hdr.csum_start != NET_ETH_HLEN + NET_IP4_HLEN ||
			      hdr.csum_offset != NET_UDP_CSUM_OFF
		    : hdr.csum_start || hdr.csum_offset)
		return fail(h, "RX header csum_start or csum_offset other than expected");
	fact(h, "rx_frame_len", len - VIRTIO_NET_HDR_LEN);
	if (partial && !rx_finish_csum(b + VIRTIO_NET_HDR_LEN, len - VIRTIO_NET_HDR_LEN, &hdr))
		return fail(h, "NEEDS_CSUM with the field outside the frame");
	net_parse(b + VIRTIO_NET_HDR_LEN, len - VIRTIO_NET_HDR_LEN, false, &p);
	if (p.kind != NET_UDP)
		return fail(h, "the received frame is not a good UDP datagram");
	if (p.src_ip != h->peer.ip || p.dst_ip != h->me.ip || p.dport != h->me.port)
		return fail(h, "a datagram from or to another address or port");
	if (p.payload_len != h->size || net_pattern_check(p.payload, p.payload_len) != BAD_INDEX)
		return fail(h, "the datagram's payload is not the peer's");
	return true;
}

/*
 * After the posts: "ready" to the peer, then its datagram must land in the
 * good buffer (the chain at good_head) and the case's chain at BAD_HEAD, if
 * any, come back with length 0 and untouched, in either order.
 */
static bool rx_collect(struct nh *h, uint16_t good_head, const struct piece *good,
		       unsigned int ngood)
{
	unsigned int want = h->nchain ? 2 : 1;
	uint32_t cap = 0;
	bool got_good = false, got_bad = false;

	for (unsigned int k = 0; k < ngood; k++)
		cap += good[k].len;
	if (!tx_send(h, ready_text(h), "the ready datagram's chain did not come back"))
		return false;
	for (unsigned int i = 0; i < want; i++) {
		uint32_t id, len;

		if (!used_wait(h, &h->rx,
			       got_good ? "the case's RX chain did not come back"
					: "no datagram from the peer in the good buffer"))
			return false;
		used_take(&h->rx, &id, &len);
		if (h->nchain && id == BAD_HEAD && !got_bad) {
			got_bad = true;
			fact(h, "bad_id", id);
			fact(h, "bad_used_len", len);
			if (len)
				return fail(h, "the case's RX chain came back with a length");
		} else if (id == good_head && !got_good) {
			got_good = true;
			fact(h, "good_id", id);
			if (!rx_check(h, good[0].p, len, cap))
				return false;
		} else {
			fact(h, "got_id", id);
			fact(h, "got_len", len);
			return fail(h, "RX used entry with an unexpected id");
		}
	}
	if (h->nchain && chain_hash(h->chain, h->nchain) != h->chain_hash)
		return fail(h, "the device wrote into an RX chain it did not use");
	return true;
}

/* The case's chain (canary-filled where writable) and a good buffer, one kick, then collect. */
static bool rx_run(struct nh *h)
{
	struct piece good = {h->rxgood, h->rx_need, true};

	for (unsigned int k = 0; k < h->nchain; k++) {
		if (h->chain[k].write)
			memset(h->chain[k].p, CANARY, h->chain[k].len);
	}
	fact(h, "bad_pieces", h->nchain);
	h->chain_hash = chain_hash(h->chain, h->nchain);
	memset(h->rxgood, CANARY, h->rx_need);
	chain_put(&h->rx, BAD_HEAD, h->chain, h->nchain);
	chain_put(&h->rx, h->good_head, &good, 1);
	publish(&h->rx);
	notify(h, NETDRV_RXQ);
	return rx_collect(h, h->good_head, &good, 1);
}

/* A 100-byte buffer: far from a whole frame (§5.1.6.3.1). */
static bool case_rx_buffer_too_small(struct nh *h)
{
	chain1(h, h->bad, 100, true);
	return rx_run(h);
}

/* One byte less than 12 + 18 + MTU. */
static bool case_rx_buffer_one_short(struct nh *h)
{
	chain1(h, h->bad, h->rx_need - 1, true);
	return rx_run(h);
}

/* §5.1.6.3: RX buffers are device-writable; this one is readable only. */
static bool case_rx_readonly_buffer(struct nh *h)
{
	memset(h->bad, CANARY, h->rx_need);
	chain1(h, h->bad, h->rx_need, false);
	return rx_run(h);
}

/* A readable header piece, then a writable buffer of a whole frame. */
static bool case_rx_mixed_read_write_buffer(struct nh *h)
{
	memset(h->bad, CANARY, VIRTIO_NET_HDR_LEN);
	h->chain[0] = (struct piece){h->bad, VIRTIO_NET_HDR_LEN, false};
	h->chain[1] = (struct piece){h->bad + VIRTIO_NET_HDR_LEN, h->rx_need, true};
	h->nchain = 2;
	return rx_run(h);
}

/* Writable, then readable: the order §2.7.4.2 forbids. */
static bool case_rx_write_then_read(struct nh *h)
{
	memset(h->bad + h->rx_need, CANARY, VIRTIO_NET_HDR_LEN);
	h->chain[0] = (struct piece){h->bad, h->rx_need, true};
	h->chain[1] = (struct piece){h->bad + h->rx_need, VIRTIO_NET_HDR_LEN, false};
	h->nchain = 2;
	return rx_run(h);
}

/* One writable descriptor of length 0. */
static bool case_rx_zero_length_descriptor_only(struct nh *h)
{
	chain1(h, h->bad, 0, true);
	return rx_run(h);
}

/* A whole frame's size in 65 writable pieces. */
static bool case_rx_many_pieces(struct nh *h)
{
	split(h->chain, h->bad, h->rx_need, 65, VIRTIO_NET_HDR_LEN, true);
	h->nchain = 65;
	return rx_run(h);
}

/* The good buffer itself in 64 pieces (the header alone in the first): it takes the frame. */
static bool case_rx_pieces_64(struct nh *h)
{
	static struct piece pc[64];

	split(pc, h->rxgood, h->rx_need, 64, VIRTIO_NET_HDR_LEN, true);
	h->nchain = 0;
	memset(h->rxgood, CANARY, h->rx_need);
	chain_put(&h->rx, BAD_HEAD, pc, 64);
	publish(&h->rx);
	notify(h, NETDRV_RXQ);
	fact(h, "good_pieces", 64);
	return rx_collect(h, BAD_HEAD, pc, 64);
}

/*
 * QueueNotify for queue 2 (the control queue, not offered) and 5 with a buffer
 * available: nothing happens; the kick for queue 0 then works.
 */
static bool case_rx_notify_wrong_queue(struct nh *h)
{
	struct piece good = {h->rxgood, h->rx_need, true};

	h->nchain = 0;
	memset(h->rxgood, CANARY, h->rx_need);
	chain_put(&h->rx, h->good_head, &good, 1);
	publish(&h->rx);
	notify(h, 2);
	notify(h, 5);
	fact(h, "bad_notifies", 2);
	spin_us(h, QUIET_US);
	if (used_idx(&h->rx) != h->rx.last_used || used_idx(&h->tx) != h->tx.last_used)
		return fail(h, "a kick for a queue that does not exist moved a used ring");
	notify(h, NETDRV_RXQ);
	return rx_collect(h, h->good_head, &good, 1);
}

/* What a TX chain looks like (header and datagram, readable) posted on the RX queue. */
static bool case_tx_on_rx_queue(struct nh *h)
{
	tx_udp(h, false);
	return rx_run(h);
}

/* With MRG_RXBUF a buffer must hold at least the header (§5.1.6.3.2): 11 bytes do not. */
static bool case_rx_mrg_buffer_below_header(struct nh *h)
{
	chain1(h, h->bad, VIRTIO_NET_HDR_LEN - 1, true);
	return rx_run(h);
}

static bool case_rx_mrg_readonly_buffer(struct nh *h)
{
	memset(h->bad, CANARY, h->rx_need);
	chain1(h, h->bad, h->rx_need, false);
	return rx_run(h);
}

/*
 * GUEST_CSUM negotiated, so the device asks the tap for partial checksums: a
 * host socket's datagram arrives with NEEDS_CSUM. Then a reset and a
 * negotiation without it (C.6 36): the device must tell the tap, and the next
 * datagram arrives with its checksum complete and no flags.
 */
static bool case_rx_renegotiate_fewer_offloads(struct nh *h)
{
	struct piece good = {h->rxgood, h->rx_need, true};

	h->nchain = 0;
	h->want_flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	memset(h->rxgood, CANARY, h->rx_need);
	chain_put(&h->rx, h->good_head, &good, 1);
	publish(&h->rx);
	notify(h, NETDRV_RXQ);
	if (!rx_collect(h, h->good_head, &good, 1))
		return false;
	fact(h, "first_flags", VIRTIO_NET_HDR_F_NEEDS_CSUM);
	if (!virtio_reset(&h->dev))
		return fail(h, "Status did not read 0 after the reset");
	h->accept = C_NONE;
	h->want_flags = 0;
	if (!nh_setup(h))
		return false;
	memset(h->rxgood, CANARY, h->rx_need);
	chain_put(&h->rx, h->good_head, &good, 1);
	publish(&h->rx);
	notify(h, NETDRV_RXQ);
	return rx_collect(h, h->good_head, &good, 1);
}

static void reg_w(struct nh *h, uint32_t off, uint32_t v)
{
	*(volatile uint32_t *)(h->dev.regs + off) = v;
}

/*
 * HOST_TSO4 and GUEST_TSO4 without CSUM and GUEST_CSUM, dependencies §5.1.3.1
 * makes: FEATURES_OK must not stick (§3.1.1 step 6). By hand, so that
 * FEATURES_OK is written once; then FAILED, and a negotiation without them.
 */
static bool case_features_dependency_broken(struct nh *h)
{
	uint64_t bad = BASE_FEATURES | NF(HOST_TSO4) | NF(GUEST_TSO4);
	uint32_t st;

	if ((virtio_read_features(&h->dev) & bad) != bad)
		return fail(h, "the device does not offer HOST_TSO4 and GUEST_TSO4");
	if (!virtio_reset(&h->dev))
		return fail(h, "Status did not read 0 after the reset");
	reg_w(h, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE);
	reg_w(h, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	reg_w(h, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	reg_w(h, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)bad);
	reg_w(h, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	reg_w(h, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(bad >> 32));
	reg_w(h, VIRTIO_MMIO_STATUS,
	      VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
	st = virtio_read_status(&h->dev);
	fact(h, "status_refused", st);
	if (st & VIRTIO_STATUS_FEATURES_OK)
		return fail(h, "FEATURES_OK accepted for TSO without checksum offload");
	reg_w(h, VIRTIO_MMIO_STATUS,
	      VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FAILED);
	if (!nh_setup(h))
		return false;
	return tx_send(h, NULL, "the good datagram's chain did not come back");
}

/* The good buffer made available twice: the datagram arrives once, nothing else comes back. */
static bool case_rx_duplicate_head(struct nh *h)
{
	struct piece good = {h->rxgood, h->rx_need, true};

	h->nchain = 0;
	memset(h->rxgood, CANARY, h->rx_need);
	chain_put(&h->rx, h->good_head, &good, 1);
	chain_put(&h->rx, h->good_head, &good, 1);
	publish(&h->rx);
	notify(h, NETDRV_RXQ);
	return rx_collect(h, h->good_head, &good, 1);
}

/*
 * MRG_RXBUF with too little room posted (C.6 33): one 512-byte buffer when the
 * peer's 1054-byte frame (header included) comes. Nothing may be delivered into
 * it alone; once three more are posted the frame takes the first three
 * (num_buffers 3, all but the last full) and the fourth stays available.
 */
static bool case_rx_mrg_ring_dry(struct nh *h)
{
	struct piece pc[DRY_BUFS];
	uint32_t total = 0, frame;

	h->size = DRY_SIZE;
	h->buffers = 3;
	h->nchain = 0;
	frame = VIRTIO_NET_HDR_LEN + NET_UDP_PAYLOAD + DRY_SIZE;
	memset(h->rxgood, CANARY, DRY_BUF * DRY_BUFS);
	for (unsigned int k = 0; k < DRY_BUFS; k++)
		pc[k] = (struct piece){h->rxgood + k * DRY_BUF, DRY_BUF, true};
	chain_put(&h->rx, DRY_HEAD, &pc[0], 1);
	publish(&h->rx);
	notify(h, NETDRV_RXQ);
	if (!tx_send(h, ready_text(h), "the ready datagram's chain did not come back"))
		return false;
	spin_us(h, DRY_WAIT_US);
	if (used_idx(&h->rx) != h->rx.last_used)
		return fail(h, "a frame went into less room than a whole frame needs");
	for (unsigned int k = 1; k < DRY_BUFS; k++)
		chain_put(&h->rx, (uint16_t)(DRY_HEAD + k), &pc[k], 1);
	publish(&h->rx);
	notify(h, NETDRV_RXQ);
	for (unsigned int k = 0; k < 3; k++) {
		uint32_t id, len, want = frame - total < DRY_BUF ? frame - total : DRY_BUF;

		if (!used_wait(h, &h->rx, "the frame did not come once the buffers were there"))
			return false;
		used_take(&h->rx, &id, &len);
		if (id != DRY_HEAD + k || len != want) {
			fact(h, "got_id", id);
			fact(h, "got_len", len);
			fact(h, "want_id", DRY_HEAD + k);
			fact(h, "want_len", want);
			return fail(h, "merged buffers used out of order or not filled");
		}
		total += len;
	}
	fact(h, "good_id", DRY_HEAD);
	return rx_check(h, h->rxgood, total, DRY_BUF * DRY_BUFS);
}

/*
 * MRG_RXBUF with buffers of exactly the header's 12 bytes, the least
 * §5.1.6.3.2 allows: 128 of them, side by side; the 118-byte frame (header
 * included) takes 10 (num_buffers 10, nine full, the last 10 bytes).
 */
static bool case_rx_mrg_header_size_buffers(struct nh *h)
{
	static struct piece pc[HDR_BUFS];
	uint32_t total = 0, frame = VIRTIO_NET_HDR_LEN + NET_UDP_PAYLOAD + h->size;
	uint16_t want_bufs = (uint16_t)((frame + VIRTIO_NET_HDR_LEN - 1) / VIRTIO_NET_HDR_LEN);

	h->buffers = want_bufs;
	h->nchain = 0;
	memset(h->rxgood, CANARY, HDR_BUFS * VIRTIO_NET_HDR_LEN);
	for (unsigned int k = 0; k < HDR_BUFS; k++) {
		pc[k] = (struct piece){h->rxgood + k * VIRTIO_NET_HDR_LEN, VIRTIO_NET_HDR_LEN,
				       true};
		chain_put(&h->rx, (uint16_t)(BAD_HEAD + k), &pc[k], 1);
	}
	publish(&h->rx);
	notify(h, NETDRV_RXQ);
	if (!tx_send(h, ready_text(h), "the ready datagram's chain did not come back"))
		return false;
	for (unsigned int k = 0; k < want_bufs; k++) {
		uint32_t id, len,
			want = frame - total < VIRTIO_NET_HDR_LEN ? frame - total
								  : VIRTIO_NET_HDR_LEN;

		if (!used_wait(h, &h->rx, "the frame did not come in the 12-byte buffers"))
			return false;
		used_take(&h->rx, &id, &len);
		if (id != BAD_HEAD + k || len != want) {
			fact(h, "got_id", id);
			fact(h, "got_len", len);
			fact(h, "want_id", BAD_HEAD + k);
			fact(h, "want_len", want);
			return fail(h, "merged buffers used out of order or not filled");
		}
		total += len;
	}
	fact(h, "good_id", BAD_HEAD);
	fact(h, "buffers_used", want_bufs);
	return rx_check(h, h->rxgood, total, HDR_BUFS * VIRTIO_NET_HDR_LEN);
}

/*
 * 128 buffers posted (the device reads into them), then a reset (C.6 12): the
 * old rings and buffers must stay as they are, and after a new initialization
 * on new rings the peer's datagram arrives in a good buffer. Then 120 more
 * buffers, so the device has reads posted when the guest ends.
 */
static bool case_rx_reset_with_reads_in_flight(struct nh *h)
{
	static struct piece pc[RESET_BUFS];
	struct piece good;
	volatile struct virtq_used *old_rx = h->rx.q->used, *old_tx = h->tx.q->used;
	uint64_t hash;

	for (unsigned int k = 0; k < RESET_BUFS; k++) {
		pc[k] = (struct piece){h->bad + k * h->rx_need, h->rx_need, true};
		memset(pc[k].p, CANARY, pc[k].len);
		chain_put(&h->rx, (uint16_t)(BAD_HEAD + k), &pc[k], 1);
	}
	hash = chain_hash(pc, RESET_BUFS);
	publish(&h->rx);
	notify(h, NETDRV_RXQ);
	spin_us(h, QUIET_US);
	if (used_idx(&h->rx) != h->rx.last_used)
		return fail(h, "a buffer came back before any frame arrived");
	if (!virtio_reset(&h->dev))
		return fail(h, "Status did not read 0 after the reset (reads in flight)");
	fact(h, "reset_bufs", RESET_BUFS);
	if (!nh_setup(h))
		return false;
	h->nchain = 0;
	good = (struct piece){h->rxgood, h->rx_need, true};
	memset(h->rxgood, CANARY, h->rx_need);
	chain_put(&h->rx, h->good_head, &good, 1);
	publish(&h->rx);
	notify(h, NETDRV_RXQ);
	if (!rx_collect(h, h->good_head, &good, 1))
		return false;
	spin_us(h, QUIET_US);
	fact(h, "old_rx_used_idx", old_rx->idx);
	if (old_rx->idx || old_tx->idx)
		return fail(h, "the device wrote a used entry into a ring it was reset from");
	if (chain_hash(pc, RESET_BUFS) != hash)
		return fail(h, "the device wrote into a buffer after the reset");
	for (unsigned int k = 0; k < EXIT_BUFS; k++)
		chain_put(&h->rx, (uint16_t)(BAD_HEAD + k), &pc[k], 1);
	publish(&h->rx);
	notify(h, NETDRV_RXQ);
	fact(h, "exit_bufs", EXIT_BUFS);
	return true;
}

/* ---- the mode ---- */

struct nhcase {
	const char *name;
	bool (*run)(struct nh *h);
	uint64_t accept; /* offloads taken (and needed) besides BASE_FEATURES */
};

static const struct nhcase cases[] = {
	{"tx_chain_shorter_than_header", case_tx_chain_shorter_than_header, C_NONE},
	{"tx_header_only", case_tx_header_only, C_NONE},
	{"tx_frame_13_bytes", case_tx_frame_13_bytes, C_NONE},
	{"tx_frame_14_bytes", case_tx_frame_14_bytes, C_NONE},
	{"tx_frame_too_long", case_tx_frame_too_long, C_NONE},
	{"tx_frame_max", case_tx_frame_max, C_NONE},
	{"tx_writable_descriptor", case_tx_writable_descriptor, C_NONE},
	{"rx_buffer_on_tx_queue", case_rx_buffer_on_tx_queue, C_NONE},
	{"tx_csum_not_negotiated", case_tx_csum_not_negotiated, C_NONE},
	{"tx_csum_start_past_frame", case_tx_csum_start_past_frame, C_CSUM},
	{"tx_csum_start_in_l2", case_tx_csum_start_in_l2, C_CSUM},
	{"tx_csum_field_past_frame", case_tx_csum_field_past_frame, C_CSUM},
	{"tx_csum_16bit_wrap", case_tx_csum_16bit_wrap, C_CSUM},
	{"tx_csum_offset_10", case_tx_csum_offset_10, C_CSUM},
	{"tx_gso_size_0", case_tx_gso_size_0, C_TSO},
	{"tx_gso_without_needs_csum", case_tx_gso_without_needs_csum, C_TSO},
	{"tx_gso_not_negotiated", case_tx_gso_not_negotiated, C_CSUM},
	{"tx_gso_ufo", case_tx_gso_ufo, C_TSO},
	{"tx_gso_unknown_type", case_tx_gso_unknown_type, C_TSO},
	{"tx_ecn_without_host_ecn", case_tx_ecn_without_host_ecn, C_TSO},
	{"tx_ecn_without_gso", case_tx_ecn_without_gso, C_CSUM},
	{"tx_gso_tcp_header_short", case_tx_gso_tcp_header_short, C_TSO},
	{"tx_gso_tcp_with_udp_csum", case_tx_gso_tcp_with_udp_csum, C_TSO},
	{"tx_qinq_frame_with_csum", case_tx_qinq_frame_with_csum, C_CSUM},
	{"tx_qinq_frame_without_csum", case_tx_qinq_frame_without_csum, C_NONE},
	{"tx_vlan_frame_with_csum", case_tx_vlan_frame_with_csum, C_CSUM},
	{"tx_num_buffers_nonzero", case_tx_num_buffers_nonzero, C_NONE},
	{"tx_hdr_len_garbage", case_tx_hdr_len_garbage, C_CSUM},
	{"tx_data_valid_flag_set", case_tx_data_valid_flag_set, C_NONE},
	{"tx_unknown_flags", case_tx_unknown_flags, C_NONE},
	{"tx_header_split", case_tx_header_split, C_NONE},
	{"tx_zero_length_descriptors", case_tx_zero_length_descriptors, C_NONE},
	{"tx_many_segments", case_tx_many_segments, C_NONE},
	{"tx_segments_64", case_tx_segments_64, C_NONE},
	{"tx_drop_flood", case_tx_drop_flood, C_CSUM},
	{"tx_duplicate_head", case_tx_duplicate_head, C_NONE},
	{"tx_addr_outside_ram", case_tx_addr_outside_ram, C_NONE},
	{"rx_buffer_too_small", case_rx_buffer_too_small, C_NONE},
	{"rx_buffer_one_short", case_rx_buffer_one_short, C_NONE},
	{"rx_readonly_buffer", case_rx_readonly_buffer, C_NONE},
	{"rx_mixed_read_write_buffer", case_rx_mixed_read_write_buffer, C_NONE},
	{"rx_write_then_read", case_rx_write_then_read, C_NONE},
	{"rx_zero_length_descriptor_only", case_rx_zero_length_descriptor_only, C_NONE},
	{"rx_many_pieces", case_rx_many_pieces, C_NONE},
	{"rx_pieces_64", case_rx_pieces_64, C_NONE},
	{"rx_notify_wrong_queue", case_rx_notify_wrong_queue, C_NONE},
	{"tx_on_rx_queue", case_tx_on_rx_queue, C_NONE},
	{"rx_mrg_buffer_below_header", case_rx_mrg_buffer_below_header, C_MRG},
	{"rx_mrg_readonly_buffer", case_rx_mrg_readonly_buffer, C_MRG},
	{"rx_duplicate_head", case_rx_duplicate_head, C_NONE},
	{"rx_renegotiate_fewer_offloads", case_rx_renegotiate_fewer_offloads, NF(GUEST_CSUM)},
	{"features_dependency_broken", case_features_dependency_broken, C_NONE},
	{"rx_mrg_ring_dry", case_rx_mrg_ring_dry, C_MRG},
	{"rx_mrg_header_size_buffers", case_rx_mrg_header_size_buffers, C_MRG},
	{"rx_reset_with_reads_in_flight", case_rx_reset_with_reads_in_flight, C_NONE},
};

static void report(struct nh *h, struct str name, uint64_t us)
{
	struct json j;

	json_begin(&j);
	json_cstr(&j, "probe", "net-hostile");
	json_str(&j, "case", name);
	json_bool(&j, "ok", !h->why);
	if (h->why)
		json_cstr(&j, "reason", h->why);
	if (h->bad_key)
		json_cstr(&j, "key", h->bad_key);
	for (unsigned int i = 0; i < h->nfacts; i++)
		json_u64(&j, h->facts[i].key, h->facts[i].val);
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
	struct virtio_mmio_loc locs[VIRTIO_MAX_DEVICES];
	struct str bad;
	int n = virtio_find(cmdline, locs, VIRTIO_MAX_DEVICES, &bad);

	for (int i = 0; i < n && i < VIRTIO_MAX_DEVICES; i++) {
		if (!virtio_open(&h->dev, &locs[i]) && h->dev.device_id == VIRTIO_ID_NET)
			return true;
	}
	return fail(h, "no virtio-net device (id 1) on the command line");
}

/*
 * §3.1.1 with the case's features (a reset first), MAC and MTU, both queues on
 * fresh rings (the next two of virtio.c's pool), DRIVER_OK.
 */
static bool nh_setup(struct nh *h)
{
	uint64_t want = BASE_FEATURES | h->accept;
	const char *why = virtio_init(&h->dev, want);

	if (why)
		return fail(h, why);
	if ((h->dev.negotiated & want) != want) {
		fact(h, "offered", h->dev.features);
		virtio_fail(&h->dev);
		return fail(h, "the device does not offer the features this case needs");
	}
	for (unsigned int i = 0; i < 6; i++)
		h->me.mac[i] = virtio_config_read8(&h->dev, VIRTIO_NET_CFG_MAC + i);
	h->mtu = virtio_config_read16(&h->dev, VIRTIO_NET_CFG_MTU);
	if (h->mtu < 68 || h->mtu > GOOD_AREA - 64) {
		virtio_fail(&h->dev);
		return fail(h, "MTU in the config space outside 68-4032");
	}
	h->rx_need = VIRTIO_NET_HDR_LEN + NETDRV_VLAN_ETH + h->mtu;
	why = virtq_setup(&h->dev, NETDRV_RXQ, NH_QSIZE);
	if (!why)
		why = virtq_setup(&h->dev, NETDRV_TXQ, NH_QSIZE);
	if (why) {
		virtio_fail(&h->dev);
		return fail(h, why);
	}
	h->rx = (struct nhq){&h->dev.vq[NETDRV_RXQ], 0, 0};
	h->tx = (struct nhq){&h->dev.vq[NETDRV_TXQ], 0, 0};
	/* The cases' chains take descriptors 0-130, the good one the last. */
	if (h->rx.q->num != NH_QSIZE || h->tx.q->num != NH_QSIZE) {
		virtio_fail(&h->dev);
		return fail(h, "queues smaller than 256 entries (QueueNumMax)");
	}
	h->good_head = NH_QSIZE - 1;
	/* Polling: no used buffer notifications, on either queue (no EVENT_IDX). */
	h->rx.q->avail->flags = VIRTQ_AVAIL_F_NO_INTERRUPT;
	h->tx.q->avail->flags = VIRTQ_AVAIL_F_NO_INTERRUPT;
	virtio_driver_ok(&h->dev);
	return true;
}

int net_hostile(struct str cmdline, const struct hvm_memmap_entry *map, uint32_t nmap)
{
	static struct nh nh;
	struct nh *h = &nh;
	struct str name = {"", 0};
	const struct nhcase *c = NULL;
	uint64_t start, hz;
	uint8_t *mem;

	cmdline_get(cmdline, "probe.case", &name);
	for (unsigned int i = 0; i < ARRAY_SIZE(cases); i++) {
		if (str_eq(name, cases[i].name))
			c = &cases[i];
	}
	if (!c) {
		fail(h, "unknown probe.case");
		report(h, name, 0);
		return PROBE_EXIT_USAGE;
	}
	h->bad_key = parse_keys(h, cmdline);
	if (h->bad_key) {
		fail(h, "missing or bad value for a key");
		report(h, name, 0);
		return PROBE_EXIT_USAGE;
	}
	hz = tsc_hz();
	h->tpus = hz / 1000000 ? hz / 1000000 : 1;
	h->accept = c->accept;
	mem = pool(map, nmap, BAD_AREA + 2 * GOOD_AREA);
	if (!mem) {
		fail(h, "no RAM above the probe image for the buffers");
		report(h, name, 0);
		return PROBE_EXIT_FAIL;
	}
	h->bad = mem;
	h->good = mem + BAD_AREA;
	h->rxgood = mem + BAD_AREA + GOOD_AREA;
	start = rdtsc();
	if (nh_open(h, cmdline) && nh_setup(h) && c->run(h)) {
		/* Nothing more may come back than the chains made available. */
		spin_us(h, QUIET_US);
		if (used_idx(&h->rx) != h->rx.last_used || used_idx(&h->tx) != h->tx.last_used) {
			fact(h, "rx_used_idx", used_idx(&h->rx));
			fact(h, "tx_used_idx", used_idx(&h->tx));
			fail(h, "more used entries than chains made available");
		}
	}
	/* The device stays as the case left it: minnow's --metrics shows that state. */
	report(h, name, (rdtsc() - start) / h->tpus);
	return h->why ? PROBE_EXIT_FAIL : PROBE_EXIT_OK;
}
