// SPDX-License-Identifier: MIT
// --net tap=NAME|fd=N|fds=A:B:..[,queues=N,mac=..,mtu=..,queue_size=..,csum=on|off,tso=on|off,
//        mrg_rxbuf=on|off,ctrl=on|off,io=uring|sync,batch_us=N,pcap=FILE,verify=on|off,
//        offload=tap|soft]:
//        the virtio-net device's options
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/cli_net.h"
#include "vmm/cli_parse.h"

#define NET_FORM "expected tap=NAME|fd=N|fds=A:B:..[,queues=N,mac=..,mtu=..,queue_size=..," \
		 "csum=on|off,tso=on|off,mrg_rxbuf=on|off,ctrl=on|off,io=uring|sync,batch_us=N," \
		 "pcap=FILE," \
		 "verify=on|off,offload=tap|soft]"

static int cli_net_bool(const char *v, bool *out)
{
	if (strcmp(v, "on") == 0 || strcmp(v, "true") == 0 || strcmp(v, "1") == 0)
		*out = true;
	else if (strcmp(v, "off") == 0 || strcmp(v, "false") == 0 || strcmp(v, "0") == 0)
		*out = false;
	else
		return -EINVAL;
	return 0;
}

static int cli_net_mac(const char *v, uint8_t mac[6])
{
	unsigned int b[6];
	char tail;

	if (strlen(v) != 17 || sscanf(v, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3],
				      &b[4], &b[5], &tail) != 6)
		return -EINVAL;
	for (int i = 0; i < 6; i++)
		mac[i] = b[i];
	/* A NIC's own address must be unicast (IEEE 802: bit 0 of the first byte clear). */
	return (mac[0] & 1) ? -EINVAL : 0;
}

/* fds=A:B:...: one pre-opened tap queue per pair, 1 to NET_QUEUES_MAX of them. */
static int cli_net_fds(const char *v, struct net_config *n)
{
	const char *p = v;

	n->nfds = 0;
	while (*p) {
		unsigned int fd;
		char num[16];
		size_t len = strcspn(p, ":");

		if (!len || len >= sizeof(num) || n->nfds == NET_QUEUES_MAX)
			return -EINVAL;
		memcpy(num, p, len);
		num[len] = 0;
		if (cli_parse_uint(num, 0, 1 << 20, &fd))
			return -EINVAL;
		n->fds[n->nfds++] = (int)fd;
		p += len;
		if (*p == ':' && !*++p)
			return -EINVAL;	/* a trailing ':' */
	}
	return n->nfds ? 0 : -EINVAL;
}

/* One key=value item; 0, or -EINVAL with err naming it. */
static int cli_net_item(struct net_config *n, char *item, char *err, size_t errlen)
{
	char *v = strchr(item, '=');
	unsigned int fd;
	int bad = 0;

	if (!v) {
		snprintf(err, errlen, "--net: '%s' is not key=value (%s)", item, NET_FORM);
		return -EINVAL;
	}
	*v++ = 0;
	if (strcmp(item, "tap") == 0) {
		bad = !*v || strlen(v) >= sizeof(n->tap_name);
		if (!bad) {
			strcpy(n->tap_name, v);
			n->tap = n->tap_name;
		}
	} else if (strcmp(item, "fd") == 0) {
		bad = cli_parse_uint(v, 0, 1 << 20, &fd);
		n->fd = bad ? -1 : (int)fd;
	} else if (strcmp(item, "fds") == 0) {
		bad = cli_net_fds(v, n);
	} else if (strcmp(item, "queues") == 0) {
		bad = cli_parse_uint(v, 1, NET_QUEUES_MAX, &n->queues);
		n->queues_set = !bad;
	} else if (strcmp(item, "mac") == 0) {
		bad = cli_net_mac(v, n->mac);
		n->mac_set = !bad;
	} else if (strcmp(item, "mtu") == 0)
		bad = cli_parse_uint(v, 68, 65535, &n->mtu);	/* §5.1.4.1 */
	else if (strcmp(item, "queue_size") == 0)
		bad = cli_parse_uint(v, 2, 256, &n->queue_size) || (n->queue_size & (n->queue_size - 1));
	else if (strcmp(item, "csum") == 0)
		bad = cli_net_bool(v, &n->csum);
	else if (strcmp(item, "tso") == 0)
		bad = cli_net_bool(v, &n->tso);
	else if (strcmp(item, "mrg_rxbuf") == 0)
		bad = cli_net_bool(v, &n->mrg_rxbuf);
	else if (strcmp(item, "ctrl") == 0)
		bad = cli_net_bool(v, &n->ctrl);
	else if (strcmp(item, "verify") == 0)
		bad = cli_net_bool(v, &n->verify);
	else if (strcmp(item, "offload") == 0) {
		bad = strcmp(v, "tap") != 0 && strcmp(v, "soft") != 0;
		n->offload_soft = strcmp(v, "soft") == 0;
	} else if (strcmp(item, "io") == 0) {
		bad = strcmp(v, "uring") != 0 && strcmp(v, "sync") != 0;
		n->io_sync = strcmp(v, "sync") == 0;
	} else if (strcmp(item, "batch_us") == 0) {
		bad = cli_parse_uint(v, 0, NET_BATCH_US_MAX, &n->batch_us);
		n->batch_off = !bad && n->batch_us == 0;
	} else if (strcmp(item, "pcap") == 0) {
		bad = !*v || strlen(v) >= sizeof(n->pcap_path);
		if (!bad) {
			strcpy(n->pcap_path, v);
			n->pcap = n->pcap_path;
		}
	} else {
		snprintf(err, errlen, "--net: unknown key '%s' (%s)", item, NET_FORM);
		return -EINVAL;
	}
	if (bad) {
		static const char *const forms[][2] = {
			{ "tap", "an interface name of 1-15 characters" }, { "fd", "a file descriptor" },
			{ "mac", "a unicast MAC like 52:54:00:12:34:56" }, { "mtu", "68-65535" },
			{ "queue_size", "a power of two from 2 to 256" }, { "csum", "on or off" },
			{ "tso", "on or off" }, { "mrg_rxbuf", "on or off" }, { "ctrl", "on or off" },
			{ "fds", "1 to 8 file descriptors separated by ':'" },
			{ "queues", "1 to 8 queue pairs" },
			{ "io", "uring (default) or sync (a readv/writev baseline)" },
			{ "batch_us", "0-1000 microseconds (0: no batching)" },
			{ "pcap", "a path of at most 4095 bytes for the packet capture" },
			{ "verify", "on or off" },
			{ "offload", "tap (default) or soft (checksums and segmentation in minnow)" },
		};
		const char *form = "";

		for (size_t i = 0; i < ARRAY_SIZE(forms); i++)
			if (strcmp(forms[i][0], item) == 0)
				form = forms[i][1];
		snprintf(err, errlen, "--net: bad value '%s' for %s (expected %s)", v, item, form);
		return -EINVAL;
	}
	return 0;
}

int cli_parse_net(const char *arg, struct net_config *n, char *err, size_t errlen)
{
	char *list, *save = NULL;
	int ret = 0;

	if (n->enabled) {
		snprintf(err, errlen, "--net given twice: minnow has one network device for now");
		return -EINVAL;
	}
	*n = (struct net_config){ .enabled = true, .fd = -1, .queue_size = 256, .csum = true,
				  .tso = true, .mrg_rxbuf = true, .ctrl = true };
	list = strdup(arg);
	if (!list)
		return -ENOMEM;
	for (char *item = strtok_r(list, ",", &save); item && !ret; item = strtok_r(NULL, ",", &save))
		ret = cli_net_item(n, item, err, errlen);
	if (!ret && (!!n->tap + (n->fd >= 0) + (n->nfds > 0)) != 1) {
		snprintf(err, errlen, "--net '%s': give exactly one of tap=NAME, fd=N or fds=A:B:..",
			 arg);
		ret = -EINVAL;
	}
	if (!ret && n->nfds && n->queues_set && n->queues != n->nfds) {
		snprintf(err, errlen, "--net '%s': queues=%u but fds= gives %u queues", arg, n->queues,
			 n->nfds);
		ret = -EINVAL;
	}
	if (!ret && n->nfds) {
		n->queues = n->nfds;
		n->queues_set = true;
	}
	free(list);
	return ret;
}
