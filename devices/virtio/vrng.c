// SPDX-License-Identifier: MIT
// virtio entropy device (virtio 1.2 §5.4): one request queue filled from getrandom().
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <unistd.h>

#include "base/sandbox.h"
#include "devices/virtio/vrng.h"

#define VRNG_QUEUE_MAX 256

static uint64_t vrng_features(void *dev __unused)
{
	return VIRTIO_BIT(VIRTIO_RING_F_INDIRECT_DESC) | VIRTIO_BIT(VIRTIO_RING_F_EVENT_IDX);
}

/* Fills the chain's writable buffers; returns the bytes written. */
static uint32_t vrng_fill(const struct virtq_chain *c)
{
	uint32_t done = 0;

	for (unsigned int i = c->nr_out; i < c->nr_out + c->nr_in; i++) {
		ssize_t n = getrandom(c->iov[i].iov_base, c->iov[i].iov_len, 0);

		if (n <= 0)
			break;
		done += n;
		if ((size_t)n < c->iov[i].iov_len)
			break;
	}
	return done;
}

/* Serves everything available; false when the ring is corrupt. */
static bool vrng_drain(struct vrng *r)
{
	bool pushed = false;

	do {
		struct virtq_chain c;
		unsigned int completed;
		enum virtq_pop_result res;

		virtq_disable_kicks(&r->q);
		while ((res = virtq_pop(&r->q, &c, &completed)) == VIRTQ_CHAIN) {
			uint32_t n = 0;

			if (c.nr_in == 0) {
				atomic_fetch_add(&r->no_writable, 1);	/* nothing to fill */
				/* §5.4.6.1: the driver MUST NOT place driver-readable buffers. */
				if (c.nr_out)
					vmmio_violation(&r->t, &r->q, c.head, "queue 0: request %u "
						       "has only device-readable buffers", c.head);
			} else {
				n = vrng_fill(&c);
			}
			virtq_push(&r->q, c.head, n);
			atomic_fetch_add(&r->bytes, n);
			atomic_fetch_add(&r->requests, 1);
			pushed = true;
		}
		pushed |= completed > 0;
		if (res == VIRTQ_BROKEN) {
			vmmio_set_needs_reset(&r->t);
			return false;
		}
	} while (virtq_enable_kicks(&r->q));
	/* One interrupt per batch, if the driver wants one. */
	if (pushed && virtq_should_notify(&r->q))
		vmmio_interrupt(&r->t, VIRTIO_MMIO_INT_VRING);
	return true;
}

static void *vrng_thread(void *arg)
{
	struct vrng *r = arg;
	int kick_fd = r->t.queues[0].kick_fd;
	bool alive;

	if (sandbox_enter(SANDBOX_RNG)) {
		log_err("%s: cannot enter the seccomp sandbox; the device needs a reset", r->t.name);
		vmmio_set_needs_reset(&r->t);
		return NULL;
	}
	alive = vrng_drain(r);

	for (;;) {
		struct pollfd p[2] = { { .fd = kick_fd, .events = POLLIN },
				       { .fd = r->stop_fd, .events = POLLIN } };
		uint64_t v;

		if (poll(p, 2, -1) < 0 && errno != EINTR)
			break;
		if (p[1].revents)
			break;
		if (p[0].revents && read(kick_fd, &v, sizeof(v)) == sizeof(v) && alive)
			alive = vrng_drain(r);
	}
	return NULL;
}

static int vrng_activate(void *dev, struct vmmio *t)
{
	struct vrng *r = dev;
	struct vmmio_queue cfg;
	uint64_t f = vmmio_features(t);
	uint64_t v;
	int ret;

	if (!vmmio_queue(t, 0, &cfg))
		return 0;	/* no queue: nothing to serve until the driver sets one up */
	ret = virtq_init(&r->q, t->gm, cfg.num, cfg.desc, cfg.avail, cfg.used,
			 f & VIRTIO_BIT(VIRTIO_RING_F_EVENT_IDX),
			 f & VIRTIO_BIT(VIRTIO_RING_F_INDIRECT_DESC));
	if (ret)
		return ret;
	vmmio_attach_queue(t, 0, &r->q);
	while (read(r->stop_fd, &v, sizeof(v)) > 0)
		;	/* a stale stop from an earlier reset */
	ret = pthread_create(&r->thread, NULL, vrng_thread, r);
	if (ret)
		return -ret;	/* pthread_create returns the error number itself */
	r->running = true;
	return 0;
}

static void vrng_reset(void *dev)
{
	struct vrng *r = dev;
	uint64_t one = 1;

	if (!r->running)
		return;
	/* After the join nothing reads or writes the rings: the driver may reuse them. */
	if (write(r->stop_fd, &one, sizeof(one)) != sizeof(one))
		log_err("virtio-rng: cannot stop the I/O thread");
	pthread_join(r->thread, NULL);
	r->running = false;
}

static const struct virtq *vrng_queue(void *dev, unsigned int index __unused)
{
	struct vrng *r = dev;

	return r->running ? &r->q : NULL;
}

static const struct vdev_ops vrng_ops = {
	.name = "virtio-rng",
	.device_id = VIRTIO_ID_RNG,
	.nr_queues = 1,
	.queue_max = VRNG_QUEUE_MAX,
	.config_size = 0,
	.features = vrng_features,
	.activate = vrng_activate,
	.reset = vrng_reset,
	.queue = vrng_queue,
};

int vrng_init(struct vrng *r, const struct gmem *gm, uint64_t base, uint32_t gsi, int vm_fd,
	      int irq_fd)
{
	int ret;

	memset(r, 0, sizeof(*r));
	r->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (r->stop_fd < 0)
		return -errno;
	ret = vmmio_init(&r->t, &vrng_ops, r, gm, base, gsi, vm_fd, irq_fd);
	if (ret)
		close(r->stop_fd);
	return ret;
}

void vrng_metrics(struct vrng *r, FILE *out)
{
	fprintf(out, "{\"name\":\"%s\",", r->t.name);
	vmmio_metrics(&r->t, out);
	fprintf(out, ",\"queues\":[");
	if (r->q.size)
		virtq_metrics(&r->q, out);
	fprintf(out, "],\"rng\":{\"requests\":%llu,\"bytes\":%llu,\"no_writable\":%llu}}",
		(unsigned long long)atomic_load(&r->requests), (unsigned long long)atomic_load(&r->bytes),
		(unsigned long long)atomic_load(&r->no_writable));
}

void vrng_stop(struct vrng *r)
{
	pthread_mutex_lock(&r->t.lock);
	vrng_reset(r);
	pthread_mutex_unlock(&r->t.lock);
}

void vrng_destroy(struct vrng *r)
{
	vrng_stop(r);
	vmmio_destroy(&r->t);
	close(r->stop_fd);
}
