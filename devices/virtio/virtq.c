// SPDX-License-Identifier: MIT
// Split virtqueue, device side (virtio 1.2 §2.7): bounded chain walking over untrusted rings.
#include <errno.h>
#include <string.h>

#include "base/stat.h"
#include "base/trace.h"
#include "devices/virtio/virtq.h"
#include "devices/virtio/vmmio.h"

/* What a refused chain broke, for the log (virtio 1.2 §2.7.5, §2.7.4.2, §2.7.5.3.1). */
static const char *const virtq_err_why[VIRTQ_ERR_MAX] = {
	[VIRTQ_ERR_ADDR] = "a buffer or indirect table outside guest RAM",
	[VIRTQ_ERR_NEXT] = "a next index beyond the table",
	[VIRTQ_ERR_LOOP] = "more descriptors than the queue size (a loop?)",
	[VIRTQ_ERR_ORDER] = "a readable descriptor after a writable one",
	[VIRTQ_ERR_INDIRECT] = "a bad indirect descriptor",
	[VIRTQ_ERR_TOTAL] = "more than 4 GiB in one chain",
};

const char *const virtq_err_names[VIRTQ_ERR_MAX] = {
	[VIRTQ_ERR_ADDR] = "address", [VIRTQ_ERR_NEXT] = "next", [VIRTQ_ERR_LOOP] = "too_long",
	[VIRTQ_ERR_ORDER] = "order", [VIRTQ_ERR_INDIRECT] = "indirect", [VIRTQ_ERR_TOTAL] = "total",
};

/* Ring sizes in bytes, §2.7: flags + idx + entries + the event word. */
static uint64_t avail_bytes(uint16_t size) { return 6 + 2ULL * size; }
static uint64_t used_bytes(uint16_t size) { return 6 + 8ULL * size; }

int virtq_validate(const struct gmem *gm, uint16_t size, uint64_t desc, uint64_t avail,
		   uint64_t used)
{
	if (size == 0 || size > VIRTQ_MAX_SIZE || (size & (size - 1)))
		return -EINVAL;
	/* §2.7: alignment of the descriptor table, driver area and device area. */
	if (desc % VRING_DESC_ALIGN_SIZE || avail % VRING_AVAIL_ALIGN_SIZE ||
	    used % VRING_USED_ALIGN_SIZE)
		return -EINVAL;
	if (!gmem_ptr(gm, GPA(desc), 16ULL * size) || !gmem_ptr(gm, GPA(avail), avail_bytes(size)) ||
	    !gmem_ptr(gm, GPA(used), used_bytes(size)))
		return -EINVAL;
	return 0;
}

int virtq_init(struct virtq *q, const struct gmem *gm, uint16_t size, uint64_t desc,
	       uint64_t avail, uint64_t used, bool event_idx, bool indirect)
{
	memset(q, 0, offsetof(struct virtq, iov));
	if (virtq_validate(gm, size, desc, avail, used))
		return -EINVAL;
	q->desc = gmem_ptr(gm, GPA(desc), 16ULL * size);
	q->avail = gmem_ptr(gm, GPA(avail), avail_bytes(size));
	q->used = gmem_ptr(gm, GPA(used), used_bytes(size));
	q->gm = gm;
	q->size = size;
	q->event_idx = event_idx;
	q->indirect = indirect;
	q->desc_gpa = desc;
	q->avail_gpa = avail;
	q->used_gpa = used;
	return 0;
}

void virtq_set_owner(struct virtq *q, struct vmmio *t, uint16_t index)
{
	q->t = t;
	q->index = index;
}

static const char *virtq_name(const struct virtq *q)
{
	return q->t ? q->t->name : "virtq";
}

/* The ring is corrupt: the queue stops (its caller sets NEEDS_RESET, DESIGN §5). */
static enum virtq_pop_result virtq_break(struct virtq *q, enum virtq_broken why, uint16_t avail_idx,
					 uint16_t head)
{
	__atomic_store_n(&q->broken, why, __ATOMIC_RELAXED);
	trace(TRACE_VIRTQ, "%s: queue %u broken: avail.idx %u, device at %u, head %u", virtq_name(q),
	      q->index, avail_idx, q->next_avail, head);
	static const char *const what[] = {
		[VIRTQ_BROKEN_AVAIL_IDX] = "avail.idx out of range",
		[VIRTQ_BROKEN_HEAD] = "head out of range",
		[VIRTQ_BROKEN_DUPLICATE] = "head made available again while in use",
	};

	vdev_violation(q->t, q, -1, "queue %u: ring corrupt (%s: avail.idx %u, device at %u, "
		       "head %u)", q->index, what[why], avail_idx, q->next_avail, head);
	return VIRTQ_BROKEN;
}

/*
 * Walks the chain at head into c->iov. Every descriptor is copied once and
 * only the copy is used. The walk visits at most the queue size (or, inside
 * an indirect table, its entry count) of descriptors, so loops end.
 * Returns 0 or an enum virtq_err + 1.
 */
static int virtq_walk(struct virtq *q, uint16_t head, struct virtq_chain *c)
{
	const uint8_t *table = q->desc;
	uint32_t table_n = q->size, idx = head, budget = q->size;
	uint64_t total = 0;
	unsigned int n = 0;
	bool in_indirect = false;

	c->nr_out = c->nr_in = 0;
	for (;;) {
		struct vring_desc d;

		if (budget-- == 0)
			return VIRTQ_ERR_LOOP + 1;
		memcpy(&d, table + sizeof(d) * idx, sizeof(d));
		if (d.flags & VRING_DESC_F_INDIRECT) {
			/* §2.7.5.3.1: not unless negotiated, never nested, never with NEXT. */
			if (!q->indirect || in_indirect || (d.flags & VRING_DESC_F_NEXT) ||
			    d.len == 0 || d.len % 16 || d.len / 16 > q->size)
				return VIRTQ_ERR_INDIRECT + 1;
			table = gmem_ptr(q->gm, GPA(d.addr), d.len);
			if (!table)
				return VIRTQ_ERR_ADDR + 1;
			table_n = budget = d.len / 16;
			idx = 0;
			in_indirect = true;
			continue;
		}
		if (d.len) {
			void *p = gmem_ptr(q->gm, GPA(d.addr), d.len);

			if (!p)
				return VIRTQ_ERR_ADDR + 1;
			/* §2.7.4.2: device-writable descriptors come after readable ones. */
			if (d.flags & VRING_DESC_F_WRITE) {
				c->nr_in++;
			} else if (c->nr_in) {
				return VIRTQ_ERR_ORDER + 1;
			} else {
				c->nr_out++;
			}
			total += d.len;
			if (total > UINT32_MAX)
				return VIRTQ_ERR_TOTAL + 1;
			if (n == q->size)
				return VIRTQ_ERR_LOOP + 1;
			c->iov[n++] = (struct iovec){ p, d.len };
			if (d.flags & VRING_DESC_F_WRITE)
				c->in_bytes += d.len;
			else
				c->out_bytes += d.len;
		}
		if (!(d.flags & VRING_DESC_F_NEXT))
			return 0;
		idx = d.next;
		if (idx >= table_n)
			return VIRTQ_ERR_NEXT + 1;
	}
}

enum virtq_pop_result virtq_pop(struct virtq *q, struct virtq_chain *chain, unsigned int *completed)
{
	*completed = 0;
	if (q->broken)
		return VIRTQ_BROKEN;
	/* At most a queue's worth of bad chains per call; the caller comes back. */
	for (unsigned int tries = 0; tries < q->size; tries++) {
		uint16_t avail_idx = q->avail[1];
		uint16_t pending = avail_idx - q->next_avail;
		uint16_t head;
		int err;

		if (pending == 0)
			return VIRTQ_EMPTY;
		/* §2.7.13.3: the driver cannot have more than size chains available. */
		if (pending > q->size)
			return virtq_break(q, VIRTQ_BROKEN_AVAIL_IDX, avail_idx, 0);
		/* Acquire: read the ring entry and descriptors only after avail.idx (§2.7.13). */
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		head = q->avail[2 + q->next_avail % q->size];
		if (head >= q->size)
			return virtq_break(q, VIRTQ_BROKEN_HEAD, avail_idx, head);
		if (q->in_use[head / 64] & (1ULL << (head % 64)))
			return virtq_break(q, VIRTQ_BROKEN_DUPLICATE, avail_idx, head);
		STAT_INC(q->next_avail);	/* atomic only for --metrics readers */
		chain->iov = q->iov;
		chain->out_bytes = chain->in_bytes = 0;
		err = virtq_walk(q, head, chain);
		if (!err) {
			q->in_use[head / 64] |= 1ULL << (head % 64);
			chain->head = head;
			STAT_INC(q->chains);
			trace(TRACE_VIRTQ, "%s: queue %u pop head %u (avail slot %u of idx %u): %u out "
			      "%u bytes, %u in %u bytes", virtq_name(q), q->index, head,
			      (uint16_t)(q->next_avail - 1), avail_idx, chain->nr_out, chain->out_bytes,
			      chain->nr_in, chain->in_bytes);
			return VIRTQ_CHAIN;
		}
		STAT_INC(q->errors[err - 1]);
		trace(TRACE_VIRTQ, "%s: queue %u refused head %u: %s", virtq_name(q), q->index, head,
		      virtq_err_names[err - 1]);
		vdev_violation(q->t, q, head, "queue %u: chain %u refused: %s", q->index, head,
			       virtq_err_why[err - 1]);
		virtq_push(q, head, 0);
		(*completed)++;
	}
	return VIRTQ_EMPTY;
}

void virtq_add_used(struct virtq *q, uint16_t k, uint16_t head, uint32_t len)
{
	volatile uint8_t *e = q->used + 4 + 8ULL * ((uint16_t)(q->next_used + k) % q->size);
	uint32_t id = head;

	if (head < q->size)
		q->in_use[head / 64] &= ~(1ULL << (head % 64));
	memcpy((void *)e, &id, 4);
	memcpy((void *)(e + 4), &len, 4);
	trace(TRACE_VIRTQ, "%s: queue %u used head %u len %u (slot %u)", virtq_name(q), q->index,
	      head, len, (uint16_t)(q->next_used + k) % q->size);
}

void virtq_publish(struct virtq *q, uint16_t n)
{
	/* Release: the elements are visible before the index that publishes them (§2.7.14). */
	__atomic_thread_fence(__ATOMIC_RELEASE);
	STAT_ADD(q->next_used, n);
	*(volatile uint16_t *)(q->used + 2) = q->next_used;
	trace(TRACE_VIRTQ, "%s: queue %u used.idx %u (+%u)", virtq_name(q), q->index, q->next_used, n);
}

void virtq_push(struct virtq *q, uint16_t head, uint32_t len)
{
	virtq_add_used(q, 0, head, len);
	virtq_publish(q, 1);
}

bool virtq_should_notify(struct virtq *q)
{
	uint16_t old = q->signalled_used, now = q->next_used, event;
	bool valid = q->signalled_valid, notify;

	/* Full barrier: used.idx is stored before used_event/flags are loaded (§2.7.10). */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (!q->event_idx) {
		notify = !(q->avail[0] & VRING_AVAIL_F_NO_INTERRUPT);
		if (!notify)
			trace(TRACE_IRQ, "%s: queue %u used.idx %u: suppressed (NO_INTERRUPT)",
			      virtq_name(q), q->index, now);
		return notify;
	}
	q->signalled_used = now;
	q->signalled_valid = true;
	event = q->avail[2 + q->size];	/* used_event */
	/* §2.7.10.1: notify when used_event lies in [old, now). */
	notify = !valid || (uint16_t)(now - event - 1) < (uint16_t)(now - old);
	if (!notify)
		trace(TRACE_IRQ, "%s: queue %u used.idx %u: suppressed by EVENT_IDX (used_event %u)",
		      virtq_name(q), q->index, now, event);
	return notify;
}

void virtq_disable_kicks(struct virtq *q)
{
	if (!q->event_idx)
		*(volatile uint16_t *)q->used = VRING_USED_F_NO_NOTIFY;
}

bool virtq_enable_kicks(struct virtq *q)
{
	if (q->event_idx)
		/* avail_event follows the used ring: flags, idx, ring[size] (§2.7.8). */
		*(volatile uint16_t *)(q->used + 4 + 8ULL * q->size) = q->next_avail;
	else
		*(volatile uint16_t *)q->used = 0;
	/* Full barrier: the store above is visible before avail.idx is loaded again. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return q->broken == VIRTQ_OK && q->avail[1] != q->next_avail;
}

void virtq_metrics(const struct virtq *q, FILE *out)
{
	static const char *const broken[] = { "no", "avail_idx", "head", "duplicate_head" };

	fprintf(out, "{\"size\":%u,\"chains\":%llu,\"next_avail\":%u,\"next_used\":%u,"
		"\"broken\":\"%s\",\"bad_chains\":{", q->size,
		(unsigned long long)STAT_READ(q->chains), STAT_READ(q->next_avail),
		STAT_READ(q->next_used), broken[STAT_READ(q->broken)]);
	for (int e = 0; e < VIRTQ_ERR_MAX; e++)
		fprintf(out, "%s\"%s\":%llu", e ? "," : "", virtq_err_names[e],
			(unsigned long long)STAT_READ(q->errors[e]));
	fprintf(out, "}}");
}
