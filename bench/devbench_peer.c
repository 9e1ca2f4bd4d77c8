// SPDX-License-Identifier: MIT
// devbench's host side, one thread in the namespace. rx: UDP datagrams to the guest, with at most
// --window of them queued on the tap (bench/udp_blast.c's method: a tap drops what overflows its
// 1000-frame queue instead of pushing back on the sender, so the sender reads the tap's own
// counters, tx_packets = taken by the device and tx_dropped). tx: a UDP socket on the tap's
// address that counts the datagrams of the row's size that arrive. rr: one request to the guest
// at a time, timed from send to its reply (the driver echoes it); no reply in DB_RR_TIMEOUT_MS is
// a loss.
#include <sched.h>
#include <stdlib.h>
#include <linux/sock_diag.h>
#include <sys/socket.h>
#include <time.h>

#include "bench/bench.h"
#include "bench/devbench.h"
#include "tests/support/netpkt.h"

#define PEER_BATCH   32		/* datagrams per sendmmsg or recvmmsg */
#define PEER_MAXLEN  2048	/* the largest datagram devbench sends: 1472 bytes */
#define PEER_WAIT_MS 100	/* how long the sink blocks before it looks at the stop flag */
#define PEER_RTT_MIN (1u << 16) /* rr: round-trip times the first allocation holds */

static void peer_add(_Atomic uint64_t *c, uint64_t n)
{
	/* One writer: a relaxed load and store, no locked instruction in the sending loop. */
	atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + n,
			      memory_order_relaxed);
}

/* Datagrams the device has taken off the tap, or the tap dropped, since the peer started. */
static uint64_t peer_done(const struct db_peer *p, uint64_t base)
{
	return bench_counter_read(p->tap_taken) + bench_counter_read(p->tap_dropped) - base;
}

/* rx: the same datagram over and over; a full window gives the CPU away rather than spin. */
static void *peer_blast(void *arg)
{
	static uint8_t payload[PEER_MAXLEN];
	struct db_peer *p = arg;
	struct iovec iov = {payload, p->o->size};
	struct mmsghdr mm[PEER_BATCH];
	uint64_t sent = 0, done = 0, base = peer_done(p, 0);

	netpkt_pattern(payload, p->o->size, 0);
	for (unsigned int i = 0; i < PEER_BATCH; i++)
		mm[i].msg_hdr = (struct msghdr){.msg_iov = &iov, .msg_iovlen = 1};
	while (!atomic_load_explicit(&p->stop, memory_order_relaxed)) {
		int k;

		if (sent + PEER_BATCH > done + p->o->window) {
			done = peer_done(p, base);
			if (sent + PEER_BATCH > done + p->o->window) {
				peer_add(&p->stalls, 1);
				sched_yield();
				continue;
			}
		}
		k = sendmmsg(p->fd, mm, PEER_BATCH, 0);
		if (k < 0 && (errno == EINTR || errno == ENOBUFS || errno == EAGAIN))
			continue;
		if (k < 0) {
			p->err = errno;
			break;
		}
		sent += (uint64_t)k;
		peer_add(&p->frames, (uint64_t)k);
		peer_add(&p->bytes, (uint64_t)k * p->o->size);
	}
	return NULL;
}

/* tx: counts datagrams of the row's size; anything else is "bad". */
static void *peer_sink(void *arg)
{
	static uint8_t buf[PEER_BATCH][PEER_MAXLEN];
	struct db_peer *p = arg;
	struct iovec iov[PEER_BATCH];
	struct mmsghdr mm[PEER_BATCH];

	for (unsigned int i = 0; i < PEER_BATCH; i++) {
		iov[i] = (struct iovec){buf[i], PEER_MAXLEN};
		mm[i].msg_hdr = (struct msghdr){.msg_iov = &iov[i], .msg_iovlen = 1};
	}
	while (!atomic_load_explicit(&p->stop, memory_order_relaxed)) {
		uint64_t good = 0;
		int k = recvmmsg(p->fd, mm, PEER_BATCH, MSG_WAITFORONE, NULL);

		if (k < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (k < 0) {
			p->err = errno;
			break;
		}
		for (int i = 0; i < k; i++)
			good += mm[i].msg_len == p->o->size;
		peer_add(&p->frames, good);
		peer_add(&p->bytes, good * p->o->size);
		if (good < (uint64_t)k)
			peer_add(&p->bad, (uint64_t)k - good);
	}
	return NULL;
}

/* rr: room for one more round-trip time; the array doubles, so appends cost O(1) amortised. */
static bool peer_rtt_room(struct db_peer *p, uint64_t n)
{
	size_t cap = p->rtt_cap ? p->rtt_cap * 2 : PEER_RTT_MIN;
	uint32_t *a;

	if (n < p->rtt_cap)
		return true;
	a = realloc(p->rtt, cap * sizeof(*a));
	if (!a)
		return false;
	p->rtt = a;
	p->rtt_cap = cap;
	return true;
}

/*
 * rr: what came back for request seq (req, the payload sent). 0: its reply; 1: the intact reply
 * to an earlier request, one already counted lost; 2: anything else (a mismatch).
 */
static int peer_rr_judge(const uint8_t *req, const uint8_t *got, ssize_t len, size_t size)
{
	uint64_t seq, was;

	if (len != (ssize_t)size ||
	    memcmp(got + DB_RR_SEQ_LEN, req + DB_RR_SEQ_LEN, size - DB_RR_SEQ_LEN))
		return 2;
	memcpy(&seq, req, sizeof(seq));
	memcpy(&was, got, sizeof(was));
	return was == seq ? 0 : was < seq ? 1 : 2;
}

/*
 * rr: waits for request seq's reply (sent at t0): its round-trip time in ns, or 0 when
 * DB_RR_TIMEOUT_MS passed (SO_RCVTIMEO ends a quiet wait; a stream of wrong replies, the deadline).
 */
static uint64_t peer_rr_wait(struct db_peer *p, const uint8_t *req, uint64_t t0)
{
	static uint8_t got[PEER_MAXLEN];
	uint64_t deadline = t0 + DB_RR_TIMEOUT_MS * 1000000ull;

	for (;;) {
		ssize_t n = recv(p->fd, got, sizeof(got), 0);
		int e = n < 0 ? errno : 0;
		uint64_t now = bench_now_ns();
		int verdict = n < 0 ? -1 : peer_rr_judge(req, got, n, p->o->size);

		if (!verdict)
			return now - t0 ? now - t0 : 1;
		if (verdict > 0)
			peer_add(verdict == 1 ? &p->late : &p->bad, 1);
		if (e && e != EINTR && e != EAGAIN)
			p->err = e;
		if ((e && e != EINTR) || now >= deadline)
			return 0;
	}
}

/* rr: request, reply, next request; each good round trip's time goes in p->rtt. */
static void *peer_rr(void *arg)
{
	static uint8_t req[PEER_MAXLEN];
	struct db_peer *p = arg;
	uint64_t seq = 0, good = 0;

	netpkt_pattern(req, p->o->size, 0);
	while (!atomic_load_explicit(&p->stop, memory_order_relaxed) && !p->err) {
		uint64_t t0, rtt;

		seq++;
		memcpy(req, &seq, sizeof(seq));
		if (!peer_rtt_room(p, good)) {
			p->err = ENOMEM;
			break;
		}
		t0 = bench_now_ns();
		if (send(p->fd, req, p->o->size, 0) < 0) {
			if (errno != EINTR && errno != ENOBUFS && errno != EAGAIN)
				p->err = errno;
			continue;
		}
		peer_add(&p->requests, 1);
		rtt = peer_rr_wait(p, req, t0);
		if (!rtt) {
			peer_add(&p->lost, 1);
			continue;
		}
		p->rtt[good++] = rtt > UINT32_MAX ? UINT32_MAX : (uint32_t)rtt;
		peer_add(&p->bytes, p->o->size);
		peer_add(&p->frames, 1);
	}
	atomic_store(&p->done, true);
	return NULL;
}

static struct sockaddr_in peer_addr(uint32_t ip, uint16_t port)
{
	return (struct sockaddr_in){
		.sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(ip)};
}

/*
 * The socket on the tap's address: for rx connected to the guest, for rr too (only the guest's
 * replies arrive) with the reply timeout, for tx with a large buffer.
 */
static int peer_socket(struct db_peer *p)
{
	struct sockaddr_in me = peer_addr(DB_HOST_IP, DB_HOST_PORT);
	struct sockaddr_in guest = peer_addr(DB_GUEST_IP, DB_GUEST_PORT);
	struct timeval wait = {.tv_usec = PEER_WAIT_MS * 1000};
	struct timeval rr_wait = {.tv_sec = DB_RR_TIMEOUT_MS / 1000,
				  .tv_usec = DB_RR_TIMEOUT_MS % 1000 * 1000};
	int big = 32 << 20;

	p->fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (p->fd < 0 || bind(p->fd, (struct sockaddr *)&me, sizeof(me)))
		return -errno;
	if (p->o->row == DB_RR &&
	    setsockopt(p->fd, SOL_SOCKET, SO_RCVTIMEO, &rr_wait, sizeof(rr_wait)))
		return -errno;
	if (p->o->row != DB_TX) {
		if (p->o->row == DB_RX)
			setsockopt(p->fd, SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof(big));
		return connect(p->fd, (struct sockaddr *)&guest, sizeof(guest)) ? -errno : 0;
	}
	/* Room for what arrives while the scheduler runs others: overflows are counted anyway. */
	setsockopt(p->fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big));
	return setsockopt(p->fd, SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof(wait)) ? -errno : 0;
}

int db_peer_start(struct db_peer *p, const struct db_opts *o)
{
	int ret;

	p->o = o;
	if (o->row == DB_RX) {
		p->tap_taken = bench_counter_open(o->tap, "tx_packets");
		p->tap_dropped = bench_counter_open(o->tap, "tx_dropped");
	}
	ret = peer_socket(p);
	if (ret)
		return ret;
	ret = -pthread_create(&p->thread, NULL,
			      o->row == DB_RX	? peer_blast
			      : o->row == DB_TX ? peer_sink
						: peer_rr,
			      p);
	p->started = !ret;
	return ret;
}

void db_peer_ask_stop(struct db_peer *p)
{
	atomic_store(&p->stop, true);
}

void db_peer_stop(struct db_peer *p)
{
	if (!p->started)
		return;
	db_peer_ask_stop(p);
	pthread_join(p->thread, NULL);
	p->started = false;
}

static int peer_cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

/* The nearest-rank pct-th percentile of n > 0 sorted values (the ceil(n pct / 100)-th), in µs. */
static double peer_rank_us(const uint32_t *v, uint64_t n, unsigned int pct)
{
	return v[(n * pct + 99) / 100 - 1] / 1e3;
}

void db_peer_rtt(struct db_peer *p, uint64_t from, uint64_t to, struct db_rtt *out)
{
	uint32_t *v = p->rtt + from;
	uint64_t n = to > from ? to - from : 0, sum = 0;

	*out = (struct db_rtt){.n = n};
	if (!n || !p->rtt)
		return;
	qsort(v, n, sizeof(*v), peer_cmp_u32);
	for (uint64_t i = 0; i < n; i++)
		sum += v[i];
	out->min = v[0] / 1e3;
	out->med = peer_rank_us(v, n, 50);
	out->p90 = peer_rank_us(v, n, 90);
	out->p99 = peer_rank_us(v, n, 99);
	out->max = v[n - 1] / 1e3;
	out->mean = (double)sum / (double)n / 1e3;
}

uint64_t db_peer_cpu_ns(const struct db_peer *p)
{
	struct timespec ts;
	clockid_t c;

	if (!p->started || pthread_getcpuclockid(p->thread, &c) || clock_gettime(c, &ts))
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t db_peer_drops(const struct db_peer *p)
{
	uint32_t mi[SK_MEMINFO_VARS] = {0};
	socklen_t len = sizeof(mi);

	/* The socket's own drop count (sk_drops): a full receive buffer, nothing else here. */
	if (p->fd < 0 || getsockopt(p->fd, SOL_SOCKET, SO_MEMINFO, mi, &len) || len < sizeof(mi))
		return 0;
	return mi[SK_MEMINFO_DROPS];
}
