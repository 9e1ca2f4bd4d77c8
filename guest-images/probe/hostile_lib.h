// SPDX-License-Identifier: MIT
// Probe guest: what both hostile-driver modes share: case lookup, report, clock, raw registers.
#ifndef PROBE_HOSTILE_LIB_H
#define PROBE_HOSTILE_LIB_H

#include "lib.h"
#include "virtio.h"

#define HL_MAX_FACTS 20 /* the most any mode keeps (its own limit: max_facts) */

struct hl_fact {
	const char *key;
	uint64_t val;
};

/*
 * A case's verdict and what it saw, for its report line: why is the first
 * failure (NULL while all is well), facts the key/value pairs in the order
 * they were first given. max_facts: the mode's limit, at most HL_MAX_FACTS.
 */
struct hl_log {
	const char *why;
	unsigned int nfacts, max_facts;
	struct hl_fact facts[HL_MAX_FACTS];
};

static inline void hl_barrier(void)
{
	__asm__ volatile("" : : : "memory");
}

static inline void hl_full_barrier(void)
{
	__asm__ volatile("mfence" : : : "memory");
}

/* A fact for the report; a key given again keeps its last value. */
void hl_fact(struct hl_log *l, const char *key, uint64_t val);
/* Keeps the first reason given; returns false, for `return hl_fail(...)`. */
bool hl_fail(struct hl_log *l, const char *why);
/*
 * Four facts on a used entry that is not the one expected (got_id, got_len,
 * want_id, want_len, in that order), then hl_fail(why).
 */
bool hl_fail_used(struct hl_log *l, uint32_t id, uint32_t len, uint32_t want_id, uint32_t want_len,
		  const char *why);

/* The report line's start: "probe", "case", "ok" and, after a failure, "reason". */
void hl_report_head(struct json *j, const char *probe, struct str name, const struct hl_log *l);
/* The facts, one member each, in order. */
void hl_report_facts(struct json *j, const struct hl_log *l);

/* The TSC rate, once per run; then microseconds to ticks and ticks since start to microseconds. */
void hl_clock_init(void);
uint64_t hl_ticks(uint64_t us);
uint64_t hl_us_since(uint64_t start);
/* Spins for us microseconds. */
void hl_spin_us(uint64_t us);

/*
 * Register access of any width (1, 2, 4, else 8 bytes) at any offset of the
 * device's window, as one instruction each (asm, so the compiler neither
 * splits nor merges them).
 */
uint64_t hl_mmio_read(const struct virtio_dev *d, uint32_t off, unsigned int size);
void hl_mmio_write(const struct virtio_dev *d, uint32_t off, unsigned int size, uint64_t v);
uint32_t hl_r32(const struct virtio_dev *d, uint32_t off);
void hl_w32(const struct virtio_dev *d, uint32_t off, uint32_t v);

/*
 * The case named by probe.case (its name in *name, "" if none): the entry of
 * that name in tables, each an array of size-byte entries whose first member
 * is the name (a const char *), ended by a NULL name. NULL, and the failure
 * "unknown probe.case" in l, if none matches.
 */
const void *hl_case_find(struct hl_log *l, struct str cmdline, struct str *name,
			 const void *const *tables, unsigned int ntables, size_t size);

/* Opens the first device with device_id among the command line's virtio_mmio.device= words. */
bool hl_open(struct virtio_dev *d, struct str cmdline, uint32_t device_id);

#endif
