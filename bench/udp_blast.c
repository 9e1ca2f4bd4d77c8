// SPDX-License-Identifier: MIT
// The benchmark's UDP sender toward the guest: waits for the probe's "ready" datagram (or sends
// straight to --to), then sends --count datagrams carrying the probe's payload pattern with
// sendmmsg. A tap drops what does not fit its queue (no back-pressure reaches a socket), so with
// --tap the sender keeps at most --window datagrams queued on that tap, reading the tap's own
// counters (tx_packets: frames its reader took; tx_dropped): it measures how fast the reader
// (a VMM, or tap_pull) drains the tap, without losses. Prints one JSON line.
#include "bench.h"

#include <getopt.h>
#include <sys/socket.h>

#define BLAST_BATCH  32
#define BLAST_MAXLEN 65507

static void usage(void)
{
	bench_die("usage: udp_blast --bind IP:PORT [--to IP:PORT] --size N --count N [--flag FILE] "
		  "[--tap DEV --window N]");
}

/* The guest's "ready" datagram; its source becomes the destination. */
static void blast_wait_ready(int fd, struct sockaddr_in *to)
{
	char buf[64];
	socklen_t len = sizeof(*to);
	struct timeval tv = {.tv_sec = 20};

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	for (;;) {
		ssize_t n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)to, &len);
		if (n < 0)
			bench_die("no ready datagram from the guest: %s", strerror(errno));
		if (n == 5 && memcmp(buf, "ready", 5) == 0)
			return;
	}
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"bind", 1, 0, 'b'},   {"to", 1, 0, 'o'},   {"size", 1, 0, 's'},
		{"count", 1, 0, 'n'},  {"flag", 1, 0, 'f'}, {"tap", 1, 0, 'T'},
		{"window", 1, 0, 'w'}, {0, 0, 0, 0},
	};
	static uint8_t ramp[256 + BLAST_MAXLEN];
	uint8_t heads[BLAST_BATCH][4];
	struct mmsghdr mm[BLAST_BATCH];
	struct iovec iov[BLAST_BATCH][2];
	struct sockaddr_in me, to;
	const char *bind_s = NULL, *to_s = NULL, *flag = NULL, *tap = NULL;
	unsigned long size = 0, count = 0, window = 512, sent = 0, stalls = 0;
	unsigned long long taken0 = 0, dropped0 = 0, done = 0;
	int fd, c, fd_taken = -1, fd_dropped = -1;
	uint64_t t0, t1;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'b':
			bind_s = optarg;
			break;
		case 'o':
			to_s = optarg;
			break;
		case 's':
			size = bench_parse_ulong("--size", optarg, BLAST_MAXLEN);
			break;
		case 'n':
			count = bench_parse_ulong("--count", optarg, 1ul << 32);
			break;
		case 'f':
			flag = optarg;
			break;
		case 'T':
			tap = optarg;
			break;
		case 'w':
			window = bench_parse_ulong("--window", optarg, 1ul << 20);
			break;
		default:
			usage();
		}
	}
	if (!bind_s || size < 4 || !count || window < BLAST_BATCH)
		usage();
	for (size_t j = 0; j < sizeof(ramp); j++)
		ramp[j] = (uint8_t)j;
	bench_parse_addr(bind_s, &me);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&me, sizeof(me)))
		bench_die("bind %s: %s", bind_s, strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &(int){16 << 20}, sizeof(int));
	if (tap) {
		fd_taken = bench_counter_open(tap, "tx_packets");
		fd_dropped = bench_counter_open(tap, "tx_dropped");
	}
	bench_flag(flag);
	if (to_s)
		bench_parse_addr(to_s, &to);
	else
		blast_wait_ready(fd, &to);
	if (tap) {
		taken0 = bench_counter_read(fd_taken);
		dropped0 = bench_counter_read(fd_dropped);
	}

	t0 = bench_now_ns();
	while (sent < count) {
		unsigned long n = count - sent < BLAST_BATCH ? count - sent : BLAST_BATCH;
		int k;

		if (tap && sent + n > done + window) {
			/* Queued on the tap = sent - (taken + dropped) since the start. */
			done = bench_counter_read(fd_taken) - taken0 +
			       bench_counter_read(fd_dropped) - dropped0;
			if (sent + n > done + window) {
				stalls++;
				continue;
			}
		}
		for (unsigned long i = 0; i < n; i++) {
			uint32_t index = (uint32_t)(sent + i);

			/* The pattern without copying: the index, then the ramp from byte 4. */
			bench_pattern_fill(heads[i], 4, index);
			iov[i][0] = (struct iovec){heads[i], 4};
			iov[i][1] = (struct iovec){ramp + (index & 0xff) + 4, size - 4};
			mm[i].msg_hdr = (struct msghdr){.msg_name = &to,
							.msg_namelen = sizeof(to),
							.msg_iov = iov[i],
							.msg_iovlen = 2};
		}
		k = sendmmsg(fd, mm, (unsigned int)n, 0);
		if (k < 0 && (errno == EINTR || errno == ENOBUFS || errno == EAGAIN))
			continue;
		if (k < 0)
			bench_die("sendmmsg: %s", strerror(errno));
		sent += (unsigned long)k;
	}
	t1 = bench_now_ns();
	printf("{\"sent\":%lu,\"secs\":%.6f,\"pps\":%.0f,\"stalls\":%lu", sent,
	       (double)(t1 - t0) / 1e9, (double)sent * 1e9 / (double)(t1 - t0), stalls);
	if (tap) {
		/* Let the reader take what is still queued before the drop count is read. */
		usleep(200000);
		printf(",\"tap_taken\":%llu,\"tap_dropped\":%llu",
		       bench_counter_read(fd_taken) - taken0,
		       bench_counter_read(fd_dropped) - dropped0);
	}
	printf("}\n");
	return 0;
}
