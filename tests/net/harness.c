// SPDX-License-Identifier: MIT
// The 'net' suite's harness: it plays the guest (tests/support/netdrv over memfd guest RAM) of
// minnow's real virtio-net device on a real tap (tapA) and the peer behind a second, plain tap
// (tapB) in a network namespace that tests/net/net.sh created; the kernel routes between them.
// Usage: harness CASE [--tapa A] [--tapb B] [--sync] [--mrg] [--no-guest-csum] [--guest-tso]
//                     [--guest-uso] [--rxbuf BYTES] [--rxcount N] [--rxpiece BYTES] [--rxindirect]
//                     [--soft] [--sndbuf BYTES]
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <poll.h>
#include <stdarg.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "base/sandbox.h"
#include "net/tap_uring.h"
#include "tests/net/harness.h"

struct harness H = {.tapb_fd = -1};

static const char *case_name = "?";

int64_t h_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

void h_note(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

void h_fail_at(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "FAIL: %s (%s:%d): ", case_name, file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	if (H.dev_open) {
		/* What the device counted, to tell a device drop from a lost frame. */
		netdrv_stop(&H.d);
		vnet_metrics(&H.d.n, stderr);
		fprintf(stderr, "\n");
	}
	h_dev_close();
	exit(1);
}

uint16_t h_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

uint32_t h_get32(const uint8_t *p)
{
	return (uint32_t)h_get16(p) << 16 | h_get16(p + 2);
}

void h_put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = (uint8_t)v;
}

void h_put32(uint8_t *p, uint32_t v)
{
	h_put16(p, v >> 16);
	h_put16(p + 2, (uint16_t)v);
}

/* ---- the device (tapA) ---- */

uint64_t h_want(void)
{
	uint64_t f = VIRTIO_BIT(VIRTIO_RING_F_EVENT_IDX) | VIRTIO_BIT(VIRTIO_RING_F_INDIRECT_DESC) |
		     F(MAC) | F(STATUS) | F(MTU) | F(CSUM) | F(HOST_TSO4) | F(HOST_TSO6);

	if (H.o.guest_csum)
		f |= F(GUEST_CSUM);
	if (H.o.guest_csum && H.o.guest_tso)
		f |= F(GUEST_TSO4) | F(GUEST_TSO6);
	if (H.o.guest_csum && H.o.guest_uso)
		f |= F(GUEST_USO4) | F(GUEST_USO6);
	if (H.o.mrg)
		f |= F(MRG_RXBUF);
	return f;
}

unsigned int h_tun_offloads(void)
{
	if (!H.o.guest_csum)
		return 0;
	return TUN_F_CSUM | (H.o.guest_tso ? TUN_F_TSO4 | TUN_F_TSO6 : 0) |
	       (H.o.guest_uso ? TUN_F_USO4 | TUN_F_USO6 : 0);
}

void h_skip(const char *why)
{
	printf("SKIP: %s\n", why);
	h_dev_close();
	exit(77);
}

/*
 * tapA opened here with a send buffer (as QEMU's sndbuf= sets one) and handed
 * to the device as fd=, which it adopts.
 */
static int h_tapa_sndbuf(int bytes)
{
	struct ifreq ifr = { .ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR };
	int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);

	CHECK(fd >= 0, "open /dev/net/tun: %s", strerror(errno));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", H.o.tapa);
	CHECK(ioctl(fd, TUNSETIFF, &ifr) == 0, "TUNSETIFF %s: %s", H.o.tapa, strerror(errno));
	CHECK(ioctl(fd, TUNSETSNDBUF, &bytes) == 0, "TUNSETSNDBUF %d: %s", bytes, strerror(errno));
	return fd;
}

/*
 * The engine name want, less "+batch_wait" where the kernel is older than
 * 6.12 (min_wait_usec): the oracle is the kernel's version, not the probe.
 */
static const char *h_engine_on_this_kernel(const char *want)
{
	static char buf[128];
	const char *at = strstr(want, "+batch_wait");
	struct utsname u;
	unsigned int major = 0, minor = 0;

	if (!at || uname(&u) || sscanf(u.release, "%u.%u", &major, &minor) != 2 ||
	    major > 6 || (major == 6 && minor >= 12))
		return want;
	h_note("kernel %s predates batched waits (6.12): expecting no batch_wait", u.release);
	snprintf(buf, sizeof(buf), "%.*s%s", (int)(at - want), want, at + strlen("+batch_wait"));
	return buf;
}

void h_dev_open(uint64_t extra_want)
{
	struct netdrv_cfg c = {
		.opts = {.csum = true,
			 .tso = true,
			 .mrg_rxbuf = H.o.mrg,
			 .io_sync = H.o.sync,
			 .offload_soft = H.o.soft,
			 .batch_us = H.o.batch_us > 0 ? (unsigned int)H.o.batch_us : 0,
			 .batch_off = H.o.batch_us == 0,
			 .mac_set = true},
		.tap = H.o.tapa,
		.want = h_want() | extra_want,
	};
	bool gso = H.o.guest_csum && (H.o.guest_tso || H.o.guest_uso);

	memcpy(c.opts.mac, H.guest_mac, 6);
	if (H.o.sndbuf) {
		c.tap = NULL;
		c.tap_fd = h_tapa_sndbuf(H.o.sndbuf);
	}
	if (netdrv_open(&H.d, &c)) {
		fprintf(stderr, "FAIL: %s: cannot bring the device up on %s: %s\n", case_name,
			H.o.tapa, H.d.err);
		netdrv_close(&H.d);
		exit(1);
	}
	H.dev_open = true;
	H.rx_posted = 0;
	/* tun's unlimited send buffer lets TX batches go unlinked; a limited one must not. */
	CHECK_EQ(tap_of(H.d.n.be)->never_full, !H.o.sndbuf,
		 "the tap's never_full (send buffer unlimited)");
	if (!H.o.sync)	/* io=sync sends one write at a time: nothing to link */
		CHECK_EQ(tap_uring_linked(H.d.n.be), H.o.sndbuf != 0,
			 "the io_uring backend's linked TX batches");
	/* The engine and the optional io_uring features it runs with (MINNOW_URING_DISABLE). */
	if (H.o.engine) {
		const char *want = h_engine_on_this_kernel(H.o.engine);

		CHECK(!strcmp(H.d.n.be->engine, want), "engine '%s', want '%s'", H.d.n.be->engine,
		      want);
	}
	h_wait_link(H.o.tapa);
	if (H.o.guest_uso && !(H.d.offered & F(GUEST_USO4)))
		h_skip("the tap cannot hand up UDP super-frames (TUN_F_USO4/6 need Linux 6.2)");
	CHECK((H.d.features & h_want()) == h_want(), "features 0x%llx lack some of 0x%llx",
	      (unsigned long long)H.d.features, (unsigned long long)h_want());
	/* The tap delivers only what the guest negotiated (DESIGN §5: TUNSETOFFLOAD). */
	CHECK_EQ(H.d.n.be->offloads, h_tun_offloads(), "the tap's TUNSETOFFLOAD flags");
	if (!H.o.rxbuf)
		H.o.rxbuf =
			H.o.mrg ? (gso ? 4096 : 600) : (gso ? VNET_HDR_LEN + VNET_MAX_FRAME : 1530);
	if (!H.o.rxcount)
		H.o.rxcount = H.o.mrg ? 200 : 128;
}

void h_dev_close(void)
{
	if (H.dev_open)
		netdrv_close(&H.d);
	H.dev_open = false;
}

void h_rx_refill(void)
{
	bool posted = false;

	while (H.rx_posted < H.o.rxcount) {
		CHECK(netdrv_rx_post(&H.d, H.o.rxbuf, H.o.rxpiece,
				     NETDRV_NO_KICK | (H.o.rxindirect ? NETDRV_INDIRECT : 0)) >= 0,
		      "cannot post RX buffer %u", H.rx_posted);
		H.rx_posted++;
		posted = true;
	}
	if (posted)
		netdrv_kick(&H.d, VNET_RXQ);
}

/* Takes one RX used entry into r->frame (after what is there); returns its used length. */
static uint32_t rx_take(struct h_rx *r, uint32_t *have, int timeout_ms, bool *ok)
{
	static uint8_t buf[NETDRV_SLOT];
	struct netdrv_used u;
	uint32_t cap;

	*ok = netdrv_wait_used(&H.d, VNET_RXQ, 1, timeout_ms);
	if (!*ok)
		return 0;
	CHECK(netdrv_take_used(&H.d, VNET_RXQ, &u),
	      "RX used entry names no chain the driver had out "
	      "(bad_used %u)",
	      H.d.bad_used);
	H.rx_posted--;
	cap = H.d.chain[VNET_RXQ][u.id].len;
	CHECK(u.len <= cap, "RX used length %u beyond the %u-byte buffer %u", u.len, cap, u.id);
	CHECK(u.len > 0, "RX buffer %u given back empty (a drop)", u.id);
	CHECK(*have + u.len <= VNET_HDR_LEN + sizeof(r->frame), "RX frame too long (%u + %u)",
	      *have, u.len);
	netdrv_buf_read(&H.d, VNET_RXQ, u.id, buf, u.len);
	if (*have < VNET_HDR_LEN) {
		/* The header: all in the first buffer, as every buffer posted here holds 12. */
		CHECK(u.len >= VNET_HDR_LEN, "first RX buffer shorter than the header: %u", u.len);
		memcpy(&r->hdr, buf, VNET_HDR_LEN);
		memcpy(r->frame, buf + VNET_HDR_LEN, u.len - VNET_HDR_LEN);
	} else {
		memcpy(r->frame + *have - VNET_HDR_LEN, buf, u.len);
	}
	*have += u.len;
	return u.len == cap ? 1 : 0; /* 1: the buffer was filled */
}

bool h_rx_next(struct h_rx *r, int timeout_ms)
{
	uint32_t have = 0;
	bool ok;
	uint32_t full = rx_take(r, &have, timeout_ms, &ok);

	if (!ok)
		return false;
	r->nbufs = 1;
	if (!H.o.mrg) {
		CHECK_EQ(r->hdr.num_buffers, 1, "num_buffers without MRG_RXBUF");
	} else {
		CHECK(r->hdr.num_buffers >= 1, "num_buffers 0 with MRG_RXBUF");
		/* §5.1.6.4.2: one frame's buffers are consecutive used entries, all but the last
		 * full. */
		while (r->nbufs < r->hdr.num_buffers) {
			CHECK(full, "buffer %u of %u of a merged frame not filled", r->nbufs,
			      r->hdr.num_buffers);
			full = rx_take(r, &have, H_WAIT_MS, &ok);
			CHECK(ok, "merged frame: only %u of num_buffers %u arrived", r->nbufs,
			      r->hdr.num_buffers);
			r->nbufs++;
		}
	}
	r->len = have - VNET_HDR_LEN;
	return true;
}

void h_rx_expect_quiet(void)
{
	usleep(H_QUIET_MS * 1000);
	CHECK_EQ(netdrv_used_pending(&H.d, VNET_RXQ), 0, "RX used entries nobody sent");
}

/*
 * A tap has carrier once a file is attached, but until the kernel's linkwatch
 * work has run (a workqueue: late under load) its transmit queue still has
 * the noop qdisc, which drops everything sent through it. linkwatch sets the
 * RFC 2863 operstate, then activates the qdiscs in the same call: wait for
 * "up", then a little.
 */
void h_wait_link(const char *ifname)
{
	char path[128], state[32] = "";
	int64_t end = h_now_ms() + 10000;

	snprintf(path, sizeof(path), "/sys/class/net/%s/operstate", ifname);
	for (;;) {
		FILE *f = fopen(path, "re");

		CHECK(f, "open %s: %s", path, strerror(errno));
		if (!fgets(state, sizeof(state), f))
			state[0] = 0;
		fclose(f);
		if (!strcmp(state, "up\n"))
			break;
		CHECK(h_now_ms() < end, "%s: operstate '%.*s' 10 s after a file attached", ifname,
		      (int)strcspn(state, "\n"), state);
		usleep(2000);
	}
	usleep(20000);
}

/* ---- tapB: the peer's side, no vnet header ---- */

static void tapb_open(void)
{
	struct ifreq ifr = {.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_NAPI};

	H.tapb_fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (H.tapb_fd < 0)
		h_fail("open /dev/net/tun: %s", strerror(errno));
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", H.o.tapb);
	if (ioctl(H.tapb_fd, TUNSETIFF, &ifr) < 0)
		h_fail("TUNSETIFF %s (IFF_TAP | IFF_NO_PI | IFF_NAPI): %s", H.o.tapb,
		       strerror(errno));
	h_wait_link(H.o.tapb);
}

void h_tapb_send(const void *frame, size_t len)
{
	ssize_t n = write(H.tapb_fd, frame, len);

	CHECK(n == (ssize_t)len, "write of %zu bytes into %s: %zd (%s)", len, H.o.tapb, n,
	      n < 0 ? strerror(errno) : "short");
}

long h_tapb_recv(uint8_t *buf, size_t max, int timeout_ms)
{
	int64_t end = h_now_ms() + timeout_ms;

	for (;;) {
		struct pollfd p = {.fd = H.tapb_fd, .events = POLLIN};
		int64_t left = end - h_now_ms();
		ssize_t n;

		if (left < 0)
			left = 0;
		if (poll(&p, 1, (int)left) <= 0)
			return -1;
		n = read(H.tapb_fd, buf, max);
		if (n < 0 && errno == EAGAIN)
			continue;
		CHECK(n >= 0, "read from %s: %s", H.o.tapb, strerror(errno));
		if (n >= NETPKT_ETH_LEN &&
		    (h_get16(buf + 12) == 0x0800 || h_get16(buf + 12) == 0x86dd))
			return n;
	}
}

unsigned int h_tapb_drain(uint16_t ethertype, int quiet_ms)
{
	static uint8_t buf[H_FRAME_MAX];
	unsigned int n = 0;
	long len;

	while ((len = h_tapb_recv(buf, sizeof(buf), quiet_ms)) >= 0) {
		uint8_t proto =
			ethertype == 0x86dd ? buf[NETPKT_ETH_LEN + 6] : buf[NETPKT_ETH_LEN + 9];

		n += h_get16(buf + 12) == ethertype && (proto == 6 || proto == 17);
	}
	return n;
}

/* ---- the namespace's counters ---- */

uint64_t h_ifstat(const char *ifname, const char *name)
{
	char path[128];
	unsigned long long v = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/class/net/%s/statistics/%s", ifname, name);
	f = fopen(path, "re");
	CHECK(f, "open %s: %s", path, strerror(errno));
	CHECK(fscanf(f, "%llu", &v) == 1, "read %s", path);
	fclose(f);
	return v;
}

uint64_t h_snmp(const char *group, const char *name)
{
	char names[4096], values[4096], tag[32];
	FILE *f = fopen("/proc/net/snmp", "re");
	unsigned long long v = 0;
	bool found = false;

	CHECK(f, "open /proc/net/snmp: %s", strerror(errno));
	snprintf(tag, sizeof(tag), "%s:", group);
	while (!found && fgets(names, sizeof(names), f) && fgets(values, sizeof(values), f)) {
		char *sn, *sv, *n = strtok_r(names, " \n", &sn),
			       *val = strtok_r(values, " \n", &sv);

		if (!n || strcmp(n, tag))
			continue;
		while ((n = strtok_r(NULL, " \n", &sn)) && (val = strtok_r(NULL, " \n", &sv))) {
			if (!strcmp(n, name)) {
				v = strtoull(val, NULL, 10);
				found = true;
				break;
			}
		}
	}
	fclose(f);
	CHECK(found, "/proc/net/snmp has no %s %s", group, name);
	return v;
}

/* ---- frames ---- */

struct netpkt_flow h_flow_tx(void)
{
	struct netpkt_flow f = {.src_ip = H_GUEST_IP,
				.dst_ip = H_PEER_IP,
				.sport = H_GUEST_PORT,
				.dport = H_PEER_PORT};

	memcpy(f.src_mac, H.guest_mac, 6);
	memcpy(f.dst_mac, H.tapa_mac, 6);
	return f;
}

struct netpkt_flow h_flow_rx(void)
{
	struct netpkt_flow f = {.src_ip = H_PEER_IP,
				.dst_ip = H_GUEST_IP,
				.sport = H_PEER_PORT,
				.dport = H_GUEST_PORT};

	memcpy(f.src_mac, H.peer_mac, 6);
	memcpy(f.dst_mac, H.tapb_mac, 6);
	return f;
}

void h_forwarded(uint8_t *frame, size_t len, const uint8_t *src_mac, const uint8_t *dst_mac)
{
	uint8_t *ip = frame + NETPKT_ETH_LEN;

	memcpy(frame, dst_mac, 6);
	memcpy(frame + 6, src_mac, 6);
	if (h_get16(frame + 12) == 0x86dd) {
		ip[7]--; /* hop limit; IPv6 has no header checksum */
		return;
	}
	if (len < NETPKT_L4_AT)
		return;
	ip[8]--;
	h_put16(ip + 10, 0);
	h_put16(ip + 10, (uint16_t)~netpkt_fold(netpkt_sum(ip, (ip[0] & 15) * 4u, 0)));
}

static void if_mac(const char *ifname, uint8_t *mac)
{
	struct ifreq ifr = {0};
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", ifname);
	if (s < 0 || ioctl(s, SIOCGIFHWADDR, &ifr) < 0)
		h_fail("SIOCGIFHWADDR %s: %s", ifname, strerror(errno));
	memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	close(s);
}

/* ---- main ---- */

static const struct {
	const char *name;
	int (*run)(void);
} cases[] = {
	{"tx-csum", h_case_tx_csum},
	{"tx-tso4", h_case_tx_tso4},
	{"tx-tso6", h_case_tx_tso6},
	{"tx-uso", h_case_tx_uso},
	{"tx-soft-equal4", h_case_tx_soft_equal4},
	{"tx-soft-equal6", h_case_tx_soft_equal6},
	{"tx-link-down", h_case_tx_link_down},
	{"rx-uso", h_case_rx_uso},
	{"renegotiate", h_case_renegotiate},
	{"rx", h_case_rx},
	{"rx-eagain", h_case_rx_eagain},
	{"tcp-stream", h_case_tcp_stream},
	{"reset", h_case_reset},
	{"tap-gone", h_case_tap_gone},
	{"mq", h_case_mq},
	{"mq-single-tap", h_case_mq_single_tap},
};

static void usage(void)
{
	fprintf(stderr,
		"usage: harness CASE [--tapa A] [--tapb B] [--sync] [--mrg] "
		"[--no-guest-csum] [--guest-tso] [--guest-uso] [--rxbuf BYTES] [--rxcount N] "
		"[--rxpiece BYTES] [--rxindirect] [--soft] [--sndbuf BYTES] [--engine NAME] "
		"[--batch-us N]\ncases:");
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		fprintf(stderr, " %s", cases[i].name);
	fprintf(stderr, "\n");
	exit(2);
}

static void parse(int argc, char **argv)
{
	H.o = (struct h_opts){.tapa = "tapA", .tapb = "tapB", .guest_csum = true,
			   .batch_us = -1};
	for (int i = 2; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--tapa") && i + 1 < argc)
			H.o.tapa = argv[++i];
		else if (!strcmp(a, "--tapb") && i + 1 < argc)
			H.o.tapb = argv[++i];
		else if (!strcmp(a, "--sync"))
			H.o.sync = true;
		else if (!strcmp(a, "--mrg"))
			H.o.mrg = true;
		else if (!strcmp(a, "--no-guest-csum"))
			H.o.guest_csum = false;
		else if (!strcmp(a, "--guest-tso"))
			H.o.guest_tso = true;
		else if (!strcmp(a, "--guest-uso"))
			H.o.guest_uso = true;
		else if (!strcmp(a, "--rxbuf") && i + 1 < argc)
			H.o.rxbuf = (uint32_t)strtoul(argv[++i], NULL, 0);
		else if (!strcmp(a, "--rxcount") && i + 1 < argc)
			H.o.rxcount = (unsigned int)strtoul(argv[++i], NULL, 0);
		else if (!strcmp(a, "--rxpiece") && i + 1 < argc)
			H.o.rxpiece = (uint32_t)strtoul(argv[++i], NULL, 0);
		else if (!strcmp(a, "--rxindirect"))
			H.o.rxindirect = true;
		else if (!strcmp(a, "--soft"))
			H.o.soft = true;
		else if (!strcmp(a, "--engine") && i + 1 < argc)
			H.o.engine = argv[++i];
		else if (!strcmp(a, "--batch-us") && i + 1 < argc)
			H.o.batch_us = atoi(argv[++i]);
		else if (!strcmp(a, "--sndbuf") && i + 1 < argc)
			H.o.sndbuf = (int)strtol(argv[++i], NULL, 0);
		else
			usage();
	}
}

int main(int argc, char **argv)
{
	static const uint8_t guest[6] = {0x02, 0, 0, 0, 0, 0x02},
			     peer[6] = {0x02, 0, 0, 0, 0, 0x01};
	int64_t t0 = h_now_ms();
	char sandbox_err[160];
	int ret = -1;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2)
		usage();
	case_name = argv[1];
	parse(argc, argv);
	log_threshold = LOG_WARN; /* a warning from the device is worth seeing here */
	/* The device's threads run in their seccomp sandbox, as in minnow; the harness does not. */
	if (sandbox_init(SANDBOX_ON, sandbox_err, sizeof(sandbox_err))) {
		fprintf(stderr, "harness: seccomp: %s\n", sandbox_err);
		return 1;
	}
	memcpy(H.guest_mac, guest, 6);
	memcpy(H.peer_mac, peer, 6);
	if_mac(H.o.tapa, H.tapa_mac);
	if_mac(H.o.tapb, H.tapb_mac);
	tapb_open();
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		if (!strcmp(cases[i].name, case_name))
			ret = cases[i].run();
	if (ret < 0)
		usage();
	h_dev_close();
	close(H.tapb_fd);
	printf("ok: %s (io=%s%s%s%s%s%s): %lu checks in %lld ms\n", case_name,
	       H.o.sync ? "sync" : "uring", H.o.soft ? ", offload=soft" : "", H.o.mrg ? ", mrg_rxbuf" : "",
	       H.o.guest_csum ? ", guest_csum" : "", H.o.guest_tso ? ", guest_tso" : "",
	       H.o.guest_uso ? ", guest_uso" : "", H.checks, (long long)(h_now_ms() - t0));
	return ret;
}
