// SPDX-License-Identifier: MIT
// kvm-pvm: gdb breakpoints and steps in CPL-3 code, caught at the guest's own #BP and #DB handlers.
//
// kvm-pvm runs CPL-3 code natively and does not intercept its int3 or trap-flag #DB: they
// reach the guest's IDT. The handlers run at CPL 0, which kvm-pvm emulates, and there a debug
// register does stop the vCPU. So minnow puts DR3 on the #BP handler and, for a step, DR2 on
// the #DB handler; when one fires for our int3 or our step, it undoes the exception delivery
// from the frame the CPU pushed (SDM vol. 3A 6.14.2) and reports the stop where it happened.
#include <errno.h>
#include <string.h>

#include "base/x86.h"
#include "gdb/gdbstub_int.h"
#include "gdb/gdbtrap.h"
#include "gdb/gva.h"

#define GDBTRAP_RFLAGS_TF (1ULL << 8)
#define GDBTRAP_VEC_DB	  1
#define GDBTRAP_VEC_BP	  3
#define GDBTRAP_DR6_BS	  (1ULL << 14)
#define GDBTRAP_DR6_HITS  (GDBTRAP_DR6_BS | 0xf)	/* BS and B0-B3 */

/* The 64-bit IDT gate of vector vec: its handler's address, or -EFAULT (SDM vol. 3A 6.14.1). */
static int gdbtrap_handler(struct gdbstub *g, const struct kvm_sregs *s, unsigned int vec,
			   uint64_t *addr)
{
	const struct gva_mmu mmu = { .cr0 = s->cr0, .cr3 = s->cr3, .cr4 = s->cr4, .efer = s->efer };
	uint64_t gate[2];

	if (s->idt.limit < vec * 16 + 15 ||
	    gva_read(g->t.gmem, &mmu, s->idt.base + vec * 16, gate, sizeof(gate)))
		return -EFAULT;
	if (!(gate[0] & (1ULL << 47)))	/* not present */
		return -EFAULT;
	*addr = (gate[0] & 0xffff) | ((gate[0] >> 32) & 0xffff0000) | (gate[1] << 32);
	return 0;
}

static void gdbtrap_dr(struct kvm_guest_debug *dbg, unsigned int n, uint64_t addr)
{
	dbg->arch.debugreg[n] = addr;
	dbg->arch.debugreg[7] |= 1ULL << (2 * n + 1);	/* Gn; R/Wn = LENn = 00: execute */
	dbg->control |= KVM_GUESTDBG_USE_HW_BP;
}

static bool gdbtrap_any_int3(const struct gdbstub *g)
{
	for (unsigned int i = 0; i < GDBSTUB_MAX_BP; i++)
		if (g->bps[i].used && g->bps[i].int3)
			return true;
	return false;
}

void gdbtrap_arm(struct gdbstub *g, unsigned int v, bool step, struct kvm_guest_debug *dbg)
{
	int fd = g->t.vcpu_fds[v];
	struct kvm_sregs s;
	uint64_t handler;

	if (g->sw_bp || GDBSTUB_IOCTL(fd, KVM_GET_SREGS, &s))
		return;
	if ((int)v == g->rearm_vcpu) {
		/*
		 * Stopped at a handler's first instruction by our debug register
		 * (the guest's own int3 or #DB): that instruction must run before
		 * the register goes back, or it matches again. One step, unseen.
		 */
		if (!step) {
			dbg->control |= KVM_GUESTDBG_SINGLESTEP;
			g->internal_step |= 1ULL << v;
		}
		return;
	}
	if (gdbtrap_any_int3(g) && !gdbtrap_handler(g, &s, GDBTRAP_VEC_BP, &handler)) {
		gdbtrap_dr(dbg, GDBTRAP_DR_BP, handler);
	} else if (gdbtrap_any_int3(g) && (s.cs.selector & 3) == 0 && !step) {
		/*
		 * No #BP handler yet (the guest has not loaded its IDT): step the
		 * emulated CPL-0 code, unseen by gdb, until it has one.
		 */
		dbg->control |= KVM_GUESTDBG_SINGLESTEP;
		g->internal_step |= 1ULL << v;
	}
	/* KVM's trap flag at CPL 3: one instruction, then a #DB the guest's handler takes. */
	if (step && (s.cs.selector & 3) == 3 && !gdbtrap_handler(g, &s, GDBTRAP_VEC_DB, &handler)) {
		gdbtrap_dr(dbg, GDBTRAP_DR_DB, handler);
		g->tf_step = true;
	}
}

/* The segment register for selector sel from the guest's GDT (SDM vol. 3A 3.4.5). */
static int gdbtrap_segment(struct gdbstub *g, const struct kvm_sregs *s, uint64_t sel,
			   struct kvm_segment *seg)
{
	const struct gva_mmu mmu = { .cr0 = s->cr0, .cr3 = s->cr3, .cr4 = s->cr4, .efer = s->efer };
	uint64_t desc;

	if ((sel & ~7ULL) + 7 > s->gdt.limit || sel > 0xffff ||
	    gva_read(g->t.gmem, &mmu, s->gdt.base + (sel & ~7ULL), &desc, sizeof(desc)))
		return -EFAULT;
	*seg = x86_segment(desc, (uint16_t)sel);
	seg->type |= 1;	/* accessed: the CPU sets it when it loads the selector */
	return 0;
}

/* A vCPU stopped at the first instruction of a handler, and the frame the CPU pushed for it. */
struct gdbtrap_entry {
	struct kvm_regs r;
	struct kvm_sregs s;
	uint64_t frame[5];	/* rip, cs, rflags, rsp, ss; #BP and #DB push no error code */
};

/* Reads the entry frame; -EFAULT unless it came from CPL 3. */
static int gdbtrap_entry(struct gdbstub *g, unsigned int v, struct gdbtrap_entry *e)
{
	int fd = g->t.vcpu_fds[v];
	struct gva_mmu mmu;

	if (GDBSTUB_IOCTL(fd, KVM_GET_REGS, &e->r) || GDBSTUB_IOCTL(fd, KVM_GET_SREGS, &e->s))
		return -EIO;
	mmu = (struct gva_mmu){ .cr0 = e->s.cr0, .cr3 = e->s.cr3, .cr4 = e->s.cr4,
				.efer = e->s.efer };
	if (gva_read(g->t.gmem, &mmu, e->r.rsp, e->frame, sizeof(e->frame)) ||
	    (e->frame[1] & 3) != 3)
		return -EFAULT;
	return 0;
}

/* Undoes the exception delivery: the vCPU is back at CPL 3 as the frame says, at rip. */
static int gdbtrap_return(struct gdbstub *g, unsigned int v, struct gdbtrap_entry *e,
			  uint64_t rip)
{
	int fd = g->t.vcpu_fds[v];

	if (gdbtrap_segment(g, &e->s, e->frame[1], &e->s.cs) ||
	    gdbtrap_segment(g, &e->s, e->frame[4], &e->s.ss))
		return -EFAULT;
	e->r.rip = rip;
	e->r.rflags = e->frame[2] & ~GDBTRAP_RFLAGS_TF;
	e->r.rsp = e->frame[3];
	if (GDBSTUB_IOCTL(fd, KVM_SET_SREGS, &e->s) || GDBSTUB_IOCTL(fd, KVM_SET_REGS, &e->r))
		return -EIO;
	return 0;
}

bool gdbtrap_is_int3(const struct gdbstub *g, uint64_t addr)
{
	for (unsigned int i = 0; i < GDBSTUB_MAX_BP; i++)
		if (g->bps[i].used && g->bps[i].int3 && g->bps[i].gva == addr)
			return true;
	return false;
}

/* Drops the trap flag a step set when the stop came from elsewhere (Ctrl-C, another vCPU). */
static void gdbtrap_clear_tf(struct gdbstub *g, unsigned int v)
{
	struct kvm_regs r;
	int fd = g->t.vcpu_fds[v];

	if (!GDBSTUB_IOCTL(fd, KVM_GET_REGS, &r) && (r.rflags & GDBTRAP_RFLAGS_TF)) {
		r.rflags &= ~GDBTRAP_RFLAGS_TF;
		if (GDBSTUB_IOCTL(fd, KVM_SET_REGS, &r))
			log_ratelimited(&g->rl, LOG_WARN, "gdb: cannot clear TF on vCPU %u", v);
	}
}

bool gdbtrap_unwind(struct gdbstub *g)
{
	bool db = g->stop_exception == 1 && (g->stop_dr6 & (1ULL << GDBTRAP_DR_DB));
	bool bp = g->stop_exception == 1 && (g->stop_dr6 & (1ULL << GDBTRAP_DR_BP));
	/* DR6.BS alone: one of our own steps (SDM vol. 3B 17.2.3). */
	bool internal = g->stop_exception == 1 && (g->stop_dr6 & GDBTRAP_DR6_HITS) == GDBTRAP_DR6_BS &&
			(g->internal_step & (1ULL << g->stop_vcpu));
	struct gdbtrap_entry e;

	g->internal_step = 0;
	g->rearm_vcpu = -1;
	if (g->sw_bp)
		return true;
	if (internal)
		return false;
	if (g->tf_step && !db)
		gdbtrap_clear_tf(g, g->step_vcpu);
	if ((db || bp) && gdbtrap_entry(g, g->stop_vcpu, &e) == 0) {
		/* #DB is a trap: the frame's rip is the next instruction. #BP's is past the int3. */
		if (db && g->tf_step && g->stop_vcpu == g->step_vcpu &&
		    !gdbtrap_return(g, g->stop_vcpu, &e, e.frame[0]))
			g->stop_exception = ~0u;	/* a plain step */
		else if (bp && gdbtrap_is_int3(g, e.frame[0] - 1) &&
			 !gdbtrap_return(g, g->stop_vcpu, &e, e.frame[0] - 1))
			g->stop_exception = 3;		/* ours: "swbreak" at the breakpoint */
		else
			g->rearm_vcpu = (int)g->stop_vcpu;	/* the guest's own: see gdbtrap_arm */
	}
	g->tf_step = false;
	return true;
}
