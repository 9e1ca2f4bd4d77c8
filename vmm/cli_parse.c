// SPDX-License-Identifier: MIT
// Command-line values: sizes and bounded numbers, shared by the option parsers (cli.c, cli_net.c).
#include <errno.h>
#include <stdlib.h>
#include <strings.h>

#include "vmm/cli_parse.h"

int cli_parse_size(const char *s, uint64_t *bytes)
{
	uint64_t mult = MiB, v;
	char *end;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -EINVAL;
	if (*end) {
		static const struct { const char *suffix[3]; uint64_t mult; } units[] = {
			{ { "K", "KiB", "KB" }, KiB }, { { "M", "MiB", "MB" }, MiB },
			{ { "G", "GiB", "GB" }, GiB }, { { "T", "TiB", "TB" }, 1024 * GiB },
		};
		mult = 0;
		for (size_t u = 0; u < ARRAY_SIZE(units) && !mult; u++)
			for (size_t k = 0; k < 3; k++)
				if (strcasecmp(end, units[u].suffix[k]) == 0)
					mult = units[u].mult;
		if (!mult)
			return -EINVAL;
	}
	if (__builtin_mul_overflow(v, mult, bytes))
		return -ERANGE;
	return 0;
}

int cli_parse_uint(const char *s, unsigned long min, unsigned long max, unsigned int *out)
{
	unsigned long v;
	char *end;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}
