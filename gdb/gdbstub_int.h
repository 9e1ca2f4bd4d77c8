// SPDX-License-Identifier: MIT
// The gdb server's state: types shared by gdbstub.c, which calls down into gdbcmd.c and gdbtrap.c.
#ifndef MINNOW_GDBSTUB_INT_H
#define MINNOW_GDBSTUB_INT_H

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <linux/kvm.h>

#include "base/gmem.h"
#include "base/log.h"
#include "gdb/gdbpkt.h"
#include "gdb/gdbtarget.h"

#define GDBSTUB_MAX_BP	  64
#define GDBSTUB_MAX_HW_BP 4	/* DR0-DR3 */
#define GDBTRAP_DR_DB	  2	/* kvm-pvm: DR2 catches the guest's #DB handler, */
#define GDBTRAP_DR_BP	  3	/* DR3 its #BP handler (gdbtrap.c) */

/*
 * A breakpoint: an int3 (0xcc) written over orig at gpa (Z0), or (hw) one
 * of the debug registers (Z1).
 */
struct gdbstub_bp {
	bool used;
	bool hw;
	bool int3;
	bool z1;
	uint64_t gva;
	gpa_t gpa;
	uint8_t orig;
};

/* A vCPU ioctl with a struct argument of the size cmd says: 0 or -errno. */
#define GDBSTUB_IOCTL(fd, cmd, ptr)                                                         \
	__extension__({                                                                     \
		_Static_assert(sizeof(*(ptr)) == _IOC_SIZE(cmd), "argument size of " #cmd); \
		ioctl((fd), (cmd), (ptr)) < 0 ? -errno : 0;                                 \
	})

struct gdbstub {
	struct gdbtarget t;	/* the VMM's; t.vcpu_fds points at fds */
	int *fds;		/* a copy of the VMM's vcpu_fds, owned */
	int listen_fd;
	int conn_fd;
	int wake_efd;		/* gdbstub_release/destroy -> server thread */
	int event_efd;		/* a vCPU's debug exit -> server thread */
	char *unix_path;	/* unlinked at the end; NULL for TCP */
	pthread_t thread;
	bool thread_started;

	/* vCPU parking, under lock. */
	pthread_mutex_t lock;
	pthread_cond_t vcpu_cond;	/* parked vCPUs wait for hold[i] to clear */
	pthread_cond_t gdb_cond;	/* the server waits for parked == nr_vcpus */
	bool *hold;			/* vCPU i must park before its next KVM_RUN */
	unsigned int parked;
	bool quitting;			/* the machine is stopping: nobody parks */
	bool server_done;		/* the server touches no vCPU any more */
	bool final;			/* exit_status is set: report it and end */
	int exit_status;
	bool report_set;		/* the stop to report: first event wins */
	unsigned int stop_vcpu;
	int stop_signal;
	unsigned int stop_exception;	/* KVM_EXIT_DEBUG's: 1 #DB, 3 #BP; else ~0 */
	uint64_t stop_dr6;

	/* Server thread only. */
	struct gdbpkt_rx rx;
	unsigned int g_vcpu;		/* Hg: registers and memory are this vCPU's */
	int c_vcpu;			/* Hc: -1 for all */
	unsigned int step_vcpu;
	bool sw_bp;			/* int3 breakpoints trap to KVM here (not kvm-pvm) */
	unsigned int max_hw;		/* debug registers for gdb: 4, or 2 on kvm-pvm */
	bool tf_step;			/* kvm-pvm: a CPL-3 step, its #DB caught (gdbtrap.c) */
	uint64_t internal_step;		/* kvm-pvm: vCPUs stepped unseen by gdb (gdbtrap.c) */
	int rearm_vcpu;			/* kvm-pvm: stopped on a trap not ours; -1 for none */
	unsigned int run_step;		/* the last resume's step vCPU, nr_vcpus for all */
	struct gdbstub_bp bps[GDBSTUB_MAX_BP];
	size_t reply_len;
	char reply[GDBPKT_MAX + 1];
	size_t frame_len;
	char frame[2 * GDBPKT_MAX + 8];	/* the last frame sent, for a '-' */
	struct log_ratelimit rl;
};

#endif
