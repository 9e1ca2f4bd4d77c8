// SPDX-License-Identifier: MIT
// Shared fixture of the virtq unit tests (test_virtq.c, test_virtq_ring.c): fake RAM with a hole,
// a ring builder, and asserts on chains and used entries.
#ifndef MINNOW_VIRTQ_FIXTURE_H
#define MINNOW_VIRTQ_FIXTURE_H

#include <check.h>
#include <errno.h>
#include <linux/virtio_ring.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devices/virtio/virtq.h"
#include "tests/support/fake_gmem.h"
#include "tests/support/ring.h"
#include "tests/unit/suites.h"

/* RAM [0, 1 MiB) and [16 MiB, 16 MiB + 64 KiB), a hole between. */
#define LOW	 (1 * MiB)
#define HOLE_END (16 * MiB)
#define HIGH	 (64 * KiB)

#define QSZ	 16
#define DESC	 0x1000ULL
#define AVAIL	 0x2000ULL
#define USED	 0x3000ULL
#define TABLE	 0x8000ULL	/* indirect tables */
#define TABLE2	 0x9000ULL
#define BUF	 0x10000ULL	/* data buffers, B(i) apart */
#define B(i)	 (BUF + 0x1000ULL * (i))
#define GOOD	 (QSZ - 1)	/* descriptor of the good chain that follows a bad one */
#define GOOD_BUF 0x40000ULL

#define NEXT	 VRING_DESC_F_NEXT
#define WRITE	 VRING_DESC_F_WRITE
#define INDIRECT VRING_DESC_F_INDIRECT

static struct fake_gmem f __unused;
static struct ring r __unused;
static struct virtq q __unused;
static struct virtq_chain c __unused;

static inline void must_init(bool event_idx, bool indirect)
{
	int err = virtq_init(&q, r.gm, QSZ, r.desc, r.avail, r.used, event_idx, indirect);

	ck_assert_int_eq(err, 0);
}

static inline void setup(void)
{
	fake_gmem_init(&f, LOW, HOLE_END, HIGH);
	ring_init(&r, &f.gm, QSZ, DESC, AVAIL, USED);
	memset(&c, 0, sizeof(c));
	must_init(false, true);
}

static inline void teardown(void)
{
	fake_gmem_destroy(&f);
}

static inline void *ram(uint64_t gpa)
{
	return gmem_ptr(r.gm, GPA(gpa), 1);
}

/* virtq_init, checking that virtq_validate (the transport's check) agrees with it. */
static inline int init_at(uint16_t size, uint64_t desc, uint64_t avail, uint64_t used)
{
	int err = virtq_init(&q, &f.gm, size, desc, avail, used, false, false);

	ck_assert_int_eq(virtq_validate(&f.gm, size, desc, avail, used), err);
	return err;
}

static inline uint64_t errors_total(void)
{
	uint64_t n = 0;

	for (unsigned int i = 0; i < VIRTQ_ERR_MAX; i++)
		n += q.errors[i];
	return n;
}

static inline void assert_used(uint16_t k, uint32_t want_id, uint32_t want_len)
{
	uint32_t id, len;

	ring_used(&r, k, &id, &len);
	ck_assert_uint_eq(id, want_id);
	ck_assert_uint_eq(len, want_len);
}

static inline void assert_iov(unsigned int i, uint64_t gpa, size_t len)
{
	ck_assert_ptr_eq(c.iov[i].iov_base, ram(gpa));
	ck_assert_uint_eq(c.iov[i].iov_len, len);
}

/* One pop that must give exactly this chain and complete nothing on the way. */
static inline void assert_pop(uint16_t head, unsigned int nr_out, unsigned int nr_in, uint32_t out_bytes,
		       uint32_t in_bytes)
{
	unsigned int done = 99;

	ck_assert_int_eq(virtq_pop(&q, &c, &done), VIRTQ_CHAIN);
	ck_assert_uint_eq(done, 0);
	ck_assert_uint_eq(c.head, head);
	ck_assert_uint_eq(c.nr_out, nr_out);
	ck_assert_uint_eq(c.nr_in, nr_in);
	ck_assert_uint_eq(c.out_bytes, out_bytes);
	ck_assert_uint_eq(c.in_bytes, in_bytes);
	ck_assert_ptr_eq(c.iov, q.iov);
}

static inline void assert_empty(void)
{
	unsigned int done = 99;

	ck_assert_int_eq(virtq_pop(&q, &c, &done), VIRTQ_EMPTY);
	ck_assert_uint_eq(done, 0);
}

/*
 * Publishes the chain at bad (already written), then a good one-descriptor
 * chain at GOOD, and pops once: the bad chain must come back to the driver
 * with used length 0 and exactly one more count under why, and the good one
 * must be returned by the same call, so the queue keeps serving.
 */
static inline void assert_refused_then_good(uint16_t bad, enum virtq_err why)
{
	uint16_t used0 = ring_used_idx(&r);
	uint64_t before = q.errors[why], total = errors_total();
	unsigned int done = 99;

	ring_set_desc(&r, GOOD, GOOD_BUF, 32, 0, 0);
	ring_add_avail(&r, bad);
	ring_add_avail(&r, GOOD);
	ck_assert_int_eq(virtq_pop(&q, &c, &done), VIRTQ_CHAIN);
	ck_assert_uint_eq(done, 1);
	ck_assert_uint_eq(q.errors[why], before + 1);
	ck_assert_uint_eq(errors_total(), total + 1);
	ck_assert_uint_eq(ring_used_idx(&r), (uint16_t)(used0 + 1));
	assert_used(used0, bad, 0);
	ck_assert_uint_eq(c.head, GOOD);
	ck_assert_uint_eq(c.nr_out, 1);
	ck_assert_uint_eq(c.nr_in, 0);
	ck_assert_uint_eq(c.out_bytes, 32);
	ck_assert_uint_eq(c.in_bytes, 0);
	assert_iov(0, GOOD_BUF, 32);
	ck_assert_int_eq(q.broken, VIRTQ_OK);
	virtq_push(&q, GOOD, 0);
	assert_used(used0 + 1, GOOD, 0);
}

/* Adds n tests, forked (the default) and each with its own fixture run. */
static inline void add_tcase(Suite *s, const char *name, const TTest *const *tests, size_t n)
{
	TCase *tc = tcase_create(name);

	/* Loops must end: a timeout is a failure, not a hang. */
	tcase_set_timeout(tc, 10);
	tcase_add_checked_fixture(tc, setup, teardown);
	for (size_t i = 0; i < n; i++)
		tcase_add_test(tc, tests[i]);
	suite_add_tcase(s, tc);
}

#endif
