// SPDX-License-Identifier: MIT
// Packet capture to pcapng (net/pcap.h): the recording thread formats whole blocks into a
// single-producer single-consumer byte ring; a writer thread copies them to the file.
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"
#include "base/sandbox.h"
#include "base/stat.h"
#include "net/pcap.h"

#define PCAP_WAKE_MS	10	/* the writer looks at the ring at least this often */

struct pcap {
	char *path;
	int fd;
	int wake_fd;		/* the producer's "more than half full", and pcap_close's "stop" */
	pthread_t writer;
	bool has_writer;
	uint8_t *ring;
	uint64_t mask;		/* ring size - 1 */
	/*
	 * head: bytes the producer committed; tail: bytes the writer wrote out.
	 * Both only grow. The producer owns head, the writer owns tail; each
	 * reads the other's with acquire, so the bytes before it are visible.
	 */
	uint64_t head, tail;
	bool woken;		/* producer set, writer cleared: one eventfd write per fill */
	bool stop, failed;
	struct pcap_stats stats;
};

/* ---- block building ---- */

static uint32_t pad4(uint32_t n)
{
	return ALIGN_UP(n, 4u);
}

/* An option (code, length, value, padding to 32 bits) at buf; returns the bytes written. */
static size_t pcap_opt(uint8_t *buf, uint16_t code, const void *val, uint16_t len)
{
	uint16_t h[2] = { code, len };

	memcpy(buf, h, 4);
	if (len)
		memcpy(buf + 4, val, len);
	memset(buf + 4 + len, 0, pad4(len) - len);
	return 4 + pad4(len);
}

/* A block: type, total length, body, one string option and the end option, total length. */
static size_t pcap_block(uint8_t *buf, uint32_t type, const void *body, size_t body_len,
			 const char *opt_str, uint16_t opt_code)
{
	size_t n = 8;
	uint32_t len;

	memcpy(buf + n, body, body_len);
	n += body_len;
	n += pcap_opt(buf + n, opt_code, opt_str, strlen(opt_str));
	n += pcap_opt(buf + n, PCAP_OPT_END, NULL, 0);
	len = n + 4;
	memcpy(buf, &type, 4);
	memcpy(buf + 4, &len, 4);
	memcpy(buf + n, &len, 4);
	return len;
}

static int pcap_write_all(int fd, const uint8_t *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		buf += n;
		len -= n;
	}
	return 0;
}

/* The Section Header Block and the one Interface Description Block. */
static int pcap_header(struct pcap *p, const char *ifname)
{
	uint8_t buf[1024];
	struct {
		uint32_t bom;
		uint16_t major, minor;
		int64_t section_len;
	} shb = { PCAP_BOM, 1, 0, -1 };	/* -1: the section's length is not given */
	struct {
		uint16_t linktype, reserved;
		uint32_t snaplen;
	} idb = { PCAP_LINKTYPE_ETHERNET, 0, PCAP_SNAPLEN };
	char name[200];
	size_t n;

	n = pcap_block(buf, PCAP_BT_SHB, &shb, sizeof(shb), "minnow " MINNOW_VERSION,
		       PCAP_OPT_SHB_USERAPPL);
	snprintf(name, sizeof(name), "%s", ifname ? ifname : "minnow-net");
	n += pcap_block(buf + n, PCAP_BT_IDB, &idb, sizeof(idb), name, PCAP_OPT_IF_NAME);
	return pcap_write_all(p->fd, buf, n);
}

size_t pcap_comment(char *buf, size_t size, const struct pcap_pkt *pkt)
{
	const struct virtio_net_hdr_v1 *h = pkt->hdr;
	int n;

	n = snprintf(buf, size, "%s q=%u verdict=%s%s%s", pkt->tx ? "tx" : "rx", pkt->queue,
		     pkt->drop ? "dropped reason=" : pkt->tx ? "sent" : "delivered",
		     pkt->drop ? pkt->drop : "", h ? "" : " hdr=none");
	if (h && n >= 0 && (size_t)n < size)
		n += snprintf(buf + n, size - n, " flags=0x%x gso_type=%u gso_size=%u hdr_len=%u "
			      "csum_start=%u csum_offset=%u num_buffers=%u", h->flags, h->gso_type,
			      le16toh(h->gso_size), le16toh(h->hdr_len), le16toh(h->csum_start),
			      le16toh(h->csum_offset), le16toh(h->num_buffers));
	if (pkt->note && n >= 0 && (size_t)n < size)
		n += snprintf(buf + n, size - n, "; %s", pkt->note);
	if (n < 0)
		n = 0;
	return MIN((size_t)n, size - 1);
}

/* ---- the ring ---- */

/* Copies len bytes to ring position pos (wrapping); returns the position after them. */
static uint64_t ring_put(struct pcap *p, uint64_t pos, const void *src, size_t len)
{
	size_t at = pos & p->mask, first = MIN(len, p->mask + 1 - at);

	memcpy(p->ring + at, src, first);
	memcpy(p->ring, (const uint8_t *)src + first, len - first);
	return pos + len;
}

/* The same from len bytes of iov starting skip bytes in. */
static uint64_t ring_put_iov(struct pcap *p, uint64_t pos, const struct iovec *iov,
			     unsigned int niov, size_t skip, size_t len)
{
	for (unsigned int i = 0; i < niov && len; i++) {
		size_t l = iov[i].iov_len;

		if (skip >= l) {
			skip -= l;
			continue;
		}
		l = MIN(l - skip, len);
		pos = ring_put(p, pos, (const uint8_t *)iov[i].iov_base + skip, l);
		len -= l;
		skip = 0;
	}
	return pos;
}

/* Bytes of frame the iovecs really hold from skip on (a guest chain may be shorter). */
static size_t iov_avail(const struct iovec *iov, unsigned int niov, size_t skip, size_t len)
{
	size_t have = 0;

	for (unsigned int i = 0; i < niov; i++)
		have += iov[i].iov_len;
	return have > skip ? MIN(have - skip, len) : 0;
}

void pcap_record(struct pcap *p, const struct pcap_pkt *pkt, const struct iovec *iov,
		 unsigned int niov, size_t skip, uint32_t len)
{
	uint8_t opts[4 + PCAP_COMMENT_MAX + 4 + 8 + 4];
	char comment[PCAP_COMMENT_MAX];
	uint32_t cap = iov_avail(iov, niov, skip, MIN(len, (uint32_t)PCAP_SNAPLEN));
	uint32_t flags = pkt->tx ? PCAP_FLAG_OUTBOUND : PCAP_FLAG_INBOUND, total, zero = 0;
	uint32_t epb[7];
	size_t nopt = 0;
	uint64_t pos = p->head, us;
	struct timespec ts;

	nopt += pcap_opt(opts, PCAP_OPT_COMMENT, comment,
			 pcap_comment(comment, sizeof(comment), pkt));
	nopt += pcap_opt(opts + nopt, PCAP_OPT_EPB_FLAGS, &flags, 4);
	nopt += pcap_opt(opts + nopt, PCAP_OPT_END, NULL, 0);
	total = sizeof(epb) + pad4(cap) + nopt + 4;
	/* Acquire: the writer is done with the bytes before tail; they may be overwritten. */
	if (__atomic_load_n(&p->failed, __ATOMIC_RELAXED) ||
	    total > p->mask + 1 - (pos - __atomic_load_n(&p->tail, __ATOMIC_ACQUIRE))) {
		STAT_INC(p->stats.dropped);
		return;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	us = (uint64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;	/* if_tsresol default: 10^-6 */
	epb[0] = PCAP_BT_EPB;
	epb[1] = total;
	epb[2] = 0;			/* interface 0, the only one */
	epb[3] = us >> 32;
	epb[4] = (uint32_t)us;
	epb[5] = cap;
	epb[6] = len;
	pos = ring_put(p, pos, epb, sizeof(epb));
	pos = ring_put_iov(p, pos, iov, niov, skip, cap);
	pos = ring_put(p, pos, &zero, pad4(cap) - cap);
	pos = ring_put(p, pos, opts, nopt);
	pos = ring_put(p, pos, &total, 4);
	STAT_INC(p->stats.packets);
	STAT_ADD(p->stats.truncated, cap < len);
	/* Release: the block's bytes are in the ring before the writer can see the new head. */
	__atomic_store_n(&p->head, pos, __ATOMIC_RELEASE);
	if (pos - __atomic_load_n(&p->tail, __ATOMIC_RELAXED) > (p->mask + 1) / 2 &&
	    !__atomic_exchange_n(&p->woken, true, __ATOMIC_RELAXED)) {
		uint64_t one = 1;

		/* Non-blocking; if it fails the writer still looks within PCAP_WAKE_MS. */
		if (write(p->wake_fd, &one, sizeof(one)) < 0) {
			/* nothing to do */
		}
	}
}

/* ---- the writer ---- */

/* Writes out what the producer committed; false once the file failed. */
static bool pcap_drain(struct pcap *p)
{
	uint64_t head = __atomic_load_n(&p->head, __ATOMIC_ACQUIRE), tail = p->tail;

	while (tail != head) {
		size_t at = tail & p->mask, len = MIN(head - tail, p->mask + 1 - at);
		int err = pcap_write_all(p->fd, p->ring + at, len);

		if (err) {
			log_err("pcap: cannot write to '%s': %s; the capture stops here", p->path,
				strerror(-err));
			__atomic_store_n(&p->failed, true, __ATOMIC_RELAXED);
			return false;
		}
		tail += len;
		/* Release: we read those bytes before the producer may reuse them. */
		__atomic_store_n(&p->tail, tail, __ATOMIC_RELEASE);
	}
	__atomic_store_n(&p->woken, false, __ATOMIC_RELAXED);
	return true;
}

static void *pcap_writer(void *arg)
{
	struct pcap *p = arg;

	if (sandbox_enter(SANDBOX_PCAP)) {
		log_err("pcap: cannot enter the seccomp sandbox; nothing more is captured");
		return NULL;
	}
	for (;;) {
		struct pollfd w = { .fd = p->wake_fd, .events = POLLIN };
		uint64_t v;
		bool stop = __atomic_load_n(&p->stop, __ATOMIC_ACQUIRE);

		if (!pcap_drain(p) || stop)
			break;	/* stop was seen before the last drain: nothing is left behind */
		if (poll(&w, 1, PCAP_WAKE_MS) > 0 && read(p->wake_fd, &v, sizeof(v)) < 0) {
			/* spurious: look again */
		}
	}
	return NULL;
}

int pcap_open(struct pcap **out, const char *path, const struct pcap_opts *o, char *err,
	      size_t errlen)
{
	size_t size = 4096;
	struct pcap *p = calloc(1, sizeof(*p));
	int ret;

	while (size < (o->ring_bytes ? o->ring_bytes : PCAP_RING_BYTES))
		size <<= 1;
	if (!p || !(p->path = strdup(path)) || !(p->ring = malloc(size))) {
		ret = -ENOMEM;
		goto fail_alloc;
	}
	p->mask = size - 1;
	p->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (p->fd < 0) {
		ret = log_errbuf(err, errlen, -errno, "cannot create the packet capture '%s': %s "
				 "(give a writable path to pcap=)", path, strerror(errno));
		goto fail_alloc;
	}
	p->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ret = p->wake_fd < 0 ? -errno : pcap_header(p, o->ifname);
	if (!ret && !o->no_writer) {
		ret = -pthread_create(&p->writer, NULL, pcap_writer, p);
		p->has_writer = !ret;
	}
	if (ret) {
		log_errbuf(err, errlen, ret, "cannot write the packet capture '%s': %s", path,
			   strerror(-ret));
		if (p->wake_fd >= 0)
			close(p->wake_fd);
		close(p->fd);
		goto fail_alloc;
	}
	*out = p;
	return 0;
fail_alloc:
	if (ret == -ENOMEM)
		log_errbuf(err, errlen, ret, "packet capture '%s': out of memory", path);
	if (p) {
		free(p->ring);
		free(p->path);
	}
	free(p);
	return ret;
}

void pcap_close(struct pcap *p)
{
	uint64_t one = 1;

	if (!p)
		return;
	/* Release: every record made before this is visible to the writer's last drain. */
	__atomic_store_n(&p->stop, true, __ATOMIC_RELEASE);
	if (p->has_writer) {
		if (write(p->wake_fd, &one, sizeof(one)) < 0) {
			/* it still wakes within PCAP_WAKE_MS */
		}
		pthread_join(p->writer, NULL);
	} else {
		pcap_drain(p);
	}
	if (close(p->fd) < 0)
		log_err("pcap: closing '%s': %s", p->path, strerror(errno));
	close(p->wake_fd);
	free(p->ring);
	free(p->path);
	free(p);
}

const struct pcap_stats *pcap_stats(const struct pcap *p)
{
	return &p->stats;
}
