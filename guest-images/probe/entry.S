// SPDX-License-Identifier: MIT
// Probe guest CPL-0 stub: PVH entry, long mode, GDT/TSS/IDT, iretq to CPL 3.
//
// Under kvm-pvm every CPL-0 instruction is emulated (~1 M/s), so this stub
// is straight-line code plus two short loops (~1500 instructions in all);
// page tables, GDT and TSS are built by the assembler, not at run time.

#define KERNEL_CS	0x08
#define KERNEL_DS	0x10
#define USER_DS		0x18
#define USER_CS		0x20
#define TSS_SEL		0x28

#define CR0_PE		(1 << 0)
#define CR0_MP		(1 << 1)
#define CR0_ET		(1 << 4)
#define CR0_NE		(1 << 5)
#define CR0_WP		(1 << 16)
#define CR0_PG		(1 << 31)
#define CR4_PAE		(1 << 5)
#define CR4_OSFXSR	(1 << 9)
#define CR4_OSXMMEXCPT	(1 << 10)
#define MSR_EFER	0xc0000080
#define EFER_LME	(1 << 8)

#define PTE_P		0x1
#define PTE_RW		0x2
#define PTE_US		0x4
#define PTE_PWT		0x8
#define PTE_PCD		0x10
#define PTE_PS		0x80
#define PTE_URW		(PTE_P | PTE_RW | PTE_US)
#define PTE_UC		(PTE_PWT | PTE_PCD)

/* 2 MiB pages holding the IOAPIC (0xfec00000) and the LAPIC (0xfee00000). */
#define IOAPIC_2M	0xfec00000
#define LAPIC_2M	0xfee00000
#define LAPIC_EOI	0xfee000b0

#define RFLAGS_FIXED	0x2
#define RFLAGS_IF	0x200
#define RFLAGS_IOPL3	0x3000

#define TSS_IOPB_OFFSET	104
#define TSS_LIMIT	(TSS_IOPB_OFFSET + 8192)	/* includes the 0xff byte */

#define KSTACK_SIZE	16384
#define USTACK_SIZE	65536

/*
 * PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY = 18). The value is a 32-bit
 * physical address stored in 8 bytes, as Linux's vmlinux does: QEMU reads
 * a size_t from the descriptor, so a 4-byte descriptor would hand it
 * whatever follows. Readers that want 32 bits take the low half.
 * The section is 4-aligned so that PT_NOTE's p_align is 4 (QEMU aligns
 * the name size to p_align to find the descriptor).
 */
	.section .note.Xen, "a", @note
	.balign 4
	.long 4				/* namesz: "Xen\0" */
	.long 8				/* descsz */
	.long 18			/* type: XEN_ELFNOTE_PHYS32_ENTRY */
	.asciz "Xen"
	.quad pvh_start32

/*
 * PVH entry: 32-bit protected mode, flat segments, paging off, interrupts
 * off, EBX = physical address of struct hvm_start_info.
 */
	.section .text.entry, "ax"
	.code32
	.globl pvh_start32
pvh_start32:
	cli
	cld
	movl %ebx, probe_start_info
	lgdt gdt_ptr

	movl %cr4, %eax
	orl $(CR4_PAE | CR4_OSFXSR | CR4_OSXMMEXCPT), %eax
	movl %eax, %cr4
	movl $pml4, %eax
	movl %eax, %cr3
	movl $MSR_EFER, %ecx
	rdmsr
	orl $EFER_LME, %eax
	wrmsr
	/* EM and TS clear, MP set: SSE may be used at CPL 3 */
	movl $(CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_WP | CR0_PG), %eax
	movl %eax, %cr0
	ljmp $KERNEL_CS, $start64

	.code64
start64:
	movl $KERNEL_DS, %eax
	movl %eax, %ds
	movl %eax, %es
	movl %eax, %ss
	xorl %eax, %eax
	movl %eax, %fs
	movl %eax, %gs
	leaq kstack_top(%rip), %rsp

	/* The TSS base is split across the descriptor: fill it in here. */
	movl $probe_tss, %eax
	movw %ax, gdt_tss + 2(%rip)
	shrl $16, %eax
	movb %al, gdt_tss + 4(%rip)
	movb %ah, gdt_tss + 7(%rip)
	movw $TSS_SEL, %ax
	ltr %ax

	/*
	 * IDT: exception stub i lives at exc_stubs + 16 * i. A gate's low
	 * quadword is offset[15:0] | selector << 16 | attr << 40 |
	 * offset[31:16] << 48; the high one holds offset[63:32], zero here.
	 */
	leaq probe_idt(%rip), %rdi
	movl $exc_stubs, %esi
	movl $32, %ecx
	movabsq $(KERNEL_CS << 16 | 0x8e << 40), %r8	/* present, DPL 0, intr gate */
1:	movq %rsi, %rax
	movl %esi, %edx
	andl $0xffff, %eax
	andl $0xffff0000, %edx
	shlq $32, %rdx
	orq %rdx, %rax
	orq %r8, %rax
	movq %rax, (%rdi)
	addq $16, %rdi
	addq $16, %rsi
	decl %ecx
	jnz 1b

	movl $irq_ignore, %esi
	movq %rsi, %rax
	movl %esi, %edx
	andl $0xffff, %eax
	andl $0xffff0000, %edx
	shlq $32, %rdx
	orq %rdx, %rax
	orq %r8, %rax
	movl $(256 - 32), %ecx
2:	movq %rax, (%rdi)
	addq $16, %rdi
	decl %ecx
	jnz 2b
	lidt idt_ptr(%rip)

	/* To CPL 3 with IOPL 3 and IF 0; rsp as if probe_main was called. */
	pushq $(USER_DS | 3)
	leaq ustack_top - 8(%rip), %rax
	pushq %rax
	pushq $(RFLAGS_FIXED | RFLAGS_IOPL3)
	pushq $(USER_CS | 3)
	leaq probe_main(%rip), %rax
	pushq %rax
	iretq

/*
 * Exception stubs 0-31, 16 bytes apart. Vectors without a CPU error code
 * push a zero one so that every frame looks alike (struct probe_frame).
 */
	.macro exc_stub vec
	.balign 16
	.if \vec == 13
	jmp gp_entry
	.exitm
	.endif
	.if (\vec == 8) || (\vec == 10) || (\vec == 11) || (\vec == 12) || \
	    (\vec == 13) || (\vec == 14) || (\vec == 17) || (\vec == 21) || \
	    (\vec == 29) || (\vec == 30)
	.else
	pushq $0
	.endif
	pushq $\vec
	jmp exc_common
	.endm

	.balign 16
exc_stubs:
	.irp vec, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, \
		16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31
	exc_stub \vec
	.endr

/*
 * #GP: first see whether CPL-3 code ran sti or cli. kvm-pvm runs CPL 3 with
 * IOPL 0 whatever our iretq asked for (pushfq there reads 0x206), so both
 * fault; emulate them on the saved frame and skip the 1-byte instruction.
 * Anything else is a real #GP. Stack: error code, rip, cs, rflags, rsp, ss.
 */
gp_entry:
	testb $3, 16(%rsp)		/* from CPL 3? */
	jz 2f
	pushq %rax
	movq 16(%rsp), %rax		/* the faulting rip */
	cmpb $0xfb, (%rax)		/* sti */
	je 4f
	cmpb $0xfa, (%rax)		/* cli */
	jne 1f
	andq $~RFLAGS_IF, 32(%rsp)
	jmp 5f
4:	orq $RFLAGS_IF, 32(%rsp)
5:	incq 16(%rsp)
	popq %rax
	addq $8, %rsp			/* the error code */
	iretq
1:	popq %rax
2:	pushq $13
	jmp exc_common

exc_common:
	pushq %rax
	pushq %rbx
	pushq %rcx
	pushq %rdx
	pushq %rsi
	pushq %rdi
	pushq %rbp
	pushq %r8
	pushq %r9
	pushq %r10
	pushq %r11
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	movq %rsp, %rdi		/* 22 quadwords pushed: rsp is 16-aligned */
	call probe_exception
3:	pause
	jmp 3b

/* Vectors 32-255 by default: ignored, no EOI (the spurious vector needs none). */
irq_ignore:
	iretq

/*
 * Device interrupt handler for the serial-echo mode, which installs it in
 * the (user-writable) IDT from CPL 3: count the interrupt for the CPL-3
 * code and write the LAPIC EOI. It runs emulated under kvm-pvm, so it
 * stays this short; the device itself is serviced at CPL 3.
 */
	.globl probe_irq_count_eoi
probe_irq_count_eoi:
	incl probe_irq_count(%rip)
	pushq %rax
	movl $LAPIC_EOI, %eax
	movl $0, (%rax)
	popq %rax
	iretq

/*
 * The same for virtio devices (virtio.c), on their own vector and counter,
 * so that a mode may drive the UART and a virtio device at once.
 */
	.globl probe_virtio_irq_count_eoi
probe_virtio_irq_count_eoi:
	incl probe_virtio_irq_count(%rip)
	pushq %rax
	movl $LAPIC_EOI, %eax
	movl $0, (%rax)
	popq %rax
	iretq

	.data
	.balign 16
gdt:
	.quad 0
	.quad 0x00af9a000000ffff	/* 0x08 kernel code, 64-bit */
	.quad 0x00cf92000000ffff	/* 0x10 kernel data */
	.quad 0x00cff2000000ffff	/* 0x18 user data, DPL 3 */
	.quad 0x00affa000000ffff	/* 0x20 user code, 64-bit, DPL 3 */
gdt_tss:				/* 0x28 available 64-bit TSS */
	.word TSS_LIMIT
	.word 0				/* base[15:0], set at run time */
	.byte 0				/* base[23:16] */
	.byte 0x89			/* present, DPL 0, type 9 */
	.byte 0				/* limit[19:16], flags */
	.byte 0				/* base[31:24] */
	.quad 0				/* base[63:32], reserved */
gdt_end:

	.balign 8
gdt_ptr:
	.word gdt_end - gdt - 1
	.quad gdt
idt_ptr:
	.word 256 * 16 - 1
	.quad probe_idt

	.globl probe_start_info
	.balign 8
probe_start_info:
	.quad 0

	.globl probe_irq_count
	.balign 4
probe_irq_count:			/* bumped by probe_irq_count_eoi */
	.long 0
	.globl probe_virtio_irq_count
probe_virtio_irq_count:		/* bumped by probe_virtio_irq_count_eoi */
	.long 0

/* SDM vol. 3 §8.7; the I/O bitmap allows every port. */
	.globl probe_tss
	.balign 16
probe_tss:
	.long 0
	.quad kstack_top		/* RSP0 */
	.quad 0, 0			/* RSP1, RSP2 */
	.quad 0
	.fill 7, 8, 0			/* IST1-7 */
	.quad 0
	.word 0
	.word TSS_IOPB_OFFSET
	.fill 8192, 1, 0
	.byte 0xff

/*
 * Identity map of the first 4 GiB, user-accessible and writable: 2 MiB
 * pages, except the first 2 MiB, mapped with 4 KiB pages so that page 0
 * stays unmapped and NULL dereferences fault. The two pages holding the
 * IOAPIC and the LAPIC are uncached (PCD|PWT), as device registers must be.
 */
	.section .data.pagetables, "aw"
	.balign 4096
pml4:
	.quad pdpt + PTE_URW
	.fill 511, 8, 0
pdpt:
	.quad pd + 0x0000 + PTE_URW
	.quad pd + 0x1000 + PTE_URW
	.quad pd + 0x2000 + PTE_URW
	.quad pd + 0x3000 + PTE_URW
	.fill 508, 8, 0
	.globl probe_pd
probe_pd:				/* 2048 PDEs: 4 GiB in 2 MiB pages */
pd:
	.quad pt0 + PTE_URW
	.set addr, 1 << 21
	.rept 2047
	.if (addr == IOAPIC_2M) || (addr == LAPIC_2M)
	.quad addr | PTE_PS | PTE_URW | PTE_UC
	.else
	.quad addr | PTE_PS | PTE_URW
	.endif
	.set addr, addr + (1 << 21)
	.endr
pt0:
	.quad 0
	.set addr, 1 << 12
	.rept 511
	.quad addr | PTE_URW
	.set addr, addr + (1 << 12)
	.endr

	.bss
	.globl probe_idt
	.balign 4096
probe_idt:
	.skip 256 * 16
	.balign 16
	.skip KSTACK_SIZE
kstack_top:
	.balign 16
	.skip USTACK_SIZE
ustack_top:

	.section .note.GNU-stack, "", @progbits
