// SPDX-License-Identifier: MIT
// Landlock through its three system calls (glibc 2.36 has no wrappers), with the access rights
// of every ABI the kernel reports, including those newer than Debian 12's header.
#include <errno.h>
#include <fcntl.h>
#include <linux/landlock.h>
#include <stdint.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/landlock.h"
#include "base/log.h"

/* Rights of later ABIs, as in Linux's include/uapi/linux/landlock.h. */
#define LL_FS_REFER		(1ULL << 13)	/* ABI 2 */
#define LL_FS_TRUNCATE		(1ULL << 14)	/* ABI 3 */
#define LL_FS_IOCTL_DEV		(1ULL << 15)	/* ABI 5 */
#define LL_NET_BIND_TCP		(1ULL << 0)	/* ABI 4 */
#define LL_NET_CONNECT_TCP	(1ULL << 1)	/* ABI 4 */

/* struct landlock_ruleset_attr as of ABI 4; the kernel takes the prefix its size says. */
struct ll_ruleset_attr {
	uint64_t handled_access_fs;
	uint64_t handled_access_net;
};

int landlock_abi(void)
{
	long v = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);

	return v < 0 ? 0 : (int)v;
}

/* Every file-system right the kernel of this ABI knows: all of them are handled (denied). */
static uint64_t landlock_fs_rights(int abi)
{
	uint64_t r = (LANDLOCK_ACCESS_FS_MAKE_SYM << 1) - 1;	/* ABI 1: bits 0-12 */

	if (abi >= 2)
		r |= LL_FS_REFER;
	if (abi >= 3)
		r |= LL_FS_TRUNCATE;
	if (abi >= 5)
		r |= LL_FS_IOCTL_DEV;
	return r;
}

static uint64_t landlock_grant_rights(enum landlock_grant g, int abi)
{
	uint64_t r = LANDLOCK_ACCESS_FS_REMOVE_FILE;

	if (g == LANDLOCK_GRANT_WRITE) {
		r |= LANDLOCK_ACCESS_FS_MAKE_REG | LANDLOCK_ACCESS_FS_WRITE_FILE;
		if (abi >= 3)
			r |= LL_FS_TRUNCATE;
	}
	return r;
}

static int landlock_add(int ruleset, const struct landlock_rule *rule, int abi, char *err,
			size_t errlen)
{
	struct landlock_path_beneath_attr pb = {
		.allowed_access = landlock_grant_rights(rule->grant, abi),
	};
	int ret = 0;

	pb.parent_fd = open(rule->dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (pb.parent_fd < 0)
		return log_errbuf(err, errlen, -errno, "Landlock: cannot open '%s': %s", rule->dir,
				  strerror(errno));
	if (syscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &pb, 0))
		ret = log_errbuf(err, errlen, -errno, "Landlock: cannot allow '%s': %s", rule->dir,
				 strerror(errno));
	close(pb.parent_fd);
	return ret;
}

int landlock_restrict(const struct landlock_rule *rules, size_t n, bool *applied, char *err,
		      size_t errlen)
{
	int abi = landlock_abi(), ruleset, ret = 0;
	struct ll_ruleset_attr attr = { .handled_access_fs = landlock_fs_rights(abi) };
	size_t size = sizeof(attr.handled_access_fs);

	*applied = false;
	if (abi < 1)
		return 0;	/* no Landlock here: the caller says so */
	if (abi >= 4) {
		attr.handled_access_net = LL_NET_BIND_TCP | LL_NET_CONNECT_TCP;
		size = sizeof(attr);
	}
	ruleset = (int)syscall(SYS_landlock_create_ruleset, &attr, size, 0);
	if (ruleset < 0)
		return log_errbuf(err, errlen, -errno, "Landlock: cannot create a ruleset: %s",
				  strerror(errno));
	for (size_t i = 0; i < n && !ret; i++)
		ret = landlock_add(ruleset, &rules[i], abi, err, errlen);
	if (!ret && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		ret = log_errbuf(err, errlen, -errno, "no_new_privs: %s", strerror(errno));
	if (!ret && syscall(SYS_landlock_restrict_self, ruleset, 0))
		ret = log_errbuf(err, errlen, -errno, "Landlock: cannot restrict: %s",
				 strerror(errno));
	close(ruleset);
	*applied = !ret;
	return ret;
}
