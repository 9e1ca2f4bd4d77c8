// SPDX-License-Identifier: MIT
// Split virtqueue, device side (virtio 1.2 §2.7): bounded chain walking over untrusted rings.
#include <errno.h>
#include <stdarg.h>
#include <string.h>

#include "base/compiler.h"
#include "base/stat.h"
#include "base/trace.h"
#include "devices/virtio/virtq.h"

#define DUMP_DESC_MAX 16	/* descriptors of a chain virtq_dump_chain shows */

/* What a refused chain broke, as a sentence for the log. */
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
static uint64_t desc_bytes(uint16_t size) { return sizeof(struct vring_desc) * (uint64_t)size; }
static uint64_t avail_bytes(uint16_t size) { return 6 + 2ULL * size; }
static uint64_t used_bytes(uint16_t size)
{
	return 6 + sizeof(struct vring_used_elem) * (uint64_t)size;
}

int virtq_validate(const struct gmem *gm, uint16_t size, uint64_t desc, uint64_t avail,
		   uint64_t used)
{
	if (size == 0 || size > VIRTQ_MAX_SIZE || (size & (size - 1)))
		return -EINVAL;
	/* §2.7: alignment of the descriptor table, driver area and device area. */
	if (desc % VRING_DESC_ALIGN_SIZE || avail % VRING_AVAIL_ALIGN_SIZE ||
	    used % VRING_USED_ALIGN_SIZE)
		return -EINVAL;
	if (!gmem_ptr(gm, GPA(desc), desc_bytes(size)) ||
	    !gmem_ptr(gm, GPA(avail), avail_bytes(size)) ||
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
	q->desc = gmem_ptr(gm, GPA(desc), desc_bytes(size));
	q->avail = gmem_ptr(gm, GPA(avail), avail_bytes(size));
	q->used = gmem_ptr(gm, GPA(used), used_bytes(size));
	q->gm = gm;
	q->size = size;
	q->event_idx = event_idx;
	q->indirect = indirect;
	q->desc_gpa = desc;
	q->avail_gpa = avail;
	q->used_gpa = used;
	q->name = "virtq";
	return 0;
}

void virtq_set_owner(struct virtq *q, const char *name, uint16_t index,
		     void (*violation)(void *opaque, const struct virtq *q, int head,
				       const char *msg),
		     void *opaque)
{
	q->name = name;
	q->index = index;
	q->violation = violation;
	q->opaque = opaque;
}

/* Hands a violation to the queue's owner, if it has one. */
static void virtq_violation(struct virtq *q, int head, const char *fmt, ...) __printf(3, 4);

static void virtq_violation(struct virtq *q, int head, const char *fmt, ...)
{
	char msg[192];
	va_list ap;

	if (!q->violation)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	q->violation(q->opaque, q, head, msg);
}

/* The ring is corrupt: the queue stops (its caller sets NEEDS_RESET, DESIGN §5). */
static enum virtq_pop_result virtq_break(struct virtq *q, enum virtq_broken why, uint16_t avail_idx,
					 uint16_t head)
{
	static const char *const what[] = {
		[VIRTQ_BROKEN_AVAIL_IDX] = "avail.idx out of range",
		[VIRTQ_BROKEN_HEAD] = "head out of range",
		[VIRTQ_BROKEN_DUPLICATE] = "head made available again while in use",
	};

	__atomic_store_n(&q->broken, why, __ATOMIC_RELAXED);
	trace(TRACE_VIRTQ, "%s: queue %u broken: avail.idx %u, device at %u, head %u", q->name,
	      q->index, avail_idx, q->next_avail, head);
	virtq_violation(q, -1, "queue %u: ring corrupt (%s: avail.idx %u, device at %u, head %u)",
			q->index, what[why], avail_idx, q->next_avail, head);
	return VIRTQ_BROKEN;
}

void virtq_walk_start(struct virtq_walk *w, const struct virtq *q, uint16_t head)
{
	*w = (struct virtq_walk){ .q = q, .table = q->desc, .table_n = q->size, .budget = q->size,
				  .idx = head };
}

/* Enters the indirect table w->d points to; false when §2.7.5.3.1 forbids it (*why). */
static bool virtq_walk_indirect(struct virtq_walk *w, enum virtq_err *why)
{
	const struct vring_desc *d = &w->d;
	uint32_t n = d->len / sizeof(struct vring_desc);

	/* Not unless negotiated, never nested, never with NEXT, whole entries, at most size. */
	if (!w->q->indirect || w->in_indirect || (d->flags & VRING_DESC_F_NEXT) || d->len == 0 ||
	    d->len % sizeof(struct vring_desc) || n > w->q->size) {
		*why = VIRTQ_ERR_INDIRECT;
		return false;
	}
	w->table = gmem_ptr(w->q->gm, GPA(d->addr), d->len);
	if (!w->table) {
		*why = VIRTQ_ERR_ADDR;
		return false;
	}
	w->table_n = w->budget = n;
	w->idx = 0;
	w->in_indirect = true;
	return true;
}

enum virtq_step virtq_walk_next(struct virtq_walk *w, struct vring_desc *d, enum virtq_err *why)
{
	if (w->started) {
		if (w->d.flags & VRING_DESC_F_INDIRECT) {
			if (!virtq_walk_indirect(w, why))
				return VIRTQ_STEP_REFUSED;
		} else if (!(w->d.flags & VRING_DESC_F_NEXT)) {
			return VIRTQ_STEP_END;
		} else {
			w->idx = w->d.next;
			if (w->idx >= w->table_n) {
				*why = VIRTQ_ERR_NEXT;
				return VIRTQ_STEP_REFUSED;
			}
		}
	}
	if (w->budget == 0) {
		*why = VIRTQ_ERR_LOOP;
		return VIRTQ_STEP_REFUSED;
	}
	w->budget--;
	w->started = true;
	memcpy(&w->d, w->table + sizeof(struct vring_desc) * w->idx, sizeof(w->d));
	*d = w->d;
	return VIRTQ_STEP_DESC;
}

/* Adds one data descriptor to c; false when the chain must be refused (*why). */
static bool virtq_chain_add(struct virtq *q, struct virtq_chain *c, const struct vring_desc *d,
			    enum virtq_err *why)
{
	bool writable = d->flags & VRING_DESC_F_WRITE;
	void *p;

	if (d->len == 0)
		return true;
	p = gmem_ptr(q->gm, GPA(d->addr), d->len);
	if (!p) {
		*why = VIRTQ_ERR_ADDR;
		return false;
	}
	/* §2.7.4.2: device-writable descriptors come after readable ones. */
	if (!writable && c->nr_in) {
		*why = VIRTQ_ERR_ORDER;
		return false;
	}
	if ((uint64_t)c->out_bytes + c->in_bytes + d->len > UINT32_MAX) {
		*why = VIRTQ_ERR_TOTAL;
		return false;
	}
	if (c->nr_out + c->nr_in == q->size) {
		*why = VIRTQ_ERR_LOOP;
		return false;
	}
	c->iov[c->nr_out + c->nr_in] = (struct iovec){ p, d->len };
	if (writable) {
		c->nr_in++;
		c->in_bytes += d->len;
	} else {
		c->nr_out++;
		c->out_bytes += d->len;
	}
	return true;
}

/* The chain at head into c->iov; false when it must be refused (*why). */
static bool virtq_chain(struct virtq *q, uint16_t head, struct virtq_chain *c, enum virtq_err *why)
{
	struct virtq_walk w;
	struct vring_desc d;
	enum virtq_step step;

	c->nr_out = c->nr_in = 0;
	c->out_bytes = c->in_bytes = 0;
	virtq_walk_start(&w, q, head);
	while ((step = virtq_walk_next(&w, &d, why)) == VIRTQ_STEP_DESC) {
		/* An indirect descriptor holds no data: the walk enters its table next. */
		if (!(d.flags & VRING_DESC_F_INDIRECT) && !virtq_chain_add(q, c, &d, why))
			return false;
	}
	return step == VIRTQ_STEP_END;
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
		enum virtq_err why;
		uint16_t head;

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
		if (virtq_chain(q, head, chain, &why)) {
			q->in_use[head / 64] |= 1ULL << (head % 64);
			chain->head = head;
			STAT_INC(q->chains);
			trace(TRACE_VIRTQ, "%s: queue %u pop head %u (avail slot %u of idx %u): %u out "
			      "%u bytes, %u in %u bytes", q->name, q->index, head,
			      (uint16_t)(q->next_avail - 1), avail_idx, chain->nr_out, chain->out_bytes,
			      chain->nr_in, chain->in_bytes);
			return VIRTQ_CHAIN;
		}
		STAT_INC(q->errors[why]);
		trace(TRACE_VIRTQ, "%s: queue %u refused head %u: %s", q->name, q->index, head,
		      virtq_err_names[why]);
		virtq_violation(q, head, "queue %u: chain %u refused: %s", q->index, head,
				virtq_err_why[why]);
		virtq_push(q, head, 0);
		(*completed)++;
	}
	return VIRTQ_EMPTY;
}

void virtq_add_used(struct virtq *q, uint16_t k, uint16_t head, uint32_t len)
{
	struct vring_used_elem e = { .id = head, .len = len };
	uint16_t slot = (uint16_t)(q->next_used + k) % q->size;

	if (head < q->size)
		q->in_use[head / 64] &= ~(1ULL << (head % 64));
	memcpy((void *)(q->used + 4 + sizeof(e) * slot), &e, sizeof(e));
	trace(TRACE_VIRTQ, "%s: queue %u used head %u len %u (slot %u)", q->name, q->index,
	      head, len, slot);
}

void virtq_publish(struct virtq *q, uint16_t n)
{
	/* Release: the elements are visible before the index that publishes them (§2.7.14). */
	__atomic_thread_fence(__ATOMIC_RELEASE);
	STAT_ADD(q->next_used, n);
	*(volatile uint16_t *)(q->used + 2) = q->next_used;
	trace(TRACE_VIRTQ, "%s: queue %u used.idx %u (+%u)", q->name, q->index, q->next_used, n);
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
			      q->name, q->index, now);
		return notify;
	}
	q->signalled_used = now;
	q->signalled_valid = true;
	event = q->avail[2 + q->size];	/* used_event */
	/* §2.7.10.1: notify when used_event lies in [old, now). */
	notify = !valid || (uint16_t)(now - event - 1) < (uint16_t)(now - old);
	if (!notify)
		trace(TRACE_IRQ, "%s: queue %u used.idx %u: suppressed by EVENT_IDX (used_event %u)",
		      q->name, q->index, now, event);
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
		*(volatile uint16_t *)(q->used + 4 + sizeof(struct vring_used_elem) * q->size) =
			q->next_avail;
	else
		*(volatile uint16_t *)q->used = 0;
	/* Full barrier: the store above is visible before avail.idx is loaded again. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return q->broken == VIRTQ_OK && q->avail[1] != q->next_avail;
}

/* Whether the walk met this descriptor before in the current table: the chain loops. */
static bool virtq_dump_seen(uint64_t *seen, const struct virtq_walk *w, bool *in_indirect)
{
	uint32_t i = w->idx;

	if (w->in_indirect != *in_indirect) {
		memset(seen, 0, VIRTQ_MAX_SIZE / 8);
		*in_indirect = w->in_indirect;
	}
	if (seen[i / 64] & (1ULL << (i % 64)))
		return true;
	seen[i / 64] |= 1ULL << (i % 64);
	return false;
}

void virtq_dump_chain(const struct virtq *q, uint16_t head, FILE *out)
{
	uint64_t seen[VIRTQ_MAX_SIZE / 64] = { 0 };	/* indices met in the current table */
	bool in_indirect = false;
	struct virtq_walk w;
	struct vring_desc d;
	enum virtq_step step;
	enum virtq_err why;
	unsigned int shown = 0;

	fprintf(out, "  offending chain: queue %u head %u\n", q->index, head);
	virtq_walk_start(&w, q, head);
	while ((step = virtq_walk_next(&w, &d, &why)) == VIRTQ_STEP_DESC) {
		const char *where = w.in_indirect ? "indirect " : "";

		if (virtq_dump_seen(seen, &w, &in_indirect)) {
			fprintf(out, "    %sdesc %u again: the chain loops\n", where, w.idx);
			return;
		}
		if (shown++ == DUMP_DESC_MAX) {
			fprintf(out, "    ... (more than %u descriptors)\n", DUMP_DESC_MAX);
			return;
		}
		fprintf(out, "    %sdesc %u: addr 0x%llx len %u flags 0x%x%s%s%s next %u\n", where,
			w.idx, (unsigned long long)d.addr, d.len, d.flags,
			d.flags & VRING_DESC_F_NEXT ? " NEXT" : "",
			d.flags & VRING_DESC_F_WRITE ? " WRITE" : "",
			d.flags & VRING_DESC_F_INDIRECT ? " INDIRECT" : "", d.next);
	}
	/* The walk stops a loop once the table's entries are spent: the next one was shown. */
	if (step == VIRTQ_STEP_REFUSED && why == VIRTQ_ERR_LOOP)
		fprintf(out, "    %sdesc %u again: the chain loops\n",
			w.in_indirect ? "indirect " : "", w.d.next);
	else if (step == VIRTQ_STEP_REFUSED)
		fprintf(out, "    refused here: %s\n", virtq_err_why[why]);
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
