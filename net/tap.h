// SPDX-License-Identifier: MIT
// What both tap backends (net/tap_uring.c, net/tap_sync.c) share: a tap device with 12-byte
// virtio-net headers (DESIGN §6), its capabilities probed through TUNSETOFFLOAD, the offload
// decision (what the tap does, what minnow finishes in software), frames made ready for the tap
// and read back from it, and the synchronous software path.
#ifndef MINNOW_TAP_H
#define MINNOW_TAP_H

#include <net/if.h>
#include <stdatomic.h>
#include <stddef.h>

#include "base/compiler.h"
#include "net/backend.h"
#include "net/config.h"
#include "net/meta.h"

#define TAP_HDR_LEN 12	/* struct virtio_net_hdr_v1 before every frame */

struct tap {
	struct backend be;	/* first: the device's handle (tap_of) */
	int fd;			/* O_NONBLOCK; frames carry a 12-byte virtio_net_hdr_v1 */
	char name[IFNAMSIZ];
	struct net_caps caps;	/* what the kernel's tun accepts (the probe) */
	struct net_caps hw;	/* TX offloads the tap finishes itself; the rest go soft */
	bool is_socket;		/* a test socketpair: no tun ioctls */
	atomic_bool detached;	/* this queue is detached (tap_set_queue): EBADFD is expected */
	bool never_full;	/* send buffer unlimited (tun's INT_MAX): no write says EAGAIN */
	int stop_fd;		/* the I/O thread's stop eventfd (tap_attach): ends a soft wait */
	uint8_t soft_scratch[SOFT_SCRATCH_LEN];	/* one software-offloaded frame at a time */
};

static inline struct tap *tap_of(struct backend *be)
{
	return (struct tap *)be;
}

/*
 * For a backend that embeds t and has set t->be.ops (kept): queue `queue`
 * of the tap. Attaches to the tap cfg->tap (creating it needs
 * CAP_NET_ADMIN; multi: with IFF_MULTI_QUEUE), or adopts cfg->fd (queue 0)
 * or cfg->fds[queue] after checking it is a tap with IFF_VNET_HDR (and
 * IFF_MULTI_QUEUE when multi); queue 0 sets cfg->mtu if given. Probes which
 * offloads the kernel accepts, sets none, and decides what to offer
 * (tap_offer). On error returns -errno with a message that says what to do;
 * -EINVAL from TUNSETIFF with multi means the tap cannot be multi-queue.
 */
/*
 * Whether fd is a tap minnow can adopt as it is (IFF_TAP, IFF_NO_PI,
 * IFF_VNET_HDR, and IFF_MULTI_QUEUE with multi); its name into name
 * (IFNAMSIZ) when not NULL. Changes nothing. 0, or -errno with err.
 */
int tap_check_fd(int fd, bool multi, char *name, char *err, size_t errlen) __must_check;
int tap_open(struct tap *t, const struct net_config *cfg, unsigned int queue, bool multi,
	     char *err, size_t errlen) __must_check;
/* The same over an fd that behaves like a tap (a SOCK_SEQPACKET socket in tests): caps as given. */
void tap_from_socket(struct tap *t, const struct net_config *cfg, int fd,
		     const struct net_caps *caps);
/* Closes the tap (not a test socket: the test owns it). */
void tap_close(struct tap *t);

/* The shared backend_ops: the I/O thread's set-up, and TUNSETOFFLOAD from the guest's caps. */
void tap_attach(struct tap *t, const struct backend_loop *loop);
int tap_set_rx_offloads(struct backend *be, const struct net_caps *accept) __must_check;
/* TUNSETQUEUE attach or detach (backend_ops.set_queue); a socket only keeps the state. */
int tap_set_queue(struct backend *be, bool enabled) __must_check;

/* TUNSETOFFLOAD flags for what the guest accepts on RX: 0 without rx_csum. */
unsigned int tap_rx_flags(const struct net_caps *accept);

/* A TX frame made ready for the tap: its header in iov[0], and whether it goes soft. */
void tap_tx_prepare(const struct tap *t, struct backend_tx *pkt);
/*
 * A read of res bytes into a buffer of cap bytes (iov, niov) as rx_done
 * reports it: the tap's header decoded into *meta, -EMSGSIZE for a frame
 * that reached the byte past the buffer; res unchanged otherwise.
 */
int tap_rx_result(const struct iovec *iov, unsigned int niov, uint32_t cap, int res,
		  struct net_rx_meta *meta);
/* Sends pkt finished in software, synchronously, waiting (bounded) while the tap is full. */
void tap_send_soft(struct tap *t, const struct backend_tx *pkt, struct backend_tx_result *r);

#endif
