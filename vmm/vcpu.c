// SPDX-License-Identifier: MIT
// vCPUs: CPUID, MSRs, registers and LAPIC at creation, and the KVM_RUN loop on one thread each.
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "base/sandbox.h"
#include "base/x86.h"
#include "gdb/gdbstub.h"
#include "vmm/cpuid.h"
#include "vmm/vcpu.h"

#define VCPU_KICK_SIGNAL SIGUSR2	/* SIGUSR1 asks for --metrics */

#define CR0_PE (1ULL << 0)
#define CR0_ET (1ULL << 4)
#define CR0_PG (1ULL << 31)
#define CR4_PAE (1ULL << 5)
#define EFER_LME (1ULL << 8)
#define EFER_LMA (1ULL << 10)

static void vcpu_kick_handler(int sig __unused)
{
}

void vcpu_setup_signals(void)
{
	struct sigaction sa = { .sa_handler = vcpu_kick_handler };

	/* No SA_RESTART: KVM_RUN must return EINTR. */
	sigemptyset(&sa.sa_mask);
	sigaction(VCPU_KICK_SIGNAL, &sa, NULL);
}

static int vcpu_set_sregs(struct vcpu *v, const struct boot_entry *e)
{
	struct kvm_sregs sr;
	struct kvm_segment code = x86_segment(boot_gdt_entry(e->mode, BOOT_SEL_CS / 8), BOOT_SEL_CS);
	struct kvm_segment data = x86_segment(boot_gdt_entry(e->mode, BOOT_SEL_DS / 8), BOOT_SEL_DS);
	int ret = KVM_IOCTL_PTR(v->fd, KVM_GET_SREGS, &sr);

	if (ret)
		return ret;
	sr.cs = code;
	sr.ds = sr.es = sr.fs = sr.gs = sr.ss = data;
	sr.tr = x86_segment(boot_gdt_entry(e->mode, BOOT_SEL_TSS / 8), BOOT_SEL_TSS);
	sr.gdt.base = BOOT_GDT_ADDR;
	sr.gdt.limit = 6 * 8 - 1;
	sr.idt.base = BOOT_IDT_ADDR;
	sr.idt.limit = 7;
	if (e->mode == BOOT_MODE_LONG) {
		sr.cr0 |= CR0_PE | CR0_PG;
		sr.cr3 = BOOT_PML4_ADDR;
		sr.cr4 |= CR4_PAE;
		sr.efer |= EFER_LME | EFER_LMA;
	} else {
		/* PVH: 32-bit protected mode, paging off (xen/include/public/arch-x86/hvm/start_info.h). */
		sr.cr0 = CR0_PE | CR0_ET;
		sr.cr4 = 0;
		sr.efer = 0;
	}
	return KVM_IOCTL_PTR(v->fd, KVM_SET_SREGS, &sr);
}

static int vcpu_set_regs(struct vcpu *v, const struct boot_entry *e)
{
	struct kvm_regs r = {
		.rflags = 0x2,	/* bit 1 is reserved as 1; interrupts off */
		.rip = e->rip,
		.rsi = e->rsi,
		.rbx = e->rbx,
	};

	if (e->mode == BOOT_MODE_LONG)
		r.rsp = r.rbp = BOOT_STACK_ADDR;
	return KVM_IOCTL_PTR(v->fd, KVM_SET_REGS, &r);
}

static int vcpu_set_msrs(struct vcpu *v, char *err, size_t errlen)
{
	static const struct { uint32_t index; uint64_t data; } boot_msrs[] = {
		{ 0x174, 0 }, { 0x175, 0 }, { 0x176, 0 },	/* SYSENTER_CS/ESP/EIP */
		{ 0xc0000081, 0 }, { 0xc0000082, 0 },		/* STAR, LSTAR */
		{ 0xc0000083, 0 }, { 0xc0000084, 0 },		/* CSTAR, SYSCALL_MASK */
		{ 0xc0000102, 0 },				/* KERNEL_GS_BASE */
		{ 0x10, 0 },					/* TSC */
		{ 0x1a0, 1 },					/* MISC_ENABLE: fast strings */
		{ 0x2ff, (1 << 11) | 6 },			/* MTRRdefType: on, write-back */
	};
	union {
		struct kvm_msrs hdr;
		uint8_t bytes[sizeof(struct kvm_msrs) + sizeof(boot_msrs) / sizeof(boot_msrs[0]) *
								sizeof(struct kvm_msr_entry)];
	} msrs = { .hdr.nmsrs = ARRAY_SIZE(boot_msrs) };
	int ret;

	for (size_t i = 0; i < ARRAY_SIZE(boot_msrs); i++)
		msrs.hdr.entries[i] = (struct kvm_msr_entry){ .index = boot_msrs[i].index,
						    .data = boot_msrs[i].data };
	/* KVM_SET_MSRS returns how many it set; it stops at the first it refuses. */
	ret = kvm_ioctl(v->fd, KVM_SET_MSRS, (unsigned long)&msrs);
	if (ret < 0 || (size_t)ret != ARRAY_SIZE(boot_msrs))
		return log_errbuf(err, errlen, ret < 0 ? ret : -EINVAL, "vCPU %u: KVM refused MSR 0x%x",
				v->index, boot_msrs[ret < 0 ? 0 : ret].index);
	return 0;
}

static int vcpu_set_lapic(struct vcpu *v)
{
	struct kvm_lapic_state lapic;
	uint32_t lvt0, lvt1;
	int ret = KVM_IOCTL_PTR(v->fd, KVM_GET_LAPIC, &lapic);

	if (ret)
		return ret;
	/* LINT0 delivers ExtINT (the PIC), LINT1 NMI, as a PC's BIOS leaves them (SDM 10.5.1). */
	memcpy(&lvt0, &lapic.regs[0x350], 4);
	memcpy(&lvt1, &lapic.regs[0x360], 4);
	lvt0 = (lvt0 & ~0x700u) | (7u << 8);
	lvt1 = (lvt1 & ~0x700u) | (4u << 8);
	memcpy(&lapic.regs[0x350], &lvt0, 4);
	memcpy(&lapic.regs[0x360], &lvt1, 4);
	return KVM_IOCTL_PTR(v->fd, KVM_SET_LAPIC, &lapic);
}

static int vcpu_set_cpuid(struct vcpu *v)
{
	const struct kvm_cpuid2 *sup = v->host->kvm->cpuid;
	size_t size = sizeof(*sup) + sup->nent * sizeof(sup->entries[0]);
	struct kvm_cpuid2 *c = malloc(size);
	int ret;

	if (!c)
		return -ENOMEM;
	memcpy(c, sup, size);
	cpuid_normalize(c, v->index, v->host->nr_vcpus, v->host->cpuid_hide);
	ret = kvm_ioctl(v->fd, KVM_SET_CPUID2, (unsigned long)c);
	free(c);
	return ret;
}

int vcpu_create(struct vcpu *v, const struct vcpu_host *host, unsigned int index, char *err,
		size_t errlen)
{
	struct kvm_fpu fpu = { .fcw = 0x37f, .mxcsr = 0x1f80 };	/* FNINIT and reset values */
	int ret;

	*v = (struct vcpu){ .host = host, .index = index, .unclaimed_rl = LOG_RATELIMIT_INIT };
	v->fd = kvm_ioctl(host->kvm->vm_fd, KVM_CREATE_VCPU, index);
	if (v->fd < 0)
		return log_errbuf(err, errlen, v->fd, "KVM_CREATE_VCPU %u failed: %s", index,
				strerror(-v->fd));
	v->run = mmap(NULL, host->kvm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, v->fd, 0);
	if (v->run == MAP_FAILED) {
		v->run = NULL;
		return log_errbuf(err, errlen, -errno, "cannot map vCPU %u's kvm_run: %s", index,
				strerror(errno));
	}
	if ((ret = vcpu_set_cpuid(v)))
		return log_errbuf(err, errlen, ret, "vCPU %u: KVM_SET_CPUID2 failed: %s", index,
				strerror(-ret));
	if ((ret = vcpu_set_msrs(v, err, errlen)))
		return ret;
	if ((ret = KVM_IOCTL_PTR(v->fd, KVM_SET_FPU, &fpu)) || (ret = vcpu_set_lapic(v)))
		return log_errbuf(err, errlen, ret, "vCPU %u: setting FPU or LAPIC failed: %s", index,
				strerror(-ret));
	/* Application processors wait for INIT/SIPI from the BSP (in-kernel LAPIC). */
	if (index == 0 && ((ret = vcpu_set_sregs(v, host->entry)) ||
			    (ret = vcpu_set_regs(v, host->entry))))
		return log_errbuf(err, errlen, ret, "vCPU 0: setting the boot registers failed: %s",
				strerror(-ret));
	return 0;
}

static void vcpu_dump(struct vcpu *v)
{
	struct kvm_regs r;
	struct kvm_sregs s;

	if (KVM_IOCTL_PTR(v->fd, KVM_GET_REGS, &r) || KVM_IOCTL_PTR(v->fd, KVM_GET_SREGS, &s))
		return;
	log_err("vCPU %u: rip=0x%llx rsp=0x%llx rflags=0x%llx cs=0x%x(l=%u,dpl=%u) cr0=0x%llx "
		"cr3=0x%llx cr4=0x%llx efer=0x%llx", v->index, r.rip, r.rsp, r.rflags, s.cs.selector,
		s.cs.l, s.cs.dpl, s.cr0, s.cr3, s.cr4, s.efer);
}

static void vcpu_pio(struct vcpu *v)
{
	struct kvm_run *run = v->run;
	const struct bus *pio = v->host->pio;
	uint8_t *data = (uint8_t *)run + run->io.data_offset;
	uint64_t bytes = (uint64_t)run->io.count * run->io.size;

	/* KVM fills these, but a bad offset would send us outside the kvm_run mapping. */
	if (run->io.data_offset > v->host->kvm->run_size ||
	    bytes > v->host->kvm->run_size - run->io.data_offset)
		return;
	for (uint32_t i = 0; i < run->io.count; i++, data += run->io.size) {
		bool claimed = run->io.direction == KVM_EXIT_IO_OUT ?
			bus_write(pio, run->io.port, data, run->io.size) :
			bus_read(pio, run->io.port, data, run->io.size);

		if (!claimed)
			log_ratelimited(&v->unclaimed_rl, LOG_DEBUG, "vCPU %u: unclaimed port %s "
					"0x%x size %u", v->index,
					run->io.direction == KVM_EXIT_IO_OUT ? "write" : "read",
					run->io.port, run->io.size);
	}
}

static void vcpu_mmio(struct vcpu *v)
{
	struct kvm_run *run = v->run;
	unsigned int len = MIN(run->mmio.len, (uint32_t)sizeof(run->mmio.data));
	bool claimed = run->mmio.is_write ?
		bus_write(v->host->mmio, run->mmio.phys_addr, run->mmio.data, len) :
		bus_read(v->host->mmio, run->mmio.phys_addr, run->mmio.data, len);

	if (!claimed)
		log_ratelimited(&v->unclaimed_rl, LOG_DEBUG, "vCPU %u: unclaimed MMIO %s 0x%llx "
				"size %u", v->index, run->mmio.is_write ? "write" : "read",
				run->mmio.phys_addr, len);
}

static void vcpu_system_event(struct vcpu *v)
{
	switch (v->run->system_event.type) {
	case KVM_SYSTEM_EVENT_SHUTDOWN:
		v->host->stop(v->host->opaque, VCPU_STOP_POWEROFF);
		break;
	case KVM_SYSTEM_EVENT_RESET:
		v->host->stop(v->host->opaque, VCPU_STOP_RESET);
		break;
	default:
		log_err("vCPU %u: system event %u", v->index, v->run->system_event.type);
		v->host->stop(v->host->opaque, VCPU_STOP_ERROR);
		break;
	}
}

/* Handles one exit; false when the vCPU must stop. */
static bool vcpu_handle_exit(struct vcpu *v)
{
	struct kvm_run *run = v->run;

	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		vcpu_pio(v);
		return true;
	case KVM_EXIT_MMIO:
		vcpu_mmio(v);
		return true;
	case KVM_EXIT_INTR:
		return true;
	case KVM_EXIT_DEBUG:
		if (!v->host->gdb)
			break;
		gdbstub_vcpu_debug(v->host->gdb, v->index, &run->debug.arch);
		return true;
	case KVM_EXIT_SHUTDOWN:
		log_info("vCPU %u: triple fault", v->index);
		v->host->stop(v->host->opaque, VCPU_STOP_TRIPLE_FAULT);
		return false;
	case KVM_EXIT_SYSTEM_EVENT:
		vcpu_system_event(v);
		return false;
	case KVM_EXIT_INTERNAL_ERROR:
		if (v->host->gdb && run->internal.suberror == KVM_INTERNAL_ERROR_EMULATION &&
		    gdbstub_vcpu_int3(v->host->gdb, v->index))
			return true;
		log_err("vCPU %u: KVM internal error, suberror %u%s", v->index,
			run->internal.suberror,
			run->internal.suberror == KVM_INTERNAL_ERROR_EMULATION ?
				" (KVM could not emulate an instruction)" : "");
		break;
	case KVM_EXIT_FAIL_ENTRY:
		log_err("vCPU %u: VM entry failed, hardware reason 0x%llx", v->index,
			run->fail_entry.hardware_entry_failure_reason);
		break;
	default:
		log_err("vCPU %u: unexpected KVM exit reason %u", v->index, run->exit_reason);
		break;
	}
	vcpu_dump(v);
	v->host->stop(v->host->opaque, VCPU_STOP_ERROR);
	return false;
}

static void *vcpu_thread(void *arg)
{
	struct vcpu *v = arg;
	sigset_t set;

	if (sandbox_enter(SANDBOX_VCPU)) {
		log_err("vCPU %u: cannot enter the seccomp sandbox", v->index);
		v->host->stop(v->host->opaque, VCPU_STOP_ERROR);
		return NULL;
	}
	sigemptyset(&set);
	sigaddset(&set, VCPU_KICK_SIGNAL);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	while (!v->host->stopping(v->host->opaque)) {
		int ret;

		if (v->host->gdb)
			gdbstub_vcpu_gate(v->host->gdb, v->index);
		ret = kvm_ioctl(v->fd, KVM_RUN, 0);

		if (ret == -EINTR || ret == -EAGAIN) {
			/* vcpu_kick stores it from other threads; whoever kicked set its flag first. */
			__atomic_store_n(&v->run->immediate_exit, 0, __ATOMIC_SEQ_CST);
			continue;
		}
		if (ret < 0) {
			log_err("vCPU %u: KVM_RUN failed: %s", v->index, strerror(-ret));
			v->host->stop(v->host->opaque, VCPU_STOP_ERROR);
			break;
		}
		if (!vcpu_handle_exit(v))
			break;
	}
	return NULL;
}

int vcpu_start(struct vcpu *v)
{
	int ret = pthread_create(&v->thread, NULL, vcpu_thread, v);

	if (ret)
		return -ret;
	v->started = true;
	return 0;
}

void vcpu_kick(struct vcpu *v)
{
	if (!v->started || !v->run)
		return;
	/*
	 * KVM checks immediate_exit on entry to KVM_RUN; the signal takes the
	 * vCPU out if it is already inside. Either way the loop then sees what
	 * the caller set before this call: the machine stopping, or gdb's hold.
	 */
	__atomic_store_n(&v->run->immediate_exit, 1, __ATOMIC_SEQ_CST);
	pthread_kill(v->thread, VCPU_KICK_SIGNAL);
}

void vcpu_destroy(struct vcpu *v)
{
	if (v->started)
		pthread_join(v->thread, NULL);
	if (v->run)
		munmap(v->run, v->host->kvm->run_size);
	if (v->fd >= 0)
		close(v->fd);
	v->started = false;
	v->run = NULL;
	v->fd = -1;
}
