// SPDX-License-Identifier: MIT
// Probe guest library: port I/O, COM1 serial, strings, numbers, JSON, command line.
#include "lib.h"
#include "entry.h"

void probe_exit(uint8_t status)
{
	outb(PROBE_EXIT_PORT, status);
	for (;;)
		cpu_relax();
}

uint64_t tsc_hz(void)
{
	uint32_t r[4], max;

	cpuid(0, r);
	max = r[0];
	if (max >= 0x15) {
		cpuid(0x15, r); /* TSC = crystal (ECX Hz) * EBX / EAX */
		if (r[0] && r[1] && r[2])
			return (uint64_t)r[2] * r[1] / r[0];
	}
	if (max >= 0x16) {
		cpuid(0x16, r); /* EAX: base frequency in MHz, close to the TSC's */
		if (r[0] & 0xffff)
			return (uint64_t)(r[0] & 0xffff) * 1000000;
	}
	return 2600000000ull;
}

void serial_putc(char c)
{
	while (!(inb(SERIAL_COM1 + SERIAL_LSR) & SERIAL_LSR_THRE))
		cpu_relax();
	outb(SERIAL_COM1 + SERIAL_THR, (uint8_t)c);
}

void serial_write(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		serial_putc(s[i]);
}

void serial_puts(const char *s)
{
	while (*s)
		serial_putc(*s++);
}

void serial_put_u64(uint64_t v)
{
	char buf[20];
	size_t i = sizeof(buf);

	do {
		buf[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	serial_write(buf + i, sizeof(buf) - i);
}

void serial_put_hex(uint64_t v)
{
	static const char digits[] = "0123456789abcdef";
	char buf[16];
	size_t i = sizeof(buf);

	do {
		buf[--i] = digits[v & 0xf];
		v >>= 4;
	} while (v);
	serial_puts("0x");
	serial_write(buf + i, sizeof(buf) - i);
}

/* rep movsb/stosb: fast at CPL 3 (ERMS) and understood by KVM's emulator. */
void *memcpy(void *dst, const void *src, size_t n)
{
	void *d = dst;

	__asm__ volatile("rep movsb" : "+D"(d), "+S"(src), "+c"(n) : : "memory");
	return dst;
}

void *memmove(void *dst, const void *src, size_t n)
{
	uint8_t *d = dst;
	const uint8_t *s = src;

	if (d <= s || d >= s + n)
		return memcpy(dst, src, n);
	while (n--)
		d[n] = s[n];
	return dst;
}

void *memset(void *dst, int c, size_t n)
{
	void *d = dst;

	__asm__ volatile("rep stosb" : "+D"(d), "+c"(n) : "a"(c) : "memory");
	return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const uint8_t *x = a, *y = b;

	for (size_t i = 0; i < n; i++) {
		if (x[i] != y[i])
			return x[i] < y[i] ? -1 : 1;
	}
	return 0;
}

size_t strlen(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}

size_t strnlen(const char *s, size_t max)
{
	size_t n = 0;

	while (n < max && s[n])
		n++;
	return n;
}

bool str_eq(struct str s, const char *lit)
{
	size_t n = strlen(lit);

	return s.len == n && memcmp(s.p, lit, n) == 0;
}

bool str_has_prefix(struct str s, const char *lit)
{
	size_t n = strlen(lit);

	return s.len >= n && memcmp(s.p, lit, n) == 0;
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int str_to_u64(struct str s, uint64_t max, uint64_t *out)
{
	uint64_t base = 10, v = 0;
	size_t i = 0;

	if (s.len > 2 && s.p[0] == '0' && (s.p[1] == 'x' || s.p[1] == 'X')) {
		base = 16;
		i = 2;
	}
	if (i == s.len)
		return -1;
	for (; i < s.len; i++) {
		int d = hex_digit(s.p[i]);

		if (d < 0 || (uint64_t)d >= base || (uint64_t)d > max)
			return -1;
		/* v * base + d <= max, without overflow */
		if (v > (max - (uint64_t)d) / base)
			return -1;
		v = v * base + (uint64_t)d;
	}
	*out = v;
	return 0;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

bool cmdline_next(struct str *cursor, struct str *word)
{
	const char *p = cursor->p, *end = cursor->p + cursor->len;

	while (p < end && is_space(*p))
		p++;
	word->p = p;
	while (p < end && !is_space(*p))
		p++;
	word->len = (size_t)(p - word->p);
	cursor->len = (size_t)(end - p);
	cursor->p = p;
	return word->len != 0;
}

bool cmdline_get(struct str cmdline, const char *key, struct str *val)
{
	size_t klen = strlen(key);
	struct str word;
	bool found = false;

	while (cmdline_next(&cmdline, &word)) {
		if (word.len > klen && word.p[klen] == '=' && memcmp(word.p, key, klen) == 0) {
			val->p = word.p + klen + 1;
			val->len = word.len - klen - 1;
			found = true;
		}
	}
	return found;
}

void json_put_escaped(struct str s)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < s.len; i++) {
		uint8_t c = (uint8_t)s.p[i];

		if (c == '"' || c == '\\') {
			serial_putc('\\');
			serial_putc((char)c);
		} else if (c == '\n') {
			serial_puts("\\n");
		} else if (c == '\t') {
			serial_puts("\\t");
		} else if (c < 0x20 || c >= 0x7f) {
			/* keep the line ASCII and valid JSON whatever the bytes */
			serial_puts("\\u00");
			serial_putc(digits[c >> 4]);
			serial_putc(digits[c & 0xf]);
		} else {
			serial_putc((char)c);
		}
	}
}

static void json_key(struct json *j, const char *key)
{
	if (!j->first)
		serial_putc(',');
	j->first = false;
	serial_putc('"');
	serial_puts(key);
	serial_puts("\":");
}

void json_begin(struct json *j)
{
	j->first = true;
	serial_putc('{');
}

void json_str(struct json *j, const char *key, struct str val)
{
	json_key(j, key);
	serial_putc('"');
	json_put_escaped(val);
	serial_putc('"');
}

void json_cstr(struct json *j, const char *key, const char *val)
{
	struct str s = {val, strlen(val)};

	json_str(j, key, s);
}

void json_str_concat(struct json *j, const char *key, const char *prefix, struct str val)
{
	struct str pre = {prefix, strlen(prefix)};

	json_key(j, key);
	serial_putc('"');
	json_put_escaped(pre);
	json_put_escaped(val);
	serial_putc('"');
}

void json_u64(struct json *j, const char *key, uint64_t val)
{
	json_key(j, key);
	serial_put_u64(val);
}

void json_bool(struct json *j, const char *key, bool val)
{
	json_key(j, key);
	serial_puts(val ? "true" : "false");
}

void json_hex(struct json *j, const char *key, uint64_t val)
{
	json_key(j, key);
	serial_putc('"');
	serial_put_hex(val);
	serial_putc('"');
}

void json_open(struct json *j, const char *key, char bracket)
{
	if (key) {
		json_key(j, key);
	} else {
		if (!j->first)
			serial_putc(',');
	}
	serial_putc(bracket);
	j->first = true;
}

void json_close(struct json *j, char bracket)
{
	serial_putc(bracket);
	j->first = false;
}

void json_end(struct json *j)
{
	(void)j;
	serial_puts("}\n");
}
