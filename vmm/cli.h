// SPDX-License-Identifier: MIT
// Command line: `minnow run ...` into a struct vm_config, with errors that name the bad value.
#ifndef MINNOW_CLI_H
#define MINNOW_CLI_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "vmm/config.h"

enum cli_result {
	CLI_RUN,	/* cfg is filled: run the machine */
	CLI_DONE,	/* help or version was printed to out: exit 0 */
	CLI_USAGE,	/* err holds the message: exit 2 */
};

/* Parses argv (argv[0] is the program); prints help/version to out. */
enum cli_result cli_parse(int argc, char **argv, struct vm_config *cfg, FILE *out, char *err,
			  size_t errlen);

#endif
