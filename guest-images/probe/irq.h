// SPDX-License-Identifier: MIT
// Probe guest interrupts, set up from CPL 3: IDT gates, LAPIC, IOAPIC, 8259 mask, IF.
#ifndef PROBE_IRQ_H
#define PROBE_IRQ_H

#include <stdint.h>

/* xAPIC and IOAPIC at their reset addresses (SDM vol. 3 §11.4.1; 82093AA). */
#define LAPIC_BASE  0xfee00000u
#define IOAPIC_BASE 0xfec00000u

/*
 * IF from CPL 3. entry.S asks for IOPL 3, so on hardware VMX/SVM these run
 * natively; kvm-pvm runs CPL 3 with IOPL 0, so they raise #GP there and
 * entry.S's #GP handler emulates them (a few emulated instructions each).
 */
static inline void irq_enable(void)
{
	__asm__ volatile("sti" : : : "memory");
}

static inline void irq_disable(void)
{
	__asm__ volatile("cli" : : : "memory");
}

/* Points vector at handler: a present DPL-0 interrupt gate in the kernel CS. */
void idt_set_gate(unsigned int vector, void (*handler)(void));
/* Masks every input of both 8259s, so ISA lines reach the CPU only through the IOAPIC. */
void pic_mask_all(void);
/* Software-enables the LAPIC (spurious vector 0xff), TPR 0, LINT0 (ExtINT) masked. */
void lapic_enable(void);
/* Routes IOAPIC pin to vector: fixed, physical to APIC id 0, edge, active high, unmasked. */
void ioapic_route(unsigned int pin, uint8_t vector);
void ioapic_mask(unsigned int pin);

#endif
