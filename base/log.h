// SPDX-License-Identifier: MIT
// Logging to stderr with levels, and a rate limiter for guest-triggered messages.
#ifndef MINNOW_LOG_H
#define MINNOW_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/compiler.h"

enum log_level { LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG, LOG_TRACE };

extern enum log_level log_threshold;

void log_msg(enum log_level level, const char *fmt, ...) __printf(2, 3);
/* Parses "error", "warn", "info", "debug" or "trace"; -EINVAL otherwise. */
int log_parse_level(const char *name, enum log_level *level) __must_check;
/* Formats a message for the caller to report into err, and returns ret (-errno). */
int log_errbuf(char *err, size_t errlen, int ret, const char *fmt, ...) __printf(4, 5);

#define log_err(...)	log_msg(LOG_ERROR, __VA_ARGS__)
#define log_warn(...)	log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...)	log_msg(LOG_INFO, __VA_ARGS__)
#define log_dbg(...)	log_msg(LOG_DEBUG, __VA_ARGS__)

/*
 * A token bucket for messages a guest can trigger at will: at most burst
 * lines, refilled at one per interval; what was suppressed is reported with
 * the next line that passes. Owned by one thread, or used under the owner's
 * lock.
 */
struct log_ratelimit {
	uint64_t interval_ns;
	unsigned int burst;
	unsigned int tokens;
	uint64_t last_ns;
	uint64_t suppressed;
};

#define LOG_RATELIMIT_INIT { .interval_ns = 1000000000ULL, .burst = 10, .tokens = 10 }

/* True when the caller may log now; counts the line as suppressed otherwise. */
bool log_ratelimit_ok(struct log_ratelimit *rl, uint64_t now_ns);
uint64_t log_now_ns(void);

#define log_ratelimited(rl, level, fmt, ...)                                          \
	do {                                                                          \
		if ((level) <= log_threshold && log_ratelimit_ok((rl), log_now_ns())) \
			log_msg((level), fmt, ##__VA_ARGS__);                         \
	} while (0)

#endif
