// SPDX-License-Identifier: MIT
// The host-only RX limit: one host thread reads frames from an existing tap (with a 12-byte
// virtio_net_hdr and TUN_F_CSUM, as minnow sets it up when the guest negotiates GUEST_CSUM), one
// read per frame, with no VM, and counts the UDP datagrams to --port. Timed from the first such
// frame to the last by its own clock, as the probe's net-udp-rx mode times them. One JSON line.
#include "tap.h"

#include <getopt.h>
#include <poll.h>

#define PULL_BUF 65536

static void usage(void)
{
	bench_die("usage: tap_pull --tap DEV --port N --count N [--flag FILE] [--idle-ms MS] "
		  "[--timeout-ms MS]");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"tap", 1, 0, 'T'},  {"port", 1, 0, 'p'},    {"count", 1, 0, 'n'},
		{"flag", 1, 0, 'f'}, {"idle-ms", 1, 0, 'i'}, {"timeout-ms", 1, 0, 't'},
		{0, 0, 0, 0},
	};
	static uint8_t buf[PULL_BUF];
	const size_t vh = sizeof(struct virtio_net_hdr_v1);
	const char *tap = NULL, *flag = NULL;
	unsigned long port = 0, count = 0, idle_ms = 500, timeout_ms = 20000;
	unsigned long long received = 0, bytes = 0, bytes_after_first = 0, other = 0, partial = 0;
	uint64_t first = 0, last = 0, start;
	int fd, c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'T':
			tap = optarg;
			break;
		case 'p':
			port = bench_parse_ulong("--port", optarg, 65535);
			break;
		case 'n':
			count = bench_parse_ulong("--count", optarg, 1ul << 32);
			break;
		case 'f':
			flag = optarg;
			break;
		case 'i':
			idle_ms = bench_parse_ulong("--idle-ms", optarg, 600000);
			break;
		case 't':
			timeout_ms = bench_parse_ulong("--timeout-ms", optarg, 600000);
			break;
		default:
			usage();
		}
	}
	if (!tap || !port || !count)
		usage();
	fd = bench_tap_open(tap, TUN_F_CSUM);
	if (fcntl(fd, F_SETFL, O_NONBLOCK))
		bench_die("O_NONBLOCK: %s", strerror(errno));
	bench_flag(flag);
	start = bench_now_ns();
	while (received < count) {
		const uint8_t *f = buf + vh, *ip = f + 14;
		ssize_t n = read(fd, buf, sizeof(buf));
		uint64_t now;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			struct pollfd pfd = {.fd = fd, .events = POLLIN};
			uint64_t waited = (bench_now_ns() - start) / 1000000u;
			int wait_ms;

			/* Before the first datagram: the rest of --timeout-ms; after it: --idle-ms.
			 */
			if (!received && waited >= timeout_ms)
				break;
			wait_ms = (int)(received ? idle_ms : timeout_ms - waited);
			if (poll(&pfd, 1, wait_ms) <= 0)
				break;
			continue;
		}
		if (n < 0)
			bench_die("read %s: %s", tap, strerror(errno));
		now = bench_now_ns();
		/* IPv4 (no options) UDP to our port; anything else is counted apart. */
		if ((size_t)n < vh + 14 + 20 + 8 || f[12] != 0x08 || f[13] != 0 || ip[0] != 0x45 ||
		    ip[9] != 17 || (ip[22] << 8 | ip[23]) != (int)port) {
			other++;
			continue;
		}
		partial += ((const struct virtio_net_hdr_v1 *)buf)->flags &
			   VIRTIO_NET_HDR_F_NEEDS_CSUM;
		if (!received)
			first = now;
		else
			bytes_after_first += (size_t)n - vh - 42;
		last = now;
		received++;
		bytes += (size_t)n - vh - 42;
	}
	{
		double span = (double)(last - first) / 1e9;
		printf("{\"received\":%llu,\"bytes\":%llu,\"csum_partial\":%llu,\"other\":%llu,"
		       "\"span_s\":%.6f,\"mbps\":%.1f,\"pps\":%.0f}\n",
		       received, bytes, partial, other, span,
		       span > 0 ? (double)bytes_after_first * 8 / span / 1e6 : 0,
		       span > 0 ? (double)(received - 1) / span : 0);
	}
	return received ? 0 : 1;
}
