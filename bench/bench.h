// SPDX-License-Identifier: MIT
// Small helpers shared by the benchmark's host-side programs (bench/*.c): clocks, addresses,
// the probe guest's payload pattern, the "ready" flag file, and fatal errors.
#ifndef BENCH_H
#define BENCH_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* recvmmsg, sendmmsg */
#endif

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static inline uint64_t bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

__attribute__((noreturn, format(printf, 1, 2))) static inline void bench_die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

/* A network device's counter, /sys/class/net/DEV/statistics/NAME, opened once for reading. */
static inline int bench_counter_open(const char *dev, const char *name)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "/sys/class/net/%s/statistics/%s", dev, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		bench_die("cannot open %s: %s", path, strerror(errno));
	return fd;
}

/* Its value now: sysfs makes the text anew at every read at offset 0. */
static inline unsigned long long bench_counter_read(int fd)
{
	char buf[32];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

	if (n <= 0)
		bench_die("cannot read a device counter: %s", strerror(errno));
	buf[n] = 0;
	return strtoull(buf, NULL, 10);
}

/* "A.B.C.D:PORT" into *sa; exits on a malformed value. */
static inline void bench_parse_addr(const char *s, struct sockaddr_in *sa)
{
	char ip[32];
	const char *colon = strrchr(s, ':');
	char *end;
	long port;

	if (!colon || (size_t)(colon - s) >= sizeof(ip))
		bench_die("bad address '%s': want A.B.C.D:PORT", s);
	memcpy(ip, s, (size_t)(colon - s));
	ip[colon - s] = 0;
	port = strtol(colon + 1, &end, 10);
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_port = htons((uint16_t)port);
	if (*end || port < 0 || port > 65535 || inet_pton(AF_INET, ip, &sa->sin_addr) != 1)
		bench_die("bad address '%s': want A.B.C.D:PORT", s);
}

static inline unsigned long bench_parse_ulong(const char *opt, const char *s, unsigned long max)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || *end || !*s || v > max)
		bench_die("bad value for %s: '%s' (0-%lu)", opt, s, max);
	return v;
}

/*
 * The probe guest's payload pattern (guest-images/probe/netstack.c): bytes 0-3 hold the
 * datagram index big-endian, byte k >= 4 holds (index + k) & 0xff.
 */
static inline void bench_pattern_fill(uint8_t *p, size_t n, uint32_t index)
{
	for (size_t k = 0; k < n; k++)
		p[k] = (uint8_t)(index + k);
	if (n >= 4) {
		p[0] = (uint8_t)(index >> 24);
		p[1] = (uint8_t)(index >> 16);
		p[2] = (uint8_t)(index >> 8);
		p[3] = (uint8_t)index;
	}
}

/* Creates FILE (if named) to tell the benchmark script that our sockets are bound. */
static inline void bench_flag(const char *file)
{
	int fd;

	if (!file)
		return;
	fd = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		bench_die("cannot create %s: %s", file, strerror(errno));
	close(fd);
}

#endif
