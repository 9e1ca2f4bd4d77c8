// SPDX-License-Identifier: MIT
// Probe guest: the virtio-hostile mode, one misbehaving-driver case per run.
//
// Each case does one thing virtio 1.2 forbids a driver (or tries a boundary
// it allows), then proves that the device still works: a following good
// request is served, or, after a ring corruption, the device shows
// DEVICE_NEEDS_RESET with a configuration change interrupt and works again
// after a reset and a full re-initialization.
//
// The rings are driven by hand here, not through virtio.c's virtq_add and
// virtq_get: most chains below are ones a correct driver never builds.
// One queue of HQ_NUM entries; the driver polls used->idx and asks for no
// used buffer notifications (VIRTQ_AVAIL_F_NO_INTERRUPT; used_event far
// away with EVENT_IDX), so the interrupts it expects are configuration
// changes only. Every kick is a QueueNotify write, wanted or not.
#include "hostile.h"
#include "irq.h"
#include "virtio.h"

#define HQ_NUM		8 /* queue size in every case */
#define HQ_TABLES	3 /* indirect tables */
#define HQ_TABLE_LEN	(HQ_NUM + 1)
#define HQ_GOOD_HEAD	(HQ_NUM - 1) /* the good request's descriptor */
#define HQ_BAD_HEAD	3	     /* where the cases' chains start */
#define GOOD_LEN	64
#define HOSTILE_VECTOR	0x30
#define IOAPIC_PINS	24
#define WAIT_US		1000000 /* for a used entry, a status bit, an interrupt */
#define QUIET_US	20000	/* how long a device that must do nothing gets to do it */
#define MAX_FACTS	16
#define OUTSIDE_RAM	0x40000000000ull /* 4 TiB: beyond any guest's RAM here */
#define WRAP_ADDR	0xffffffffffffff00ull
#define KICK_STORM	10000
#define STORM_MAX_US	5000000
#define BAD_NOTIFIES	1000
#define RESET_CYCLES	50
#define BIG_DESC_ADDR	0x1000000ull /* 16 MiB: above the probe */
#define BIG_DESC_LEN	0x90000000u  /* two of these exceed 2^32 - 1 bytes */
#define STATUS_RESERVED 0x10	     /* §2.1: bit 4 is not defined */

#define W VIRTQ_DESC_F_WRITE
#define N VIRTQ_DESC_F_NEXT
#define I VIRTQ_DESC_F_INDIRECT

#define ACK	 VIRTIO_STATUS_ACKNOWLEDGE
#define DRV	 VIRTIO_STATUS_DRIVER
#define FEAT_OK	 VIRTIO_STATUS_FEATURES_OK
#define DRV_OK	 VIRTIO_STATUS_DRIVER_OK
#define ST_READY (ACK | DRV | FEAT_OK)
#define ST_LIVE	 (ACK | DRV | FEAT_OK | DRV_OK)

#define F_INDIRECT VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC)
#define F_EVENT	   VIRTIO_BIT(VIRTIO_F_EVENT_IDX)
#define F_V1	   VIRTIO_BIT(VIRTIO_F_VERSION_1)

/* The one queue's memory: desc 16-aligned, avail 2, used 4 (§2.7). */
struct hring {
	struct virtq_desc desc[HQ_NUM];
	struct virtq_desc table[HQ_TABLES][HQ_TABLE_LEN];
	struct virtq_avail avail;
	struct virtq_used used;
} __attribute__((aligned(4096)));

static struct hring ring;
/* Data buffers: the cases' chains in the first half, the good request in the second. */
static uint8_t hbuf[4096] __attribute__((aligned(4096)));
#define BUF(off) ((uint64_t)(uintptr_t)(hbuf + (off)))
#define GOOD_BUF (hbuf + 2048)
#define TABLE(k) ((uint64_t)(uintptr_t)ring.table[k])

struct fact {
	const char *key;
	uint64_t val;
};

struct hctx {
	struct virtio_dev dev;
	uint64_t accept;	       /* features the driver takes, besides VERSION_1 */
	uint16_t avail_idx, last_used; /* the driver's avail->idx, next used entry */
	uint32_t num_max;	       /* QueueNumMax of queue 0 */
	uint32_t good;		       /* good requests served */
	uint64_t tpus;		       /* TSC ticks per microsecond */
	uint64_t ram_top;	       /* end of the RAM range that holds the probe */
	const struct hvm_memmap_entry *map;
	uint32_t nmap;
	const char *why;
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
static void fact(struct hctx *h, const char *key, uint64_t val)
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

static bool fail(struct hctx *h, const char *why)
{
	if (!h->why)
		h->why = why;
	return false;
}

/*
 * Register access of any width at any offset of the window, as one
 * instruction each (asm, so the compiler neither splits nor merges them).
 */
static uint64_t mmio_read(struct hctx *h, uint32_t off, unsigned int size)
{
	uintptr_t a = h->dev.regs + off;
	uint64_t v;

	switch (size) {
	case 1: {
		uint8_t b;

		__asm__ volatile("movb (%1), %0" : "=q"(b) : "r"(a) : "memory");
		v = b;
		break;
	}
	case 2: {
		uint16_t w;

		__asm__ volatile("movw (%1), %0" : "=r"(w) : "r"(a) : "memory");
		v = w;
		break;
	}
	case 4: {
		uint32_t l;

		__asm__ volatile("movl (%1), %0" : "=r"(l) : "r"(a) : "memory");
		v = l;
		break;
	}
	default:
		__asm__ volatile("movq (%1), %0" : "=r"(v) : "r"(a) : "memory");
		break;
	}
	return v;
}

static void mmio_write(struct hctx *h, uint32_t off, unsigned int size, uint64_t v)
{
	uintptr_t a = h->dev.regs + off;

	switch (size) {
	case 1:
		__asm__ volatile("movb %0, (%1)" : : "q"((uint8_t)v), "r"(a) : "memory");
		break;
	case 2:
		__asm__ volatile("movw %0, (%1)" : : "r"((uint16_t)v), "r"(a) : "memory");
		break;
	case 4:
		__asm__ volatile("movl %0, (%1)" : : "r"((uint32_t)v), "r"(a) : "memory");
		break;
	default:
		__asm__ volatile("movq %0, (%1)" : : "r"(v), "r"(a) : "memory");
		break;
	}
}

static uint32_t r32(struct hctx *h, uint32_t off)
{
	return (uint32_t)mmio_read(h, off, 4);
}

static void w32(struct hctx *h, uint32_t off, uint32_t v)
{
	mmio_write(h, off, 4, v);
}

static uint64_t ticks(struct hctx *h, uint64_t us)
{
	return us * h->tpus;
}

static void status_set(struct hctx *h, uint32_t v)
{
	h->dev.status = v;
	w32(h, VIRTIO_MMIO_STATUS, v);
}

static uint32_t status_get(struct hctx *h)
{
	return r32(h, VIRTIO_MMIO_STATUS);
}

static void features_write(struct hctx *h, uint64_t f)
{
	w32(h, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	w32(h, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)f);
	w32(h, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	w32(h, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(f >> 32));
	h->dev.negotiated = f;
}

/* §3.1.1 steps 1-3: reset, ACKNOWLEDGE, DRIVER; reads the offer. */
static bool h_begin(struct hctx *h)
{
	if (!virtio_reset(&h->dev))
		return fail(h, "device did not reset (Status not 0)");
	status_set(h, ACK);
	status_set(h, ACK | DRV);
	virtio_read_features(&h->dev);
	if (!(h->dev.features & F_V1))
		return fail(h, "device does not offer VIRTIO_F_VERSION_1");
	return true;
}

/* §3.1.1 steps 1-6 with the case's features. */
static bool h_negotiate(struct hctx *h)
{
	if (!h_begin(h))
		return false;
	features_write(h, h->dev.features & (h->accept | F_V1));
	status_set(h, ST_READY);
	if (!(status_get(h) & FEAT_OK))
		return fail(h, "FEATURES_OK not accepted");
	return true;
}

static void queue_addrs(struct hctx *h, uint64_t desc, uint64_t avail, uint64_t used)
{
	w32(h, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)desc);
	w32(h, VIRTIO_MMIO_QUEUE_DESC_HIGH, (uint32_t)(desc >> 32));
	w32(h, VIRTIO_MMIO_QUEUE_DRIVER_LOW, (uint32_t)avail);
	w32(h, VIRTIO_MMIO_QUEUE_DRIVER_HIGH, (uint32_t)(avail >> 32));
	w32(h, VIRTIO_MMIO_QUEUE_DEVICE_LOW, (uint32_t)used);
	w32(h, VIRTIO_MMIO_QUEUE_DEVICE_HIGH, (uint32_t)(used >> 32));
}

static void queue_good_addrs(struct hctx *h)
{
	queue_addrs(h, (uintptr_t)ring.desc, (uintptr_t)&ring.avail, (uintptr_t)&ring.used);
}

/* §4.2.3.2 for queue 0, on fresh (zeroed) rings, asking for no used buffer notifications. */
static bool h_queue(struct hctx *h)
{
	memset(&ring, 0, sizeof(ring));
	ring.avail.flags = VIRTQ_AVAIL_F_NO_INTERRUPT;
	ring.avail.ring[HQ_NUM] = 0x8000; /* used_event, with EVENT_IDX: out of reach */
	h->avail_idx = h->last_used = 0;
	w32(h, VIRTIO_MMIO_QUEUE_SEL, 0);
	if (r32(h, VIRTIO_MMIO_QUEUE_READY))
		return fail(h, "QueueReady 1 before the queue was set up");
	h->num_max = r32(h, VIRTIO_MMIO_QUEUE_NUM_MAX);
	if (h->num_max < HQ_NUM)
		return fail(h, "QueueNumMax below the queue size the cases use");
	w32(h, VIRTIO_MMIO_QUEUE_NUM, HQ_NUM);
	queue_good_addrs(h);
	w32(h, VIRTIO_MMIO_QUEUE_READY, 1);
	if (r32(h, VIRTIO_MMIO_QUEUE_READY) != 1)
		return fail(h, "a good queue setup was refused");
	return true;
}

static void h_live(struct hctx *h)
{
	status_set(h, h->dev.status | DRV_OK);
}

/* Reset and the whole of §3.1.1 with one queue. */
static bool h_init(struct hctx *h)
{
	if (!h_negotiate(h) || !h_queue(h))
		return false;
	h_live(h);
	return true;
}

static void desc_set(struct virtq_desc *d, uint64_t addr, uint32_t len, uint16_t flags,
		     uint16_t next)
{
	d->addr = addr;
	d->len = len;
	d->flags = flags;
	d->next = next;
}

static void avail_put(struct hctx *h, uint16_t head)
{
	((volatile struct virtq_avail *)&ring.avail)->ring[h->avail_idx % HQ_NUM] = head;
	h->avail_idx++;
}

/* Descriptors and ring entries before the index (§2.7.13), the index before the kick. */
static void avail_publish(struct hctx *h)
{
	barrier();
	((volatile struct virtq_avail *)&ring.avail)->idx = h->avail_idx;
	full_barrier();
}

static void kick(struct hctx *h)
{
	w32(h, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
}

static uint16_t used_idx(void)
{
	return ((volatile struct virtq_used *)&ring.used)->idx;
}

/* Waits until used->idx is last_used + n exactly. */
static bool used_wait(struct hctx *h, uint16_t n)
{
	uint16_t want = (uint16_t)(h->last_used + n);
	uint64_t start = rdtsc();

	while (used_idx() != want) {
		if (rdtsc() - start > ticks(h, WAIT_US)) {
			fact(h, "used_idx", used_idx());
			fact(h, "want_used_idx", want);
			return fail(h, "used->idx did not reach the expected value");
		}
		cpu_relax();
	}
	barrier(); /* the index before the entries it covers */
	return true;
}

/* The next used entry must be (head, len). */
static bool used_take(struct hctx *h, uint16_t head, uint32_t len)
{
	volatile struct virtq_used *u = &ring.used;
	uint16_t slot = h->last_used % HQ_NUM;
	uint32_t id = u->ring[slot].id, got = u->ring[slot].len;

	if (id != head || got != len) {
		fact(h, "slot", slot);
		fact(h, "got_id", id);
		fact(h, "got_len", got);
		fact(h, "want_id", head);
		fact(h, "want_len", len);
		return fail(h, "used entry differs from the expected one");
	}
	h->last_used++;
	return true;
}

/* Spins for us microseconds. */
static void spin_us(struct hctx *h, uint64_t us)
{
	uint64_t start = rdtsc();

	while (rdtsc() - start < ticks(h, us))
		cpu_relax();
}

/* Nothing may come back for a while. */
static bool h_quiet(struct hctx *h)
{
	spin_us(h, QUIET_US);
	if (used_idx() != h->last_used) {
		fact(h, "used_idx", used_idx());
		return fail(h, "the device used a chain it should have left alone");
	}
	return true;
}

/* Makes the chain at head (descriptors written) available and expects it back with len. */
static bool h_chain(struct hctx *h, uint16_t head, uint32_t len)
{
	avail_put(h, head);
	avail_publish(h);
	kick(h);
	if (!used_wait(h, 1) || !used_take(h, head, len))
		return false;
	fact(h, "id", head);
	fact(h, "len", len);
	return true;
}

/* One device-writable buffer of GOOD_LEN: served in full, with bytes that are not all 0. */
static bool h_good(struct hctx *h)
{
	volatile uint8_t *b = GOOD_BUF;
	uint8_t any = 0;

	for (unsigned int i = 0; i < GOOD_LEN; i++)
		b[i] = 0;
	desc_set(&ring.desc[HQ_GOOD_HEAD], (uintptr_t)b, GOOD_LEN, W, 0);
	avail_put(h, HQ_GOOD_HEAD);
	avail_publish(h);
	kick(h);
	if (!used_wait(h, 1) || !used_take(h, HQ_GOOD_HEAD, GOOD_LEN))
		return fail(h, "good request not served");
	for (unsigned int i = 0; i < GOOD_LEN; i++)
		any |= b[i];
	if (!any)
		return fail(h, "good request: all bytes 0");
	h->good++;
	return true;
}

/* Polls a register until (value & bits) != 0; the last value in *out. */
static bool reg_wait(struct hctx *h, uint32_t off, uint32_t bits, uint32_t *out)
{
	uint64_t start = rdtsc();

	while (!((*out = r32(h, off)) & bits)) {
		if (rdtsc() - start > ticks(h, WAIT_US))
			return false;
		cpu_relax();
	}
	return true;
}

/*
 * After a ring corruption (§2.1.2): DEVICE_NEEDS_RESET in Status, the
 * configuration change bit in InterruptStatus and an interrupt; the broken
 * ring stays untouched even when kicked; then reset, re-initialize, serve.
 */
static bool h_expect_needs_reset(struct hctx *h, uint32_t irqs_before)
{
	uint16_t idx = used_idx();
	uint64_t start;
	uint32_t v;

	if (!reg_wait(h, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_DEVICE_NEEDS_RESET, &v)) {
		fact(h, "status", v);
		return fail(h, "no DEVICE_NEEDS_RESET after the ring corruption");
	}
	fact(h, "status", v);
	if (!reg_wait(h, VIRTIO_MMIO_INTERRUPT_STATUS, VIRTIO_MMIO_INT_CONFIG, &v)) {
		fact(h, "isr", v);
		return fail(h, "no configuration change bit in InterruptStatus");
	}
	fact(h, "isr", v);
	start = rdtsc();
	while (probe_virtio_irq_count == irqs_before) {
		if (rdtsc() - start > ticks(h, WAIT_US))
			return fail(h, "no interrupt for DEVICE_NEEDS_RESET");
		cpu_relax();
	}
	fact(h, "config_irqs", probe_virtio_irq_count - irqs_before);
	kick(h); /* the broken ring must stay as it is */
	spin_us(h, QUIET_US);
	if (used_idx() != idx)
		return fail(h, "the device used entries of a ring it found corrupt");
	w32(h, VIRTIO_MMIO_INTERRUPT_ACK, v);
	if (!h_init(h))
		return false;
	if (status_get(h) != ST_LIVE)
		return fail(h, "Status after the re-initialization is not 0xf");
	return h_good(h);
}

/* ---- transport cases ---- */

/* §4.2.2: QueueSel naming no queue: QueueNumMax 0, the rest read 0 and writes go nowhere. */
static bool case_queue_sel_oob(struct hctx *h)
{
	static const uint32_t sels[] = {1, 5, 8, 0x10000, 0xffffffff};
	uint32_t bad = 0;

	if (!h_negotiate(h))
		return false;
	for (unsigned int i = 0; i < ARRAY_SIZE(sels); i++) {
		w32(h, VIRTIO_MMIO_QUEUE_SEL, sels[i]);
		if (r32(h, VIRTIO_MMIO_QUEUE_NUM_MAX)) {
			fact(h, "queue_sel", sels[i]);
			return fail(h, "QueueNumMax not 0 for a queue that does not exist");
		}
	}
	/* Counted by the device: 2 reads, 8 writes, 1 read (QueueNumMax is not an error). */
	w32(h, VIRTIO_MMIO_QUEUE_SEL, 5);
	if (r32(h, VIRTIO_MMIO_QUEUE_READY))
		return fail(h, "QueueReady not 0 with QueueSel 5");
	if (r32(h, VIRTIO_MMIO_QUEUE_NUM))
		return fail(h, "QueueNum not 0 with QueueSel 5");
	w32(h, VIRTIO_MMIO_QUEUE_NUM, HQ_NUM);
	queue_good_addrs(h);
	w32(h, VIRTIO_MMIO_QUEUE_READY, 1);
	bad = 2 + 8 + 1;
	if (r32(h, VIRTIO_MMIO_QUEUE_READY))
		return fail(h, "QueueSel 5 became ready");
	fact(h, "queue_sel_accesses", bad);
	/* Nothing of it may have landed on queue 0. */
	w32(h, VIRTIO_MMIO_QUEUE_SEL, 0);
	if (r32(h, VIRTIO_MMIO_QUEUE_READY) || r32(h, VIRTIO_MMIO_QUEUE_NUM) ||
	    r32(h, VIRTIO_MMIO_QUEUE_DESC_LOW) || r32(h, VIRTIO_MMIO_QUEUE_DRIVER_LOW) ||
	    r32(h, VIRTIO_MMIO_QUEUE_DEVICE_LOW))
		return fail(h, "writes with QueueSel 5 reached queue 0");
	if (!h_queue(h))
		return false;
	h_live(h);
	return h_good(h);
}

/* QueueNotify with indexes of no queue, after DRIVER_OK: ignored. */
static bool case_notify_bad_index(struct hctx *h)
{
	static const uint32_t vals[] = {1, 7, 8, 0x10000, 0xffffffff};

	if (!h_good(h))
		return false;
	for (unsigned int i = 0; i < BAD_NOTIFIES; i++)
		w32(h, VIRTIO_MMIO_QUEUE_NOTIFY, vals[i % ARRAY_SIZE(vals)]);
	fact(h, "notifies", BAD_NOTIFIES);
	return h_quiet(h) && h_good(h);
}

/* Kicks after reset, before a queue, with a queue and a chain but before DRIVER_OK. */
static bool case_notify_before_driver_ok(struct hctx *h)
{
	if (!virtio_reset(&h->dev))
		return fail(h, "device did not reset");
	kick(h);
	if (!h_negotiate(h))
		return false;
	kick(h);
	if (!h_queue(h))
		return false;
	desc_set(&ring.desc[HQ_BAD_HEAD], BUF(0), GOOD_LEN, W, 0);
	avail_put(h, HQ_BAD_HEAD);
	avail_publish(h);
	kick(h);
	fact(h, "early_kicks", 3);
	if (!h_quiet(h))
		return false;
	/* Live now: the chain made available early is served (on activation or this kick). */
	h_live(h);
	kick(h);
	if (!used_wait(h, 1) || !used_take(h, HQ_BAD_HEAD, GOOD_LEN))
		return false;
	return h_good(h);
}

struct access {
	uint16_t off;
	uint8_t size;
	bool write;
	uint32_t val;
};

/* §4.2.2.2: 32-bit aligned register access only; the rest is ignored and reads 0. */
static bool case_bad_width(struct hctx *h)
{
	static const struct access acc[] = {
		{VIRTIO_MMIO_MAGIC_VALUE, 2, false, 0},
		{VIRTIO_MMIO_MAGIC_VALUE, 1, false, 0},
		{VIRTIO_MMIO_MAGIC_VALUE + 3, 1, false, 0},
		{VIRTIO_MMIO_MAGIC_VALUE + 2, 2, false, 0},
		{VIRTIO_MMIO_MAGIC_VALUE + 2, 4, false, 0},
		{VIRTIO_MMIO_MAGIC_VALUE, 8, false, 0},
		{VIRTIO_MMIO_STATUS, 2, false, 0},
		{VIRTIO_MMIO_STATUS, 2, true, 0}, /* a reset, were it honoured */
		{VIRTIO_MMIO_STATUS, 1, true, 0},
		{VIRTIO_MMIO_QUEUE_NOTIFY, 1, true, 0},
		{VIRTIO_MMIO_QUEUE_SEL, 2, true, 5},
		{VIRTIO_MMIO_STATUS + 2, 4, true, 0},
		{VIRTIO_MMIO_STATUS, 8, true, 0},
	};
	uint32_t n = 0;
	uint64_t v;

	for (unsigned int i = 0; i < ARRAY_SIZE(acc); i++, n++) {
		if (acc[i].write) {
			mmio_write(h, acc[i].off, acc[i].size, acc[i].val);
			continue;
		}
		v = mmio_read(h, acc[i].off, acc[i].size);
		if (v) {
			fact(h, "offset", acc[i].off);
			fact(h, "size", acc[i].size);
			fact(h, "value", v);
			return fail(h, "a read of the wrong width or alignment did not read 0");
		}
	}
	/* Undefined offsets 0x0c0-0x0f8 (0x0fc is ConfigGeneration). */
	for (uint32_t off = 0x0c0; off < VIRTIO_MMIO_CONFIG_GENERATION; off += 4, n += 2) {
		v = r32(h, off);
		w32(h, off, 0xffffffff);
		if (v) {
			fact(h, "offset", off);
			fact(h, "value", v);
			return fail(h, "an undefined register did not read 0");
		}
	}
	fact(h, "register_accesses", n);
	/* The entropy device has no configuration space: 0 bytes. */
	if (r32(h, VIRTIO_MMIO_CONFIG))
		return fail(h, "a read beyond the configuration space did not read 0");
	mmio_write(h, VIRTIO_MMIO_CONFIG, 1, 0xff);
	fact(h, "config_accesses", 2);
	v = status_get(h);
	if (v != ST_LIVE) {
		fact(h, "status", v);
		return fail(h, "Status changed");
	}
	if (r32(h, VIRTIO_MMIO_QUEUE_NUM_MAX) != h->num_max)
		return fail(h, "QueueSel changed (QueueNumMax differs)");
	return h_good(h);
}

/* Writes to read-only registers: ignored, values unchanged. */
static bool case_readonly_write(struct hctx *h)
{
	static const uint16_t ro[] = {
		VIRTIO_MMIO_MAGIC_VALUE,      VIRTIO_MMIO_VERSION,
		VIRTIO_MMIO_DEVICE_ID,	      VIRTIO_MMIO_VENDOR_ID,
		VIRTIO_MMIO_DEVICE_FEATURES,  VIRTIO_MMIO_QUEUE_NUM_MAX,
		VIRTIO_MMIO_INTERRUPT_STATUS, VIRTIO_MMIO_CONFIG_GENERATION,
	};
	uint32_t before[ARRAY_SIZE(ro)];

	for (unsigned int i = 0; i < ARRAY_SIZE(ro); i++)
		before[i] = r32(h, ro[i]);
	for (unsigned int i = 0; i < ARRAY_SIZE(ro); i++)
		w32(h, ro[i], ~before[i]);
	for (unsigned int i = 0; i < ARRAY_SIZE(ro); i++) {
		uint32_t v = r32(h, ro[i]);

		if (v != before[i]) {
			fact(h, "offset", ro[i]);
			fact(h, "before", before[i]);
			fact(h, "after", v);
			return fail(h, "a write changed a read-only register");
		}
	}
	fact(h, "register_accesses", ARRAY_SIZE(ro));
	if (before[0] != VIRTIO_MMIO_MAGIC || before[1] != 2 || before[2] != VIRTIO_ID_ENTROPY)
		return fail(h, "MagicValue, Version or DeviceID unexpected");
	return h_good(h);
}

/* Reads of write-only registers: 0. */
static bool case_writeonly_read(struct hctx *h)
{
	static const uint16_t wo[] = {
		VIRTIO_MMIO_DEVICE_FEATURES_SEL, VIRTIO_MMIO_DRIVER_FEATURES,
		VIRTIO_MMIO_DRIVER_FEATURES_SEL, VIRTIO_MMIO_QUEUE_SEL,
		VIRTIO_MMIO_QUEUE_NOTIFY,	 VIRTIO_MMIO_INTERRUPT_ACK,
	};

	for (unsigned int i = 0; i < ARRAY_SIZE(wo); i++) {
		uint32_t v = r32(h, wo[i]);

		if (v) {
			fact(h, "offset", wo[i]);
			fact(h, "value", v);
			return fail(h, "a write-only register did not read 0");
		}
	}
	fact(h, "register_accesses", ARRAY_SIZE(wo));
	return h_good(h);
}

/*
 * §2.2: every feature bit acked, in pages 0, 1 and 2; only offered ones are
 * kept, FEATURES_OK is granted (VERSION_1 was among them), and a features
 * write after FEATURES_OK changes nothing. DeviceFeaturesSel beyond 1 reads 0.
 */
static bool case_features_unoffered(struct hctx *h)
{
	if (!h_begin(h))
		return false;
	w32(h, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 2);
	if (r32(h, VIRTIO_MMIO_DEVICE_FEATURES))
		return fail(h, "DeviceFeatures page 2 not 0");
	w32(h, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0xffffffff);
	if (r32(h, VIRTIO_MMIO_DEVICE_FEATURES))
		return fail(h, "DeviceFeatures page 0xffffffff not 0");
	for (uint32_t page = 0; page < 3; page++) {
		w32(h, VIRTIO_MMIO_DRIVER_FEATURES_SEL, page);
		w32(h, VIRTIO_MMIO_DRIVER_FEATURES, 0xffffffff);
	}
	status_set(h, ST_READY);
	if (!(status_get(h) & FEAT_OK))
		return fail(h, "FEATURES_OK refused although VERSION_1 was acked");
	w32(h, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	w32(h, VIRTIO_MMIO_DRIVER_FEATURES, 0);
	fact(h, "feature_writes", 4);
	/* What the device kept: its offer, which the ring code below copes with. */
	h->dev.negotiated = h->dev.features;
	fact(h, "offered", h->dev.features);
	if (!h_queue(h))
		return false;
	h_live(h);
	return h_good(h);
}

/* §6.1: FEATURES_OK without VERSION_1 must not stick (no legacy interface here). */
static bool case_no_version_1(struct hctx *h)
{
	uint32_t st;

	if (!h_begin(h))
		return false;
	features_write(h, h->dev.features & F_INDIRECT);
	status_set(h, ST_READY);
	st = status_get(h);
	fact(h, "status", st);
	if (st & FEAT_OK)
		return fail(h, "FEATURES_OK stuck without VERSION_1");
	return h_init(h) && h_good(h);
}

/* Checks that Status reads want after writing v. */
static bool status_try(struct hctx *h, uint32_t v, uint32_t want)
{
	uint32_t st;

	w32(h, VIRTIO_MMIO_STATUS, v);
	st = status_get(h);
	if (st != want) {
		fact(h, "wrote", v);
		fact(h, "status", st);
		return fail(h, "Status not as expected after a bad write");
	}
	return true;
}

/* §2.1.2: the driver never clears a status bit except by reset; reserved bits stay clear. */
static bool case_status_clear_bits(struct hctx *h)
{
	if (!h_negotiate(h))
		return false;
	if (!status_try(h, ACK | DRV, ST_READY) ||		    /* clears FEATURES_OK */
	    !status_try(h, ST_READY | STATUS_RESERVED, ST_READY) || /* a reserved bit */
	    !status_try(h, ST_READY | VIRTIO_STATUS_DEVICE_NEEDS_RESET, ST_READY))
		return false;
	if (!h_queue(h))
		return false;
	h_live(h);
	if (!status_try(h, ACK | DRV | DRV_OK, ST_LIVE)) /* clears FEATURES_OK while live */
		return false;
	fact(h, "bad_status_writes", 3);
	return h_good(h);
}

/* DRIVER_OK written again while live: no second activation (cursors keep going). */
static bool case_driver_ok_twice(struct hctx *h)
{
	for (int i = 0; i < 2; i++) {
		if (!h_good(h))
			return false;
		w32(h, VIRTIO_MMIO_STATUS, ST_LIVE);
	}
	return h_good(h);
}

/* §3.1.1: DRIVER_OK before FEATURES_OK: refused, nothing served; a proper init then works. */
static bool case_driver_ok_without_features_ok(struct hctx *h)
{
	uint32_t st;

	if (!h_begin(h))
		return false;
	features_write(h, h->dev.features & (h->accept | F_V1));
	if (!h_queue(h))
		return false;
	w32(h, VIRTIO_MMIO_STATUS, ACK | DRV | DRV_OK);
	st = status_get(h);
	fact(h, "status", st);
	if (st != (ACK | DRV))
		return fail(h, "DRIVER_OK accepted without FEATURES_OK");
	desc_set(&ring.desc[HQ_BAD_HEAD], BUF(0), GOOD_LEN, W, 0);
	avail_put(h, HQ_BAD_HEAD);
	avail_publish(h);
	kick(h);
	return h_quiet(h) && h_init(h) && h_good(h);
}

/* DRIVER_OK with no queue set up; queue setup afterwards is refused; a kick finds nothing. */
static bool case_driver_ok_without_queue(struct hctx *h)
{
	uint32_t st;

	if (!h_negotiate(h))
		return false;
	h_live(h);
	st = status_get(h);
	fact(h, "status", st);
	if (st != ST_LIVE)
		return fail(h, "DRIVER_OK without queues refused");
	w32(h, VIRTIO_MMIO_QUEUE_SEL, 0);
	w32(h, VIRTIO_MMIO_QUEUE_NUM, HQ_NUM);
	queue_good_addrs(h);
	w32(h, VIRTIO_MMIO_QUEUE_READY, 1);
	fact(h, "queue_writes", 8);
	if (r32(h, VIRTIO_MMIO_QUEUE_READY))
		return fail(h, "queue set up after DRIVER_OK went live");
	kick(h);
	return h_init(h) && h_good(h);
}

/* §4.2.3.2: queue registers are fixed once the queue is ready or the device live. */
static bool case_queue_setup_after_driver_ok(struct hctx *h)
{
	uint32_t desc_lo;

	w32(h, VIRTIO_MMIO_QUEUE_SEL, 0);
	w32(h, VIRTIO_MMIO_QUEUE_NUM, HQ_NUM / 2);
	if (r32(h, VIRTIO_MMIO_QUEUE_NUM) != HQ_NUM)
		return fail(h, "QueueNum changed while live");
	desc_lo = r32(h, VIRTIO_MMIO_QUEUE_DESC_LOW);
	w32(h, VIRTIO_MMIO_QUEUE_DESC_LOW, desc_lo + 0x1000);
	if (r32(h, VIRTIO_MMIO_QUEUE_DESC_LOW) != desc_lo)
		return fail(h, "QueueDescLow changed while live");
	w32(h, VIRTIO_MMIO_QUEUE_READY, 0);
	if (r32(h, VIRTIO_MMIO_QUEUE_READY) != 1)
		return fail(h, "QueueReady cleared while live");
	fact(h, "queue_writes", 3);
	return h_good(h);
}

/* §2.7: QueueNum 0, not a power of 2, beyond QueueNumMax, beyond 16 bits; QueueReady 2. */
static bool case_bad_queue_size(struct hctx *h)
{
	uint32_t nums[] = {0, 3, 0, 0x10000 | HQ_NUM};

	if (!h_negotiate(h))
		return false;
	w32(h, VIRTIO_MMIO_QUEUE_SEL, 0);
	nums[2] = 2 * r32(h, VIRTIO_MMIO_QUEUE_NUM_MAX);
	queue_good_addrs(h);
	for (unsigned int i = 0; i < ARRAY_SIZE(nums); i++) {
		w32(h, VIRTIO_MMIO_QUEUE_NUM, nums[i]);
		w32(h, VIRTIO_MMIO_QUEUE_READY, 1);
		if (r32(h, VIRTIO_MMIO_QUEUE_READY)) {
			fact(h, "num", nums[i]);
			return fail(h, "a bad queue size was accepted");
		}
	}
	w32(h, VIRTIO_MMIO_QUEUE_NUM, HQ_NUM);
	w32(h, VIRTIO_MMIO_QUEUE_READY, 2);
	if (r32(h, VIRTIO_MMIO_QUEUE_READY))
		return fail(h, "QueueReady 2 made the queue ready");
	fact(h, "refused", ARRAY_SIZE(nums) + 1);
	if (!h_queue(h))
		return false;
	h_live(h);
	return h_good(h);
}

/* §2.7: misaligned rings, rings outside RAM, across its end, in MMIO, at the top of the space. */
static bool case_bad_ring_addr(struct hctx *h)
{
	uint64_t d = (uintptr_t)ring.desc, a = (uintptr_t)&ring.avail, u = (uintptr_t)&ring.used;
	const uint64_t bad[][3] = {
		{d + 8, a, u},
		{d, a + 1, u},
		{d, a, u + 2},
		{0xfff00000000ull, a, u},
		{d, a, h->ram_top - 16},
		{d, h->dev.loc.base, u},
		{0xfffffffffffffff0ull, a, u},
	};

	if (!h_negotiate(h))
		return false;
	w32(h, VIRTIO_MMIO_QUEUE_SEL, 0);
	w32(h, VIRTIO_MMIO_QUEUE_NUM, HQ_NUM);
	for (unsigned int i = 0; i < ARRAY_SIZE(bad); i++) {
		queue_addrs(h, bad[i][0], bad[i][1], bad[i][2]);
		w32(h, VIRTIO_MMIO_QUEUE_READY, 1);
		if (r32(h, VIRTIO_MMIO_QUEUE_READY)) {
			fact(h, "setup", i);
			return fail(h, "a bad ring address was accepted");
		}
	}
	fact(h, "refused", ARRAY_SIZE(bad));
	if (!h_queue(h))
		return false;
	h_live(h);
	return h_good(h);
}

/* Reset and re-initialize many times, a request each time. */
static bool case_reset_cycles(struct hctx *h)
{
	for (unsigned int i = 0; i < RESET_CYCLES; i++) {
		if (!h_init(h) || !h_good(h)) {
			fact(h, "cycle", i);
			return false;
		}
	}
	fact(h, "cycles", RESET_CYCLES);
	return true;
}

/* ---- chain cases: the queue is live; the chain comes back with length 0 ---- */

static bool bad_then_good(struct hctx *h)
{
	return h_chain(h, HQ_BAD_HEAD, 0) && h_good(h);
}

static bool case_desc_loop_self(struct hctx *h)
{
	desc_set(&ring.desc[3], BUF(0), 64, W | N, 3);
	return bad_then_good(h);
}

static bool case_desc_loop_two(struct hctx *h)
{
	desc_set(&ring.desc[3], BUF(0), 32, W | N, 5);
	desc_set(&ring.desc[5], BUF(32), 32, W | N, 3);
	return bad_then_good(h);
}

/* All HQ_NUM descriptors from head 3 around the table; last: NEXT back to 3 or none. */
static void desc_ring_chain(bool loop)
{
	for (unsigned int k = 0; k < HQ_NUM; k++) {
		uint16_t i = (HQ_BAD_HEAD + k) % HQ_NUM;
		bool last = k == HQ_NUM - 1;

		desc_set(&ring.desc[i], BUF(8 * k), 8, (uint16_t)(W | (!last || loop ? N : 0)),
			 (uint16_t)((i + 1) % HQ_NUM));
	}
}

/* Queue size + 1 descriptors: the whole table, then head again. */
static bool case_chain_too_long(struct hctx *h)
{
	desc_ring_chain(true);
	return bad_then_good(h);
}

/* Exactly queue size descriptors: allowed, served in full. */
static bool case_chain_full(struct hctx *h)
{
	desc_ring_chain(false);
	return h_chain(h, HQ_BAD_HEAD, 8 * HQ_NUM) && h_good(h);
}

static bool case_next_out_of_range(struct hctx *h)
{
	desc_set(&ring.desc[3], BUF(0), 64, W | N, HQ_NUM);
	return bad_then_good(h);
}

static bool case_addr_outside_ram(struct hctx *h)
{
	desc_set(&ring.desc[3], OUTSIDE_RAM, 64, W, 0);
	return bad_then_good(h);
}

static bool case_addr_wraps(struct hctx *h)
{
	desc_set(&ring.desc[3], WRAP_ADDR, 512, W, 0);
	return bad_then_good(h);
}

static bool case_addr_straddles_ram_end(struct hctx *h)
{
	desc_set(&ring.desc[3], h->ram_top - 32, 64, W, 0);
	return bad_then_good(h);
}

/* A buffer in the device's own register window. */
static bool case_addr_in_mmio(struct hctx *h)
{
	desc_set(&ring.desc[3], h->dev.loc.base, 64, W, 0);
	return bad_then_good(h);
}

/* A writable buffer over the descriptor table itself: legal RAM, filled, the device unharmed. */
static bool case_addr_in_ring(struct hctx *h)
{
	desc_set(&ring.desc[3], (uintptr_t)ring.desc, sizeof(ring.desc), W, 0);
	return h_chain(h, HQ_BAD_HEAD, sizeof(ring.desc)) && h_good(h);
}

/* One descriptor of length 0 (at address 0): nothing to fill, served with 0 bytes. */
static bool case_len_zero_only(struct hctx *h)
{
	desc_set(&ring.desc[3], 0, 0, W, 0);
	return bad_then_good(h);
}

/* §5.4.6.1: an entropy request with only a device-readable buffer: 0 bytes back. */
static bool case_readonly_buffer(struct hctx *h)
{
	desc_set(&ring.desc[3], BUF(0), 64, 0, 0);
	return bad_then_good(h);
}

/* Readable then writable: the allowed order; only the writable part is filled. */
static bool case_read_then_write(struct hctx *h)
{
	desc_set(&ring.desc[3], BUF(0), 32, N, 5);
	desc_set(&ring.desc[5], BUF(32), 32, W, 0);
	return h_chain(h, HQ_BAD_HEAD, 32) && h_good(h);
}

/* §2.7.4.2: a readable descriptor after a writable one. */
static bool case_write_before_read(struct hctx *h)
{
	desc_set(&ring.desc[3], BUF(0), 32, W | N, 5);
	desc_set(&ring.desc[5], BUF(32), 32, 0, 0);
	return bad_then_good(h);
}

/* §2.7.5.3.1: an indirect descriptor without VIRTIO_F_INDIRECT_DESC. */
static bool case_indirect_not_negotiated(struct hctx *h)
{
	desc_set(&ring.table[0][0], BUF(0), 64, W, 0);
	desc_set(&ring.desc[3], TABLE(0), 16, I, 0);
	return bad_then_good(h);
}

static bool case_indirect_nested(struct hctx *h)
{
	desc_set(&ring.table[1][0], BUF(0), 64, W, 0);
	desc_set(&ring.table[0][0], TABLE(1), 16, I, 0);
	desc_set(&ring.desc[3], TABLE(0), 16, I, 0);
	return bad_then_good(h);
}

static bool case_indirect_with_next(struct hctx *h)
{
	desc_set(&ring.table[0][0], BUF(0), 64, W, 0);
	desc_set(&ring.desc[3], TABLE(0), 16, I | N, 5);
	desc_set(&ring.desc[5], BUF(64), 64, W, 0);
	return bad_then_good(h);
}

/* Table lengths 0, 17 (not a multiple of 16) and queue size + 1 entries: three chains. */
static bool case_indirect_bad_len(struct hctx *h)
{
	static const uint32_t lens[] = {0, 17, 16 * (HQ_NUM + 1)};

	for (unsigned int k = 0; k < HQ_TABLE_LEN; k++)
		desc_set(&ring.table[0][k], BUF(8 * k), 8, W, 0);
	for (unsigned int i = 0; i < ARRAY_SIZE(lens); i++) {
		desc_set(&ring.desc[3 + i], TABLE(0), lens[i], I, 0);
		avail_put(h, (uint16_t)(3 + i));
	}
	avail_publish(h);
	kick(h);
	if (!used_wait(h, ARRAY_SIZE(lens)))
		return false;
	for (unsigned int i = 0; i < ARRAY_SIZE(lens); i++) {
		if (!used_take(h, (uint16_t)(3 + i), 0))
			return false;
	}
	fact(h, "chains", ARRAY_SIZE(lens));
	return h_good(h);
}

static bool case_indirect_loop(struct hctx *h)
{
	desc_set(&ring.table[0][0], BUF(0), 32, W | N, 1);
	desc_set(&ring.table[0][1], BUF(32), 32, W | N, 0);
	desc_set(&ring.desc[3], TABLE(0), 32, I, 0);
	return bad_then_good(h);
}

static bool case_indirect_next_out_of_range(struct hctx *h)
{
	desc_set(&ring.table[0][0], BUF(0), 32, W | N, 2);
	desc_set(&ring.table[0][1], BUF(32), 32, W, 0);
	desc_set(&ring.desc[3], TABLE(0), 32, I, 0);
	return bad_then_good(h);
}

static bool case_indirect_addr_outside_ram(struct hctx *h)
{
	desc_set(&ring.desc[3], OUTSIDE_RAM, 16, I, 0);
	return bad_then_good(h);
}

/* A table of queue size entries: allowed, served in full. */
static bool case_indirect_full(struct hctx *h)
{
	for (unsigned int k = 0; k < HQ_NUM; k++)
		desc_set(&ring.table[0][k], BUF(8 * k), 8, (uint16_t)(W | (k + 1 < HQ_NUM ? N : 0)),
			 (uint16_t)(k + 1 < HQ_NUM ? k + 1 : 0));
	desc_set(&ring.desc[3], TABLE(0), 16 * HQ_NUM, I, 0);
	return h_chain(h, HQ_BAD_HEAD, 8 * HQ_NUM) && h_good(h);
}

/* §2.7.5.3.2: the device ignores WRITE on a descriptor that points to a table. */
static bool case_indirect_write_flag(struct hctx *h)
{
	desc_set(&ring.table[0][0], BUF(0), 64, W, 0);
	desc_set(&ring.desc[3], TABLE(0), 16, I | W, 0);
	return h_chain(h, HQ_BAD_HEAD, 64) && h_good(h);
}

/* Two readable descriptors of BIG_DESC_LEN over the same RAM: more than 2^32 - 1 bytes. */
static bool case_total_over_4g(struct hctx *h)
{
	bool room = false;

	for (uint32_t i = 0; i < h->nmap; i++) {
		const struct hvm_memmap_entry *e = &h->map[i];

		if (e->type == HVM_MEMMAP_TYPE_RAM && e->addr <= BIG_DESC_ADDR &&
		    e->addr + e->size >= BIG_DESC_ADDR + BIG_DESC_LEN)
			room = true;
	}
	if (!room)
		return fail(h, "needs 2.5 GiB of RAM below 4 GiB (minnow -m 3G)");
	desc_set(&ring.desc[3], BIG_DESC_ADDR, BIG_DESC_LEN, N, 5);
	desc_set(&ring.desc[5], BIG_DESC_ADDR, BIG_DESC_LEN, 0, 0);
	return bad_then_good(h);
}

/* The driver scribbles over the used ring; the device keeps its own cursor. */
static bool case_used_idx_scribble(struct hctx *h)
{
	volatile struct virtq_used *u = &ring.used;

	if (!h_good(h))
		return false;
	u->idx = 0x1234;
	u->flags = 0xffff;
	u->ring[0].id = 0xffffffff;
	u->ring[0].len = 0xffffffff;
	u->ring[1].id = 0xdead;
	u->ring[1].len = 0xbeef;
	full_barrier();
	/* The next entries land in slots 1 and 2, and used->idx says 2, then 3. */
	return h_good(h) && h_good(h);
}

/* §2.7.13: the same head twice in the available ring. Served twice; nothing breaks. */
static bool case_duplicate_head(struct hctx *h)
{
	desc_set(&ring.desc[3], BUF(0), 64, W, 0);
	avail_put(h, HQ_BAD_HEAD);
	avail_put(h, HQ_BAD_HEAD);
	avail_publish(h);
	kick(h);
	if (!used_wait(h, 2) || !used_take(h, HQ_BAD_HEAD, 64) || !used_take(h, HQ_BAD_HEAD, 64))
		return false;
	return h_good(h);
}

/* EVENT_IDX with used_event and avail_event poisoned: requests are still served. */
static bool case_event_idx_poison(struct hctx *h)
{
	volatile uint16_t *used_event = &ring.avail.ring[HQ_NUM];
	volatile uint16_t *avail_event = (volatile uint16_t *)&ring.used.ring[HQ_NUM];
	static const uint16_t vals[] = {0xffff, 0, 0x7fff, 0x8001};

	if (!(h->dev.negotiated & F_EVENT))
		return fail(h, "VIRTIO_F_EVENT_IDX not negotiated");
	for (unsigned int i = 0; i < ARRAY_SIZE(vals); i++) {
		*used_event = vals[i];
		*avail_event = vals[i];
		full_barrier();
		if (!h_good(h))
			return false;
	}
	return true;
}

/* HQ_NUM chains of 8 bytes on descriptors 0..HQ_NUM-1, made available with one kick. */
static bool ring_batch(struct hctx *h)
{
	for (uint16_t i = 0; i < HQ_NUM; i++) {
		desc_set(&ring.desc[i], BUF(8 * i), 8, W, 0);
		avail_put(h, i);
	}
	avail_publish(h);
	kick(h);
	if (!used_wait(h, HQ_NUM))
		return false;
	for (uint16_t i = 0; i < HQ_NUM; i++) {
		if (!used_take(h, i, 8))
			return false;
	}
	return true;
}

/* §2.7.13.3: exactly queue size chains available at once is allowed. */
static bool case_ring_full(struct hctx *h)
{
	return ring_batch(h) && h_good(h);
}

/* avail->idx and used->idx wrap at 2^16: the device's cursors follow. */
static bool case_idx_wrap(struct hctx *h)
{
	for (uint32_t n = 0; n < 0x10000 / HQ_NUM + 1; n++) {
		if (!ring_batch(h)) {
			fact(h, "batch", n);
			return false;
		}
	}
	fact(h, "avail_idx", h->avail_idx);
	return h_good(h);
}

/* ---- ring cases: the device must stop and ask for a reset ---- */

static bool case_avail_idx_jump(struct hctx *h)
{
	uint32_t irqs;

	if (!h_good(h))
		return false;
	irqs = probe_virtio_irq_count;
	h->avail_idx = (uint16_t)(h->avail_idx + HQ_NUM + 1);
	avail_publish(h);
	kick(h);
	return h_expect_needs_reset(h, irqs);
}

static bool case_avail_idx_backwards(struct hctx *h)
{
	uint32_t irqs;

	if (!h_good(h))
		return false;
	irqs = probe_virtio_irq_count;
	h->avail_idx--;
	avail_publish(h);
	kick(h);
	return h_expect_needs_reset(h, irqs);
}

static bool case_head_out_of_range(struct hctx *h)
{
	uint32_t irqs;

	if (!h_good(h))
		return false;
	irqs = probe_virtio_irq_count;
	avail_put(h, HQ_NUM + 3);
	avail_publish(h);
	kick(h);
	return h_expect_needs_reset(h, irqs);
}

/* Many kicks with nothing new: absorbed by the ioeventfd, bounded time, device fine. */
static bool case_kick_storm(struct hctx *h)
{
	uint64_t start, us;

	if (!h_good(h))
		return false;
	start = rdtsc();
	for (unsigned int i = 0; i < KICK_STORM; i++)
		kick(h);
	us = (rdtsc() - start) / h->tpus;
	fact(h, "kicks", KICK_STORM);
	fact(h, "storm_us", us);
	if (us > STORM_MAX_US)
		return fail(h, "the kick storm took too long");
	return h_quiet(h) && h_good(h);
}

struct hcase {
	const char *name;
	bool (*run)(struct hctx *h);
	bool init;	 /* a full initialization before run */
	uint64_t accept; /* features the driver takes (VERSION_1 always) */
};

static const struct hcase cases[] = {
	{"queue_sel_oob", case_queue_sel_oob, false, F_INDIRECT},
	{"notify_bad_index", case_notify_bad_index, true, F_INDIRECT},
	{"notify_before_driver_ok", case_notify_before_driver_ok, false, F_INDIRECT},
	{"bad_width", case_bad_width, true, F_INDIRECT},
	{"readonly_write", case_readonly_write, true, F_INDIRECT},
	{"writeonly_read", case_writeonly_read, true, F_INDIRECT},
	{"features_unoffered", case_features_unoffered, false, F_INDIRECT},
	{"no_version_1", case_no_version_1, false, F_INDIRECT},
	{"status_clear_bits", case_status_clear_bits, false, F_INDIRECT},
	{"driver_ok_twice", case_driver_ok_twice, true, F_INDIRECT},
	{"driver_ok_without_features_ok", case_driver_ok_without_features_ok, false, F_INDIRECT},
	{"driver_ok_without_queue", case_driver_ok_without_queue, false, F_INDIRECT},
	{"queue_setup_after_driver_ok", case_queue_setup_after_driver_ok, true, F_INDIRECT},
	{"bad_queue_size", case_bad_queue_size, false, F_INDIRECT},
	{"bad_ring_addr", case_bad_ring_addr, false, F_INDIRECT},
	{"reset_cycles", case_reset_cycles, false, F_INDIRECT},
	{"desc_loop_self", case_desc_loop_self, true, F_INDIRECT},
	{"desc_loop_two", case_desc_loop_two, true, F_INDIRECT},
	{"chain_too_long", case_chain_too_long, true, F_INDIRECT},
	{"chain_full", case_chain_full, true, F_INDIRECT},
	{"next_out_of_range", case_next_out_of_range, true, F_INDIRECT},
	{"addr_outside_ram", case_addr_outside_ram, true, F_INDIRECT},
	{"addr_wraps", case_addr_wraps, true, F_INDIRECT},
	{"addr_straddles_ram_end", case_addr_straddles_ram_end, true, F_INDIRECT},
	{"addr_in_mmio", case_addr_in_mmio, true, F_INDIRECT},
	{"addr_in_ring", case_addr_in_ring, true, F_INDIRECT},
	{"len_zero_only", case_len_zero_only, true, F_INDIRECT},
	{"readonly_buffer", case_readonly_buffer, true, F_INDIRECT},
	{"read_then_write", case_read_then_write, true, F_INDIRECT},
	{"write_before_read", case_write_before_read, true, F_INDIRECT},
	{"indirect_not_negotiated", case_indirect_not_negotiated, true, 0},
	{"indirect_nested", case_indirect_nested, true, F_INDIRECT},
	{"indirect_with_next", case_indirect_with_next, true, F_INDIRECT},
	{"indirect_bad_len", case_indirect_bad_len, true, F_INDIRECT},
	{"indirect_loop", case_indirect_loop, true, F_INDIRECT},
	{"indirect_next_out_of_range", case_indirect_next_out_of_range, true, F_INDIRECT},
	{"indirect_addr_outside_ram", case_indirect_addr_outside_ram, true, F_INDIRECT},
	{"indirect_full", case_indirect_full, true, F_INDIRECT},
	{"indirect_write_flag", case_indirect_write_flag, true, F_INDIRECT},
	{"total_over_4g", case_total_over_4g, true, F_INDIRECT},
	{"used_idx_scribble", case_used_idx_scribble, true, F_INDIRECT},
	{"duplicate_head", case_duplicate_head, true, F_INDIRECT},
	{"event_idx_poison", case_event_idx_poison, true, F_INDIRECT | F_EVENT},
	{"ring_full", case_ring_full, true, F_INDIRECT},
	{"idx_wrap", case_idx_wrap, true, F_INDIRECT},
	{"avail_idx_jump", case_avail_idx_jump, true, F_INDIRECT},
	{"avail_idx_backwards", case_avail_idx_backwards, true, F_INDIRECT},
	{"head_out_of_range", case_head_out_of_range, true, F_INDIRECT},
	{"kick_storm", case_kick_storm, true, F_INDIRECT},
};

static void report(struct hctx *h, struct str name, uint64_t us)
{
	struct json j;

	json_begin(&j);
	json_cstr(&j, "probe", "virtio-hostile");
	json_str(&j, "case", name);
	json_bool(&j, "ok", !h->why);
	if (h->why)
		json_cstr(&j, "reason", h->why);
	for (unsigned int i = 0; i < h->nfacts; i++)
		json_u64(&j, h->facts[i].key, h->facts[i].val);
	json_u64(&j, "good", h->good);
	json_u64(&j, "irqs", probe_virtio_irq_count);
	json_u64(&j, "us", us);
	json_end(&j);
}

/* The end of the RAM range that holds the probe (loaded at 1 MiB). */
static uint64_t ram_top(const struct hvm_memmap_entry *map, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		if (map[i].type == HVM_MEMMAP_TYPE_RAM && map[i].addr <= 0x100000 &&
		    map[i].addr + map[i].size > 0x100000)
			return map[i].addr + map[i].size;
	}
	return 0;
}

/* The first entropy device on the command line, opened. */
static bool find_rng(struct hctx *h, struct str cmdline)
{
	struct virtio_mmio_loc locs[VIRTIO_MAX_DEVICES];
	struct str bad;
	int n = virtio_find(cmdline, locs, VIRTIO_MAX_DEVICES, &bad);

	for (int i = 0; i < n && i < VIRTIO_MAX_DEVICES; i++) {
		if (!virtio_open(&h->dev, &locs[i]) && h->dev.device_id == VIRTIO_ID_ENTROPY)
			return true;
	}
	return fail(h, "no usable entropy device (id 4) on the command line");
}

int virtio_hostile(struct str cmdline, const struct hvm_memmap_entry *map, uint32_t nmap)
{
	static struct hctx hc;
	struct hctx *h = &hc;
	struct str name = {"", 0};
	const struct hcase *c = NULL;
	uint64_t start, hz;
	bool routed = false;

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
	h->map = map;
	h->nmap = nmap;
	h->ram_top = ram_top(map, nmap);
	h->accept = c->accept;
	hz = tsc_hz();
	h->tpus = hz / 1000000 ? hz / 1000000 : 1;
	if (!h->ram_top)
		fail(h, "no RAM range at 1 MiB in the memory map");
	if (h->why || !find_rng(h, cmdline)) {
		report(h, name, 0);
		return PROBE_EXIT_FAIL;
	}
	/* Configuration change interrupts: IOAPIC pin -> HOSTILE_VECTOR, counted at CPL 0. */
	if (h->dev.loc.irq < IOAPIC_PINS) {
		pic_mask_all();
		lapic_enable();
		idt_set_gate(HOSTILE_VECTOR, probe_virtio_irq_count_eoi);
		ioapic_route(h->dev.loc.irq, HOSTILE_VECTOR);
		irq_enable();
		routed = true;
	}
	start = rdtsc();
	if ((!c->init || h_init(h)) && c->run(h) && used_idx() != h->last_used) {
		fact(h, "used_idx", used_idx());
		fail(h, "more used entries than chains made available");
	}
	if (routed) {
		irq_disable();
		ioapic_mask(h->dev.loc.irq);
	}
	/* The device stays as the case left it: minnow's --metrics shows that state. */
	report(h, name, (rdtsc() - start) / h->tpus);
	return h->why ? PROBE_EXIT_FAIL : PROBE_EXIT_OK;
}
