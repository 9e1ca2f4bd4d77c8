// SPDX-License-Identifier: MIT
// iovec helpers over a chain's guest buffers (the chain walker bounded them: virtq.c).
#include <stdint.h>
#include <string.h>

#include "base/compiler.h"
#include "devices/virtio/vnet_iov.h"

size_t vnet_iov_copy_in(const struct iovec *iov, unsigned int n, const void *src, size_t len)
{
	size_t done = 0;

	for (unsigned int i = 0; i < n && done < len; i++) {
		size_t l = MIN(iov[i].iov_len, len - done);

		memcpy(iov[i].iov_base, (const uint8_t *)src + done, l);
		done += l;
	}
	return done;
}

bool vnet_iov_skip(const struct iovec *src, unsigned int n, size_t skip, struct iovec *dst,
		   unsigned int max, unsigned int *out_n)
{
	unsigned int k = 0;

	for (unsigned int i = 0; i < n; i++) {
		if (skip >= src[i].iov_len) {
			skip -= src[i].iov_len;
			continue;
		}
		if (k == max)
			return false;
		dst[k].iov_base = (uint8_t *)src[i].iov_base + skip;
		dst[k].iov_len = src[i].iov_len - skip;
		skip = 0;
		k++;
	}
	*out_n = k;
	return true;
}
