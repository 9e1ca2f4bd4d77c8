// SPDX-License-Identifier: MIT
// The seccomp sandbox: one allowlist of system calls per thread role, installed by each thread
// on itself before it touches anything the guest wrote (DESIGN §11).
#ifndef MINNOW_BASE_SANDBOX_H
#define MINNOW_BASE_SANDBOX_H

#include <stdbool.h>
#include <stddef.h>

#include "base/compiler.h"

enum sandbox_mode {
	SANDBOX_OFF,	/* no filter at all (--seccomp off) */
	SANDBOX_ON,	/* a call outside the allowlist ends minnow with SANDBOX_EXIT */
	SANDBOX_LOG,	/* such a call runs, and the kernel logs it (audit type 1326) */
};

/*
 * A thread installs its role's filter on itself. Filters stack: a thread also
 * keeps its creator's, so a role that starts threads allows what they need
 * (sandbox.c says which role starts which).
 */
enum sandbox_role {
	SANDBOX_MAIN,		/* signals, metrics, teardown; starts the vCPUs and the stub */
	SANDBOX_VCPU,		/* KVM_RUN and MMIO/PIO exits; starts the devices' threads */
	SANDBOX_GDB,		/* the gdb stub's socket */
	SANDBOX_NET_CTRL,	/* the virtio-net control queue; starts and stops queue pairs */
	SANDBOX_NET_IO,		/* one virtio-net queue pair's data path, on its tap */
	SANDBOX_RNG,		/* virtio-rng, fed from getrandom() */
	SANDBOX_PCAP,		/* writes captured packets to a file */
	SANDBOX_ROLES
};

/* The exit status when a thread makes a forbidden call (README: exit status). */
#define SANDBOX_EXIT 6

/*
 * Prepares every role's filter and the SIGSYS handler that reports a
 * forbidden call; once per process, from the main thread, before any thread
 * calls sandbox_enter. SANDBOX_OFF makes sandbox_enter do nothing. 0 or
 * -errno, with the reason in err.
 */
int sandbox_init(enum sandbox_mode mode, char *err, size_t errlen) __must_check;
/* Sets no_new_privs and installs role's filter on the calling thread: 0 or -errno. */
int sandbox_enter(enum sandbox_role role) __must_check;
enum sandbox_mode sandbox_mode(void);
/* "on", "off" or "log"; -EINVAL otherwise. */
int sandbox_parse(const char *s, enum sandbox_mode *mode) __must_check;
const char *sandbox_role_name(enum sandbox_role role);
/* Whether role's filter allows the call named (with some arguments), its children's included. */
bool sandbox_allows(enum sandbox_role role, const char *name);

#endif
