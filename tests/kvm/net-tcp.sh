#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The probe's own minimal TCP against host sockets through minnow's virtio-net on a real tap:
# a 1 MiB stream out of the guest in 64 KiB TSO super-frames with partial checksums (delivered
# locally, and forwarded through a veth with offloads off into a second namespace, where the
# kernel segments and checksums them in software), the same without TSO (full checksums from
# the guest), with frames lost on purpose, and a 1 MiB stream into the guest with and without
# GUEST_TSO4 / GUEST_CSUM and MRG_RXBUF. Everything runs in two network namespaces this script
# creates and deletes (DESIGN §1). Each case checks the probe's report, what the host side
# received (every byte of the pattern, Tcp InCsumErrors, frames seen on the wire) and minnow's
# --metrics counters exactly.
set -euo pipefail
# shellcheck source=tests/kvm/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=tests/kvm/netlib.sh
source "$(dirname "$0")/netlib.sh"
require_kvm
minnow=$1 probe=$2

net_require
ethtool=$(PATH=$PATH:/usr/sbin:/sbin command -v ethtool) ||
	{ echo "SKIP: no ethtool(8) to turn the veth's offloads off"; exit 77; }

net_netns net-tcp
ns2=$ns-sink
net_more_ns+=("$ns2")
ip netns add "$ns2"
ns2x() { ip netns exec "$ns2" "$@"; }
for n in "$ns" "$ns2"; do
	net_ns_init "$n" net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0
done
nsx sysctl -qw net.ipv4.ip_forward=1
net_tap
# The forwarding path: ns (10.99.2.1, vf0) <-> ns2 (10.99.2.2, vf1), no offloads on either end,
# so a super-frame routed out of vf0 is segmented and checksummed by the kernel in software.
ip -n "$ns" link add vf0 type veth peer name vf1 netns "$ns2"
ip -n "$ns" addr add 10.99.2.1/24 dev vf0
ip -n "$ns2" addr add 10.99.2.2/24 dev vf1
ip -n "$ns" link set vf0 up
ip -n "$ns2" link set vf1 up
ip -n "$ns2" route add 10.99.1.0/24 via 10.99.2.1
nsx "$ethtool" -K vf0 tso off gso off tx off >/dev/null
ns2x "$ethtool" -K vf1 tso off gso off tx off >/dev/null
nsx "$ethtool" -k vf0 | grep -q '^tcp-segmentation-offload: off' ||
	fail "ethtool did not turn TSO off on vf0: $(nsx "$ethtool" -k vf0)"
nsx "$ethtool" -k vf0 | grep -q '^tx-checksumming: off' ||
	fail "ethtool did not turn TX checksumming off on vf0: $(nsx "$ethtool" -k vf0)"
port=5000
bytes=$((1 << 20))

# The host-side peer (sink or source): tests/kvm/tcp_peer.py.
peer_py=$(<"$(dirname "$0")/tcp_peer.py")

# The counters that must be 0 unless a case names them (metrics).
metrics_zero=tx_dropped,rx_dropped,rx_gso,tx_tso,tx_uso,tx_csum,rx_data_valid,rx_csum_partial,rx_merged

# Tcp InCsumErrors of a namespace (/proc/net/snmp is per namespace).
# shellcheck disable=SC2016
csum_errors() {
	ip netns exec "$1" awk '/^Tcp:/ { if (!h) { for (i = 1; i <= NF; i++) if ($i == "InCsumErrors") c = i; h = 1 } else print $c }' /proc/net/snmp
}

# Feature masks (probe.features): the default VERSION_1|EVENT_IDX|STATUS|MAC|MTU, then with
# CSUM (bit 0) and HOST_TSO4 (bit 11); GUEST_CSUM (bit 1), GUEST_TSO4 (bit 7), MRG_RXBUF (bit 15).
F=0x120010028
F_TSO=$((F | 0x801))
F_GCSUM=$((F | 0x2)) F_GTSO=$((F | 0x82)) F_MRG=$((F | 0x8000))

vm hello "probe.mode=net-hello"
mapfile -t v < <(jget "$dir/hello.out" features)
(( (v[0] & 0x883) == 0x883 )) ||
	fail "hello: minnow offers not all of CSUM, GUEST_CSUM, GUEST_TSO4, HOST_TSO4 (${v[0]}) on this tap"

# TX: the guest ARPs for the peer (or is told its MAC), opens the connection, sends the stream,
# closes; the sink checks every byte.
tx_case() { # NAME SINK-NS SINK-ADDR CAPTURE-IFACE FEATURES PROBE-ARGS
	local name=$1 where=$2 addr=$3 iface=$4 f=$5 extra=$6 b1 b2
	b1=$(csum_errors "$ns") b2=$(csum_errors "$ns2")
	peer "$name" "$where" sink "$addr" $port $bytes "$iface"
	vm "$name" "probe.mode=net-tcp-tx probe.ip=10.99.1.2 probe.peer=$addr probe.port=$port probe.bytes=$bytes probe.features=$f $extra"
	peer_wait "$name"
	expect "$name" "$dir/$name.out" bytes=$bytes dev_errors=0 bad=0 num_buffers_not_1=0
	expect "$name" "$dir/$name.peer" received=$bytes intact=true sport="$(jget "$dir/$name.out" sport)"
	[[ $(csum_errors "$ns") == "$b1" && $(csum_errors "$ns2") == "$b2" ]] ||
		fail "$name: Tcp InCsumErrors went from $b1/$b2 to $(csum_errors "$ns")/$(csum_errors "$ns2")"
}

# 1 MiB in super-frames of up to 44 MSS, delivered to a socket next to the tap. The capture on
# tap0 sees each super-frame whole (the kernel does not segment what it delivers locally).
tx_case tx-tso "$ns" 10.99.1.1 tap0 $F_TSO "probe.tso=1"
mapfile -t v < <(jget "$dir/tx-tso.out" tso_frames segments_sent retransmits mss us mbps)
(( v[0] > 0 )) || fail "tx-tso: no super-frame sent: $(cat "$dir/tx-tso.out")"
expect tx-tso "$dir/tx-tso.peer" wire_big="${v[0]}"
metrics tx-tso tx_packets=g:tx_frames rx_packets=g:rx_frames tx_tso=g:tso_frames \
	tx_csum=g:partial_frames
echo "ok: tx-tso: 1 MiB intact, ${v[0]} of ${v[1]} data frames TSO (largest on tap0" \
	"$(jget "$dir/tx-tso.peer" wire_max) bytes), MSS ${v[3]}, ${v[2]} retransmits, ${v[4]} us," \
	"${v[5]} Mbit/s"

# The same routed out of vf0 (no TSO, no TX checksum) into the second namespace: the kernel
# segments by the guest's gso_size and finishes each checksum from the guest's pseudo-header
# seed; the sink's stack verifies them (InCsumErrors) and sees no frame above the MTU.
vf0_before=$(nsx cat /sys/class/net/vf0/statistics/tx_packets)
tx_case tx-tso-forwarded "$ns2" 10.99.2.2 vf1 $F_TSO "probe.tso=1 probe.peer_mac=$tap_mac"
mapfile -t v < <(jget "$dir/tx-tso-forwarded.out" tso_frames wire_segments us mbps)
(( v[0] > 0 )) || fail "tx-tso-forwarded: no super-frame sent: $(cat "$dir/tx-tso-forwarded.out")"
expect tx-tso-forwarded "$dir/tx-tso-forwarded.peer" wire_big=0
vf0_sent=$(($(nsx cat /sys/class/net/vf0/statistics/tx_packets) - vf0_before))
(( vf0_sent >= v[1] )) ||
	fail "tx-tso-forwarded: vf0 sent $vf0_sent packets, fewer than the ${v[1]} segments the guest asked for"
metrics tx-tso-forwarded tx_packets=g:tx_frames rx_packets=g:rx_frames tx_tso=g:tso_frames \
	tx_csum=g:partial_frames
echo "ok: tx-tso-forwarded: 1 MiB intact in $ns2, ${v[0]} super-frames became $vf0_sent packets" \
	"on vf0, InCsumErrors $(csum_errors "$ns2"), ${v[2]} us, ${v[3]} Mbit/s"

# Without TSO: MSS-sized segments with checksums the guest computes, no offload at all.
tx_case tx-full-csum "$ns" 10.99.1.1 tap0 $F ""
mapfile -t v < <(jget "$dir/tx-full-csum.out" segments_sent us mbps retransmits rto_fired)
expect tx-full-csum "$dir/tx-full-csum.out" tso_frames=0 partial_frames=0
expect tx-full-csum "$dir/tx-full-csum.peer" wire_big=0
(( v[0] >= (bytes + 1459) / 1460 )) ||
	fail "tx-full-csum: ${v[0]} data frames cannot carry 1 MiB in 1460-byte segments"
metrics tx-full-csum tx_packets=g:tx_frames rx_packets=g:rx_frames
echo "ok: tx-full-csum: 1 MiB intact in ${v[0]} segments, InCsumErrors $(csum_errors "$ns")," \
	"${v[3]} retransmits, ${v[4]} timeouts, ${v[1]} us, ${v[2]} Mbit/s"

# MSS-sized segments with partial checksums (NEEDS_CSUM, no GSO): the host finishes each one.
tx_case tx-csum-offload "$ns" 10.99.1.1 tap0 $((F | 0x1)) "probe.csum_offload=1"
mapfile -t v < <(jget "$dir/tx-csum-offload.out" segments_sent partial_frames tx_frames us mbps \
	arp_requests)
# Every frame but the ARP request asks for a partial checksum.
expect tx-csum-offload "$dir/tx-csum-offload.out" tso_frames=0 partial_frames=$((v[2] - v[5]))
expect tx-csum-offload "$dir/tx-csum-offload.peer" wire_big=0
metrics tx-csum-offload tx_packets=g:tx_frames rx_packets=g:rx_frames tx_csum=g:partial_frames
echo "ok: tx-csum-offload: 1 MiB intact in ${v[0]} segments, ${v[1]} partial checksums finished" \
	"by the host, ${v[3]} us, ${v[4]} Mbit/s"

# Every 5th data frame lost before it reaches the device: the peer's duplicate ACKs (or the RTO)
# make the guest go back and resend; the stream still arrives exactly once, in order.
tx_case tx-tso-loss "$ns" 10.99.1.1 - $F_TSO "probe.tso=1 probe.drop=5"
mapfile -t v < <(jget "$dir/tx-tso-loss.out" dropped retransmits fast_retransmits rto_fired us)
(( v[0] > 0 && v[1] > 0 )) || fail "tx-tso-loss: nothing dropped or resent: $(cat "$dir/tx-tso-loss.out")"
metrics tx-tso-loss tx_packets=g:tx_frames rx_packets=g:rx_frames tx_tso=g:tso_frames \
	tx_csum=g:partial_frames
echo "ok: tx-tso-loss: 1 MiB intact with ${v[0]} frames lost, ${v[1]} resent (${v[2]} fast" \
	"retransmits, ${v[3]} timeouts), ${v[4]} us"

# RX: the guest listens, says "ready" (after ARPing for the peer), the host connects and sends
# 1 MiB from a socket (CHECKSUM_PARTIAL skbs: NEEDS_CSUM with GUEST_CSUM; GSO skbs reach the
# guest whole once minnow has set TUN_F_TSO4). The guest checks every byte and every checksum.
ip -n "$ns" neigh replace 10.99.1.2 lladdr $guest_mac dev tap0 nud permanent
rx_case() { # NAME FEATURES PROBE-ARGS GSO(0|+) PARTIAL(0|all) MERGED(0|+)
	local name=$1 f=$2 extra=$3 gso=$4 partial=$5 merged=$6
	peer "$name" "$ns" source $port $bytes
	vm "$name" "probe.mode=net-tcp-rx probe.ip=10.99.1.2 probe.peer=10.99.1.1 probe.port=$port probe.bytes=$bytes probe.features=$f $extra"
	peer_wait "$name"
	expect "$name" "$dir/$name.out" bytes=$bytes bad=0 data_valid=0 dev_errors=0 \
		num_buffers_not_1=0
	expect "$name" "$dir/$name.peer" sent=$bytes eof=true
	mapfile -t v < <(jget "$dir/$name.out" frames gso_frames csum_partial frames_in rx_merged \
		max_frame us mbps ooo dup)
	if [[ $gso == 0 ]]; then
		(( v[1] == 0 && v[5] <= 1514 )) || fail "$name: super-frames without GUEST_TSO4: $(cat "$dir/$name.out")"
	else
		(( v[1] > 0 && v[5] > 1514 )) || fail "$name: no super-frame arrived: $(cat "$dir/$name.out")"
	fi
	if [[ $partial == 0 ]]; then
		(( v[2] == 0 )) || fail "$name: NEEDS_CSUM without GUEST_CSUM: $(cat "$dir/$name.out")"
	else
		(( v[2] == v[3] )) || fail "$name: ${v[2]} of ${v[3]} frames NEEDS_CSUM: $(cat "$dir/$name.out")"
	fi
	if [[ $merged == 0 ]]; then
		(( v[4] == 0 )) || fail "$name: merged frames: $(cat "$dir/$name.out")"
	else
		(( v[4] > 0 )) || fail "$name: no merged frame: $(cat "$dir/$name.out")"
	fi
	metrics "$name" tx_packets=g:tx_frames rx_packets=g:rx_frames rx_gso=g:gso_frames \
		rx_csum_partial=g:csum_partial rx_merged=g:rx_merged
	echo "ok: $name: 1 MiB verified in ${v[0]} data frames (${v[1]} GSO, largest ${v[5]} bytes," \
		"${v[2]} NEEDS_CSUM, ${v[4]} merged, ${v[8]} out of order, ${v[9]} duplicate)," \
		"${v[6]} us, ${v[7]} Mbit/s"
}
rx_case rx-plain $F "" 0 0 0
rx_case rx-gso $F_GTSO "" + all 0
rx_case rx-gso-mrg $((F_GTSO | F_MRG)) "" + all +
rx_case rx-csum-mrg $((F_GCSUM | F_MRG)) "probe.rxbuf=1024" 0 all +
# Every 50th frame of new data ignored by the guest, as if lost: it holds what comes after the
# gap (as byte ranges, checked), answers each such frame with a duplicate ACK, the host's fast
# retransmit fills the gap, and the stream still completes byte for byte.
rx_case rx-loss $F_GCSUM "probe.drop=50 probe.timeout_ms=10000" 0 all 0
mapfile -t v < <(jget "$dir/rx-loss.out" dropped ooo)
(( v[0] > 0 && v[1] > 0 )) || fail "rx-loss: nothing dropped or out of order: $(cat "$dir/rx-loss.out")"
echo "ok: rx-loss: ${v[0]} frames ignored, ${v[1]} frames held beyond a gap, stream complete"
