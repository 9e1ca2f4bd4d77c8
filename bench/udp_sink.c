// SPDX-License-Identifier: MIT
// The benchmark's UDP receiver: counts datagrams and times them by their kernel arrival stamps
// (SO_TIMESTAMPNS), so a receiver that is scheduled late on a busy host still reports the rate
// at which the datagrams reached its socket. Prints one JSON line.
#include "bench.h"

#include <getopt.h>
#include <poll.h>
#include <sys/socket.h>

#define SINK_BATCH  64
#define SINK_MAXLEN 65536

/* Udp RcvbufErrors of this network namespace (/proc/net/snmp), or 0 if unreadable. */
static unsigned long long sink_rcvbuf_errors(void)
{
	FILE *f = fopen("/proc/net/snmp", "r");
	char head[1024], vals[1024];
	unsigned long long v = 0;

	if (!f)
		return 0;
	while (fgets(head, sizeof(head), f) && fgets(vals, sizeof(vals), f)) {
		char *hs, *vs, *h, *x;
		if (strncmp(head, "Udp:", 4) != 0)
			continue;
		h = strtok_r(head, " \n", &hs);
		x = strtok_r(vals, " \n", &vs);
		while (h && x) {
			if (strcmp(h, "RcvbufErrors") == 0)
				v = strtoull(x, NULL, 10);
			h = strtok_r(NULL, " \n", &hs);
			x = strtok_r(NULL, " \n", &vs);
		}
		break;
	}
	fclose(f);
	return v;
}

static uint64_t sink_stamp(struct msghdr *mh)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
			struct timespec ts;
			memcpy(&ts, CMSG_DATA(c), sizeof(ts));
			return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
		}
	}
	return 0;
}

static void usage(void)
{
	bench_die("usage: udp_sink --bind IP:PORT --count N [--flag FILE] [--idle-ms MS] "
		  "[--timeout-ms MS] [--rcvbuf BYTES]");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"bind", 1, 0, 'b'},	{"count", 1, 0, 'n'},	   {"flag", 1, 0, 'f'},
		{"idle-ms", 1, 0, 'i'}, {"timeout-ms", 1, 0, 't'}, {"rcvbuf", 1, 0, 'r'},
		{0, 0, 0, 0},
	};
	static uint8_t bufs[SINK_BATCH][SINK_MAXLEN];
	static char ctl[SINK_BATCH][CMSG_SPACE(sizeof(struct timespec))];
	struct mmsghdr mm[SINK_BATCH];
	struct iovec iov[SINK_BATCH];
	struct sockaddr_in sa;
	const char *bind_s = NULL, *flag = NULL;
	unsigned long count = 0, idle_ms = 500, timeout_ms = 20000, rcvbuf = 256u << 20;
	unsigned long long received = 0, bytes = 0, bytes_after_first = 0, errs0;
	uint64_t first = 0, last = 0, start;
	int fd, one = 1, c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'b':
			bind_s = optarg;
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
		case 'r':
			rcvbuf = bench_parse_ulong("--rcvbuf", optarg, 1ul << 31);
			break;
		default:
			usage();
		}
	}
	if (!bind_s || !count)
		usage();
	bench_parse_addr(bind_s, &sa);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0)
		bench_die("socket: %s", strerror(errno));
	/* Big enough that a late receiver loses nothing: the stamps keep the arrival times. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &(int){(int)rcvbuf}, sizeof(int)) &&
	    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &(int){(int)rcvbuf}, sizeof(int)))
		bench_die("SO_RCVBUF: %s", strerror(errno));
	if (setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one)))
		bench_die("SO_TIMESTAMPNS: %s", strerror(errno));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)))
		bench_die("bind %s: %s", bind_s, strerror(errno));
	errs0 = sink_rcvbuf_errors();
	bench_flag(flag);

	start = bench_now_ns();
	while (received < count) {
		uint64_t waited_ms = (bench_now_ns() - start) / 1000000u;
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		int n, wait_ms;

		/* Before the first datagram: the rest of --timeout-ms; after it: --idle-ms. */
		if (!received && waited_ms >= timeout_ms)
			break;
		wait_ms = (int)(received ? idle_ms : timeout_ms - waited_ms);
		n = poll(&pfd, 1, wait_ms);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break; /* idle after the first datagram, or nothing at all before the
				  timeout */
		for (int i = 0; i < SINK_BATCH; i++) {
			iov[i] = (struct iovec){bufs[i], SINK_MAXLEN};
			mm[i].msg_hdr = (struct msghdr){.msg_iov = &iov[i],
							.msg_iovlen = 1,
							.msg_control = ctl[i],
							.msg_controllen = sizeof(ctl[i])};
		}
		n = recvmmsg(fd, mm, SINK_BATCH, MSG_DONTWAIT, NULL);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n < 0)
			bench_die("recvmmsg: %s", strerror(errno));
		for (int i = 0; i < n; i++) {
			uint64_t ts = sink_stamp(&mm[i].msg_hdr);
			if (!ts)
				ts = bench_now_ns();
			if (!received)
				first = ts;
			else
				bytes_after_first += mm[i].msg_len;
			last = ts;
			received++;
			bytes += mm[i].msg_len;
		}
	}
	{
		double span = (double)(last - first) / 1e9;
		printf("{\"received\":%llu,\"bytes\":%llu,\"span_s\":%.6f,\"mbps\":%.1f,\"pps\":%."
		       "0f,"
		       "\"rcvbuf_errors\":%llu}\n",
		       received, bytes, span,
		       span > 0 ? (double)bytes_after_first * 8 / span / 1e6 : 0,
		       span > 0 ? (double)(received - 1) / span : 0, sink_rcvbuf_errors() - errs0);
	}
	return received ? 0 : 1;
}
