// SPDX-License-Identifier: MIT
// Unit tests for base/sandbox: each role's real filter, installed in a forked child that then
// makes one call; the child's exit status and stderr are the outcome (SANDBOX_EXIT and the call
// named, or the call's own result).
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <linux/sockios.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/sandbox.h"
#include "tests/unit/suites.h"

/* What the child does inside its filter: it returns the child's exit status. */
typedef int sandbox_call_t(void);

struct outcome {
	int status;		/* the exit status, or 128 + the signal that ended it */
	char err[512];		/* what it wrote to stderr */
};

static struct outcome run_in(enum sandbox_mode mode, enum sandbox_role role, sandbox_call_t *call)
{
	struct outcome o = { .status = -1 };
	char err[160];
	int pipefd[2], st;
	ssize_t n, got = 0;
	pid_t pid;

	ck_assert_int_eq(pipe(pipefd), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		dup2(pipefd[1], STDERR_FILENO);
		close(pipefd[0]);
		if (sandbox_init(mode, err, sizeof(err)) || sandbox_enter(role))
			_exit(100);
		_exit(call());	/* _exit: no atexit handlers (nor a leak checker) in the filter */
	}
	close(pipefd[1]);
	while ((n = read(pipefd[0], o.err + got, sizeof(o.err) - 1 - (size_t)got)) > 0)
		got += n;
	close(pipefd[0]);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	o.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	return o;
}

static void assert_killed(const struct outcome *o, const char *role, const char *call)
{
	char want[128];

	snprintf(want, sizeof(want), "the %s thread made system call ", role);
	ck_assert_int_eq(o->status, SANDBOX_EXIT);
	ck_assert_msg(strstr(o->err, want) && strstr(o->err, call) &&
			      strstr(o->err, "which its filter forbids: exit status 6"),
		      "stderr: %s", o->err);
}

static int call_socket(void)
{
	return socket(AF_INET, SOCK_STREAM, 0) >= 0 ? 0 : 1;
}

static int call_openat(void)
{
	return (int)syscall(SYS_openat, AT_FDCWD, "/etc/passwd", O_RDONLY) >= 0 ? 0 : 1;
}

static int call_getpid_write(void)
{
	return getpid() > 0 && write(STDERR_FILENO, "ok\n", 3) == 3 ? 0 : 1;
}

static int call_mmap_exec(void)
{
	void *p = mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p != MAP_FAILED ? 0 : 1;
}

static int call_mmap_rw(void)
{
	void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p != MAP_FAILED ? 0 : 1;
}

/* fork() is clone without CLONE_THREAD: a new process is never allowed. */
static int call_fork(void)
{
	return (int)syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0) >= 0 ? 0 : 1;
}

/* clone3's flags are out of the filter's reach: it fails with ENOSYS (glibc falls back). */
static int call_clone3(void)
{
	return syscall(SYS_clone3, NULL, 0) < 0 && errno == ENOSYS ? 42 : 1;
}

/* An ioctl of neither KVM nor tun: SIOCGIFMTU on a socket (the socket itself from before). */
static int sock_fd = -1;

static int call_sioc(void)
{
	struct ifreq ifr = { .ifr_name = "lo" };

	return ioctl(sock_fd, SIOCGIFMTU, &ifr) == 0 ? 0 : 1;
}

/* A tun request on a plain fd: allowed through the filter, refused by the kernel (ENOTTY). */
static int call_tun_ioctl(void)
{
	unsigned int flags;

	return ioctl(STDERR_FILENO, TUNGETFEATURES, &flags) < 0 && errno != 0 ? 43 : 1;
}

static int call_io_uring_setup(void)
{
	return syscall(SYS_io_uring_setup, 0, NULL) < 0 && (errno == EINVAL || errno == EFAULT) ? 44 : 1;
}

/* A normal exit: atexit handlers (and in sanitizer builds LeakSanitizer) run in the filter. */
static int call_exit(void)
{
	exit(46);
}

static int call_status(void)
{
	char buf[4096];
	FILE *f = fopen("/proc/thread-self/status", "re");
	size_t n;

	if (!f)
		return 1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	return strstr(buf, "\nSeccomp:\t2\n") && strstr(buf, "\nNoNewPrivs:\t1\n") ? 45 : 2;
}

START_TEST(test_sandbox_every_role_socket_exits_6)
{
	/* No thread ever creates a socket after set-up (gdb's listening socket is made before). */
	for (unsigned int r = 0; r < SANDBOX_ROLES; r++) {
		struct outcome o = run_in(SANDBOX_ON, (enum sandbox_role)r, call_socket);

		assert_killed(&o, sandbox_role_name((enum sandbox_role)r), "(socket)");
	}
}
END_TEST

START_TEST(test_sandbox_device_roles_openat_exits_6)
{
	/* Only the main thread opens files (--metrics); a device thread never does. */
	static const enum sandbox_role roles[] = { SANDBOX_VCPU, SANDBOX_NET_IO, SANDBOX_NET_CTRL,
						   SANDBOX_RNG, SANDBOX_PCAP, SANDBOX_GDB };

	for (size_t i = 0; i < sizeof(roles) / sizeof(roles[0]); i++) {
		struct outcome o = run_in(SANDBOX_ON, roles[i], call_openat);

		assert_killed(&o, sandbox_role_name(roles[i]), "(openat)");
	}
}
END_TEST

START_TEST(test_sandbox_allowed_calls_run)
{
	for (unsigned int r = 0; r < SANDBOX_ROLES; r++) {
		struct outcome o = run_in(SANDBOX_ON, (enum sandbox_role)r, call_getpid_write);

		ck_assert_int_eq(o.status, 0);
		ck_assert_str_eq(o.err, "ok\n");
		o = run_in(SANDBOX_ON, (enum sandbox_role)r, call_mmap_rw);
		ck_assert_int_eq(o.status, 0);
	}
}
END_TEST

START_TEST(test_sandbox_exec_mapping_exits_6)
{
	struct outcome o = run_in(SANDBOX_ON, SANDBOX_NET_IO, call_mmap_exec);

	assert_killed(&o, "net-io", "(mmap)");
	o = run_in(SANDBOX_ON, SANDBOX_MAIN, call_mmap_exec);
	assert_killed(&o, "main", "(mmap)");
}
END_TEST

START_TEST(test_sandbox_fork_exits_6)
{
	struct outcome o = run_in(SANDBOX_ON, SANDBOX_MAIN, call_fork);

	assert_killed(&o, "main", "(clone)");
	o = run_in(SANDBOX_ON, SANDBOX_VCPU, call_fork);
	assert_killed(&o, "vcpu", "(clone)");
}
END_TEST

START_TEST(test_sandbox_clone3_enosys)
{
	ck_assert_int_eq(run_in(SANDBOX_ON, SANDBOX_MAIN, call_clone3).status, 42);
	ck_assert_int_eq(run_in(SANDBOX_ON, SANDBOX_NET_IO, call_clone3).status, 42);
}
END_TEST

START_TEST(test_sandbox_ioctl_types)
{
	struct outcome o;

	sock_fd = socket(AF_INET, SOCK_DGRAM, 0);
	ck_assert_int_ge(sock_fd, 0);
	o = run_in(SANDBOX_ON, SANDBOX_NET_IO, call_sioc);
	assert_killed(&o, "net-io", "(ioctl)");
	o = run_in(SANDBOX_ON, SANDBOX_VCPU, call_sioc);
	assert_killed(&o, "vcpu", "(ioctl)");
	close(sock_fd);
	ck_assert_int_eq(run_in(SANDBOX_ON, SANDBOX_NET_IO, call_tun_ioctl).status, 43);
	/* rng and pcap make no ioctl at all */
	o = run_in(SANDBOX_ON, SANDBOX_RNG, call_tun_ioctl);
	assert_killed(&o, "rng", "(ioctl)");
}
END_TEST

START_TEST(test_sandbox_io_uring_only_net_io_and_creators)
{
	struct outcome o;

	ck_assert_int_eq(run_in(SANDBOX_ON, SANDBOX_NET_IO, call_io_uring_setup).status, 44);
	/* a vCPU starts the queue pairs' threads, which inherit its filter */
	ck_assert_int_eq(run_in(SANDBOX_ON, SANDBOX_VCPU, call_io_uring_setup).status, 44);
	o = run_in(SANDBOX_ON, SANDBOX_RNG, call_io_uring_setup);
	assert_killed(&o, "rng", "(io_uring_setup)");
	o = run_in(SANDBOX_ON, SANDBOX_GDB, call_io_uring_setup);
	assert_killed(&o, "gdb", "(io_uring_setup)");
}
END_TEST

START_TEST(test_sandbox_log_mode_lets_the_call_run)
{
	struct outcome o = run_in(SANDBOX_LOG, SANDBOX_NET_IO, call_socket);

	ck_assert_int_eq(o.status, 0);
	ck_assert_str_eq(o.err, "");
}
END_TEST

START_TEST(test_sandbox_status_shows_filter_and_nnp)
{
	/* main may open files; /proc/thread-self/status says Seccomp 2 and NoNewPrivs 1 */
	ck_assert_int_eq(run_in(SANDBOX_ON, SANDBOX_MAIN, call_status).status, 45);
}
END_TEST

START_TEST(test_sandbox_main_exit_runs)
{
	struct outcome o = run_in(SANDBOX_ON, SANDBOX_MAIN, call_exit);

	ck_assert_msg(o.status == 46, "status %d, stderr: %s", o.status, o.err);
}
END_TEST

START_TEST(test_sandbox_off_installs_nothing)
{
	ck_assert_int_eq(run_in(SANDBOX_OFF, SANDBOX_NET_IO, call_socket).status, 0);
	ck_assert_int_eq(run_in(SANDBOX_OFF, SANDBOX_NET_IO, call_fork).status, 0);
}
END_TEST

START_TEST(test_sandbox_parse_modes)
{
	enum sandbox_mode m = SANDBOX_OFF;

	ck_assert_int_eq(sandbox_parse("on", &m), 0);
	ck_assert_int_eq(m, SANDBOX_ON);
	ck_assert_int_eq(sandbox_parse("log", &m), 0);
	ck_assert_int_eq(m, SANDBOX_LOG);
	ck_assert_int_eq(sandbox_parse("off", &m), 0);
	ck_assert_int_eq(m, SANDBOX_OFF);
	ck_assert_int_eq(sandbox_parse("yes", &m), -EINVAL);
	ck_assert_int_eq(sandbox_parse("", &m), -EINVAL);
	ck_assert_int_eq(m, SANDBOX_OFF);
}
END_TEST

START_TEST(test_sandbox_allows_follows_children)
{
	ck_assert(sandbox_allows(SANDBOX_NET_IO, "io_uring_enter"));
	ck_assert(sandbox_allows(SANDBOX_NET_CTRL, "io_uring_enter"));	/* starts pairs */
	ck_assert(sandbox_allows(SANDBOX_MAIN, "accept4"));		/* every role's ancestor */
	ck_assert(!sandbox_allows(SANDBOX_NET_IO, "openat"));
	ck_assert(!sandbox_allows(SANDBOX_VCPU, "accept4"));
	ck_assert(!sandbox_allows(SANDBOX_GDB, "io_uring_setup"));
	ck_assert(!sandbox_allows(SANDBOX_RNG, "clone"));
	ck_assert(!sandbox_allows(SANDBOX_MAIN, "execve"));
}
END_TEST

Suite *sandbox_suite(void)
{
	Suite *s = suite_create("sandbox");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_sandbox_every_role_socket_exits_6);
	tcase_add_test(tc, test_sandbox_device_roles_openat_exits_6);
	tcase_add_test(tc, test_sandbox_allowed_calls_run);
	tcase_add_test(tc, test_sandbox_exec_mapping_exits_6);
	tcase_add_test(tc, test_sandbox_fork_exits_6);
	tcase_add_test(tc, test_sandbox_clone3_enosys);
	tcase_add_test(tc, test_sandbox_ioctl_types);
	tcase_add_test(tc, test_sandbox_io_uring_only_net_io_and_creators);
	tcase_add_test(tc, test_sandbox_log_mode_lets_the_call_run);
	tcase_add_test(tc, test_sandbox_status_shows_filter_and_nnp);
	tcase_add_test(tc, test_sandbox_main_exit_runs);
	tcase_add_test(tc, test_sandbox_off_installs_nothing);
	tcase_add_test(tc, test_sandbox_parse_modes);
	tcase_add_test(tc, test_sandbox_allows_follows_children);
	suite_add_tcase(s, tc);
	return s;
}
