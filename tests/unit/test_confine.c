// SPDX-License-Identifier: MIT
// Unit tests for vmm/confine (--user, inherited descriptors, RLIMIT_NOFILE) and base/landlock,
// each change made for real in a forked child, whose exit status is the outcome.
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/landlock.h"
#include "tests/unit/suites.h"
#include "vmm/confine.h"

static char err[256];

/* Runs fn in a forked child: its exit status (or 128 + the signal). */
static int in_child(int (*fn)(void))
{
	int st;
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0)
		_exit(fn());
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

START_TEST(test_confine_parse_user_names_and_numbers)
{
	uid_t uid = 1;
	gid_t gid = 1;

	ck_assert_int_eq(confine_parse_user("root", &uid, &gid, err, sizeof(err)), 0);
	ck_assert_uint_eq(uid, 0);
	ck_assert_uint_eq(gid, 0);
	ck_assert_int_eq(confine_parse_user("nobody", &uid, &gid, err, sizeof(err)), 0);
	ck_assert_uint_eq(uid, 65534);
	ck_assert_uint_eq(gid, 65534);	/* nobody's primary group, nogroup */
	ck_assert_int_eq(confine_parse_user("nobody:root", &uid, &gid, err, sizeof(err)), 0);
	ck_assert_uint_eq(uid, 65534);
	ck_assert_uint_eq(gid, 0);
	ck_assert_int_eq(confine_parse_user("4321:1234", &uid, &gid, err, sizeof(err)), 0);
	ck_assert_uint_eq(uid, 4321);
	ck_assert_uint_eq(gid, 1234);
	ck_assert_int_eq(confine_parse_user("4321", &uid, &gid, err, sizeof(err)), 0);
	ck_assert_uint_eq(gid, 4321);	/* no such user: the number as its own group */
}
END_TEST

START_TEST(test_confine_parse_user_bad_named)
{
	uid_t uid;
	gid_t gid;

	ck_assert_int_eq(confine_parse_user("no-such-user", &uid, &gid, err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, "--user: no user 'no-such-user' on this host");
	ck_assert_int_eq(confine_parse_user("nobody:no-such-group", &uid, &gid, err, sizeof(err)),
			 -EINVAL);
	ck_assert_str_eq(err, "--user: no group 'no-such-group' on this host");
	ck_assert_int_eq(confine_parse_user("nobody:", &uid, &gid, err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, "--user: no group '' on this host");
	ck_assert_int_eq(confine_parse_user("", &uid, &gid, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "--user: bad value ''"));
	ck_assert_int_eq(confine_parse_user("-1", &uid, &gid, err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, "--user: no user '-1' on this host");
}
END_TEST

/* As nobody: every id is 65534, no capability is left, and root's files are out of reach. */
static int drop_to_nobody(void)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2];
	uid_t r, e, s;
	gid_t groups[4];

	if (confine_drop(65534, 65534, err, sizeof(err)))
		return 1;
	if (getresuid(&r, &e, &s) || r != 65534 || e != 65534 || s != 65534)
		return 2;
	if (getgroups(4, groups) != 1 || groups[0] != 65534 || getgid() != 65534)
		return 3;
	if (syscall(SYS_capget, &h, d) || d[0].effective || d[0].permitted || d[1].effective)
		return 4;
	if (open("/root/.minnow-privs-test", O_WRONLY | O_CREAT, 0600) >= 0 || errno != EACCES)
		return 5;
	if (setresuid(0, 0, 0) == 0)	/* and root cannot be taken back */
		return 6;
	return 42;
}

static int drop_unprivileged(void)
{
	return confine_drop(0, 0, err, sizeof(err)) == -EPERM &&
			       strstr(err, "run minnow as root to use --user") ?
		       43 :
		       1;
}

START_TEST(test_confine_drop_becomes_user_without_caps)
{
	if (geteuid() == 0)
		ck_assert_int_eq(in_child(drop_to_nobody), 42);
	else	/* not root here: the drop itself is refused, and says why */
		ck_assert_int_eq(in_child(drop_unprivileged), 43);
}
END_TEST

static int close_keeps_named(void)
{
	int a = open("/dev/null", O_RDONLY), b = open("/dev/null", O_RDONLY),
	    c = open("/dev/null", O_RDONLY), keep[] = { b, 1000 };

	if (a < 3 || b < 3 || c < 3 || dup2(b, 1000) != 1000)
		return 1;
	confine_close_inherited(keep, 2);
	if (fcntl(a, F_GETFD) != -1 || fcntl(c, F_GETFD) != -1)
		return 2;
	if (fcntl(b, F_GETFD) == -1 || fcntl(1000, F_GETFD) == -1 || fcntl(2, F_GETFD) == -1)
		return 3;
	return 44;
}

START_TEST(test_confine_close_inherited_keeps_the_named)
{
	ck_assert_int_eq(in_child(close_keeps_named), 44);
}
END_TEST

static int limit_fds(void)
{
	struct rlimit rl;
	int fd = dup2(2, 40);

	confine_close_inherited(&fd, 1);	/* whatever the test runner had open: 40 is the highest */
	if (fd != 40 || confine_limit_fds(5))
		return 1;
	if (getrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur != 46 || rl.rlim_max != 46)
		return 2;
	return 45;
}

START_TEST(test_confine_limit_fds_to_highest_plus_extra)
{
	ck_assert_int_eq(in_child(limit_fds), 45);
}
END_TEST

static char dir_ok[] = "/tmp/minnow-ll-ok.XXXXXX", dir_no[] = "/tmp/minnow-ll-no.XXXXXX";

/* Restricted to dir_ok: files there may be made, written, renamed, removed; nothing else. */
static int landlock_child(void)
{
	struct landlock_rule rule = { dir_ok, LANDLOCK_GRANT_WRITE };
	char a[64], b[64];
	bool applied;
	int fd;

	if (landlock_restrict(&rule, 1, &applied, err, sizeof(err)) || !applied)
		return 1;
	snprintf(a, sizeof(a), "%s/m.json.tmp", dir_ok);
	snprintf(b, sizeof(b), "%s/m.json", dir_ok);
	fd = open(a, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, "{}", 2) != 2 || close(fd) || rename(a, b))
		return 2;
	fd = open(b, O_WRONLY | O_TRUNC | O_CLOEXEC);	/* truncating it again (ABI 3) */
	if (fd < 0 || close(fd) || unlink(b))
		return 3;
	snprintf(a, sizeof(a), "%s/x", dir_no);
	if (open(a, O_WRONLY | O_CREAT, 0644) >= 0 || errno != EACCES)
		return 4;
	if (open("/etc/passwd", O_RDONLY) >= 0 || errno != EACCES)
		return 5;
	if (landlock_abi() >= 4) {
		struct sockaddr_in sin = { .sin_family = AF_INET,
					   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
		int s = socket(AF_INET, SOCK_STREAM, 0);

		/* bind sends nothing: Landlock refuses it before any address is taken */
		if (s < 0 || bind(s, (struct sockaddr *)&sin, sizeof(sin)) == 0 || errno != EACCES)
			return 6;
	}
	return 46;
}

START_TEST(test_landlock_only_the_granted_dir)
{
	ck_assert_ptr_nonnull(mkdtemp(dir_ok));
	ck_assert_ptr_nonnull(mkdtemp(dir_no));
	if (landlock_abi() < 1) {
		/* no Landlock in this kernel: nothing is applied, and that is said */
		struct landlock_rule rule = { dir_ok, LANDLOCK_GRANT_WRITE };
		bool applied = true;

		ck_assert_int_eq(landlock_restrict(&rule, 1, &applied, err, sizeof(err)), 0);
		ck_assert(!applied);
	} else {
		ck_assert_int_eq(in_child(landlock_child), 46);
	}
	ck_assert_int_eq(rmdir(dir_ok), 0);	/* empty: the child cleaned up */
	ck_assert_int_eq(rmdir(dir_no), 0);	/* empty: nothing was made there */
}
END_TEST

START_TEST(test_landlock_missing_dir_named)
{
	struct landlock_rule rule = { "/nonexistent/minnow", LANDLOCK_GRANT_WRITE };
	bool applied = true;

	if (landlock_abi() < 1) {
		/* without Landlock the path is never opened: nothing to refuse */
		ck_assert_int_eq(landlock_restrict(&rule, 1, &applied, err, sizeof(err)), 0);
		ck_assert(!applied);
		return;
	}
	ck_assert_int_eq(landlock_restrict(&rule, 1, &applied, err, sizeof(err)), -ENOENT);
	ck_assert(!applied);
	ck_assert_str_eq(err, "Landlock: cannot open '/nonexistent/minnow': No such file or "
			      "directory");
}
END_TEST

Suite *confine_suite(void)
{
	Suite *s = suite_create("confine");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_confine_parse_user_names_and_numbers);
	tcase_add_test(tc, test_confine_parse_user_bad_named);
	tcase_add_test(tc, test_confine_drop_becomes_user_without_caps);
	tcase_add_test(tc, test_confine_close_inherited_keeps_the_named);
	tcase_add_test(tc, test_confine_limit_fds_to_highest_plus_extra);
	tcase_add_test(tc, test_landlock_only_the_granted_dir);
	tcase_add_test(tc, test_landlock_missing_dir_named);
	suite_add_tcase(s, tc);
	return s;
}
