// SPDX-License-Identifier: MIT
// GDB remote serial protocol framing: packet parser, checksums, hex and binary escapes.
#include <errno.h>

#include "gdb/gdbpkt.h"

#define GDBPKT_ESCAPE 0x7d	/* '}': the next byte is XORed with 0x20 */

void gdbpkt_rx_init(struct gdbpkt_rx *rx)
{
	rx->state = GDBPKT_IDLE;
	rx->overflow = false;
	rx->sum = 0;
	rx->want = 0;
	rx->len = 0;
	rx->buf[0] = 0;
}

int gdbpkt_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static enum gdbpkt_event gdbpkt_rx_idle(struct gdbpkt_rx *rx, uint8_t c)
{
	switch (c) {
	case '$':
		rx->state = GDBPKT_DATA;
		rx->overflow = false;
		rx->sum = 0;
		rx->len = 0;
		return GDBPKT_NONE;
	case '+': return GDBPKT_ACK;
	case '-': return GDBPKT_NAK;
	case 0x03: return GDBPKT_INTERRUPT;
	default: return GDBPKT_NONE;	/* line noise between packets */
	}
}

enum gdbpkt_event gdbpkt_rx_feed(struct gdbpkt_rx *rx, uint8_t c)
{
	int v = gdbpkt_hexval((char)c);

	switch (rx->state) {
	case GDBPKT_IDLE:
		return gdbpkt_rx_idle(rx, c);
	case GDBPKT_DATA:
		if (c == '#') {
			rx->state = GDBPKT_SUM1;
			return GDBPKT_NONE;
		}
		if (c == '$') {
			/* A new start inside a packet: the old one was cut short. */
			gdbpkt_rx_init(rx);
			rx->state = GDBPKT_DATA;
			return GDBPKT_BAD;
		}
		rx->sum += c;
		if (rx->len < GDBPKT_MAX)
			rx->buf[rx->len++] = (char)c;
		else
			rx->overflow = true;
		return GDBPKT_NONE;
	case GDBPKT_SUM1:
		rx->state = GDBPKT_SUM2;
		rx->want = v < 0 ? 0 : (uint8_t)(v << 4);
		if (v < 0)
			rx->overflow = true;	/* reject once the second digit is in */
		return GDBPKT_NONE;
	case GDBPKT_SUM2:
		rx->state = GDBPKT_IDLE;
		rx->buf[rx->len] = 0;
		if (v < 0 || rx->overflow || (uint8_t)(rx->want | v) != rx->sum)
			return GDBPKT_BAD;
		return GDBPKT_PACKET;
	}
	return GDBPKT_NONE;
}

size_t gdbpkt_frame(char *out, size_t cap, const void *payload, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	const uint8_t *p = payload;
	uint8_t sum = 0;
	size_t n = 0;

	if (cap < 4)
		return 0;
	out[n++] = '$';
	for (size_t i = 0; i < len; i++) {
		uint8_t c = p[i];
		bool esc = c == '$' || c == '#' || c == GDBPKT_ESCAPE || c == '*';

		if (n + (esc ? 2 : 1) + 3 > cap)
			return 0;
		if (esc) {
			out[n++] = GDBPKT_ESCAPE;
			sum += GDBPKT_ESCAPE;
			c ^= 0x20;
		}
		out[n++] = (char)c;
		sum += c;
	}
	out[n++] = '#';
	out[n++] = hex[sum >> 4];
	out[n++] = hex[sum & 0xf];
	return n;
}

void gdbpkt_hex_encode(char *out, const void *in, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	const uint8_t *p = in;

	for (size_t i = 0; i < len; i++) {
		out[2 * i] = hex[p[i] >> 4];
		out[2 * i + 1] = hex[p[i] & 0xf];
	}
}

int gdbpkt_hex_decode(void *out, size_t cap, const char *hex, size_t hexlen)
{
	uint8_t *o = out;

	if (hexlen % 2)
		return -EINVAL;
	if (hexlen / 2 > cap)
		return -E2BIG;
	for (size_t i = 0; i < hexlen / 2; i++) {
		int hi = gdbpkt_hexval(hex[2 * i]), lo = gdbpkt_hexval(hex[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -EINVAL;
		o[i] = (uint8_t)(hi << 4 | lo);
	}
	return (int)(hexlen / 2);
}

int gdbpkt_parse_hex(const char **p, const char *end, uint64_t *v)
{
	const char *s = *p;
	uint64_t x = 0;
	int digits = 0, d;

	while (s < end && (d = gdbpkt_hexval(*s)) >= 0) {
		if (++digits > 16)
			return -EINVAL;
		x = x << 4 | (uint64_t)d;
		s++;
	}
	if (!digits)
		return -EINVAL;
	*p = s;
	*v = x;
	return 0;
}

int gdbpkt_unescape(void *out, size_t cap, const char *in, size_t len)
{
	uint8_t *o = out;
	size_t n = 0;

	for (size_t i = 0; i < len; i++) {
		uint8_t c = (uint8_t)in[i];

		if (c == GDBPKT_ESCAPE) {
			if (++i == len)
				return -EINVAL;
			c = (uint8_t)in[i] ^ 0x20;
		}
		if (n == cap)
			return -E2BIG;
		o[n++] = c;
	}
	return (int)n;
}
