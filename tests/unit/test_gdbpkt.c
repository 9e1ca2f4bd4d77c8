// SPDX-License-Identifier: MIT
// Unit tests for gdb/gdbpkt: the GDB remote protocol codec against a hostile client.
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "tests/unit/suites.h"
#include "gdb/gdbpkt.h"

static struct gdbpkt_rx rx;

/* Feeds s; returns the last event that was not GDBPKT_NONE (or NONE). */
static enum gdbpkt_event feed(const char *s, size_t len)
{
	enum gdbpkt_event last = GDBPKT_NONE;

	for (size_t i = 0; i < len; i++) {
		enum gdbpkt_event e = gdbpkt_rx_feed(&rx, (uint8_t)s[i]);

		if (e != GDBPKT_NONE)
			last = e;
	}
	return last;
}

#define FEED(s) feed((s), sizeof(s) - 1)

static void setup(void)
{
	gdbpkt_rx_init(&rx);
}

START_TEST(test_gdbpkt_rx_good_packet_complete)
{
	/* 'g' is 0x67. */
	ck_assert_int_eq(FEED("$g#67"), GDBPKT_PACKET);
	ck_assert_uint_eq(rx.len, 1);
	ck_assert_str_eq(rx.buf, "g");
	ck_assert_int_eq(FEED("$qSupported:multiprocess+#c6"), GDBPKT_PACKET);
	ck_assert_str_eq(rx.buf, "qSupported:multiprocess+");
}
END_TEST

START_TEST(test_gdbpkt_rx_upper_case_checksum_accepted)
{
	ck_assert_int_eq(FEED("$qSupported:multiprocess+#C6"), GDBPKT_PACKET);
}
END_TEST

START_TEST(test_gdbpkt_rx_bad_checksum_bad)
{
	ck_assert_int_eq(FEED("$g#68"), GDBPKT_BAD);
	/* The parser is back between packets: the next good one goes through. */
	ck_assert_int_eq(FEED("$g#67"), GDBPKT_PACKET);
}
END_TEST

START_TEST(test_gdbpkt_rx_bad_checksum_digits_bad)
{
	ck_assert_int_eq(FEED("$g#zz"), GDBPKT_BAD);
	ck_assert_int_eq(FEED("$g#6z"), GDBPKT_BAD);
	ck_assert_int_eq(FEED("$g#x7"), GDBPKT_BAD);
	ck_assert_int_eq(FEED("$g#67"), GDBPKT_PACKET);
}
END_TEST

START_TEST(test_gdbpkt_rx_overlong_bad_and_bounded)
{
	static char big[GDBPKT_MAX + 100];
	uint8_t sum = 0;
	char tail[4];

	memset(big, 'a', sizeof(big));
	for (size_t i = 0; i < sizeof(big); i++)
		sum += 'a';
	ck_assert_int_eq(FEED("$"), GDBPKT_NONE);
	ck_assert_int_eq(feed(big, sizeof(big)), GDBPKT_NONE);
	ck_assert_uint_eq(rx.len, GDBPKT_MAX);
	snprintf(tail, sizeof(tail), "#%02x", sum);
	/* Even with the right checksum, a packet over the limit is refused, not truncated. */
	ck_assert_int_eq(feed(tail, 3), GDBPKT_BAD);
	ck_assert_int_eq(FEED("$g#67"), GDBPKT_PACKET);
}
END_TEST

START_TEST(test_gdbpkt_rx_max_size_packet_accepted)
{
	static char pkt[GDBPKT_MAX + 5];	/* $, payload, #xx and snprintf's NUL */
	uint8_t sum = 0;

	pkt[0] = '$';
	for (size_t i = 1; i <= GDBPKT_MAX; i++) {
		pkt[i] = 'b';
		sum += 'b';
	}
	snprintf(pkt + GDBPKT_MAX + 1, 4, "#%02x", sum);
	ck_assert_int_eq(feed(pkt, GDBPKT_MAX + 4), GDBPKT_PACKET);
	ck_assert_uint_eq(rx.len, GDBPKT_MAX);
}
END_TEST

START_TEST(test_gdbpkt_rx_interrupt_ack_nak_between_packets)
{
	ck_assert_int_eq(feed("\x03", 1), GDBPKT_INTERRUPT);
	ck_assert_int_eq(FEED("+"), GDBPKT_ACK);
	ck_assert_int_eq(FEED("-"), GDBPKT_NAK);
	ck_assert_int_eq(FEED("garbage"), GDBPKT_NONE);
	/* Inside a packet 0x03 is data (it changes the checksum). */
	ck_assert_int_eq(FEED("$\x03#03"), GDBPKT_PACKET);
}
END_TEST

START_TEST(test_gdbpkt_rx_restart_inside_packet_bad_then_packet)
{
	ck_assert_int_eq(FEED("$m100"), GDBPKT_NONE);
	ck_assert_int_eq(FEED("$"), GDBPKT_BAD);
	ck_assert_int_eq(FEED("g#67"), GDBPKT_PACKET);
	ck_assert_str_eq(rx.buf, "g");
}
END_TEST

START_TEST(test_gdbpkt_frame_escapes_and_sums)
{
	char out[32];
	size_t n = gdbpkt_frame(out, sizeof(out), "OK", 2);

	ck_assert_uint_eq(n, 6);
	ck_assert_mem_eq(out, "$OK#9a", 6);
	/* '$' '#' '}' '*' go out as '}' and the byte ^ 0x20; the sum covers the escaped bytes. */
	n = gdbpkt_frame(out, sizeof(out), "a#b", 3);
	ck_assert_uint_eq(n, 8);
	ck_assert_mem_eq(out, "$a}\x03" "b#", 6);
	gdbpkt_rx_init(&rx);
	ck_assert_int_eq(feed(out, n), GDBPKT_PACKET);
}
END_TEST

START_TEST(test_gdbpkt_frame_too_small_zero)
{
	char out[8];

	ck_assert_uint_eq(gdbpkt_frame(out, sizeof(out), "12345", 5), 0);
	ck_assert_uint_eq(gdbpkt_frame(out, sizeof(out), "1234", 4), 8);
	ck_assert_uint_eq(gdbpkt_frame(out, 3, "", 0), 0);
}
END_TEST

START_TEST(test_gdbpkt_hex_roundtrip_and_bad_digits)
{
	uint8_t in[3] = { 0x00, 0xab, 0xff }, back[3];
	char hex[6];

	gdbpkt_hex_encode(hex, in, 3);
	ck_assert_mem_eq(hex, "00abff", 6);
	ck_assert_int_eq(gdbpkt_hex_decode(back, sizeof(back), "00ABff", 6), 3);
	ck_assert_mem_eq(back, in, 3);
	ck_assert_int_eq(gdbpkt_hex_decode(back, sizeof(back), "0g", 2), -EINVAL);
	ck_assert_int_eq(gdbpkt_hex_decode(back, sizeof(back), "abc", 3), -EINVAL);
	ck_assert_int_eq(gdbpkt_hex_decode(back, sizeof(back), "0011223344", 10), -E2BIG);
}
END_TEST

START_TEST(test_gdbpkt_parse_hex_bounds)
{
	const char *s = "10fa30,8", *p = s;
	uint64_t v;

	ck_assert_int_eq(gdbpkt_parse_hex(&p, s + strlen(s), &v), 0);
	ck_assert_uint_eq(v, 0x10fa30);
	ck_assert_ptr_eq(p, s + 6);
	s = ",8";
	p = s;
	ck_assert_int_eq(gdbpkt_parse_hex(&p, s + 2, &v), -EINVAL);
	s = "ffffffffffffffff";
	p = s;
	ck_assert_int_eq(gdbpkt_parse_hex(&p, s + 16, &v), 0);
	ck_assert_uint_eq(v, UINT64_MAX);
	/* 17 digits would overflow: refused, not wrapped. */
	s = "10000000000000000";
	p = s;
	ck_assert_int_eq(gdbpkt_parse_hex(&p, s + 17, &v), -EINVAL);
	/* The end bound is respected even when more digits follow in memory. */
	s = "1234";
	p = s;
	ck_assert_int_eq(gdbpkt_parse_hex(&p, s + 2, &v), 0);
	ck_assert_uint_eq(v, 0x12);
}
END_TEST

START_TEST(test_gdbpkt_unescape_binary)
{
	uint8_t out[4];

	ck_assert_int_eq(gdbpkt_unescape(out, sizeof(out), "a}\x03" "b", 4), 3);
	ck_assert_mem_eq(out, "a#b", 3);
	/* A trailing escape has no byte to apply to. */
	ck_assert_int_eq(gdbpkt_unescape(out, sizeof(out), "a}", 2), -EINVAL);
	ck_assert_int_eq(gdbpkt_unescape(out, 2, "abc", 3), -E2BIG);
}
END_TEST

Suite *gdbpkt_suite(void)
{
	Suite *s = suite_create("gdbpkt");
	TCase *tc = tcase_create("codec");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_gdbpkt_rx_good_packet_complete);
	tcase_add_test(tc, test_gdbpkt_rx_upper_case_checksum_accepted);
	tcase_add_test(tc, test_gdbpkt_rx_bad_checksum_bad);
	tcase_add_test(tc, test_gdbpkt_rx_bad_checksum_digits_bad);
	tcase_add_test(tc, test_gdbpkt_rx_overlong_bad_and_bounded);
	tcase_add_test(tc, test_gdbpkt_rx_max_size_packet_accepted);
	tcase_add_test(tc, test_gdbpkt_rx_interrupt_ack_nak_between_packets);
	tcase_add_test(tc, test_gdbpkt_rx_restart_inside_packet_bad_then_packet);
	tcase_add_test(tc, test_gdbpkt_frame_escapes_and_sums);
	tcase_add_test(tc, test_gdbpkt_frame_too_small_zero);
	tcase_add_test(tc, test_gdbpkt_hex_roundtrip_and_bad_digits);
	tcase_add_test(tc, test_gdbpkt_parse_hex_bounds);
	tcase_add_test(tc, test_gdbpkt_unescape_binary);
	suite_add_tcase(s, tc);
	return s;
}
