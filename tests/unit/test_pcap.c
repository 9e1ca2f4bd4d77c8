// SPDX-License-Identifier: MIT
// Unit tests for net/pcap: the pcapng bytes parsed back (block lengths at both ends, 32-bit
// alignment, options, padding), gathering from iovecs, snaplen, the full ring, and pcap=.
#include <check.h>
#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "net/pcap.h"
#include "tests/unit/suites.h"
#include "vmm/cli.h"

#define MAX_EPB 4096

struct epb {
	uint32_t caplen, origlen, flags;
	const uint8_t *data;
	char comment[PCAP_COMMENT_MAX + 1];
};

struct parsed {
	uint8_t *buf;
	size_t len;
	char userappl[64], ifname[64];
	uint32_t snaplen;
	unsigned int nr;
	struct epb epb[MAX_EPB];
};

static char path[64];
static char err[512];

static void setup(void)
{
	int fd;

	snprintf(path, sizeof(path), "/tmp/minnow-pcap-XXXXXX");
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	close(fd);
}

static void teardown(void)
{
	unlink(path);
}

static uint32_t u32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static uint16_t u16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, 2);
	return v;
}

/* Walks the options in [p, end): each padded to 32 bits, zero padding, ending in opt_endofopt. */
static void parse_opts(const uint8_t *p, const uint8_t *end, uint32_t block, char *s1, size_t s1len,
		       uint16_t s1code, uint32_t *flags)
{
	for (;;) {
		uint16_t code, len;

		ck_assert(p + 4 <= end);
		code = u16(p);
		len = u16(p + 2);
		if (code == PCAP_OPT_END) {
			ck_assert_uint_eq(len, 0);
			ck_assert_ptr_eq(p + 4, end);	/* nothing after the end */
			return;
		}
		ck_assert(p + 4 + ALIGN_UP(len, 4u) <= end);
		for (unsigned int i = len; i < ALIGN_UP(len, 4u); i++)
			ck_assert_uint_eq(p[4 + i], 0);
		if (code == s1code) {
			ck_assert_uint_lt(len, s1len);
			memcpy(s1, p + 4, len);
			s1[len] = 0;
		} else if (block == PCAP_BT_EPB && code == PCAP_OPT_EPB_FLAGS) {
			ck_assert_uint_eq(len, 4);
			*flags = u32(p + 4);
		} else {
			ck_abort_msg("unexpected option %u in block 0x%x", code, block);
		}
		p += 4 + ALIGN_UP(len, 4u);
	}
}

static void parse_epb(struct parsed *f, const uint8_t *b, uint32_t len)
{
	struct epb *e = &f->epb[f->nr++];

	ck_assert_uint_lt(f->nr, MAX_EPB);
	ck_assert_uint_ge(len, 32);
	ck_assert_uint_eq(u32(b + 8), 0);	/* interface 0 */
	e->caplen = u32(b + 20);
	e->origlen = u32(b + 24);
	ck_assert_uint_le(e->caplen, e->origlen);
	ck_assert_uint_le(e->caplen, f->snaplen);
	ck_assert_uint_le(28 + ALIGN_UP(e->caplen, 4u) + 4, len);
	e->data = b + 28;
	for (uint32_t i = e->caplen; i < ALIGN_UP(e->caplen, 4u); i++)
		ck_assert_uint_eq(b[28 + i], 0);
	e->flags = 0xdead;
	e->comment[0] = 0;
	parse_opts(b + 28 + ALIGN_UP(e->caplen, 4u), b + len - 4, PCAP_BT_EPB, e->comment,
		   sizeof(e->comment), PCAP_OPT_COMMENT, &e->flags);
}

/* Reads the whole file back: SHB, IDB, then EPBs only; every length and option checked. */
static struct parsed *parse_file(void)
{
	struct parsed *f = calloc(1, sizeof(*f));
	FILE *in = fopen(path, "rb");
	size_t off = 0;

	ck_assert_ptr_nonnull(in);
	f->buf = malloc(64 << 20);
	f->len = fread(f->buf, 1, 64 << 20, in);
	fclose(in);
	while (off < f->len) {
		const uint8_t *b = f->buf + off;
		uint32_t type, len;

		ck_assert_uint_le(off + 12, f->len);
		type = u32(b);
		len = u32(b + 4);
		ck_assert_uint_eq(len % 4, 0);
		ck_assert_uint_le(off + len, f->len);
		ck_assert_uint_eq(u32(b + len - 4), len);	/* the trailing length */
		if (off == 0) {
			ck_assert_uint_eq(type, PCAP_BT_SHB);
			ck_assert_uint_eq(u32(b + 8), PCAP_BOM);
			ck_assert_uint_eq(u16(b + 12), 1);
			ck_assert_uint_eq(u16(b + 14), 0);
			parse_opts(b + 24, b + len - 4, type, f->userappl, sizeof(f->userappl),
				   PCAP_OPT_SHB_USERAPPL, NULL);
		} else if (type == PCAP_BT_IDB) {
			ck_assert_uint_eq(f->snaplen, 0);	/* one interface */
			ck_assert_uint_eq(u16(b + 8), PCAP_LINKTYPE_ETHERNET);
			f->snaplen = u32(b + 12);
			parse_opts(b + 16, b + len - 4, type, f->ifname, sizeof(f->ifname),
				   PCAP_OPT_IF_NAME, NULL);
		} else {
			ck_assert_uint_eq(type, PCAP_BT_EPB);
			ck_assert_uint_ne(f->snaplen, 0);
			parse_epb(f, b, len);
		}
		off += len;
	}
	ck_assert_uint_eq(off, f->len);
	return f;
}

static void parsed_free(struct parsed *f)
{
	free(f->buf);
	free(f);
}

static struct pcap *open_capture(size_t ring, bool writer)
{
	struct pcap_opts o = { .ifname = "tap9", .ring_bytes = ring, .no_writer = !writer };
	struct pcap *p = NULL;

	ck_assert_int_eq(pcap_open(&p, path, &o, err, sizeof(err)), 0);
	return p;
}

START_TEST(test_pcap_open_close_header_only)
{
	struct parsed *f;

	pcap_close(open_capture(0, true));
	f = parse_file();
	ck_assert_uint_eq(f->nr, 0);
	ck_assert_str_eq(f->ifname, "tap9");
	ck_assert_str_eq(f->userappl, "minnow " MINNOW_VERSION);
	ck_assert_uint_eq(f->snaplen, PCAP_SNAPLEN);
	parsed_free(f);
}
END_TEST

/* A TX frame in three pieces, the 12-byte header split over the first two: gathered whole. */
START_TEST(test_pcap_tx_gathered_with_header_comment)
{
	uint8_t frame[61], a[5], b[30], c[38];
	struct iovec iov[3] = { { a, sizeof(a) }, { b, sizeof(b) }, { c, sizeof(c) } };
	struct virtio_net_hdr_v1 h = { .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
				       .gso_type = VIRTIO_NET_HDR_GSO_TCPV4,
				       .hdr_len = htole16(66), .gso_size = htole16(1448),
				       .csum_start = htole16(34), .csum_offset = htole16(16) };
	struct pcap_pkt pkt = { .tx = true, .queue = 1, .hdr = &h };
	struct pcap *p = open_capture(0, false);
	struct parsed *f;

	for (unsigned int i = 0; i < sizeof(frame); i++)
		frame[i] = 0x40 + i;
	memset(a, 0xee, sizeof(a));
	memset(b, 0xee, 7);
	memcpy(b + 7, frame, 23);
	memcpy(c, frame + 23, 38);
	pcap_record(p, &pkt, iov, 3, 12, sizeof(frame));
	ck_assert_uint_eq(pcap_stats(p)->packets, 1);
	pcap_close(p);
	f = parse_file();
	ck_assert_uint_eq(f->nr, 1);
	ck_assert_uint_eq(f->epb[0].caplen, 61);	/* padded to 64 in the block, zeros checked */
	ck_assert_uint_eq(f->epb[0].origlen, 61);
	ck_assert_mem_eq(f->epb[0].data, frame, 61);
	ck_assert_uint_eq(f->epb[0].flags, PCAP_FLAG_OUTBOUND);
	ck_assert_str_eq(f->epb[0].comment, "tx q=1 verdict=sent flags=0x1 gso_type=1 gso_size=1448 "
			 "hdr_len=66 csum_start=34 csum_offset=16 num_buffers=0");
	parsed_free(f);
}
END_TEST

START_TEST(test_pcap_rx_drop_without_frame_inbound)
{
	struct pcap_pkt pkt = { .tx = false, .queue = 0, .drop = "rx_small_buffer" };
	struct virtio_net_hdr_v1 h = { .flags = VIRTIO_NET_HDR_F_DATA_VALID,
				       .num_buffers = htole16(3) };
	struct pcap_pkt ok = { .tx = false, .queue = 0, .hdr = &h, .note = "csum ok" };
	uint8_t frame[76] = { 1, 2, 3 };
	struct iovec iov = { frame, sizeof(frame) };
	struct pcap *p = open_capture(0, false);
	struct parsed *f;

	pcap_record(p, &pkt, NULL, 0, 12, 0);
	pcap_record(p, &ok, &iov, 1, 12, sizeof(frame) - 12);
	pcap_close(p);
	f = parse_file();
	ck_assert_uint_eq(f->nr, 2);
	ck_assert_uint_eq(f->epb[0].caplen, 0);
	ck_assert_uint_eq(f->epb[0].origlen, 0);
	ck_assert_uint_eq(f->epb[0].flags, PCAP_FLAG_INBOUND);
	ck_assert_str_eq(f->epb[0].comment, "rx q=0 verdict=dropped reason=rx_small_buffer hdr=none");
	ck_assert_uint_eq(f->epb[1].caplen, 64);
	ck_assert_mem_eq(f->epb[1].data, frame + 12, 64);
	ck_assert_str_eq(f->epb[1].comment, "rx q=0 verdict=delivered flags=0x2 gso_type=0 gso_size=0 "
			 "hdr_len=0 csum_start=0 csum_offset=0 num_buffers=3; csum ok");
	parsed_free(f);
}
END_TEST

/* Longer than the snaplen: the first PCAP_SNAPLEN bytes, with the original length. */
START_TEST(test_pcap_snaplen_truncates_and_counts)
{
	static uint8_t big[70000];
	struct iovec iov = { big, sizeof(big) };
	struct pcap_pkt pkt = { .tx = true, .queue = 1, .drop = "tx_offload_errors.long" };
	struct pcap *p = open_capture(0, false);
	struct parsed *f;

	for (unsigned int i = 0; i < sizeof(big); i++)
		big[i] = i * 7;
	pcap_record(p, &pkt, &iov, 1, 0, sizeof(big));
	ck_assert_uint_eq(pcap_stats(p)->truncated, 1);
	pcap_close(p);
	f = parse_file();
	ck_assert_uint_eq(f->nr, 1);
	ck_assert_uint_eq(f->epb[0].caplen, PCAP_SNAPLEN);
	ck_assert_uint_eq(f->epb[0].origlen, sizeof(big));
	ck_assert_mem_eq(f->epb[0].data, big, PCAP_SNAPLEN);
	parsed_free(f);
}
END_TEST

/* A guest chain shorter than the length claimed: only the bytes that are there. */
START_TEST(test_pcap_iov_shorter_than_len_captures_what_is_there)
{
	uint8_t buf[50] = { 9 };
	struct iovec iov = { buf, sizeof(buf) };
	struct pcap_pkt pkt = { .tx = true, .queue = 1 };
	struct pcap *p = open_capture(0, false);
	struct parsed *f;

	pcap_record(p, &pkt, &iov, 1, 12, 100);
	pcap_close(p);
	f = parse_file();
	ck_assert_uint_eq(f->epb[0].caplen, 38);
	ck_assert_uint_eq(f->epb[0].origlen, 100);
	parsed_free(f);
}
END_TEST

/* No writer: a 4 KiB ring takes three 1000-byte records; the rest are counted, not waited for. */
START_TEST(test_pcap_ring_full_drops_and_counts)
{
	uint8_t frame[1012] = { 0 };
	struct iovec iov = { frame, sizeof(frame) };
	struct pcap_pkt pkt = { .tx = true, .queue = 1 };
	struct pcap *p = open_capture(4096, false);
	struct parsed *f;

	for (int i = 0; i < 10; i++)
		pcap_record(p, &pkt, &iov, 1, 12, sizeof(frame) - 12);
	ck_assert_uint_eq(pcap_stats(p)->packets, 3);
	ck_assert_uint_eq(pcap_stats(p)->dropped, 7);
	pcap_close(p);
	f = parse_file();
	ck_assert_uint_eq(f->nr, 3);
	parsed_free(f);
}
END_TEST

/* The writer thread against a small ring: every record it kept is in the file, whole, in order. */
START_TEST(test_pcap_writer_keeps_up_or_counts)
{
	uint8_t frame[1512] = { 0 };
	struct iovec iov = { frame, sizeof(frame) };
	struct pcap_pkt pkt = { .tx = false, .queue = 0 };
	struct pcap *p = open_capture(64 * 1024, true);
	uint64_t kept;
	struct parsed *f;

	for (uint32_t i = 0; i < 3000; i++) {
		memcpy(frame + 12, &i, 4);
		pcap_record(p, &pkt, &iov, 1, 12, sizeof(frame) - 12);
		if (i % 100 == 0)
			usleep(1000);
	}
	kept = pcap_stats(p)->packets;
	ck_assert_uint_eq(kept + pcap_stats(p)->dropped, 3000);
	pcap_close(p);
	f = parse_file();
	ck_assert_uint_eq(f->nr, kept);
	for (unsigned int i = 1; i < f->nr; i++)
		ck_assert_uint_gt(u32(f->epb[i].data), u32(f->epb[i - 1].data));
	parsed_free(f);
}
END_TEST

/* A note longer than a comment may be: cut, and the block still well formed. */
START_TEST(test_pcap_long_note_cut)
{
	static char note[2000];
	struct pcap_pkt pkt = { .tx = true, .queue = 1, .note = note };
	struct pcap *p = open_capture(0, false);
	struct parsed *f;

	memset(note, 'x', sizeof(note) - 1);
	pcap_record(p, &pkt, NULL, 0, 12, 0);
	pcap_close(p);
	f = parse_file();
	ck_assert_uint_eq(strlen(f->epb[0].comment), PCAP_COMMENT_MAX - 1);
	ck_assert(strncmp(f->epb[0].comment, "tx q=1 verdict=sent hdr=none; xxx", 33) == 0);
	parsed_free(f);
}
END_TEST

START_TEST(test_pcap_unwritable_path_names_it)
{
	struct pcap_opts o = { 0 };
	struct pcap *p = NULL;

	ck_assert_int_eq(pcap_open(&p, "/nonexistent-minnow-dir/x.pcapng", &o, err, sizeof(err)),
			 -ENOENT);
	ck_assert_ptr_null(p);
	ck_assert_ptr_nonnull(strstr(err, "'/nonexistent-minnow-dir/x.pcapng'"));
}
END_TEST

START_TEST(test_pcap_cli_key_kept_and_empty_refused)
{
	struct vm_config c;
	char arg[] = "tap=t0,pcap=/tmp/a b.pcapng,csum=off";
	const char *argv[] = { "minnow", "run", "-k", "k", "--net", arg, NULL };
	const char *empty[] = { "minnow", "run", "-k", "k", "--net", "tap=t0,pcap=", NULL };
	FILE *out = fopen("/dev/null", "w");

	ck_assert_int_eq(cli_parse(6, (char **)argv, &c, out, err, sizeof(err)), CLI_RUN);
	ck_assert_str_eq(c.net.pcap, "/tmp/a b.pcapng");
	ck_assert(!c.net.csum);
	ck_assert_int_eq(cli_parse(6, (char **)empty, &c, out, err, sizeof(err)), CLI_USAGE);
	ck_assert_ptr_nonnull(strstr(err, "bad value '' for pcap"));
	fclose(out);
}
END_TEST

Suite *pcap_suite(void)
{
	Suite *s = suite_create("pcap");
	TCase *t = tcase_create("pcap");

	tcase_add_checked_fixture(t, setup, teardown);
	tcase_set_timeout(t, 30);
	tcase_add_test(t, test_pcap_open_close_header_only);
	tcase_add_test(t, test_pcap_tx_gathered_with_header_comment);
	tcase_add_test(t, test_pcap_rx_drop_without_frame_inbound);
	tcase_add_test(t, test_pcap_snaplen_truncates_and_counts);
	tcase_add_test(t, test_pcap_iov_shorter_than_len_captures_what_is_there);
	tcase_add_test(t, test_pcap_ring_full_drops_and_counts);
	tcase_add_test(t, test_pcap_writer_keeps_up_or_counts);
	tcase_add_test(t, test_pcap_long_note_cut);
	tcase_add_test(t, test_pcap_unwritable_path_names_it);
	tcase_add_test(t, test_pcap_cli_key_kept_and_empty_refused);
	suite_add_tcase(s, t);
	return s;
}
