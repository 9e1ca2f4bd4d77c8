// SPDX-License-Identifier: MIT
// --dump-dtb and --dump-acpi: write out exactly what the guest sees, for inspection.
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/log.h"
#include "firmware/dump.h"
#include "firmware/mdesc.h"

static int dump_file(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	const uint8_t *p = data;
	int err = 0;

	if (fd < 0) {
		err = -errno;
		log_err("cannot create '%s': %s", path, strerror(errno));
		return err;
	}
	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			err = n < 0 ? -errno : -EIO;
			log_err("cannot write '%s': %s", path, strerror(-err));
			break;
		}
		p += n;
		len -= n;
	}
	if (close(fd) < 0 && !err) {
		err = -errno;
		log_err("cannot write '%s': %s", path, strerror(errno));
	}
	return err;
}

int dump_dtb(const char *path, const void *mdesc)
{
	return dump_file(path, mdesc, mdesc_size(mdesc));
}

int dump_acpi(const char *dir, const struct gmem *gm, const struct acpi_table *tables,
	      unsigned int n)
{
	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		int err = -errno;

		log_err("cannot create directory '%s': %s", dir, strerror(errno));
		return err;
	}
	for (unsigned int i = 0; i < n; i++) {
		char path[4096], sig[5];
		const void *p = gmem_ptr(gm, GPA(tables[i].gpa), tables[i].len);
		int err;

		for (int c = 0; c < 5; c++)
			sig[c] = tolower((unsigned char)tables[i].sig[c]);
		if (!p || snprintf(path, sizeof(path), "%s/%s.dat", dir, sig) >= (int)sizeof(path))
			return -EINVAL;
		err = dump_file(path, p, tables[i].len);
		if (err)
			return err;
	}
	return 0;
}
