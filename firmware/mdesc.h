// SPDX-License-Identifier: MIT
// The machine description: a flattened device tree built with libfdt, the one source of truth
// for memory, CPUs, interrupt controllers, devices and the command line. e820, ACPI and the
// virtio_mmio.device= entries are all read back from it.
#ifndef MINNOW_MDESC_H
#define MINNOW_MDESC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/compiler.h"

#define MDESC_MAX_RAM	  2
#define MDESC_MAX_CPUS	  64
#define MDESC_MAX_VIRTIO  16

/* Platform addresses, allocated here and nowhere else. */
#define MDESC_RAM_HOLE_START  (3ULL << 30)	/* RAM below 4 GiB stops here */
#define MDESC_RAM_HIGH_START  (4ULL << 30)
#define MDESC_IOAPIC_ADDR     0xfec00000ULL
#define MDESC_LAPIC_ADDR      0xfee00000ULL
#define MDESC_VIRTIO_BASE     0xd0000000ULL	/* first virtio-mmio window */
#define MDESC_VIRTIO_SIZE     0x1000ULL
#define MDESC_VIRTIO_GSI_BASE 5			/* GSIs 5..20 for virtio-mmio */
#define MDESC_SERIAL_PORT     0x3f8
#define MDESC_SERIAL_GSI      4
#define MDESC_PM_PORT	      0x600		/* ACPI sleep control/status and reset */
#define MDESC_IOAPIC_PINS     24

/* What the user asked for; mdesc_build places it. */
struct mdesc_spec {
	uint64_t mem_bytes;
	unsigned int cpus;
	const char *cmdline;
	unsigned int nr_virtio;		/* virtio-mmio devices, in order */
	bool cmdline_devices;		/* append virtio_mmio.device= entries */
};

struct mdesc_ram {
	uint64_t addr;
	uint64_t size;
};

struct mdesc_virtio {
	uint64_t addr;
	uint64_t size;
	uint32_t gsi;
};

/*
 * Builds the tree into a malloc'd blob; on error returns -errno with a
 * message in err. The final command line (user's plus device entries) is in
 * /chosen/bootargs.
 */
int mdesc_build(const struct mdesc_spec *spec, void **blob, char *err, size_t errlen) __must_check;
size_t mdesc_size(const void *blob);

/* Readers. Each returns a count (or 0) and -EINVAL on a malformed tree. */
int mdesc_ram(const void *blob, struct mdesc_ram *out, unsigned int max) __must_check;
int mdesc_cpus(const void *blob, uint32_t *apic_ids, unsigned int max) __must_check;
int mdesc_virtio(const void *blob, struct mdesc_virtio *out, unsigned int max) __must_check;
/* The I/O port and GSI of the node compatible with `compatible` under /isa. */
int mdesc_isa_device(const void *blob, const char *compatible, uint32_t *port,
		     uint32_t *gsi) __must_check;
/* The IOAPIC's MMIO address; 0 when absent. */
uint64_t mdesc_ioapic(const void *blob);
/* /chosen/bootargs, or NULL. */
const char *mdesc_bootargs(const void *blob);

/* Formats the virtio_mmio.device=SIZE@ADDR:GSI entries for the tree's devices. */
int mdesc_cmdline_devices(const void *blob, char *out, size_t len) __must_check;

#endif
