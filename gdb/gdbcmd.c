// SPDX-License-Identifier: MIT
// The gdb server's commands: registers, memory, breakpoints, threads and queries (all-stop).
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "gdb/gdbcmd.h"
#include "gdb/gdbstub_int.h"
#include "gdb/gva.h"

/*
 * The register set gdb is told about (qXfer:features:read:target.xml): the
 * amd64 core and SSE features as gdb names them, then fs_base and gs_base.
 * The 'g' packet carries the registers in this order, little-endian.
 */
static const char gdbcmd_target_xml[] =
	"<?xml version=\"1.0\"?><!DOCTYPE target SYSTEM \"gdb-target.dtd\">"
	"<target version=\"1.0\"><architecture>i386:x86-64</architecture>"
	"<feature name=\"org.gnu.gdb.i386.core\">"
	"<reg name=\"rax\" bitsize=\"64\" type=\"int64\"/>"
	"<reg name=\"rbx\" bitsize=\"64\" type=\"int64\"/>"
	"<reg name=\"rcx\" bitsize=\"64\" type=\"int64\"/>"
	"<reg name=\"rdx\" bitsize=\"64\" type=\"int64\"/>"
	"<reg name=\"rsi\" bitsize=\"64\" type=\"int64\"/>"
	"<reg name=\"rdi\" bitsize=\"64\" type=\"int64\"/>"
	"<reg name=\"rbp\" bitsize=\"64\" type=\"data_ptr\"/>"
	"<reg name=\"rsp\" bitsize=\"64\" type=\"data_ptr\"/>"
	"<reg name=\"r8\" bitsize=\"64\" type=\"int64\"/>"
	"<reg name=\"r9\" bitsize=\"64\" type=\"int64\"/>"
	"<reg name=\"r10\" bitsize=\"64\" type=\"int64\"/>"
	"<reg name=\"r11\" bitsize=\"64\" type=\"int64\"/>"
	"<reg name=\"r12\" bitsize=\"64\" type=\"int64\"/>"
	"<reg name=\"r13\" bitsize=\"64\" type=\"int64\"/>"
	"<reg name=\"r14\" bitsize=\"64\" type=\"int64\"/>"
	"<reg name=\"r15\" bitsize=\"64\" type=\"int64\"/>"
	"<reg name=\"rip\" bitsize=\"64\" type=\"code_ptr\"/>"
	"<reg name=\"eflags\" bitsize=\"32\" type=\"int32\"/>"
	"<reg name=\"cs\" bitsize=\"32\" type=\"int32\"/>"
	"<reg name=\"ss\" bitsize=\"32\" type=\"int32\"/>"
	"<reg name=\"ds\" bitsize=\"32\" type=\"int32\"/>"
	"<reg name=\"es\" bitsize=\"32\" type=\"int32\"/>"
	"<reg name=\"fs\" bitsize=\"32\" type=\"int32\"/>"
	"<reg name=\"gs\" bitsize=\"32\" type=\"int32\"/>"
	"<reg name=\"st0\" bitsize=\"80\" type=\"i387_ext\"/>"
	"<reg name=\"st1\" bitsize=\"80\" type=\"i387_ext\"/>"
	"<reg name=\"st2\" bitsize=\"80\" type=\"i387_ext\"/>"
	"<reg name=\"st3\" bitsize=\"80\" type=\"i387_ext\"/>"
	"<reg name=\"st4\" bitsize=\"80\" type=\"i387_ext\"/>"
	"<reg name=\"st5\" bitsize=\"80\" type=\"i387_ext\"/>"
	"<reg name=\"st6\" bitsize=\"80\" type=\"i387_ext\"/>"
	"<reg name=\"st7\" bitsize=\"80\" type=\"i387_ext\"/>"
	"<reg name=\"fctrl\" bitsize=\"32\" type=\"int\" group=\"float\"/>"
	"<reg name=\"fstat\" bitsize=\"32\" type=\"int\" group=\"float\"/>"
	"<reg name=\"ftag\" bitsize=\"32\" type=\"int\" group=\"float\"/>"
	"<reg name=\"fiseg\" bitsize=\"32\" type=\"int\" group=\"float\"/>"
	"<reg name=\"fioff\" bitsize=\"32\" type=\"int\" group=\"float\"/>"
	"<reg name=\"foseg\" bitsize=\"32\" type=\"int\" group=\"float\"/>"
	"<reg name=\"fooff\" bitsize=\"32\" type=\"int\" group=\"float\"/>"
	"<reg name=\"fop\" bitsize=\"32\" type=\"int\" group=\"float\"/>"
	"</feature><feature name=\"org.gnu.gdb.i386.sse\">"
	"<reg name=\"xmm0\" bitsize=\"128\" type=\"uint128\"/>"
	"<reg name=\"xmm1\" bitsize=\"128\" type=\"uint128\"/>"
	"<reg name=\"xmm2\" bitsize=\"128\" type=\"uint128\"/>"
	"<reg name=\"xmm3\" bitsize=\"128\" type=\"uint128\"/>"
	"<reg name=\"xmm4\" bitsize=\"128\" type=\"uint128\"/>"
	"<reg name=\"xmm5\" bitsize=\"128\" type=\"uint128\"/>"
	"<reg name=\"xmm6\" bitsize=\"128\" type=\"uint128\"/>"
	"<reg name=\"xmm7\" bitsize=\"128\" type=\"uint128\"/>"
	"<reg name=\"xmm8\" bitsize=\"128\" type=\"uint128\"/>"
	"<reg name=\"xmm9\" bitsize=\"128\" type=\"uint128\"/>"
	"<reg name=\"xmm10\" bitsize=\"128\" type=\"uint128\"/>"
	"<reg name=\"xmm11\" bitsize=\"128\" type=\"uint128\"/>"
	"<reg name=\"xmm12\" bitsize=\"128\" type=\"uint128\"/>"
	"<reg name=\"xmm13\" bitsize=\"128\" type=\"uint128\"/>"
	"<reg name=\"xmm14\" bitsize=\"128\" type=\"uint128\"/>"
	"<reg name=\"xmm15\" bitsize=\"128\" type=\"uint128\"/>"
	"<reg name=\"mxcsr\" bitsize=\"32\" type=\"int\" group=\"vector\"/>"
	"</feature><feature name=\"org.gnu.gdb.i386.segments\">"
	"<reg name=\"fs_base\" bitsize=\"64\" type=\"int\"/>"
	"<reg name=\"gs_base\" bitsize=\"64\" type=\"int\"/>"
	"</feature></target>";

enum {
	GDBCMD_NR_GPR = 16,
	GDBCMD_REG_RIP = 16,
	GDBCMD_REG_EFLAGS = 17,
	GDBCMD_REG_CS = 18,
	GDBCMD_REG_ST0 = 24,
	GDBCMD_REG_FCTRL = 32,
	GDBCMD_REG_XMM0 = 40,
	GDBCMD_REG_MXCSR = 56,
	GDBCMD_REG_FS_BASE = 57,
	GDBCMD_NR_REGS = 59,
	GDBCMD_REGS_BYTES = 16 * 8 + 8 + 4 + 6 * 4 + 8 * 10 + 8 * 4 + 16 * 16 + 4 + 2 * 8,
};

/* A vCPU's state as gdb sees it. */
struct gdbcmd_cpu {
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	struct kvm_fpu fpu;
};

static unsigned int gdbcmd_reg_size(unsigned int n)
{
	if (n < GDBCMD_REG_EFLAGS)
		return 8;
	if (n >= GDBCMD_REG_ST0 && n < GDBCMD_REG_FCTRL)
		return 10;
	if (n >= GDBCMD_REG_XMM0 && n < GDBCMD_REG_MXCSR)
		return 16;
	return n >= GDBCMD_REG_FS_BASE ? 8 : 4;
}

static unsigned int gdbcmd_reg_offset(unsigned int n)
{
	unsigned int off = 0;

	for (unsigned int i = 0; i < n; i++)
		off += gdbcmd_reg_size(i);
	return off;
}

/* The x87 tag word from FXSAVE's abridged one: 00 valid, 11 empty (no finer class). */
static uint32_t gdbcmd_ftag(uint8_t ftwx)
{
	uint32_t tag = 0;

	for (int i = 0; i < 8; i++)
		if (!(ftwx & (1u << i)))
			tag |= 3u << (2 * i);
	return tag;
}

/* kvm_regs orders rsp before rbp; gdb the other way round. */
static __u64 *gdbcmd_gpr(struct kvm_regs *r, unsigned int n)
{
	__u64 *const gprs[GDBCMD_NR_GPR] = {
		&r->rax, &r->rbx, &r->rcx, &r->rdx, &r->rsi, &r->rdi, &r->rbp, &r->rsp,
		&r->r8, &r->r9, &r->r10, &r->r11, &r->r12, &r->r13, &r->r14, &r->r15,
	};

	return gprs[n];
}

/* Lays out every register as the 'g' packet carries it, into out[GDBCMD_REGS_BYTES]. */
static void gdbcmd_pack(struct gdbcmd_cpu *c, uint8_t *out)
{
	const struct kvm_segment *segs[6] = { &c->sregs.cs, &c->sregs.ss, &c->sregs.ds,
					      &c->sregs.es, &c->sregs.fs, &c->sregs.gs };
	uint32_t fpu32[8] = { c->fpu.fcw, c->fpu.fsw, gdbcmd_ftag(c->fpu.ftwx), 0,
			      (uint32_t)c->fpu.last_ip, 0, (uint32_t)c->fpu.last_dp,
			      c->fpu.last_opcode };
	uint32_t eflags = (uint32_t)c->regs.rflags, mxcsr = c->fpu.mxcsr;
	uint8_t *p = out;

	for (unsigned int i = 0; i < GDBCMD_NR_GPR; i++, p += 8)
		memcpy(p, gdbcmd_gpr(&c->regs, i), 8);
	memcpy(p, &c->regs.rip, 8);
	memcpy(p + 8, &eflags, 4);
	p += 12;
	for (unsigned int i = 0; i < 6; i++, p += 4) {
		uint32_t sel = segs[i]->selector;

		memcpy(p, &sel, 4);
	}
	for (unsigned int i = 0; i < 8; i++, p += 10)
		memcpy(p, c->fpu.fpr[i], 10);
	memcpy(p, fpu32, sizeof(fpu32));
	p += sizeof(fpu32);
	memcpy(p, c->fpu.xmm, 16 * 16);
	p += 16 * 16;
	memcpy(p, &mxcsr, 4);
	memcpy(p + 4, &c->sregs.fs.base, 8);
	memcpy(p + 12, &c->sregs.gs.base, 8);
}

static int gdbcmd_get_cpu(struct gdbstub *g, struct gdbcmd_cpu *c)
{
	int fd = g->t.vcpu_fds[g->g_vcpu];

	if (GDBSTUB_IOCTL(fd, KVM_GET_REGS, &c->regs) ||
	    GDBSTUB_IOCTL(fd, KVM_GET_SREGS, &c->sregs) ||
	    GDBSTUB_IOCTL(fd, KVM_GET_FPU, &c->fpu))
		return -EIO;
	return 0;
}

static int gdbcmd_reply_text(struct gdbstub *g, const char *text)
{
	g->reply_len = strlen(text);
	memcpy(g->reply, text, g->reply_len);
	return 0;
}

/* "Enn": errno as the two hex digits gdb shows. */
static int gdbcmd_reply_err(struct gdbstub *g, int err)
{
	g->reply_len = (size_t)snprintf(g->reply, sizeof(g->reply), "E%02x",
					(unsigned int)err & 0xff);
	return -err;
}

static int gdbcmd_read_regs(struct gdbstub *g, bool one, uint64_t n)
{
	uint8_t raw[GDBCMD_REGS_BYTES];
	struct gdbcmd_cpu c;

	if (gdbcmd_get_cpu(g, &c))
		return gdbcmd_reply_err(g, EIO);
	gdbcmd_pack(&c, raw);
	if (!one) {
		gdbpkt_hex_encode(g->reply, raw, sizeof(raw));
		g->reply_len = 2 * sizeof(raw);
	} else if (n < GDBCMD_NR_REGS) {
		gdbpkt_hex_encode(g->reply, raw + gdbcmd_reg_offset(n), gdbcmd_reg_size(n));
		g->reply_len = 2 * gdbcmd_reg_size(n);
	} else {
		return gdbcmd_reply_err(g, EINVAL);
	}
	return 0;
}

/*
 * Writes registers from raw (laid out as 'g'), for registers [first, last):
 * the general registers, rip and eflags reach the vCPU. Others may only be
 * "written" with their current value (a 'G' carries them all).
 */
static int gdbcmd_write_regs(struct gdbstub *g, const uint8_t *raw, unsigned int first,
			      unsigned int last)
{
	uint8_t cur[GDBCMD_REGS_BYTES];
	unsigned int lo = gdbcmd_reg_offset(first), hi = gdbcmd_reg_offset(last);
	unsigned int flags_off = gdbcmd_reg_offset(GDBCMD_REG_EFLAGS);
	unsigned int regs_end = gdbcmd_reg_offset(GDBCMD_REG_CS);
	struct gdbcmd_cpu c;
	uint32_t eflags;

	if (gdbcmd_get_cpu(g, &c))
		return gdbcmd_reply_err(g, EIO);
	gdbcmd_pack(&c, cur);
	memcpy(cur + lo, raw + lo, hi - lo);
	for (unsigned int i = 0; i < GDBCMD_NR_GPR; i++)
		memcpy(gdbcmd_gpr(&c.regs, i), cur + 8 * i, 8);
	memcpy(&c.regs.rip, cur + 8 * GDBCMD_NR_GPR, 8);
	memcpy(&eflags, cur + flags_off, 4);
	c.regs.rflags = (c.regs.rflags & ~0xffffffffULL) | eflags;
	if (hi > regs_end) {
		uint8_t check[GDBCMD_REGS_BYTES];

		gdbcmd_pack(&c, check);
		if (memcmp(check + regs_end, cur + regs_end, sizeof(check) - regs_end))
			return gdbcmd_reply_err(g, EPERM);	/* only GPRs, rip, eflags */
	}
	if (GDBSTUB_IOCTL(g->t.vcpu_fds[g->g_vcpu], KVM_SET_REGS, &c.regs))
		return gdbcmd_reply_err(g, EIO);
	return gdbcmd_reply_text(g, "OK");
}

/* 'G hex...' or 'P n=hex'. */
static int gdbcmd_set_regs(struct gdbstub *g, const char *arg, const char *end, bool one)
{
	uint8_t raw[GDBCMD_REGS_BYTES] = { 0 };
	uint64_t n = 0;
	unsigned int first = 0, last = GDBCMD_NR_REGS, lo;

	if (one) {
		if (gdbpkt_parse_hex(&arg, end, &n) || n >= GDBCMD_NR_REGS || arg == end ||
		    *arg++ != '=')
			return gdbcmd_reply_err(g, EINVAL);
		first = (unsigned int)n;
		last = first + 1;
	}
	lo = gdbcmd_reg_offset(first);
	if (gdbpkt_hex_decode(raw + lo, sizeof(raw) - lo, arg, (size_t)(end - arg)) !=
	    (int)(gdbcmd_reg_offset(last) - lo))
		return gdbcmd_reply_err(g, EINVAL);
	return gdbcmd_write_regs(g, raw, first, last);
}

static int gdbcmd_mmu(struct gdbstub *g, struct gva_mmu *mmu)
{
	struct kvm_sregs s;

	if (GDBSTUB_IOCTL(g->t.vcpu_fds[g->g_vcpu], KVM_GET_SREGS, &s))
		return -EIO;
	*mmu = (struct gva_mmu){ .cr0 = s.cr0, .cr3 = s.cr3, .cr4 = s.cr4, .efer = s.efer };
	return 0;
}

/* "addr,len" then what follows it. */
static int gdbcmd_addr_len(const char **p, const char *end, uint64_t *addr, uint64_t *len)
{
	if (gdbpkt_parse_hex(p, end, addr) || *p == end || *(*p)++ != ',' ||
	    gdbpkt_parse_hex(p, end, len))
		return -EINVAL;
	return 0;
}

/* 'm addr,len': as many bytes as are mapped from addr on, at most a packet's worth. */
static int gdbcmd_read_mem(struct gdbstub *g, const char *arg, const char *end)
{
	uint8_t buf[GDBPKT_MAX / 2];
	struct gva_mmu mmu;
	uint64_t addr, len, done = 0;

	if (gdbcmd_addr_len(&arg, end, &addr, &len) || arg != end)
		return gdbcmd_reply_err(g, EINVAL);
	if (gdbcmd_mmu(g, &mmu))
		return gdbcmd_reply_err(g, EIO);
	len = MIN(len, (uint64_t)sizeof(buf));
	/* Byte by byte up to a page end would be slow; gva_read copies a page run at once. */
	while (done < len) {
		gpa_t gpa;
		uint64_t left, n;

		if (gva_translate(g->t.gmem, &mmu, addr + done, &gpa, &left))
			break;
		n = MIN(left, len - done);
		if (gmem_read(g->t.gmem, buf + done, gpa, n))
			break;
		done += n;
	}
	if (!done && len)
		return gdbcmd_reply_err(g, EFAULT);
	gdbpkt_hex_encode(g->reply, buf, done);
	g->reply_len = 2 * done;
	return 0;
}

/* 'M addr,len:hex' and 'X addr,len:binary'. */
static int gdbcmd_write_mem(struct gdbstub *g, const char *arg, const char *end, bool binary)
{
	uint8_t buf[GDBPKT_MAX];
	struct gva_mmu mmu;
	uint64_t addr, len;
	int n;

	if (gdbcmd_addr_len(&arg, end, &addr, &len) || arg == end || *arg++ != ':')
		return gdbcmd_reply_err(g, EINVAL);
	n = binary ? gdbpkt_unescape(buf, sizeof(buf), arg, (size_t)(end - arg)) :
		     gdbpkt_hex_decode(buf, sizeof(buf), arg, (size_t)(end - arg));
	if (n < 0 || (uint64_t)n != len)
		return gdbcmd_reply_err(g, EINVAL);
	if (len && (gdbcmd_mmu(g, &mmu) || gva_write(g->t.gmem, &mmu, addr, buf, len)))
		return gdbcmd_reply_err(g, EFAULT);
	return gdbcmd_reply_text(g, "OK");
}

static void gdbcmd_remove_bp(struct gdbstub *g, struct gdbstub_bp *bp)
{
	if (bp->int3 && gmem_write(g->t.gmem, bp->gpa, &bp->orig, 1))
		log_ratelimited(&g->rl, LOG_WARN, "gdb: breakpoint at 0x%llx: RAM gone",
				(unsigned long long)bp->gva);
	bp->used = false;
}

void gdbcmd_remove_all_bps(struct gdbstub *g)
{
	for (unsigned int i = 0; i < GDBSTUB_MAX_BP; i++)
		if (g->bps[i].used)
			gdbcmd_remove_bp(g, &g->bps[i]);
}

unsigned int gdbcmd_debugregs(const struct gdbstub *g, __u64 debugreg[8])
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < GDBSTUB_MAX_BP && n < g->max_hw; i++) {
		if (!g->bps[i].used || !g->bps[i].hw)
			continue;
		/* DR7: Gn enables DRn; R/Wn = LENn = 00 mean "execute" (SDM vol. 3B 17.2.4). */
		debugreg[n] = g->bps[i].gva;
		debugreg[7] |= 1ULL << (2 * n + 1);
		n++;
	}
	return n;
}

static unsigned int gdbcmd_nr_hw(const struct gdbstub *g)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < GDBSTUB_MAX_BP; i++)
		n += g->bps[i].used && g->bps[i].hw;
	return n;
}

/*
 * Z1: a debug register. Z0: an int3, which KVM intercepts; on kvm-pvm it
 * stops CPL-0 code as an emulation failure (gdbstub_vcpu_int3) and CPL-3 code
 * through the guest's #BP handler (gdbtrap.c).
 */
static int gdbcmd_insert_bp(struct gdbstub *g, struct gdbstub_bp *bp, uint64_t addr, bool z1)
{
	static const uint8_t int3 = 0xcc;
	struct gva_mmu mmu;
	uint64_t left;

	if (z1 && gdbcmd_nr_hw(g) >= g->max_hw)
		return gdbcmd_reply_err(g, ENOSPC);
	*bp = (struct gdbstub_bp){ .hw = z1, .int3 = !z1, .z1 = z1, .gva = addr };
	if (bp->int3 &&
	    (gdbcmd_mmu(g, &mmu) || gva_translate(g->t.gmem, &mmu, addr, &bp->gpa, &left) ||
	     gmem_read(g->t.gmem, &bp->orig, bp->gpa, 1) ||
	     gmem_write(g->t.gmem, bp->gpa, &int3, 1)))
		return gdbcmd_reply_err(g, EFAULT);
	bp->used = true;
	return gdbcmd_reply_text(g, "OK");
}

/* 'Z0,addr,kind' / 'z0,...' (software) and 'Z1' / 'z1' (hardware); no watchpoints. */
static int gdbcmd_breakpoint(struct gdbstub *g, const char *arg, const char *end, bool insert)
{
	uint64_t addr, kind;
	bool z1;

	if (arg == end || (*arg != '0' && *arg != '1'))
		return gdbcmd_reply_text(g, "");	/* watchpoints: not offered */
	z1 = *arg++ == '1';
	if (arg == end || *arg++ != ',' || gdbcmd_addr_len(&arg, end, &addr, &kind) || arg != end)
		return gdbcmd_reply_err(g, EINVAL);
	for (unsigned int i = 0; i < GDBSTUB_MAX_BP; i++) {
		struct gdbstub_bp *bp = &g->bps[i];

		if (bp->used && bp->gva == addr && bp->z1 == z1) {
			if (!insert)
				gdbcmd_remove_bp(g, bp);
			return gdbcmd_reply_text(g, "OK");
		}
	}
	if (!insert)
		return gdbcmd_reply_text(g, "OK");
	for (unsigned int i = 0; i < GDBSTUB_MAX_BP; i++)
		if (!g->bps[i].used)
			return gdbcmd_insert_bp(g, &g->bps[i], addr, z1);
	return gdbcmd_reply_err(g, ENOSPC);
}

/* Which breakpoint a stop came from: "swbreak:;" for Z0, "hwbreak:;" for Z1, or none. */
static const char *gdbcmd_stop_kind(const struct gdbstub *g)
{
	unsigned int n = 0;

	if (g->stop_exception == 3)
		return "swbreak:;";	/* #BP: one of our int3s */
	if (g->stop_exception != 1)
		return "";
	/* #DB: DR6 bit n says debug register n matched (SDM vol. 3B 17.2.3). */
	for (unsigned int i = 0; i < GDBSTUB_MAX_BP && n < g->max_hw; i++) {
		if (!g->bps[i].used || !g->bps[i].hw)
			continue;
		if (g->stop_dr6 & (1ULL << n))
			return g->bps[i].z1 ? "hwbreak:;" : "swbreak:;";
		n++;
	}
	return "";
}

void gdbcmd_stop_reply(struct gdbstub *g)
{
	g->reply_len = (size_t)snprintf(g->reply, sizeof(g->reply), "T%02xthread:%x;%s",
					g->stop_signal, g->stop_vcpu + 1, gdbcmd_stop_kind(g));
}

/* A thread id of gdb's (vCPU index + 1) into a vCPU index; -1 for "all", -2 for none. */
static int gdbcmd_thread(struct gdbstub *g, const char *arg, const char *end)
{
	uint64_t tid;

	if (end - arg == 2 && arg[0] == '-' && arg[1] == '1')
		return -1;
	if (gdbpkt_parse_hex(&arg, end, &tid) || arg != end || tid > g->t.nr_vcpus)
		return -2;
	return tid == 0 ? (int)g->g_vcpu : (int)tid - 1;	/* 0: any thread */
}

/* 'Hg tid' / 'Hc tid'. */
static int gdbcmd_set_thread(struct gdbstub *g, const char *arg, const char *end)
{
	int v;

	if (arg == end || (*arg != 'g' && *arg != 'c'))
		return gdbcmd_reply_err(g, EINVAL);
	v = gdbcmd_thread(g, arg + 1, end);
	if (v == -2 || (v == -1 && *arg == 'g'))
		return gdbcmd_reply_err(g, EINVAL);
	if (*arg == 'g')
		g->g_vcpu = (unsigned int)v;
	else
		g->c_vcpu = v;
	return gdbcmd_reply_text(g, "OK");
}

/* 'qXfer:features:read:target.xml:off,len'. */
static int gdbcmd_xfer(struct gdbstub *g, const char *arg, const char *end)
{
	static const char annex[] = "features:read:target.xml:";
	uint64_t off, len, size = sizeof(gdbcmd_target_xml) - 1;

	if ((size_t)(end - arg) < sizeof(annex) - 1 || memcmp(arg, annex, sizeof(annex) - 1))
		return gdbcmd_reply_text(g, "");
	arg += sizeof(annex) - 1;
	if (gdbcmd_addr_len(&arg, end, &off, &len) || arg != end || off > size)
		return gdbcmd_reply_err(g, EINVAL);
	/* Half a packet: the frame escapes some bytes as two. */
	len = MIN(len, size - off);
	len = MIN(len, (uint64_t)GDBPKT_MAX / 2);
	g->reply[0] = off + len < size ? 'm' : 'l';
	memcpy(g->reply + 1, gdbcmd_target_xml + off, len);
	g->reply_len = 1 + len;
	return 0;
}

static int gdbcmd_query(struct gdbstub *g, const char *pkt, const char *end)
{
	size_t len = (size_t)(end - pkt);

#define GDBCMD_IS(s) (len >= sizeof(s) - 1 && memcmp(pkt, s, sizeof(s) - 1) == 0)
	if (GDBCMD_IS("qSupported")) {
		g->reply_len = (size_t)snprintf(g->reply, sizeof(g->reply),
						"PacketSize=%x;qXfer:features:read+;"
						"swbreak+;hwbreak+", GDBPKT_MAX);
	} else if (GDBCMD_IS("qXfer:")) {
		return gdbcmd_xfer(g, pkt + 6, end);
	} else if (GDBCMD_IS("qAttached")) {
		gdbcmd_reply_text(g, "1");	/* quitting gdb detaches, the guest runs on */
	} else if (len == 2 && pkt[1] == 'C') {
		g->reply_len = (size_t)snprintf(g->reply, sizeof(g->reply), "QC%x", g->g_vcpu + 1);
	} else if (GDBCMD_IS("qfThreadInfo")) {
		size_t n = 0;

		g->reply[n++] = 'm';
		for (unsigned int i = 0; i < g->t.nr_vcpus; i++)
			n += (size_t)snprintf(g->reply + n, sizeof(g->reply) - n, "%s%x",
					      i ? "," : "", i + 1);
		g->reply_len = n;
	} else if (GDBCMD_IS("qsThreadInfo")) {
		gdbcmd_reply_text(g, "l");
	} else if (GDBCMD_IS("qThreadExtraInfo,")) {
		int v = gdbcmd_thread(g, pkt + 17, end);
		char name[32];
		int n = snprintf(name, sizeof(name), "vCPU %d", v);

		if (v < 0)
			return gdbcmd_reply_err(g, ESRCH);
		gdbpkt_hex_encode(g->reply, name, (size_t)n);
		g->reply_len = 2 * (size_t)n;
	} else {
		gdbcmd_reply_text(g, "");	/* unsupported: gdb falls back */
	}
#undef GDBCMD_IS
	return 0;
}

/* 'c [addr]' / 's [addr]': resume, at addr when given. */
static enum gdbcmd_action gdbcmd_resume(struct gdbstub *g, const char *arg, const char *end,
					bool step)
{
	uint64_t addr;

	g->step_vcpu = g->c_vcpu >= 0 ? (unsigned int)g->c_vcpu : g->g_vcpu;
	if (arg != end) {
		struct kvm_regs r;
		int fd = g->t.vcpu_fds[g->step_vcpu];

		if (gdbpkt_parse_hex(&arg, end, &addr) || arg != end) {
			gdbcmd_reply_err(g, EINVAL);
			return GDBCMD_REPLY;
		}
		if (GDBSTUB_IOCTL(fd, KVM_GET_REGS, &r)) {
			gdbcmd_reply_err(g, EIO);
			return GDBCMD_REPLY;
		}
		r.rip = addr;
		if (GDBSTUB_IOCTL(fd, KVM_SET_REGS, &r)) {
			gdbcmd_reply_err(g, EIO);
			return GDBCMD_REPLY;
		}
	}
	return step ? GDBCMD_STEP : GDBCMD_CONTINUE;
}

/* A packet answered with a reply: 0, or the -errno its "Enn" reply carries. */
static int gdbcmd_answer(struct gdbstub *g, const char *pkt, const char *end)
{
	const char *arg = pkt + 1;
	uint64_t n;

	switch (pkt[0]) {
	case '?': gdbcmd_stop_reply(g); return 0;
	case 'g': return gdbcmd_read_regs(g, false, 0);
	case 'G': return gdbcmd_set_regs(g, arg, end, false);
	case 'p':
		if (gdbpkt_parse_hex(&arg, end, &n) || arg != end)
			return gdbcmd_reply_err(g, EINVAL);
		return gdbcmd_read_regs(g, true, n);
	case 'P': return gdbcmd_set_regs(g, arg, end, true);
	case 'm': return gdbcmd_read_mem(g, arg, end);
	case 'M': return gdbcmd_write_mem(g, arg, end, false);
	case 'X': return gdbcmd_write_mem(g, arg, end, true);
	case 'Z': return gdbcmd_breakpoint(g, arg, end, true);
	case 'z': return gdbcmd_breakpoint(g, arg, end, false);
	case 'H': return gdbcmd_set_thread(g, arg, end);
	case 'T':
		if (gdbcmd_thread(g, arg, end) < 0)
			return gdbcmd_reply_err(g, ESRCH);
		return gdbcmd_reply_text(g, "OK");
	case 'q': return gdbcmd_query(g, pkt, end);
	default: return 0;	/* vCont, vMustReplyEmpty...: empty, gdb falls back to c/s */
	}
}

enum gdbcmd_action gdbcmd_handle(struct gdbstub *g, const char *pkt, size_t len)
{
	const char *end = pkt + len;
	int ret;

	g->reply_len = 0;
	if (!len)
		return GDBCMD_REPLY;
	switch (pkt[0]) {
	case 'c': return gdbcmd_resume(g, pkt + 1, end, false);
	case 's': return gdbcmd_resume(g, pkt + 1, end, true);
	case 'D': return GDBCMD_DETACH;
	case 'k': return GDBCMD_KILL;
	case 'v':
		if (len >= 5 && memcmp(pkt, "vKill", 5) == 0)
			return GDBCMD_KILL;
		break;
	default: break;
	}
	ret = gdbcmd_answer(g, pkt, end);
	if (ret)
		log_dbg("gdb: '%c' packet answered with an error: %s", pkt[0], strerror(-ret));
	return GDBCMD_REPLY;
}
