// SPDX-License-Identifier: MIT
// iovec helpers over a chain's guest buffers, for virtio-net's RX and TX paths.
#ifndef MINNOW_VNET_IOV_H
#define MINNOW_VNET_IOV_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/uio.h>

/* Copies up to len bytes of src to the start of the n iovecs; returns how many were copied. */
size_t vnet_iov_copy_in(const struct iovec *iov, unsigned int n, const void *src, size_t len);

/* The iovecs of bytes [skip, ...) of src, into dst (at most max); false if more are needed. */
bool vnet_iov_skip(const struct iovec *src, unsigned int n, size_t skip, struct iovec *dst,
		   unsigned int max, unsigned int *out_n);

#endif
