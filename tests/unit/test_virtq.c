// SPDX-License-Identifier: MIT
// Unit tests for devices/virtio/virtq: queue setup and chain walking over hostile rings.
// Ring indices and notification are in test_virtq_ring.c.
#include "tests/unit/virtq_fixture.h"

/* ---- init ---- */

START_TEST(test_virtq_init_good_config_accepted)
{
	ck_assert_int_eq(virtq_init(&q, &f.gm, QSZ, DESC, AVAIL, USED, true, false), 0);
	ck_assert_uint_eq(q.size, QSZ);
	ck_assert(q.event_idx);
	ck_assert(!q.indirect);
	ck_assert_uint_eq(q.desc_gpa, DESC);
	ck_assert_uint_eq(q.avail_gpa, AVAIL);
	ck_assert_uint_eq(q.used_gpa, USED);
	ck_assert_ptr_eq(q.desc, ram(DESC));
	ck_assert_ptr_eq((const void *)q.avail, ram(AVAIL));
	ck_assert_ptr_eq((void *)q.used, ram(USED));
	ck_assert_uint_eq(q.next_avail, 0);
	ck_assert_uint_eq(q.next_used, 0);
	ck_assert_int_eq(q.broken, VIRTQ_OK);
	ck_assert_uint_eq(q.chains, 0);
	ck_assert_uint_eq(errors_total(), 0);
	/* The high region serves as well as the low one. */
	ck_assert_int_eq(init_at(QSZ, HOLE_END, HOLE_END + 0x1000, HOLE_END + 0x2000), 0);
	ck_assert_ptr_eq(q.desc, ram(HOLE_END));
	/* Sizes 1 and the maximum. */
	ck_assert_int_eq(init_at(1, DESC, AVAIL, USED), 0);
	ck_assert_uint_eq(q.size, 1);
	ck_assert_int_eq(init_at(VIRTQ_MAX_SIZE, 0x10000, 0x20000, 0x30000), 0);
	ck_assert_uint_eq(q.size, VIRTQ_MAX_SIZE);
}
END_TEST

START_TEST(test_virtq_init_bad_size_rejected)
{
	static const uint16_t bad[] = { 0, 3, 6, 1000, 1023, 2048, 32768 };

	for (unsigned int i = 0; i < ARRAY_SIZE(bad); i++) {
		ck_assert_int_eq(init_at(bad[i], DESC, 0x10000, 0x20000), -EINVAL);
		ck_assert_uint_eq(q.size, 0);
	}
}
END_TEST

START_TEST(test_virtq_init_misaligned_ring_rejected)
{
	ck_assert_int_eq(init_at(QSZ, DESC + 8, AVAIL, USED), -EINVAL);
	ck_assert_int_eq(init_at(QSZ, DESC + 1, AVAIL, USED), -EINVAL);
	ck_assert_int_eq(init_at(QSZ, DESC, AVAIL + 1, USED), -EINVAL);
	ck_assert_int_eq(init_at(QSZ, DESC, AVAIL, USED + 2), -EINVAL);
	ck_assert_int_eq(init_at(QSZ, DESC, AVAIL, USED + 1), -EINVAL);
	/* §2.7: 16, 2 and 4 are the whole requirement. */
	ck_assert_int_eq(init_at(QSZ, DESC + 16, AVAIL + 2, USED + 4), 0);
}
END_TEST

START_TEST(test_virtq_init_ring_straddling_ram_end_rejected)
{
	/* Sizes for 16 entries: desc 256, avail 6 + 32 = 38, used 6 + 128 = 134. */
	ck_assert_int_eq(init_at(QSZ, LOW - 256 + 16, AVAIL, USED), -EINVAL);
	ck_assert_int_eq(init_at(QSZ, DESC, LOW - 38 + 2, USED), -EINVAL);
	ck_assert_int_eq(init_at(QSZ, DESC, AVAIL, LOW - 132), -EINVAL);
	ck_assert_int_eq(init_at(QSZ, HOLE_END + HIGH - 240, AVAIL, USED), -EINVAL);
	/* Ending exactly at the end of a region is inside. */
	ck_assert_int_eq(init_at(QSZ, LOW - 256, AVAIL, USED), 0);
	ck_assert_int_eq(init_at(QSZ, DESC, LOW - 38, USED), 0);
	ck_assert_int_eq(init_at(QSZ, DESC, AVAIL, LOW - 136), 0);	/* 134 is not 4-aligned */
	ck_assert_int_eq(init_at(QSZ, HOLE_END + HIGH - 256, AVAIL, USED), 0);
}
END_TEST

START_TEST(test_virtq_init_ring_outside_ram_rejected)
{
	ck_assert_int_eq(init_at(QSZ, LOW + 0x1000, AVAIL, USED), -EINVAL);
	ck_assert_int_eq(init_at(QSZ, DESC, HOLE_END - 0x100, USED), -EINVAL);
	ck_assert_int_eq(init_at(QSZ, DESC, AVAIL, HOLE_END + HIGH), -EINVAL);
	/* Starts in the hole, ends in high RAM. */
	ck_assert_int_eq(init_at(QSZ, DESC, AVAIL, HOLE_END - 64), -EINVAL);
	/* At the top of the address space: the end wraps. */
	ck_assert_int_eq(init_at(QSZ, UINT64_MAX - 15, AVAIL, USED), -EINVAL);
	ck_assert_int_eq(init_at(QSZ, DESC, UINT64_MAX - 1, USED), -EINVAL);
	ck_assert_int_eq(init_at(QSZ, DESC, AVAIL, UINT64_MAX - 3), -EINVAL);
	ck_assert_uint_eq(q.size, 0);
}
END_TEST

START_TEST(test_virtq_metrics_counts_written)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	ring_set_desc(&r, 0, B(0), 8, NEXT, QSZ);
	assert_refused_then_good(0, VIRTQ_ERR_NEXT);
	ring_add_avail(&r, QSZ);
	ck_assert_int_eq(virtq_pop(&q, &c, &(unsigned int){ 0 }), VIRTQ_BROKEN);
	ck_assert_ptr_nonnull(out);
	virtq_metrics(&q, out);
	ck_assert_int_eq(fclose(out), 0);
	ck_assert_str_eq(buf, "{\"size\":16,\"chains\":1,\"next_avail\":2,\"next_used\":2,"
			      "\"broken\":\"head\",\"bad_chains\":{\"address\":0,\"next\":1,"
			      "\"too_long\":0,\"order\":0,\"indirect\":0,\"total\":0}}");
	free(buf);
	for (unsigned int i = 0; i < VIRTQ_ERR_MAX; i++)
		ck_assert_ptr_nonnull(virtq_err_names[i]);
	ck_assert_str_eq(virtq_err_names[VIRTQ_ERR_LOOP], "too_long");
}
END_TEST

/* ---- good chains ---- */

START_TEST(test_virtq_pop_single_readable_returned)
{
	ring_set_desc(&r, 0, B(0), 100, 0, 0);
	ring_add_avail(&r, 0);
	assert_pop(0, 1, 0, 100, 0);
	assert_iov(0, B(0), 100);
	ck_assert_uint_eq(q.next_avail, 1);
	ck_assert_uint_eq(q.chains, 1);
	assert_empty();
	virtq_push(&q, 0, 0);
	ck_assert_uint_eq(ring_used_idx(&r), 1);
	ck_assert_uint_eq(q.next_used, 1);
	assert_used(0, 0, 0);
}
END_TEST

START_TEST(test_virtq_pop_single_writable_returned)
{
	ring_set_desc(&r, 4, B(1), 100, WRITE, 0);
	ring_add_avail(&r, 4);
	assert_pop(4, 0, 1, 0, 100);
	assert_iov(0, B(1), 100);
	virtq_push(&q, 4, 60);
	ck_assert_uint_eq(ring_used_idx(&r), 1);
	assert_used(0, 4, 60);
}
END_TEST

START_TEST(test_virtq_pop_two_out_three_in_iov_exact)
{
	/* Scattered indices, one buffer in high RAM: the walk follows next, not order. */
	ring_set_desc(&r, 7, B(0), 10, NEXT, 2);
	ring_set_desc(&r, 2, B(1), 20, NEXT, 11);
	ring_set_desc(&r, 11, B(2), 30, NEXT | WRITE, 0);
	ring_set_desc(&r, 0, HOLE_END + 0x100, 40, NEXT | WRITE, 5);
	ring_set_desc(&r, 5, B(3), 50, WRITE, 9);	/* next ignored without NEXT */
	ring_add_avail(&r, 7);
	assert_pop(7, 2, 3, 30, 120);
	assert_iov(0, B(0), 10);
	assert_iov(1, B(1), 20);
	assert_iov(2, B(2), 30);
	assert_iov(3, HOLE_END + 0x100, 40);
	assert_iov(4, B(3), 50);
	assert_empty();
}
END_TEST

START_TEST(test_virtq_pop_indirect_three_entries_returned)
{
	ring_set_desc(&r, 3, TABLE, 48, INDIRECT, 0);
	ring_set_table_desc(&f.gm, TABLE, 0, B(0), 10, NEXT, 2);
	ring_set_table_desc(&f.gm, TABLE, 2, B(1), 20, NEXT, 1);
	ring_set_table_desc(&f.gm, TABLE, 1, B(2), 30, WRITE, 0);
	ring_add_avail(&r, 3);
	assert_pop(3, 2, 1, 30, 30);
	assert_iov(0, B(0), 10);
	assert_iov(1, B(1), 20);
	assert_iov(2, B(2), 30);
}
END_TEST

START_TEST(test_virtq_pop_indirect_write_flag_ignored)
{
	/* §2.7.5.3.1: the device ignores WRITE on the descriptor naming a table. */
	ring_set_desc(&r, 0, TABLE, 16, INDIRECT | WRITE, 0);
	ring_set_table_desc(&f.gm, TABLE, 0, B(0), 10, 0, 0);
	ring_add_avail(&r, 0);
	assert_pop(0, 1, 0, 10, 0);
	assert_iov(0, B(0), 10);
}
END_TEST

START_TEST(test_virtq_pop_indirect_table_of_queue_size_accepted)
{
	ring_set_desc(&r, 0, TABLE, 16 * QSZ, INDIRECT, 0);
	for (unsigned int i = 0; i < QSZ; i++)
		ring_set_table_desc(&f.gm, TABLE, i, B(0) + i, 1, i + 1 < QSZ ? NEXT : 0, i + 1);
	ring_add_avail(&r, 0);
	assert_pop(0, QSZ, 0, QSZ, 0);
	assert_iov(QSZ - 1, B(0) + QSZ - 1, 1);
}
END_TEST

START_TEST(test_virtq_pop_zero_length_descriptor_skipped)
{
	/*
	 * Zero-length descriptors carry no bytes: they are neither mapped (the
	 * address is never checked) nor put in the iov, and do not count for
	 * the readable-before-writable order.
	 */
	ring_set_desc(&r, 0, B(0), 10, NEXT, 1);
	ring_set_desc(&r, 1, UINT64_MAX - 0xff, 0, NEXT | WRITE, 2);
	ring_set_desc(&r, 2, B(1), 20, NEXT, 3);
	ring_set_desc(&r, 3, B(2), 30, WRITE, 0);
	ring_add_avail(&r, 0);
	assert_pop(0, 2, 1, 30, 30);
	assert_iov(0, B(0), 10);
	assert_iov(1, B(1), 20);
	assert_iov(2, B(2), 30);
}
END_TEST

START_TEST(test_virtq_pop_only_zero_length_returned_without_buffers)
{
	ring_set_desc(&r, 0, 0, 0, 0, 0);
	ring_add_avail(&r, 0);
	assert_pop(0, 0, 0, 0, 0);
	ck_assert_uint_eq(errors_total(), 0);
}
END_TEST

START_TEST(test_virtq_pop_range_ending_at_ram_end_accepted)
{
	ring_set_desc(&r, 0, LOW - 8, 8, NEXT, 1);
	ring_set_desc(&r, 1, HOLE_END + HIGH - 16, 16, WRITE, 0);
	ring_add_avail(&r, 0);
	assert_pop(0, 1, 1, 8, 16);
	assert_iov(0, LOW - 8, 8);
	assert_iov(1, HOLE_END + HIGH - 16, 16);
}
END_TEST

START_TEST(test_virtq_pop_chain_of_queue_size_accepted)
{
	for (unsigned int i = 0; i < QSZ; i++)
		ring_set_desc(&r, i, B(0) + i, 1, i + 1 < QSZ ? NEXT : 0, i + 1);
	ring_add_avail(&r, 0);
	assert_pop(0, QSZ, 0, QSZ, 0);
	for (unsigned int i = 0; i < QSZ; i++)
		assert_iov(i, B(0) + i, 1);
	ck_assert_uint_eq(errors_total(), 0);
}
END_TEST

START_TEST(test_virtq_pop_full_ring_of_queue_size_chains_accepted)
{
	/* avail.idx exactly size ahead is the most a driver may publish (§2.7.13.3). */
	for (unsigned int i = 0; i < QSZ; i++) {
		ring_set_desc(&r, i, B(i), i + 1, 0, 0);
		ring_add_avail(&r, i);
	}
	for (unsigned int i = 0; i < QSZ; i++) {
		assert_pop(i, 1, 0, i + 1, 0);
		assert_iov(0, B(i), i + 1);
	}
	assert_empty();
	ck_assert_uint_eq(q.chains, QSZ);
}
END_TEST

/* ---- bad chains ---- */

START_TEST(test_virtq_pop_indirect_not_negotiated_refused)
{
	must_init(false, false);
	ring_set_desc(&r, 0, TABLE, 48, INDIRECT, 0);
	for (unsigned int i = 0; i < 3; i++)
		ring_set_table_desc(&f.gm, TABLE, i, B(i), 8, i < 2 ? NEXT : 0, i + 1);
	assert_refused_then_good(0, VIRTQ_ERR_INDIRECT);
}
END_TEST

START_TEST(test_virtq_pop_nested_indirect_refused)
{
	ring_set_desc(&r, 0, TABLE, 16, INDIRECT, 0);
	ring_set_table_desc(&f.gm, TABLE, 0, TABLE2, 16, INDIRECT, 0);
	ring_set_table_desc(&f.gm, TABLE2, 0, B(0), 8, 0, 0);
	assert_refused_then_good(0, VIRTQ_ERR_INDIRECT);
}
END_TEST

START_TEST(test_virtq_pop_indirect_with_next_refused)
{
	ring_set_desc(&r, 0, TABLE, 16, INDIRECT | NEXT, 1);
	ring_set_desc(&r, 1, B(1), 8, 0, 0);
	ring_set_table_desc(&f.gm, TABLE, 0, B(0), 8, 0, 0);
	assert_refused_then_good(0, VIRTQ_ERR_INDIRECT);
}
END_TEST

START_TEST(test_virtq_pop_indirect_bad_table_len_refused)
{
	for (unsigned int i = 0; i <= QSZ; i++)
		ring_set_table_desc(&f.gm, TABLE, i, B(0), 8, 0, 0);
	ring_set_desc(&r, 0, TABLE, 0, INDIRECT, 0);
	ring_set_desc(&r, 1, TABLE, 24, INDIRECT, 0);
	ring_set_desc(&r, 2, TABLE, 16 * (QSZ + 1), INDIRECT, 0);
	assert_refused_then_good(0, VIRTQ_ERR_INDIRECT);
	assert_refused_then_good(1, VIRTQ_ERR_INDIRECT);
	assert_refused_then_good(2, VIRTQ_ERR_INDIRECT);
	ck_assert_uint_eq(q.errors[VIRTQ_ERR_INDIRECT], 3);
	ck_assert_uint_eq(ring_used_idx(&r), 6);
}
END_TEST

START_TEST(test_virtq_pop_indirect_table_outside_ram_refused)
{
	ring_set_desc(&r, 0, LOW + 0x1000, 32, INDIRECT, 0);
	ring_set_desc(&r, 1, LOW - 16, 32, INDIRECT, 0);
	ring_set_desc(&r, 2, UINT64_MAX - 15, 32, INDIRECT, 0);
	assert_refused_then_good(0, VIRTQ_ERR_ADDR);
	assert_refused_then_good(1, VIRTQ_ERR_ADDR);
	assert_refused_then_good(2, VIRTQ_ERR_ADDR);
	ck_assert_uint_eq(q.errors[VIRTQ_ERR_ADDR], 3);
}
END_TEST

START_TEST(test_virtq_pop_indirect_table_loop_refused)
{
	/* Budget inside a table is its entry count: 0 -> 1 -> 2 -> 0 stops there. */
	ring_set_desc(&r, 0, TABLE, 48, INDIRECT, 0);
	for (unsigned int i = 0; i < 3; i++)
		ring_set_table_desc(&f.gm, TABLE, i, B(i), 8, NEXT, (i + 1) % 3);
	ring_set_desc(&r, 1, TABLE2, 16, INDIRECT, 0);
	ring_set_table_desc(&f.gm, TABLE2, 0, B(0), 8, NEXT, 0);
	assert_refused_then_good(0, VIRTQ_ERR_LOOP);
	assert_refused_then_good(1, VIRTQ_ERR_LOOP);
	ck_assert_uint_eq(q.errors[VIRTQ_ERR_LOOP], 2);
}
END_TEST

START_TEST(test_virtq_pop_indirect_next_beyond_table_refused)
{
	/* 2 is a valid ring index but not an entry of a 2-entry table. */
	ring_set_desc(&r, 0, TABLE, 32, INDIRECT, 0);
	ring_set_table_desc(&f.gm, TABLE, 0, B(0), 8, NEXT, 2);
	ring_set_table_desc(&f.gm, TABLE, 2, B(1), 8, 0, 0);
	assert_refused_then_good(0, VIRTQ_ERR_NEXT);
}
END_TEST

START_TEST(test_virtq_pop_direct_then_indirect_past_queue_size_refused)
{
	/*
	 * A direct chain may end in a table (each part has its own budget), but
	 * the whole chain never holds more than size buffers: 14 direct buffers
	 * then a 3-entry table stop at the 17th buffer.
	 */
	for (unsigned int i = 0; i < QSZ - 2; i++)
		ring_set_desc(&r, i, B(0) + i, 1, NEXT, i + 1);
	ring_set_desc(&r, QSZ - 2, TABLE, 48, INDIRECT, 0);
	for (unsigned int i = 0; i < 3; i++)
		ring_set_table_desc(&f.gm, TABLE, i, B(1) + i, 1, i < 2 ? NEXT : 0, i + 1);
	assert_refused_then_good(0, VIRTQ_ERR_LOOP);
	/* One entry fewer in the table: 14 + 2 = 16 buffers is allowed. */
	ring_set_desc(&r, QSZ - 2, TABLE, 32, INDIRECT, 0);
	ring_set_table_desc(&f.gm, TABLE, 1, B(1) + 1, 1, 0, 0);
	ring_add_avail(&r, 0);
	assert_pop(0, QSZ, 0, QSZ, 0);
	assert_iov(QSZ - 1, B(1) + 1, 1);
}
END_TEST

START_TEST(test_virtq_pop_loops_refused)
{
	/* A self-loop at 0; a 2-cycle 1 <-> 2; 3 -> 4 -> 5 -> 6 -> 4; zero-length 7 <-> 8. */
	ring_set_desc(&r, 0, B(0), 8, NEXT, 0);
	ring_set_desc(&r, 1, B(0), 8, NEXT, 2);
	ring_set_desc(&r, 2, B(1), 8, NEXT, 1);
	ring_set_desc(&r, 3, B(0), 8, NEXT, 4);
	ring_set_desc(&r, 4, B(1), 8, NEXT, 5);
	ring_set_desc(&r, 5, B(2), 8, NEXT, 6);
	ring_set_desc(&r, 6, B(3), 8, NEXT, 4);
	ring_set_desc(&r, 7, 0, 0, NEXT, 8);	/* no bytes, but still uses up the budget */
	ring_set_desc(&r, 8, 0, 0, NEXT, 7);
	assert_refused_then_good(0, VIRTQ_ERR_LOOP);
	assert_refused_then_good(1, VIRTQ_ERR_LOOP);
	assert_refused_then_good(3, VIRTQ_ERR_LOOP);
	assert_refused_then_good(7, VIRTQ_ERR_LOOP);
	ck_assert_uint_eq(q.errors[VIRTQ_ERR_LOOP], 4);
}
END_TEST

START_TEST(test_virtq_pop_chain_of_queue_size_plus_one_refused)
{
	unsigned int done = 99;

	/* All size descriptors, the last pointing back at the first: size + 1 visits. */
	for (unsigned int i = 0; i < QSZ; i++)
		ring_set_desc(&r, i, B(0) + i, 1, NEXT, (i + 1) % QSZ);
	ring_add_avail(&r, 0);
	ck_assert_int_eq(virtq_pop(&q, &c, &done), VIRTQ_EMPTY);
	ck_assert_uint_eq(done, 1);
	ck_assert_uint_eq(q.errors[VIRTQ_ERR_LOOP], 1);
	ck_assert_uint_eq(errors_total(), 1);
	ck_assert_uint_eq(ring_used_idx(&r), 1);
	assert_used(0, 0, 0);
	/* The queue goes on. */
	ring_set_desc(&r, 5, B(5), 8, 0, 0);
	ring_add_avail(&r, 5);
	assert_pop(5, 1, 0, 8, 0);
	assert_iov(0, B(5), 8);
}
END_TEST

START_TEST(test_virtq_pop_next_beyond_queue_refused)
{
	ring_set_desc(&r, 0, B(0), 8, NEXT, QSZ);
	ring_set_desc(&r, 1, B(0), 8, NEXT, 0xffff);
	assert_refused_then_good(0, VIRTQ_ERR_NEXT);
	assert_refused_then_good(1, VIRTQ_ERR_NEXT);
	ck_assert_uint_eq(q.errors[VIRTQ_ERR_NEXT], 2);
}
END_TEST

START_TEST(test_virtq_pop_addr_len_wrapping_refused)
{
	ring_set_desc(&r, 0, UINT64_MAX - 0xff, 512, 0, 0);
	ring_set_desc(&r, 1, UINT64_MAX, 1, WRITE, 0);
	ring_set_desc(&r, 2, B(0), 8, NEXT, 3);
	ring_set_desc(&r, 3, UINT64_MAX - 0x7fffffff, UINT32_MAX, WRITE, 0);
	assert_refused_then_good(0, VIRTQ_ERR_ADDR);
	assert_refused_then_good(1, VIRTQ_ERR_ADDR);
	assert_refused_then_good(2, VIRTQ_ERR_ADDR);
	ck_assert_uint_eq(q.errors[VIRTQ_ERR_ADDR], 3);
}
END_TEST

START_TEST(test_virtq_pop_range_ending_in_hole_refused)
{
	/* The first descriptor is fine; the bad second one refuses the whole chain. */
	ring_set_desc(&r, 0, B(0), 8, NEXT, 1);
	ring_set_desc(&r, 1, LOW - 8, 16, 0, 0);
	ring_set_desc(&r, 2, LOW + 0x1000, 8, WRITE, 0);
	assert_refused_then_good(0, VIRTQ_ERR_ADDR);
	assert_refused_then_good(2, VIRTQ_ERR_ADDR);
}
END_TEST

START_TEST(test_virtq_pop_range_spanning_hole_refused)
{
	/* Both ends are RAM, the middle is not; then hole into high RAM, high RAM past its end. */
	ring_set_desc(&r, 0, LOW - 8, HOLE_END - LOW + 16, 0, 0);
	ring_set_desc(&r, 1, HOLE_END - 8, 16, WRITE, 0);
	ring_set_desc(&r, 2, HOLE_END + HIGH - 4, 8, WRITE, 0);
	ring_set_desc(&r, 3, HOLE_END + HIGH, 1, 0, 0);
	for (unsigned int i = 0; i < 4; i++)
		assert_refused_then_good(i, VIRTQ_ERR_ADDR);
	ck_assert_uint_eq(q.errors[VIRTQ_ERR_ADDR], 4);
}
END_TEST

START_TEST(test_virtq_pop_readable_after_writable_refused)
{
	ring_set_desc(&r, 0, B(0), 8, WRITE | NEXT, 1);
	ring_set_desc(&r, 1, B(1), 8, 0, 0);
	/* The same inside an indirect table. */
	ring_set_desc(&r, 2, TABLE, 32, INDIRECT, 0);
	ring_set_table_desc(&f.gm, TABLE, 0, B(0), 8, WRITE | NEXT, 1);
	ring_set_table_desc(&f.gm, TABLE, 1, B(1), 8, 0, 0);
	assert_refused_then_good(0, VIRTQ_ERR_ORDER);
	assert_refused_then_good(2, VIRTQ_ERR_ORDER);
	ck_assert_uint_eq(q.errors[VIRTQ_ERR_ORDER], 2);
}
END_TEST

START_TEST(test_virtq_pop_total_over_4gib_refused)
{
	struct gmem big;

	/* 2 GiB + 1 MiB of untouched MAP_NORESERVE RAM; buffers may overlap. */
	ring_big_gmem(&big, 2 * GiB + MiB);
	ring_init(&r, &big, QSZ, DESC, AVAIL, USED);
	must_init(false, true);
	/* 2^31 + 2^31 - 1 is the most a chain may carry. */
	ring_set_desc(&r, 0, MiB, 0x80000000u, NEXT, 1);
	ring_set_desc(&r, 1, MiB, 0x7fffffffu, NEXT | WRITE, 2);
	ring_set_desc(&r, 2, 0, 0, WRITE, 0);
	ring_add_avail(&r, 0);
	assert_pop(0, 1, 1, 0x80000000u, 0x7fffffffu);
	assert_iov(0, MiB, 0x80000000u);
	virtq_push(&q, 0, 0);
	/* One byte more. */
	ring_set_desc(&r, 3, MiB, 0x80000000u, NEXT, 4);
	ring_set_desc(&r, 4, MiB, 0x80000000u, WRITE, 0);
	assert_refused_then_good(3, VIRTQ_ERR_TOTAL);
	gmem_destroy(&big);
}
END_TEST

START_TEST(test_virtq_pop_ring_of_bad_chains_bounded)
{
	unsigned int done = 99;

	/* A full ring of self-loops: one call completes them all, then reports empty. */
	ring_set_desc(&r, 0, B(0), 8, NEXT, 0);
	for (unsigned int i = 0; i < QSZ; i++)
		ring_add_avail(&r, 0);
	ck_assert_int_eq(virtq_pop(&q, &c, &done), VIRTQ_EMPTY);
	ck_assert_uint_eq(done, QSZ);
	ck_assert_uint_eq(q.errors[VIRTQ_ERR_LOOP], QSZ);
	ck_assert_uint_eq(errors_total(), QSZ);
	ck_assert_uint_eq(q.next_avail, QSZ);
	ck_assert_uint_eq(ring_used_idx(&r), QSZ);
	for (unsigned int i = 0; i < QSZ; i++)
		assert_used(i, 0, 0);
	assert_empty();
	assert_refused_then_good(0, VIRTQ_ERR_LOOP);
}
END_TEST

/* ---- reset ---- */

START_TEST(test_virtq_init_after_pop_starts_clean)
{
	unsigned int done;

	must_init(true, true);
	ring_set_desc(&r, 1, B(0), 8, NEXT, QSZ);	/* bad: counted, completed */
	ring_set_desc(&r, 2, B(1), 8, WRITE, 0);	/* good: left outstanding */
	ring_add_avail(&r, 1);
	ring_add_avail(&r, 2);
	ck_assert_int_eq(virtq_pop(&q, &c, &done), VIRTQ_CHAIN);
	ck_assert_uint_eq(c.head, 2);
	ck_assert(virtq_should_notify(&q));
	ring_set_avail_idx(&r, 50);
	ck_assert_int_eq(virtq_pop(&q, &c, &done), VIRTQ_BROKEN);
	/* Device reset: the queue is set up again; init itself writes no guest memory. */
	must_init(true, true);
	ck_assert_uint_eq(q.next_avail, 0);
	ck_assert_uint_eq(q.next_used, 0);
	ck_assert_uint_eq(q.signalled_used, 0);
	ck_assert(!q.signalled_valid);
	ck_assert_int_eq(q.broken, VIRTQ_OK);
	ck_assert_uint_eq(q.chains, 0);
	ck_assert_uint_eq(errors_total(), 0);
	ck_assert_uint_eq(ring_used_idx(&r), 1);
	/* The driver sets its rings up afresh; only the new chain is ever completed. */
	ring_init(&r, &f.gm, QSZ, DESC, AVAIL, USED);
	ring_set_desc(&r, 5, B(5), 16, WRITE, 0);
	ring_add_avail(&r, 5);
	assert_pop(5, 0, 1, 0, 16);
	virtq_push(&q, 5, 16);
	ck_assert_uint_eq(ring_used_idx(&r), 1);
	assert_used(0, 5, 16);
	assert_used(1, 0, 0);
}
END_TEST

Suite *virtq_suite(void)
{
	Suite *s = suite_create("virtq");
	const TTest *init[] = {
		test_virtq_init_good_config_accepted,
		test_virtq_init_bad_size_rejected,
		test_virtq_init_misaligned_ring_rejected,
		test_virtq_init_ring_straddling_ram_end_rejected,
		test_virtq_init_ring_outside_ram_rejected,
		test_virtq_metrics_counts_written,
		test_virtq_init_after_pop_starts_clean,
	};
	const TTest *chain[] = {
		test_virtq_pop_single_readable_returned,
		test_virtq_pop_single_writable_returned,
		test_virtq_pop_two_out_three_in_iov_exact,
		test_virtq_pop_indirect_three_entries_returned,
		test_virtq_pop_indirect_write_flag_ignored,
		test_virtq_pop_indirect_table_of_queue_size_accepted,
		test_virtq_pop_zero_length_descriptor_skipped,
		test_virtq_pop_only_zero_length_returned_without_buffers,
		test_virtq_pop_range_ending_at_ram_end_accepted,
		test_virtq_pop_chain_of_queue_size_accepted,
		test_virtq_pop_full_ring_of_queue_size_chains_accepted,
	};
	const TTest *bad[] = {
		test_virtq_pop_indirect_not_negotiated_refused,
		test_virtq_pop_nested_indirect_refused,
		test_virtq_pop_indirect_with_next_refused,
		test_virtq_pop_indirect_bad_table_len_refused,
		test_virtq_pop_indirect_table_outside_ram_refused,
		test_virtq_pop_indirect_table_loop_refused,
		test_virtq_pop_indirect_next_beyond_table_refused,
		test_virtq_pop_direct_then_indirect_past_queue_size_refused,
		test_virtq_pop_loops_refused,
		test_virtq_pop_chain_of_queue_size_plus_one_refused,
		test_virtq_pop_next_beyond_queue_refused,
		test_virtq_pop_addr_len_wrapping_refused,
		test_virtq_pop_range_ending_in_hole_refused,
		test_virtq_pop_range_spanning_hole_refused,
		test_virtq_pop_readable_after_writable_refused,
		test_virtq_pop_total_over_4gib_refused,
		test_virtq_pop_ring_of_bad_chains_bounded,
	};
	add_tcase(s, "init", init, ARRAY_SIZE(init));
	add_tcase(s, "chain", chain, ARRAY_SIZE(chain));
	add_tcase(s, "bad-chain", bad, ARRAY_SIZE(bad));
	return s;
}
