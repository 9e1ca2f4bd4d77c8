// SPDX-License-Identifier: MIT
// Probe guest main: reads hvm_start_info and the command line, runs one mode at CPL 3.
#include "acpi.h"
#include "hostile.h"
#include "irq.h"
#include "lib.h"
#include "nethostile.h"
#include "netmodes.h"
#include "netmq.h"
#include "nettcp.h"
#include "netverify.h"
#include "probe.h"
#include "entry.h"
#include "virtio.h"

#define CMDLINE_MAX	 4096
#define I8042_COMMAND	 0x64
#define RSTCTL_PORT	 0xcf9	/* reset control register (PIIX/ICH) */
#define I8042_CMD_RESET	 0xfe
#define RESET_WAIT_SPINS 20000000u    /* a fraction of a second at CPL 3 */
#define ECHO_MAX	 4096	      /* probe.count limit for serial-echo */
#define ECHO_VECTOR	 0x24	      /* the UART's IOAPIC vector */
#define ECHO_IDLE_S	 5	      /* give up after this long without a byte */
#define VIRTIO_VECTOR	 0x30	      /* the virtio device's IOAPIC vector */
#define VIRTIO_IDLE_S	 5	      /* give up after this long without a used entry */
#define IOAPIC_PINS	 24	      /* redirection entries of the (only) IOAPIC */
#define RNG_MAX_BYTES	 65536	      /* probe.bytes limit */
#define RNG_POOL	 (256 * 1024) /* receive buffers, all in flight together */

static const struct hvm_start_info *start_info;
static struct str cmdline;

/* True if [addr, addr + size) lies inside the identity map (and not page 0). */
static bool phys_ok(uint64_t addr, uint64_t size)
{
	return addr >= 0x1000 && size <= PROBE_IDENTITY_LIMIT &&
	       addr <= PROBE_IDENTITY_LIMIT - size;
}

static void report_error(const char *reason, struct str detail)
{
	struct json j;

	json_begin(&j);
	json_cstr(&j, "probe", "error");
	json_str_concat(&j, "reason", reason, detail);
	json_end(&j);
}

static const struct str str_none = {"", 0};

/* PVH ABI: EBX held a struct hvm_start_info; check it before trusting it. */
static void boot_info_load(void)
{
	const struct hvm_start_info *si;

	if (!phys_ok(probe_start_info, sizeof(*si))) {
		report_error("bad start_info address", str_none);
		probe_exit(PROBE_EXIT_BAD_BOOT);
	}
	si = (const struct hvm_start_info *)probe_start_info;
	if (si->magic != HVM_START_MAGIC) {
		report_error("bad start_info magic", str_none);
		probe_exit(PROBE_EXIT_BAD_BOOT);
	}
	start_info = si;
	cmdline = str_none;
	if (si->cmdline_paddr && phys_ok(si->cmdline_paddr, 1)) {
		const char *p = (const char *)si->cmdline_paddr;
		uint64_t room = PROBE_IDENTITY_LIMIT - si->cmdline_paddr;

		cmdline.p = p;
		cmdline.len = strnlen(p, room < CMDLINE_MAX ? room : CMDLINE_MAX);
	}
}

/* The memory map, or 0 entries if start_info is version 0 or it is unusable. */
static uint32_t memmap_get(const struct hvm_memmap_entry **map)
{
	const struct hvm_start_info *si = start_info;

	*map = NULL;
	if (si->version < 1 || !si->memmap_entries ||
	    !phys_ok(si->memmap_paddr, (uint64_t)si->memmap_entries * sizeof(**map)))
		return 0;
	*map = (const struct hvm_memmap_entry *)si->memmap_paddr;
	return si->memmap_entries;
}

/*
 * probe.KEY=N from the command line, or def if absent. On a malformed or
 * out-of-range value, reports it and exits with PROBE_EXIT_USAGE.
 */
static uint64_t arg_u64(const char *key, uint64_t def, uint64_t max)
{
	struct str val;
	uint64_t v;

	if (!cmdline_get(cmdline, key, &val))
		return def;
	if (str_to_u64(val, max, &v)) {
		report_error("bad value for ", (struct str){key, strlen(key)});
		probe_exit(PROBE_EXIT_USAGE);
	}
	return v;
}

static int mode_hello(void)
{
	const struct hvm_memmap_entry *map;
	uint32_t n = memmap_get(&map);
	uint64_t ram = 0;
	struct json j;

	for (uint32_t i = 0; i < n; i++) {
		if (map[i].type == HVM_MEMMAP_TYPE_RAM)
			ram += map[i].size;
	}
	json_begin(&j);
	json_cstr(&j, "probe", "hello");
	json_u64(&j, "cpl", cpu_cpl());
	json_str(&j, "cmdline", cmdline);
	json_u64(&j, "mem_bytes", ram);
	json_u64(&j, "memmap_entries", n);
	json_end(&j);
	return PROBE_EXIT_OK;
}

static int mode_exit(void)
{
	uint64_t status = arg_u64("probe.status", 0, 255);
	struct json j;

	json_begin(&j);
	json_cstr(&j, "probe", "exit");
	json_u64(&j, "status", status);
	json_end(&j);
	return (int)status;
}

static void say(const char *mode)
{
	struct json j;

	json_begin(&j);
	json_cstr(&j, "probe", mode);
	json_end(&j);
}

/*
 * Shut the vCPU down with a triple fault. Default "idt": every IDT gate
 * made not-present, so the #UD below cannot be delivered (#NP), nor can the
 * #NP or the #DF that follow. "rsp0": see below. Both work under kvm-pvm.
 */
static int mode_triple_fault(void)
{
	struct str how = {"idt", 3};

	cmdline_get(cmdline, "probe.tf", &how);
	if (!str_eq(how, "idt") && !str_eq(how, "rsp0")) {
		report_error("unknown probe.tf ", how);
		return PROBE_EXIT_USAGE;
	}
	say("triple-fault");
	if (str_eq(how, "idt")) {
		/* The IDT is user-writable (a test guest); clear each P bit. */
		for (unsigned int i = 0; i < 256; i++)
			probe_idt[i * 16 + 5] &= 0x7f;
	} else {
		/*
		 * So is the TSS. A non-canonical RSP0 makes the stack switch
		 * of any exception from CPL 3 fail (#SS), and then of the #DF.
		 */
		probe_tss.rsp[0] = 0x8000000000000000ull;
	}
	__asm__ volatile("ud2" : : : "memory");
	report_error("triple fault did not happen", str_none);
	return PROBE_EXIT_NO_RESET;
}

/*
 * Take a CPU exception at CPL 3 on purpose, to exercise the CPL-0 exception
 * path: "pf" reads address 0 (page 0 is unmapped), "ud" runs ud2, "gp"
 * loads a non-canonical address. Expected end: PROBE_EXIT_EXCEPTION.
 */
static int mode_fault(void)
{
	struct str kind = {"pf", 2};

	say("fault");
	cmdline_get(cmdline, "probe.fault", &kind);
	if (str_eq(kind, "pf")) {
		(void)*(volatile uint64_t *)0;
	} else if (str_eq(kind, "ud")) {
		__asm__ volatile("ud2" : : : "memory");
	} else if (str_eq(kind, "gp")) {
		(void)*(volatile uint64_t *)0x8000000000000000ull;
	} else {
		report_error("unknown probe.fault ", kind);
		return PROBE_EXIT_USAGE;
	}
	report_error("fault did not happen", str_none);
	return PROBE_EXIT_FAIL;
}

static int mode_i8042_reset(void)
{
	say("i8042-reset");
	outb(I8042_COMMAND, I8042_CMD_RESET);
	/* The VMM may finish the vCPU a little after the write returns. */
	for (uint32_t i = 0; i < RESET_WAIT_SPINS; i++)
		cpu_relax();
	report_error("i8042 reset did not happen", str_none);
	return PROBE_EXIT_NO_RESET;
}

/* What Linux's reboot=pci does (BOOT_CF9_FORCE): request a hard reset, then RST_CPU. */
static int mode_cf9_reset(void)
{
	uint8_t cf9 = inb(RSTCTL_PORT) & ~0x0e;
	struct json j;
	uint8_t back;

	outb(RSTCTL_PORT, cf9 | 0x02);
	back = inb(RSTCTL_PORT);
	json_begin(&j);
	json_cstr(&j, "probe", "cf9-reset");
	json_u64(&j, "before", cf9);
	json_u64(&j, "read_back", back);
	json_end(&j);
	outb(RSTCTL_PORT, cf9 | 0x0e);
	for (uint32_t i = 0; i < RESET_WAIT_SPINS; i++)
		cpu_relax();
	report_error("cf9 reset did not happen", str_none);
	return PROBE_EXIT_NO_RESET;
}

/* ACPI 6.4 §4.8.3.7: SLP_TYPx in bits 2-4, SLP_EN bit 5; WAK_STS is bit 7 of the status. */
#define ACPI_SLP_EN	0x20
#define ACPI_WAK_STS	0x80
#define ACPI_SLP_TYP_S5 5

static int acpi_power_or_fail(struct acpi_power *pw)
{
	const char *why = acpi_find_power(start_info->rsdp_paddr, pw);

	if (why) {
		report_error(why, str_none);
		return PROBE_EXIT_FAIL;
	}
	return PROBE_EXIT_OK;
}

/* What Linux's acpi_hw_extended_sleep() does for S5, with \_S5_'s value. */
static int mode_acpi_poweroff(void)
{
	struct acpi_power pw;
	uint64_t typ = arg_u64("probe.slp_typ", ACPI_SLP_TYP_S5, 7);
	struct json j;

	if (acpi_power_or_fail(&pw))
		return PROBE_EXIT_FAIL;
	json_begin(&j);
	json_cstr(&j, "probe", "acpi-poweroff");
	json_u64(&j, "port", pw.sleep_control_port);
	json_u64(&j, "slp_typ", typ);
	json_end(&j);
	outb(pw.sleep_status_port, ACPI_WAK_STS);
	outb(pw.sleep_control_port, (uint8_t)((typ << 2) | ACPI_SLP_EN));
	for (uint32_t i = 0; i < RESET_WAIT_SPINS; i++)
		cpu_relax();
	say("acpi-poweroff-survived");
	return PROBE_EXIT_NO_RESET;
}

/* What Linux's acpi_reboot() does: the FADT reset value to the reset register. */
static int mode_acpi_reset(void)
{
	struct acpi_power pw;
	struct json j;

	if (acpi_power_or_fail(&pw))
		return PROBE_EXIT_FAIL;
	json_begin(&j);
	json_cstr(&j, "probe", "acpi-reset");
	json_u64(&j, "port", pw.reset_port);
	json_u64(&j, "value", pw.reset_value);
	json_end(&j);
	outb(pw.reset_port, pw.reset_value);
	for (uint32_t i = 0; i < RESET_WAIT_SPINS; i++)
		cpu_relax();
	report_error("acpi reset did not happen", str_none);
	return PROBE_EXIT_NO_RESET;
}

static int mode_print_loop(void)
{
	uint64_t count = arg_u64("probe.count", 100, UINT32_MAX);
	struct json j;

	for (uint64_t k = 1; k <= count; k++) {
		serial_puts("probe: line ");
		serial_put_u64(k);
		serial_putc('\n');
	}
	json_begin(&j);
	json_cstr(&j, "probe", "print-loop");
	json_u64(&j, "count", count);
	json_end(&j);
	return PROBE_EXIT_OK;
}

static void echo_error(const char *error, uint64_t got, uint32_t irqs)
{
	struct json j;

	json_begin(&j);
	json_cstr(&j, "probe", "serial-echo");
	json_cstr(&j, "error", error);
	json_u64(&j, "bytes", got);
	json_u64(&j, "irqs", irqs);
	json_end(&j);
}

/*
 * Receive probe.count bytes of host input through COM1's interrupt: IOAPIC
 * pin 4 -> ECHO_VECTOR, whose CPL-0 handler only counts and EOIs. The
 * CPL-3 loop reads the UART only after it has seen the counter move, so
 * every byte reported was announced by an interrupt. The line is
 * edge-triggered (minnow pulses it when RX data appears), so each drain
 * empties the FIFO: a byte that lands after the last LSR read is a new edge.
 */
static int mode_serial_echo(void)
{
	static uint8_t buf[ECHO_MAX];
	uint64_t want = arg_u64("probe.count", 16, ECHO_MAX);
	uint64_t idle = tsc_hz() * ECHO_IDLE_S, got = 0, last;
	uint32_t seen = 0, irqs;
	struct json j;

	if (!want) {
		report_error("bad value for probe.count", str_none);
		return PROBE_EXIT_USAGE;
	}
	/*
	 * The 8259s would also see IRQ 4 and, uninitialized, deliver it as
	 * vector 4 through LINT0 (ExtINT): mask them. Route before enabling
	 * the source, so no edge meets a masked IOAPIC entry.
	 */
	pic_mask_all();
	lapic_enable();
	idt_set_gate(ECHO_VECTOR, probe_irq_count_eoi);
	ioapic_route(SERIAL_COM1_GSI, ECHO_VECTOR);
	outb(SERIAL_COM1 + SERIAL_MCR, SERIAL_MCR_OUT2);
	outb(SERIAL_COM1 + SERIAL_IER, SERIAL_IER_RDI);
	irq_enable();
	last = rdtsc();
	while (got < want) {
		uint32_t now = probe_irq_count;

		if (now == seen) {
			if (rdtsc() - last > idle)
				break;
			cpu_relax();
			continue;
		}
		seen = now;
		while (got < want && (inb(SERIAL_COM1 + SERIAL_LSR) & SERIAL_LSR_DR))
			buf[got++] = inb(SERIAL_COM1 + SERIAL_RBR);
		last = rdtsc();
	}
	irq_disable();
	outb(SERIAL_COM1 + SERIAL_IER, 0);
	ioapic_mask(SERIAL_COM1_GSI);
	irqs = probe_irq_count;
	if (got < want) {
		/* Idle too long: bytes the interrupt never announced, or none came. */
		bool waiting = inb(SERIAL_COM1 + SERIAL_LSR) & SERIAL_LSR_DR;

		echo_error(waiting ? "no interrupt" : "timeout", got, irqs);
		return PROBE_EXIT_FAIL;
	}
	if (!irqs) { /* the loop above rules it out; the mode's claim, checked */
		echo_error("no interrupt", got, irqs);
		return PROBE_EXIT_FAIL;
	}
	json_begin(&j);
	json_cstr(&j, "probe", "serial-echo");
	json_u64(&j, "bytes", got);
	json_u64(&j, "irqs", irqs);
	json_str(&j, "data", (struct str){(const char *)buf, got});
	json_end(&j);
	return PROBE_EXIT_OK;
}

/* Microseconds in TSC ticks, from tsc_hz()'s estimate (its CPUIDs are exits: asked once). */
static uint64_t tsc_us(uint64_t ticks)
{
	static uint64_t hz;

	if (!hz)
		hz = tsc_hz();

	return ticks / hz * 1000000 + ticks % hz * 1000000 / hz;
}

/* Every virtio_mmio.device= word, with what its registers say. */
static int mode_virtio_hello(void)
{
	struct virtio_mmio_loc locs[VIRTIO_MAX_DEVICES];
	struct virtio_dev dev;
	struct str bad;
	int n = virtio_find(cmdline, locs, VIRTIO_MAX_DEVICES, &bad);
	struct json j;

	json_begin(&j);
	json_cstr(&j, "probe", "virtio-hello");
	if (n < 0) {
		json_str_concat(&j, "error", "malformed ", bad);
		json_end(&j);
		return PROBE_EXIT_FAIL;
	}
	json_open(&j, "devices", '[');
	for (int i = 0; i < n && i < VIRTIO_MAX_DEVICES; i++) {
		const char *why = virtio_open(&dev, &locs[i]);

		json_open(&j, NULL, '{');
		json_hex(&j, "addr", locs[i].base);
		json_u64(&j, "size", locs[i].size);
		json_u64(&j, "irq", locs[i].irq);
		if (why) {
			json_hex(&j, "magic", dev.magic);
			json_cstr(&j, "error", why);
		} else {
			json_u64(&j, "version", dev.version);
			json_u64(&j, "device_id", dev.device_id);
			json_hex(&j, "vendor_id", dev.vendor_id);
			json_hex(&j, "features", virtio_read_features(&dev));
		}
		json_close(&j, '}');
	}
	json_close(&j, ']');
	if (n > VIRTIO_MAX_DEVICES)
		json_u64(&j, "not_listed", (uint64_t)(n - VIRTIO_MAX_DEVICES));
	json_end(&j);
	return PROBE_EXIT_OK;
}

/* One receive buffer of the rng mode; the token of its chain. */
struct rng_buf {
	uint8_t *p;
	uint32_t len; /* as posted */
};

struct rng_run {
	struct virtio_dev dev;
	struct virtq *q;
	uint64_t want, bufsize, got, inflight;
	uint32_t used, isr_empty, seen[8];
	uint64_t init_us, us;
	bool poll, use_indirect;
	struct rng_buf bufs[VIRTQ_MAX];
	uint16_t free_bufs[VIRTQ_MAX], nfree;
};

static unsigned int rng_distinct(const struct rng_run *r)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < 256; i++)
		n += (r->seen[i >> 5] >> (i & 31)) & 1;
	return n;
}

static int rng_report(struct rng_run *r, const char *error, uint64_t detail)
{
	const struct virtio_dev *d = &r->dev;
	struct json j;

	json_begin(&j);
	json_cstr(&j, "probe", "rng");
	if (error) {
		json_cstr(&j, "error", error);
		if (detail)
			json_u64(&j, "detail", detail);
	}
	json_u64(&j, "device_id", d->device_id);
	json_hex(&j, "features", d->features);
	json_hex(&j, "negotiated", d->negotiated);
	json_u64(&j, "bytes", r->got);
	json_u64(&j, "used", r->used);
	json_u64(&j, "irqs", probe_virtio_irq_count);
	json_u64(&j, "kicks", r->q ? r->q->kicks : 0);
	json_u64(&j, "distinct", rng_distinct(r));
	json_u64(&j, "qsize", r->q ? r->q->num : 0);
	json_u64(&j, "bufsize", r->bufsize);
	json_bool(&j, "poll", r->poll);
	json_bool(&j, "indirect", r->use_indirect);
	json_u64(&j, "isr_empty", r->isr_empty);
	json_u64(&j, "init_us", r->init_us);
	json_u64(&j, "us", r->us);
	json_end(&j);
	return error ? PROBE_EXIT_FAIL : PROBE_EXIT_OK;
}

/* Posts receive buffers until want is covered or the ring or the pool is full. */
static void rng_refill(struct rng_run *r)
{
	while (r->got + r->inflight < r->want && r->nfree && virtq_room(r->q)) {
		uint64_t left = r->want - r->got - r->inflight;
		struct rng_buf *b = &r->bufs[r->free_bufs[r->nfree - 1]];
		struct virtio_sg sg[2];
		unsigned int n = 1;

		b->len = (uint32_t)(left < r->bufsize ? left : r->bufsize);
		sg[0] = (struct virtio_sg){(uintptr_t)b->p, b->len, true};
		if (r->use_indirect && b->len >= 2) { /* two halves in an indirect table */
			sg[0].len = b->len / 2;
			sg[1] = (struct virtio_sg){(uintptr_t)b->p + sg[0].len, b->len - sg[0].len,
						   true};
			n = 2;
		}
		if (virtq_add(r->q, sg, n, r->use_indirect, b))
			break;
		r->nfree--;
		r->inflight += b->len;
	}
	virtq_kick(r->q);
}

/* Takes every used entry; NULL, or why the device's answer is wrong. */
static const char *rng_harvest(struct rng_run *r, uint64_t *detail)
{
	uint32_t len;
	void *tok;
	int got;

	while ((got = virtq_get(r->q, &len, &tok)) > 0) {
		struct rng_buf *b = tok;

		if (!len || len > b->len) {
			*detail = len;
			return len ? "used length larger than the buffer" : "used length 0";
		}
		for (uint32_t i = 0; i < len; i++)
			r->seen[b->p[i] >> 5] |= 1u << (b->p[i] & 31);
		r->got += len;
		r->inflight -= b->len;
		r->free_bufs[r->nfree++] = (uint16_t)(b - r->bufs);
		r->used++;
	}
	return got < 0 ? "used entry with a bad descriptor id" : NULL;
}

/*
 * virtio entropy device (§5.4): probe.bytes random bytes through
 * device-writable buffers of probe.bufsize bytes on its one virtqueue.
 * Interrupt driven (vector VIRTIO_VECTOR via the IOAPIC pin named on the
 * command line, InterruptStatus read and acknowledged after each), or with
 * probe.poll=1 spinning on used->idx with notifications suppressed.
 */
static int mode_rng(void)
{
	static struct rng_run run;
	static uint8_t pool[RNG_POOL] __attribute__((aligned(4096)));
	struct rng_run *r = &run;
	struct virtio_mmio_loc locs[VIRTIO_MAX_DEVICES];
	uint64_t qsize, accept = 0, detail = 0, start, last, idle;
	uint32_t seen_irqs = 0;
	const char *why = NULL;
	struct str bad;
	int n;

	r->want = arg_u64("probe.bytes", 64, RNG_MAX_BYTES);
	r->bufsize = arg_u64("probe.bufsize", 64, RNG_MAX_BYTES);
	qsize = arg_u64("probe.qsize", 64, VIRTQ_MAX);
	r->poll = arg_u64("probe.poll", 0, 1);
	r->use_indirect = arg_u64("probe.use_indirect", 0, 1);
	if (arg_u64("probe.event_idx", 1, 1))
		accept |= VIRTIO_BIT(VIRTIO_F_EVENT_IDX);
	if (arg_u64("probe.indirect", 1, 1))
		accept |= VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC);
	if (!r->want || !r->bufsize || !qsize) {
		report_error("probe.bytes, probe.bufsize and probe.qsize must be > 0", str_none);
		return PROBE_EXIT_USAGE;
	}

	n = virtio_find(cmdline, locs, VIRTIO_MAX_DEVICES, &bad);
	if (n < 0)
		return rng_report(r, "malformed virtio_mmio.device word", 0);
	if (n == 0)
		return rng_report(r, "no virtio_mmio.device on the command line", 0);
	for (int i = 0; i < n && i < VIRTIO_MAX_DEVICES; i++) {
		why = virtio_open(&r->dev, &locs[i]);
		if (!why && r->dev.device_id == VIRTIO_ID_ENTROPY)
			break;
		if (!why)
			why = "no entropy device (id 4) on the command line";
	}
	if (why)
		return rng_report(r, why, 0);

	idle = tsc_hz() * VIRTIO_IDLE_S;
	(void)tsc_us(0);
	start = rdtsc();
	why = virtio_init(&r->dev, accept);
	if (!why)
		why = virtq_setup(&r->dev, 0, (unsigned int)qsize);
	if (why) {
		virtio_fail(&r->dev);
		return rng_report(r, why, 0);
	}
	r->q = &r->dev.vq[0];
	if (r->use_indirect && !r->q->indirect) {
		virtio_fail(&r->dev);
		return rng_report(r, "probe.use_indirect=1 without VIRTIO_F_INDIRECT_DESC", 0);
	}
	for (unsigned int i = 0; i < r->q->num && (i + 1) * r->bufsize <= RNG_POOL; i++) {
		r->bufs[i].p = pool + i * r->bufsize;
		r->free_bufs[r->nfree++] = (uint16_t)i;
	}
	if (r->poll) {
		virtq_disable_irq(r->q);
	} else {
		if (r->dev.loc.irq >= IOAPIC_PINS) {
			virtio_fail(&r->dev);
			return rng_report(r, "irq beyond the IOAPIC's pins", r->dev.loc.irq);
		}
		pic_mask_all();
		lapic_enable();
		idt_set_gate(VIRTIO_VECTOR, probe_virtio_irq_count_eoi);
		ioapic_route(r->dev.loc.irq, VIRTIO_VECTOR);
		virtq_enable_irq(r->q);
	}
	virtio_driver_ok(&r->dev);
	if (!r->poll)
		irq_enable();
	last = rdtsc();
	r->init_us = tsc_us(last - start);
	start = last;

	rng_refill(r);
	while (r->got < r->want) {
		if (r->poll ? !virtq_pending(r->q) : probe_virtio_irq_count == seen_irqs) {
			if (rdtsc() - last > idle) {
				if (virtio_read_status(&r->dev) & VIRTIO_STATUS_DEVICE_NEEDS_RESET)
					why = "device needs reset";
				else if (!r->poll && virtq_pending(r->q))
					why = "no interrupt"; /* used entries nobody announced */
				else
					why = "timeout";
				break;
			}
			cpu_relax();
			continue;
		}
		if (!r->poll) {
			seen_irqs = probe_virtio_irq_count;
			if (!(virtio_isr_ack(&r->dev) & VIRTIO_MMIO_INT_VRING))
				r->isr_empty++;
		}
		/* Harvest, refill, and with interrupts re-arm until nothing is left over. */
		for (;;) {
			why = rng_harvest(r, &detail);
			if (why || r->got >= r->want)
				break;
			rng_refill(r);
			if (r->poll || !virtq_enable_irq(r->q))
				break;
		}
		if (why)
			break;
		last = rdtsc();
	}
	r->us = tsc_us(rdtsc() - start);
	if (!r->poll) {
		irq_disable();
		ioapic_mask(r->dev.loc.irq);
	}
	virtio_reset(&r->dev);
	if (!why) {
		unsigned int d = rng_distinct(r);

		/* random bytes: all of one value is a broken device (checked from 4 bytes on) */
		if ((r->want >= 256 && d < 16) || (r->want >= 4 && d < 2))
			why = "too few distinct byte values";
	}
	return rng_report(r, why, detail);
}

/* A misbehaving virtio driver, one probe.case per run (hostile.c). */
static int mode_virtio_hostile(void)
{
	const struct hvm_memmap_entry *map;
	uint32_t n = memmap_get(&map);

	return virtio_hostile(cmdline, map, n);
}

/* A misbehaving virtio-net driver, one probe.case per run (nethostile.c). */
static int mode_net_hostile(void)
{
	const struct hvm_memmap_entry *map;
	uint32_t n = memmap_get(&map);

	return net_hostile(cmdline, map, n);
}

/* The net-* modes (netmodes.c, nettcp.c, netverify.c, netmq.c) need the memory map for their buffers. */
#define NET_MODE(fn)                                                                               \
	static int mode_net_##fn(void)                                                             \
	{                                                                                          \
		const struct hvm_memmap_entry *map;                                                \
		uint32_t n = memmap_get(&map);                                                     \
                                                                                                   \
		return net_mode_##fn(cmdline, map, n);                                             \
	}
NET_MODE(hello)
NET_MODE(udp_tx)
NET_MODE(udp_rx)
NET_MODE(echo)
NET_MODE(tcp_tx)
NET_MODE(tcp_rx)
NET_MODE(verify)
NET_MODE(mq)

struct probe_mode {
	const char *name;
	int (*run)(void); /* returns the exit status */
};

static const struct probe_mode probe_modes[] = {
	{"hello", mode_hello},
	{"exit", mode_exit},
	{"triple-fault", mode_triple_fault},
	{"i8042-reset", mode_i8042_reset},
	{"cf9-reset", mode_cf9_reset},
	{"print-loop", mode_print_loop},
	{"fault", mode_fault},
	{"serial-echo", mode_serial_echo},
	{"acpi-poweroff", mode_acpi_poweroff},
	{"acpi-reset", mode_acpi_reset},
	{"virtio-hello", mode_virtio_hello},
	{"rng", mode_rng},
	{"virtio-hostile", mode_virtio_hostile},
	{"net-hello", mode_net_hello},
	{"net-udp-tx", mode_net_udp_tx},
	{"net-udp-rx", mode_net_udp_rx},
	{"net-echo", mode_net_echo},
	{"net-tcp-tx", mode_net_tcp_tx},
	{"net-tcp-rx", mode_net_tcp_rx},
	{"net-hostile", mode_net_hostile},
	{"net-verify", mode_net_verify},
	{"net-mq", mode_net_mq},
};

void probe_main(void)
{
	struct str mode = {"hello", 5};

	boot_info_load();
	cmdline_get(cmdline, "probe.mode", &mode);
	for (size_t i = 0; i < ARRAY_SIZE(probe_modes); i++) {
		if (str_eq(mode, probe_modes[i].name))
			probe_exit((uint8_t)probe_modes[i].run());
	}
	report_error("unknown mode ", mode);
	probe_exit(PROBE_EXIT_USAGE);
}
