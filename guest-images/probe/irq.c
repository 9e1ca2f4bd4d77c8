// SPDX-License-Identifier: MIT
// Probe guest interrupts, set up from CPL 3: IDT gates, LAPIC, IOAPIC, 8259 mask, IF.
//
// Everything here runs at CPL 3 (natively under kvm-pvm): the IDT is
// user-writable and the LAPIC/IOAPIC pages are user-accessible (uncached) in
// entry.S's identity map. Each MMIO or port access is a VM exit.
#include "irq.h"
#include "lib.h"
#include "entry.h"

#define KERNEL_CS 0x08 /* entry.S's GDT */
#define GATE_INTR 0x8e /* present, DPL 0, 64-bit interrupt gate */

/* LAPIC registers (SDM vol. 3, table 11-1). */
#define LAPIC_TPR	 0x080
#define LAPIC_SVR	 0x0f0
#define LAPIC_LVT_LINT0	 0x350
#define LAPIC_SVR_ENABLE 0x100
#define LAPIC_SPURIOUS	 0xff
#define LAPIC_LVT_MASKED 0x10000

/* IOAPIC: index/data window and redirection table (82093AA §3.2.4). */
#define IOAPIC_IOREGSEL	  0x00
#define IOAPIC_IOWIN	  0x10
#define IOAPIC_REDTBL(p)  (0x10 + 2 * (p))
#define IOAPIC_RTE_MASKED 0x10000

/* 8259A interrupt mask registers (OCW1). */
#define PIC1_IMR 0x21
#define PIC2_IMR 0xa1

void idt_set_gate(unsigned int vector, void (*handler)(void))
{
	volatile uint64_t *gate = (volatile uint64_t *)&probe_idt[vector * 16];
	uint64_t off = (uint64_t)handler;

	gate[1] = off >> 32;
	gate[0] = (off & 0xffff) | (uint64_t)KERNEL_CS << 16 | (uint64_t)GATE_INTR << 40 |
		  (off & 0xffff0000) << 32;
}

void pic_mask_all(void)
{
	outb(PIC1_IMR, 0xff);
	outb(PIC2_IMR, 0xff);
}

static void lapic_write(uint32_t reg, uint32_t val)
{
	*(volatile uint32_t *)(uintptr_t)(LAPIC_BASE + reg) = val;
}

static uint32_t lapic_read(uint32_t reg)
{
	return *(volatile uint32_t *)(uintptr_t)(LAPIC_BASE + reg);
}

void lapic_enable(void)
{
	lapic_write(LAPIC_LVT_LINT0, lapic_read(LAPIC_LVT_LINT0) | LAPIC_LVT_MASKED);
	lapic_write(LAPIC_TPR, 0);
	lapic_write(LAPIC_SVR, LAPIC_SVR_ENABLE | LAPIC_SPURIOUS);
}

static void ioapic_write(uint32_t reg, uint32_t val)
{
	*(volatile uint32_t *)(uintptr_t)(IOAPIC_BASE + IOAPIC_IOREGSEL) = reg;
	*(volatile uint32_t *)(uintptr_t)(IOAPIC_BASE + IOAPIC_IOWIN) = val;
}

void ioapic_route(unsigned int pin, uint8_t vector)
{
	ioapic_write(IOAPIC_REDTBL(pin) + 1, 0); /* destination: APIC id 0 */
	/* Delivery fixed (0), physical, active high, edge, unmasked: only the vector. */
	ioapic_write(IOAPIC_REDTBL(pin), vector);
}

void ioapic_mask(unsigned int pin)
{
	ioapic_write(IOAPIC_REDTBL(pin), IOAPIC_RTE_MASKED);
}
