// SPDX-License-Identifier: MIT
// Probe guest: the virtio-hostile mode, one misbehaving-driver case per run.
//
// Each case does one thing virtio 1.2 forbids a driver (or tries a boundary
// it allows), then proves that the device still works: a following good
// request is served, or, after a ring corruption, the device shows
// DEVICE_NEEDS_RESET with a configuration change interrupt and works again
// after a reset and a full re-initialization.
//
// The rings are driven by hand (hostile_ring.c); the cases are in hostile_transport.c and
// hostile_chain.c. This file runs the mode.
#include "hostile.h"
#include "hostile_chain.h"
#include "hostile_ring.h"
#include "hostile_transport.h"
#include "irq.h"

#define HOSTILE_VECTOR 0x30
#define IOAPIC_PINS    24
#define MAX_FACTS      16

static void report(struct hctx *h, struct str name, uint64_t us)
{
	struct json j;

	hl_report_head(&j, "virtio-hostile", name, &h->log);
	hl_report_facts(&j, &h->log);
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

int virtio_hostile(struct str cmdline, const struct hvm_memmap_entry *map, uint32_t nmap)
{
	static const void *const tables[] = {h_transport_cases, h_chain_cases};
	static struct hctx hc;
	struct hctx *h = &hc;
	struct str name = {"", 0};
	const struct hcase *c;
	uint64_t start;
	bool routed = false;

	h->log.max_facts = MAX_FACTS;
	c = hl_case_find(&h->log, cmdline, &name, tables, ARRAY_SIZE(tables), sizeof(*c));
	if (!c) {
		report(h, name, 0);
		return PROBE_EXIT_USAGE;
	}
	h->map = map;
	h->nmap = nmap;
	h->ram_top = ram_top(map, nmap);
	h->accept = c->accept;
	hl_clock_init();
	if (!h->ram_top)
		hl_fail(&h->log, "no RAM range at 1 MiB in the memory map");
	else if (!hl_open(&h->dev, cmdline, VIRTIO_ID_ENTROPY))
		hl_fail(&h->log, "no usable entropy device (id 4) on the command line");
	if (h->log.why) {
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
	if ((!c->init || h_init(h)) && c->run(h) && h_used_idx() != h->last_used) {
		hl_fact(&h->log, "used_idx", h_used_idx());
		hl_fail(&h->log, "more used entries than chains made available");
	}
	if (routed) {
		irq_disable();
		ioapic_mask(h->dev.loc.irq);
	}
	/* The device stays as the case left it: minnow's --metrics shows that state. */
	report(h, name, hl_us_since(start));
	return h->log.why ? PROBE_EXIT_FAIL : PROBE_EXIT_OK;
}
