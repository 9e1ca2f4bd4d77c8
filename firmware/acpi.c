// SPDX-License-Identifier: MIT
// ACPI tables for a hardware-reduced machine (RSDP, XSDT, FADT, MADT, DSDT), derived from the
// machine description and written into guest RAM.
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "firmware/acpi.h"
#include "firmware/aml.h"
#include "firmware/mdesc.h"

#define ACPI_HDR_LEN	36
#define FADT_LEN	276	/* revision 6 */
#define GAS_IO		1	/* Generic Address Structure: system I/O space */

/* Where the next table goes; tables are 16-byte aligned in [ACPI_BASE, ACPI_END). */
struct acpi_writer {
	const struct gmem *gm;
	uint64_t next;
	struct acpi_table *out;
	unsigned int nr, max;
};

uint8_t acpi_checksum(const uint8_t *p, size_t len)
{
	uint8_t sum = 0;

	while (len--)
		sum += *p++;
	return sum;
}

static void put16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void put64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }

/* Space for a table of len bytes in guest RAM, zeroed; NULL when the area is full. */
static uint8_t *acpi_alloc(struct acpi_writer *w, const char *sig, size_t len, uint64_t *gpa)
{
	uint64_t at = ALIGN_UP(w->next, 16ULL);
	uint8_t *p;

	if (w->nr == w->max || len > ACPI_END - at || !(p = gmem_ptr(w->gm, GPA(at), len)))
		return NULL;
	memset(p, 0, len);
	w->next = at + len;
	w->out[w->nr] = (struct acpi_table){ .gpa = at, .len = len };
	memcpy(w->out[w->nr].sig, sig, 4);
	w->nr++;
	*gpa = at;
	return p;
}

/* The common header (ACPI 6.4 §5.2.6), then the checksum over the finished table. */
static void acpi_header(uint8_t *t, const char *sig, uint32_t len, uint8_t rev)
{
	memcpy(t, sig, 4);
	put32(t + 4, len);
	t[8] = rev;
	memcpy(t + 10, "MINNOW", 6);
	memcpy(t + 16, "MINNOWVM", 8);
	put32(t + 24, 1);
	memcpy(t + 28, "MNOW", 4);
	put32(t + 32, 1);
}

static void acpi_finish(uint8_t *t, uint32_t len)
{
	t[9] = 0;
	t[9] = -acpi_checksum(t, len);
}

static void acpi_gas_io8(uint8_t *g, uint16_t port)
{
	g[0] = GAS_IO;
	g[1] = 8;	/* bit width */
	g[2] = 0;	/* bit offset */
	g[3] = 1;	/* byte access */
	put64(g + 4, port);
}

static int acpi_dsdt_devices(const void *mdesc, struct aml *a)
{
	struct mdesc_virtio v[MDESC_MAX_VIRTIO];
	int n = mdesc_virtio(mdesc, v, MDESC_MAX_VIRTIO);
	uint32_t port, gsi;
	struct aml_mark sb, dev, crs;

	if (n < 0 || mdesc_isa_device(mdesc, "ns16550a", &port, &gsi))
		return -EINVAL;
	sb = aml_scope(a, "\\_SB_");
	/* COM1, so 8250_pnp ties the port to its IRQ on a HW-reduced machine (Linux: drivers/tty/serial/8250/8250_pnp.c). */
	dev = aml_device(a, "COM1");
	aml_name(a, "_HID");
	aml_eisa_id(a, "PNP0501");
	aml_name(a, "_UID");
	aml_integer(a, 1);
	aml_name(a, "_CRS");
	crs = aml_resource_template(a);
	aml_io(a, port, port, 0, 8);
	aml_irq_noflags(a, gsi);
	aml_end(a, crs);
	aml_end(a, dev);
	for (int i = 0; i < n; i++) {
		char name[8];

		/* virtio-mmio as Linux's ACPI match table names it (virtio_mmio.c: "LNRO0005"). */
		snprintf(name, sizeof(name), "V%03u", (unsigned int)i % 1000);	/* i < 16 */
		dev = aml_device(a, name);
		aml_name(a, "_HID");
		aml_string(a, "LNRO0005");
		aml_name(a, "_UID");
		aml_integer(a, i);
		aml_name(a, "_CCA");
		aml_integer(a, 1);
		aml_name(a, "_CRS");
		crs = aml_resource_template(a);
		aml_memory32_fixed(a, true, v[i].addr, v[i].size);
		aml_ext_interrupt(a, true, false, false, v[i].gsi);
		aml_end(a, crs);
		aml_end(a, dev);
	}
	aml_end(a, sb);
	return 0;
}

static int acpi_dsdt(const void *mdesc, struct acpi_writer *w, uint64_t *gpa)
{
	struct aml a;
	struct aml_mark pkg;
	uint8_t *t;
	int ret;

	aml_init(&a);
	ret = acpi_dsdt_devices(mdesc, &a);
	/* \_S5_: SLP_TYP 5 for both sleep registers (ACPI 6.4 §7.4.2). */
	aml_name(&a, "_S5_");
	pkg = aml_package(&a, 4);
	aml_integer(&a, ACPI_SLP_TYP_S5);
	aml_integer(&a, ACPI_SLP_TYP_S5);
	aml_integer(&a, 0);
	aml_integer(&a, 0);
	aml_end(&a, pkg);
	if (!ret)
		ret = a.err;
	if (!ret && !(t = acpi_alloc(w, "DSDT", ACPI_HDR_LEN + a.len, gpa)))
		ret = -ENOSPC;
	if (!ret) {
		acpi_header(t, "DSDT", ACPI_HDR_LEN + a.len, 2);
		memcpy(t + ACPI_HDR_LEN, a.data, a.len);
		acpi_finish(t, ACPI_HDR_LEN + a.len);
	}
	aml_free(&a);
	return ret;
}

/* mov dx, port; mov al, ACPI_RESET_VALUE; out dx, al; 1: hlt; jmp 1b (16-bit code). */
static int acpi_reset_vector(const struct gmem *gm, uint32_t port)
{
	const uint8_t code[] = { 0xba, port & 0xff, (port >> 8) & 0xff, 0xb0, ACPI_RESET_VALUE,
				 0xee, 0xf4, 0xeb, 0xfd };
	uint8_t *p;

	if (port > 0xffff)
		return -EINVAL;
	if (!(p = gmem_ptr(gm, GPA(ACPI_RESET_VECTOR), sizeof(code))))
		return -ENOSPC;
	memcpy(p, code, sizeof(code));
	return 0;
}

static int acpi_fadt(const void *mdesc, struct acpi_writer *w, uint64_t dsdt, uint64_t *gpa)
{
	uint32_t pm_port;
	uint8_t *t;

	if (mdesc_isa_device(mdesc, "minnow,acpi-pm", &pm_port, NULL))
		return -EINVAL;
	if (!(t = acpi_alloc(w, "FACP", FADT_LEN, gpa)))
		return -ENOSPC;
	acpi_header(t, "FACP", FADT_LEN, 6);
	put32(t + 40, dsdt);
	/* IAPC_BOOT_ARCH: no VGA, no CMOS RTC; the 8042 bit stays clear (ACPI 6.4 §5.2.9.3; Linux: arch/x86/kernel/acpi/boot.c). */
	put16(t + 109, (1 << 2) | (1 << 5));
	/* Flags: PWR_BUTTON, SLP_BUTTON (none), RESET_REG_SUP, HW_REDUCED_ACPI. */
	put32(t + 112, (1 << 4) | (1 << 5) | (1 << 10) | (1 << 20));
	acpi_gas_io8(t + 116, pm_port);		/* RESET_REG */
	t[128] = ACPI_RESET_VALUE;
	t[131] = 0;				/* minor version: ACPI 6.0 */
	put64(t + 140, dsdt);			/* X_DSDT */
	acpi_gas_io8(t + 244, pm_port);		/* SLEEP_CONTROL_REG */
	acpi_gas_io8(t + 256, pm_port);		/* SLEEP_STATUS_REG */
	memcpy(t + 268, "MINNOWVM", 8);		/* hypervisor vendor identity */
	acpi_finish(t, FADT_LEN);
	return acpi_reset_vector(w->gm, pm_port);
}

static int acpi_madt(const void *mdesc, struct acpi_writer *w, uint64_t *gpa)
{
	uint32_t ids[MDESC_MAX_CPUS], serial_port, serial_gsi;
	int n = mdesc_cpus(mdesc, ids, MDESC_MAX_CPUS);
	uint64_t ioapic = mdesc_ioapic(mdesc);
	uint32_t len;
	uint8_t *t, *e;

	if (n <= 0 || !ioapic || mdesc_isa_device(mdesc, "ns16550a", &serial_port, &serial_gsi))
		return -EINVAL;
	len = ACPI_HDR_LEN + 8 + 8 * n + 12 + 10;
	if (!(t = acpi_alloc(w, "APIC", len, gpa)))
		return -ENOSPC;
	acpi_header(t, "APIC", len, 5);
	put32(t + 36, MDESC_LAPIC_ADDR);
	e = t + 44;
	for (int i = 0; i < n; i++, e += 8) {
		/* Processor Local APIC: uid, APIC id, enabled (ACPI 6.4 §5.2.12.2). */
		e[0] = 0;
		e[1] = 8;
		e[2] = i;
		e[3] = ids[i];
		put32(e + 4, 1);
	}
	/* I/O APIC id 0 at its address, GSI base 0 (§5.2.12.3). */
	e[0] = 1;
	e[1] = 12;
	put32(e + 4, ioapic);
	e += 12;
	/* ISA IRQ 4 -> GSI 4, active high, edge (§5.2.12.5): the 8250's legacy IRQ. */
	e[0] = 2;
	e[1] = 10;
	e[3] = 4;
	put32(e + 4, serial_gsi);
	put16(e + 8, 0x1 | (0x1 << 2));
	acpi_finish(t, len);
	return 0;
}

static int acpi_xsdt(struct acpi_writer *w, const uint64_t *tables, unsigned int n, uint64_t *gpa)
{
	uint32_t len = ACPI_HDR_LEN + 8 * n;
	uint8_t *t = acpi_alloc(w, "XSDT", len, gpa);

	if (!t)
		return -ENOSPC;
	acpi_header(t, "XSDT", len, 1);
	for (unsigned int i = 0; i < n; i++)
		put64(t + ACPI_HDR_LEN + 8 * i, tables[i]);
	acpi_finish(t, len);
	return 0;
}

int acpi_build(const void *mdesc, const struct gmem *gm, struct acpi_table *out, unsigned int max)
{
	struct acpi_writer w = { .gm = gm, .next = ACPI_BASE, .out = out, .max = max };
	uint64_t rsdp_gpa, dsdt, xsdt, listed[2];
	uint8_t *rsdp = acpi_alloc(&w, "RSDP", 36, &rsdp_gpa);
	int ret;

	if (!rsdp)
		return -ENOSPC;
	ret = acpi_dsdt(mdesc, &w, &dsdt);
	if (!ret)
		ret = acpi_fadt(mdesc, &w, dsdt, &listed[0]);
	if (!ret)
		ret = acpi_madt(mdesc, &w, &listed[1]);
	if (!ret)
		ret = acpi_xsdt(&w, listed, 2, &xsdt);
	if (ret)
		return ret;
	/* RSDP, ACPI 2.0+ (§5.2.5.3): checksum over the first 20 bytes, extended over all 36. */
	memcpy(rsdp, "RSD PTR ", 8);
	memcpy(rsdp + 9, "MINNOW", 6);
	rsdp[15] = 2;
	put32(rsdp + 20, 36);
	put64(rsdp + 24, xsdt);
	rsdp[8] = -acpi_checksum(rsdp, 20);
	rsdp[32] = -acpi_checksum(rsdp, 36);
	return w.nr;
}
