// SPDX-License-Identifier: MIT
// The tap backend: a tap device with 12-byte virtio-net headers (DESIGN §6), its capabilities
// probed through TUNSETOFFLOAD, and its receive offloads set from what the guest negotiated.
#ifndef MINNOW_TAP_H
#define MINNOW_TAP_H

#include <net/if.h>
#include <stddef.h>

#include "base/compiler.h"
#include "net/meta.h"

struct tap {
	int fd;			/* O_NONBLOCK; frames carry a 12-byte virtio_net_hdr_v1 */
	char name[IFNAMSIZ];
	struct net_caps caps;
	unsigned int offloads;	/* TUN_F_* now set */
	int mtu;
	bool is_socket;		/* a test socketpair: no tun ioctls */
	bool never_full;	/* send buffer unlimited (tun's INT_MAX): no write says EAGAIN */
};

/*
 * Attaches to the tap called name (creating it needs CAP_NET_ADMIN), or
 * adopts fd (when name is NULL) after checking it is a tap with
 * IFF_VNET_HDR. Probes which offloads the kernel accepts, then sets none.
 * On error returns -errno with a message that says what to do.
 */
int tap_open(struct tap *t, const char *name, int fd, char *err, size_t errlen) __must_check;
void tap_close(struct tap *t);

/* TUNSETOFFLOAD: what the reader (the guest) accepts on RX. */
int tap_set_offloads(struct tap *t, unsigned int tun_flags) __must_check;

/* Sets the tap's MTU (SIOCSIFMTU; needs CAP_NET_ADMIN): 0 or -errno. */
int tap_set_mtu(struct tap *t, int mtu) __must_check;

/* An fd that behaves like a tap (a SOCK_SEQPACKET socket in tests): caps as given. */
void tap_from_socket(struct tap *t, int fd, const struct net_caps *caps);

#endif
