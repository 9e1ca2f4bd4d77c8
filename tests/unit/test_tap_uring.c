// SPDX-License-Identifier: MIT
// Unit tests for net/tap_uring's optional features: the MINNOW_URING_DISABLE list that makes a
// test take the paths an older kernel takes, and the engine name the metrics report.
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <poll.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net/tap_uring.h"
#include "tests/unit/suites.h"

START_TEST(disable_list)
{
	char err[160] = "";
	unsigned int off = 99;

	ck_assert_int_eq(tap_uring_disable_parse(NULL, &off, err, sizeof(err)), 0);
	ck_assert_uint_eq(off, 0);
	ck_assert_int_eq(tap_uring_disable_parse("", &off, err, sizeof(err)), 0);
	ck_assert_uint_eq(off, 0);
	ck_assert_int_eq(tap_uring_disable_parse("fixed_file", &off, err, sizeof(err)), 0);
	ck_assert_uint_eq(off, TAP_URING_F_FIXED);
	ck_assert_int_eq(tap_uring_disable_parse("ring_fd,defer_taskrun", &off, err, sizeof(err)),
			 0);
	ck_assert_uint_eq(off, TAP_URING_F_RING_FD | TAP_URING_F_DEFER);
	ck_assert_int_eq(tap_uring_disable_parse("batch_wait", &off, err, sizeof(err)), 0);
	ck_assert_uint_eq(off, TAP_URING_F_BATCH);
	ck_assert_int_eq(tap_uring_disable_parse("all", &off, err, sizeof(err)), 0);
	ck_assert_uint_eq(off, TAP_URING_F_ALL);
	ck_assert_str_eq(err, "");
}
END_TEST

START_TEST(disable_unknown)
{
	char err[160] = "";
	unsigned int off = 0;

	ck_assert_int_eq(tap_uring_disable_parse("ring_fd,sqpoll", &off, err, sizeof(err)),
			 -EINVAL);
	ck_assert_str_eq(err, "MINNOW_URING_DISABLE: unknown io_uring feature 'sqpoll' (known: "
			 "all, defer_taskrun, ring_fd, fixed_file, batch_wait)");
	ck_assert_int_eq(tap_uring_disable_parse(",,", &off, err, sizeof(err)), 0);
	ck_assert_uint_eq(off, 0);
}
END_TEST

START_TEST(engine_names)
{
	char name[64];

	tap_uring_engine_name(0, name, sizeof(name));
	ck_assert_str_eq(name, "io_uring");
	tap_uring_engine_name(TAP_URING_F_ALL, name, sizeof(name));
	ck_assert_str_eq(name, "io_uring+defer_taskrun+ring_fd+fixed_file+batch_wait");
	tap_uring_engine_name(TAP_URING_F_FIXED, name, sizeof(name));
	ck_assert_str_eq(name, "io_uring+fixed_file");
	tap_uring_engine_name(TAP_URING_F_ALL, name, 12);	/* cut, still a string */
	ck_assert_str_eq(name, "io_uring+de");
}
END_TEST

/* One SQE on ring, its completion's result. */
static int submit_one(struct io_uring *ring, void (*prep)(struct io_uring_sqe *, int), int arg,
		      uint8_t flags)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
	struct io_uring_cqe *cqe;
	int res;

	ck_assert_ptr_nonnull(sqe);
	prep(sqe, arg);
	sqe->flags |= flags;
	io_uring_sqe_set_data64(sqe, 0x5eed);
	ck_assert_int_eq(io_uring_submit_and_wait(ring, 1), 1);
	ck_assert_int_eq(io_uring_peek_cqe(ring, &cqe), 0);
	ck_assert_uint_eq(cqe->user_data, 0x5eed);
	res = cqe->res;
	io_uring_cqe_seen(ring, cqe);
	return res;
}

static void prep_openat(struct io_uring_sqe *sqe, int dfd)
{
	io_uring_prep_openat(sqe, dfd, "/etc/passwd", O_RDONLY, 0);
}

static void prep_nop(struct io_uring_sqe *sqe, int unused)
{
	(void)unused;
	io_uring_prep_nop(sqe);
}

static void prep_poll(struct io_uring_sqe *sqe, int fd)
{
	io_uring_prep_poll_add(sqe, fd, POLLOUT);
}

static char readbuf[64];

static void prep_read(struct io_uring_sqe *sqe, int fd)
{
	io_uring_prep_read(sqe, fd, readbuf, sizeof(readbuf), 0);
}

/*
 * The backend's own ring, as attach leaves it: only READV, WRITEV, POLL_ADD
 * and ASYNC_CANCEL, only on its registered files (with fixed files), and no
 * io_uring_register but the teardown's; anything else is EACCES.
 */
static void check_restricted(unsigned int features)
{
	struct net_config cfg = { .mtu = 1500 };
	struct net_caps caps = { 0 };
	struct tap *t = tap_uring_new(features, 0);
	struct backend_loop loop = { .label = "test" };
	struct io_uring *ring;
	uint8_t fixed = (features & TAP_URING_F_FIXED) ? IOSQE_FIXED_FILE : 0;
	int sv[2], fd;

	ck_assert_ptr_nonnull(t);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK, 0, sv), 0);
	loop.kick_fd[0] = eventfd(0, EFD_NONBLOCK);
	loop.kick_fd[1] = eventfd(0, EFD_NONBLOCK);
	loop.stop_fd = eventfd(0, EFD_NONBLOCK);
	tap_from_socket(t, &cfg, sv[0], &caps);
	ck_assert_int_eq(backend_attach(&t->be, &loop), 0);
	ring = tap_uring_ring(&t->be);
	/* Operations the data path never uses: refused, whatever the flags. */
	ck_assert_int_eq(submit_one(ring, prep_openat, AT_FDCWD, fixed), -EACCES);
	ck_assert_int_eq(submit_one(ring, prep_openat, AT_FDCWD, 0), -EACCES);
	ck_assert_int_eq(submit_one(ring, prep_nop, 0, fixed), -EACCES);
	ck_assert_int_eq(submit_one(ring, prep_read, fixed ? 0 : sv[0], fixed), -EACCES);
	/* An allowed operation on the registered tap (index 0) runs: the socket is writable. */
	ck_assert_int_eq(submit_one(ring, prep_poll, fixed ? 0 : sv[0], fixed),
			 POLLOUT);
	if (fixed) {
		/* ... but not on a file the ring was not given. */
		fd = open("/dev/null", O_RDONLY);
		ck_assert_int_eq(submit_one(ring, prep_poll, fd, 0), -EACCES);
		close(fd);
	}
	/* No buffers, files or probes registered after the restrictions. */
	fd = sv[1];
	ck_assert_int_eq(io_uring_register_files_update(ring, 0, &fd, 1), -EACCES);
	ck_assert_ptr_null(io_uring_get_probe_ring(ring));
	backend_detach(&t->be);
	backend_close(&t->be);
	close(sv[1]);
	close(loop.kick_fd[0]);
	close(loop.kick_fd[1]);
	close(loop.stop_fd);
}

START_TEST(test_tap_uring_ring_restricted_refuses_other_ops)
{
	unsigned int f;
	char err[160];

	ck_assert_int_eq(tap_uring_features(&f, err, sizeof(err)), 0);
	check_restricted(f);
	/* An older kernel's path (no fixed files, plain flags): the operations are still limited. */
	check_restricted(f & ~(TAP_URING_F_FIXED | TAP_URING_F_DEFER | TAP_URING_F_RING_FD));
}
END_TEST

Suite *tap_uring_suite(void)
{
	Suite *s = suite_create("tap_uring");
	TCase *tc = tcase_create("features");

	tcase_add_test(tc, disable_list);
	tcase_add_test(tc, disable_unknown);
	tcase_add_test(tc, engine_names);
	tcase_add_test(tc, test_tap_uring_ring_restricted_refuses_other_ops);
	suite_add_tcase(s, tc);
	return s;
}
