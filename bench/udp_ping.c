// SPDX-License-Identifier: MIT
// The benchmark's latency peer: waits for the probe's "ready" datagram, then sends one datagram
// at a time to the guest's net-echo mode and times each round trip with CLOCK_MONOTONIC.
// The first --warmup round trips are not counted. Prints one JSON line (microseconds).
#include "bench.h"

#include <getopt.h>
#include <poll.h>
#include <sys/socket.h>

#define PING_MAXLEN 65507

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void usage(void)
{
	bench_die("usage: udp_ping --bind IP:PORT --size N --count N [--warmup N] [--flag FILE]");
}

/* One round trip of datagram INDEX; 0 if no matching reply came within a second. */
static uint64_t ping_one(int fd, const struct sockaddr_in *to, uint8_t *out, uint8_t *in,
			 unsigned long size, uint32_t index)
{
	uint64_t t0 = bench_now_ns(), deadline = t0 + 1000000000u;

	bench_pattern_fill(out, size, index);
	if (sendto(fd, out, size, 0, (const struct sockaddr *)to, sizeof(*to)) != (ssize_t)size)
		bench_die("sendto: %s", strerror(errno));
	for (;;) {
		uint64_t now = bench_now_ns();
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		ssize_t n;

		if (now >= deadline)
			return 0;
		if (poll(&pfd, 1, (int)((deadline - now) / 1000000u) + 1) <= 0)
			continue;
		n = recv(fd, in, PING_MAXLEN, MSG_DONTWAIT);
		if (n == (ssize_t)size && memcmp(in, out, size) == 0)
			return bench_now_ns() - t0;
		/* a late reply to an earlier datagram (or anything else): keep waiting */
	}
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"bind", 1, 0, 'b'},   {"size", 1, 0, 's'}, {"count", 1, 0, 'n'},
		{"warmup", 1, 0, 'w'}, {"flag", 1, 0, 'f'}, {0, 0, 0, 0},
	};
	static uint8_t out[PING_MAXLEN], in[PING_MAXLEN];
	const char *bind_s = NULL, *flag = NULL;
	unsigned long size = 64, count = 0, warmup = 20, lost = 0, n = 0;
	struct sockaddr_in me, to;
	socklen_t tolen = sizeof(to);
	struct timeval tv = {.tv_sec = 20};
	uint64_t *rtt, sum = 0;
	char buf[64];
	int fd, c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'b':
			bind_s = optarg;
			break;
		case 's':
			size = bench_parse_ulong("--size", optarg, PING_MAXLEN);
			break;
		case 'n':
			count = bench_parse_ulong("--count", optarg, 1ul << 24);
			break;
		case 'w':
			warmup = bench_parse_ulong("--warmup", optarg, 1ul << 24);
			break;
		case 'f':
			flag = optarg;
			break;
		default:
			usage();
		}
	}
	if (!bind_s || !count || size < 4)
		usage();
	rtt = calloc(count, sizeof(*rtt));
	bench_parse_addr(bind_s, &me);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (!rtt || fd < 0 || bind(fd, (struct sockaddr *)&me, sizeof(me)))
		bench_die("bind %s: %s", bind_s, strerror(errno));
	bench_flag(flag);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	for (;;) {
		ssize_t k = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&to, &tolen);
		if (k < 0)
			bench_die("no ready datagram from the guest: %s", strerror(errno));
		if (k == 5 && memcmp(buf, "ready", 5) == 0)
			break;
	}
	for (unsigned long i = 0; i < warmup + count; i++) {
		uint64_t t = ping_one(fd, &to, out, in, size, (uint32_t)i);
		if (i < warmup)
			continue;
		if (!t) {
			lost++;
			continue;
		}
		rtt[n++] = t;
		sum += t;
	}
	qsort(rtt, n, sizeof(*rtt), cmp_u64);
	if (!n)
		bench_die("no round trip completed");
	printf("{\"count\":%lu,\"lost\":%lu,\"rtt_us_min\":%.1f,\"rtt_us_median\":%.1f,"
	       "\"rtt_us_p99\":%.1f,\"rtt_us_max\":%.1f,\"rtt_us_mean\":%.1f}\n",
	       n, lost, rtt[0] / 1e3, rtt[n / 2] / 1e3, rtt[n * 99 / 100] / 1e3, rtt[n - 1] / 1e3,
	       (double)sum / (double)n / 1e3);
	return lost ? 1 : 0;
}
