// SPDX-License-Identifier: MIT
// The tap backend: a tap device with 12-byte virtio-net headers (DESIGN §6), its capabilities
// probed through TUNSETOFFLOAD, and its receive offloads set from what the guest negotiated.
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/log.h"
#include "base/uapi.h"
#include "net/tap.h"

#define TAP_HDR_LEN 12	/* struct virtio_net_hdr_v1 */

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
		t->offloads = 0;
}

static int tap_attach(struct tap *t, const char *name, char *err, size_t errlen)
{
	struct ifreq ifr = { .ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR };

	if (strlen(name) >= IFNAMSIZ)
		return log_errbuf(err, errlen, -EINVAL, "tap name '%s' is longer than %d characters",
			       name, IFNAMSIZ - 1);
	t->fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (t->fd < 0)
		return log_errbuf(err, errlen, -errno, "cannot open /dev/net/tun: %s (load the tun "
			       "module; run as root or with CAP_NET_ADMIN)", strerror(errno));
	strcpy(ifr.ifr_name, name);
	if (ioctl(t->fd, TUNSETIFF, &ifr) < 0)
		return log_errbuf(err, errlen, -errno, "cannot attach to tap '%s': %s (does it exist "
			       "as a tap, without multi_queue, and may you use it?)", name,
			       strerror(errno));
	strcpy(t->name, ifr.ifr_name);
	return 0;
}

static int tap_adopt(struct tap *t, int fd, char *err, size_t errlen)
{
	struct ifreq ifr = { 0 };
	int fl;

	if (ioctl(fd, TUNGETIFF, &ifr) < 0)
		return log_errbuf(err, errlen, -errno, "fd %d is not a tap device: %s", fd,
			       strerror(errno));
	if ((ifr.ifr_flags & (IFF_TAP | IFF_VNET_HDR | IFF_NO_PI)) !=
	    (IFF_TAP | IFF_VNET_HDR | IFF_NO_PI))
		return log_errbuf(err, errlen, -EINVAL, "fd %d: tap '%s' must be opened with IFF_TAP, "
			       "IFF_NO_PI and IFF_VNET_HDR (flags 0x%x)", fd, ifr.ifr_name,
			       ifr.ifr_flags);
	fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0 || fcntl(fd, F_SETFD, FD_CLOEXEC) < 0)
		return log_errbuf(err, errlen, -errno, "fd %d: cannot make it non-blocking", fd);
	t->fd = fd;
	memcpy(t->name, ifr.ifr_name, IFNAMSIZ);
	t->name[IFNAMSIZ - 1] = 0;
	return 0;
}

static int tap_read_mtu(struct tap *t)
{
	struct ifreq ifr = { 0 };
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int mtu = 1500;

	memcpy(ifr.ifr_name, t->name, IFNAMSIZ);
	if (s >= 0 && ioctl(s, SIOCGIFMTU, &ifr) == 0)
		mtu = ifr.ifr_mtu;
	if (s >= 0)
		close(s);
	return mtu;
}

int tap_open(struct tap *t, const char *name, int fd, char *err, size_t errlen)
{
	int hdr = TAP_HDR_LEN, sndbuf;
	int ret;

	memset(t, 0, sizeof(*t));
	t->fd = -1;
	ret = name ? tap_attach(t, name, err, errlen) : tap_adopt(t, fd, err, errlen);
	if (!ret && ioctl(t->fd, TUNSETVNETHDRSZ, &hdr) < 0)
		ret = log_errbuf(err, errlen, -errno, "tap '%s': cannot set a 12-byte virtio-net "
			      "header: %s", t->name, strerror(errno));
	if (ret) {
		if (name)
			tap_close(t);
		t->fd = -1;
		return ret;
	}
	tap_probe(t);
	t->mtu = tap_read_mtu(t);
	/* tun's default; TUNSETSNDBUF (QEMU's sndbuf=) makes writes say EAGAIN when it is full. */
	t->never_full = ioctl(t->fd, TUNGETSNDBUF, &sndbuf) == 0 && sndbuf == INT_MAX;
	return 0;
}

void tap_close(struct tap *t)
{
	if (t->fd >= 0)
		close(t->fd);
	t->fd = -1;
}

int tap_set_offloads(struct tap *t, unsigned int tun_flags)
{
	if (t->is_socket) {
		t->offloads = tun_flags;
		return 0;
	}
	if (ioctl(t->fd, TUNSETOFFLOAD, tun_flags) < 0)
		return -errno;
	t->offloads = tun_flags;
	return 0;
}

int tap_set_mtu(struct tap *t, int mtu)
{
	struct ifreq ifr = { .ifr_mtu = mtu };
	int s, ret = 0;

	if (t->is_socket) {
		t->mtu = mtu;
		return 0;
	}
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -errno;
	memcpy(ifr.ifr_name, t->name, IFNAMSIZ);
	if (ioctl(s, SIOCSIFMTU, &ifr) < 0)
		ret = -errno;
	else
		t->mtu = mtu;
	close(s);
	return ret;
}

void tap_from_socket(struct tap *t, int fd, const struct net_caps *caps)
{
	memset(t, 0, sizeof(*t));
	t->fd = fd;
	t->caps = *caps;
	t->mtu = 1500;
	t->is_socket = true;
	strcpy(t->name, "socketpair");
}
