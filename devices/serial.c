// SPDX-License-Identifier: MIT
// 8250/16550A UART at COM1 (0x3f8, IRQ 4): output to a file descriptor, input from the host.
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "devices/serial.h"

/* Register offsets and bits: National Semiconductor PC16550D data sheet, table 2. */
enum { UART_RBR_THR = 0, UART_IER = 1, UART_IIR_FCR = 2, UART_LCR = 3, UART_MCR = 4,
       UART_LSR = 5, UART_MSR = 6, UART_SCR = 7 };

#define IER_RDI	   0x01	/* received data available */
#define IER_THRI   0x02	/* transmitter holding register empty */
#define IIR_NONE   0x01
#define IIR_THRI   0x02
#define IIR_RDI	   0x04
#define IIR_FIFO   0xc0	/* FIFOs enabled, as a 16550A reports */
#define LCR_DLAB   0x80
#define MCR_LOOP   0x10
#define LSR_DR	   0x01
#define LSR_THRE   0x20
#define LSR_TEMT   0x40
#define MSR_DCD	   0x80
#define MSR_DSR	   0x20
#define MSR_CTS	   0x10

void serial_init(struct serial *s, int out_fd, int irq_fd)
{
	memset(s, 0, sizeof(*s));
	pthread_mutex_init(&s->lock, NULL);
	s->out_fd = out_fd;
	s->irq_fd = irq_fd;
	s->lsr = LSR_THRE | LSR_TEMT;
	s->msr = MSR_DCD | MSR_DSR | MSR_CTS;
	s->dll = 12;	/* 9600 baud, as firmware leaves it */
}

void serial_destroy(struct serial *s)
{
	pthread_mutex_destroy(&s->lock);
}

static uint8_t serial_iir(const struct serial *s)
{
	if ((s->ier & IER_RDI) && s->rx_count)
		return IIR_RDI | IIR_FIFO;
	if ((s->ier & IER_THRI) && s->thr_irq)
		return IIR_THRI | IIR_FIFO;
	return IIR_NONE | IIR_FIFO;
}

/*
 * The line is edge-triggered through irqfd: pulse it when an interrupt
 * condition appears that was not there before the access.
 */
static void serial_update_irq(struct serial *s, uint8_t old_iir)
{
	uint8_t iir = serial_iir(s);
	uint64_t one = 1;

	if (s->irq_fd < 0 || (iir & IIR_NONE) || iir == old_iir)
		return;
	if (write(s->irq_fd, &one, sizeof(one)) < 0)
		s->tx_errors++;
}

static void serial_rx_put(struct serial *s, uint8_t c)
{
	if (s->rx_count == SERIAL_RX_FIFO)
		return;
	s->rx[(s->rx_head + s->rx_count) % SERIAL_RX_FIFO] = c;
	s->rx_count++;
}

static void serial_transmit(struct serial *s, uint8_t c)
{
	if (s->mcr & MCR_LOOP) {
		serial_rx_put(s, c);
		return;
	}
	s->tx_bytes++;
	/* Unbuffered: a guest that dies mid-line still leaves its last words behind. */
	if (s->out_fd >= 0 && write(s->out_fd, &c, 1) != 1)
		s->tx_errors++;
}

uint8_t serial_read(struct serial *s, unsigned int reg)
{
	uint8_t v = 0;

	switch (reg) {
	case UART_RBR_THR:
		if (s->lcr & LCR_DLAB)
			return s->dll;
		if (s->rx_count) {
			v = s->rx[s->rx_head];
			s->rx_head = (s->rx_head + 1) % SERIAL_RX_FIFO;
			s->rx_count--;
		}
		return v;
	case UART_IER:
		return s->lcr & LCR_DLAB ? s->dlm : s->ier;
	case UART_IIR_FCR:
		v = serial_iir(s);
		if ((v & 0x0f) == IIR_THRI)
			s->thr_irq = false;	/* reading IIR clears a THRE interrupt */
		return v;
	case UART_LCR:
		return s->lcr;
	case UART_MCR:
		return s->mcr;
	case UART_LSR:
		return s->lsr | (s->rx_count ? LSR_DR : 0);
	case UART_MSR:
		if (s->mcr & MCR_LOOP)	/* loopback: modem outputs fed back to the inputs */
			return ((s->mcr & 0x01) << 5) | ((s->mcr & 0x02) << 3) |
			       ((s->mcr & 0x04) << 4) | ((s->mcr & 0x08) << 4);
		return s->msr;
	default:
		return s->scr;
	}
}

void serial_write(struct serial *s, unsigned int reg, uint8_t val)
{
	switch (reg) {
	case UART_RBR_THR:
		if (s->lcr & LCR_DLAB) {
			s->dll = val;
			return;
		}
		serial_transmit(s, val);
		s->thr_irq = true;	/* the byte left at once: THR is empty again */
		return;
	case UART_IER:
		if (s->lcr & LCR_DLAB) {
			s->dlm = val;
			return;
		}
		/* Enabling THRI with THR empty raises the interrupt (16550D, IER). */
		if ((val & IER_THRI) && !(s->ier & IER_THRI))
			s->thr_irq = true;
		s->ier = val & 0x0f;
		return;
	case UART_IIR_FCR:
		if (val & 0x02)		/* clear the receive FIFO */
			s->rx_count = 0;
		return;
	case UART_LCR:
		s->lcr = val;
		return;
	case UART_MCR:
		s->mcr = val & 0x1f;
		return;
	case UART_SCR:
		s->scr = val;
		return;
	default:
		return;	/* LSR and MSR are read-only */
	}
}

static void serial_bus_read(void *opaque, uint64_t off, uint8_t *data, unsigned int size)
{
	struct serial *s = opaque;

	pthread_mutex_lock(&s->lock);
	uint8_t old = serial_iir(s);

	data[0] = serial_read(s, off);
	memset(data + 1, 0, size - 1);
	serial_update_irq(s, old);
	pthread_mutex_unlock(&s->lock);
}

static void serial_bus_write(void *opaque, uint64_t off, const uint8_t *data,
			     unsigned int size __unused)
{
	struct serial *s = opaque;

	pthread_mutex_lock(&s->lock);
	uint8_t old = serial_iir(s);

	serial_write(s, off, data[0]);
	/* Each byte written re-raises THRE: pulse even when IIR did not change. */
	if (off == UART_RBR_THR && !(s->lcr & LCR_DLAB))
		old = IIR_NONE;
	serial_update_irq(s, old);
	pthread_mutex_unlock(&s->lock);
}

struct bus_dev serial_bus_dev(struct serial *s, uint64_t base)
{
	return (struct bus_dev){ .name = "serial", .base = base, .len = 8,
				 .read = serial_bus_read, .write = serial_bus_write, .opaque = s };
}

size_t serial_rx_push(struct serial *s, const uint8_t *buf, size_t len)
{
	size_t n;

	pthread_mutex_lock(&s->lock);
	uint8_t old = serial_iir(s);

	n = MIN(len, (size_t)(SERIAL_RX_FIFO - s->rx_count));
	for (size_t i = 0; i < n; i++)
		serial_rx_put(s, buf[i]);
	serial_update_irq(s, old);
	pthread_mutex_unlock(&s->lock);
	return n;
}

size_t serial_rx_space(struct serial *s)
{
	size_t n;

	pthread_mutex_lock(&s->lock);
	n = SERIAL_RX_FIFO - s->rx_count;
	pthread_mutex_unlock(&s->lock);
	return n;
}
