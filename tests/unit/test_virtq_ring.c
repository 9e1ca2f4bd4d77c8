// SPDX-License-Identifier: MIT
// Unit tests for devices/virtio/virtq: ring indices (jumps, wrap, bad heads) and notification.
#include "tests/unit/virtq_fixture.h"

/* ---- ring indices ---- */

START_TEST(test_virtq_pop_avail_idx_jump_broken)
{
	unsigned int done = 99;

	ring_set_desc(&r, 0, B(0), 8, 0, 0);
	ring_set_avail_idx(&r, QSZ + 1);
	ck_assert_int_eq(virtq_pop(&q, &c, &done), VIRTQ_BROKEN);
	ck_assert_int_eq(q.broken, VIRTQ_BROKEN_AVAIL_IDX);
	ck_assert_uint_eq(done, 0);
	ck_assert_uint_eq(q.next_avail, 0);
	ck_assert_uint_eq(ring_used_idx(&r), 0);
	ck_assert_uint_eq(errors_total(), 0);
	/* A sane ring afterwards does not revive it: it needs a reset. */
	ring_set_avail_idx(&r, 0);
	ring_add_avail(&r, 0);
	ck_assert_int_eq(virtq_pop(&q, &c, &done), VIRTQ_BROKEN);
	ck_assert_uint_eq(q.chains, 0);
	ck_assert_uint_eq(q.next_avail, 0);
	ck_assert(!virtq_enable_kicks(&q));
	/* And it reads no guest memory: the rings could be gone. */
	q.desc = NULL;
	q.avail = NULL;
	q.used = NULL;
	ck_assert_int_eq(virtq_pop(&q, &c, &done), VIRTQ_BROKEN);
	ck_assert_uint_eq(done, 0);
}
END_TEST

START_TEST(test_virtq_pop_avail_idx_backwards_broken)
{
	unsigned int done = 99;

	ring_set_desc(&r, 0, B(0), 8, 0, 0);
	ring_add_avail(&r, 0);
	assert_pop(0, 1, 0, 8, 0);
	ring_set_avail_idx(&r, 0);	/* 0 - 1 = 65535 pending */
	ck_assert_int_eq(virtq_pop(&q, &c, &done), VIRTQ_BROKEN);
	ck_assert_int_eq(q.broken, VIRTQ_BROKEN_AVAIL_IDX);
	ck_assert_uint_eq(done, 0);
	ck_assert_uint_eq(q.next_avail, 1);
}
END_TEST

START_TEST(test_virtq_ring_indices_wrap_at_65535)
{
	q.next_avail = q.next_used = 65530;
	ring_set_avail_idx(&r, 65530);
	ring_set_used_idx(&r, 65530);
	for (unsigned int i = 0; i < 10; i++) {
		ring_set_desc(&r, i, B(i), 8, WRITE, 0);
		ring_add_avail(&r, i);
	}
	ck_assert_uint_eq(ring_avail_idx(&r), 4);
	for (unsigned int i = 0; i < 10; i++) {
		assert_pop(i, 0, 1, 0, 8);
		assert_iov(0, B(i), 8);
		virtq_push(&q, i, 100 + i);
	}
	assert_empty();
	ck_assert_uint_eq(q.next_avail, 4);
	ck_assert_uint_eq(q.next_used, 4);
	ck_assert_uint_eq(ring_used_idx(&r), 4);
	/* Slots 65530 % 16 = 10 .. 15, then 0 .. 3. */
	for (unsigned int i = 0; i < 10; i++)
		assert_used((uint16_t)(65530 + i), i, 100 + i);
	assert_used(10, 0, 100);
	assert_used(3, 9, 109);
}
END_TEST

START_TEST(test_virtq_pop_head_beyond_queue_broken)
{
	unsigned int done = 99;

	ring_set_desc(&r, 0, B(0), 8, 0, 0);
	ring_add_avail(&r, QSZ);
	ring_add_avail(&r, 0);
	ck_assert_int_eq(virtq_pop(&q, &c, &done), VIRTQ_BROKEN);
	ck_assert_int_eq(q.broken, VIRTQ_BROKEN_HEAD);
	ck_assert_uint_eq(done, 0);
	ck_assert_uint_eq(q.next_avail, 0);
	ck_assert_uint_eq(ring_used_idx(&r), 0);
	ck_assert_uint_eq(errors_total(), 0);
	/* The good chain behind it is not served either. */
	ck_assert_int_eq(virtq_pop(&q, &c, &done), VIRTQ_BROKEN);
	ck_assert_uint_eq(q.chains, 0);
}
END_TEST

START_TEST(test_virtq_pop_head_in_use_breaks_queue)
{
	/*
	 * A head published again while the device still holds it (§2.7.13.3)
	 * would be completed twice: the queue breaks instead (docs/catalogue.md
	 * O19), before the second walk, and stays broken.
	 */
	unsigned int done = 99;

	ring_set_desc(&r, 3, B(0), 8, WRITE, 0);
	ring_add_avail(&r, 3);
	ring_add_avail(&r, 3);
	assert_pop(3, 0, 1, 0, 8);
	ck_assert_int_eq(virtq_pop(&q, &c, &done), VIRTQ_BROKEN);
	ck_assert_int_eq(q.broken, VIRTQ_BROKEN_DUPLICATE);
	ck_assert_uint_eq(q.chains, 1);
	ck_assert_uint_eq(q.next_avail, 1);
	virtq_push(&q, 3, 8);
	ck_assert_int_eq(virtq_pop(&q, &c, &done), VIRTQ_BROKEN);
	ck_assert_uint_eq(ring_used_idx(&r), 1);
	assert_used(0, 3, 8);
}
END_TEST

START_TEST(test_virtq_pop_head_again_after_use)
{
	/* Used, the head is the driver's again: a second use is a new request. */
	ring_set_desc(&r, 3, B(0), 8, WRITE, 0);
	ring_add_avail(&r, 3);
	ring_add_avail(&r, 3);
	assert_pop(3, 0, 1, 0, 8);
	virtq_push(&q, 3, 8);
	assert_pop(3, 0, 1, 0, 8);
	virtq_push(&q, 3, 4);
	ck_assert_int_eq(q.broken, VIRTQ_OK);
	ck_assert_uint_eq(q.chains, 2);
	ck_assert_uint_eq(ring_used_idx(&r), 2);
	assert_used(0, 3, 8);
	assert_used(1, 3, 4);
}
END_TEST

START_TEST(test_virtq_push_ignores_guest_used_idx)
{
	ring_set_desc(&r, 0, B(0), 8, 0, 0);
	ring_set_desc(&r, 1, B(1), 8, 0, 0);
	ring_add_avail(&r, 0);
	ring_add_avail(&r, 1);
	assert_pop(0, 1, 0, 8, 0);
	virtq_push(&q, 0, 0);
	/* The guest scribbles the device area. */
	ring_set_used_idx(&r, 100);
	ring_set_used_flags(&r, 0xffff);
	assert_pop(1, 1, 0, 8, 0);
	virtq_push(&q, 1, 5);
	ck_assert_uint_eq(q.next_used, 2);
	ck_assert_uint_eq(ring_used_idx(&r), 2);
	assert_used(0, 0, 0);
	assert_used(1, 1, 5);
	assert_used(100 % QSZ, 0, 0);
}
END_TEST

/* ---- notification ---- */

START_TEST(test_virtq_should_notify_used_event_window)
{
	/* §2.7.10.1: notify when used_event lies in [old, now), old the last signalled idx. */
	must_init(true, true);
	ring_set_used_event(&r, 0xffff);
	virtq_push(&q, 0, 0);
	ck_assert(virtq_should_notify(&q));	/* the first is always signalled */
	ck_assert_uint_eq(q.signalled_used, 1);
	ck_assert(q.signalled_valid);
	ring_set_used_event(&r, 0);
	virtq_push(&q, 1, 0);
	virtq_push(&q, 2, 0);
	ck_assert(!virtq_should_notify(&q));	/* event 0 is behind old = 1 */
	ck_assert_uint_eq(q.signalled_used, 3);
	ring_set_used_event(&r, 3);
	virtq_push(&q, 3, 0);
	ck_assert(virtq_should_notify(&q));	/* event == old = 3 */
	ring_set_used_event(&r, 5);
	virtq_push(&q, 4, 0);
	ck_assert(!virtq_should_notify(&q));	/* event == now = 5: not passed yet */
	virtq_push(&q, 5, 0);
	ck_assert(virtq_should_notify(&q));	/* now = 6 passed 5 */
	ck_assert(!virtq_should_notify(&q));	/* nothing new */
	ring_set_used_event(&r, 6);
	ck_assert(!virtq_should_notify(&q));	/* event == old == now */
}
END_TEST

START_TEST(test_virtq_should_notify_poisoned_used_event_bounded)
{
	unsigned int n = 0, at = 0;

	must_init(true, true);
	ring_set_used_event(&r, 0xffff);
	q.next_used = 65500;
	for (unsigned int i = 0; i < 100; i++) {
		virtq_push(&q, 0, 0);
		if (virtq_should_notify(&q)) {
			n++;
			at = q.next_used;
		}
	}
	/* The first push, then only when used.idx passes 0xffff (now == 0). */
	ck_assert_uint_eq(n, 2);
	ck_assert_uint_eq(at, 0);
	ck_assert_uint_eq(q.next_used, (65500 + 100) % 65536);
}
END_TEST

START_TEST(test_virtq_should_notify_no_interrupt_flag_only_without_event_idx)
{
	ring_set_avail_flags(&r, VRING_AVAIL_F_NO_INTERRUPT);
	virtq_push(&q, 0, 0);
	ck_assert(!virtq_should_notify(&q));
	ring_set_avail_flags(&r, 0);
	ck_assert(virtq_should_notify(&q));
	ck_assert(virtq_should_notify(&q));	/* no event index: the flag alone decides */
	ck_assert(!q.signalled_valid);
	/* With EVENT_IDX the flag means nothing (§2.7.10): used_event alone decides. */
	must_init(true, true);
	ring_set_avail_flags(&r, VRING_AVAIL_F_NO_INTERRUPT);
	virtq_push(&q, 0, 0);
	ck_assert(virtq_should_notify(&q));
	ring_set_used_event(&r, 1);
	virtq_push(&q, 1, 0);
	ck_assert(virtq_should_notify(&q));
}
END_TEST

START_TEST(test_virtq_enable_kicks_writes_avail_event)
{
	must_init(true, true);
	for (unsigned int i = 0; i < 3; i++)
		ring_set_desc(&r, i, B(i), 8, 0, 0);
	ring_add_avail(&r, 0);
	ring_add_avail(&r, 1);
	assert_pop(0, 1, 0, 8, 0);
	assert_pop(1, 1, 0, 8, 0);
	virtq_disable_kicks(&q);
	ck_assert_uint_eq(ring_used_flags(&r), 0);	/* EVENT_IDX: flags unused */
	ck_assert(!virtq_enable_kicks(&q));
	ck_assert_uint_eq(ring_avail_event(&r), 2);
	ck_assert_uint_eq(ring_used_flags(&r), 0);
	/* More arrived before the re-check: drain again. */
	ring_add_avail(&r, 2);
	ck_assert(virtq_enable_kicks(&q));
	ck_assert_uint_eq(ring_avail_event(&r), 2);
	assert_pop(2, 1, 0, 8, 0);
	ck_assert(!virtq_enable_kicks(&q));
	ck_assert_uint_eq(ring_avail_event(&r), 3);
}
END_TEST

START_TEST(test_virtq_disable_kicks_sets_no_notify_without_event_idx)
{
	const uint16_t canary = 0x5a5a;

	ck_assert_int_eq(gmem_write(&f.gm, GPA(USED + 4 + 8 * QSZ), &canary, 2), 0);
	virtq_disable_kicks(&q);
	ck_assert_uint_eq(ring_used_flags(&r), VRING_USED_F_NO_NOTIFY);
	ring_set_desc(&r, 0, B(0), 8, 0, 0);
	ring_add_avail(&r, 0);
	ck_assert(virtq_enable_kicks(&q));
	ck_assert_uint_eq(ring_used_flags(&r), 0);
	ck_assert_uint_eq(ring_avail_event(&r), canary);	/* not written without EVENT_IDX */
	assert_pop(0, 1, 0, 8, 0);
	ck_assert(!virtq_enable_kicks(&q));
}
END_TEST

Suite *virtq_ring_suite(void)
{
	Suite *s = suite_create("virtq_ring");
	const TTest *idx[] = {
		test_virtq_pop_avail_idx_jump_broken,
		test_virtq_pop_avail_idx_backwards_broken,
		test_virtq_ring_indices_wrap_at_65535,
		test_virtq_pop_head_beyond_queue_broken,
		test_virtq_pop_head_in_use_breaks_queue,
		test_virtq_pop_head_again_after_use,
		test_virtq_push_ignores_guest_used_idx,
	};
	const TTest *notify[] = {
		test_virtq_should_notify_used_event_window,
		test_virtq_should_notify_poisoned_used_event_bounded,
		test_virtq_should_notify_no_interrupt_flag_only_without_event_idx,
		test_virtq_enable_kicks_writes_avail_event,
		test_virtq_disable_kicks_sets_no_notify_without_event_idx,
	};
	add_tcase(s, "ring", idx, ARRAY_SIZE(idx));
	add_tcase(s, "notify", notify, ARRAY_SIZE(notify));
	return s;
}
