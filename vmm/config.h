// SPDX-License-Identifier: MIT
// The machine as the user asked for it: what the CLI produces and the machine builder consumes.
#ifndef MINNOW_CONFIG_H
#define MINNOW_CONFIG_H

#include <stdint.h>

#include "vmm/log.h"

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
	/* CPUID features hidden from the guest: a mask of CPUID_F_* bits (vmm/cpuid.h). */
	uint64_t cpuid_hide;
};

#endif
