// SPDX-License-Identifier: MIT
// 8250/16550A UART at COM1 (0x3f8, IRQ 4): output to a file descriptor, input from the host.
#ifndef MINNOW_SERIAL_H
#define MINNOW_SERIAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/bus.h"

#define SERIAL_RX_FIFO	 64

/*
 * Registers and the receive FIFO, under lock: vCPU threads access them
 * through the bus, the main thread feeds host input.
 */
struct serial {
	pthread_mutex_t lock;
	int out_fd;	/* -1: output discarded */
	int irq_fd;	/* eventfd wired to the IRQ line through irqfd; -1: none */
	uint8_t ier, lcr, mcr, lsr, msr, scr, dll, dlm;
	bool thr_irq;	/* THR-empty interrupt pending until IIR is read or THR written */
	uint8_t rx[SERIAL_RX_FIFO];
	unsigned int rx_head, rx_count;
	uint64_t tx_bytes;
	uint64_t tx_errors;
};

void serial_init(struct serial *s, int out_fd, int irq_fd);
void serial_destroy(struct serial *s);
/* The bus window for the UART at base (8 ports). */
struct bus_dev serial_bus_dev(struct serial *s, uint64_t base);

/* Queues host input for the guest; returns how many bytes fitted. */
size_t serial_rx_push(struct serial *s, const uint8_t *buf, size_t len);
size_t serial_rx_space(struct serial *s);

/* Register access, as the bus calls it (exposed for unit tests). */
uint8_t serial_read(struct serial *s, unsigned int reg);
void serial_write(struct serial *s, unsigned int reg, uint8_t val);

#endif
