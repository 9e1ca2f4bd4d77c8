// SPDX-License-Identifier: MIT
// Command line: `minnow run ...` into a struct vm_config, with errors that name the bad value.
#include <errno.h>
#include <getopt.h>
#include <seccomp.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/landlock.h"
#include "base/sandbox.h"
#include "base/trace.h"
#include "gdb/gdbstub.h"
#include "net/tap_uring.h"
#include "version.h"
#include "vmm/cli.h"
#include "vmm/cli_net.h"
#include "vmm/cli_parse.h"
#include "vmm/confine.h"
#include "vmm/cpuid.h"

/* Two strings: C99 compilers need take no string over 4095 bytes. */
static const char cli_usage[] =
	"usage: minnow run -k KERNEL [options]\n"
	"       minnow --help | --version\n"
	"\n"
	"Boot KERNEL in a KVM virtual machine.\n"
	"\n"
	"  -k, --kernel PATH       kernel: a bzImage (64-bit boot protocol) or an ELF\n"
	"                          with a PVH note (vmlinux, the probe guest)\n"
	"  -i, --initrd PATH       initial ramdisk\n"
	"  -p, --cmdline STR       kernel command line (alias --append)\n"
	"  -c, --cpus N            number of vCPUs, 1-64 (default 1)\n"
	"  -m, --mem SIZE          guest RAM: a number with K, M, G or T; a plain\n"
	"                          number is MiB (default 256M, at least 4M)\n"
	"      --serial MODE       where COM1 goes: stdio (default), file=PATH, off\n"
	"      --net SPEC          a virtio-net device on a tap: tap=NAME, fd=N, or\n"
	"                          fds=A:B:.. (pre-opened queues of a multi-queue tap,\n"
	"                          one per queue pair), then ,queues=N (1-8 queue pairs;\n"
	"                          default: one per vCPU up to 8 where the tap can be\n"
	"                          multi-queue, else 1; an explicit N the tap cannot do\n"
	"                          is an error), ,mac=..,mtu=..,queue_size=..,csum=on|off,\n"
	"                          tso=on|off,mrg_rxbuf=on|off,ctrl=on|off,io=uring|sync\n"
	"                          (defaults: random MAC, the tap's MTU, 256, all\n"
	"                          offloads the tap supports, the control queue on,\n"
	"                          io_uring; io=sync is a readv/writev baseline);\n"
	"                          the control queue lets the guest change its receive\n"
	"                          offloads (ethtool -K), queue pairs (ethtool -L),\n"
	"                          promiscuous/allmulti mode and MAC (recorded);\n"
	"                          ,pcap=FILE writes every packet to FILE (pcapng);\n"
	"                          ,verify=on checks each offloaded TX frame's header\n"
	"                          against its bytes (counted in --metrics);\n"
	"                          ,offload=soft finishes TX checksums and segmentation\n"
	"                          in minnow instead of the tap;\n"
	"                          ,batch_us=N (io_uring, default 20): a busy device\n"
	"                          answers completions in batches, waiting at most N\n"
	"                          microseconds; 0 answers each at once (lowest latency)\n"
	"      --net-verify        check every offloaded TX frame's virtio-net header\n"
	"                          against its bytes (the same as --net ...,verify=on)\n"
	"      --rng               a virtio-mmio entropy device fed from getrandom()\n"
	"      --cpuid-mask LIST   hide CPUID features from the guest, comma-separated;\n"
	"                          `--cpuid-mask help` lists them\n"
	"      --no-cmdline-devices  do not append virtio_mmio.device= entries\n"
	"      --print-cmdline     print the command line the guest gets\n"
	"      --dump-dtb PATH     write the machine description (a device tree blob)\n"
	"      --dump-acpi DIR     write each ACPI table as DIR/<signature>.dat\n"
	"      --dry-run           build the machine and write the dumps, but do not run it\n";
static const char cli_usage_end[] =
	"      --log-level LEVEL   error, warn (default), info, debug, trace\n"
	"      --metrics PATH      write the counters as JSON to PATH when the guest ends\n"
	"      --trace CATS        one stderr line per event: mmio, virtq, net, uring, irq,\n"
	"                          comma-separated, or all; `--trace help` lists them\n"
	"      --virtio-strict M   a driver's virtio spec violation: off (count only), warn\n"
	"                          (count and log; default), reset (and NEEDS_RESET),\n"
	"                          abort (print the device state, exit 5)\n"
	"      --gdb PORT|PATH     wait for gdb on 127.0.0.1:PORT or a unix socket PATH\n"
	"                          before the first instruction (target remote ...)\n"
	"      --seccomp MODE      each thread's system call allowlist: on (default; a\n"
	"                          call outside it ends minnow with status 6, naming it),\n"
	"                          log (allowed, and the kernel logs it: dmesg), off;\n"
	"                          on also confines the files minnow may still write\n"
	"                          (Landlock) to --metrics' folder\n"
	"      --user USER[:GROUP] after opening /dev/kvm, the tap and every file,\n"
	"                          become USER (names or numbers), with no capabilities\n"
	"  -h, --help              this text\n"
	"  -V, --version           the version\n"
	"\n"
	"Exit status: 0 guest powered off (or reported 0 on the debug exit port),\n"
	"1 VMM or host error, 2 usage error, 3 guest reset, 4 triple fault,\n"
	"5 virtio spec violation under --virtio-strict=abort,\n"
	"6 a system call the seccomp sandbox forbids (named on stderr),\n"
	"32+V guest reported V (1-95) on the debug exit port, 128+N signal N.\n";

static int cli_err(char *err, size_t errlen, const char *fmt, ...) __printf(3, 4);

/*
 * The version, the commit it was built from, and what this build and this
 * kernel give it: io_uring and its optional features, the sandbox's layers,
 * the sanitizers compiled in.
 */
static void cli_version(FILE *out)
{
	char engine[96] = "unavailable", err[160];
	unsigned int features;
	long r = syscall(SYS_io_uring_setup, 0, NULL);
	int abi = landlock_abi();

	fprintf(out, "minnow %s (commit %s)\n", MINNOW_VERSION, MINNOW_COMMIT);
	if (!(r < 0 && (errno == ENOSYS || errno == EPERM)) &&
	    !tap_uring_features(&features, err, sizeof(err)))
		tap_uring_engine_name(features, engine, sizeof(engine));
	fprintf(out, "io_uring: %s\n", engine);
	fprintf(out, "sandbox: seccomp (libseccomp %u.%u.%u), Landlock %s%.0d\n",
		seccomp_version()->major, seccomp_version()->minor, seccomp_version()->micro,
		abi ? "ABI " : "not in this kernel", abi);
	fprintf(out, "sanitizers: %s\n", strcmp(MINNOW_SANITIZERS, "none") ? MINNOW_SANITIZERS :
									"none");
}

static int cli_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return CLI_USAGE;
}

static void cli_list_cpuid(FILE *out)
{
	fprintf(out, "CPUID features --cpuid-mask can hide:\n");
	for (unsigned int i = 0; i < cpuid_nr_features; i++)
		fprintf(out, "  %-14s %s\n", cpuid_features[i].name, cpuid_features[i].why);
}

static enum cli_result cli_cpuid_mask(const char *arg, struct vm_config *cfg, FILE *out,
				      char *err, size_t errlen)
{
	char *list = strdup(arg), *save = NULL;

	if (!list)
		return cli_err(err, errlen, "out of memory");
	for (char *name = strtok_r(list, ",", &save); name; name = strtok_r(NULL, ",", &save)) {
		int bit = cpuid_feature_bit(name);

		if (strcmp(name, "help") == 0) {
			cli_list_cpuid(out);
			free(list);
			return CLI_DONE;
		}
		if (bit < 0) {
			cli_err(err, errlen,
				"--cpuid-mask: unknown feature '%s' (see --cpuid-mask help)", name);
			free(list);
			return CLI_USAGE;
		}
		cfg->cpuid_hide |= 1ULL << bit;
	}
	free(list);
	return CLI_RUN;
}

static enum cli_result cli_serial(const char *arg, struct vm_config *cfg, char *err, size_t errlen)
{
	if (strcmp(arg, "stdio") == 0) {
		cfg->serial = SERIAL_STDIO;
	} else if (strcmp(arg, "off") == 0) {
		cfg->serial = SERIAL_OFF;
	} else if (strncmp(arg, "file=", 5) == 0 && arg[5]) {
		cfg->serial = SERIAL_FILE;
		cfg->serial_path = arg + 5;
	} else {
		return cli_err(err, errlen,
			       "--serial: bad value '%s' (expected stdio, file=PATH or off)", arg);
	}
	return CLI_RUN;
}

static enum cli_result cli_trace(const char *arg, struct vm_config *cfg, FILE *out, char *err,
				 size_t errlen)
{
	char bad[32];

	if (strcmp(arg, "help") == 0) {
		trace_help(out);
		return CLI_DONE;
	}
	if (trace_parse(arg, &cfg->trace_mask, bad, sizeof(bad)))
		return cli_err(err, errlen, "--trace: unknown category '%s' (expected mmio, virtq, "
			       "net, uring, irq or all, comma-separated; see --trace help)", bad);
	return CLI_RUN;
}

enum {
	OPT_SERIAL = 256, OPT_LOG_LEVEL, OPT_CPUID_MASK, OPT_NO_CMDLINE_DEVICES, OPT_PRINT_CMDLINE,
	OPT_DUMP_DTB, OPT_DUMP_ACPI, OPT_DRY_RUN, OPT_RNG, OPT_METRICS, OPT_NET,
	OPT_TRACE, OPT_VIRTIO_STRICT, OPT_NET_VERIFY, OPT_SECCOMP, OPT_USER,
	OPT_GDB,
};

static const struct option cli_run_options[] = {
	{ "kernel", required_argument, NULL, 'k' },
	{ "initrd", required_argument, NULL, 'i' },
	{ "cmdline", required_argument, NULL, 'p' },
	{ "append", required_argument, NULL, 'p' },
	{ "cpus", required_argument, NULL, 'c' },
	{ "mem", required_argument, NULL, 'm' },
	{ "memory", required_argument, NULL, 'm' },
	{ "serial", required_argument, NULL, OPT_SERIAL },
	{ "log-level", required_argument, NULL, OPT_LOG_LEVEL },
	{ "cpuid-mask", required_argument, NULL, OPT_CPUID_MASK },
	{ "no-cmdline-devices", no_argument, NULL, OPT_NO_CMDLINE_DEVICES },
	{ "print-cmdline", no_argument, NULL, OPT_PRINT_CMDLINE },
	{ "dump-dtb", required_argument, NULL, OPT_DUMP_DTB },
	{ "dump-acpi", required_argument, NULL, OPT_DUMP_ACPI },
	{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
	{ "rng", no_argument, NULL, OPT_RNG },
	{ "net", required_argument, NULL, OPT_NET },
	{ "net-verify", no_argument, NULL, OPT_NET_VERIFY },
	{ "metrics", required_argument, NULL, OPT_METRICS },
	{ "trace", required_argument, NULL, OPT_TRACE },
	{ "virtio-strict", required_argument, NULL, OPT_VIRTIO_STRICT },
	{ "gdb", required_argument, NULL, OPT_GDB },
	{ "seccomp", required_argument, NULL, OPT_SECCOMP },
	{ "user", required_argument, NULL, OPT_USER },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

static enum cli_result cli_option(int opt, const char *arg, struct vm_config *cfg, FILE *out,
				  char *err, size_t errlen)
{
	switch (opt) {
	case 'k': cfg->kernel = arg; return CLI_RUN;
	case 'i': cfg->initrd = arg; return CLI_RUN;
	case 'p': cfg->cmdline = arg; return CLI_RUN;
	case 'c':
		if (cli_parse_uint(arg, 1, CONFIG_MAX_CPUS, &cfg->cpus))
			return cli_err(err, errlen, "-c/--cpus: bad value '%s' (expected 1-%u)",
				       arg, CONFIG_MAX_CPUS);
		return CLI_RUN;
	case 'm':
		if (cli_parse_size(arg, &cfg->mem_bytes) || cfg->mem_bytes < CONFIG_MIN_MEM ||
		    cfg->mem_bytes > CONFIG_MAX_MEM || cfg->mem_bytes % (4 * KiB))
			return cli_err(err, errlen,
				       "-m/--mem: bad value '%s' (expected a size from 4M to 1T in "
				       "whole 4K pages, e.g. 512M or 2G; a plain number is MiB)",
				       arg);
		return CLI_RUN;
	case OPT_SERIAL: return cli_serial(arg, cfg, err, errlen);
	case OPT_CPUID_MASK: return cli_cpuid_mask(arg, cfg, out, err, errlen);
	case OPT_NO_CMDLINE_DEVICES: cfg->cmdline_devices = false; return CLI_RUN;
	case OPT_PRINT_CMDLINE: cfg->print_cmdline = true; return CLI_RUN;
	case OPT_DUMP_DTB: cfg->dump_dtb = arg; return CLI_RUN;
	case OPT_DUMP_ACPI: cfg->dump_acpi = arg; return CLI_RUN;
	case OPT_DRY_RUN: cfg->dry_run = true; return CLI_RUN;
	case OPT_RNG: cfg->rng = true; return CLI_RUN;
	case OPT_NET_VERIFY: cfg->net_verify = true; return CLI_RUN;
	case OPT_METRICS: cfg->metrics = arg; return CLI_RUN;
	case OPT_NET: return cli_parse_net(arg, &cfg->net, err, errlen) ? CLI_USAGE : CLI_RUN;
	case OPT_GDB:
		if (gdbstub_check_addr(arg))
			return cli_err(err, errlen, "--gdb: bad value '%s' (expected a TCP port "
				       "1-65535 or a unix socket path under 108 bytes)", arg);
		cfg->gdb = arg;
		return CLI_RUN;
	case OPT_LOG_LEVEL:
		if (log_parse_level(arg, &cfg->log_level))
			return cli_err(err, errlen, "--log-level: bad value '%s' (expected error, "
				       "warn, info, debug or trace)", arg);
		return CLI_RUN;
	case OPT_TRACE: return cli_trace(arg, cfg, out, err, errlen);
	case OPT_VIRTIO_STRICT:
		if (vdev_strict_parse(arg, &cfg->virtio_strict))
			return cli_err(err, errlen, "--virtio-strict: bad value '%s' (expected off, "
				       "warn, reset or abort)", arg);
		return CLI_RUN;
	case OPT_SECCOMP:
		if (sandbox_parse(arg, &cfg->seccomp))
			return cli_err(err, errlen, "--seccomp: bad value '%s' (expected on, off "
				       "or log)", arg);
		return CLI_RUN;
	case OPT_USER:
		if (confine_parse_user(arg, &cfg->uid, &cfg->gid, err, errlen))
			return CLI_USAGE;
		cfg->user = arg;
		return CLI_RUN;
	case 'h': fputs(cli_usage, out), fputs(cli_usage_end, out); return CLI_DONE;
	case 'V': cli_version(out); return CLI_DONE;
	default: return cli_err(err, errlen, "unknown option (see minnow run --help)");
	}
}

static enum cli_result cli_parse_run(int argc, char **argv, struct vm_config *cfg, FILE *out,
				     char *err, size_t errlen)
{
	int opt;

	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":k:i:p:c:m:hV", cli_run_options, NULL)) != -1) {
		enum cli_result r;

		if (opt == '?')
			return cli_err(err, errlen, "unknown option '%s' (see minnow run --help)",
				       argv[optind - 1]);
		if (opt == ':')
			return cli_err(err, errlen, "option '%s' needs a value (see minnow run --help)",
				       argv[optind - 1]);
		r = cli_option(opt, optarg, cfg, out, err, errlen);
		if (r != CLI_RUN)
			return r;
	}
	if (optind < argc)
		return cli_err(err, errlen, "unexpected argument '%s' (see minnow run --help)",
			       argv[optind]);
	if (!cfg->kernel)
		return cli_err(err, errlen, "no kernel given (expected -k PATH)");
	if (cfg->net_verify && !cfg->net.enabled)
		return cli_err(err, errlen, "--net-verify needs a network device (--net tap=NAME)");
	cfg->net.verify |= cfg->net_verify;
	/* One queue pair per vCPU by default, capped; a tap that cannot do it gets one (backends.h). */
	if (cfg->net.enabled && !cfg->net.queues_set)
		cfg->net.queues = cfg->net.fd >= 0 ? 1 : MIN(cfg->cpus, (unsigned int)NET_QUEUES_MAX);
	return CLI_RUN;
}

enum cli_result cli_parse(int argc, char **argv, struct vm_config *cfg, FILE *out, char *err,
			  size_t errlen)
{
	*cfg = (struct vm_config){
		.cpus = 1,
		.mem_bytes = CONFIG_DEFAULT_MEM,
		.serial = SERIAL_STDIO,
		.log_level = LOG_WARN,
		.cmdline = "",
		.cmdline_devices = true,
		.virtio_strict = VDEV_STRICT_WARN,
		.seccomp = SANDBOX_ON,
	};
	if (argc < 2)
		return cli_err(err, errlen, "no command given (expected 'minnow run -k KERNEL'; "
			       "see minnow --help)");
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		fputs(cli_usage, out), fputs(cli_usage_end, out);
		return CLI_DONE;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
		cli_version(out);
		return CLI_DONE;
	}
	if (strcmp(argv[1], "run") != 0)
		return cli_err(err, errlen, "unknown command '%s' (expected 'run'; see minnow --help)",
			       argv[1]);
	return cli_parse_run(argc - 1, argv + 1, cfg, out, err, errlen);
}
