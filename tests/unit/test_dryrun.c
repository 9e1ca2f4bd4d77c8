// SPDX-License-Identifier: MIT
// Unit tests for what machine_run finds wrong before it builds anything, and for --dry-run, which
// stops before KVM: taps passed by fd, the folders of output paths, and what it logs.
#include <check.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tests/unit/suites.h"
#include "vmm/cli.h"
#include "vmm/machine.h"

static char logbuf[4096];

/* minnow run ARGS... with Debian's kernel (tests/setup-host.sh installs it): status, and stderr in logbuf. */
static int dry(const char *const *args)
{
	const char *argv[24] = { "minnow", "run", "-k", NULL, "--log-level", "info" };
	static char kernel[256];
	char err[512];
	struct vm_config cfg;
	FILE *f = tmpfile();
	int argc = 6, status, saved = dup(STDERR_FILENO);
	glob_t g;
	size_t n;

	ck_assert_msg(glob("/boot/vmlinuz-*-amd64", 0, NULL, &g) == 0,
		      "no /boot/vmlinuz-*-amd64: install linux-image-amd64 (tests/setup-host.sh does)");
	snprintf(kernel, sizeof(kernel), "%s", g.gl_pathv[0]);
	globfree(&g);
	argv[3] = kernel;
	while (*args)
		argv[argc++] = *args++;
	ck_assert_int_eq(cli_parse(argc, (char **)argv, &cfg, stdout, err, sizeof(err)), CLI_RUN);
	ck_assert_ptr_nonnull(f);
	fflush(stderr);
	dup2(fileno(f), STDERR_FILENO);
	status = machine_run(&cfg);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	rewind(f);
	n = fread(logbuf, 1, sizeof(logbuf) - 1, f);
	logbuf[n] = 0;
	fclose(f);
	return status;
}

START_TEST(test_dryrun_ok_says_no_guest_ran)
{
	ck_assert_int_eq(dry((const char *const[]){ "--dry-run", NULL }), 0);
	ck_assert_msg(strstr(logbuf, "dry run: the machine was built and the kernel loaded; no "
				     "guest ran"), "log: %s", logbuf);
	ck_assert_msg(!strstr(logbuf, "guest ended"), "log: %s", logbuf);
}
END_TEST

START_TEST(test_dryrun_fd_not_open_named)
{
	ck_assert_int_eq(dry((const char *const[]){ "--dry-run", "--net", "fd=99", NULL }), 1);
	ck_assert_msg(strstr(logbuf, "--net: fd 99 is not a tap device: Bad file descriptor"),
		      "log: %s", logbuf);
}
END_TEST

START_TEST(test_dryrun_fd_not_a_tap_named)
{
	int sv[2];
	char fd[64];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	snprintf(fd, sizeof(fd), "fd=%d", sv[0]);
	ck_assert_int_eq(dry((const char *const[]){ "--dry-run", "--net", fd, NULL }), 1);
	snprintf(fd, sizeof(fd), "--net: fd %d is not a tap device: ", sv[0]);
	ck_assert_msg(strstr(logbuf, fd), "log: %s", logbuf);
	close(sv[0]);
	close(sv[1]);
}
END_TEST

START_TEST(test_output_folder_missing_named_before_anything)
{
	/* Checked in every mode, before the machine is built: here without --dry-run. */
	ck_assert_int_eq(dry((const char *const[]){ "--metrics", "/nonexistent/minnow/m.json",
						    NULL }), 1);
	ck_assert_msg(strstr(logbuf, "--metrics'/nonexistent/minnow/m.json': cannot write in "
				     "folder '/nonexistent/minnow': No such file or directory"),
		      "log: %s", logbuf);
	ck_assert_msg(!strstr(logbuf, "/dev/kvm"), "it went on to KVM: %s", logbuf);
	ck_assert_int_eq(dry((const char *const[]){ "--dry-run", "--serial",
						    "file=/nonexistent/serial.log", NULL }), 1);
	ck_assert_msg(strstr(logbuf, "--serial file='/nonexistent/serial.log': cannot write in "
				     "folder '/nonexistent'"), "log: %s", logbuf);
	ck_assert_int_eq(dry((const char *const[]){ "--dry-run", "--metrics", "m.json", NULL }), 0);
}
END_TEST

Suite *dryrun_suite(void)
{
	Suite *s = suite_create("dryrun");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_dryrun_ok_says_no_guest_ran);
	tcase_add_test(tc, test_dryrun_fd_not_open_named);
	tcase_add_test(tc, test_dryrun_fd_not_a_tap_named);
	tcase_add_test(tc, test_output_folder_missing_named_before_anything);
	suite_add_tcase(s, tc);
	return s;
}
