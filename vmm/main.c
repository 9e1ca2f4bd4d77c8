// SPDX-License-Identifier: MIT
// minnow: a minimal KVM virtual machine monitor.
#include <stdio.h>

#include "vmm/cli.h"
#include "vmm/confine.h"
#include "vmm/machine.h"

int main(int argc, char **argv)
{
	struct vm_config cfg;
	char err[512];

	switch (cli_parse(argc, argv, &cfg, stdout, err, sizeof(err))) {
	case CLI_DONE:
		return 0;
	case CLI_USAGE:
		fprintf(stderr, "minnow: %s\n", err);
		return MACHINE_STATUS_USAGE;
	case CLI_RUN:
		break;
	}
	/* Nothing inherited stays open but the pre-opened taps (and stdin, stdout, stderr). */
	confine_close_inherited(cfg.net.nfds ? cfg.net.fds : &cfg.net.fd,
			      cfg.net.nfds ? cfg.net.nfds : 1);
	return machine_run(&cfg);
}
