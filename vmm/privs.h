// SPDX-License-Identifier: MIT
// What minnow keeps of the privileges it started with: --user's identity, the file
// descriptors it uses, no more descriptors than it needs (docs/DESIGN.md §10).
#ifndef MINNOW_VMM_PRIVS_H
#define MINNOW_VMM_PRIVS_H

#include <stddef.h>
#include <sys/types.h>

#include "base/compiler.h"

/*
 * Parses --user's USER[:GROUP]: names or numbers; without GROUP, the user's
 * primary group. 0, or -EINVAL with a message naming the bad part.
 */
int privs_parse_user(const char *spec, uid_t *uid, gid_t *gid, char *err,
		     size_t errlen) __must_check;

/*
 * Becomes uid:gid in every thread (supplementary groups: gid alone), and
 * checks that no capability is left. Everything that needs root must be open
 * before. 0, or -errno with the reason in err.
 */
int privs_drop(uid_t uid, gid_t gid, char *err, size_t errlen) __must_check;

/* Closes every descriptor from 3 up that is not in keep[0..n) (inherited ones minnow does not use). */
void privs_close_inherited(const int *keep, size_t n);

/*
 * Lowers RLIMIT_NOFILE (soft and hard) to the highest descriptor open now,
 * plus one, plus extra for those minnow opens later. 0 or -errno.
 */
int privs_limit_fds(unsigned int extra) __must_check;

#endif
