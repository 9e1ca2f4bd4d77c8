// SPDX-License-Identifier: MIT
// Probe guest virtio-mmio (version 2) driver core: discovery, initialization, split virtqueues.
#include "entry.h"
#include "virtio.h"

#define PDE_PWT	   0x8ull
#define PDE_PCD	   0x10ull
#define PAGE_2M	   (1ull << 21)
#define RESET_POLL 1000 /* Status reads after a reset before giving up */
/*
 * With EVENT_IDX a device notifies when the used index it publishes passes
 * used_event (§2.7.10: used_event in (old, new]). To suppress notifications
 * the driver puts used_event half the index space ahead of what it has
 * harvested: the device is never more than a few queue sizes ahead of the
 * driver, so it cannot get there (refreshed on every harvest). Just behind
 * (last_used - 1) is not enough: a device that fills a batch while the
 * driver polls sees the event the driver moved into the batch's range.
 */
#define USED_EVENT_FAR 0x8000

/*
 * x86 at CPL 3: stores are not reordered with stores, nor loads with loads,
 * so the spec's write and read barriers only need to stop the compiler. A
 * store followed by a load of another location may be reordered by the
 * CPU: where the spec needs that order (publish avail->idx, then read
 * avail_event or the used flags; write used_event, then read used->idx)
 * it takes a full barrier, mfence. mfence is unprivileged.
 */
static inline void barrier(void)
{
	__asm__ volatile("" : : : "memory");
}

static inline void full_barrier(void)
{
	__asm__ volatile("mfence" : : : "memory");
}

/* One virtqueue's memory: desc 16-aligned, avail 2, used 4 (§2.7). */
struct virtq_mem {
	struct virtq_desc desc[VIRTQ_MAX];
	struct virtq_desc indirect[VIRTQ_MAX][VIRTQ_INDIRECT_MAX];
	struct virtq_avail avail;
	struct virtq_used used;
	void *token[VIRTQ_MAX];	   /* per head descriptor; NULL when not in flight */
	uint16_t chain[VIRTQ_MAX]; /* descriptors the chain at a head takes in desc[] */
} __attribute__((aligned(4096)));

static struct virtq_mem virtq_pool[VIRTQ_POOL];
static unsigned int virtq_pool_used;
static struct virtq_mem *virtq_extra; /* virtq_pool_add: after the static pool */
static unsigned int virtq_extra_n, virtq_extra_used;

static uint32_t reg_read(const struct virtio_dev *d, uint32_t off)
{
	return *(volatile uint32_t *)(d->regs + off);
}

static void reg_write(const struct virtio_dev *d, uint32_t off, uint32_t val)
{
	*(volatile uint32_t *)(d->regs + off) = val;
}

/* A number with an optional K/M/G suffix (binary multiples), as Linux's memparse. */
static int parse_size(struct str s, uint64_t *out)
{
	unsigned int shift = 0;
	uint64_t v;

	if (s.len > 1) {
		switch (s.p[s.len - 1]) {
		case 'k':
		case 'K':
			shift = 10;
			break;
		case 'm':
		case 'M':
			shift = 20;
			break;
		case 'g':
		case 'G':
			shift = 30;
			break;
		default:
			break;
		}
	}
	if (shift)
		s.len--;
	if (str_to_u64(s, UINT32_MAX, &v))
		return -1;
	*out = v << shift;
	return 0;
}

/* s up to the first c: *head is that part, *s what follows c. False if no c. */
static bool split_at(struct str *s, char c, struct str *head)
{
	for (size_t i = 0; i < s->len; i++) {
		if (s->p[i] == c) {
			head->p = s->p;
			head->len = i;
			s->p += i + 1;
			s->len -= i + 1;
			return true;
		}
	}
	return false;
}

static int parse_loc(struct str v, struct virtio_mmio_loc *loc)
{
	struct str size, addr, irq;
	uint64_t n;

	if (!split_at(&v, '@', &size) || !split_at(&v, ':', &addr))
		return -1;
	if (split_at(&v, ':', &irq)) { /* v: a platform device id, checked, unused */
		if (str_to_u64(v, UINT32_MAX, &n))
			return -1;
	} else {
		irq = v;
	}
	if (parse_size(size, &loc->size) || !loc->size)
		return -1;
	if (str_to_u64(addr, UINT64_MAX, &loc->base))
		return -1;
	if (str_to_u64(irq, 255, &n))
		return -1;
	loc->irq = (uint32_t)n;
	return 0;
}

int virtio_find(struct str cmdline, struct virtio_mmio_loc *locs, int max, struct str *bad)
{
	static const char key[] = "virtio_mmio.device=";
	struct str word;
	int n = 0;

	while (cmdline_next(&cmdline, &word)) {
		struct virtio_mmio_loc loc;
		struct str v;

		if (!str_has_prefix(word, key))
			continue;
		v.p = word.p + sizeof(key) - 1;
		v.len = word.len - (sizeof(key) - 1);
		if (parse_loc(v, &loc)) {
			*bad = word;
			return -1;
		}
		if (n < max)
			locs[n] = loc;
		n++;
	}
	return n;
}

/*
 * entry.S maps everything above 2 MiB cacheable; device registers must not
 * be. Sets PCD|PWT on the 2 MiB pages of the window. The page was never
 * touched before (each mode opens a device once), so no TLB entry for it
 * can be stale, and no invlpg (CPL 0 only) is needed.
 */
static void map_uncached(uint64_t base, uint64_t size)
{
	for (uint64_t a = base & ~(PAGE_2M - 1); a < base + size; a += PAGE_2M) {
		volatile uint64_t *pde = &probe_pd[a >> 21];

		if ((*pde & (PDE_PCD | PDE_PWT)) != (PDE_PCD | PDE_PWT))
			*pde |= PDE_PCD | PDE_PWT;
	}
}

const char *virtio_open(struct virtio_dev *d, const struct virtio_mmio_loc *loc)
{
	memset(d, 0, sizeof(*d));
	d->loc = *loc;
	/* Below 2 MiB lives the probe itself (4 KiB pages, all cacheable). */
	if (loc->base < PAGE_2M || loc->size < VIRTIO_MMIO_CONFIG || loc->base & 3 ||
	    loc->size > PROBE_IDENTITY_LIMIT || loc->base > PROBE_IDENTITY_LIMIT - loc->size)
		return "window outside the identity map or too small";
	map_uncached(loc->base, loc->size);
	d->regs = (uintptr_t)loc->base;
	d->magic = reg_read(d, VIRTIO_MMIO_MAGIC_VALUE);
	if (d->magic != VIRTIO_MMIO_MAGIC)
		return "bad magic value";
	d->version = reg_read(d, VIRTIO_MMIO_VERSION);
	d->device_id = reg_read(d, VIRTIO_MMIO_DEVICE_ID);
	d->vendor_id = reg_read(d, VIRTIO_MMIO_VENDOR_ID);
	return NULL;
}

uint64_t virtio_read_features(struct virtio_dev *d)
{
	uint64_t f;

	reg_write(d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	f = reg_read(d, VIRTIO_MMIO_DEVICE_FEATURES);
	reg_write(d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
	f |= (uint64_t)reg_read(d, VIRTIO_MMIO_DEVICE_FEATURES) << 32;
	d->features = f;
	return f;
}

static void set_status(struct virtio_dev *d, uint32_t bits)
{
	d->status |= bits;
	reg_write(d, VIRTIO_MMIO_STATUS, d->status);
}

uint32_t virtio_read_status(struct virtio_dev *d)
{
	return reg_read(d, VIRTIO_MMIO_STATUS);
}

bool virtio_reset(struct virtio_dev *d)
{
	d->status = 0;
	reg_write(d, VIRTIO_MMIO_STATUS, 0);
	/* §2.4.1: the reset is complete once Status reads back 0. */
	for (unsigned int i = 0; i < RESET_POLL; i++) {
		if (!virtio_read_status(d))
			return true;
		cpu_relax();
	}
	return false;
}

void virtio_fail(struct virtio_dev *d)
{
	set_status(d, VIRTIO_STATUS_FAILED);
}

const char *virtio_init(struct virtio_dev *d, uint64_t accept)
{
	if (d->version == 1)
		return "legacy (version 1) virtio-mmio device; QEMU needs "
		       "-global virtio-mmio.force-legacy=false";
	if (d->version != 2)
		return "unsupported virtio-mmio version";
	if (!d->device_id)
		return "no device behind this transport (device id 0)";
	if (!virtio_reset(d))
		return "device did not reset (Status not 0)";
	set_status(d, VIRTIO_STATUS_ACKNOWLEDGE);
	set_status(d, VIRTIO_STATUS_DRIVER);
	virtio_read_features(d);
	if (!(d->features & VIRTIO_BIT(VIRTIO_F_VERSION_1))) {
		virtio_fail(d);
		return "device does not offer VIRTIO_F_VERSION_1";
	}
	d->negotiated = d->features & (accept | VIRTIO_BIT(VIRTIO_F_VERSION_1));
	reg_write(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	reg_write(d, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)d->negotiated);
	reg_write(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	reg_write(d, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(d->negotiated >> 32));
	set_status(d, VIRTIO_STATUS_FEATURES_OK);
	if (!(virtio_read_status(d) & VIRTIO_STATUS_FEATURES_OK)) {
		virtio_fail(d);
		return "device did not accept the features (FEATURES_OK cleared)";
	}
	return NULL;
}

const char *virtq_setup(struct virtio_dev *d, unsigned int index, unsigned int max_size)
{
	struct virtq *q;
	struct virtq_mem *m;
	uint32_t num_max;
	unsigned int num;

	if (index >= VIRTIO_MAX_QUEUES || !max_size || max_size > VIRTQ_MAX)
		return "bad virtqueue index or size";
	if (virtq_pool_used >= VIRTQ_POOL && virtq_extra_used >= virtq_extra_n)
		return "out of virtqueue memory";
	reg_write(d, VIRTIO_MMIO_QUEUE_SEL, index);
	if (reg_read(d, VIRTIO_MMIO_QUEUE_READY))
		return "virtqueue already in use (QueueReady 1 after reset)";
	num_max = reg_read(d, VIRTIO_MMIO_QUEUE_NUM_MAX);
	if (!num_max)
		return "virtqueue not available (QueueNumMax 0)";
	num = max_size < num_max ? max_size : num_max;
	while (num & (num - 1)) /* split rings: a power of 2 (§2.7) */
		num &= num - 1;

	m = virtq_pool_used < VIRTQ_POOL ? &virtq_pool[virtq_pool_used++]
					 : &virtq_extra[virtq_extra_used++];
	memset(m, 0, sizeof(*m));
	q = &d->vq[index];
	memset(q, 0, sizeof(*q));
	q->dev = d;
	q->mem = m;
	q->desc = m->desc;
	q->avail = &m->avail;
	q->used = &m->used;
	q->used_event = &m->avail.ring[num];
	q->avail_event = (volatile uint16_t *)&m->used.ring[num];
	q->index = (uint16_t)index;
	q->num = (uint16_t)num;
	q->num_free = (uint16_t)num;
	for (unsigned int i = 0; i < num; i++)
		m->desc[i].next = (uint16_t)(i + 1);
	q->event_idx = d->negotiated & VIRTIO_BIT(VIRTIO_F_EVENT_IDX);
	q->indirect = d->negotiated & VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC);
	q->irq_on = true; /* avail->flags 0, used_event 0: the ring's initial state */

	reg_write(d, VIRTIO_MMIO_QUEUE_NUM, num);
	reg_write(d, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)(uintptr_t)m->desc);
	reg_write(d, VIRTIO_MMIO_QUEUE_DESC_HIGH, (uint32_t)((uintptr_t)m->desc >> 32));
	reg_write(d, VIRTIO_MMIO_QUEUE_DRIVER_LOW, (uint32_t)(uintptr_t)&m->avail);
	reg_write(d, VIRTIO_MMIO_QUEUE_DRIVER_HIGH, (uint32_t)((uintptr_t)&m->avail >> 32));
	reg_write(d, VIRTIO_MMIO_QUEUE_DEVICE_LOW, (uint32_t)(uintptr_t)&m->used);
	reg_write(d, VIRTIO_MMIO_QUEUE_DEVICE_HIGH, (uint32_t)((uintptr_t)&m->used >> 32));
	barrier(); /* the zeroed rings before QueueReady */
	reg_write(d, VIRTIO_MMIO_QUEUE_READY, 1);
	return NULL;
}

void virtq_pool_add(void *mem, unsigned int n)
{
	virtq_extra = mem;
	virtq_extra_n = n;
	virtq_extra_used = 0;
}

uint64_t virtq_mem_bytes(void)
{
	return sizeof(struct virtq_mem);
}

void virtio_driver_ok(struct virtio_dev *d)
{
	barrier();
	set_status(d, VIRTIO_STATUS_DRIVER_OK);
}

uint32_t virtio_isr_ack(struct virtio_dev *d)
{
	uint32_t isr = reg_read(d, VIRTIO_MMIO_INTERRUPT_STATUS);

	if (isr)
		reg_write(d, VIRTIO_MMIO_INTERRUPT_ACK, isr);
	return isr;
}

uint32_t virtio_config_read32(struct virtio_dev *d, uint32_t off)
{
	return reg_read(d, VIRTIO_MMIO_CONFIG + off);
}

/* §4.2.2.2: 16-bit fields with 16-bit aligned accesses. */
uint16_t virtio_config_read16(struct virtio_dev *d, uint32_t off)
{
	return *(volatile uint16_t *)(d->regs + VIRTIO_MMIO_CONFIG + off);
}

uint32_t virtio_config_generation(struct virtio_dev *d)
{
	return reg_read(d, VIRTIO_MMIO_CONFIG_GENERATION);
}

uint8_t virtio_config_read8(struct virtio_dev *d, uint32_t off)
{
	return *(volatile uint8_t *)(d->regs + VIRTIO_MMIO_CONFIG + off);
}

int virtq_add(struct virtq *q, const struct virtio_sg *sg, unsigned int n, bool indirect,
	      void *token)
{
	struct virtq_desc *d;
	unsigned int need = indirect ? 1 : n;
	uint16_t head = q->free_head, i = head;

	if (!n || !token || need > q->num_free)
		return -1;
	if (indirect && (!q->indirect || n > VIRTQ_INDIRECT_MAX))
		return -1;
	if (indirect) {
		struct virtq_desc *t = q->mem->indirect[head];

		for (unsigned int k = 0; k < n; k++) {
			t[k].addr = sg[k].addr;
			t[k].len = sg[k].len;
			t[k].flags = (uint16_t)((sg[k].write ? VIRTQ_DESC_F_WRITE : 0) |
						(k + 1 < n ? VIRTQ_DESC_F_NEXT : 0));
			t[k].next = (uint16_t)(k + 1 < n ? k + 1 : 0);
		}
		d = &q->desc[head];
		d->addr = (uintptr_t)t;
		d->len = n * (uint32_t)sizeof(*t);
		d->flags = VIRTQ_DESC_F_INDIRECT;
		q->free_head = d->next;
	} else {
		/* Free descriptors are linked through next: the chain follows that list. */
		for (unsigned int k = 0; k < n; k++) {
			d = &q->desc[i];
			d->addr = sg[k].addr;
			d->len = sg[k].len;
			d->flags = (uint16_t)((sg[k].write ? VIRTQ_DESC_F_WRITE : 0) |
					      (k + 1 < n ? VIRTQ_DESC_F_NEXT : 0));
			i = d->next;
		}
		q->free_head = i;
	}
	q->num_free = (uint16_t)(q->num_free - need);
	q->mem->token[head] = token;
	q->mem->chain[head] = (uint16_t)need;
	q->avail->ring[q->avail_idx & (q->num - 1)] = head;
	q->avail_idx++;
	q->added++;
	return 0;
}

bool virtq_kick(struct virtq *q)
{
	uint16_t old = q->kicked_idx, new = q->avail_idx;
	bool notify;

	if (old == new)
		return false;
	barrier(); /* descriptors and ring entries before the index (§2.7.13) */
	q->avail->idx = new;
	q->kicked_idx = new;
	full_barrier(); /* the index before reading what the device asked (§2.7.10) */
	if (q->event_idx) {
		uint16_t event = *q->avail_event;

		/* §2.7.10: notify if avail_event lies in [old, new) */
		notify = (uint16_t)(new - event - 1) < (uint16_t)(new - old);
	} else {
		notify = !(q->used->flags & VIRTQ_USED_F_NO_NOTIFY);
	}
	if (notify) {
		reg_write(q->dev, VIRTIO_MMIO_QUEUE_NOTIFY, q->index);
		q->kicks++;
	}
	return notify;
}

bool virtq_pending(const struct virtq *q)
{
	return q->used->idx != q->last_used;
}

int virtq_get(struct virtq *q, uint32_t *len, void **token)
{
	uint16_t slot, id, last;
	uint32_t raw_id;

	if (q->used->idx == q->last_used)
		return 0;
	barrier(); /* the index before the entry it covers (loads are ordered on x86) */
	slot = q->last_used & (q->num - 1);
	raw_id = q->used->ring[slot].id;
	*len = q->used->ring[slot].len;
	if (raw_id >= q->num || !q->mem->token[raw_id])
		return -1;
	id = (uint16_t)raw_id;
	*token = q->mem->token[id];
	q->mem->token[id] = NULL;
	last = id;
	for (unsigned int k = 1; k < q->mem->chain[id]; k++)
		last = q->desc[last].next;
	q->desc[last].next = q->free_head;
	q->free_head = id;
	q->num_free = (uint16_t)(q->num_free + q->mem->chain[id]);
	q->last_used++;
	q->harvested++;
	if (!q->irq_on && q->event_idx) /* keep used_event out of the device's reach */
		*q->used_event = (uint16_t)(q->last_used + USED_EVENT_FAR);
	return 1;
}

bool virtq_enable_irq(struct virtq *q)
{
	q->irq_on = true;
	if (q->event_idx)
		*q->used_event = q->last_used; /* notify once entry last_used is used */
	else
		q->avail->flags = 0;
	full_barrier(); /* the request before looking at used->idx again (§2.7.10) */
	return virtq_pending(q);
}

void virtq_disable_irq(struct virtq *q)
{
	q->irq_on = false;
	if (q->event_idx)
		*q->used_event = (uint16_t)(q->last_used + USED_EVENT_FAR);
	else
		q->avail->flags = VIRTQ_AVAIL_F_NO_INTERRUPT;
}
