// SPDX-License-Identifier: MIT
// --trace: one stderr line per data-path event in the categories asked for; free when off.
#include <errno.h>
#include <stdarg.h>
#include <string.h>

#include "base/log.h"
#include "base/trace.h"

unsigned int trace_mask;
static uint64_t trace_t0;

static const struct {
	const char *name, *what;
} trace_cats[TRACE_NR] = {
	[TRACE_MMIO] = { "mmio", "virtio-mmio register reads and writes: offset, value, width" },
	[TRACE_VIRTQ] = { "virtq", "chains taken (head, indices, pieces, bytes), refused, returned" },
	[TRACE_NET] = { "net", "frames to and from the tap: length, header fields, verdict" },
	[TRACE_URING] = { "uring", "io_uring requests submitted and completions with their result" },
	[TRACE_IRQ] = { "irq", "interrupts raised, and those the driver's EVENT_IDX suppressed" },
};

void trace_start(unsigned int mask)
{
	trace_t0 = log_now_ns();
	trace_mask = mask;
}

void trace_line(enum trace_cat cat, const char *fmt, ...)
{
	uint64_t ns = log_now_ns() - trace_t0;
	char line[512];
	va_list ap;
	int n;

	n = snprintf(line, sizeof(line), "minnow: trace %llu.%06llu %s: ",
		     (unsigned long long)(ns / 1000000000ULL),
		     (unsigned long long)(ns % 1000000000ULL / 1000), trace_cats[cat].name);
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	va_end(ap);
	/* One fprintf per line so lines from several threads do not interleave. */
	fprintf(stderr, "%s\n", line);
}

static int trace_word(const char *w, unsigned int *mask)
{
	if (strcmp(w, "all") == 0) {
		*mask |= (1u << TRACE_NR) - 1;
		return 0;
	}
	for (unsigned int c = 0; c < TRACE_NR; c++) {
		if (strcmp(w, trace_cats[c].name) == 0) {
			*mask |= 1u << c;
			return 0;
		}
	}
	return -EINVAL;
}

void trace_help(FILE *out)
{
	fprintf(out, "trace categories (--trace CAT,CAT... or all):\n");
	for (unsigned int c = 0; c < TRACE_NR; c++)
		fprintf(out, "  %-6s %s\n", trace_cats[c].name, trace_cats[c].what);
}

int trace_parse(const char *list, unsigned int *mask, char *bad, size_t badlen)
{
	const char *p = list;

	*mask = 0;
	for (;;) {
		size_t len = strcspn(p, ",");
		char w[16];

		if (badlen) {	/* the word, for the caller's message */
			size_t n = len < badlen ? len : badlen - 1;

			memcpy(bad, p, n);
			bad[n] = 0;
		}
		if (len == 0 || len >= sizeof(w))
			return -EINVAL;
		memcpy(w, p, len);
		w[len] = 0;
		if (trace_word(w, mask))
			return -EINVAL;
		if (!p[len])
			return 0;
		p += len + 1;
	}
}
