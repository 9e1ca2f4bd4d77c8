#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Runs one case of the 'net' suite's harness inside a network namespace this script creates and
# deletes on every exit path (DESIGN §1): tapA, the tap minnow's device attaches to (10.99.1.1/24,
# the guest 10.99.1.2 behind it), and tapB, a plain tap the harness reads and writes as the peer
# (10.99.2.1/24, the peer 10.99.2.2 behind it), with IPv4 forwarding between them and static
# neighbours, so no ARP and nothing addressed outside the namespace.
# Usage: net.sh HARNESS CASE [HARNESS-OPTIONS...]
#   CASEs tx-tso6 and tx-soft-equal6 also set up IPv6 (fd99:1::/64, fd99:2::/64); every other
#   case disables IPv6 so that no background traffic (router solicitations, MLD) reaches the taps.
#   CASE rx-eagain gives tapA a txqueuelen of 5; CASE mq makes tapA multi_queue.
set -euo pipefail
harness=$1 case=$2
shift 2

skip() {
	echo "SKIP: $*"
	exit 77
}
[[ $(id -u) == 0 ]] || skip "not root: tap devices and network namespaces need CAP_NET_ADMIN"
[[ -c /dev/net/tun ]] || skip "/dev/net/tun is missing (no tun/tap driver)"
command -v ip >/dev/null || skip "no ip(8) (iproute2) for network namespaces"

ns=minnow-net-$case-$$
guest_mac=02:00:00:00:00:02 # the harness's device MAC (tests/net/harness.c)
peer_mac=02:00:00:00:00:01  # made up: the peer behind tapB is the harness itself
pid=
# shellcheck disable=SC2317 # called by the trap
cleanup() {
	set +e
	if [[ -n $pid ]]; then
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	fi
	ip netns del "$ns" 2>/dev/null
}
trap cleanup EXIT
trap 'exit 143' TERM
trap 'exit 130' INT
if ! err=$(ip netns add "$ns" 2>&1); then
	skip "cannot create a network namespace: $err"
fi
nsx() { ip netns exec "$ns" "$@"; }

ip -n "$ns" link set lo up
if [[ $case == tx-tso6 || $case == tx-soft-equal6 ]]; then
	# Before the taps exist, so that they inherit it: no DAD, no router solicitations.
	nsx sysctl -qw net.ipv6.conf.all.forwarding=1 net.ipv6.conf.default.accept_dad=0 \
		net.ipv6.conf.default.router_solicitations=0
else
	nsx sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
fi
nsx sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.all.rp_filter=0 \
	net.ipv4.conf.default.rp_filter=0
if [[ $case == mq ]]; then
	ip -n "$ns" tuntap add dev tapA mode tap vnet_hdr multi_queue
else
	ip -n "$ns" tuntap add dev tapA mode tap vnet_hdr
fi
ip -n "$ns" tuntap add dev tapB mode tap
if [[ $case == rx-eagain ]]; then
	ip -n "$ns" link set tapA txqueuelen 5
fi
ip -n "$ns" addr add 10.99.1.1/24 dev tapA
ip -n "$ns" addr add 10.99.2.1/24 dev tapB
ip -n "$ns" link set tapA up
ip -n "$ns" link set tapB up
ip -n "$ns" neigh add 10.99.1.2 lladdr $guest_mac dev tapA nud permanent
ip -n "$ns" neigh add 10.99.2.2 lladdr $peer_mac dev tapB nud permanent
if [[ $case == tx-tso6 || $case == tx-soft-equal6 ]]; then
	ip -n "$ns" -6 addr add fd99:1::1/64 dev tapA nodad
	ip -n "$ns" -6 addr add fd99:2::1/64 dev tapB nodad
	ip -n "$ns" -6 neigh add fd99:1::2 lladdr $guest_mac dev tapA nud permanent
	ip -n "$ns" -6 neigh add fd99:2::2 lladdr $peer_mac dev tapB nud permanent
fi

# In the background, so that a TERM from meson's timeout reaches the trap at once; ip netns exec
# execs the harness, so $! is the harness itself.
ip netns exec "$ns" "$harness" "$case" --tapa tapA --tapb tapB "$@" &
pid=$!
set +e
wait "$pid"
rc=$?
pid=
set -e
if [[ $rc != 0 ]]; then
	echo "# namespace $ns at the failure:"
	ip -n "$ns" -s link show tapA 2>&1 | sed 's/^/#   /' || true
	ip -n "$ns" -s link show tapB 2>&1 | sed 's/^/#   /' || true
fi
exit "$rc"
