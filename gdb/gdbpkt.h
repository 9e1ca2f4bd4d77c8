// SPDX-License-Identifier: MIT
// GDB remote serial protocol framing: packet parser, checksums, hex and binary escapes.
#ifndef MINNOW_GDBPKT_H
#define MINNOW_GDBPKT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/compiler.h"

/* Largest payload accepted or sent (the PacketSize minnow advertises in qSupported). */
#define GDBPKT_MAX 4096

enum gdbpkt_event {
	GDBPKT_NONE,		/* byte consumed, nothing complete yet */
	GDBPKT_PACKET,		/* rx->buf[0, rx->len) holds a packet with a good checksum */
	GDBPKT_BAD,		/* bad checksum, bad checksum digits or overlong: answer '-' */
	GDBPKT_INTERRUPT,	/* 0x03 between packets: gdb's Ctrl-C */
	GDBPKT_ACK,		/* '+' */
	GDBPKT_NAK,		/* '-': resend the last reply */
};

/*
 * The incremental parser of one connection: "$payload#xx" with xx the
 * modulo-256 sum of the payload bytes as they are on the wire (escapes
 * included). Bytes between packets other than + - 0x03 are ignored. The
 * payload is kept raw; NUL-terminated for convenience (binary payloads may
 * hold NULs, so use len).
 */
struct gdbpkt_rx {
	enum { GDBPKT_IDLE, GDBPKT_DATA, GDBPKT_SUM1, GDBPKT_SUM2 } state;
	bool overflow;
	uint8_t sum;
	uint8_t want;
	size_t len;
	char buf[GDBPKT_MAX + 1];
};

void gdbpkt_rx_init(struct gdbpkt_rx *rx);
enum gdbpkt_event gdbpkt_rx_feed(struct gdbpkt_rx *rx, uint8_t c);

/*
 * Frames payload as "$...#xx" into out, escaping '$', '#', '}' and '*' as
 * '}' (byte ^ 0x20). Returns the frame's length, or 0 when it does not fit.
 */
size_t gdbpkt_frame(char *out, size_t cap, const void *payload, size_t len) __must_check;

/* Value of one hex digit, or -1. */
int gdbpkt_hexval(char c);
/* Writes 2 * len lowercase hex digits (no NUL). */
void gdbpkt_hex_encode(char *out, const void *in, size_t len);
/* Decodes exactly hexlen digits (even) into out; bytes decoded, or -EINVAL / -E2BIG. */
int gdbpkt_hex_decode(void *out, size_t cap, const char *hex, size_t hexlen) __must_check;
/*
 * Parses a hex number of 1-16 digits at *p (before end) and advances *p past
 * it; -EINVAL when there is none or it is longer.
 */
int gdbpkt_parse_hex(const char **p, const char *end, uint64_t *v) __must_check;
/* Undoes '}' escapes of binary data (X packets); bytes written, or -EINVAL / -E2BIG. */
int gdbpkt_unescape(void *out, size_t cap, const char *in, size_t len) __must_check;

#endif
