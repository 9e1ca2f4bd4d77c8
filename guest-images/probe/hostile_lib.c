// SPDX-License-Identifier: MIT
// Probe guest: the helpers both hostile-driver modes (hostile.c, nethostile.c) drive devices with.
#include "hostile_lib.h"

static uint64_t tpus = 1; /* TSC ticks per microsecond (hl_clock_init) */

static bool streq(const char *a, const char *b)
{
	while (*a && *a == *b) {
		a++;
		b++;
	}
	return *a == *b;
}

void hl_fact(struct hl_log *l, const char *key, uint64_t val)
{
	for (unsigned int i = 0; i < l->nfacts; i++) {
		if (streq(l->facts[i].key, key)) {
			l->facts[i].val = val;
			return;
		}
	}
	if (l->nfacts < l->max_facts && l->nfacts < HL_MAX_FACTS)
		l->facts[l->nfacts++] = (struct hl_fact){key, val};
}

bool hl_fail(struct hl_log *l, const char *why)
{
	if (!l->why)
		l->why = why;
	return false;
}

bool hl_fail_used(struct hl_log *l, uint32_t id, uint32_t len, uint32_t want_id, uint32_t want_len,
		  const char *why)
{
	hl_fact(l, "got_id", id);
	hl_fact(l, "got_len", len);
	hl_fact(l, "want_id", want_id);
	hl_fact(l, "want_len", want_len);
	return hl_fail(l, why);
}

void hl_report_head(struct json *j, const char *probe, struct str name, const struct hl_log *l)
{
	json_begin(j);
	json_cstr(j, "probe", probe);
	json_str(j, "case", name);
	json_bool(j, "ok", !l->why);
	if (l->why)
		json_cstr(j, "reason", l->why);
}

void hl_report_facts(struct json *j, const struct hl_log *l)
{
	for (unsigned int i = 0; i < l->nfacts; i++)
		json_u64(j, l->facts[i].key, l->facts[i].val);
}

void hl_clock_init(void)
{
	uint64_t hz = tsc_hz();

	tpus = hz / 1000000 ? hz / 1000000 : 1;
}

uint64_t hl_ticks(uint64_t us)
{
	return us * tpus;
}

uint64_t hl_us_since(uint64_t start)
{
	return (rdtsc() - start) / tpus;
}

void hl_spin_us(uint64_t us)
{
	uint64_t start = rdtsc();

	while (rdtsc() - start < hl_ticks(us))
		cpu_relax();
}

uint64_t hl_mmio_read(const struct virtio_dev *d, uint32_t off, unsigned int size)
{
	uintptr_t a = d->regs + off;
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

void hl_mmio_write(const struct virtio_dev *d, uint32_t off, unsigned int size, uint64_t v)
{
	uintptr_t a = d->regs + off;

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

uint32_t hl_r32(const struct virtio_dev *d, uint32_t off)
{
	return (uint32_t)hl_mmio_read(d, off, 4);
}

void hl_w32(const struct virtio_dev *d, uint32_t off, uint32_t v)
{
	hl_mmio_write(d, off, 4, v);
}

const void *hl_case_find(struct hl_log *l, struct str cmdline, struct str *name,
			 const void *const *tables, unsigned int ntables, size_t size)
{
	const void *c = NULL;

	cmdline_get(cmdline, "probe.case", name);
	for (unsigned int t = 0; t < ntables; t++) {
		for (const char *e = tables[t]; *(const char *const *)e; e += size) {
			if (str_eq(*name, *(const char *const *)e))
				c = e;
		}
	}
	if (!c)
		hl_fail(l, "unknown probe.case");
	return c;
}

bool hl_open(struct virtio_dev *d, struct str cmdline, uint32_t device_id)
{
	struct virtio_mmio_loc locs[VIRTIO_MAX_DEVICES];
	struct str bad;
	int n = virtio_find(cmdline, locs, VIRTIO_MAX_DEVICES, &bad);

	for (int i = 0; i < n && i < VIRTIO_MAX_DEVICES; i++) {
		if (!virtio_open(d, &locs[i]) && d->device_id == device_id)
			return true;
	}
	return false;
}
