// SPDX-License-Identifier: MIT
// --metrics PATH: the machine's counters as one JSON document, written when the guest ends.
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "devices/serial.h"
#include "devices/virtio/vnet.h"
#include "devices/virtio/vrng.h"
#include "vmm/metrics.h"

static const char *const metrics_exit_names[] = {
	[MACHINE_RUNNING] = "running", [MACHINE_EXIT_POWEROFF] = "poweroff",
	[MACHINE_EXIT_RESET] = "reset", [MACHINE_EXIT_TRIPLE_FAULT] = "triple_fault",
	[MACHINE_EXIT_DEBUG] = "debug_exit", [MACHINE_EXIT_ERROR] = "error",
	[MACHINE_EXIT_SIGNAL] = "signal", [MACHINE_EXIT_STRICT] = "virtio_strict",
};

static void metrics_json(struct machine *m, FILE *out)
{
	int reason = atomic_load(&m->exit_reason);

	fprintf(out, "{\"exit\":{\"reason\":\"%s\",\"value\":%d,\"status\":%d},",
		metrics_exit_names[reason], m->exit_value, machine_exit_status(reason, m->exit_value));
	fprintf(out, "\"serial\":{\"tx_bytes\":%llu},",
		(unsigned long long)(m->serial ? m->serial->tx_bytes : 0));
	fprintf(out, "\"devices\":[");
	if (m->net)
		vnet_metrics(m->net, out);
	if (m->net && m->rng)
		fprintf(out, ",");
	if (m->rng)
		vrng_metrics(m->rng, out);
	fprintf(out, "]}\n");
}

int metrics_write(struct machine *m, const char *path)
{
	char tmp[4096];
	FILE *out;
	int err = 0;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	out = fopen(tmp, "we");
	if (!out) {
		err = -errno;
		log_err("cannot write metrics to '%s': %s", tmp, strerror(errno));
		return err;
	}
	metrics_json(m, out);
	if (fclose(out) != 0 || rename(tmp, path) != 0) {
		err = -errno;
		log_err("cannot write metrics to '%s': %s", path, strerror(errno));
		remove(tmp);
	}
	return err;
}
