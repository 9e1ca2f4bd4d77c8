// SPDX-License-Identifier: MIT
// What both tap backends share: opening a tap with 12-byte virtio-net headers (DESIGN §6), the
// TUNSETOFFLOAD probe and the offload decision built on it, and the tap's header on both paths.
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "base/log.h"
#include "base/uapi.h"
#include "net/l34.h"
#include "net/tap.h"
#include "net/tap_hdr.h"

/*
 * What this kernel's tun accepts. Writes honour NEEDS_CSUM and GSO whatever
 * TUNSETOFFLOAD says (tun_get_user), so TX capabilities follow the header
 * types the kernel knows; RX capabilities are what TUNSETOFFLOAD accepts.
 */
static void tap_probe(struct tap *t)
{
	unsigned int base = TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_TSO_ECN;
	bool rx = ioctl(t->fd, TUNSETOFFLOAD, base) == 0;
	bool uso = ioctl(t->fd, TUNSETOFFLOAD, TUN_F_CSUM | TUN_F_USO4 | TUN_F_USO6) == 0;

	t->caps = (struct net_caps){
		.tx_csum = true, .tx_tso4 = true, .tx_tso6 = true, .tx_ecn = true,
		/* UDP_L4 GSO arrived with tun's USO support (Linux 6.2). */
		.tx_uso = uso,
		.rx_csum = rx, .rx_tso4 = rx, .rx_tso6 = rx, .rx_ecn = rx, .rx_uso = uso,
	};
	if (ioctl(t->fd, TUNSETOFFLOAD, 0) == 0)
		t->be.offloads = 0;
}

static int tap_create(struct tap *t, const char *name, bool multi, char *err, size_t errlen)
{
	struct ifreq ifr = { .ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR |
					  (multi ? IFF_MULTI_QUEUE : 0) };

	if (strlen(name) >= IFNAMSIZ)
		return log_errbuf(err, errlen, -EINVAL, "tap name '%s' is longer than %d characters",
			       name, IFNAMSIZ - 1);
	t->fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (t->fd < 0)
		return log_errbuf(err, errlen, -errno, "cannot open /dev/net/tun: %s (load the tun "
			       "module; run as root or with CAP_NET_ADMIN)", strerror(errno));
	strcpy(ifr.ifr_name, name);
	if (ioctl(t->fd, TUNSETIFF, &ifr) < 0)
		return log_errbuf(err, errlen, -errno, "cannot attach to tap '%s'%s: %s (does it exist "
			       "as a tap, %s, and may you use it?)", name,
			       multi ? " as a multi-queue tap" : "", strerror(errno),
			       multi ? "created with multi_queue" : "without multi_queue");
	strcpy(t->name, ifr.ifr_name);
	return 0;
}

int tap_check_fd(int fd, bool multi, char *name, char *err, size_t errlen)
{
	struct ifreq ifr = { 0 };

	if (ioctl(fd, TUNGETIFF, &ifr) < 0)
		return log_errbuf(err, errlen, -errno, "fd %d is not a tap device: %s", fd,
			       strerror(errno));
	if ((ifr.ifr_flags & (IFF_TAP | IFF_VNET_HDR | IFF_NO_PI)) !=
	    (IFF_TAP | IFF_VNET_HDR | IFF_NO_PI))
		return log_errbuf(err, errlen, -EINVAL, "fd %d: tap '%s' must be opened with IFF_TAP, "
			       "IFF_NO_PI and IFF_VNET_HDR (flags 0x%x)", fd, ifr.ifr_name,
			       ifr.ifr_flags);
	if (multi && !(ifr.ifr_flags & IFF_MULTI_QUEUE))
		return log_errbuf(err, errlen, -EINVAL, "fd %d: tap '%s' is not multi-queue "
			       "(IFF_MULTI_QUEUE), so fds= cannot give it several queues", fd,
			       ifr.ifr_name);
	if (name) {
		memcpy(name, ifr.ifr_name, IFNAMSIZ);
		name[IFNAMSIZ - 1] = 0;
	}
	return 0;
}

static int tap_adopt(struct tap *t, int fd, bool multi, char *err, size_t errlen)
{
	int fl, ret = tap_check_fd(fd, multi, t->name, err, errlen);

	if (ret)
		return ret;
	fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0 || fcntl(fd, F_SETFD, FD_CLOEXEC) < 0)
		return log_errbuf(err, errlen, -errno, "fd %d: cannot make it non-blocking", fd);
	t->fd = fd;
	return 0;
}

static unsigned int tap_read_mtu(struct tap *t)
{
	struct ifreq ifr = { 0 };
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	unsigned int mtu = 1500;

	memcpy(ifr.ifr_name, t->name, IFNAMSIZ);
	if (s >= 0 && ioctl(s, SIOCGIFMTU, &ifr) == 0)
		mtu = (unsigned int)ifr.ifr_mtu;
	if (s >= 0)
		close(s);
	return mtu;
}

/* Sets the tap's MTU (SIOCSIFMTU; needs CAP_NET_ADMIN): 0 or -errno. */
static int tap_set_mtu(struct tap *t, unsigned int mtu)
{
	struct ifreq ifr = { .ifr_mtu = (int)mtu };
	int s, ret = 0;

	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -errno;
	memcpy(ifr.ifr_name, t->name, IFNAMSIZ);
	if (ioctl(s, SIOCSIFMTU, &ifr) < 0)
		ret = -errno;
	else
		t->be.mtu = mtu;
	close(s);
	return ret;
}

/*
 * The offload decision, in one place. The guest is offered what the tap
 * accepts on RX and, on TX, CSUM and HOST_TSO4/6 whatever the tap says:
 * an offload its TUNSETOFFLOAD probe refused is taken as one it cannot do,
 * and minnow finishes it in software (net/soft.h); with offload=soft minnow
 * finishes them all. Less what the user switched off (csum=, tso=).
 */
static void tap_offer(struct tap *t, const struct net_config *cfg)
{
	const struct net_caps *c = &t->caps;
	struct net_caps *o = &t->be.offer, *hw = &t->hw;
	char soft[64] = "";

	*hw = (struct net_caps){ 0 };
	if (!cfg->offload_soft) {
		hw->tx_csum = c->tx_csum && c->rx_csum;
		hw->tx_tso4 = hw->tx_csum && c->tx_tso4 && c->rx_tso4;
		hw->tx_tso6 = hw->tx_csum && c->tx_tso6 && c->rx_tso6;
		hw->tx_ecn = c->tx_ecn && (hw->tx_tso4 || hw->tx_tso6);
		hw->tx_uso = hw->tx_csum && c->tx_uso && c->rx_uso;
	}
	*o = *c;
	soft_caps(o);
	if (!cfg->csum)
		*o = (struct net_caps){ 0 };	/* no checksum offload, so no segmentation either */
	if (!cfg->tso)
		o->tx_tso4 = o->tx_tso6 = o->tx_ecn = o->tx_uso = o->rx_tso4 = o->rx_tso6 =
			o->rx_ecn = o->rx_uso = false;
	snprintf(soft, sizeof(soft), "%s%s%s", hw->tx_csum ? "" : " csum",
		 hw->tx_tso4 ? "" : " tso4", hw->tx_tso6 ? "" : " tso6");
	if (*soft && cfg->csum)
		log_info("tap '%s': %s: minnow finishes TX%s in software", t->name,
			 cfg->offload_soft ? "offload=soft" : "the tap refuses these offloads", soft);
}

/* A fresh tap, but for what the backend that embeds it set: its ops and its engine's name. */
static void tap_clear(struct tap *t)
{
	struct backend keep = t->be;

	memset(t, 0, sizeof(*t));
	t->be.ops = keep.ops;
	memcpy(t->be.engine, keep.engine, sizeof(keep.engine));
}

int tap_open(struct tap *t, const struct net_config *cfg, unsigned int queue, bool multi,
	     char *err, size_t errlen)
{
	int hdr = TAP_HDR_LEN, sndbuf;
	int ret;

	tap_clear(t);
	t->fd = -1;
	t->be.name = t->name;
	t->be.multiqueue = multi;
	ret = cfg->tap ? tap_create(t, cfg->tap, multi, err, errlen) :
			 tap_adopt(t, cfg->nfds ? cfg->fds[queue] : cfg->fd, multi, err, errlen);
	if (!ret && ioctl(t->fd, TUNSETVNETHDRSZ, &hdr) < 0)
		ret = log_errbuf(err, errlen, -errno, "tap '%s': cannot set a 12-byte virtio-net "
			      "header: %s", t->name, strerror(errno));
	if (ret) {
		if (cfg->tap)
			tap_close(t);
		t->fd = -1;
		return ret;
	}
	tap_probe(t);
	t->be.mtu = tap_read_mtu(t);
	/* tun's default; TUNSETSNDBUF (QEMU's sndbuf=) makes writes say EAGAIN when it is full. */
	t->never_full = ioctl(t->fd, TUNGETSNDBUF, &sndbuf) == 0 && sndbuf == INT_MAX;
	/* The guest sizes its buffers by the MTU we advertise: the tap must not send more (§5.1.4.1). */
	if (queue == 0 && cfg->mtu && cfg->mtu != t->be.mtu && (ret = tap_set_mtu(t, cfg->mtu))) {
		snprintf(err, errlen, "cannot set tap '%s' to MTU %u: %s (needs CAP_NET_ADMIN; or "
			 "drop mtu= to use the tap's %u)", t->name, cfg->mtu, strerror(-ret),
			 t->be.mtu);
		tap_close(t);
		return ret;
	}
	tap_offer(t, cfg);
	return 0;
}

void tap_close(struct tap *t)
{
	if (t->fd >= 0 && !t->is_socket)
		close(t->fd);
	t->fd = -1;
}

void tap_from_socket(struct tap *t, const struct net_config *cfg, int fd,
		     const struct net_caps *caps)
{
	tap_clear(t);
	t->fd = fd;
	t->caps = *caps;
	t->be.mtu = cfg->mtu ? cfg->mtu : 1500;
	t->be.name = t->name;
	t->is_socket = true;
	strcpy(t->name, "socketpair");
	tap_offer(t, cfg);
}

void tap_attach(struct tap *t, const struct backend_loop *loop)
{
	t->stop_fd = loop->stop_fd;
}

unsigned int tap_rx_flags(const struct net_caps *accept)
{
	unsigned int off = TUN_F_CSUM;

	/* tun refuses TSO/USO bits without TUN_F_CSUM (Linux: drivers/net/tun.c). */
	if (!accept->rx_csum)
		return 0;
	if (accept->rx_tso4)
		off |= TUN_F_TSO4;
	if (accept->rx_tso6)
		off |= TUN_F_TSO6;
	/* tun keeps TSO_ECN only beside a TSO bit; alone it is refused with EINVAL. */
	if (accept->rx_ecn && (off & (TUN_F_TSO4 | TUN_F_TSO6)))
		off |= TUN_F_TSO_ECN;
	/* tun honours USO only with both bits: rx_uso means the guest takes both. */
	if (accept->rx_uso)
		off |= TUN_F_USO4 | TUN_F_USO6;
	return off;
}

int tap_set_rx_offloads(struct backend *be, const struct net_caps *accept)
{
	struct tap *t = tap_of(be);
	unsigned int flags = tap_rx_flags(accept);

	if (!t->is_socket && ioctl(t->fd, TUNSETOFFLOAD, flags) < 0)
		return -errno;
	__atomic_store_n(&be->offloads, flags, __ATOMIC_RELAXED);	/* read by --metrics */
	return 0;
}

int tap_set_queue(struct backend *be, bool enabled)
{
	struct tap *t = tap_of(be);
	struct ifreq ifr = { .ifr_flags = enabled ? IFF_ATTACH_QUEUE : IFF_DETACH_QUEUE };

	if (atomic_load(&t->detached) == !enabled)
		return 0;
	/*
	 * Detaching: the flag first, so an EBADFD from a read or write that the
	 * detach makes fail is never taken for a tap that went away; attaching:
	 * the flag last, so no read starts before the queue takes frames.
	 */
	if (!enabled)
		atomic_store(&t->detached, true);
	if (!t->is_socket && be->multiqueue && ioctl(t->fd, TUNSETQUEUE, &ifr) < 0) {
		int ret = -errno;

		atomic_store(&t->detached, enabled);	/* unchanged */
		return ret;
	}
	if (enabled)
		atomic_store(&t->detached, false);
	return 0;
}

void tap_tx_prepare(const struct tap *t, struct backend_tx *pkt)
{
	struct virtio_net_hdr_v1 *hdr = (struct virtio_net_hdr_v1 *)pkt->hdr;
	const struct net_tx_meta *m = &pkt->meta;

	_Static_assert(sizeof(pkt->hdr) == TAP_HDR_LEN, "a tap header fills backend_tx.hdr");
	tap_hdr_from_tx_meta(m, hdr);
	pkt->iov[0] = (struct iovec){ pkt->hdr, TAP_HDR_LEN };
	if (m->flags & NET_TX_TSO)
		pkt->soft = !(m->flags & NET_TX_IPV4 ? t->hw.tx_tso4 : t->hw.tx_tso6);
	else if (m->flags & NET_TX_USO)
		pkt->soft = !t->hw.tx_uso;
	else
		pkt->soft = (m->flags & (NET_TX_CSUM_TCP | NET_TX_CSUM_UDP)) && !t->hw.tx_csum;
}

int tap_rx_result(const struct iovec *iov, unsigned int niov, uint32_t cap, int res,
		  struct net_rx_meta *meta)
{
	struct virtio_net_hdr_v1 hdr;

	if (res < TAP_HDR_LEN)
		return res;
	/* It reached the spill byte: truncated in the guest's buffer, so never delivered. */
	if ((uint32_t)res > cap)
		return -EMSGSIZE;
	/* tun wrote the first 10 bytes and skipped num_buffers (Linux: drivers/net/tun.c). */
	if (!l34_copy(iov, niov, 0, &hdr, TAP_HDR_LEN))
		return -EIO;
	tap_hdr_to_rx_meta(&hdr, meta);
	return res;
}

#define SOFT_WAIT_MS	10	/* a full tap: wait this long for room ... */
#define SOFT_WAIT_TRIES	10	/* ... this many times, then drop the rest of the frame */

/* One finished frame to the tap, behind a header that asks for nothing: 0 or -errno. */
static int tap_soft_emit(void *ctx, const uint8_t *frame, size_t len)
{
	struct tap *t = ctx;
	struct virtio_net_hdr_v1 none = { 0 };
	struct iovec v[2] = { { &none, TAP_HDR_LEN }, { (void *)frame, len } };

	for (int tries = 0;; tries++) {
		struct pollfd p[2] = { { .fd = t->fd, .events = POLLOUT },
				       { .fd = t->stop_fd, .events = POLLIN } };

		if (writev(t->fd, v, 2) >= 0)
			return 0;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN || tries == SOFT_WAIT_TRIES)
			break;
		/*
		 * The tap is full: the I/O thread waits here, as a synchronous
		 * baseline would, but never past a reset (the stop eventfd).
		 */
		if ((poll(p, 2, SOFT_WAIT_MS) < 0 && errno != EINTR) || (p[1].revents & POLLIN)) {
			errno = EAGAIN;
			break;
		}
	}
	return -errno;
}

void tap_send_soft(struct tap *t, const struct backend_tx *pkt, struct backend_tx_result *r)
{
	const struct soft_sink sink = { tap_soft_emit, t };
	struct soft_result res;

	r->err = soft_send(&pkt->meta, pkt->iov + 1, pkt->niov, t->soft_scratch, &sink, &res);
	r->soft = true;
	r->segments = res.frames;
	r->soft_err = res.err;
}
