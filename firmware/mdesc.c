// SPDX-License-Identifier: MIT
// The machine description: a flattened device tree built with libfdt, the one source of truth
// for memory, CPUs, interrupt controllers, devices and the command line.
#include <errno.h>
#include <inttypes.h>
#include <libfdt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "firmware/mdesc.h"

#define MDESC_BLOB_SIZE	     (64 * 1024)
#define MDESC_IOAPIC_PHANDLE 1
#define MDESC_IRQ_EDGE	     3	/* intel,ce4100-ioapic binding: edge, rising */
#define MDESC_ISA_IO	     1	/* first cell of an /isa reg: I/O space */

/* libfdt returns negative FDT_ERR_* codes; turn them into -errno at the boundary. */
#define FDT_TRY(expr)                                  \
	do {                                           \
		if ((expr) < 0)                        \
			return -EINVAL;                \
	} while (0)

static int mdesc_prop_reg(void *fdt, uint64_t addr, uint64_t size)
{
	fdt64_t reg[2] = { cpu_to_fdt64(addr), cpu_to_fdt64(size) };

	return fdt_property(fdt, "reg", reg, sizeof(reg));
}

static int mdesc_prop_irq(void *fdt, uint32_t gsi)
{
	fdt32_t irq[2] = { cpu_to_fdt32(gsi), cpu_to_fdt32(MDESC_IRQ_EDGE) };

	FDT_TRY(fdt_property(fdt, "interrupts", irq, sizeof(irq)));
	return fdt_property_u32(fdt, "interrupt-parent", MDESC_IOAPIC_PHANDLE);
}

static int mdesc_memory(void *fdt, uint64_t mem)
{
	struct mdesc_ram ram[MDESC_MAX_RAM] = { { 0, MIN(mem, MDESC_RAM_HOLE_START) } };
	unsigned int n = 1;
	char name[32];

	if (mem > MDESC_RAM_HOLE_START)
		ram[n++] = (struct mdesc_ram){ MDESC_RAM_HIGH_START, mem - MDESC_RAM_HOLE_START };
	for (unsigned int i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "memory@%" PRIx64, ram[i].addr);
		FDT_TRY(fdt_begin_node(fdt, name));
		FDT_TRY(fdt_property_string(fdt, "device_type", "memory"));
		FDT_TRY(mdesc_prop_reg(fdt, ram[i].addr, ram[i].size));
		FDT_TRY(fdt_end_node(fdt));
	}
	return 0;
}

static int mdesc_cpu_nodes(void *fdt, unsigned int cpus)
{
	char name[16];

	FDT_TRY(fdt_begin_node(fdt, "cpus"));
	FDT_TRY(fdt_property_u32(fdt, "#address-cells", 1));
	FDT_TRY(fdt_property_u32(fdt, "#size-cells", 0));
	for (unsigned int i = 0; i < cpus; i++) {
		snprintf(name, sizeof(name), "cpu@%x", i);
		FDT_TRY(fdt_begin_node(fdt, name));
		FDT_TRY(fdt_property_string(fdt, "device_type", "cpu"));
		FDT_TRY(fdt_property_u32(fdt, "reg", i));	/* APIC id */
		FDT_TRY(fdt_end_node(fdt));
	}
	return fdt_end_node(fdt);
}

static int mdesc_irqchips(void *fdt)
{
	FDT_TRY(fdt_begin_node(fdt, "interrupt-controller@fec00000"));
	FDT_TRY(fdt_property_string(fdt, "compatible", "intel,ce4100-ioapic"));
	FDT_TRY(mdesc_prop_reg(fdt, MDESC_IOAPIC_ADDR, 0x1000));
	FDT_TRY(fdt_property(fdt, "interrupt-controller", NULL, 0));
	FDT_TRY(fdt_property_u32(fdt, "#interrupt-cells", 2));
	FDT_TRY(fdt_property_u32(fdt, "#address-cells", 0));
	FDT_TRY(fdt_property_u32(fdt, "phandle", MDESC_IOAPIC_PHANDLE));
	FDT_TRY(fdt_end_node(fdt));
	FDT_TRY(fdt_begin_node(fdt, "lapic@fee00000"));
	FDT_TRY(fdt_property_string(fdt, "compatible", "intel,ce4100-lapic"));
	FDT_TRY(mdesc_prop_reg(fdt, MDESC_LAPIC_ADDR, 0x1000));
	return fdt_end_node(fdt);
}

static int mdesc_isa_node(void *fdt, const char *name, const char *compatible, uint32_t port,
			  uint32_t len, int gsi)
{
	fdt32_t reg[3] = { cpu_to_fdt32(MDESC_ISA_IO), cpu_to_fdt32(port), cpu_to_fdt32(len) };

	FDT_TRY(fdt_begin_node(fdt, name));
	FDT_TRY(fdt_property_string(fdt, "compatible", compatible));
	FDT_TRY(fdt_property(fdt, "reg", reg, sizeof(reg)));
	if (gsi >= 0)
		FDT_TRY(mdesc_prop_irq(fdt, gsi));
	return fdt_end_node(fdt);
}

/* Legacy I/O devices under /isa, whose reg is <space port length> (ISA binding). */
static int mdesc_isa(void *fdt)
{
	FDT_TRY(fdt_begin_node(fdt, "isa"));
	FDT_TRY(fdt_property_string(fdt, "compatible", "isa"));
	FDT_TRY(fdt_property_u32(fdt, "#address-cells", 2));
	FDT_TRY(fdt_property_u32(fdt, "#size-cells", 1));
	FDT_TRY(mdesc_isa_node(fdt, "serial@i3f8", "ns16550a", MDESC_SERIAL_PORT, 8,
			       MDESC_SERIAL_GSI));
	FDT_TRY(mdesc_isa_node(fdt, "acpi-pm@i600", "minnow,acpi-pm", MDESC_PM_PORT, 1, -1));
	return fdt_end_node(fdt);
}

static int mdesc_virtio_nodes(void *fdt, unsigned int n)
{
	char name[32];

	for (unsigned int i = 0; i < n; i++) {
		uint64_t addr = MDESC_VIRTIO_BASE + i * MDESC_VIRTIO_SIZE;

		snprintf(name, sizeof(name), "virtio_mmio@%" PRIx64, addr);
		FDT_TRY(fdt_begin_node(fdt, name));
		FDT_TRY(fdt_property_string(fdt, "compatible", "virtio,mmio"));
		FDT_TRY(mdesc_prop_reg(fdt, addr, MDESC_VIRTIO_SIZE));
		FDT_TRY(mdesc_prop_irq(fdt, MDESC_VIRTIO_GSI_BASE + i));
		FDT_TRY(fdt_property(fdt, "dma-coherent", NULL, 0));
		FDT_TRY(fdt_end_node(fdt));
	}
	return 0;
}

static int mdesc_write(void *fdt, const struct mdesc_spec *spec)
{
	FDT_TRY(fdt_create(fdt, MDESC_BLOB_SIZE));
	FDT_TRY(fdt_finish_reservemap(fdt));
	FDT_TRY(fdt_begin_node(fdt, ""));
	FDT_TRY(fdt_property_string(fdt, "compatible", "minnow,x86-64"));
	FDT_TRY(fdt_property_string(fdt, "model", "minnow"));
	FDT_TRY(fdt_property_u32(fdt, "#address-cells", 2));
	FDT_TRY(fdt_property_u32(fdt, "#size-cells", 2));
	FDT_TRY(fdt_begin_node(fdt, "chosen"));
	FDT_TRY(fdt_property_string(fdt, "stdout-path", "/isa/serial@i3f8"));
	FDT_TRY(fdt_end_node(fdt));
	FDT_TRY(mdesc_memory(fdt, spec->mem_bytes));
	FDT_TRY(mdesc_cpu_nodes(fdt, spec->cpus));
	FDT_TRY(mdesc_irqchips(fdt));
	FDT_TRY(mdesc_isa(fdt));
	FDT_TRY(mdesc_virtio_nodes(fdt, spec->nr_virtio));
	FDT_TRY(fdt_end_node(fdt));
	return fdt_finish(fdt);
}

/* /chosen/bootargs: the user's command line, then the device entries read back from the tree. */
static int mdesc_set_bootargs(void *fdt, const struct mdesc_spec *spec, char *err, size_t errlen)
{
	char devices[MDESC_MAX_VIRTIO * 48];
	char *line;
	int chosen, ret;

	devices[0] = 0;
	if (spec->cmdline_devices && mdesc_cmdline_devices(fdt, devices, sizeof(devices)) < 0)
		return log_errbuf(err, errlen, -EINVAL, "cannot read the virtio devices back");
	if (asprintf(&line, "%s%s%s", spec->cmdline, *spec->cmdline && *devices ? " " : "",
		     devices) < 0)
		return -ENOMEM;
	/* fdt_finish left the tree packed: give it the whole buffer back to grow into. */
	ret = fdt_open_into(fdt, fdt, MDESC_BLOB_SIZE);
	chosen = ret < 0 ? ret : fdt_path_offset(fdt, "/chosen");
	ret = chosen < 0 ? chosen : fdt_setprop_string(fdt, chosen, "bootargs", line);
	free(line);
	if (ret < 0)
		return log_errbuf(err, errlen, -E2BIG, "command line does not fit in the device "
				 "tree: %s", fdt_strerror(ret));
	return fdt_pack(fdt) < 0 ? -EINVAL : 0;
}

int mdesc_build(const struct mdesc_spec *spec, void **blob, char *err, size_t errlen)
{
	void *fdt;
	int ret;

	if (spec->cpus == 0 || spec->cpus > MDESC_MAX_CPUS)
		return log_errbuf(err, errlen, -EINVAL, "%u vCPUs: the machine takes 1 to %d",
				 spec->cpus, MDESC_MAX_CPUS);
	if (spec->nr_virtio > MDESC_MAX_VIRTIO)
		return log_errbuf(err, errlen, -EINVAL, "%u virtio devices: the machine takes at "
				 "most %d", spec->nr_virtio, MDESC_MAX_VIRTIO);
	if (spec->mem_bytes < 2 * MiB)
		return log_errbuf(err, errlen, -EINVAL, "%" PRIu64 " bytes of RAM: the machine "
				 "needs at least 2 MiB", spec->mem_bytes);
	fdt = calloc(1, MDESC_BLOB_SIZE);
	if (!fdt)
		return -ENOMEM;
	if (mdesc_write(fdt, spec) < 0) {
		free(fdt);
		return log_errbuf(err, errlen, -EINVAL, "cannot build the device tree");
	}
	ret = mdesc_set_bootargs(fdt, spec, err, errlen);
	if (ret) {
		free(fdt);
		return ret;
	}
	*blob = fdt;
	return 0;
}

size_t mdesc_size(const void *blob)
{
	return fdt_totalsize(blob);
}

/*
 * A reg of two 64-bit cells, as every node at the root carries. Properties
 * are only 4-byte aligned in the blob, so the cells are copied, not loaded.
 */
static int mdesc_get_reg(const void *fdt, int node, uint64_t *addr, uint64_t *size)
{
	int len;
	const void *prop = fdt_getprop(fdt, node, "reg", &len);
	fdt64_t reg[2];

	if (!prop || len != sizeof(reg))
		return -EINVAL;
	memcpy(reg, prop, sizeof(reg));
	*addr = fdt64_to_cpu(reg[0]);
	*size = fdt64_to_cpu(reg[1]);
	return 0;
}

static int mdesc_get_irq(const void *fdt, int node, uint32_t *gsi)
{
	int len;
	const fdt32_t *irq = fdt_getprop(fdt, node, "interrupts", &len);

	if (!irq || len != 2 * (int)sizeof(fdt32_t) || fdt32_to_cpu(irq[0]) >= MDESC_IOAPIC_PINS)
		return -EINVAL;
	*gsi = fdt32_to_cpu(irq[0]);
	return 0;
}

int mdesc_ram(const void *blob, struct mdesc_ram *out, unsigned int max)
{
	unsigned int n = 0;
	int node;

	fdt_for_each_subnode(node, blob, 0) {
		const char *type = fdt_getprop(blob, node, "device_type", NULL);

		if (!type || strcmp(type, "memory") != 0)
			continue;
		if (n == max || mdesc_get_reg(blob, node, &out[n].addr, &out[n].size))
			return -EINVAL;
		n++;
	}
	return n;
}

int mdesc_cpus(const void *blob, uint32_t *apic_ids, unsigned int max)
{
	int cpus = fdt_path_offset(blob, "/cpus");
	unsigned int n = 0;
	int node;

	if (cpus < 0)
		return -EINVAL;
	fdt_for_each_subnode(node, blob, cpus) {
		int len;
		const fdt32_t *reg = fdt_getprop(blob, node, "reg", &len);

		if (n == max || !reg || len != sizeof(*reg))
			return -EINVAL;
		apic_ids[n++] = fdt32_to_cpu(*reg);
	}
	return n;
}

int mdesc_virtio(const void *blob, struct mdesc_virtio *out, unsigned int max)
{
	unsigned int n = 0;
	int node;

	fdt_for_each_subnode(node, blob, 0) {
		if (fdt_node_check_compatible(blob, node, "virtio,mmio") != 0)
			continue;
		if (n == max || mdesc_get_reg(blob, node, &out[n].addr, &out[n].size) ||
		    mdesc_get_irq(blob, node, &out[n].gsi))
			return -EINVAL;
		n++;
	}
	return n;
}

int mdesc_isa_device(const void *blob, const char *compatible, uint32_t *port, uint32_t *gsi)
{
	int isa = fdt_path_offset(blob, "/isa");
	int node;

	if (isa < 0)
		return -EINVAL;
	fdt_for_each_subnode(node, blob, isa) {
		int len;
		const fdt32_t *reg;

		if (fdt_node_check_compatible(blob, node, compatible) != 0)
			continue;
		reg = fdt_getprop(blob, node, "reg", &len);
		if (!reg || len != 3 * (int)sizeof(fdt32_t) || fdt32_to_cpu(reg[0]) != MDESC_ISA_IO)
			return -EINVAL;
		*port = fdt32_to_cpu(reg[1]);
		if (gsi && mdesc_get_irq(blob, node, gsi))
			return -EINVAL;
		return 0;
	}
	return -ENOENT;
}

uint64_t mdesc_ioapic(const void *blob)
{
	int node = fdt_node_offset_by_compatible(blob, -1, "intel,ce4100-ioapic");
	uint64_t addr, size;

	if (node < 0 || mdesc_get_reg(blob, node, &addr, &size))
		return 0;
	return addr;
}

const char *mdesc_bootargs(const void *blob)
{
	int chosen = fdt_path_offset(blob, "/chosen");

	return chosen < 0 ? NULL : fdt_getprop(blob, chosen, "bootargs", NULL);
}

int mdesc_cmdline_devices(const void *blob, char *out, size_t len)
{
	struct mdesc_virtio dev[MDESC_MAX_VIRTIO];
	int n = mdesc_virtio(blob, dev, MDESC_MAX_VIRTIO);
	size_t used = 0;

	if (n < 0)
		return n;
	out[0] = 0;
	for (int i = 0; i < n; i++) {
		/* Linux's virtio_mmio cmdline parser: <size>@<baseaddr>:<irq> (virtio_mmio.c). */
		int w = snprintf(out + used, len - used, "%svirtio_mmio.device=%" PRIu64 "K@0x%" PRIx64
				 ":%u", i ? " " : "", dev[i].size / 1024, dev[i].addr, dev[i].gsi);

		if (w < 0 || (size_t)w >= len - used)
			return -E2BIG;
		used += w;
	}
	return n;
}
