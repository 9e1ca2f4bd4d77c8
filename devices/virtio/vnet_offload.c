// SPDX-License-Identifier: MIT
// virtio-net TX offloads beyond the tap: the verifier (verify=on) that checks each offloaded
// frame's header against its bytes, and the software path (offload=soft, or an offload the tap
// refuses) that finishes checksums and segments in minnow and writes plain frames.
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/uio.h>

#include "devices/virtio/vnet_io.h"

#define SOFT_WAIT_MS	10	/* a full tap: wait this long for room ... */
#define SOFT_WAIT_TRIES	10	/* ... this many times, then drop the rest of the frame */

/*
 * What the tap does itself: an offload its TUNSETOFFLOAD probe refused
 * (net/tap.c) is taken as one it cannot do, and minnow finishes it; with
 * offload=soft minnow finishes them all. Either way the guest is offered
 * CSUM and HOST_TSO4/6 (vnet.c).
 */
void vnet_offload_init(struct vnet *n)
{
	const struct net_caps *t = &n->tap.caps;
	char soft[64] = "";

	n->hw = (struct net_caps){ 0 };
	if (!n->opts.soft) {
		n->hw.tx_csum = t->tx_csum && t->rx_csum;
		n->hw.tx_tso4 = n->hw.tx_csum && t->tx_tso4 && t->rx_tso4;
		n->hw.tx_tso6 = n->hw.tx_csum && t->tx_tso6 && t->rx_tso6;
		n->hw.tx_ecn = t->tx_ecn && (n->hw.tx_tso4 || n->hw.tx_tso6);
		n->hw.tx_uso = n->hw.tx_csum && t->tx_uso && t->rx_uso;
	}
	snprintf(soft, sizeof(soft), "%s%s%s", n->hw.tx_csum ? "" : " csum",
		 n->hw.tx_tso4 ? "" : " tso4", n->hw.tx_tso6 ? "" : " tso6");
	if (*soft && n->opts.csum)
		log_info("%s: %s: minnow finishes TX%s in software", n->t.name,
			 n->opts.soft ? "offload=soft" : "the tap refuses these offloads", soft);
}

bool vnet_offload_soft(const struct vnet *n, const struct net_tx_meta *m)
{
	if (m->flags & NET_TX_TSO)
		return !(m->flags & NET_TX_IPV4 ? n->hw.tx_tso4 : n->hw.tx_tso6);
	if (m->flags & NET_TX_USO)
		return !n->hw.tx_uso;
	return (m->flags & (NET_TX_CSUM_TCP | NET_TX_CSUM_UDP)) && !n->hw.tx_csum;
}

bool vnet_offload_verify(struct vnet *n, const struct virtio_net_hdr_v1 *hdr,
			 const struct iovec *frame, unsigned int nr_iov, uint32_t frame_len,
			 struct verify_result *r)
{
	char line[256];

	STAT_INC(n->stats.verify_frames);
	if (!verify_frame(hdr, frame, nr_iov, frame_len, r))
		return false;
	STAT_INC(n->stats.verify_bad);
	for (int k = 0; k < VERIFY_KIND_MAX; k++)
		STAT_ADD(n->stats.verify[k], !!(r->kinds & (1u << k)));
	if (log_threshold >= LOG_WARN) {
		verify_describe(r, line, sizeof(line));
		log_ratelimited(&n->rl, LOG_WARN, "%s: verify: TX frame's offload request disagrees "
				"with its bytes: %s", n->t.name, line);
	}
	return true;
}

struct soft_tap {
	int fd;
	int stop_fd;	/* readable once the device is being reset: stop waiting */
	int err;	/* the tap's -errno, when it refused a frame */
};

/* One finished frame to the tap, behind a header that asks for nothing. */
static int soft_emit(void *ctx, const uint8_t *frame, size_t len)
{
	struct soft_tap *t = ctx;
	struct virtio_net_hdr_v1 none = { 0 };
	struct iovec v[2] = { { &none, VNET_HDR_LEN }, { (void *)frame, len } };

	for (int tries = 0;; tries++) {
		struct pollfd p[2] = { { .fd = t->fd, .events = POLLOUT },
				       { .fd = t->stop_fd, .events = POLLIN } };

		if (writev(t->fd, v, 2) >= 0)
			return 0;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN || tries == SOFT_WAIT_TRIES)
			break;
		/*
		 * The tap is full: the I/O thread waits here, as a synchronous
		 * baseline would, but never past a reset (the stop eventfd).
		 */
		if ((poll(p, 2, SOFT_WAIT_MS) < 0 && errno != EINTR) || (p[1].revents & POLLIN)) {
			errno = EAGAIN;
			break;
		}
	}
	t->err = -errno;
	return t->err;
}

int vnet_offload_send(struct vnet_io *io, struct tx_req *r)
{
	struct vnet *n = io->n;
	struct soft_tap tap = { .fd = io->tap_fd, .stop_fd = n->stop_fd };
	struct soft_sink sink = { soft_emit, &tap };
	int ret = soft_send(&r->meta, r->iov + 1, r->niov, io->soft_scratch, &sink);

	STAT_INC(n->stats.soft_frames);
	if (ret > 0) {
		STAT_ADD(n->stats.soft_segments, ret);
		return 0;
	}
	if (ret == -SOFT_ERR_EMIT && tap.err) {
		/* Counted as any tap error by the caller; earlier segments may have gone out. */
		return tap.err;
	}
	STAT_INC(n->stats.tx_dropped);
	STAT_INC(n->stats.soft_err[-ret]);
	log_ratelimited(&n->rl, LOG_WARN, "%s: TX frame dropped: software offload failed (%s), "
			"len %u l2 %u l3 %u l4 %u mss %u", n->t.name, soft_err_names[-ret],
			r->meta.len, r->meta.l2_len, r->meta.l3_len, r->meta.l4_len, r->meta.mss);
	return 1;
}
