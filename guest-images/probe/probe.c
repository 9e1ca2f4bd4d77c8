// SPDX-License-Identifier: MIT
// Probe guest main: reads hvm_start_info and the command line, runs one mode at CPL 3.
#include "acpi.h"
#include "irq.h"
#include "lib.h"
#include "probe.h"

#define CMDLINE_MAX	 4096
#define I8042_COMMAND	 0x64
#define I8042_CMD_RESET	 0xfe
#define RESET_WAIT_SPINS 20000000u /* a fraction of a second at CPL 3 */
#define ECHO_MAX	 4096	   /* probe.count limit for serial-echo */
#define ECHO_VECTOR	 0x24	   /* the UART's IOAPIC vector */
#define ECHO_IDLE_S	 5	   /* give up after this long without a byte */

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

/* ACPI 6.4 §4.8.3.7: SLP_TYPx in bits 2-4, SLP_EN bit 5; WAK_STS is bit 7 of the status. */
#define ACPI_SLP_EN   0x20
#define ACPI_WAK_STS  0x80
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

struct probe_mode {
	const char *name;
	int (*run)(void); /* returns the exit status */
};

static const struct probe_mode probe_modes[] = {
	{"hello", mode_hello},
	{"exit", mode_exit},
	{"triple-fault", mode_triple_fault},
	{"i8042-reset", mode_i8042_reset},
	{"print-loop", mode_print_loop},
	{"fault", mode_fault},
	{"serial-echo", mode_serial_echo},
	{"acpi-poweroff", mode_acpi_poweroff},
	{"acpi-reset", mode_acpi_reset},
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
