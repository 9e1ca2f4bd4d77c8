// SPDX-License-Identifier: MIT
// libFuzzer target: a guest's TX frame and virtio-net header through the offload verifier
// (net/verify), the header validation (vnet_hdr_tx_parse) and the software fallback (net/soft),
// over iovecs cut where the input says.
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "devices/virtio/vdev.h"
#include "devices/virtio/vnet_hdr.h"
#include "net/soft.h"
#include "net/verify.h"

/*
 * Input: the 12-byte header, then 3 bytes: two cut points (x 64 and x 1,
 * both modulo the frame length) and bit 0 "USO negotiated"; then the frame.
 */
#define IN_HDR 15
#define NEG    (VIRTIO_BIT(VIRTIO_NET_F_CSUM) | VIRTIO_BIT(VIRTIO_NET_F_HOST_TSO4) | \
		VIRTIO_BIT(VIRTIO_NET_F_HOST_TSO6) | VIRTIO_BIT(VIRTIO_NET_F_HOST_ECN))

static uint8_t scratch[SOFT_SCRATCH_LEN];
static volatile uint8_t sink_byte;
static size_t emitted;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Every byte of every frame is read, so ASan sees any that is out of bounds. */
static int emit(void *ctx, const uint8_t *f, size_t len)
{
	(void)ctx;
	if (len > SOFT_SCRATCH_LEN)
		abort();
	for (size_t i = 0; i < len; i++)
		sink_byte ^= f[i];
	emitted += len;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct virtio_net_hdr_v1 h;
	struct verify_result r;
	struct net_tx_meta m;
	struct iovec iov[3];
	const struct soft_sink sink = { emit, NULL };
	struct soft_result res;
	uint8_t *frame;
	uint32_t len, a, b;
	uint64_t neg = NEG;
	char line[256];

	if (size < IN_HDR || size - IN_HDR > VNET_MAX_FRAME)
		return 0;
	memcpy(&h, data, sizeof(h));
	len = (uint32_t)(size - IN_HDR);
	/* A heap copy of exactly the frame: reading one byte past it is a finding. */
	frame = malloc(len ? len : 1);
	if (!frame)
		return 0;
	memcpy(frame, data + IN_HDR, len);
	a = len ? (uint32_t)data[12] * 64 % len : 0;
	b = len ? (a + data[13]) % (len + 1) : 0;
	if (b < a)
		b = a;
	iov[0] = (struct iovec){ frame, a };
	iov[1] = (struct iovec){ frame + a, b - a };
	iov[2] = (struct iovec){ frame + b, len - b };
	if (data[14] & 1)
		neg |= VIRTIO_BIT(VIRTIO_NET_F_HOST_USO);
	verify_frame(&h, iov, 3, len, &r);
	verify_describe(&r, line, sizeof(line));
	emitted = 0;
	if (vnet_hdr_tx_parse(&h, iov, 3, len, neg, &m) == 0 &&
	    soft_send(&m, iov, 3, scratch, &sink, &res) == 0 && !res.err && emitted < len)
		abort();	/* segments carry at least the frame's bytes */
	free(frame);
	return 0;
}
