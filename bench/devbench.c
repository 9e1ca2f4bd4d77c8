// SPDX-License-Identifier: MIT
// The device-only benchmark: minnow's virtio-net device and one of its two net engines (io_uring,
// or io=sync's readv/writev) on a real tap, driven by an in-process polling driver
// (devbench_drv.c) instead of a VM, with the host peer on a thread (devbench_peer.c). No KVM:
// this measures the device and its engine alone. One run per invocation, inside the namespace
// bench/dev.sh made; after --warmup seconds it measures --seconds and prints one JSON line.
//
// usage: devbench rx|tx|rr --tap NAME [--sync] [--seconds S] [--warmup S] [--size BYTES] [--mrg]
//                          [--rxbuf BYTES] [--window N] [--seccomp on|off]
//   --seccomp: the device's threads in minnow's sandbox (default on, as in minnow; off to
//   measure what it costs)
//   rx: the peer sends --size-byte UDP datagrams to the guest, the driver counts them;
//   tx: the driver sends them with CSUM offload (NEEDS_CSUM, a partial checksum), the peer counts;
//   rr: the peer sends one (default 18 bytes: a 64-byte frame) and times the driver's echo of it,
//       then sends the next: round trips, their times and the device's CPU per round trip.
#include <dirent.h>
#include <getopt.h>

#include "base/stat.h"
#include "bench/bench.h"
#include "bench/devbench.h"

#define DB_SPIN	    32		 /* driver passes between two looks at the clock */
#define DB_DRAIN_NS 200000000ull /* after the window: what is in flight arrives */
#define DB_RR_SIZE  18		 /* rr's default datagram: a 64-byte frame */

/* The counters at one instant; a row's figures are the difference of two. */
struct db_snap {
	uint64_t ns;
	struct db_drv drv;
	uint64_t peer_frames, peer_bytes, peer_bad, peer_stalls, peer_drops;
	uint64_t peer_requests, peer_lost, peer_late;
	uint64_t dev_packets, dev_dropped, dev_irqs, dev_kicks;
	uint64_t tap_packets, tap_dropped;
	uint64_t cpu_proc, cpu_drv, cpu_peer, cpu_io, cpu_machine;
	uint64_t io_vcsw, io_ivcsw;
};

static struct netdrv D;
static struct db_opts O = {.seconds = 5, .warmup = 1, .window = 512};
static struct db_drv V;
static struct db_peer P = {.fd = -1};
static int io_tid, tap_fd[2];
static clockid_t io_clock;

static void usage(void)
{
	bench_die("usage: devbench rx|tx|rr --tap NAME [--sync] [--seconds S] [--warmup S] "
		  "[--size BYTES] [--mrg] [--rxbuf BYTES] [--window N] [--seccomp on|off]");
}

static double parse_secs(const char *opt, const char *s)
{
	char *end;
	double v = strtod(s, &end);

	if (*end || !*s || !(v >= 0 && v <= 3600))
		bench_die("bad value for %s: '%s' (0-3600 seconds)", opt, s);
	return v;
}

static void parse(int argc, char **argv)
{
	static const struct option opts[] = {
		{"tap", 1, 0, 't'},    {"sync", 0, 0, 'y'},   {"seconds", 1, 0, 's'},
		{"warmup", 1, 0, 'w'}, {"size", 1, 0, 'z'},   {"mrg", 0, 0, 'm'},
		{"rxbuf", 1, 0, 'r'},  {"window", 1, 0, 'W'}, {"seccomp", 1, 0, 'S'},
		{0, 0, 0, 0},
	};
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 't':
			O.tap = optarg;
			break;
		case 'y':
			O.sync = true;
			break;
		case 's':
			O.seconds = parse_secs("--seconds", optarg);
			break;
		case 'w':
			O.warmup = parse_secs("--warmup", optarg);
			break;
		case 'z':
			O.size = (uint32_t)bench_parse_ulong("--size", optarg, DB_MAX_SIZE);
			if (!O.size)
				usage();
			break;
		case 'm':
			O.mrg = true;
			break;
		case 'r':
			O.rxbuf = (uint32_t)bench_parse_ulong("--rxbuf", optarg, NETDRV_SLOT);
			break;
		case 'W':
			O.window = (unsigned int)bench_parse_ulong("--window", optarg, 1u << 20);
			break;
		case 'S':
			if (sandbox_parse(optarg, &O.seccomp) || O.seccomp == SANDBOX_LOG)
				bench_die("bad value for --seccomp: '%s' (on or off)", optarg);
			break;
		default:
			usage();
		}
	}
	if (optind != argc - 1 || !O.tap || O.seconds <= 0 || O.window < 64)
		usage();
	O.row_name = argv[optind];
	if (!strcmp(O.row_name, "rx") || !strcmp(O.row_name, "tx"))
		O.row = O.row_name[0] == 'r' ? DB_RX : DB_TX;
	else if (!strcmp(O.row_name, "rr"))
		O.row = DB_RR;
	else
		usage();
	if (!O.size) /* not given: rr asks small questions, the throughput rows move full frames */
		O.size = O.row == DB_RR ? DB_RR_SIZE : DB_MAX_SIZE;
	if (O.row == DB_RR && O.size < DB_RR_SEQ_LEN)
		bench_die("rr: --size %u holds no %d-byte sequence number", O.size, DB_RR_SEQ_LEN);
}

/* A small text file (sysfs, procfs) into buf; false if it cannot be read. */
static bool read_text(const char *path, char *buf, size_t max)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, max - 1);

	if (fd >= 0)
		close(fd);
	buf[n > 0 ? n : 0] = 0;
	return n > 0;
}

/*
 * The tap's transmit queue drops everything until the kernel's linkwatch work has run after the
 * device attached (operstate "up"); a little more for the qdisc swap that follows it.
 */
static void wait_link(void)
{
	char path[128], state[32];

	snprintf(path, sizeof(path), "/sys/class/net/%s/operstate", O.tap);
	for (int i = 0; i < 5000; i++) {
		if (read_text(path, state, sizeof(state)) && !strncmp(state, "up\n", 3)) {
			usleep(20000);
			return;
		}
		usleep(2000);
	}
	bench_die("%s: operstate '%s' 10 s after the device attached", O.tap, state);
}

static void tap_mac(uint8_t mac[6])
{
	char path[128], s[32];

	snprintf(path, sizeof(path), "/sys/class/net/%s/address", O.tap);
	if (!read_text(path, s, sizeof(s)) ||
	    sscanf(s, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &mac[0], &mac[1], &mac[2], &mac[3], &mac[4],
		   &mac[5]) != 6)
		bench_die("cannot read %s", path);
}

/* Pair 0's I/O thread by its name (vnet_io.c), for its context switches in procfs. */
static int find_io_thread(void)
{
	DIR *dir = opendir("/proc/self/task");
	struct dirent *e;
	int tid = 0;

	while (dir && !tid && (e = readdir(dir))) {
		char path[64], comm[32];

		snprintf(path, sizeof(path), "/proc/self/task/%.16s/comm", e->d_name);
		if (e->d_name[0] != '.' && read_text(path, comm, sizeof(comm)) &&
		    !strcmp(comm, "vnet-io0\n"))
			tid = atoi(e->d_name);
	}
	if (dir)
		closedir(dir);
	return tid;
}

/*
 * The device on the tap with the row's features (rr: both checksum offloads, so that a request's
 * partial checksum goes back partial); its I/O thread's clock and id.
 */
static void dev_open(void)
{
	uint64_t want = VIRTIO_BIT(VIRTIO_RING_F_EVENT_IDX) | VIRTIO_BIT(VIRTIO_NET_F_MAC) |
			VIRTIO_BIT(VIRTIO_NET_F_MTU) |
			(O.row != DB_TX ? VIRTIO_BIT(VIRTIO_NET_F_GUEST_CSUM) : 0) |
			(O.row != DB_RX ? VIRTIO_BIT(VIRTIO_NET_F_CSUM) : 0) |
			(O.mrg ? VIRTIO_BIT(VIRTIO_NET_F_MRG_RXBUF) : 0);
	struct netdrv_cfg c = {
		.opts = {.csum = true,
			 .mrg_rxbuf = O.mrg,
			 .io_sync = O.sync,
			 .mac_set = true,
			 .mac = {DB_GUEST_MAC}},
		.tap = O.tap,
		.want = want,
	};

	if (netdrv_open(&D, &c))
		bench_die("cannot bring the device up on %s: %s", O.tap, D.err);
	if ((D.features & want) != want)
		bench_die("features 0x%llx lack some of 0x%llx", (unsigned long long)D.features,
			  (unsigned long long)want);
	if (!O.rxbuf) /* the device's own minimum: 12 + a tagged 1500-byte MTU frame */
		O.rxbuf = VNET_HDR_LEN + 18 + 1500;
	if (pthread_getcpuclockid(D.n.pair[0].thread, &io_clock))
		bench_die("no CPU clock for the device's I/O thread");
	io_tid = find_io_thread();
	if (!io_tid)
		bench_die("no thread named vnet-io0: is this minnow's vnet_io.c?");
	wait_link();
}

static uint64_t clock_ns(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/*
 * Busy CPU time of the whole machine (/proc/stat: user, nice, system, irq, softirq, steal), in
 * jiffies turned into ns: what ran outside this process (ksoftirqd finishing the tap's packets,
 * other work on the machine) shows as the difference.
 */
static uint64_t machine_cpu_ns(void)
{
	unsigned long long u, n, sy, idle, io, irq, soft, steal;
	char buf[256];

	if (!read_text("/proc/stat", buf, sizeof(buf)) ||
	    sscanf(buf, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &u, &n, &sy, &idle, &io,
		   &irq, &soft, &steal) != 8)
		return 0;
	return (u + n + sy + irq + soft + steal) * (1000000000ull / (uint64_t)sysconf(_SC_CLK_TCK));
}

/* The I/O thread's voluntary and involuntary context switches so far. */
static void io_switches(uint64_t *vol, uint64_t *invol)
{
	char path[64], buf[2048], *p;

	snprintf(path, sizeof(path), "/proc/self/task/%d/status", io_tid);
	read_text(path, buf, sizeof(buf));
	p = strstr(buf, "\nvoluntary_ctxt_switches:");
	*vol = p ? strtoull(strchr(p, ':') + 1, NULL, 10) : 0;
	p = strstr(buf, "\nnonvoluntary_ctxt_switches:");
	*invol = p ? strtoull(strchr(p, ':') + 1, NULL, 10) : 0;
}

static void snap(struct db_snap *s)
{
	const struct vnet_pair *pair = &D.n.pair[0];

	s->ns = bench_now_ns();
	s->drv = V;
	s->cpu_drv = clock_ns(CLOCK_THREAD_CPUTIME_ID);
	s->cpu_proc = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
	s->cpu_io = clock_ns(io_clock);
	s->cpu_peer = db_peer_cpu_ns(&P);
	s->cpu_machine = machine_cpu_ns();
	s->peer_frames = atomic_load(&P.frames);
	s->peer_bytes = atomic_load(&P.bytes);
	s->peer_bad = atomic_load(&P.bad);
	s->peer_stalls = atomic_load(&P.stalls);
	s->peer_drops = db_peer_drops(&P);
	s->peer_requests = atomic_load(&P.requests);
	s->peer_lost = atomic_load(&P.lost);
	s->peer_late = atomic_load(&P.late);
	/* rr: the frames the device delivered (the requests), the drops of both directions. */
	s->dev_packets = O.row != DB_TX ? STAT_READ(pair->stats.rx_packets)
					: STAT_READ(pair->stats.tx_packets);
	s->dev_dropped = (O.row != DB_TX ? STAT_READ(pair->stats.rx_dropped) : 0) +
			 (O.row != DB_RX ? STAT_READ(pair->stats.tx_dropped) : 0);
	s->dev_irqs = STAT_READ(pair->stats.interrupts);
	s->dev_kicks = STAT_READ(pair->kicks);
	s->tap_packets = bench_counter_read(tap_fd[0]);
	s->tap_dropped = bench_counter_read(tap_fd[1]);
	io_switches(&s->io_vcsw, &s->io_ivcsw);
}

/* Polls until end_ns; the clock is read every DB_SPIN passes, not in every one. */
static void run_until(uint64_t end_ns)
{
	do {
		for (unsigned int i = 0; i < DB_SPIN; i++)
			db_drv_step(&V);
	} while (bench_now_ns() < end_ns);
}

/* Traffic stops; what was on its way arrives (rx: off the tap; tx: completed and received). */
static void finish(void)
{
	uint64_t end = bench_now_ns() + DB_DRAIN_NS;

	if (O.row == DB_RX) {
		db_peer_stop(&P);
		run_until(end);
	} else if (O.row == DB_RR) {
		/* The round trip in flight needs the driver: it polls until the peer is done. */
		db_peer_ask_stop(&P);
		end += DB_RR_TIMEOUT_MS * 1000000ull;
		while (!atomic_load(&P.done) && bench_now_ns() < end)
			db_drv_step(&V);
		db_peer_stop(&P);
	} else {
		V.no_post = true;
		while (db_drv_inflight(&V) && bench_now_ns() < end)
			db_drv_step(&V);
		usleep(DB_DRAIN_NS / 2000); /* the sink takes what the tap delivered */
		db_peer_stop(&P);
	}
	netdrv_stop(&D); /* D.n.stats holds the run's totals from here */
}

static void start(void)
{
	uint8_t mac[6];
	int ret;

	tap_mac(mac);
	/* The tap's own counters of the direction toward the device (rr: the requests). */
	tap_fd[0] = bench_counter_open(O.tap, O.row != DB_TX ? "tx_packets" : "rx_packets");
	tap_fd[1] = bench_counter_open(O.tap, O.row != DB_TX ? "tx_dropped" : "rx_dropped");
	/* tx: the sink is bound before the first frame; rx, rr: buffers are posted first. */
	ret = O.row == DB_TX ? db_peer_start(&P, &O) : 0;
	if (!ret)
		ret = db_drv_init(&V, &D, &O, mac);
	if (!ret && O.row != DB_TX)
		ret = db_peer_start(&P, &O);
	if (ret)
		bench_die("cannot start the %s row: %s", O.row_name, strerror(-ret));
}

/* ---- the JSON line ---- */

static bool j_first = true;

static void j_u(const char *k, uint64_t v)
{
	printf("%s\"%s\":%llu", j_first ? "{" : ",", k, (unsigned long long)v);
	j_first = false;
}

static void j_f(const char *k, double v)
{
	printf("%s\"%s\":%.6g", j_first ? "{" : ",", k, v);
	j_first = false;
}

static void j_s(const char *k, const char *v)
{
	printf("%s\"%s\":\"%s\"", j_first ? "{" : ",", k, v);
	j_first = false;
}

static double per(double a, double b)
{
	return b > 0 ? a / b : 0;
}

/* rr: the window's round trips, their times (after the peer's join) and what went wrong. */
static void report_rr(const struct db_snap *a, const struct db_snap *b)
{
	struct db_rtt r;

	db_peer_rtt(&P, a->peer_frames, b->peer_frames, &r);
	j_f("rtt_min_us", r.min);
	j_f("rtt_med_us", r.med);
	j_f("rtt_p90_us", r.p90);
	j_f("rtt_p99_us", r.p99);
	j_f("rtt_max_us", r.max);
	j_f("rtt_mean_us", r.mean);
	j_u("peer_requests", b->peer_requests - a->peer_requests);
	j_u("peer_lost", b->peer_lost - a->peer_lost);
	j_u("peer_late", b->peer_late - a->peer_late);
	j_u("peer_mismatch", b->peer_bad - a->peer_bad);
	j_u("echoed", b->drv.frames - a->drv.frames);
	j_u("echo_full", b->drv.echo_full - a->drv.echo_full);
	j_u("other", b->drv.other - a->drv.other);
	j_u("csum_partial", b->drv.csum_partial - a->drv.csum_partial);
	j_u("data_valid", b->drv.data_valid - a->drv.data_valid);
}

/*
 * The window: rate, the device's CPU (the process less the driver and the peer), its cost. rr's
 * "frames" are round trips (two frames through the device each), counted at the peer.
 */
static void report_window(const struct db_snap *a, const struct db_snap *b)
{
	double secs = (double)(b->ns - a->ns) / 1e9;
	bool rx = O.row == DB_RX;
	uint64_t frames = rx ? b->drv.frames - a->drv.frames : b->peer_frames - a->peer_frames;
	uint64_t bytes = rx ? b->drv.bytes - a->drv.bytes : b->peer_bytes - a->peer_bytes;
	uint64_t dev_cpu = (b->cpu_proc - a->cpu_proc) - (b->cpu_drv - a->cpu_drv) -
			   (b->cpu_peer - a->cpu_peer);
	uint64_t io_cpu = b->cpu_io - a->cpu_io;
	uint64_t csw = b->io_vcsw - a->io_vcsw + b->io_ivcsw - a->io_ivcsw;

	j_f("window_s", secs);
	j_u("frames", frames);
	j_u("bytes", bytes);
	j_f("mbps", per((double)bytes * 8 / 1e6, secs));
	j_f("pps", per((double)frames, secs));
	j_f("dev_cpu_s", (double)dev_cpu / 1e9);
	j_f("io_cpu_s", (double)io_cpu / 1e9);
	j_f("other_cpu_s", (double)(dev_cpu > io_cpu ? dev_cpu - io_cpu : 0) / 1e9);
	j_f("drv_cpu_s", (double)(b->cpu_drv - a->cpu_drv) / 1e9);
	j_f("peer_cpu_s", (double)(b->cpu_peer - a->cpu_peer) / 1e9);
	j_f("outside_cpu_s",
	    (double)(int64_t)((b->cpu_machine - a->cpu_machine) - (b->cpu_proc - a->cpu_proc)) /
		    1e9);
	j_f("cpu_s_per_gb", per((double)dev_cpu / 1e9, (double)bytes / 1e9));
	j_f("cpu_ns_per_frame", per((double)dev_cpu, (double)frames));
	j_u("io_vcsw", b->io_vcsw - a->io_vcsw);
	j_u("io_ivcsw", b->io_ivcsw - a->io_ivcsw);
	j_f("csw_per_frame", per((double)csw, (double)frames));
	j_u("kicks", b->drv.kicks - a->drv.kicks);
	j_f("kicks_per_frame", per((double)(b->drv.kicks - a->drv.kicks), (double)frames));
	j_u("dev_irqs", b->dev_irqs - a->dev_irqs);
	j_u("idle_polls", b->drv.polls_idle - a->drv.polls_idle);
	j_u("dev_packets", b->dev_packets - a->dev_packets);
	j_u("dev_dropped", b->dev_dropped - a->dev_dropped);
	j_u(O.row != DB_TX ? "tap_taken" : "tap_rx", b->tap_packets - a->tap_packets);
	j_u(O.row != DB_TX ? "tap_dropped" : "tap_rx_dropped", b->tap_dropped - a->tap_dropped);
	if (O.row == DB_RR) {
		report_rr(a, b);
	} else if (rx) {
		j_u("peer_sent", b->peer_frames - a->peer_frames);
		j_u("peer_stalls", b->peer_stalls - a->peer_stalls);
		j_u("other", b->drv.other - a->drv.other);
		j_u("csum_partial", b->drv.csum_partial - a->drv.csum_partial);
		j_u("data_valid", b->drv.data_valid - a->drv.data_valid);
	} else {
		j_u("completed", b->drv.frames - a->drv.frames);
		j_u("peer_bad", b->peer_bad - a->peer_bad);
		j_u("sock_drops", b->peer_drops - a->peer_drops);
	}
}

/*
 * The whole run, warm-up and drain included: what was sent, what arrived, what was lost (rr:
 * requests, and replies that matched them).
 */
static const char *report_totals(void)
{
	bool rx = O.row == DB_RX, rr = O.row == DB_RR;
	uint64_t sent = rx ? atomic_load(&P.frames) : rr ? atomic_load(&P.requests) : V.frames;
	uint64_t got = rx ? V.frames : atomic_load(&P.frames);

	j_u("total_sent", sent);
	j_u("total_received", got);
	j_u("total_dev_packets", O.row != DB_TX ? D.n.stats.rx_packets : D.n.stats.tx_packets);
	j_u("total_dev_dropped", (O.row != DB_TX ? D.n.stats.rx_dropped : 0) +
					 (O.row != DB_RX ? D.n.stats.tx_dropped : 0));
	j_u("total_lost", sent > got ? sent - got : 0);
	if (!rx)
		j_u("total_sock_drops", db_peer_drops(&P));
	if (rr) {
		j_u("total_timeouts", atomic_load(&P.lost));
		j_u("total_late", atomic_load(&P.late));
		j_u("total_mismatch", atomic_load(&P.bad));
		j_u("csum_checked", V.csum_checked);
	}
	if (V.csum_bad)
		return "an echo's checksum was wrong (devbench_drv.c)";
	if (netdrv_status(&D) & VIRTIO_CONFIG_S_NEEDS_RESET)
		return "the device asked for a reset";
	if (D.bad_used)
		return "used entries naming no chain the driver had out";
	if (P.err)
		return strerror(P.err);
	return NULL;
}

int main(int argc, char **argv)
{
	struct db_snap a, b;
	char sandbox_err[160];
	const char *err;

	O.seccomp = SANDBOX_ON;
	parse(argc, argv);
	/* Only the device's threads enter it: the driver and the peer stand in for the guest and the host. */
	if (sandbox_init(O.seccomp, sandbox_err, sizeof(sandbox_err)))
		bench_die("seccomp: %s", sandbox_err);
	dev_open();
	start();
	run_until(bench_now_ns() + (uint64_t)(O.warmup * 1e9));
	snap(&a);
	run_until(a.ns + (uint64_t)(O.seconds * 1e9));
	snap(&b);
	finish();
	j_s("row", O.row_name);
	j_s("io", O.sync ? "sync" : "uring");
	j_s("io_engine", D.n.be->engine); /* io_uring's features: MINNOW_URING_DISABLE's effect */
	j_s("seccomp", O.seccomp == SANDBOX_ON ? "on" : "off");
	j_u("size", O.size);
	j_u("mrg", O.mrg);
	j_u("rxbuf", O.row != DB_TX ? O.rxbuf : 0);
	j_u("qsize", D.qsize);
	j_f("warmup_s", O.warmup);
	report_window(&a, &b);
	err = report_totals();
	if (err)
		j_s("error", err);
	printf("}\n");
	netdrv_close(&D);
	return err ? 1 : 0;
}
