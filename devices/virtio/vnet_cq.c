// SPDX-License-Identifier: MIT
// virtio-net's control queue (virtio 1.2 §5.1.6.5) on a thread of its own (DESIGN §3): commands
// are rare, and one may wait for a pair's TX to drain or for a TUNSETQUEUE, which the per-packet
// loops of the pairs' I/O threads must never do; the vCPU cannot serve it either, since its
// kick reaches an ioeventfd, not the vCPU thread. It owns the control ring and the recorded
// state (n->cs), and is the one thread that enables and disables pairs while they run.
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/virtio_net.h>

#include "base/sandbox.h"
#include "base/stat.h"
#include "base/trace.h"
#include "devices/virtio/vnet_cq.h"
#include "devices/virtio/vnet_ctrl.h"
#include "devices/virtio/vnet_hdr.h"
#include "devices/virtio/vnet_iov.h"
#include "net/l34.h"

#define CQ_DRAIN_MS 1000	/* how long a disabled pair's TX in flight may take to finish */

void vnet_cq_reset_state(struct vnet *n)
{
	pthread_mutex_lock(&n->ctrl_lock);
	n->cs = (struct vnet_ctrl_state){ .pairs = 1,
					  .guest_offloads = atomic_load(&n->rx_accept) };
	memcpy(n->cs.mac, n->mac, 6);
	pthread_mutex_unlock(&n->ctrl_lock);
}

static void cq_kick(struct vnet *n, unsigned int queue)
{
	uint64_t one = 1;

	if (write(n->t.queues[queue].kick_fd, &one, sizeof(one)) != sizeof(one))
		log_warn("%s: cannot wake queue %u", n->t.name, queue);
}

/*
 * Takes pair i out of use between packets: it stops taking TX chains (read
 * once per batch), the frames it lent finish (bounded wait: tap writes do not
 * block), then its host queue is detached. Its RX buffers stay lent, unread
 * and uncompleted: they are the guest's when it enables the pair again.
 */
static int cq_pair_disable(struct vnet *n, struct vnet_pair *p)
{
	struct timespec ms = { 0, 1000000 };

	atomic_store(&p->enabled, false);
	cq_kick(n, 2 * p->index + VNET_TXQ);	/* the I/O thread looks at the flag now */
	for (int waited = 0; p->io && __atomic_load_n(&p->io->tx_busy, __ATOMIC_RELAXED) &&
			     waited < CQ_DRAIN_MS; waited++)
		nanosleep(&ms, NULL);
	return backend_set_queue(p->be, false);
}

/* Puts pair i in use: host queue attached first, then its reads and TX start again. */
static int cq_pair_enable(struct vnet *n, struct vnet_pair *p)
{
	int ret = backend_set_queue(p->be, true);

	if (ret)
		return ret;
	atomic_store(&p->enabled, true);
	cq_kick(n, 2 * p->index + VNET_RXQ);	/* the reads a detach stopped start again */
	cq_kick(n, 2 * p->index + VNET_TXQ);
	return 0;
}

/* VQ_PAIRS_SET (§5.1.6.5.5): pairs 0 .. want-1 in use, the rest not. */
static enum vnet_ctrl_err cq_pairs(struct vnet *n, uint16_t want)
{
	if (want > n->started)
		return VNET_CTRL_ERR_PAIRS;	/* the driver did not set up that many */
	for (unsigned int i = n->npairs; i-- > want;) {
		if (atomic_load(&n->pair[i].enabled) && cq_pair_disable(n, &n->pair[i])) {
			log_ratelimited(&n->rl, LOG_WARN, "%s: cannot detach queue %u of '%s'",
					n->t.name, i, n->be->name);
			return VNET_CTRL_ERR_HOST;
		}
	}
	for (unsigned int i = 1; i < want; i++) {
		if (!atomic_load(&n->pair[i].enabled) && cq_pair_enable(n, &n->pair[i])) {
			log_ratelimited(&n->rl, LOG_WARN, "%s: cannot attach queue %u of '%s'",
					n->t.name, i, n->be->name);
			return VNET_CTRL_ERR_HOST;
		}
	}
	__atomic_store_n(&n->active_pairs, want, __ATOMIC_RELAXED);
	return VNET_CTRL_OK;
}

/*
 * GUEST_OFFLOADS_SET (§5.1.6.5.6): the host's receive offloads follow. A bit
 * turned on counts from before the host applies it, a bit turned off from
 * after, so no frame arrives with an offload the guest is not told it took;
 * a frame the host had already read with one the guest gave up is dropped
 * and counted (rx_offload).
 */
static enum vnet_ctrl_err cq_offloads(struct vnet *n, uint64_t want)
{
	struct net_caps accept;
	uint64_t keep = n->negotiated & ~vnet_ctrl_offload_bits();
	int ret;

	atomic_fetch_or(&n->rx_accept, want);
	vnet_hdr_rx_accepts(keep | want, &accept);
	ret = backend_set_rx_offloads(n->be, &accept);
	atomic_store(&n->rx_accept, ret ? atomic_load(&n->rx_accept) & ~want : want);
	if (ret) {
		vnet_hdr_rx_accepts(n->negotiated, &accept);
		log_ratelimited(&n->rl, LOG_WARN, "%s: '%s' refuses receive offloads 0x%llx: %s",
				n->t.name, n->be->name, (unsigned long long)want, strerror(-ret));
		return VNET_CTRL_ERR_HOST;
	}
	__atomic_store_n(&n->active_offloads, STAT_READ(n->be->offloads), __ATOMIC_RELAXED);
	return VNET_CTRL_OK;
}

/* Carries out what a checked command asks of the host, then records it. */
static enum vnet_ctrl_err cq_exec(struct vnet *n, const struct vnet_ctrl_cmd *cmd)
{
	enum vnet_ctrl_err e = VNET_CTRL_OK;

	if (cmd->kind == VNET_CTRL_PAIRS)
		e = cq_pairs(n, cmd->pairs);
	else if (cmd->kind == VNET_CTRL_OFFLOADS)
		e = cq_offloads(n, cmd->offloads);
	if (e)
		return e;
	pthread_mutex_lock(&n->ctrl_lock);
	vnet_ctrl_apply(&n->cs, cmd);
	if (cmd->kind == VNET_CTRL_MAC_ADDR)
		memcpy(n->mac, cmd->mac, 6);	/* the config space reports it from now on */
	pthread_mutex_unlock(&n->ctrl_lock);
	return VNET_CTRL_OK;
}

static void cq_count(struct vnet *n, enum vnet_ctrl_err e)
{
	STAT_INC(n->cstats.commands);
	if (e == VNET_CTRL_OK) {
		STAT_INC(n->cstats.ok);
		return;
	}
	STAT_INC(n->cstats.err);
	STAT_INC(n->cstats.errors[e]);
}

/* One command chain: parse, carry out, ack (VIRTIO_NET_OK or VIRTIO_NET_ERR) in its last byte. */
static void cq_one(struct vnet *n, const struct virtq_chain *c)
{
	uint8_t buf[VNET_CTRL_MAX_LEN];
	size_t out = MIN(c->out_bytes, (uint32_t)VNET_CTRL_MAX_LEN);
	struct vnet_ctrl_cmd cmd;
	enum vnet_ctrl_err e = VNET_CTRL_ERR_SHORT;
	uint8_t ack;

	if (l34_copy(c->iov, c->nr_out, 0, buf, out))	/* copied once, then checked */
		e = vnet_ctrl_parse(buf, c->out_bytes, c->in_bytes, n->negotiated,
				    (uint16_t)n->npairs, &cmd);
	if (e == VNET_CTRL_OK)
		e = cq_exec(n, &cmd);
	cq_count(n, e);
	trace(TRACE_NET, "%s: control command %u.%u: %s", n->t.name, out ? buf[0] : 0,
	      out > 1 ? buf[1] : 0, vnet_ctrl_err_names[e]);
	if (e != VNET_CTRL_OK && e != VNET_CTRL_ERR_HOST)
		vmmio_violation(&n->t, &n->ctrlq, c->head, "control command %u.%u refused (%s)",
				out ? buf[0] : 0, out > 1 ? buf[1] : 0, vnet_ctrl_err_names[e]);
	if (e == VNET_CTRL_ERR_NO_ACK) {
		virtq_push(&n->ctrlq, c->head, 0);	/* nowhere to say so */
		return;
	}
	ack = e == VNET_CTRL_OK ? VIRTIO_NET_OK : VIRTIO_NET_ERR;
	vnet_iov_copy_in(c->iov + c->nr_out, c->nr_in, &ack, 1);
	virtq_push(&n->ctrlq, c->head, 1);
}

/* Every available command, in order; false when the ring is corrupt (NEEDS_RESET). */
static bool cq_serve(struct vnet *n)
{
	bool pushed = false;

	do {
		struct virtq_chain c;
		unsigned int completed = 0;
		enum virtq_pop_result res;

		virtq_disable_kicks(&n->ctrlq);
		while ((res = virtq_pop(&n->ctrlq, &c, &completed)) == VIRTQ_CHAIN) {
			cq_one(n, &c);
			pushed = true;
		}
		/* Chains the ring refused went back with used length 0 (virtq_pop). */
		for (; completed; completed--, pushed = true)
			cq_count(n, VNET_CTRL_ERR_CHAIN);
		if (res == VIRTQ_BROKEN) {
			vmmio_set_needs_reset(&n->t);
			return false;
		}
	} while (virtq_enable_kicks(&n->ctrlq));
	if (pushed && virtq_should_notify(&n->ctrlq))
		vmmio_interrupt(&n->t, VIRTIO_MMIO_INT_VRING);
	return true;
}

static void *cq_thread(void *arg)
{
	struct vnet *n = arg;
	int kick = n->t.queues[n->ctrl_index].kick_fd;
	bool live = true;

	if (sandbox_enter(SANDBOX_NET_CTRL)) {
		log_err("%s: cannot enter the seccomp sandbox; the device needs a reset", n->t.name);
		vmmio_set_needs_reset(&n->t);
		return NULL;
	}

	for (;;) {
		struct pollfd p[2] = { { .fd = live ? kick : -1, .events = POLLIN },
				       { .fd = n->ctrl_stop_fd, .events = POLLIN } };
		uint64_t v;

		if (live)
			live = cq_serve(n);	/* a corrupt ring: wait for the reset */
		if (poll(p, 2, -1) < 0 && errno != EINTR)
			break;
		if (p[1].revents)
			break;
		while (read(kick, &v, sizeof(v)) > 0)
			;	/* every kick means "look at the ring" */
	}
	return NULL;
}

int vnet_cq_start(struct vnet *n, struct vmmio *t)
{
	struct vmmio_queue q;
	uint64_t f = vmmio_features(t), v;
	int ret;

	if (!(f & VIRTIO_BIT(VIRTIO_NET_F_CTRL_VQ)))
		return 0;
	/* §5.1.2: the control queue follows the pairs: 2N with MQ, else 2. */
	n->ctrl_index = (f & VIRTIO_BIT(VIRTIO_NET_F_MQ)) ? 2 * n->npairs : 2;
	if (!vmmio_queue(t, n->ctrl_index, &q)) {
		log_warn("%s: CTRL_VQ negotiated but queue %u not set up; no control commands",
			 t->name, n->ctrl_index);
		return 0;
	}
	if (virtq_init(&n->ctrlq, t->gm, q.num, q.desc, q.avail, q.used,
		       f & VIRTIO_BIT(VIRTIO_RING_F_EVENT_IDX),
		       f & VIRTIO_BIT(VIRTIO_RING_F_INDIRECT_DESC)))
		return -EINVAL;
	vmmio_attach_queue(t, n->ctrl_index, &n->ctrlq);
	while (read(n->ctrl_stop_fd, &v, sizeof(v)) > 0)
		;	/* a stop left from an earlier reset */
	ret = -pthread_create(&n->ctrl_thread, NULL, cq_thread, n);
	if (ret)
		return ret;
	n->ctrl_running = true;
	return 0;
}

void vnet_cq_stop(struct vnet *n)
{
	uint64_t one = 1;

	if (!n->ctrl_running)
		return;
	if (write(n->ctrl_stop_fd, &one, sizeof(one)) != sizeof(one))
		log_err("%s: cannot stop the control thread", n->t.name);
	pthread_join(n->ctrl_thread, NULL);
	n->ctrl_running = false;
}
