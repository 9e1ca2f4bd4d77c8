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
// queues of virtio.c's pool (four per run, then RINGS more in RAM).
//
// The rings are driven in nethostile_ring.c; the cases are in nethostile_tx.c,
// nethostile_ctrl.c (the control queue) and
// nethostile_rx.c. This file runs the mode.
#include "nethostile.h"
#include "nethostile_ctrl.h"
#include "nethostile_ring.h"
#include "nethostile_rx.h"
#include "nethostile_tx.h"

#define MAX_FACTS   20
#define POOL_ALIGN  (2ull << 20)
#define BAD_AREA    (256u << 10) /* the bad chain's bytes, writable piece at +64 KiB */
#define PAYLOAD_DEF 64
#define PAYLOAD_MAX 1400
#define RINGS	    6 /* virtqueues in RAM: a second setup with 2 pairs and the control queue */

extern char _end[]; /* probe.ld: the end of the image (.bss included) */

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

int net_hostile(struct str cmdline, const struct hvm_memmap_entry *map, uint32_t nmap)
{
	static const void *const tables[] = {nh_tx_cases, nh_rx_cases, nh_ctrl_cases};
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
	/* Rings beyond virtio.c's static four (resets, all pairs) after the buffers. */
	mem = pool(map, nmap, BAD_AREA + 2 * GOOD_AREA + RINGS * virtq_mem_bytes());
	if (mem)
		virtq_pool_add(mem + BAD_AREA + 2 * GOOD_AREA, RINGS);
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
		    nh_used_idx(&h->tx) != h->tx.last_used ||
		    (h->ctl.q && nh_used_idx(&h->ctl) != h->ctl.last_used)) {
			hl_fact(&h->log, "rx_used_idx", nh_used_idx(&h->rx));
			hl_fact(&h->log, "tx_used_idx", nh_used_idx(&h->tx));
			hl_fail(&h->log, "more used entries than chains made available");
		}
	}
	/* The device stays as the case left it: minnow's --metrics shows that state. */
	report(h, name, hl_us_since(start));
	return h->log.why ? PROBE_EXIT_FAIL : PROBE_EXIT_OK;
}
