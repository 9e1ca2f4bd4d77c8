// SPDX-License-Identifier: MIT
// Command-line values: sizes and bounded numbers, shared by the option parsers (cli.c, cli_net.c).
#ifndef MINNOW_CLI_PARSE_H
#define MINNOW_CLI_PARSE_H

#include <stdint.h>

#include "base/compiler.h"

/*
 * Parses a size: a number with an optional K, M, G or T suffix (KiB etc. and
 * lower case accepted); a plain number is MiB, as kvmtool reads it.
 */
int cli_parse_size(const char *s, uint64_t *bytes) __must_check;

/* A decimal number in [min, max]; -EINVAL otherwise. */
int cli_parse_uint(const char *s, unsigned long min, unsigned long max,
		   unsigned int *out) __must_check;

#endif
