// SPDX-License-Identifier: MIT
// The benchmark's TCP receiver for the probe's net-tcp-tx mode: accepts one connection, reads
// until the guest closes it, and times the stream from its first byte to its last by its own
// clock (TCP's flow control makes the reader part of the path, as with iperf3). Checks the
// probe's stream pattern (byte k = k & 0xff). Prints one JSON line.
#include "bench.h"

#include <getopt.h>
#include <poll.h>
#include <sys/socket.h>

#define TCP_SINK_BUF (1 << 20)

static void usage(void)
{
	bench_die("usage: tcp_sink --bind IP:PORT [--flag FILE] [--timeout-ms MS]");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"bind", 1, 0, 'b'},
		{"flag", 1, 0, 'f'},
		{"timeout-ms", 1, 0, 't'},
		{0, 0, 0, 0},
	};
	static uint8_t buf[TCP_SINK_BUF];
	const char *bind_s = NULL, *flag = NULL;
	unsigned long timeout_ms = 20000;
	unsigned long long got = 0, bad = 0, reads = 0;
	struct sockaddr_in sa;
	uint64_t first = 0, last = 0;
	int fd, c, conn, one = 1;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'b':
			bind_s = optarg;
			break;
		case 'f':
			flag = optarg;
			break;
		case 't':
			timeout_ms = bench_parse_ulong("--timeout-ms", optarg, 600000);
			break;
		default:
			usage();
		}
	}
	if (!bind_s)
		usage();
	bench_parse_addr(bind_s, &sa);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 1))
		bench_die("listen %s: %s", bind_s, strerror(errno));
	bench_flag(flag);
	{
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		if (poll(&pfd, 1, (int)timeout_ms) <= 0)
			bench_die("no connection within %lu ms", timeout_ms);
	}
	conn = accept(fd, NULL, NULL);
	if (conn < 0)
		bench_die("accept: %s", strerror(errno));
	{
		struct timeval tv = {.tv_sec = (time_t)(timeout_ms / 1000), .tv_usec = 0};
		setsockopt(conn, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	}
	for (;;) {
		ssize_t n = read(conn, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			bench_die("read: %s (after %llu bytes)", strerror(errno), got);
		if (n == 0)
			break;
		last = bench_now_ns();
		if (!got)
			first = last;
		for (ssize_t i = 0; i < n; i += 4096) {
			/* one byte per page is enough to catch a misplaced segment cheaply */
			if (buf[i] != (uint8_t)(got + (unsigned long long)i))
				bad++;
		}
		got += (unsigned long long)n;
		reads++;
	}
	{
		double span = (double)(last - first) / 1e9;
		printf("{\"received\":%llu,\"bad_pages\":%llu,\"reads\":%llu,\"span_s\":%.6f,"
		       "\"mbps\":%.1f}\n",
		       got, bad, reads, span, span > 0 ? (double)got * 8 / span / 1e6 : 0);
	}
	return got && !bad ? 0 : 1;
}
