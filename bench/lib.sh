# SPDX-License-Identifier: MIT
# Sourced by bench/run.sh and bench/dev.sh: the tap both benchmarks put in their namespace, and
# the file of facts each hands its report.
# shellcheck shell=bash

# netns_tap NS GUEST_MAC: in namespace NS (the caller makes it and deletes it on every exit
# path) tap0 with a vnet header at 10.99.1.1/24 and the guest 10.99.1.2 as a permanent
# neighbour, so no timed run waits for ARP; IPv6 off, so no router solicitation or MLD report
# reaches the tap during a run.
netns_tap() {
	local ns=$1 mac=$2

	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1 2>/dev/null || true
	ip -n "$ns" link set lo up
	ip -n "$ns" tuntap add dev tap0 mode tap vnet_hdr
	ip -n "$ns" addr add 10.99.1.1/24 dev tap0
	ip -n "$ns" link set tap0 up
	ip -n "$ns" neigh replace 10.99.1.2 lladdr "$mac" dev tap0 nud permanent
}

# bench_meta FILE KEY=VALUE...: the run's facts as one JSON object (values need no quoting)
bench_meta() {
	local file=$1
	shift
	printf '%s\0' "$@" | python3 -c 'import json, sys
json.dump(dict(kv.split("=", 1) for kv in sys.stdin.read().split("\0") if kv),
          open(sys.argv[1], "w"), indent=1)' "$file"
}
