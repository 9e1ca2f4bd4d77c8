// SPDX-License-Identifier: MIT
// The machine as the user asked for it: what the CLI produces and the machine builder consumes.
#ifndef MINNOW_CONFIG_H
#define MINNOW_CONFIG_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/log.h"
#include "base/sandbox.h"
#include "devices/virtio/vdev.h"
#include "net/config.h"

enum serial_mode { SERIAL_STDIO, SERIAL_FILE, SERIAL_OFF };

#define CONFIG_MAX_CPUS	    64
#define CONFIG_MIN_MEM	    (4 * MiB)
#define CONFIG_MAX_MEM	    (1024 * GiB)
#define CONFIG_DEFAULT_MEM  (256 * MiB)

struct vm_config {
	const char *kernel;
	const char *initrd;
	const char *cmdline;
	unsigned int cpus;
	uint64_t mem_bytes;
	enum serial_mode serial;
	const char *serial_path;
	enum log_level log_level;
	/* CPUID features hidden from the guest: bit i hides cpuid_features[i] (vmm/cpuid.h). */
	uint64_t cpuid_hide;
	bool cmdline_devices;		/* append virtio_mmio.device= entries */
	bool print_cmdline;		/* print the final command line to stdout */
	const char *dump_dtb;		/* write the machine description here */
	const char *dump_acpi;		/* write one .dat file per ACPI table into this dir */
	bool dry_run;			/* build and dump, but do not run the guest */
	bool rng;			/* a virtio entropy device */
	bool net_verify;		/* --net-verify: the same as --net ...,verify=on */
	struct net_config net;
	const char *metrics;		/* write counters as JSON here when the guest ends */
	unsigned int trace_mask;	/* --trace: bit i traces enum trace_cat i (base/trace.h) */
	enum vdev_strict virtio_strict;	/* --virtio-strict: what a driver's spec violation does */
	const char *gdb;		/* --gdb PORT|PATH: serve gdb there, start held */
	enum sandbox_mode seccomp;	/* --seccomp: each thread's allowlist (base/sandbox.h) */
	const char *user;		/* --user: become uid:gid after set-up (NULL: stay) */
	uid_t uid;
	gid_t gid;
};

#endif
