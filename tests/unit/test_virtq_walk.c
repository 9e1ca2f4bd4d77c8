// SPDX-License-Identifier: MIT
// Unit tests for devices/virtio/virtq: the one chain walker, the chain dump built on it, and the
// violations a queue hands to its owner.
#include "tests/unit/virtq_fixture.h"

/* What the queue's owner was told. */
static unsigned int reports;
static int last_head;
static char last_msg[192];

static void record(void *opaque, const struct virtq *from, int head, const char *msg)
{
	ck_assert_ptr_eq(opaque, &reports);
	ck_assert_ptr_eq(from, &q);
	reports++;
	last_head = head;
	snprintf(last_msg, sizeof(last_msg), "%s", msg);
}

/* The chain at head as virtq_dump_chain writes it; the caller frees it. */
static char *dump(uint16_t head)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	ck_assert_ptr_nonnull(out);
	virtq_dump_chain(&q, head, out);
	fclose(out);
	return buf;
}

/* Walks the chain at head to its end; returns the descriptors yielded, *step how it ended. */
static unsigned int walk(uint16_t head, enum virtq_step *step, enum virtq_err *why)
{
	struct virtq_walk w;
	struct vring_desc d;
	unsigned int n = 0;

	virtq_walk_start(&w, &q, head);
	while ((*step = virtq_walk_next(&w, &d, why)) == VIRTQ_STEP_DESC)
		n++;
	return n;
}

START_TEST(test_virtq_walk_indirect_yields_pointer_then_table)
{
	enum virtq_step step;
	enum virtq_err why;

	ring_set_desc(&r, 0, B(0), 8, NEXT, 1);
	ring_set_desc(&r, 1, TABLE, 32, INDIRECT, 0);
	ring_set_table_desc(r.gm, TABLE, 0, B(1), 8, NEXT, 1);
	ring_set_table_desc(r.gm, TABLE, 1, B(2), 8, WRITE, 0);
	ck_assert_uint_eq(walk(0, &step, &why), 4);
	ck_assert_int_eq(step, VIRTQ_STEP_END);
}
END_TEST

/* A loop ends after the queue size of descriptors, refused as too long (§2.7.5). */
START_TEST(test_virtq_walk_loop_refused_after_queue_size)
{
	enum virtq_step step;
	enum virtq_err why;

	ring_set_desc(&r, 3, B(0), 8, NEXT, 4);
	ring_set_desc(&r, 4, B(1), 8, NEXT, 3);
	ck_assert_uint_eq(walk(3, &step, &why), QSZ);
	ck_assert_int_eq(step, VIRTQ_STEP_REFUSED);
	ck_assert_int_eq(why, VIRTQ_ERR_LOOP);
}
END_TEST

START_TEST(test_virtq_dump_chain_self_loop_shown_once)
{
	char *s;

	ring_set_desc(&r, 3, 0x1000, 64, NEXT | WRITE, 3);
	s = dump(3);
	ck_assert_str_eq(s, "  offending chain: queue 0 head 3\n"
			    "    desc 3: addr 0x1000 len 64 flags 0x3 NEXT WRITE next 3\n"
			    "    desc 3 again: the chain loops\n");
	free(s);
}
END_TEST

/* A loop inside an indirect table: the walk spends the table's entries before it repeats. */
START_TEST(test_virtq_dump_chain_indirect_loop_shown)
{
	char *s;

	ring_set_desc(&r, 3, TABLE, 32, INDIRECT, 0);
	ring_set_table_desc(r.gm, TABLE, 0, B(0), 32, NEXT | WRITE, 1);
	ring_set_table_desc(r.gm, TABLE, 1, B(1), 32, NEXT | WRITE, 0);
	s = dump(3);
	ck_assert_str_eq(s, "  offending chain: queue 0 head 3\n"
			    "    desc 3: addr 0x8000 len 32 flags 0x4 INDIRECT next 0\n"
			    "    indirect desc 0: addr 0x10000 len 32 flags 0x3 NEXT WRITE next 1\n"
			    "    indirect desc 1: addr 0x11000 len 32 flags 0x3 NEXT WRITE next 0\n"
			    "    indirect desc 0 again: the chain loops\n");
	free(s);
}
END_TEST

START_TEST(test_virtq_dump_chain_bad_next_says_why)
{
	char *s;

	ring_set_desc(&r, 2, B(0), 8, NEXT, QSZ);
	s = dump(2);
	ck_assert_str_eq(s, "  offending chain: queue 0 head 2\n"
			    "    desc 2: addr 0x10000 len 8 flags 0x1 NEXT next 16\n"
			    "    refused here: a next index beyond the table\n");
	free(s);
}
END_TEST

/* A long chain without a loop is cut after 16 descriptors; a loop through them all is named. */
START_TEST(test_virtq_dump_chain_long_chain_cut)
{
	char *s;

	ring_init(&r, &f.gm, 2 * QSZ, DESC, AVAIL, USED);
	ck_assert_int_eq(virtq_init(&q, r.gm, 2 * QSZ, DESC, AVAIL, USED, false, false), 0);
	for (uint16_t i = 0; i < 20; i++)
		ring_set_desc(&r, i, B(i), 8, i < 19 ? NEXT : 0, i + 1);
	s = dump(0);
	ck_assert_ptr_nonnull(strstr(s, "    desc 15: addr"));
	ck_assert_ptr_null(strstr(s, "    desc 16: addr"));
	ck_assert_ptr_nonnull(strstr(s, "    ... (more than 16 descriptors)\n"));
	free(s);
	ring_init(&r, &f.gm, QSZ, DESC, AVAIL, USED);
	must_init(false, false);
	for (uint16_t i = 0; i < QSZ; i++)
		ring_set_desc(&r, i, B(i), 8, NEXT, (i + 1) % QSZ);
	s = dump(0);
	ck_assert_ptr_nonnull(strstr(s, "    desc 15: addr 0x1f000 len 8 flags 0x1 NEXT next 0\n"
					"    desc 0 again: the chain loops\n"));
	free(s);
}
END_TEST

/* A refused chain reaches the owner once, with its head; the queue has counted it already. */
START_TEST(test_virtq_refused_chain_reported_to_owner)
{
	reports = 0;
	virtq_set_owner(&q, "test", 0, record, &reports);
	ring_set_desc(&r, 2, B(0), 8, NEXT, QSZ);
	assert_refused_then_good(2, VIRTQ_ERR_NEXT);
	ck_assert_uint_eq(reports, 1);
	ck_assert_int_eq(last_head, 2);
	ck_assert_str_eq(last_msg, "queue 0: chain 2 refused: a next index beyond the table");
}
END_TEST

START_TEST(test_virtq_corrupt_ring_reported_to_owner)
{
	unsigned int done;

	reports = 0;
	virtq_set_owner(&q, "test", 0, record, &reports);
	ring_set_avail_idx(&r, QSZ + 1);
	ck_assert_int_eq(virtq_pop(&q, &c, &done), VIRTQ_BROKEN);
	ck_assert_uint_eq(reports, 1);
	ck_assert_int_eq(last_head, -1);
	ck_assert_str_eq(last_msg, "queue 0: ring corrupt (avail.idx out of range: avail.idx 17, "
				   "device at 0, head 0)");
}
END_TEST

Suite *virtq_walk_suite(void)
{
	Suite *s = suite_create("virtq_walk");
	const TTest *walk_tests[] = {
		test_virtq_walk_indirect_yields_pointer_then_table,
		test_virtq_walk_loop_refused_after_queue_size,
		test_virtq_dump_chain_self_loop_shown_once,
		test_virtq_dump_chain_indirect_loop_shown,
		test_virtq_dump_chain_bad_next_says_why,
		test_virtq_dump_chain_long_chain_cut,
	};
	const TTest *owner[] = {
		test_virtq_refused_chain_reported_to_owner,
		test_virtq_corrupt_ring_reported_to_owner,
	};
	add_tcase(s, "walk", walk_tests, ARRAY_SIZE(walk_tests));
	add_tcase(s, "owner", owner, ARRAY_SIZE(owner));
	return s;
}
