// SPDX-License-Identifier: MIT
// virtio-net's I/O thread (DESIGN §6): one per queue pair, running its backend's loop
// (net/backend.h). Kicks and completions come back as events: the RX and TX paths answer them,
// a used entry is written only after its I/O completed, and interrupts are coalesced per batch.
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/sandbox.h"
#include "base/stat.h"
#include "devices/virtio/vnet_io.h"
#include "devices/virtio/vnet_rx.h"
#include "devices/virtio/vnet_tx.h"

static void io_kick(void *ctx, unsigned int queue)
{
	struct vnet_qp *io = ctx;

	STAT_INC(io->p->kicks);
	if (queue == VNET_RXQ)
		vnet_rx_fill(ctx);
	else
		vnet_tx_drain(ctx);
}

static void io_rx_done(void *ctx, uint32_t id, int res, const struct net_rx_meta *meta)
{
	vnet_rx_done(ctx, id, res, meta);
}

static void io_tx_done(void *ctx, uint32_t id, const struct backend_tx_result *r)
{
	vnet_tx_done(ctx, id, r);
}

/* The batch of writes is done: the next one may go. */
static void io_tx_idle(void *ctx)
{
	vnet_tx_drain(ctx);
}

/* One interrupt per batch, when either queue's driver wants one (§2.7.10). */
static void io_batch(void *ctx)
{
	struct vnet_qp *io = ctx;
	struct vnet *n = io->n;
	bool need = false;

	if (io->rx_pushed) {
		io->rx_pushed = false;
		need |= virtq_should_notify(&io->p->rxq);
	}
	if (io->tx_pushed) {
		io->tx_pushed = false;
		need |= virtq_should_notify(&io->p->txq);
	}
	if (need) {
		STAT_INC(io->p->stats.interrupts);
		vmmio_interrupt(&n->t, VIRTIO_MMIO_INT_VRING);
	}
}

/* The host side was detached (a read or write said EBADFD): no more reads, NEEDS_RESET. */
static void io_gone(void *ctx)
{
	struct vnet_qp *io = ctx;

	io->gone = true;
	/* A host problem the guest cannot fix by itself; a reset re-checks the host (DESIGN §5). */
	log_err("%s: '%s' is gone; the device needs a reset", io->n->t.name, io->be->name);
	vmmio_set_needs_reset(&io->n->t);
}

static void io_started(struct vnet_qp *io, int result)
{
	pthread_mutex_lock(&io->lock);
	io->init_result = result;
	io->init_done = true;
	pthread_cond_signal(&io->cond);
	pthread_mutex_unlock(&io->lock);
}

static void *io_thread(void *arg)
{
	struct vnet_qp *io = arg;
	struct vnet *n = io->n;
	const struct backend_loop loop = {
		.kick_fd = { n->t.queues[2 * io->p->index + VNET_RXQ].kick_fd,
			     n->t.queues[2 * io->p->index + VNET_TXQ].kick_fd },
		.stop_fd = io->p->stop_fd,
		.label = n->t.name,
		.ev = { .ctx = io, .kick = io_kick, .rx_done = io_rx_done, .tx_done = io_tx_done,
			.tx_idle = io_tx_idle, .batch = io_batch, .gone = io_gone },
	};
	char name[16];
	int ret;

	/* "vnet-io0": top -H and bench/devbench tell the pairs' threads from the others. */
	snprintf(name, sizeof(name), "vnet-io%u", io->p->index);
	pthread_setname_np(pthread_self(), name);
	ret = sandbox_enter(SANDBOX_NET_IO);
	if (!ret)
		ret = backend_attach(io->be, &loop);
	io_started(io, ret);
	if (ret)
		return NULL;
	ret = backend_run(io->be);
	if (ret) {
		log_err("%s: the network backend failed: %s; the device needs a reset", n->t.name,
			strerror(-ret));
		vmmio_set_needs_reset(&n->t);
	}
	backend_detach(io->be);
	return NULL;
}

int vnet_io_start(struct vnet_pair *p)
{
	struct vnet *n = p->n;
	struct vnet_qp *io = calloc(1, sizeof(*io));
	uint64_t gso = VIRTIO_BIT(VIRTIO_NET_F_GUEST_TSO4) | VIRTIO_BIT(VIRTIO_NET_F_GUEST_TSO6) |
		       VIRTIO_BIT(VIRTIO_NET_F_GUEST_USO4);
	uint64_t v;
	int ret;

	if (!io)
		return -ENOMEM;
	io->n = n;
	io->p = p;
	io->be = p->be;
	/*
	 * §5.1.6.3.1: 65562 bytes with guest GSO; else a tagged frame of MTU plus
	 * the header. Sized by the negotiated features: GUEST_OFFLOADS_SET may
	 * later turn GSO off, never on beyond them.
	 */
	io->rx_need = VNET_HDR_LEN + ((n->negotiated & gso) ? VNET_MAX_FRAME : 18u + n->mtu);
	io->mrg = n->negotiated & VIRTIO_BIT(VIRTIO_NET_F_MRG_RXBUF);
	vnet_rx_start(io);
	pthread_mutex_init(&io->lock, NULL);
	pthread_cond_init(&io->cond, NULL);
	while (read(p->stop_fd, &v, sizeof(v)) > 0)
		;	/* a stop left from an earlier reset */
	ret = -pthread_create(&p->thread, NULL, io_thread, io);
	if (!ret) {
		pthread_mutex_lock(&io->lock);
		while (!io->init_done)
			pthread_cond_wait(&io->cond, &io->lock);
		ret = io->init_result;
		pthread_mutex_unlock(&io->lock);
		if (ret) {
			log_err("%s: cannot start the network backend of queue pair %u: %s",
				n->t.name, p->index, strerror(-ret));
			pthread_join(p->thread, NULL);
		}
	}
	if (ret) {
		pthread_mutex_destroy(&io->lock);
		pthread_cond_destroy(&io->cond);
		free(io);
		return ret;
	}
	p->io = io;
	return 0;
}

void vnet_io_stop(struct vnet_pair *p)
{
	uint64_t one = 1;

	if (!p->io)
		return;
	if (write(p->stop_fd, &one, sizeof(one)) != sizeof(one))
		log_err("%s: cannot stop the I/O thread of queue pair %u", p->n->t.name, p->index);
	pthread_join(p->thread, NULL);
	pthread_mutex_destroy(&p->io->lock);
	pthread_cond_destroy(&p->io->cond);
	free(p->io);
	p->io = NULL;
}
