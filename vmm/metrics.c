// SPDX-License-Identifier: MIT
// --metrics PATH: the machine's counters as one JSON document, at the guest's end and on SIGUSR1.
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "base/log.h"
#include "devices/virtio/vnet.h"
#include "devices/virtio/vrng.h"
#include "vmm/metrics.h"

static void metrics_json(const struct metrics_report *r, FILE *out)
{
	fprintf(out, "{\"exit\":{\"reason\":\"%s\",\"value\":%d,\"status\":%d},",
		r->exit_reason, r->exit_value, r->exit_status);
	fprintf(out, "\"serial\":{\"tx_bytes\":%llu},", (unsigned long long)r->serial_tx_bytes);
	fprintf(out, "\"devices\":[");
	if (r->net)
		vnet_metrics(r->net, out);
	if (r->net && r->rng)
		fprintf(out, ",");
	if (r->rng)
		vrng_metrics(r->rng, out);
	fprintf(out, "]}\n");
}

int metrics_write(const char *path, const struct metrics_report *r)
{
	char tmp[4096];
	FILE *out;
	int err = 0;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp)) {
		log_err("cannot write metrics to '%s': the path is too long", path);
		return -ENAMETOOLONG;
	}
	out = fopen(tmp, "we");
	if (!out) {
		err = -errno;
		log_err("cannot write metrics to '%s' (through '%s'): %s", path, tmp,
			strerror(errno));
		return err;
	}
	metrics_json(r, out);
	if (fclose(out) != 0 || rename(tmp, path) != 0) {
		err = -errno;
		log_err("cannot write metrics to '%s': %s", path, strerror(errno));
		remove(tmp);
	}
	return err;
}
