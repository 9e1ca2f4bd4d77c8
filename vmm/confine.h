// SPDX-License-Identifier: MIT
// What minnow gives up once the machine is built: root (--user), inherited descriptors, spare
// descriptor numbers, the file system (Landlock), and the main thread's freedom (seccomp);
// docs/DESIGN.md §10.
#ifndef MINNOW_VMM_CONFINE_H
#define MINNOW_VMM_CONFINE_H

#include <stddef.h>
#include <sys/types.h>

#include "base/compiler.h"
#include "vmm/config.h"

/*
 * Parses --user's USER[:GROUP]: names or numbers; without GROUP, the user's
 * primary group. 0, or -EINVAL with a message naming the bad part.
 */
int confine_parse_user(const char *spec, uid_t *uid, gid_t *gid, char *err,
		     size_t errlen) __must_check;

/*
 * Becomes uid:gid in every thread (supplementary groups: gid alone), and
 * checks that no capability is left. Everything that needs root must be open
 * before. 0, or -errno with the reason in err.
 */
int confine_drop(uid_t uid, gid_t gid, char *err, size_t errlen) __must_check;

/* Closes every descriptor from 3 up that is not in keep[0..n) (inherited ones minnow does not use). */
void confine_close_inherited(const int *keep, size_t n);

/*
 * Lowers RLIMIT_NOFILE (soft and hard) to the highest descriptor open now,
 * plus one, plus extra for those minnow opens later. 0 or -errno.
 */
int confine_limit_fds(unsigned int extra) __must_check;

/* The folder of path into dir: "." for a bare name, "/" for one at the root. */
void confine_dir_of(const char *path, char *dir, size_t len);

/*
 * Everything is open: becomes --user, keeps no more descriptors than minnow
 * may still need, gives up the file system but for --metrics' folder (and the
 * gdb socket's, to remove it at the end), and enters the main thread's
 * seccomp filter, which every later thread inherits. 0, or -errno (logged).
 */
int confine_enter(const struct vm_config *cfg) __must_check;

#endif
