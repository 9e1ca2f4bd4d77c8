// SPDX-License-Identifier: MIT
// What minnow gives up once the machine is built: root (--user), inherited descriptors, spare
// descriptor numbers, the file system (Landlock), then the main thread's seccomp filter.
#include <dirent.h>
#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/landlock.h"
#include "base/log.h"
#include "base/sandbox.h"
#include "vmm/confine.h"

/* A whole number in range: a uid or gid written as digits. */
static bool confine_number(const char *s, unsigned long *v)
{
	char *end;

	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	*v = strtoul(s, &end, 10);
	return !errno && !*end && *v < 0xffffffffUL;
}

int confine_parse_user(const char *spec, uid_t *uid, gid_t *gid, char *err, size_t errlen)
{
	char user[64], *group;
	struct passwd *pw;
	struct group *gr;
	unsigned long v;

	if (!*spec || strlen(spec) >= sizeof(user))
		return log_errbuf(err, errlen, -EINVAL, "--user: bad value '%s' (expected USER or "
				  "USER:GROUP, names or numbers)", spec);
	strcpy(user, spec);
	group = strchr(user, ':');
	if (group)
		*group++ = 0;
	pw = getpwnam(user);
	if (pw) {
		*uid = pw->pw_uid;
		*gid = pw->pw_gid;
	} else if (confine_number(user, &v)) {
		*uid = (uid_t)v;
		pw = getpwuid(*uid);
		*gid = pw ? pw->pw_gid : (gid_t)v;	/* a bare number: its own group */
	} else {
		return log_errbuf(err, errlen, -EINVAL, "--user: no user '%s' on this host", user);
	}
	if (!group)
		return 0;
	gr = *group ? getgrnam(group) : NULL;
	if (gr)
		*gid = gr->gr_gid;
	else if (confine_number(group, &v))
		*gid = (gid_t)v;
	else
		return log_errbuf(err, errlen, -EINVAL, "--user: no group '%s' on this host", group);
	return 0;
}

/* Whether the calling thread has no capability left (effective or permitted). */
static bool confine_no_caps(void)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2] = { 0 };

	if (syscall(SYS_capget, &h, d))
		return false;
	return !d[0].effective && !d[1].effective && !d[0].permitted && !d[1].permitted;
}

int confine_drop(uid_t uid, gid_t gid, char *err, size_t errlen)
{
	uid_t r, e, s;

	/* glibc makes every thread take each change (the pcap writer already runs). */
	if (setgroups(1, &gid))
		return log_errbuf(err, errlen, -errno, "--user: setgroups: %s (run minnow as root "
				  "to use --user)", strerror(errno));
	if (setresgid(gid, gid, gid))
		return log_errbuf(err, errlen, -errno, "--user: cannot become group %u: %s",
				  (unsigned int)gid, strerror(errno));
	if (setresuid(uid, uid, uid))
		return log_errbuf(err, errlen, -errno, "--user: cannot become user %u: %s",
				  (unsigned int)uid, strerror(errno));
	if (getresuid(&r, &e, &s) || r != uid || e != uid || s != uid)
		return log_errbuf(err, errlen, -EPERM, "--user: still not user %u",
				  (unsigned int)uid);
	if (uid && !confine_no_caps())
		return log_errbuf(err, errlen, -EPERM, "--user: capabilities left after "
				  "becoming user %u", (unsigned int)uid);
	return 0;
}

static bool confine_kept(int fd, const int *keep, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (keep[i] == fd)
			return true;
	return false;
}

void confine_close_inherited(const int *keep, size_t n)
{
	int hi = (int)sysconf(_SC_OPEN_MAX), from = 3;

	if (hi < 0 || hi > 1 << 20)
		hi = 1 << 20;
	/* close_range over each gap between the descriptors to keep (Linux 5.9). */
	for (int fd = 3; fd <= hi; fd++) {
		if (fd < hi && !confine_kept(fd, keep, n))
			continue;
		if (fd > from && syscall(SYS_close_range, from, fd - 1, 0))
			for (int i = from; i < fd; i++)
				close(i);
		from = fd + 1;
	}
}

int confine_limit_fds(unsigned int extra)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	struct rlimit rl;
	long hi = 2;

	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		long fd = strtol(de->d_name, NULL, 10);

		if (fd > hi && fd != dirfd(d))
			hi = fd;
	}
	closedir(d);
	rl.rlim_cur = rl.rlim_max = (rlim_t)hi + 1 + extra;
	return setrlimit(RLIMIT_NOFILE, &rl) ? -errno : 0;
}

/* The directory of path, for Landlock: "." for a bare file name. */
void confine_dir_of(const char *path, char *dir, size_t len)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		snprintf(dir, len, ".");
	else if (slash == path)
		snprintf(dir, len, "/");
	else
		snprintf(dir, len, "%.*s", (int)(slash - path), path);
}

int confine_enter(const struct vm_config *cfg)
{
	char err[256], dirs[2][4096];
	struct landlock_rule rules[2];
	size_t n = 0;
	bool applied;
	int ret;

	if (cfg->user && confine_drop(cfg->uid, cfg->gid, err, sizeof(err))) {
		log_err("%s", err);
		return -EPERM;
	}
	/* a ring per queue pair, the feature probe's two, --metrics' file, a gdb client */
	ret = confine_limit_fds(16 + 2 * NET_QUEUES_MAX);
	if (ret)
		log_warn("cannot lower RLIMIT_NOFILE: %s", strerror(-ret));
	if (cfg->seccomp == SANDBOX_ON) {
		if (cfg->metrics) {
			confine_dir_of(cfg->metrics, dirs[n], sizeof(dirs[n]));
			rules[n] = (struct landlock_rule){ dirs[n], LANDLOCK_GRANT_WRITE };
			n++;
		}
		if (cfg->gdb && strspn(cfg->gdb, "0123456789") != strlen(cfg->gdb)) {
			confine_dir_of(cfg->gdb, dirs[n], sizeof(dirs[n]));
			rules[n] = (struct landlock_rule){ dirs[n], LANDLOCK_GRANT_REMOVE };
			n++;
		}
		if (landlock_restrict(rules, n, &applied, err, sizeof(err))) {
			log_err("%s", err);
			return -EPERM;
		}
		if (!applied)
			log_info("Landlock: not in this kernel; the file system stays open");
	}
	ret = sandbox_enter(SANDBOX_MAIN);
	if (ret)
		log_err("cannot enter the seccomp sandbox: %s", strerror(-ret));
	return ret;
}
