// SPDX-License-Identifier: MIT
// --net's value: the virtio-net device's options, parsed for the command line (cli.c).
#ifndef MINNOW_CLI_NET_H
#define MINNOW_CLI_NET_H

#include <stddef.h>

#include "base/compiler.h"
#include "vmm/config.h"

/* --net's value into n; -EINVAL with err naming the bad item. */
int cli_parse_net(const char *arg, struct net_config *n, char *err, size_t errlen) __must_check;

#endif
