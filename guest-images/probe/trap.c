// SPDX-License-Identifier: MIT
// Probe guest exception report: runs at CPL 0 (emulated), prints, exits with 3.
#include "lib.h"
#include "entry.h"
#include "trap.h"

static uint64_t read_cr2(void)
{
	uint64_t v;

	__asm__ volatile("mov %%cr2, %0" : "=r"(v));
	return v;
}

/*
 * Called by entry.S for vectors 0-31 with the saved frame. Every line of
 * this runs under kvm-pvm's emulator, so it stays short and prints once.
 */
void probe_exception(struct probe_frame *f)
{
	serial_puts("probe: exception ");
	serial_put_u64(f->vector);
	serial_puts(" rip=");
	serial_put_hex(f->rip);
	serial_puts(" err=");
	serial_put_hex(f->error);
	serial_puts(" cs=");
	serial_put_hex(f->cs);
	serial_puts(" rsp=");
	serial_put_hex(f->rsp);
	if (f->vector == 14) {
		serial_puts(" cr2=");
		serial_put_hex(read_cr2());
	}
	serial_putc('\n');
	probe_exit(PROBE_EXIT_EXCEPTION);
}
