// SPDX-License-Identifier: MIT
// Unit tests for devices/serial: registers, output, input FIFO and interrupts.
#include <check.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "devices/serial.h"
#include "tests/unit/suites.h"

static struct serial s;
static int out_pipe[2];
static int irq_fd;

static void setup(void)
{
	ck_assert_int_eq(pipe(out_pipe), 0);
	irq_fd = eventfd(0, EFD_NONBLOCK);
	serial_init(&s, out_pipe[1], irq_fd);
}

static void teardown(void)
{
	serial_destroy(&s);
	close(out_pipe[0]);
	close(out_pipe[1]);
	close(irq_fd);
}

/* Interrupt pulses since the last call. */
static uint64_t irqs(void)
{
	uint64_t n = 0;

	if (read(irq_fd, &n, sizeof(n)) != sizeof(n))
		return 0;
	return n;
}

static void bus_out(unsigned int reg, uint8_t v)
{
	struct bus_dev d = serial_bus_dev(&s, 0x3f8);

	d.write(d.opaque, reg, &v, 1);
}

static uint8_t bus_in(unsigned int reg)
{
	struct bus_dev d = serial_bus_dev(&s, 0x3f8);
	uint8_t v;

	d.read(d.opaque, reg, &v, 1);
	return v;
}

START_TEST(test_serial_output_bytes_written)
{
	char buf[8] = { 0 };

	bus_out(0, 'o');
	bus_out(0, 'k');
	ck_assert_int_eq(read(out_pipe[0], buf, sizeof(buf)), 2);
	ck_assert_str_eq(buf, "ok");
	ck_assert_uint_eq(s.tx_bytes, 2);
	ck_assert_uint_eq(bus_in(5) & 0x60, 0x60);	/* THRE and TEMT: always ready */
	ck_assert_uint_eq(irqs(), 0);			/* IER is 0: no interrupts */
}
END_TEST

START_TEST(test_serial_divisor_latch_and_scratch)
{
	bus_out(3, 0x80);	/* DLAB */
	bus_out(0, 0x01);
	bus_out(1, 0x02);
	ck_assert_uint_eq(bus_in(0), 0x01);
	ck_assert_uint_eq(bus_in(1), 0x02);
	bus_out(3, 0x03);
	ck_assert_uint_eq(bus_in(3), 0x03);
	ck_assert_uint_eq(bus_in(1), 0);	/* IER again, untouched */
	bus_out(7, 0x5a);
	ck_assert_uint_eq(bus_in(7), 0x5a);
	ck_assert_uint_eq(s.tx_bytes, 0);	/* divisor writes are not output */
}
END_TEST

START_TEST(test_serial_rx_fifo_interrupt_and_order)
{
	const uint8_t in[3] = { 'a', 'b', 'c' };

	bus_out(1, 0x01);	/* RX interrupt on */
	ck_assert_uint_eq(serial_rx_push(&s, in, 3), 3);
	ck_assert_uint_eq(irqs(), 1);
	ck_assert_uint_eq(bus_in(2) & 0x0f, 0x04);	/* IIR: data available */
	ck_assert_uint_eq(bus_in(5) & 0x01, 0x01);	/* LSR: DR */
	ck_assert_uint_eq(bus_in(0), 'a');
	ck_assert_uint_eq(bus_in(0), 'b');
	ck_assert_uint_eq(bus_in(0), 'c');
	ck_assert_uint_eq(bus_in(5) & 0x01, 0);
	ck_assert_uint_eq(bus_in(2) & 0x0f, 0x01);	/* IIR: none */
}
END_TEST

START_TEST(test_serial_rx_fifo_full_bounded)
{
	uint8_t in[SERIAL_RX_FIFO + 10];

	memset(in, 'x', sizeof(in));
	ck_assert_uint_eq(serial_rx_push(&s, in, sizeof(in)), SERIAL_RX_FIFO);
	ck_assert_uint_eq(serial_rx_space(&s), 0);
	ck_assert_uint_eq(serial_rx_push(&s, in, 1), 0);
	bus_out(2, 0x02);	/* FCR: clear the receive FIFO */
	ck_assert_uint_eq(serial_rx_space(&s), SERIAL_RX_FIFO);
}
END_TEST

START_TEST(test_serial_thre_interrupt_per_byte)
{
	bus_out(1, 0x02);	/* THRE interrupt on, THR empty: raised at once */
	ck_assert_uint_eq(irqs(), 1);
	ck_assert_uint_eq(bus_in(2) & 0x0f, 0x02);
	ck_assert_uint_eq(bus_in(2) & 0x0f, 0x01);	/* reading IIR cleared it */
	bus_out(0, 'x');
	bus_out(0, 'y');
	ck_assert_uint_eq(irqs(), 2);
}
END_TEST

START_TEST(test_serial_loopback_echoes)
{
	bus_out(4, 0x10 | 0x0b);	/* loop, OUT2, RTS, DTR */
	bus_out(0, 'L');
	ck_assert_uint_eq(s.tx_bytes, 0);
	ck_assert_uint_eq(bus_in(0), 'L');
	ck_assert_uint_eq(bus_in(6) & 0xf0, 0x80 | 0x20 | 0x10);	/* DCD, DSR, CTS */
}
END_TEST

Suite *serial_suite(void)
{
	Suite *su = suite_create("serial");
	TCase *tc = tcase_create("uart");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_serial_output_bytes_written);
	tcase_add_test(tc, test_serial_divisor_latch_and_scratch);
	tcase_add_test(tc, test_serial_rx_fifo_interrupt_and_order);
	tcase_add_test(tc, test_serial_rx_fifo_full_bounded);
	tcase_add_test(tc, test_serial_thre_interrupt_per_byte);
	tcase_add_test(tc, test_serial_loopback_echoes);
	suite_add_tcase(su, tc);
	return su;
}
