// SPDX-License-Identifier: MIT
// A small AML encoder (ACPI 6.4 §20): each function emits one construct into a growable buffer.
#ifndef MINNOW_AML_H
#define MINNOW_AML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/compiler.h"

/*
 * The output. An allocation failure or malformed request sets err and makes
 * every later call a no-op, so a builder checks once at the end.
 */
struct aml {
	uint8_t *data;
	size_t len;
	size_t cap;
	int err;
};

/* Where a construct with a PkgLength began; closed with aml_end(). */
struct aml_mark {
	size_t start;	/* offset just after the opcode: where PkgLength goes */
	bool buffer;	/* a Buffer: BufferSize goes after PkgLength too */
};

void aml_init(struct aml *a);
void aml_free(struct aml *a);

/* Raw bytes, for what has no encoder of its own. */
void aml_bytes(struct aml *a, const void *bytes, size_t len);
/* PkgLength for a package of len bytes (counting itself): 1 to 4 bytes (§20.2.4). */
size_t aml_pkglen_encode(size_t len, uint8_t out[4]);

/* NameSeg: up to 4 characters, padded with '_' (§20.2.2). */
void aml_name_seg(struct aml *a, const char *name);
/* A NameString: "\\_SB_" (root-relative), or a single NameSeg. */
void aml_name_string(struct aml *a, const char *path);
/* Name(name, <the data object that follows>). */
void aml_name(struct aml *a, const char *name);
/* Integers in the shortest form: Zero, One, Byte, Word, DWord or QWord (§20.2.3). */
void aml_integer(struct aml *a, uint64_t v);
void aml_string(struct aml *a, const char *s);
/* EisaId("PNP0501") as the DWord it compresses to. */
void aml_eisa_id(struct aml *a, const char *id);

struct aml_mark aml_scope(struct aml *a, const char *path);
struct aml_mark aml_device(struct aml *a, const char *name);
struct aml_mark aml_package(struct aml *a, uint8_t elements);
/* ResourceTemplate: a Buffer of resource descriptors; aml_end() adds the end tag. */
struct aml_mark aml_resource_template(struct aml *a);
void aml_end(struct aml *a, struct aml_mark m);

/* Resource descriptors (ACPI 6.4 §6.4). */
void aml_memory32_fixed(struct aml *a, bool writable, uint32_t base, uint32_t len);
void aml_ext_interrupt(struct aml *a, bool edge, bool active_low, bool shared, uint32_t gsi);
void aml_io(struct aml *a, uint16_t min, uint16_t max, uint8_t align, uint8_t len);
void aml_irq_noflags(struct aml *a, unsigned int irq);

#endif
