// SPDX-License-Identifier: MIT
// The seccomp sandbox: every role's allowlist in one table, compiled once into BPF with
// libseccomp, then installed by each thread on itself with the bare seccomp(2) call.
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/log.h"
#include "base/sandbox.h"

#if defined(__SANITIZE_ADDRESS__)
#define SANDBOX_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANDBOX_ASAN 1
#endif
#endif
#ifndef SANDBOX_ASAN
#define SANDBOX_ASAN 0
#endif
#if SANDBOX_ASAN
#include <sanitizer/common_interface_defs.h>
#endif

#define R(role) (1u << (role))
#define ALL_ROLES ((1u << SANDBOX_ROLES) - 1)

/*
 * Which role starts which: a thread keeps its creator's filter, so the
 * creator's must allow everything the new thread does. The main thread starts
 * the vCPUs and the gdb stub (and is the ancestor of every thread); a vCPU
 * that writes DRIVER_OK starts the device's threads; the control queue's
 * thread starts and stops queue pairs (VQ_PAIRS_SET). The pcap writer starts
 * before the main thread enters its filter.
 */
static const unsigned int sandbox_children[SANDBOX_ROLES] = {
	[SANDBOX_MAIN] = ALL_ROLES,
	[SANDBOX_VCPU] = R(SANDBOX_NET_CTRL) | R(SANDBOX_NET_IO) | R(SANDBOX_RNG),
	[SANDBOX_NET_CTRL] = R(SANDBOX_NET_IO),
};

static const char *const sandbox_role_names[SANDBOX_ROLES] = {
	[SANDBOX_MAIN] = "main",	 [SANDBOX_VCPU] = "vcpu", [SANDBOX_GDB] = "gdb",
	[SANDBOX_NET_CTRL] = "net-ctrl", [SANDBOX_NET_IO] = "net-io", [SANDBOX_RNG] = "rng",
	[SANDBOX_PCAP] = "pcap",
};

/* An argument rule: one call may be allowed only with some arguments. */
enum sandbox_arg {
	ARG_ANY,
	ARG_NO_EXEC,		/* mmap, mprotect: never PROT_EXEC (no new code) */
	ARG_IOCTL_KVM,		/* ioctl: KVM's requests (type 0xAE) */
	ARG_IOCTL_T,		/* ioctl: type 'T', the tun (TUNSET*) and terminal (TCGETS) requests */
	ARG_CLONE_THREAD,	/* clone: a thread (CLONE_THREAD), never a new process */
	ARG_PRCTL,		/* prctl: PR_SET_NO_NEW_PRIVS, PR_SET_NAME, PR_GET_NAME */
	ARG_SECCOMP,		/* seccomp: SECCOMP_SET_MODE_FILTER, to add a filter (never remove one) */
	ARG_SIGNAL_SELF,	/* tgkill: within this process */
	ARG_GLIBC_SIGNALS,	/* rt_sigaction: glibc's own SIGCANCEL and SIGSETXID (32, 33) */
};

struct sandbox_rule {
	const char *name;
	unsigned int roles;	/* the roles that make this call themselves */
	enum sandbox_arg arg;
};

#define COMMON ALL_ROLES
#define SPAWNERS (R(SANDBOX_MAIN) | R(SANDBOX_VCPU) | R(SANDBOX_NET_CTRL))

/*
 * Every call minnow makes after set-up, and who makes it (DESIGN §10 says why
 * each is there). Derived from strace -f of every suite; a call missing here
 * ends minnow with SANDBOX_EXIT, which the suites would show.
 */
static const struct sandbox_rule sandbox_rules[] = {
	/* Every thread: its own memory, locks, time, logging to stderr, ending. */
	{ "read", COMMON, ARG_ANY },
	{ "write", COMMON, ARG_ANY },
	{ "futex", COMMON, ARG_ANY },
	{ "mmap", COMMON, ARG_NO_EXEC },
	{ "mprotect", COMMON, ARG_NO_EXEC },
	{ "munmap", COMMON, ARG_ANY },
	{ "madvise", COMMON, ARG_ANY },
	{ "brk", COMMON, ARG_ANY },
	{ "clock_gettime", COMMON, ARG_ANY },
	{ "clock_nanosleep", COMMON, ARG_ANY },
	{ "nanosleep", COMMON, ARG_ANY },
	{ "getpid", COMMON, ARG_ANY },
	{ "gettid", COMMON, ARG_ANY },
	{ "rt_sigprocmask", COMMON, ARG_ANY },
	{ "rt_sigreturn", COMMON, ARG_ANY },
	{ "restart_syscall", COMMON, ARG_ANY },
	{ "sched_yield", COMMON, ARG_ANY },
	{ "exit", COMMON, ARG_ANY },
	{ "exit_group", COMMON, ARG_ANY },
	/* a thread names itself, and installs its own filter under its creator's */
	{ "prctl", COMMON, ARG_PRCTL },
	{ "seccomp", COMMON, ARG_SECCOMP },
	/* starting a thread (pthread_create; the new thread's first calls run under the creator's filter) */
	{ "clone", SPAWNERS, ARG_CLONE_THREAD },
	{ "set_robust_list", SPAWNERS, ARG_ANY },
	{ "rseq", SPAWNERS, ARG_ANY },
	{ "close", R(SANDBOX_MAIN) | R(SANDBOX_VCPU) | R(SANDBOX_NET_CTRL) | R(SANDBOX_NET_IO) |
		   R(SANDBOX_GDB), ARG_ANY },
	/* main: signals (signalfd), stdin for the serial port, --metrics files, teardown */
	{ "poll", R(SANDBOX_MAIN) | R(SANDBOX_NET_IO) | R(SANDBOX_NET_CTRL) | R(SANDBOX_GDB) |
		  R(SANDBOX_RNG) | R(SANDBOX_PCAP), ARG_ANY },
	{ "ppoll", R(SANDBOX_MAIN) | R(SANDBOX_NET_IO) | R(SANDBOX_NET_CTRL) | R(SANDBOX_GDB) |
		   R(SANDBOX_RNG) | R(SANDBOX_PCAP), ARG_ANY },
	{ "openat", R(SANDBOX_MAIN), ARG_ANY },
	{ "newfstatat", R(SANDBOX_MAIN), ARG_ANY },
	{ "fstat", R(SANDBOX_MAIN), ARG_ANY },
	{ "lseek", R(SANDBOX_MAIN), ARG_ANY },
	{ "rename", R(SANDBOX_MAIN), ARG_ANY },
	{ "unlink", R(SANDBOX_MAIN) | R(SANDBOX_GDB), ARG_ANY },
	/* glibc's first pthread_create (the first vCPU's) installs its two internal handlers */
	{ "rt_sigaction", R(SANDBOX_MAIN), ARG_GLIBC_SIGNALS },
	{ "tgkill", R(SANDBOX_MAIN) | R(SANDBOX_VCPU) | R(SANDBOX_GDB), ARG_SIGNAL_SELF },
	{ "ioctl", R(SANDBOX_MAIN) | R(SANDBOX_VCPU) | R(SANDBOX_GDB), ARG_IOCTL_KVM },
	{ "ioctl", R(SANDBOX_MAIN) | R(SANDBOX_VCPU) | R(SANDBOX_NET_CTRL) | R(SANDBOX_NET_IO),
	  ARG_IOCTL_T },
	/* net I/O: the tap through io_uring, or readv/writev and poll */
	{ "readv", R(SANDBOX_NET_IO), ARG_ANY },
	{ "writev", R(SANDBOX_NET_IO), ARG_ANY },
	{ "io_uring_setup", R(SANDBOX_NET_IO), ARG_ANY },
	{ "io_uring_enter", R(SANDBOX_NET_IO), ARG_ANY },
	{ "io_uring_register", R(SANDBOX_NET_IO), ARG_ANY },
	{ "eventfd2", R(SANDBOX_NET_IO), ARG_ANY },
	/* gdb: one client at a time on the listening socket */
	{ "accept4", R(SANDBOX_GDB), ARG_ANY },
	{ "recvfrom", R(SANDBOX_GDB), ARG_ANY },
	{ "sendto", R(SANDBOX_GDB), ARG_ANY },
	{ "shutdown", R(SANDBOX_GDB), ARG_ANY },
	{ "setsockopt", R(SANDBOX_GDB), ARG_ANY },
	/* rng */
	{ "getrandom", R(SANDBOX_RNG), ARG_ANY },
	/*
	 * pcap: its writer runs before --user takes effect, and glibc makes every
	 * thread change its identity too (SIGSETXID). Giving up root is all these
	 * can do: without CAP_SETUID they cannot take it back.
	 */
	{ "setgroups", R(SANDBOX_PCAP), ARG_ANY },
	{ "setresgid", R(SANDBOX_PCAP), ARG_ANY },
	{ "setresuid", R(SANDBOX_PCAP), ARG_ANY },
#if SANDBOX_ASAN
	/* ASan builds only (tests): each thread's alternate signal stack, set up and taken down. */
	{ "sigaltstack", COMMON, ARG_ANY },
#endif
};

static enum sandbox_mode sandbox_current = SANDBOX_OFF;
static bool sandbox_main_entered;
static struct sock_fprog sandbox_progs[SANDBOX_ROLES];
static __thread int sandbox_thread_role = -1;

/* SIGSYS names the call: a table filled before any filter, read by the handler only. */
#define SANDBOX_NR_NAMES 512
static const char *sandbox_nr_names[SANDBOX_NR_NAMES];

enum sandbox_mode sandbox_mode(void)
{
	return sandbox_current;
}

const char *sandbox_role_name(enum sandbox_role role)
{
	return (unsigned int)role < SANDBOX_ROLES ? sandbox_role_names[role] : "?";
}

int sandbox_parse(const char *s, enum sandbox_mode *mode)
{
	static const char *const names[] = { [SANDBOX_OFF] = "off", [SANDBOX_ON] = "on",
					     [SANDBOX_LOG] = "log" };

	for (unsigned int i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!strcmp(s, names[i])) {
			*mode = (enum sandbox_mode)i;
			return 0;
		}
	}
	return -EINVAL;
}

/* The roles whose calls role must allow: its own and, transitively, its children's. */
static unsigned int sandbox_closure(enum sandbox_role role)
{
	unsigned int set = R(role), prev;

	do {
		prev = set;
		for (unsigned int r = 0; r < SANDBOX_ROLES; r++)
			if (set & R(r))
				set |= sandbox_children[r];
	} while (set != prev);
	return set;
}

bool sandbox_allows(enum sandbox_role role, const char *name)
{
	unsigned int set = sandbox_closure(role);

	for (size_t i = 0; i < sizeof(sandbox_rules) / sizeof(sandbox_rules[0]); i++)
		if ((sandbox_rules[i].roles & set) && !strcmp(sandbox_rules[i].name, name))
			return true;
	return false;
}

static int sandbox_add(scmp_filter_ctx ctx, int nr, enum sandbox_arg arg)
{
	int ret = 0;

	switch (arg) {
	case ARG_ANY:
		return seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
	case ARG_NO_EXEC:
		return seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 1,
					SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
	case ARG_IOCTL_KVM:	/* _IOC_TYPE: bits 8-15 of the request */
		return seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 1,
					SCMP_A1(SCMP_CMP_MASKED_EQ, 0xff00, 0xae00));
	case ARG_IOCTL_T:
		return seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 1,
					SCMP_A1(SCMP_CMP_MASKED_EQ, 0xff00, 'T' << 8));
	case ARG_CLONE_THREAD:
		return seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 1,
					SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, CLONE_THREAD));
	case ARG_PRCTL:
		ret = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 1,
				       SCMP_A0(SCMP_CMP_EQ, PR_SET_NO_NEW_PRIVS, 0));
		if (!ret)
			ret = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 1,
					       SCMP_A0(SCMP_CMP_EQ, PR_SET_NAME, 0));
		if (!ret)
			ret = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 1,
					       SCMP_A0(SCMP_CMP_EQ, PR_GET_NAME, 0));
		return ret;
	case ARG_SECCOMP:
		return seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 1,
					SCMP_A0(SCMP_CMP_EQ, SECCOMP_SET_MODE_FILTER, 0));
	case ARG_GLIBC_SIGNALS:
		ret = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 1, SCMP_A0(SCMP_CMP_EQ, 32, 0));
		if (!ret)
			ret = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 1, SCMP_A0(SCMP_CMP_EQ, 33, 0));
		return ret;
	case ARG_SIGNAL_SELF:
		return seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 1,
					SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)getpid(), 0));
	}
	return -EINVAL;
}

/* Compiles role's filter into sandbox_progs[role]: 0 or -errno. */
static int sandbox_compile(enum sandbox_role role, uint32_t deny, char *err, size_t errlen)
{
	unsigned int set = sandbox_closure(role);
	scmp_filter_ctx ctx = seccomp_init(deny);
	struct sock_filter *prog = NULL;
	off_t size;
	int ret = 0, fd = -1;

	if (!ctx)
		return log_errbuf(err, errlen, -ENOMEM, "seccomp_init failed");
	/* Another architecture's calls (int 0x80, x32) are never allowed, nor reported. */
	ret = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
	/* clone3's flags are out of a filter's reach: glibc falls back to clone, checked above. */
	if (!ret)
		ret = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
	for (size_t i = 0; !ret && i < sizeof(sandbox_rules) / sizeof(sandbox_rules[0]); i++) {
		const struct sandbox_rule *r = &sandbox_rules[i];
		int nr = seccomp_syscall_resolve_name(r->name);

		if (!(r->roles & set))
			continue;
		if (nr == __NR_SCMP_ERROR) {
			ret = log_errbuf(err, errlen, -EINVAL, "no system call '%s' here", r->name);
			break;
		}
		ret = sandbox_add(ctx, nr, r->arg);
		if (ret)
			log_errbuf(err, errlen, ret, "%s filter: %s: %s", sandbox_role_names[role],
				   r->name, strerror(-ret));
	}
	if (!ret) {
		fd = memfd_create("minnow-seccomp", MFD_CLOEXEC);
		ret = fd < 0 ? -errno : seccomp_export_bpf(ctx, fd);
		size = ret ? -1 : lseek(fd, 0, SEEK_END);
		if (!ret && (size <= 0 || size % sizeof(*prog) || !(prog = malloc((size_t)size))))
			ret = -ENOMEM;
		if (!ret && pread(fd, prog, (size_t)size, 0) != size)
			ret = -EIO;
		if (ret)
			log_errbuf(err, errlen, ret, "cannot export the %s filter: %s",
				   sandbox_role_names[role], strerror(-ret));
	}
	if (fd >= 0)
		close(fd);
	seccomp_release(ctx);
	if (ret) {
		free(prog);
		return ret;
	}
	sandbox_progs[role] = (struct sock_fprog){ .len = (unsigned short)(size / sizeof(*prog)),
						   .filter = prog };
	return 0;
}

/* Appends s to buf at *n (async-signal-safe formatting for the SIGSYS handler). */
static void sandbox_put(char *buf, size_t cap, size_t *n, const char *s)
{
	while (*s && *n + 1 < cap)
		buf[(*n)++] = *s++;
}

static void sandbox_put_num(char *buf, size_t cap, size_t *n, long v)
{
	char d[24];
	int i = (int)sizeof(d) - 1;
	unsigned long u = v < 0 ? 0 - (unsigned long)v : (unsigned long)v;

	d[i] = 0;
	do
		d[--i] = (char)('0' + u % 10);
	while ((u /= 10) && i > 1);
	if (v < 0)
		d[--i] = '-';
	sandbox_put(buf, cap, n, &d[i]);
}

/*
 * A forbidden call (SECCOMP_RET_TRAP): say which thread made which call, and
 * end the process. Only write and exit_group, which every filter allows.
 */
static void sandbox_sigsys(int sig __unused, siginfo_t *si, void *uc __unused)
{
	char buf[256];
	size_t n = 0;
	int nr = si->si_syscall;

	sandbox_put(buf, sizeof(buf), &n, "minnow: seccomp: the ");
	sandbox_put(buf, sizeof(buf), &n,
		    sandbox_thread_role >= 0 ? sandbox_role_names[sandbox_thread_role] : "?");
	sandbox_put(buf, sizeof(buf), &n, " thread made system call ");
	sandbox_put_num(buf, sizeof(buf), &n, nr);
	sandbox_put(buf, sizeof(buf), &n, " (");
	sandbox_put(buf, sizeof(buf), &n,
		    nr >= 0 && nr < SANDBOX_NR_NAMES && sandbox_nr_names[nr] ? sandbox_nr_names[nr] :
										"unknown");
	sandbox_put(buf, sizeof(buf), &n, "), which its filter forbids: exit status ");
	sandbox_put_num(buf, sizeof(buf), &n, SANDBOX_EXIT);
	sandbox_put(buf, sizeof(buf), &n, "\n");
	if (write(STDERR_FILENO, buf, n) < 0) {
		/* nothing more can be said */
	}
	syscall(SYS_exit_group, SANDBOX_EXIT);
}

int sandbox_init(enum sandbox_mode mode, char *err, size_t errlen)
{
	struct sigaction sa = { .sa_sigaction = sandbox_sigsys, .sa_flags = SA_SIGINFO };
	uint32_t deny = mode == SANDBOX_LOG ? SCMP_ACT_LOG : SCMP_ACT_TRAP;
	int ret;

	if (sandbox_current != SANDBOX_OFF)
		return log_errbuf(err, errlen, -EALREADY, "the sandbox is already set up");
	if (mode == SANDBOX_OFF)
		return 0;
	for (int nr = 0; nr < SANDBOX_NR_NAMES; nr++)
		sandbox_nr_names[nr] = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);
	for (unsigned int r = 0; r < SANDBOX_ROLES; r++) {
		ret = sandbox_compile((enum sandbox_role)r, deny, err, errlen);
		if (ret)
			return ret;
	}
#if SANDBOX_ASAN
	/* The sanitizer reads its memory map and starts its symbolizer now, while it still may. */
	__sanitizer_sandbox_on_notify(&(__sanitizer_sandbox_arguments){ .coverage_fd = -1 });
#endif
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSYS, &sa, NULL))
		return log_errbuf(err, errlen, -errno, "cannot catch SIGSYS: %s", strerror(errno));
	sandbox_current = mode;
	return 0;
}

int sandbox_enter(enum sandbox_role role)
{
	if (sandbox_current == SANDBOX_OFF)
		return 0;
	if ((unsigned int)role >= SANDBOX_ROLES || !sandbox_progs[role].filter)
		return -EINVAL;
	/* seccomp(2) for an unprivileged thread requires no_new_privs (and it is right anyway). */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return -errno;
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &sandbox_progs[role]))
		return -errno;
	sandbox_thread_role = (int)role;
	if (role == SANDBOX_MAIN)
		__atomic_store_n(&sandbox_main_entered, true, __ATOMIC_RELAXED);
	return 0;
}

#if SANDBOX_ASAN
/*
 * LeakSanitizer's check at exit stops every thread by ptrace from a process
 * it clones, which the main thread's filter forbids (and must): once the main
 * thread is sandboxed, ASan builds skip it. Builds without ASan have no leak
 * check to skip; the unit and net suites, whose main thread is not sandboxed,
 * keep theirs.
 */
int __lsan_is_turned_off(void);
int __lsan_is_turned_off(void)
{
	return __atomic_load_n(&sandbox_main_entered, __ATOMIC_RELAXED);
}
#endif
