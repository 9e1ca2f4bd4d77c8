// SPDX-License-Identifier: MIT
// The host-only TX limit: one host thread writes the frames the probe guest's net-udp-tx mode
// would send (Ethernet, IPv4, UDP with the probe's payload pattern, and with --partial a
// virtio_net_hdr asking for NEEDS_CSUM from csum_start 34, csum_offset 6, the pseudo-header sum
// in the field) into an existing tap, one writev per frame, with no VM. Whatever a tap-based
// NIC does, the kernel cannot take the frames faster than this. With --gso N each frame is a
// UDP segmentation super-frame (VIRTIO_NET_HDR_GSO_UDP_L4, gso_size --size) of N datagrams,
// which the host stack splits: the ceiling for a NIC that passes TSO/USO super-frames through.
// Prints one JSON line.
#include "tap.h"

#include <getopt.h>
#include <sys/uio.h>

#define PUSH_HLEN (14 + 20 + 8) /* Ethernet, IPv4, UDP */
#ifndef VIRTIO_NET_HDR_GSO_UDP_L4
#define VIRTIO_NET_HDR_GSO_UDP_L4 5 /* virtio 1.2 §5.1.6: missing from Debian 12's uapi */
#endif
#define PUSH_MAXLEN 65507

static uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void usage(void)
{
	bench_die("usage: tap_push --tap DEV --src-mac MAC --src IP:PORT --dst IP:PORT --size N "
		  "--count N [--full-csum | --gso SEGMENTS]");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"tap", 1, 0, 'T'},	  {"src-mac", 1, 0, 'm'}, {"src", 1, 0, 's'},
		{"dst", 1, 0, 'd'},	  {"size", 1, 0, 'z'},	  {"count", 1, 0, 'n'},
		{"full-csum", 0, 0, 'F'}, {"gso", 1, 0, 'g'},	  {0, 0, 0, 0},
	};
	static uint8_t ramp[256 + PUSH_MAXLEN];
	struct virtio_net_hdr_v1 vh;
	uint8_t head[PUSH_HLEN + 4], *ip = head + 14, *udp = ip + 20, smac[6];
	struct sockaddr_in src, dst;
	const char *tap = NULL, *smac_s = NULL, *src_s = NULL, *dst_s = NULL;
	unsigned long size = 0, count = 0, errors = 0, gso = 1, len;
	bool full = false;
	uint32_t pseudo;
	uint16_t udp_len;
	int fd, c;
	uint64_t t0, t1;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'T':
			tap = optarg;
			break;
		case 'm':
			smac_s = optarg;
			break;
		case 's':
			src_s = optarg;
			break;
		case 'd':
			dst_s = optarg;
			break;
		case 'z':
			size = bench_parse_ulong("--size", optarg, 1500 - 28);
			break;
		case 'n':
			count = bench_parse_ulong("--count", optarg, 1ul << 32);
			break;
		case 'F':
			full = true;
			break;
		case 'g':
			gso = bench_parse_ulong("--gso", optarg, 64);
			break;
		default:
			usage();
		}
	}
	len = size * gso; /* UDP payload of one frame */
	if (!tap || !smac_s || !src_s || !dst_s || size < 4 || !count || !gso ||
	    len > PUSH_MAXLEN || (full && gso > 1) ||
	    sscanf(smac_s, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &smac[0], &smac[1], &smac[2], &smac[3],
		   &smac[4], &smac[5]) != 6)
		usage();
	bench_parse_addr(src_s, &src);
	bench_parse_addr(dst_s, &dst);
	for (size_t j = 0; j < sizeof(ramp); j++)
		ramp[j] = (uint8_t)j;
	fd = bench_tap_open(tap, 0);

	/* Ethernet to the tap's own MAC, so the host stack takes the frame. */
	bench_tap_mac(tap, head);
	memcpy(head + 6, smac, 6);
	put16(head + 12, 0x0800);
	udp_len = (uint16_t)(8 + len);
	ip[0] = 0x45;
	ip[1] = 0;
	put16(ip + 2, (uint16_t)(20 + udp_len));
	put16(ip + 6, 0x4000); /* DF */
	ip[8] = 64;
	ip[9] = 17;
	memcpy(ip + 12, &src.sin_addr, 4);
	memcpy(ip + 16, &dst.sin_addr, 4);
	memcpy(udp, &src.sin_port, 2);
	memcpy(udp + 2, &dst.sin_port, 2);
	put16(udp + 4, udp_len);
	pseudo = csum_add(17 + udp_len, ip + 12, 8);
	memset(&vh, 0, sizeof(vh));
	if (!full) {
		vh.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
		vh.csum_start = 14 + 20;
		vh.csum_offset = 6;
	}
	if (gso > 1) {
		/* The stack cuts it into datagrams of size bytes (udp4_gso_segment). */
		vh.gso_type = VIRTIO_NET_HDR_GSO_UDP_L4;
		vh.gso_size = (uint16_t)size;
		vh.hdr_len = PUSH_HLEN;
	}

	t0 = bench_now_ns();
	for (unsigned long i = 0; i < count; i++) {
		uint32_t index = (uint32_t)i;
		const uint8_t *payload_rest = ramp + (index & 0xff) + 4;
		struct iovec iov[3] = {
			{&vh, sizeof(vh)},
			{head, sizeof(head)},
			{(void *)payload_rest, len - 4},
		};

		put16(ip + 4, (uint16_t)i); /* IP id, as the probe counts it */
		put16(ip + 10, 0);
		put16(ip + 10, (uint16_t)~csum_fold(csum_add(0, ip, 20)));
		bench_pattern_fill(udp + 8, 4, index);
		if (full) {
			uint32_t s;
			uint16_t sum;

			put16(udp + 6, 0);
			s = csum_add(csum_add(pseudo, udp, 8 + 4), payload_rest, size - 4);
			sum = (uint16_t)~csum_fold(s);
			put16(udp + 6, sum ? sum : 0xffff);
		} else {
			put16(udp + 6, csum_fold(pseudo));
		}
		if (writev(fd, iov, 3) < 0)
			errors++;
	}
	t1 = bench_now_ns();
	/* sent and pps count datagrams (gso of them per frame), as the receiver does */
	printf("{\"sent\":%lu,\"frames\":%lu,\"errors\":%lu,\"secs\":%.6f,\"pps\":%.0f,"
	       "\"mbps\":%.1f}\n",
	       count * gso, count, errors, (double)(t1 - t0) / 1e9,
	       (double)(count * gso) * 1e9 / (double)(t1 - t0),
	       (double)count * (double)len * 8 * 1e3 / (double)(t1 - t0));
	return errors ? 1 : 0;
}
