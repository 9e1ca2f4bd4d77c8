// SPDX-License-Identifier: MIT
// What every virtio device shares: a driver's spec violations and the --virtio-strict policy.
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <string.h>

#include "devices/virtio/virtq.h"
#include "devices/virtio/vmmio.h"

#define DUMP_DESC_MAX	16	/* descriptors of the offending chain shown */

/* Set before any device runs (vdev_strict_set), read-only afterwards. */
static enum vdev_strict vdev_mode = VDEV_STRICT_WARN;
static void (*vdev_stop)(void *opaque);
static void *vdev_stop_arg;
static atomic_bool vdev_aborted;

static const char *const vdev_strict_names[] = {
	[VDEV_STRICT_OFF] = "off", [VDEV_STRICT_WARN] = "warn",
	[VDEV_STRICT_RESET] = "reset", [VDEV_STRICT_ABORT] = "abort",
};

int vdev_strict_parse(const char *name, enum vdev_strict *mode)
{
	for (size_t i = 0; i < ARRAY_SIZE(vdev_strict_names); i++) {
		if (strcmp(name, vdev_strict_names[i]) == 0) {
			*mode = i;
			return 0;
		}
	}
	return -EINVAL;
}

void vdev_strict_set(enum vdev_strict mode, void (*stop)(void *opaque), void *opaque)
{
	vdev_mode = mode;
	vdev_stop = stop;
	vdev_stop_arg = opaque;
	atomic_store(&vdev_aborted, false);
}

/* The chain at head as the driver wrote it, bounded: a loop shows as repeated indices. */
static void vdev_dump_chain(const struct virtq *q, uint16_t head)
{
	const uint8_t *table = q->desc;
	uint32_t n = q->size, idx = head;
	uint64_t seen[VIRTQ_MAX_SIZE / 64] = { 0 };	/* visited in the current table */

	fprintf(stderr, "  offending chain: queue %u head %u\n", q->index, head);
	for (unsigned int shown = 0; idx < n; shown++) {
		struct vring_desc d;

		if (seen[idx / 64] & (1ULL << (idx % 64))) {
			fprintf(stderr, "    %sdesc %u again: the chain loops\n",
				table == q->desc ? "" : "indirect ", idx);
			return;
		}
		seen[idx / 64] |= 1ULL << (idx % 64);
		if (shown == DUMP_DESC_MAX) {
			fprintf(stderr, "    ... (more than %u descriptors)\n", DUMP_DESC_MAX);
			return;
		}
		memcpy(&d, table + sizeof(d) * idx, sizeof(d));
		fprintf(stderr, "    %sdesc %u: addr 0x%llx len %u flags 0x%x%s%s%s next %u\n",
			table == q->desc ? "" : "indirect ", idx, (unsigned long long)d.addr, d.len,
			d.flags, d.flags & VRING_DESC_F_NEXT ? " NEXT" : "",
			d.flags & VRING_DESC_F_WRITE ? " WRITE" : "",
			d.flags & VRING_DESC_F_INDIRECT ? " INDIRECT" : "", d.next);
		if ((d.flags & VRING_DESC_F_INDIRECT) && table == q->desc) {
			table = d.len % sizeof(d) ? NULL : gmem_ptr(q->gm, GPA(d.addr), d.len);
			if (!table) {
				fprintf(stderr, "    (indirect table not in guest RAM, or bad length)\n");
				return;
			}
			n = MIN(d.len / (uint32_t)sizeof(d), (uint32_t)VIRTQ_MAX_SIZE);
			idx = 0;
			memset(seen, 0, sizeof(seen));
			continue;
		}
		if (!(d.flags & VRING_DESC_F_NEXT))
			return;
		idx = d.next;
	}
	fprintf(stderr, "    next %u is beyond the %u-entry table\n", idx, n);
}

/* One queue's setup (transport), the indices the driver published, and the device's cursors. */
static void vdev_dump_queue(struct vmmio *t, unsigned int i, const struct virtq *q)
{
	const struct vmmio_queue *c = &t->queues[i];
	const volatile uint16_t *avail = gmem_ptr(t->gm, GPA(c->avail), 4);
	const volatile uint16_t *used = gmem_ptr(t->gm, GPA(c->used), 4);

	fprintf(stderr, "  queue %u: size %u ready %d desc 0x%llx avail 0x%llx used 0x%llx", i,
		c->num, c->ready, (unsigned long long)c->desc, (unsigned long long)c->avail,
		(unsigned long long)c->used);
	if (c->ready && avail && used)
		fprintf(stderr, " avail.idx %u used.idx %u", avail[1], used[1]);
	if (q && q->size)
		fprintf(stderr, " next_avail %u next_used %u broken %d",
			__atomic_load_n(&q->next_avail, __ATOMIC_RELAXED),
			__atomic_load_n(&q->next_used, __ATOMIC_RELAXED),
			(int)__atomic_load_n(&q->broken, __ATOMIC_RELAXED));
	fprintf(stderr, "\n");
}

/*
 * The device state for --virtio-strict=abort. It runs without t->lock (a
 * vCPU may hold it while it waits for this thread); the other threads'
 * fields are read as a snapshot that may be a moment old.
 */
static void vdev_dump(struct vmmio *t, const struct virtq *q, int head, const char *msg)
{
	uint32_t status = __atomic_load_n(&t->status, __ATOMIC_RELAXED);

	flockfile(stderr);
	fprintf(stderr, "minnow: virtio-strict: %s: driver violation: %s\n", t->name, msg);
	fprintf(stderr, "  status 0x%x%s (ACKNOWLEDGE 1, DRIVER 2, DRIVER_OK 4, FEATURES_OK 8)\n",
		status, atomic_load(&t->needs_reset) ? " + NEEDS_RESET" : "");
	fprintf(stderr, "  features offered 0x%llx acked 0x%llx\n", (unsigned long long)t->offered,
		(unsigned long long)__atomic_load_n(&t->driver_features, __ATOMIC_RELAXED));
	for (unsigned int i = 0; i < t->ops->nr_queues; i++)
		vdev_dump_queue(t, i, t->ops->queue ? t->ops->queue(t->dev, i) : NULL);
	if (q && head >= 0 && head < q->size)
		vdev_dump_chain(q, head);
	funlockfile(stderr);
}

void vdev_fault(struct vmmio *t, enum vdev_fault kind, const struct virtq *q, int head,
		const char *fmt, ...)
{
	bool violation = kind == VDEV_VIOLATION, log;
	char msg[256];
	va_list ap;

	if (!t)
		return;
	if (violation)
		atomic_fetch_add(&t->violations, 1);
	if (violation && vdev_mode == VDEV_STRICT_OFF)
		return;
	pthread_mutex_lock(&t->violation_lock);
	log = LOG_WARN <= log_threshold && log_ratelimit_ok(&t->rl, log_now_ns());
	pthread_mutex_unlock(&t->violation_lock);
	if (log || (violation && vdev_mode == VDEV_STRICT_ABORT)) {
		va_start(ap, fmt);
		vsnprintf(msg, sizeof(msg), fmt, ap);
		va_end(ap);
	}
	if (!violation) {
		if (log)
			log_warn("%s: %s", t->name, msg);
		return;
	}
	if (log && vdev_mode != VDEV_STRICT_ABORT)	/* abort: the dump says it */
		log_warn("%s: %s", t->name, msg);
	if (vdev_mode == VDEV_STRICT_RESET)
		vmmio_set_needs_reset(t);
	if (vdev_mode == VDEV_STRICT_ABORT && !atomic_exchange(&vdev_aborted, true)) {
		sigset_t all, old;

		/*
		 * Stop first, so that nothing the guest does meanwhile ends the run
		 * another way: the main thread stops the vCPUs and devices (joining
		 * this thread before guest RAM goes) and exits with status 5. The
		 * vCPU kick signal waits until the dump is written.
		 */
		sigfillset(&all);
		pthread_sigmask(SIG_BLOCK, &all, &old);
		if (vdev_stop)
			vdev_stop(vdev_stop_arg);
		vdev_dump(t, q, head, msg);
		pthread_sigmask(SIG_SETMASK, &old, NULL);
	}
}
