// SPDX-License-Identifier: MIT
// Reset with reads in flight on a real tap (DESIGN §6: "on reset, cancel and drain in-flight
// operations before the device acknowledges"): many cycles of bring-up, RX buffers posted (so
// reads sit in the kernel), sometimes a frame arriving, then status 0. Nothing may be written
// into the rings after the reset is acknowledged, no frame may arrive twice, fds and threads
// must come back to where they were, and the device must still work afterwards. And the tap
// deleted under a running device: no crash, no spinning I/O thread.
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "tests/net/harness.h"

#define RESET_CYCLES	50
#define RESET_FINAL_SEQ 999

static uint8_t frame[H_FRAME_MAX];
static struct h_rx rx;
static bool seen[RESET_FINAL_SEQ + 1];

static void inject(uint32_t seq)
{
	struct netpkt_flow fl = h_flow_rx();
	uint8_t data[64];
	uint32_t len;

	netpkt_pattern(data, sizeof(data), seq);
	h_put32(data, seq);
	len = (uint32_t)netpkt_udp4(frame, sizeof(frame), &fl, data, sizeof(data), false);
	h_tapb_send(frame, len);
}

/* Takes what the device completed; each frame must be one we sent, seen once. */
static unsigned int collect(int timeout_ms)
{
	unsigned int n = 0;

	while (h_rx_next(&rx, timeout_ms)) {
		uint32_t seq = h_get32(rx.frame + NETPKT_UDP_DATA);

		CHECK_EQ(rx.len, NETPKT_UDP_DATA + 64, "frame length");
		CHECK(seq <= RESET_FINAL_SEQ && !seen[seq], "frame %u: %s", seq,
		      seq <= RESET_FINAL_SEQ ? "a duplicate" : "never sent");
		seen[seq] = true;
		n++;
		timeout_ms = 0;
	}
	return n;
}

static void up(uint64_t features)
{
	CHECK(netdrv_up(&H.d, features) == 0, "bring-up again: %s", H.d.err);
	H.rx_posted = 0;
	h_rx_refill();
	/* Every buffer taken: the reads are in the kernel (or, io=sync, queued). */
	CHECK(netdrv_wait_consumed(&H.d, VNET_RXQ, H_WAIT_MS),
	      "the device did not take the buffers");
}

/* fds and threads settle (io_uring's workers leave asynchronously); returns when equal or late. */
static void settle(unsigned int fds, unsigned int threads, unsigned int *nf, unsigned int *nt)
{
	int64_t end = h_now_ms() + 2000;

	do {
		*nf = netdrv_count_fds();
		*nt = netdrv_count_threads();
		if (*nf == fds && *nt == threads)
			return;
		usleep(10000);
	} while (h_now_ms() < end);
}

int h_case_reset(void)
{
	unsigned int fds0, threads0, fds, threads, injected = 0, delivered = 0, late;
	uint64_t features;
	int64_t t0;

	/* Fewer buffers than the device keeps reads in flight for: all of them become reads. */
	if (!H.o.rxcount)
		H.o.rxcount = 32;
	h_dev_open(0);
	features = H.d.features;
	up(features);
	netdrv_reset(&H.d);
	usleep(100000); /* io_uring's workers of that first activation leave */
	fds0 = netdrv_count_fds();
	threads0 = netdrv_count_threads();
	t0 = h_now_ms();
	for (unsigned int i = 1; i <= RESET_CYCLES; i++) {
		uint16_t used;

		up(features);
		if (i % 3 == 0)
			inject(injected++); /* lands in a read in flight, or waits in the tap */
		if (i % 5 == 0)
			usleep(2000);
		netdrv_reset(&H.d);
		CHECK_EQ(netdrv_status(&H.d), 0, "status after reset");
		used = ring_used_idx(&H.d.q[VNET_RXQ]);
		delivered += collect(0);
		if (i % 10 == 0) {
			/* Acknowledged means done: nothing lands in the ring afterwards. */
			usleep(20000);
			CHECK_EQ(ring_used_idx(&H.d.q[VNET_RXQ]), used, "used.idx after the reset");
		}
	}
	settle(fds0, threads0, &fds, &threads);
	CHECK_EQ(fds, fds0, "open fds after the reset cycles");
	CHECK_EQ(threads, threads0, "threads after the reset cycles");
	h_note("%u reset cycles with reads in flight in %lld ms: fds %u -> %u, threads %u -> %u",
	       RESET_CYCLES, (long long)(h_now_ms() - t0), fds0, fds, threads0, threads);
	/* Still a working device: what waited in the tap, then a new frame, each once. */
	up(features);
	inject(RESET_FINAL_SEQ);
	late = collect(H_WAIT_MS);
	CHECK(seen[RESET_FINAL_SEQ], "the frame sent after the cycles never arrived");
	h_rx_expect_quiet();
	delivered += late - 1;
	CHECK(delivered <= injected, "%u frames delivered of %u sent", delivered, injected);
	netdrv_stop(&H.d);
	CHECK_EQ(H.d.n.stats.rx_dropped, 0, "device rx_dropped");
	CHECK_EQ(H.d.bad_used, 0, "used entries naming no chain");
	h_note("frames sent during the cycles: %u; delivered once each: %u (%u after the last "
	       "reset); lost to resets: %u",
	       injected, delivered, late - 1, injected - delivered);
	return 0;
}

/* ---- the tap vanishes under a running device (a host error, DESIGN §5/§6) ---- */

static long cpu_ms(void)
{
	struct rusage r;

	getrusage(RUSAGE_SELF, &r);
	return (r.ru_utime.tv_sec + r.ru_stime.tv_sec) * 1000L +
	       (r.ru_utime.tv_usec + r.ru_stime.tv_usec) / 1000L;
}

/*
 * `ip link del tapA` while RX reads wait in it: reads fail from then on
 * (EBADFD). The device must not take the process down, nor spin: with the
 * guest idle, the process's CPU time over a second stays near zero. The
 * buffers it gives back are counted drops, it stops taking more and asks
 * for a reset (NEEDS_RESET, a host problem the guest cannot fix by
 * itself); a reset still works.
 */
int h_case_tap_gone(void)
{
	struct netdrv_used u;
	unsigned int back = 0;
	long cpu;

	if (!H.o.rxcount)
		H.o.rxcount = 32;	/* all of them become reads */
	h_dev_open(0);
	h_rx_refill();
	CHECK(netdrv_wait_consumed(&H.d, VNET_RXQ, H_WAIT_MS), "the device did not take the buffers");
	CHECK(system("ip link del dev tapA") == 0, "ip link del dev tapA failed");
	/* What the device does with the buffers it held is its choice: back as drops, or kept. */
	usleep(200000);
	while (netdrv_take_used(&H.d, VNET_RXQ, &u)) {
		CHECK_EQ(u.len, 0, "used length of an RX buffer after the tap vanished");
		back++;
	}
	cpu = cpu_ms();
	usleep(1000000);
	cpu = cpu_ms() - cpu;
	h_note("tap deleted: %u of %u RX buffers came back as drops; status 0x%x; %ld ms of CPU in "
	       "the idle second after", back, H.rx_posted, netdrv_status(&H.d), cpu);
	CHECK(cpu < 200, "the process used %ld ms of CPU in one second with the guest idle and "
	      "the tap gone: an I/O loop spins on the dead fd", cpu);
	CHECK(netdrv_status(&H.d) & VIRTIO_CONFIG_S_NEEDS_RESET,
	      "status 0x%x after the tap vanished: NEEDS_RESET expected", netdrv_status(&H.d));
	CHECK(back >= 1, "no RX buffer came back after the tap vanished");
	netdrv_reset(&H.d);
	CHECK_EQ(netdrv_status(&H.d), 0, "status after reset");
	netdrv_stop(&H.d);
	CHECK_EQ(H.d.n.stats.rx_dropped, back, "device rx_dropped");
	CHECK_EQ(H.d.n.stats.drops[VNET_DROP_RX_TAP], back, "device drops rx_tap_error");
	return 0;
}
