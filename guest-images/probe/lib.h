// SPDX-License-Identifier: MIT
// Probe guest library: port I/O, COM1 serial, strings, numbers, JSON, command line.
#ifndef PROBE_LIB_H
#define PROBE_LIB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SERIAL_COM1	0x3f8
#define SERIAL_COM1_GSI 4    /* ISA IRQ 4: IOAPIC pin 4 */
#define SERIAL_RBR	0    /* receive buffer register (read) */
#define SERIAL_THR	0    /* transmit holding register (write) */
#define SERIAL_IER	1    /* interrupt enable register */
#define SERIAL_MCR	4    /* modem control register */
#define SERIAL_LSR	5    /* line status register */
#define SERIAL_IER_RDI	0x01 /* interrupt when received data is available */
#define SERIAL_MCR_OUT2 0x08 /* gates the UART's IRQ line on a PC */
#define SERIAL_LSR_DR	0x01 /* data ready: RBR holds a received byte */
#define SERIAL_LSR_THRE 0x20 /* THR empty: may write the next byte */

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/*
 * Port I/O. At CPL 3 this works because entry.S sets IOPL 3 and gives the
 * TSS an I/O bitmap allowing every port (kvm-pvm checks the bitmap even
 * with IOPL 3). Each access is a VM exit: ~20-26 us from CPL 3 here.
 */
static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port) : "memory");
}

static inline void outw(uint16_t port, uint16_t v)
{
	__asm__ volatile("outw %0, %1" : : "a"(v), "Nd"(port) : "memory");
}

static inline void outl(uint16_t port, uint32_t v)
{
	__asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port) : "memory");
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t v;

	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port) : "memory");
	return v;
}

static inline uint16_t inw(uint16_t port)
{
	uint16_t v;

	__asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port) : "memory");
	return v;
}

static inline uint32_t inl(uint16_t port)
{
	uint32_t v;

	__asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port) : "memory");
	return v;
}

static inline void cpu_relax(void)
{
	__asm__ volatile("pause" : : : "memory");
}

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

static inline void cpuid(uint32_t leaf, uint32_t r[4])
{
	__asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
			 : "a"(leaf), "c"(0));
}

/* TSC ticks per second, roughly: CPUID 0x15 or 0x16, else a 2.6 GHz guess. */
uint64_t tsc_hz(void);

/* Current privilege level, from the low bits of CS. */
static inline unsigned int cpu_cpl(void)
{
	uint16_t cs;

	__asm__ volatile("mov %%cs, %0" : "=r"(cs));
	return cs & 3;
}

/* Write the status to the debug exit port, then spin (never hlt). */
void probe_exit(uint8_t status) __attribute__((noreturn));

/* Serial output on COM1, polled. '\n' is sent as is (no CR). */
void serial_putc(char c);
void serial_write(const char *s, size_t n);
void serial_puts(const char *s);
void serial_put_u64(uint64_t v);
void serial_put_hex(uint64_t v); /* "0x" and lowercase digits */

/* Freestanding string functions; gcc may emit calls to the mem* ones. */
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);

/* A view into bytes that are not NUL-terminated (command line words). */
struct str {
	const char *p;
	size_t len;
};

bool str_eq(struct str s, const char *lit);
bool str_has_prefix(struct str s, const char *lit);
/* Decimal, or hex with 0x. Returns 0, or -1 if empty, malformed or > max. */
int str_to_u64(struct str s, uint64_t max, uint64_t *out);

/*
 * Command line: words separated by spaces, tabs or newlines. cmdline_next
 * steps a cursor word by word; cmdline_get finds the value of "key=value"
 * (the last one wins, as later words override earlier ones).
 */
bool cmdline_next(struct str *cursor, struct str *word);
bool cmdline_get(struct str cmdline, const char *key, struct str *val);

/* One JSON object on one serial line: json_begin, fields, json_end. */
struct json {
	bool first;
};

void json_begin(struct json *j);
void json_str(struct json *j, const char *key, struct str val);
void json_cstr(struct json *j, const char *key, const char *val);
/* "key":"<prefix><val>", both escaped, e.g. a reason and the bad word. */
void json_str_concat(struct json *j, const char *key, const char *prefix, struct str val);
void json_u64(struct json *j, const char *key, uint64_t val);
void json_bool(struct json *j, const char *key, bool val);
/* "key":"0x<hex>" */
void json_hex(struct json *j, const char *key, uint64_t val);
/*
 * Nesting: json_open(j, "key", '[') starts "key":[ and json_open(j, NULL,
 * '{') an object inside an array; json_close(j, ']') or '}' ends either.
 */
void json_open(struct json *j, const char *key, char bracket);
void json_close(struct json *j, char bracket);
void json_end(struct json *j);
/* A string body escaped for JSON; bytes >= 0x7f become \u00XX. */
void json_put_escaped(struct str s);

#endif
