// SPDX-License-Identifier: MIT
// The gdb server's commands: registers, memory, breakpoints, threads and queries (all-stop).
#ifndef MINNOW_GDBCMD_H
#define MINNOW_GDBCMD_H

#include <stddef.h>
#include <linux/types.h>

struct gdbstub;

/* What a command asks the connection loop to do after its reply. */
enum gdbcmd_action {
	GDBCMD_REPLY,		/* send the reply, stay stopped */
	GDBCMD_CONTINUE,	/* resume every vCPU (no reply until the next stop) */
	GDBCMD_STEP,		/* single-step step_vcpu, the others stay held */
	GDBCMD_DETACH,		/* reply OK, remove breakpoints, resume, close */
	GDBCMD_KILL,		/* stop the machine (no reply) */
};

/* Handles one packet (the server holds every vCPU); fills g->reply for GDBCMD_REPLY. */
enum gdbcmd_action gdbcmd_handle(struct gdbstub *g, const char *pkt, size_t len);
/* The stop reply for the current report ("T05thread:1;swbreak:;"). */
void gdbcmd_stop_reply(struct gdbstub *g);
/* Restores every breakpoint's original byte (detach). */
void gdbcmd_remove_all_bps(struct gdbstub *g);
/* Fills DR0-3 and DR7 for the hardware breakpoints; how many there are. */
unsigned int gdbcmd_debugregs(const struct gdbstub *g, __u64 debugreg[8]);

#endif
