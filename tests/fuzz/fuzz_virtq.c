// SPDX-License-Identifier: MIT
// libFuzzer target: the split virtqueue device side (virtq_*) over guest-controlled rings.
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "devices/virtio/virtq.h"
#include "tests/support/fake_gmem.h"

/*
 * Input: a 12-byte header, then the payload, copied to the start of both RAM
 * regions so that it holds the rings, the descriptors and the tables.
 *   0     log2 of the queue size (mod 11: 1 .. 1024)
 *   1     bit 0 EVENT_IDX, bit 1 INDIRECT, bits 2/3/4 put desc/avail/used in high RAM
 *   2..7  desc, avail and used slot (le16): offsets slot*16, slot*2, slot*4 in the first 64 KiB
 *   8..9  where the device's cursors start (le16), to reach the 65535 -> 0 wrap
 *   10    how far the driver moves avail.idx on between the two drains
 *   11    used_event poked in before the second drain
 */
#define HDR	 12
#define LOW	 (1 * MiB)
#define HOLE_END (4 * MiB)
#define HIGH	 (64 * KiB)

static struct fake_gmem f;
static struct virtq q;
static uint64_t dirty_low, dirty_high;	/* bytes of each region to clear before the next input */
static volatile uint8_t sink;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint16_t le16(const uint8_t *p)
{
	return p[0] | p[1] << 8;
}

static uint64_t ring_gpa(bool high, uint64_t off)
{
	return high ? HOLE_END + off : off;
}

/* Records that [p, p + len) was written, so the next input starts from zeroed RAM. */
static void dirty(const uint8_t *p, uint64_t len)
{
	if (p >= f.low && p < f.low + LOW)
		dirty_low = MAX(dirty_low, (uint64_t)(p - f.low) + len);
	else if (p >= f.high && p < f.high + HIGH)
		dirty_high = MAX(dirty_high, (uint64_t)(p - f.high) + len);
	else
		abort();	/* a host pointer outside guest RAM */
}

/* The driver adds by to the le16 at gpa (inside the avail ring, so RAM). */
static void bump(uint64_t gpa, uint8_t by)
{
	uint8_t *p = gmem_ptr(&f.gm, GPA(gpa), 2);
	uint16_t v;

	memcpy(&v, p, 2);
	v += by;
	memcpy(p, &v, 2);
	dirty(p, 2);
}

/* What virtq_pop promises about a chain it returns. */
static void check_chain(const struct virtq_chain *c)
{
	uint64_t out = 0, in = 0;

	if (c->head >= q.size || c->nr_out + c->nr_in > q.size || c->iov != q.iov)
		abort();
	for (unsigned int i = 0; i < c->nr_out + c->nr_in; i++) {
		const uint8_t *p = c->iov[i].iov_base;
		size_t len = c->iov[i].iov_len;

		if (len == 0 || !((p >= f.low && p + len <= f.low + LOW) ||
				  (p >= f.high && p + len <= f.high + HIGH)))
			abort();
		if (i < c->nr_out) {
			out += len;
			/* The bounds are checked above; ASan sees every page and the last byte. */
			for (size_t j = 0; j < len; j += 4096)
				sink ^= p[j];
			sink ^= p[len - 1];
		} else {
			in += len;
			memset((void *)p, 0xa5, len);
			dirty(p, len);
		}
	}
	if (out != c->out_bytes || in != c->in_bytes || out + in > UINT32_MAX)
		abort();
}

/* Pops until empty or broken (bounded: our own writes may keep publishing more). */
static void drain(void)
{
	struct virtq_chain c;

	virtq_disable_kicks(&q);
	for (unsigned int round = 0; round < 2 * VIRTQ_MAX_SIZE; round++) {
		uint64_t errors = 0, before = 0;
		unsigned int completed;
		enum virtq_pop_result res;

		for (unsigned int i = 0; i < VIRTQ_ERR_MAX; i++)
			before += q.errors[i];
		res = virtq_pop(&q, &c, &completed);
		for (unsigned int i = 0; i < VIRTQ_ERR_MAX; i++)
			errors += q.errors[i];
		/* Every refused chain is counted once and completed once. */
		if (completed > q.size || errors - before != completed)
			abort();
		if (res == VIRTQ_CHAIN) {
			check_chain(&c);
			virtq_push(&q, c.head, c.in_bytes);
		}
		(void)virtq_should_notify(&q);
		if (res == VIRTQ_BROKEN) {
			if (q.broken == VIRTQ_OK || virtq_pop(&q, &c, &completed) != VIRTQ_BROKEN)
				abort();
			return;
		}
		if (res == VIRTQ_EMPTY && !virtq_enable_kicks(&q))
			return;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;
	uint16_t qsize, start;
	uint8_t flags;
	size_t n;

	if (!ready) {
		fake_gmem_init(&f, LOW, HOLE_END, HIGH);
		ready = true;
	}
	memset(f.low, 0, dirty_low);
	memset(f.high, 0, dirty_high);
	dirty_low = dirty_high = 0;
	if (size < HDR)
		return 0;
	qsize = 1u << (data[0] % 11);
	flags = data[1];
	start = le16(data + 8);
	n = MIN(size - HDR, LOW);
	memcpy(f.low, data + HDR, n);
	dirty(f.low, n);
	n = MIN(size - HDR, HIGH);
	memcpy(f.high, data + HDR, n);
	dirty(f.high, n);

	if (virtq_init(&q, &f.gm, qsize, ring_gpa(flags & 4, (le16(data + 2) % 4096) * 16ULL),
		       ring_gpa(flags & 8, (le16(data + 4) % 32768) * 2ULL),
		       ring_gpa(flags & 16, (le16(data + 6) % 16384) * 4ULL), flags & 1, flags & 2))
		return 0;
	dirty((const uint8_t *)q.used, 6 + 8ULL * qsize);
	q.next_avail = q.next_used = start;

	drain();
	/* The driver publishes more (possibly too much) and moves used_event; drain again. */
	bump(q.avail_gpa + 2, data[10]);
	bump(q.avail_gpa + 4 + 2ULL * qsize, data[11]);
	drain();
	return 0;
}
