// SPDX-License-Identifier: MIT
// Runs one command and writes what it cost as JSON: wall time from fork to reaping, user and
// system CPU seconds of the whole process (all its threads, and children it waited for), and
// its peak RSS. A signal to us, or --timeout, is passed on to the command (TERM, then KILL), so
// a benchmark's VMM never outlives the script. Exits with the command's exit status.
#include "bench.h"

#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>

static volatile sig_atomic_t forwarded;
static pid_t child;

static void on_signal(int sig)
{
	forwarded = sig;
	if (child > 0)
		kill(child, sig == SIGALRM ? SIGTERM : sig);
}

int main(int argc, char **argv)
{
	struct sigaction sa = {.sa_handler = on_signal};
	unsigned long timeout = 0;
	struct rusage ru;
	const char *out;
	uint64_t t0, t1;
	int status, argi = 2;
	FILE *f;

	if (argc > 3 && strcmp(argv[2], "--timeout") == 0) {
		timeout = bench_parse_ulong("--timeout", argv[3], 3600);
		argi = 4;
	}
	if (argc <= argi || strcmp(argv[argi], "--") != 0 || argc == argi + 1)
		bench_die("usage: cputime OUT.json [--timeout SECS] -- COMMAND [ARG...]");
	out = argv[1];
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGALRM, &sa, NULL);
	t0 = bench_now_ns();
	child = fork();
	if (child < 0)
		bench_die("fork: %s", strerror(errno));
	if (child == 0) {
		execvp(argv[argi + 1], argv + argi + 1);
		fprintf(stderr, "cputime: cannot run %s: %s\n", argv[argi + 1], strerror(errno));
		_exit(127);
	}
	if (timeout)
		alarm((unsigned int)timeout);
	for (int waits = 0;;) {
		/* After a timeout's TERM: 2 s (200 polls of 10 ms) to go, then KILL. */
		pid_t r = wait4(child, &status, forwarded == SIGALRM ? WNOHANG : 0, &ru);

		if (r == child)
			break;
		if (r < 0 && errno != EINTR)
			bench_die("wait4: %s", strerror(errno));
		if (forwarded == SIGALRM && r == 0 && ++waits >= 200)
			kill(child, SIGKILL);
		else if (forwarded == SIGALRM && r == 0)
			usleep(10000);
	}
	t1 = bench_now_ns();
	f = fopen(out, "w");
	if (!f)
		bench_die("cannot write %s: %s", out, strerror(errno));
	fprintf(f,
		"{\"wall_s\":%.6f,\"user_s\":%.6f,\"sys_s\":%.6f,\"maxrss_kib\":%ld,\"exit\":%d,"
		"\"signal\":%d}\n",
		(double)(t1 - t0) / 1e9, (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6,
		(double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6, ru.ru_maxrss,
		WIFEXITED(status) ? WEXITSTATUS(status) : -1,
		WIFSIGNALED(status) ? WTERMSIG(status) : 0);
	fclose(f);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}
