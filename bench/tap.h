// SPDX-License-Identifier: MIT
// Opening an existing tap the way minnow does (IFF_TAP | IFF_NO_PI | IFF_VNET_HDR, a 12-byte
// virtio_net_hdr), for the host-only programs tap_push.c and tap_pull.c; and the tap's MAC.
#ifndef BENCH_TAP_H
#define BENCH_TAP_H

#include "bench.h"

#include <linux/if.h>
#include <linux/if_tun.h>
#include <linux/virtio_net.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

/* Attaches to tap NAME (it must exist and have no other reader); returns the fd. */
static inline int bench_tap_open(const char *name, unsigned int offload)
{
	struct ifreq ifr;
	int fd = open("/dev/net/tun", O_RDWR), hdrsz = (int)sizeof(struct virtio_net_hdr_v1);

	if (fd < 0)
		bench_die("open /dev/net/tun: %s", strerror(errno));
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
	if (ioctl(fd, TUNSETIFF, &ifr))
		bench_die("TUNSETIFF %s: %s", name, strerror(errno));
	if (ioctl(fd, TUNSETVNETHDRSZ, &hdrsz))
		bench_die("TUNSETVNETHDRSZ: %s", strerror(errno));
	if (ioctl(fd, TUNSETOFFLOAD, offload))
		bench_die("TUNSETOFFLOAD 0x%x: %s", offload, strerror(errno));
	return fd;
}

static inline void bench_tap_mac(const char *name, uint8_t mac[6])
{
	struct ifreq ifr;
	int s = socket(AF_INET, SOCK_DGRAM, 0);

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (s < 0 || ioctl(s, SIOCGIFHWADDR, &ifr))
		bench_die("SIOCGIFHWADDR %s: %s", name, strerror(errno));
	memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	close(s);
}

#endif
