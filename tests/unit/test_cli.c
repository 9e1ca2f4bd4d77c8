// SPDX-License-Identifier: MIT
// Unit tests for vmm/cli: `minnow run` options, defaults, and errors that name the bad value.
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "base/trace.h"
#include "tests/unit/suites.h"
#include "vmm/cli.h"
#include "vmm/cli_parse.h"
#include "vmm/cpuid.h"

static char out_buf[8192];
static char err[512];

static enum cli_result parse(struct vm_config *cfg, int argc, const char **argv)
{
	FILE *out = fmemopen(out_buf, sizeof(out_buf), "w");
	enum cli_result r;

	err[0] = 0;
	r = cli_parse(argc, (char **)argv, cfg, out, err, sizeof(err));
	fclose(out);
	return r;
}

#define PARSE(cfg, ...)                                                   \
	__extension__({                                                  \
		const char *argv_[] = { "minnow", __VA_ARGS__, NULL };    \
		parse((cfg), (int)(sizeof(argv_) / sizeof(argv_[0])) - 1, argv_); \
	})

START_TEST(test_cli_minimal_defaults)
{
	struct vm_config c;

	ck_assert_int_eq(PARSE(&c, "run", "-k", "vmlinux"), CLI_RUN);
	ck_assert_str_eq(c.kernel, "vmlinux");
	ck_assert_ptr_null(c.initrd);
	ck_assert_str_eq(c.cmdline, "");
	ck_assert_uint_eq(c.cpus, 1);
	ck_assert_uint_eq(c.mem_bytes, 256 * MiB);
	ck_assert_int_eq(c.serial, SERIAL_STDIO);
	ck_assert_int_eq(c.log_level, LOG_WARN);
	ck_assert_uint_eq(c.cpuid_hide, 0);
}
END_TEST

START_TEST(test_cli_all_options_parsed)
{
	struct vm_config c;

	ck_assert_int_eq(PARSE(&c, "run", "--kernel", "bz", "-i", "rd", "-p", "console=ttyS0",
			       "-c", "4", "-m", "2G", "--serial", "file=/tmp/x",
			       "--log-level", "debug", "--cpuid-mask", "xsave,cx16"), CLI_RUN);
	ck_assert_str_eq(c.initrd, "rd");
	ck_assert_str_eq(c.cmdline, "console=ttyS0");
	ck_assert_uint_eq(c.cpus, 4);
	ck_assert_uint_eq(c.mem_bytes, 2 * GiB);
	ck_assert_int_eq(c.serial, SERIAL_FILE);
	ck_assert_str_eq(c.serial_path, "/tmp/x");
	ck_assert_int_eq(c.log_level, LOG_DEBUG);
	ck_assert_uint_eq(c.cpuid_hide, (1ULL << cpuid_feature_bit("xsave")) |
					(1ULL << cpuid_feature_bit("cx16")));
}
END_TEST

START_TEST(test_cli_firmware_options_parsed)
{
	struct vm_config c;

	ck_assert_int_eq(PARSE(&c, "run", "-k", "k"), CLI_RUN);
	ck_assert(c.cmdline_devices);
	ck_assert(!c.print_cmdline);
	ck_assert(!c.dry_run);
	ck_assert_ptr_null(c.dump_dtb);
	ck_assert_ptr_null(c.dump_acpi);
	ck_assert_int_eq(PARSE(&c, "run", "-k", "k", "--no-cmdline-devices", "--print-cmdline",
			       "--dump-dtb", "m.dtb", "--dump-acpi", "tables", "--dry-run"), CLI_RUN);
	ck_assert(!c.cmdline_devices);
	ck_assert(c.print_cmdline);
	ck_assert(c.dry_run);
	ck_assert_str_eq(c.dump_dtb, "m.dtb");
	ck_assert_str_eq(c.dump_acpi, "tables");
	ck_assert(!c.rng);
	ck_assert_ptr_null(c.metrics);
	ck_assert_int_eq(PARSE(&c, "run", "-k", "k", "--rng", "--metrics", "m.json"), CLI_RUN);
	ck_assert(c.rng);
	ck_assert_str_eq(c.metrics, "m.json");
	ck_assert_int_eq(PARSE(&c, "run", "-k", "k", "--dump-acpi"), CLI_USAGE);
	ck_assert_ptr_nonnull(strstr(err, "'--dump-acpi' needs a value"));
}
END_TEST

START_TEST(test_cli_sizes_parsed)
{
	uint64_t v;

	ck_assert_int_eq(cli_parse_size("512", &v), 0);
	ck_assert_uint_eq(v, 512 * MiB);
	ck_assert_int_eq(cli_parse_size("64K", &v), 0);
	ck_assert_uint_eq(v, 64 * KiB);
	ck_assert_int_eq(cli_parse_size("1GiB", &v), 0);
	ck_assert_uint_eq(v, GiB);
	ck_assert_int_eq(cli_parse_size("3g", &v), 0);
	ck_assert_uint_eq(v, 3 * GiB);
	ck_assert_int_eq(cli_parse_size("1T", &v), 0);
	ck_assert_uint_eq(v, 1024 * GiB);
	ck_assert_int_eq(cli_parse_size("12X", &v), -EINVAL);
	ck_assert_int_eq(cli_parse_size("-1", &v), -EINVAL);
	ck_assert_int_eq(cli_parse_size("", &v), -EINVAL);
	ck_assert_int_eq(cli_parse_size("99999999999999999999", &v), -EINVAL);
	ck_assert_int_eq(cli_parse_size("99999999999T", &v), -ERANGE);
}
END_TEST

START_TEST(test_cli_bad_values_named)
{
	struct vm_config c;

	ck_assert_int_eq(PARSE(&c, "run", "-k", "k", "-c", "0"), CLI_USAGE);
	ck_assert_ptr_nonnull(strstr(err, "'0'"));
	ck_assert_ptr_nonnull(strstr(err, "1-64"));
	ck_assert_int_eq(PARSE(&c, "run", "-k", "k", "-c", "2x"), CLI_USAGE);
	ck_assert_ptr_nonnull(strstr(err, "'2x'"));
	ck_assert_int_eq(PARSE(&c, "run", "-k", "k", "-m", "1M"), CLI_USAGE);
	ck_assert_ptr_nonnull(strstr(err, "-m/--mem: bad value '1M'"));
	ck_assert_int_eq(PARSE(&c, "run", "-k", "k", "-m", "4097K"), CLI_USAGE);
	ck_assert_int_eq(PARSE(&c, "run", "-k", "k", "--serial", "tty"), CLI_USAGE);
	ck_assert_ptr_nonnull(strstr(err, "'tty'"));
	ck_assert_ptr_nonnull(strstr(err, "file=PATH"));
	ck_assert_int_eq(PARSE(&c, "run", "-k", "k", "--log-level", "loud"), CLI_USAGE);
	ck_assert_ptr_nonnull(strstr(err, "'loud'"));
	ck_assert_int_eq(PARSE(&c, "run", "-k", "k", "--cpuid-mask", "xsave,sse9"), CLI_USAGE);
	ck_assert_ptr_nonnull(strstr(err, "'sse9'"));
}
END_TEST

START_TEST(test_cli_gdb_port_or_path_checked)
{
	static char longpath[200];
	struct vm_config c;

	ck_assert_int_eq(PARSE(&c, "run", "-k", "k"), CLI_RUN);
	ck_assert_ptr_null(c.gdb);
	ck_assert_int_eq(PARSE(&c, "run", "-k", "k", "--gdb", "1234"), CLI_RUN);
	ck_assert_str_eq(c.gdb, "1234");
	ck_assert_int_eq(PARSE(&c, "run", "-k", "k", "--gdb", "/tmp/minnow.gdb"), CLI_RUN);
	ck_assert_str_eq(c.gdb, "/tmp/minnow.gdb");
	ck_assert_int_eq(PARSE(&c, "run", "-k", "k", "--gdb", "0"), CLI_USAGE);
	ck_assert_ptr_nonnull(strstr(err, "--gdb: bad value '0'"));
	ck_assert_int_eq(PARSE(&c, "run", "-k", "k", "--gdb", "65536"), CLI_USAGE);
	ck_assert_int_eq(PARSE(&c, "run", "-k", "k", "--gdb", "000000000001234"), CLI_USAGE);
	ck_assert_int_eq(PARSE(&c, "run", "-k", "k", "--gdb", ""), CLI_USAGE);
	memset(longpath, 'a', sizeof(longpath) - 1);
	ck_assert_int_eq(PARSE(&c, "run", "-k", "k", "--gdb", longpath), CLI_USAGE);
	ck_assert_ptr_nonnull(strstr(err, "unix socket path"));
}
END_TEST

START_TEST(test_cli_structure_errors)
{
	struct vm_config c;

	ck_assert_int_eq(PARSE(&c, "run"), CLI_USAGE);
	ck_assert_ptr_nonnull(strstr(err, "-k PATH"));
	ck_assert_int_eq(PARSE(&c, "boot", "-k", "k"), CLI_USAGE);
	ck_assert_ptr_nonnull(strstr(err, "'boot'"));
	ck_assert_int_eq(PARSE(&c, "run", "-k", "k", "--frobnicate"), CLI_USAGE);
	ck_assert_ptr_nonnull(strstr(err, "'--frobnicate'"));
	ck_assert_int_eq(PARSE(&c, "run", "-k"), CLI_USAGE);
	ck_assert_ptr_nonnull(strstr(err, "needs a value"));
	ck_assert_int_eq(PARSE(&c, "run", "-k", "k", "extra"), CLI_USAGE);
	ck_assert_ptr_nonnull(strstr(err, "'extra'"));
}
END_TEST

START_TEST(test_cli_help_version_done)
{
	struct vm_config c;

	ck_assert_int_eq(PARSE(&c, "--help"), CLI_DONE);
	ck_assert_ptr_nonnull(strstr(out_buf, "usage: minnow run -k KERNEL"));
	ck_assert_int_eq(PARSE(&c, "run", "--help"), CLI_DONE);
	ck_assert_ptr_nonnull(strstr(out_buf, "Exit status"));
	ck_assert_int_eq(PARSE(&c, "--version"), CLI_DONE);
	ck_assert_ptr_nonnull(strstr(out_buf, "minnow " MINNOW_VERSION " (commit "));
	ck_assert_ptr_nonnull(strstr(out_buf, "\nio_uring: io_uring"));	/* this kernel has it */
	ck_assert_ptr_nonnull(strstr(out_buf, "\nsandbox: seccomp (libseccomp 2."));
	ck_assert_ptr_nonnull(strstr(out_buf, "\nsanitizers: "));
	ck_assert_int_eq(PARSE(&c, "run", "--cpuid-mask", "help"), CLI_DONE);
	ck_assert_ptr_nonnull(strstr(out_buf, "cx16"));
}
END_TEST

START_TEST(test_cli_debug_options_parsed)
{
	struct vm_config c;

	ck_assert_int_eq(PARSE(&c, "run", "-k", "k"), CLI_RUN);
	ck_assert_uint_eq(c.trace_mask, 0);
	ck_assert_int_eq(c.virtio_strict, VDEV_STRICT_WARN);
	ck_assert_int_eq(PARSE(&c, "run", "-k", "k", "--trace", "net,virtq"), CLI_RUN);
	ck_assert_uint_eq(c.trace_mask, 1u << TRACE_NET | 1u << TRACE_VIRTQ);
	ck_assert_int_eq(PARSE(&c, "run", "-k", "k", "--trace", "mmio", "--trace", "irq"), CLI_RUN);
	ck_assert_uint_eq(c.trace_mask, 1u << TRACE_IRQ);	/* the last one counts */
	ck_assert_int_eq(PARSE(&c, "run", "-k", "k", "--trace", "all"), CLI_RUN);
	ck_assert_uint_eq(c.trace_mask, (1u << TRACE_NR) - 1);
	ck_assert_int_eq(PARSE(&c, "run", "-k", "k", "--trace", "uring,all,mmio"), CLI_RUN);
	ck_assert_uint_eq(c.trace_mask, (1u << TRACE_NR) - 1);
	ck_assert_int_eq(PARSE(&c, "run", "-k", "k", "--virtio-strict", "off"), CLI_RUN);
	ck_assert_int_eq(c.virtio_strict, VDEV_STRICT_OFF);
	ck_assert_int_eq(PARSE(&c, "run", "-k", "k", "--virtio-strict", "reset"), CLI_RUN);
	ck_assert_int_eq(c.virtio_strict, VDEV_STRICT_RESET);
	ck_assert_int_eq(PARSE(&c, "run", "-k", "k", "--virtio-strict", "abort"), CLI_RUN);
	ck_assert_int_eq(c.virtio_strict, VDEV_STRICT_ABORT);
	ck_assert_int_eq(PARSE(&c, "run", "-k", "k", "--virtio-strict", "warn"), CLI_RUN);
	ck_assert_int_eq(c.virtio_strict, VDEV_STRICT_WARN);
	ck_assert_int_eq(PARSE(&c, "run", "-k", "k"), CLI_RUN);
	ck_assert_int_eq(c.seccomp, SANDBOX_ON);	/* on unless asked */
	ck_assert_int_eq(PARSE(&c, "run", "-k", "k", "--seccomp", "log"), CLI_RUN);
	ck_assert_int_eq(c.seccomp, SANDBOX_LOG);
	ck_assert_int_eq(PARSE(&c, "run", "-k", "k", "--seccomp", "off"), CLI_RUN);
	ck_assert_int_eq(c.seccomp, SANDBOX_OFF);
	ck_assert_int_eq(PARSE(&c, "run", "-k", "k", "--seccomp", "on"), CLI_RUN);
	ck_assert_int_eq(c.seccomp, SANDBOX_ON);
	ck_assert_ptr_null(c.user);
	ck_assert_int_eq(PARSE(&c, "run", "-k", "k", "--user", "nobody"), CLI_RUN);
	ck_assert_str_eq(c.user, "nobody");
	ck_assert_uint_eq(c.uid, 65534);
	ck_assert_uint_eq(c.gid, 65534);
}
END_TEST

START_TEST(test_cli_debug_options_bad_named)
{
	struct vm_config c;

	ck_assert_int_eq(PARSE(&c, "run", "-k", "k", "--trace", "net,virtqueue"), CLI_USAGE);
	ck_assert_ptr_nonnull(strstr(err, "--trace: unknown category 'virtqueue'"));
	ck_assert_ptr_nonnull(strstr(err, "--trace help"));
	ck_assert_int_eq(PARSE(&c, "run", "-k", "k", "--trace", ""), CLI_USAGE);
	ck_assert_ptr_nonnull(strstr(err, "category ''"));
	ck_assert_int_eq(PARSE(&c, "run", "-k", "k", "--trace", "net,"), CLI_USAGE);
	ck_assert_int_eq(PARSE(&c, "run", "-k", "k", "--trace", "NET"), CLI_USAGE);
	ck_assert_ptr_nonnull(strstr(err, "'NET'"));
	ck_assert_int_eq(PARSE(&c, "run", "-k", "k", "--trace", "averyveryverylongcategoryname"),
			 CLI_USAGE);
	ck_assert_ptr_nonnull(strstr(err, "'averyveryverylongcategoryname'"));
	ck_assert_int_eq(PARSE(&c, "run", "-k", "k", "--virtio-strict", "panic"), CLI_USAGE);
	ck_assert_ptr_nonnull(strstr(err, "--virtio-strict: bad value 'panic'"));
	ck_assert_ptr_nonnull(strstr(err, "off, warn, reset or abort"));
	ck_assert_int_eq(PARSE(&c, "run", "-k", "k", "--seccomp", "strict"), CLI_USAGE);
	ck_assert_ptr_nonnull(strstr(err, "--seccomp: bad value 'strict' (expected on, off or log)"));
	ck_assert_int_eq(PARSE(&c, "run", "-k", "k", "--user", "no-such-user"), CLI_USAGE);
	ck_assert_str_eq(err, "--user: no user 'no-such-user' on this host");
	ck_assert_int_eq(PARSE(&c, "run", "-k", "k", "--virtio-strict"), CLI_USAGE);
	ck_assert_ptr_nonnull(strstr(err, "needs a value"));
}
END_TEST

START_TEST(test_cli_trace_help_done)
{
	struct vm_config c;

	ck_assert_int_eq(PARSE(&c, "run", "--trace", "help"), CLI_DONE);
	for (const char *const *w = (const char *const[]){ "mmio", "virtq", "net", "uring", "irq",
							    NULL }; *w; w++)
		ck_assert_ptr_nonnull(strstr(out_buf, *w));
	ck_assert_int_eq(PARSE(&c, "--help"), CLI_DONE);
	ck_assert_ptr_nonnull(strstr(out_buf, "--trace CATS"));
	ck_assert_ptr_nonnull(strstr(out_buf, "--virtio-strict M"));
	ck_assert_ptr_nonnull(strstr(out_buf, "5 virtio spec violation"));
	ck_assert_ptr_nonnull(strstr(out_buf, "--seccomp MODE"));
	ck_assert_ptr_nonnull(strstr(out_buf, "6 a system call the seccomp sandbox forbids"));
}
END_TEST

/* --net verify= and offload=: off and tap by default; bad values named with their forms. */
START_TEST(test_cli_net_verify_offload_parsed_bad_named)
{
	struct vm_config c;

	ck_assert_int_eq(PARSE(&c, "run", "-k", "k", "--net", "tap=t0"), CLI_RUN);
	ck_assert(!c.net.verify && !c.net.offload_soft);
	memset(&c, 0, sizeof(c));
	ck_assert_int_eq(PARSE(&c, "run", "-k", "k", "--net", "tap=t0,verify=on,offload=soft"),
			 CLI_RUN);
	ck_assert(c.net.verify && c.net.offload_soft);
	memset(&c, 0, sizeof(c));
	ck_assert_int_eq(PARSE(&c, "run", "-k", "k", "--net", "tap=t0,offload=tap,verify=off"),
			 CLI_RUN);
	ck_assert(!c.net.verify && !c.net.offload_soft);
	memset(&c, 0, sizeof(c));
	ck_assert_int_eq(PARSE(&c, "run", "-k", "k", "--net", "tap=t0,offload=hw"), CLI_USAGE);
	ck_assert_str_eq(err, "--net: bad value 'hw' for offload (expected tap (default) or soft "
			 "(checksums and segmentation in minnow))");
	memset(&c, 0, sizeof(c));
	ck_assert_int_eq(PARSE(&c, "run", "-k", "k", "--net-verify", "--net", "tap=t0"), CLI_RUN);
	ck_assert(c.net.verify && !c.net.offload_soft);
	memset(&c, 0, sizeof(c));
	ck_assert_int_eq(PARSE(&c, "run", "-k", "k", "--net-verify"), CLI_USAGE);
	ck_assert_str_eq(err, "--net-verify needs a network device (--net tap=NAME)");
	memset(&c, 0, sizeof(c));
	ck_assert_int_eq(PARSE(&c, "run", "-k", "k", "--net", "tap=t0,verify=yes"), CLI_USAGE);
	ck_assert_str_eq(err, "--net: bad value 'yes' for verify (expected on or off)");
}
END_TEST

/* --net batch_us=: unset by default (the backend's 20 µs), 0 switches batching off, 1000 at most. */
START_TEST(test_cli_net_batch_us)
{
	struct vm_config c;

	ck_assert_int_eq(PARSE(&c, "run", "-k", "k", "--net", "tap=t0"), CLI_RUN);
	ck_assert(c.net.batch_us == 0 && !c.net.batch_off);
	memset(&c, 0, sizeof(c));
	ck_assert_int_eq(PARSE(&c, "run", "-k", "k", "--net", "tap=t0,batch_us=0"), CLI_RUN);
	ck_assert(c.net.batch_us == 0 && c.net.batch_off);
	memset(&c, 0, sizeof(c));
	ck_assert_int_eq(PARSE(&c, "run", "-k", "k", "--net", "tap=t0,batch_us=1000"), CLI_RUN);
	ck_assert(c.net.batch_us == 1000 && !c.net.batch_off);
	memset(&c, 0, sizeof(c));
	ck_assert_int_eq(PARSE(&c, "run", "-k", "k", "--net", "tap=t0,batch_us=1001"), CLI_USAGE);
	ck_assert_str_eq(err, "--net: bad value '1001' for batch_us (expected 0-1000 microseconds "
			 "(0: no batching))");
	memset(&c, 0, sizeof(c));
	ck_assert_int_eq(PARSE(&c, "run", "-k", "k", "--net", "tap=t0,batch_us=fast"), CLI_USAGE);
	ck_assert_str_eq(err, "--net: bad value 'fast' for batch_us (expected 0-1000 microseconds "
			 "(0: no batching))");
}
END_TEST

/* --net queues=, fds=, ctrl=: the defaults (one pair per vCPU up to 8), and bad values named. */
START_TEST(test_cli_net_queues_fds_ctrl)
{
	struct vm_config c;

	ck_assert_int_eq(PARSE(&c, "run", "-k", "k", "-c", "3", "--net", "tap=t0"), CLI_RUN);
	ck_assert_uint_eq(c.net.queues, 3);
	ck_assert(!c.net.queues_set && c.net.ctrl);
	ck_assert_int_eq(PARSE(&c, "run", "-k", "k", "-c", "20", "--net", "tap=t0"), CLI_RUN);
	ck_assert_uint_eq(c.net.queues, NET_QUEUES_MAX);
	ck_assert_int_eq(PARSE(&c, "run", "-k", "k", "-c", "4", "--net", "fd=5"), CLI_RUN);
	ck_assert_uint_eq(c.net.queues, 1);
	ck_assert_int_eq(PARSE(&c, "run", "-k", "k", "--net", "tap=t0,queues=4,ctrl=off"), CLI_RUN);
	ck_assert_uint_eq(c.net.queues, 4);
	ck_assert(c.net.queues_set && !c.net.ctrl);
	ck_assert_int_eq(PARSE(&c, "run", "-k", "k", "--net", "fds=7:8:9"), CLI_RUN);
	ck_assert_uint_eq(c.net.nfds, 3);
	ck_assert_int_eq(c.net.fds[2], 9);
	ck_assert_uint_eq(c.net.queues, 3);
	ck_assert(c.net.queues_set && !c.net.tap && c.net.fd < 0);
	ck_assert_int_eq(PARSE(&c, "run", "-k", "k", "--net", "tap=t0,queues=9"), CLI_USAGE);
	ck_assert_str_eq(err, "--net: bad value '9' for queues (expected 1 to 8 queue pairs)");
	ck_assert_int_eq(PARSE(&c, "run", "-k", "k", "--net", "tap=t0,queues=0"), CLI_USAGE);
	ck_assert_int_eq(PARSE(&c, "run", "-k", "k", "--net", "fds=7::8"), CLI_USAGE);
	ck_assert_str_eq(err, "--net: bad value '7::8' for fds (expected 1 to 8 file descriptors "
			 "separated by ':')");
	ck_assert_int_eq(PARSE(&c, "run", "-k", "k", "--net", "fds=7:"), CLI_USAGE);
	ck_assert_int_eq(PARSE(&c, "run", "-k", "k", "--net", "fds=1:2:3:4:5:6:7:8:9"), CLI_USAGE);
	ck_assert_int_eq(PARSE(&c, "run", "-k", "k", "--net", "fds=7:8,queues=3"), CLI_USAGE);
	ck_assert_ptr_nonnull(strstr(err, "queues=3 but fds= gives 2 queues"));
	ck_assert_int_eq(PARSE(&c, "run", "-k", "k", "--net", "tap=t0,fds=7:8"), CLI_USAGE);
	ck_assert_ptr_nonnull(strstr(err, "exactly one of tap=NAME, fd=N or fds=A:B:.."));
	ck_assert_int_eq(PARSE(&c, "--help"), CLI_DONE);
	ck_assert_ptr_nonnull(strstr(out_buf, "queues=N"));
	ck_assert_ptr_nonnull(strstr(out_buf, "fds=A:B:.."));
	ck_assert_ptr_nonnull(strstr(out_buf, "ctrl=on|off"));
}
END_TEST

Suite *cli_suite(void)
{
	Suite *s = suite_create("cli");
	TCase *tc = tcase_create("parse");

	tcase_add_test(tc, test_cli_minimal_defaults);
	tcase_add_test(tc, test_cli_all_options_parsed);
	tcase_add_test(tc, test_cli_firmware_options_parsed);
	tcase_add_test(tc, test_cli_sizes_parsed);
	tcase_add_test(tc, test_cli_bad_values_named);
	tcase_add_test(tc, test_cli_structure_errors);
	tcase_add_test(tc, test_cli_gdb_port_or_path_checked);
	tcase_add_test(tc, test_cli_help_version_done);
	tcase_add_test(tc, test_cli_debug_options_parsed);
	tcase_add_test(tc, test_cli_debug_options_bad_named);
	tcase_add_test(tc, test_cli_trace_help_done);
	tcase_add_test(tc, test_cli_net_verify_offload_parsed_bad_named);
	tcase_add_test(tc, test_cli_net_queues_fds_ctrl);
	tcase_add_test(tc, test_cli_net_batch_us);
	suite_add_tcase(s, tc);
	return s;
}
