// SPDX-License-Identifier: MIT
// A small AML encoder (ACPI 6.4 §20): each function emits one construct into a growable buffer.
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "firmware/aml.h"

enum {
	AML_ZERO = 0x00, AML_ONE = 0x01, AML_NAME = 0x08, AML_BYTE = 0x0a, AML_WORD = 0x0b,
	AML_DWORD = 0x0c, AML_STRING = 0x0d, AML_QWORD = 0x0e, AML_SCOPE = 0x10,
	AML_BUFFER = 0x11, AML_PACKAGE = 0x12, AML_EXT = 0x5b, AML_DEVICE = 0x82,
	AML_ROOT = 0x5c,
};

/* Largest PkgLength: 28 bits (§20.2.4). */
#define AML_PKGLEN_MAX ((1u << 28) - 1)

void aml_init(struct aml *a)
{
	memset(a, 0, sizeof(*a));
}

void aml_free(struct aml *a)
{
	free(a->data);
	memset(a, 0, sizeof(*a));
}

static bool aml_reserve(struct aml *a, size_t more)
{
	size_t need;

	if (a->err)
		return false;
	if (__builtin_add_overflow(a->len, more, &need) || need > AML_PKGLEN_MAX) {
		a->err = -E2BIG;
		return false;
	}
	if (need > a->cap) {
		size_t cap = MAX(need, a->cap * 2 + 64);
		uint8_t *d = realloc(a->data, cap);

		if (!d) {
			a->err = -ENOMEM;
			return false;
		}
		a->data = d;
		a->cap = cap;
	}
	return true;
}

void aml_bytes(struct aml *a, const void *bytes, size_t len)
{
	if (!aml_reserve(a, len))
		return;
	memcpy(a->data + a->len, bytes, len);
	a->len += len;
}

static void aml_byte(struct aml *a, uint8_t b)
{
	aml_bytes(a, &b, 1);
}

static void aml_le(struct aml *a, uint64_t v, unsigned int n)
{
	uint8_t b[8];

	for (unsigned int i = 0; i < n; i++)
		b[i] = v >> (8 * i);
	aml_bytes(a, b, n);
}

/* Inserts bytes at offset at, moving what follows. */
static void aml_insert(struct aml *a, size_t at, const uint8_t *bytes, size_t len)
{
	if (!aml_reserve(a, len))
		return;
	memmove(a->data + at + len, a->data + at, a->len - at);
	memcpy(a->data + at, bytes, len);
	a->len += len;
}

size_t aml_pkglen_encode(size_t len, uint8_t out[4])
{
	/* One byte holds up to 63; n bytes hold 4 + 8 * (n - 1) bits. */
	if (len < 64) {
		out[0] = len;
		return 1;
	}
	for (size_t n = 2; n <= 4; n++) {
		if (len < (1u << (4 + 8 * (n - 1)))) {
			out[0] = ((n - 1) << 6) | (len & 0x0f);
			for (size_t i = 1; i < n; i++)
				out[i] = len >> (4 + 8 * (i - 1));
			return n;
		}
	}
	return 0;
}

void aml_name_seg(struct aml *a, const char *name)
{
	char seg[4] = { '_', '_', '_', '_' };
	size_t n = strlen(name);

	if (n == 0 || n > 4) {
		a->err = a->err ? a->err : -EINVAL;
		return;
	}
	memcpy(seg, name, n);
	aml_bytes(a, seg, 4);
}

void aml_name_string(struct aml *a, const char *path)
{
	if (path[0] == '\\') {
		aml_byte(a, AML_ROOT);
		path++;
	}
	aml_name_seg(a, path);
}

void aml_name(struct aml *a, const char *name)
{
	aml_byte(a, AML_NAME);
	aml_name_seg(a, name);
}

void aml_integer(struct aml *a, uint64_t v)
{
	if (v <= 1) {
		aml_byte(a, v ? AML_ONE : AML_ZERO);
	} else if (v <= 0xff) {
		aml_byte(a, AML_BYTE);
		aml_le(a, v, 1);
	} else if (v <= 0xffff) {
		aml_byte(a, AML_WORD);
		aml_le(a, v, 2);
	} else if (v <= 0xffffffff) {
		aml_byte(a, AML_DWORD);
		aml_le(a, v, 4);
	} else {
		aml_byte(a, AML_QWORD);
		aml_le(a, v, 8);
	}
}

void aml_string(struct aml *a, const char *s)
{
	aml_byte(a, AML_STRING);
	aml_bytes(a, s, strlen(s) + 1);
}

void aml_eisa_id(struct aml *a, const char *id)
{
	uint32_t v = 0;

	if (strlen(id) != 7) {
		a->err = a->err ? a->err : -EINVAL;
		return;
	}
	/* Three letters of 5 bits, then four hex digits, stored big-endian (ACPI 6.4 §19.6.35). */
	for (int i = 0; i < 3; i++)
		v = (v << 5) | ((id[i] - 0x40) & 0x1f);
	for (int i = 3; i < 7; i++)
		v = (v << 4) | (uint32_t)strtoul((char[]){ id[i], 0 }, NULL, 16);
	aml_byte(a, AML_DWORD);
	aml_le(a, __builtin_bswap32(v), 4);
}

static struct aml_mark aml_open(struct aml *a, const uint8_t *op, size_t oplen, bool buffer)
{
	aml_bytes(a, op, oplen);
	return (struct aml_mark){ .start = a->len, .buffer = buffer };
}

struct aml_mark aml_scope(struct aml *a, const char *path)
{
	struct aml_mark m = aml_open(a, (const uint8_t[]){ AML_SCOPE }, 1, false);

	aml_name_string(a, path);
	return m;
}

struct aml_mark aml_device(struct aml *a, const char *name)
{
	struct aml_mark m = aml_open(a, (const uint8_t[]){ AML_EXT, AML_DEVICE }, 2, false);

	aml_name_seg(a, name);
	return m;
}

struct aml_mark aml_package(struct aml *a, uint8_t elements)
{
	struct aml_mark m = aml_open(a, (const uint8_t[]){ AML_PACKAGE }, 1, false);

	aml_byte(a, elements);
	return m;
}

struct aml_mark aml_resource_template(struct aml *a)
{
	return aml_open(a, (const uint8_t[]){ AML_BUFFER }, 1, true);
}

void aml_end(struct aml *a, struct aml_mark m)
{
	uint8_t head[4 + 9];
	size_t n = 0, body;

	if (a->err)
		return;
	if (m.buffer) {
		struct aml size = { 0 };

		aml_bytes(a, (const uint8_t[]){ 0x79, 0x00 }, 2);	/* end tag, checksum 0 */
		aml_integer(&size, a->len - m.start);			/* BufferSize */
		if (size.err) {
			a->err = size.err;
			return;
		}
		memcpy(head + 4, size.data, size.len);
		n = size.len;
		aml_free(&size);
	}
	body = a->len - m.start + n;
	/* PkgLength counts its own bytes: try the shortest encoding that fits. */
	for (size_t lenlen = 1; lenlen <= 4; lenlen++) {
		uint8_t enc[4];

		if (aml_pkglen_encode(body + lenlen, enc) == lenlen) {
			memmove(head + lenlen, head + 4, n);
			memcpy(head, enc, lenlen);
			aml_insert(a, m.start, head, lenlen + n);
			return;
		}
	}
	a->err = -E2BIG;
}

void aml_memory32_fixed(struct aml *a, bool writable, uint32_t base, uint32_t len)
{
	aml_bytes(a, (const uint8_t[]){ 0x86, 0x09, 0x00, writable }, 4);
	aml_le(a, base, 4);
	aml_le(a, len, 4);
}

void aml_ext_interrupt(struct aml *a, bool edge, bool active_low, bool shared, uint32_t gsi)
{
	/* Flags: bit 0 consumer, bit 1 edge, bit 2 active low, bit 3 shared; one interrupt. */
	uint8_t flags = 0x01 | (edge << 1) | (active_low << 2) | (shared << 3);

	aml_bytes(a, (const uint8_t[]){ 0x89, 0x06, 0x00, flags, 0x01 }, 5);
	aml_le(a, gsi, 4);
}

void aml_io(struct aml *a, uint16_t min, uint16_t max, uint8_t align, uint8_t len)
{
	aml_bytes(a, (const uint8_t[]){ 0x47, 0x01 }, 2);	/* I/O port, 16-bit decode */
	aml_le(a, min, 2);
	aml_le(a, max, 2);
	aml_bytes(a, (const uint8_t[]){ align, len }, 2);
}

void aml_irq_noflags(struct aml *a, unsigned int irq)
{
	aml_byte(a, 0x22);	/* IRQ descriptor without flags: edge, active high */
	aml_le(a, irq < 16 ? 1u << irq : 0, 2);
}
