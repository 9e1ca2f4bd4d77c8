// SPDX-License-Identifier: MIT
// A GDB remote protocol server (--gdb): the listening socket, the connection loop and vCPU parking.
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "base/sandbox.h"
#include "gdb/gdbcmd.h"
#include "gdb/gdbstub.h"
#include "gdb/gdbstub_int.h"
#include "gdb/gdbtrap.h"

#define GDBSTUB_SEND_TIMEOUT_S 5	/* a gdb that stops reading cannot hang teardown */

int gdbstub_check_addr(const char *where)
{
	struct sockaddr_un un;
	size_t n = strspn(where, "0123456789");

	if (!*where)
		return -EINVAL;
	if (!where[n]) {
		char *end;
		unsigned long port = strtoul(where, &end, 10);

		return n <= 5 && port >= 1 && port <= 65535 ? 0 : -EINVAL;
	}
	return strlen(where) < sizeof(un.sun_path) ? 0 : -EINVAL;
}

static int gdbstub_listen(struct gdbstub *g, const char *where)
{
	union {
		struct sockaddr_in in;
		struct sockaddr_un un;
	} a = { 0 };
	socklen_t alen;
	int one = 1, fd;

	if (!where[strspn(where, "0123456789")]) {
		a.in = (struct sockaddr_in){ .sin_family = AF_INET, .sin_port = htons(atoi(where)),
					     .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
		alen = sizeof(a.in);
	} else {
		size_t n = strlen(where);

		if (n >= sizeof(a.un.sun_path))
			return -ENAMETOOLONG;
		a.un.sun_family = AF_UNIX;
		memcpy(a.un.sun_path, where, n + 1);
		alen = sizeof(a.un);
		g->unix_path = strdup(where);
		if (!g->unix_path)
			return -ENOMEM;
	}
	fd = socket(alen == sizeof(a.in) ? AF_INET : AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (alen == sizeof(a.in))
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&a, alen) || listen(fd, 1)) {
		int ret = -errno;

		close(fd);
		free(g->unix_path);
		g->unix_path = NULL;
		return ret;
	}
	g->listen_fd = fd;
	return 0;
}

/* --- vCPU side --------------------------------------------------------------------------- */

void gdbstub_vcpu_gate(struct gdbstub *g, unsigned int vcpu)
{
	pthread_mutex_lock(&g->lock);
	if (g->hold[vcpu] && !g->quitting) {
		g->parked++;
		pthread_cond_broadcast(&g->gdb_cond);
		while (g->hold[vcpu] && !g->quitting)
			pthread_cond_wait(&g->vcpu_cond, &g->lock);
		g->parked--;
	}
	pthread_mutex_unlock(&g->lock);
}

/* Holds every vCPU and kicks those in KVM_RUN out of it; except skips a kick to itself. */
static void gdbstub_hold_all(struct gdbstub *g, unsigned int except)
{
	pthread_mutex_lock(&g->lock);
	for (unsigned int i = 0; i < g->t.nr_vcpus; i++)
		g->hold[i] = true;
	pthread_mutex_unlock(&g->lock);
	/* hold[] is set before the kick, so a kicked vCPU parks at its gate. */
	for (unsigned int i = 0; i < g->t.nr_vcpus; i++)
		if (i != except)
			g->t.kick(g->t.opaque, i);
}

/* A vCPU stopped for gdb with exception (1 #DB, 3 #BP) and DR6: report it, hold everyone. */
static void gdbstub_vcpu_stop(struct gdbstub *g, unsigned int vcpu, unsigned int exception,
			      uint64_t dr6)
{
	uint64_t one = 1;

	pthread_mutex_lock(&g->lock);
	if (!g->report_set) {
		g->report_set = true;
		g->stop_vcpu = vcpu;
		g->stop_signal = 5;	/* SIGTRAP */
		g->stop_exception = exception;
		g->stop_dr6 = dr6;
	}
	pthread_mutex_unlock(&g->lock);
	gdbstub_hold_all(g, vcpu);
	if (write(g->event_efd, &one, sizeof(one)) < 0)
		log_err("gdb: cannot wake the server thread: %s", strerror(errno));
}

void gdbstub_vcpu_debug(struct gdbstub *g, unsigned int vcpu, const struct kvm_debug_exit_arch *d)
{
	log_dbg("gdb: vCPU %u: debug exit, exception %u, pc 0x%llx, dr6 0x%llx", vcpu,
		d->exception, (unsigned long long)d->pc, (unsigned long long)d->dr6);
	gdbstub_vcpu_stop(g, vcpu, d->exception, d->dr6);
}

bool gdbstub_vcpu_int3(struct gdbstub *g, unsigned int vcpu)
{
	struct kvm_regs r;

	/*
	 * The breakpoint table changes only while every vCPU is parked, so this
	 * read races with no write.
	 */
	if (g->sw_bp || GDBSTUB_IOCTL(g->t.vcpu_fds[vcpu], KVM_GET_REGS, &r) ||
	    !gdbtrap_is_int3(g, r.rip))
		return false;
	gdbstub_vcpu_stop(g, vcpu, 3, 0);
	return true;
}

void gdbstub_release(struct gdbstub *g)
{
	uint64_t one = 1;

	pthread_mutex_lock(&g->lock);
	g->quitting = true;
	pthread_cond_broadcast(&g->vcpu_cond);
	pthread_cond_broadcast(&g->gdb_cond);
	pthread_mutex_unlock(&g->lock);
	if (write(g->wake_efd, &one, sizeof(one)) < 0)
		log_err("gdb: cannot wake the server thread: %s", strerror(errno));
	/* The vCPUs are destroyed next: wait until the server is done with them. */
	pthread_mutex_lock(&g->lock);
	while (g->thread_started && !g->server_done)
		pthread_cond_wait(&g->gdb_cond, &g->lock);
	pthread_mutex_unlock(&g->lock);
}

/* --- server side ------------------------------------------------------------------------- */

/* Waits until every vCPU is parked; false when the machine stops instead. */
static bool gdbstub_wait_parked(struct gdbstub *g)
{
	bool ok;

	pthread_mutex_lock(&g->lock);
	while (g->parked < g->t.nr_vcpus && !g->quitting)
		pthread_cond_wait(&g->gdb_cond, &g->lock);
	ok = !g->quitting;
	pthread_mutex_unlock(&g->lock);
	return ok;
}

/* Stops the machine for gdb with signal sig unless a vCPU already reported a stop. */
static bool gdbstub_stop_all(struct gdbstub *g, int sig)
{
	pthread_mutex_lock(&g->lock);
	if (!g->report_set) {
		g->report_set = true;
		g->stop_vcpu = g->g_vcpu;
		g->stop_signal = sig;
		g->stop_exception = ~0u;
	}
	pthread_mutex_unlock(&g->lock);
	gdbstub_hold_all(g, g->t.nr_vcpus);
	if (!gdbstub_wait_parked(g))
		return false;
	g->g_vcpu = g->stop_vcpu;	/* gdb looks at the thread that stopped */
	if (!gdbtrap_unwind(g)) {
		/* An internal step came first: the stop is ours (Ctrl-C, attach) all the same. */
		g->stop_signal = sig;
		g->stop_exception = ~0u;
	}
	return true;
}

/* Sets each vCPU's debug controls, then lets them run: all, or only step (step < nr_vcpus). */
static void gdbstub_resume(struct gdbstub *g, unsigned int step, bool attached)
{
	uint64_t drain;

	g->run_step = step;
	for (unsigned int i = 0; i < g->t.nr_vcpus; i++) {
		struct kvm_guest_debug dbg = { 0 };
		int fd = g->t.vcpu_fds[i];

		if (attached)
			dbg.control = KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_USE_SW_BP;
		if (attached && gdbcmd_debugregs(g, dbg.arch.debugreg))
			dbg.control |= KVM_GUESTDBG_USE_HW_BP;
		if (attached)
			gdbtrap_arm(g, i, i == step, &dbg);
		if (i == step)
			dbg.control |= KVM_GUESTDBG_SINGLESTEP | KVM_GUESTDBG_BLOCKIRQ;
		/* BLOCKIRQ (no interrupt handler inside a step) is newer than SINGLESTEP. */
		if (!GDBSTUB_IOCTL(fd, KVM_SET_GUEST_DEBUG, &dbg))
			continue;
		dbg.control &= ~KVM_GUESTDBG_BLOCKIRQ;
		if (GDBSTUB_IOCTL(fd, KVM_SET_GUEST_DEBUG, &dbg))
			log_ratelimited(&g->rl, LOG_WARN, "gdb: KVM_SET_GUEST_DEBUG failed on "
					"vCPU %u", i);
	}
	/* Every event was written before its vCPU parked: none left is news. */
	while (read(g->event_efd, &drain, sizeof(drain)) > 0)
		;
	pthread_mutex_lock(&g->lock);
	g->report_set = false;
	for (unsigned int i = 0; i < g->t.nr_vcpus; i++)
		g->hold[i] = step < g->t.nr_vcpus && i != step;
	pthread_cond_broadcast(&g->vcpu_cond);
	pthread_mutex_unlock(&g->lock);
}

static int gdbstub_send_raw(struct gdbstub *g, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = send(g->conn_fd, buf, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -EIO;
		buf += n;
		len -= n;
	}
	return 0;
}

/* Frames and sends g->reply; it stays in g->frame for a resend. */
static int gdbstub_send_reply(struct gdbstub *g)
{
	g->frame_len = gdbpkt_frame(g->frame, sizeof(g->frame), g->reply, g->reply_len);
	if (!g->frame_len)
		return -E2BIG;
	return gdbstub_send_raw(g, g->frame, g->frame_len);
}

static void gdbstub_send_text(struct gdbstub *g, const char *text)
{
	g->reply_len = strlen(text);
	memcpy(g->reply, text, g->reply_len);
	if (gdbstub_send_reply(g))
		log_dbg("gdb: cannot send '%s'", text);
}

static bool gdbstub_quitting(struct gdbstub *g)
{
	bool q;

	pthread_mutex_lock(&g->lock);
	q = g->quitting;
	pthread_mutex_unlock(&g->lock);
	return q;
}

/* Waits for a client, or for the machine to stop (false). */
static bool gdbstub_accept(struct gdbstub *g)
{
	struct timeval tv = { .tv_sec = GDBSTUB_SEND_TIMEOUT_S };
	int one = 1;

	for (;;) {
		struct pollfd p[2] = { { .fd = g->listen_fd, .events = POLLIN },
				       { .fd = g->wake_efd, .events = POLLIN } };

		if (poll(p, 2, -1) < 0 && errno != EINTR)
			return false;
		if (p[1].revents)
			return false;
		if (!(p[0].revents & POLLIN))
			continue;
		g->conn_fd = accept4(g->listen_fd, NULL, NULL, SOCK_CLOEXEC);
		if (g->conn_fd < 0)
			continue;
		if (gdbstub_quitting(g)) {
			close(g->conn_fd);
			g->conn_fd = -1;
			return false;
		}
		setsockopt(g->conn_fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		setsockopt(g->conn_fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		gdbpkt_rx_init(&g->rx);
		g->frame_len = 0;
		g->c_vcpu = -1;
		log_info("gdb: attached");
		return true;
	}
}

/*
 * Closes the connection after a last reply. gdb acknowledges it with '+':
 * closing at once would fail that write (EPIPE), so wait up to a second for
 * gdb to close its end.
 */
static void gdbstub_close(struct gdbstub *g)
{
	shutdown(g->conn_fd, SHUT_WR);
	for (int i = 0; i < 10; i++) {
		struct pollfd p = { .fd = g->conn_fd, .events = POLLIN };
		char buf[64];

		if (poll(&p, 1, 100) > 0 && recv(g->conn_fd, buf, sizeof(buf), 0) <= 0)
			break;
	}
	close(g->conn_fd);
	g->conn_fd = -1;
}

/* The end of a session, by 'D' or a closed connection: no breakpoint stays, the guest runs. */
static void gdbstub_detach(struct gdbstub *g)
{
	gdbcmd_remove_all_bps(g);
	gdbstub_resume(g, g->t.nr_vcpus, false);
	/* Nothing of gdbtrap.c's carries over to the next session. */
	g->tf_step = false;
	g->internal_step = 0;
	g->rearm_vcpu = -1;
	gdbstub_close(g);
	log_info("gdb: detached, the guest runs on");
}

/* Acts on a packet that arrived while the machine was stopped; false ends the session. */
static bool gdbstub_packet(struct gdbstub *g, bool *running)
{
	enum gdbcmd_action act = gdbcmd_handle(g, g->rx.buf, g->rx.len);

	switch (act) {
	case GDBCMD_REPLY:
		if (gdbstub_send_reply(g))
			log_dbg("gdb: reply not sent");
		return true;
	case GDBCMD_CONTINUE:
	case GDBCMD_STEP:
		gdbstub_resume(g, act == GDBCMD_STEP ? g->step_vcpu : g->t.nr_vcpus, true);
		*running = true;
		return true;
	case GDBCMD_DETACH:
		gdbstub_send_text(g, "OK");
		gdbstub_detach(g);
		return false;
	case GDBCMD_KILL:
		log_info("gdb: kill requested");
		close(g->conn_fd);
		g->conn_fd = -1;
		g->t.kill(g->t.opaque);
		return false;
	}
	return true;
}

/* Feeds received bytes to the parser; false ends the session. */
static bool gdbstub_input(struct gdbstub *g, const uint8_t *buf, size_t n, bool *running)
{
	for (size_t i = 0; i < n; i++) {
		switch (gdbpkt_rx_feed(&g->rx, buf[i])) {
		case GDBPKT_PACKET:
			if (gdbstub_send_raw(g, "+", 1))
				return false;
			/* While the guest runs gdb may only interrupt it; anything else waits. */
			if (*running)
				log_ratelimited(&g->rl, LOG_WARN, "gdb: packet while running "
						"ignored");
			else if (!gdbstub_packet(g, running))
				return false;
			break;
		case GDBPKT_BAD:
			log_ratelimited(&g->rl, LOG_WARN, "gdb: bad packet (checksum or size)");
			if (gdbstub_send_raw(g, "-", 1))
				return false;
			break;
		case GDBPKT_NAK:
			if (g->frame_len && gdbstub_send_raw(g, g->frame, g->frame_len))
				return false;
			break;
		case GDBPKT_INTERRUPT:
			if (*running) {
				if (!gdbstub_stop_all(g, 2))	/* SIGINT */
					return false;
				*running = false;
				gdbcmd_stop_reply(g);
				if (gdbstub_send_reply(g))
					return false;
			}
			break;
		case GDBPKT_NONE:
		case GDBPKT_ACK:
			break;
		}
	}
	return true;
}

/* One gdb session; returns with the connection closed or the machine stopping. */
static void gdbstub_serve(struct gdbstub *g)
{
	bool running = false;
	uint8_t buf[4096];

	if (!gdbstub_stop_all(g, 5))
		return;
	while (g->conn_fd >= 0) {
		struct pollfd p[3] = { { .fd = g->conn_fd, .events = POLLIN },
				       { .fd = g->wake_efd, .events = POLLIN },
				       { .fd = g->event_efd, .events = POLLIN } };
		ssize_t n;

		if (poll(p, running ? 3 : 2, -1) < 0 && errno != EINTR)
			break;
		if (p[1].revents)
			return;
		if (running && (p[2].revents & POLLIN)) {
			if (!gdbstub_wait_parked(g))
				return;
			if (!gdbtrap_unwind(g)) {
				gdbstub_resume(g, g->run_step, true);
				continue;
			}
			running = false;
			g->g_vcpu = g->stop_vcpu;
			gdbcmd_stop_reply(g);
			if (gdbstub_send_reply(g))
				break;
		}
		if (!(p[0].revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		n = recv(g->conn_fd, buf, sizeof(buf), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0 || !gdbstub_input(g, buf, n, &running))
			break;
	}
	if (g->conn_fd >= 0) {
		if (running) {
			/* Breakpoints come out with every vCPU held. */
			gdbstub_hold_all(g, g->t.nr_vcpus);
			if (!gdbstub_wait_parked(g))
				return;
		}
		gdbstub_detach(g);
	}
}

/* The machine stopped with gdb attached: tell it how ("W" and the exit status). */
static void gdbstub_report_exit(struct gdbstub *g)
{
	char text[8];

	pthread_mutex_lock(&g->lock);
	g->server_done = true;
	pthread_cond_broadcast(&g->gdb_cond);
	while (!g->final)
		pthread_cond_wait(&g->gdb_cond, &g->lock);
	pthread_mutex_unlock(&g->lock);
	if (g->conn_fd < 0)
		return;
	snprintf(text, sizeof(text), "W%02x", g->exit_status & 0xff);
	gdbstub_send_text(g, text);
	gdbstub_close(g);
}

static void *gdbstub_thread(void *arg)
{
	struct gdbstub *g = arg;

	if (sandbox_enter(SANDBOX_GDB)) {
		log_err("gdb: cannot enter the seccomp sandbox; the stub stops");
		return NULL;
	}
	while (gdbstub_accept(g))
		gdbstub_serve(g);
	gdbstub_report_exit(g);
	return NULL;
}

int gdbstub_create(struct gdbstub **out, const struct gdbtarget *t, const char *where)
{
	struct gdbstub *g = calloc(1, sizeof(*g));
	int ret;

	if (!g)
		return -ENOMEM;
	*g = (struct gdbstub){ .t = *t, .listen_fd = -1, .conn_fd = -1,
			       .rl = LOG_RATELIMIT_INIT, .c_vcpu = -1, .rearm_vcpu = -1,
			       /* kvm-pvm hands an int3 to the guest even with USE_SW_BP. */
			       .sw_bp = !t->pvm };
	/* kvm-pvm: DR2 and DR3 catch the guest's #DB and #BP handlers (gdbtrap.c). */
	g->max_hw = g->sw_bp ? GDBSTUB_MAX_HW_BP : GDBTRAP_DR_DB;
	pthread_mutex_init(&g->lock, NULL);
	pthread_cond_init(&g->vcpu_cond, NULL);
	pthread_cond_init(&g->gdb_cond, NULL);
	g->wake_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	g->event_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ret = g->wake_efd < 0 || g->event_efd < 0 ? -errno : 0;
	g->hold = calloc(t->nr_vcpus, sizeof(*g->hold));
	g->fds = calloc(t->nr_vcpus, sizeof(*g->fds));
	if (!ret && (!g->hold || !g->fds))
		ret = -ENOMEM;
	if (ret) {
		log_err("gdb: cannot set up the server: %s", strerror(-ret));
		goto fail;
	}
	memcpy(g->fds, t->vcpu_fds, t->nr_vcpus * sizeof(*g->fds));
	g->t.vcpu_fds = g->fds;
	/* Held from the start: no vCPU runs an instruction before gdb says so. */
	for (unsigned int i = 0; i < g->t.nr_vcpus; i++)
		g->hold[i] = true;
	ret = gdbstub_listen(g, where);
	if (ret) {
		log_err("--gdb: cannot listen on '%s': %s%s", where, strerror(-ret),
			ret != -EADDRINUSE ? "" : where[strspn(where, "0123456789")] ?
			" (a stale socket? remove it)" : " (choose another port)");
		goto fail;
	}
	/* Said at the default log level: the user has to act on it. */
	log_warn("gdb: the guest waits for gdb: target remote %s%s",
		 g->unix_path ? "" : "localhost:", where);
	*out = g;
	return 0;
fail:
	gdbstub_destroy(g, 0);
	return ret;
}

int gdbstub_start(struct gdbstub *g)
{
	int ret = -pthread_create(&g->thread, NULL, gdbstub_thread, g);

	if (ret) {
		log_err("gdb: cannot start the server thread: %s", strerror(-ret));
		return ret;
	}
	g->thread_started = true;
	return 0;
}

void gdbstub_destroy(struct gdbstub *g, int status)
{
	if (!g)
		return;
	if (g->thread_started) {
		gdbstub_release(g);
		pthread_mutex_lock(&g->lock);
		g->exit_status = status;
		g->final = true;
		pthread_cond_broadcast(&g->gdb_cond);
		pthread_mutex_unlock(&g->lock);
		pthread_join(g->thread, NULL);
	}
	if (g->conn_fd >= 0)
		close(g->conn_fd);
	if (g->listen_fd >= 0)
		close(g->listen_fd);
	if (g->unix_path) {
		unlink(g->unix_path);
		free(g->unix_path);
	}
	if (g->wake_efd >= 0)
		close(g->wake_efd);
	if (g->event_efd >= 0)
		close(g->event_efd);
	free(g->hold);
	free(g->fds);
	pthread_cond_destroy(&g->vcpu_cond);
	pthread_cond_destroy(&g->gdb_cond);
	pthread_mutex_destroy(&g->lock);
	free(g);
}
