// SPDX-License-Identifier: MIT
// Logging to stderr with levels, and a rate limiter for guest-triggered messages.
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/log.h"

enum log_level log_threshold = LOG_WARN;

static const char *const log_names[] = {
	[LOG_ERROR] = "error", [LOG_WARN] = "warn", [LOG_INFO] = "info",
	[LOG_DEBUG] = "debug", [LOG_TRACE] = "trace",
};

void log_msg(enum log_level level, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n;

	if (level > log_threshold)
		return;
	n = snprintf(line, sizeof(line), "minnow: %s: ", log_names[level]);
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	va_end(ap);
	/* One fprintf per line so lines from several threads do not interleave. */
	fprintf(stderr, "%s\n", line);
}

int log_parse_level(const char *name, enum log_level *level)
{
	for (size_t i = 0; i < ARRAY_SIZE(log_names); i++) {
		if (strcmp(name, log_names[i]) == 0) {
			*level = i;
			return 0;
		}
	}
	return -EINVAL;
}

int log_errbuf(char *err, size_t errlen, int ret, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return ret;
}

uint64_t log_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

bool log_ratelimit_ok(struct log_ratelimit *rl, uint64_t now_ns)
{
	uint64_t refill = rl->interval_ns ? (now_ns - rl->last_ns) / rl->interval_ns : rl->burst;

	if (refill > 0) {
		rl->tokens = MIN((uint64_t)rl->burst, rl->tokens + refill);
		rl->last_ns = now_ns;
	}
	if (rl->tokens == 0) {
		rl->suppressed++;
		return false;
	}
	rl->tokens--;
	if (rl->suppressed) {
		log_msg(LOG_WARN, "%llu similar messages suppressed",
			(unsigned long long)rl->suppressed);
		rl->suppressed = 0;
	}
	return true;
}
