// SPDX-License-Identifier: MIT
// Landlock: after set-up, the process gives up the file system (and TCP), but for the few
// directories it still writes in (docs/DESIGN.md §10).
#ifndef MINNOW_BASE_LANDLOCK_H
#define MINNOW_BASE_LANDLOCK_H

#include <stdbool.h>
#include <stddef.h>

#include "base/compiler.h"

/* What the process may still do beneath one directory. */
enum landlock_grant {
	LANDLOCK_GRANT_WRITE,	/* create, write, truncate and remove regular files (--metrics) */
	LANDLOCK_GRANT_REMOVE,	/* remove files (the gdb stub's unix socket at exit) */
};

struct landlock_rule {
	const char *dir;
	enum landlock_grant grant;
};

/*
 * The kernel's Landlock ABI version: 0 where it has none (older than 5.13,
 * or switched off at boot).
 */
int landlock_abi(void);

/*
 * Restricts the calling thread and every thread it starts afterwards: no
 * file-system access at all (no open, read, write, exec, mkdir, unlink...)
 * except rules[i].grant beneath rules[i].dir, and with ABI 4 no TCP bind or
 * connect. Sets no_new_privs. 0 (also when the kernel has no Landlock:
 * *applied says which), or -errno with the reason in err.
 */
int landlock_restrict(const struct landlock_rule *rules, size_t n, bool *applied, char *err,
		      size_t errlen) __must_check;

#endif
