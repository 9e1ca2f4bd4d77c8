#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Debugging a virtio-net driver with minnow, on a real tap in a network namespace this script
# creates and deletes (DESIGN §1): --trace lines carry the queue, head, indices and lengths of
# what the probe sends; --trace off prints nothing; --virtio-strict on the NIC's own rules (a bad
# offload request from probe.mode=net-hostile) counts, logs, or dumps the device and exits 5.
set -euo pipefail
# shellcheck source=tests/kvm/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=tests/kvm/netlib.sh
source "$(dirname "$0")/netlib.sh"
require_kvm
minnow=$1 probe=$2

# Nothing but the probe's datagrams on the tap: no ARP either way, a socket that takes them.
net_guest_tap net-debug
port=5000
rm -f "$dir/flag"
# ip netns exec execs the command: $! is the sink itself, which net_cleanup kills.
ip netns exec "$ns" "$py" -c 'import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("10.99.1.1", int(sys.argv[1])))
open(sys.argv[2], "w").close()
time.sleep(600)' $port "$dir/flag" >/dev/null 2>&1 &
peer_pid=$!
for _ in $(seq 200); do
	[[ -e $dir/flag ]] && break
	sleep 0.02
done
[[ -e $dir/flag ]] || fail "the UDP sink did not start"
ip4="probe.ip=10.99.1.2 probe.peer=10.99.1.1 probe.port=$port probe.peer_mac=$tap_mac"
dev='virtio-net@0xd0000000'
F_CSUM=0x120010029

# run NAME WANT-STATUS PROBE-ARGS [MINNOW-OPTION...]: one minnow run in the netns.
run() {
	local name=$1 want=$2 args=$3 status=0
	shift 3
	nsx timeout 20 "$minnow" run -m 64M -k "$probe" --net "tap=tap0,mac=$guest_mac" \
		--metrics "$dir/$name.json" "$@" -p "$args" </dev/null >"$dir/$name.out" \
		2>"$dir/$name.err" || status=$?
	[[ $status -eq $want ]] ||
		fail "$name: exit $status, expected $want: $(cat "$dir/$name.out" "$dir/$name.err")"
}

# lines NAME COUNT REGEX: exactly COUNT lines of NAME's stderr match REGEX (extended, whole line).
lines() {
	local n
	n=$(grep -cxE "$3" "$dir/$1.err" || true)
	[[ $n -eq $2 ]] || fail "$1: $n lines match /$3/, expected $2: $(head -40 "$dir/$1.err")"
}

# heads NAME REGEX: the head numbers (first group after "head ") of the matching lines, in order.
heads() {
	grep -xE "$2" "$dir/$1.err" | sed -E 's/.* head ([0-9]+).*/\1/' | tr '\n' ' '
}

# -- trace: 3 datagrams of 100 bytes (142-byte frames, 154 bytes with the vnet header) --
ts='minnow: trace [0-9]+\.[0-9]{6}'
udp_tx() { # NAME FEATURES EXTRA [MINNOW-OPTION...]
	local name=$1 f=$2 extra=$3
	shift 3
	run "$name" 0 "probe.mode=net-udp-tx $ip4 probe.count=3 probe.size=100 probe.features=$f $extra" "$@"
	grep -q '"sent":3,' "$dir/$name.out" || fail "$name: $(cat "$dir/$name.out")"
}
check_tx_trace() { # NAME FLAGS CSUM_START CSUM_OFFSET CATEGORIES-REGEX
	local name=$1 cats=$5 pop net used
	pop="$ts virtq: $dev: queue 1 pop head [0-9]+ \\(avail slot [0-9]+ of idx [0-9]+\\): 1 out 154 bytes, 0 in 0 bytes"
	net="$ts net: $dev: TX head [0-9]+ frame 142 flags $2 gso_type 0 gso_size 0 csum_start $3 csum_offset $4: send"
	used="$ts virtq: $dev: queue 1 used head [0-9]+ len 0 \\(slot [0-9]+\\)"
	lines "$name" 3 "$pop"
	lines "$name" 3 "$net"
	lines "$name" 3 "$used"
	lines "$name" 3 "$ts uring: $dev: sqe writev tx [0-9]+, header \\+ 1 guest pieces, 142 bytes(, linked to the next)?"
	lines "$name" 3 "$ts uring: $dev: cqe writev tx [0-9]+ res 154"
	# The same three chains all along: taken, sent, returned.
	[[ $(heads "$name" "$pop") == "$(heads "$name" "$net")" ]] ||
		fail "$name: popped heads $(heads "$name" "$pop"), sent $(heads "$name" "$net")"
	[[ $(heads "$name" "$pop" | tr ' ' '\n' | sort -n) == "$(heads "$name" "$used" | tr ' ' '\n' | sort -n)" ]] ||
		fail "$name: popped heads $(heads "$name" "$pop"), used $(heads "$name" "$used")"
	lines "$name" 0 "$ts net: $dev: RX .*"
	# The first used batch with EVENT_IDX always interrupts (§2.7.10.1).
	[[ $(grep -cE "^$ts irq: $dev: gsi 5 raised, InterruptStatus bits 0x1$" "$dir/$name.err") -ge 1 ]] ||
		fail "$name: no interrupt traced: $(grep irq: "$dir/$name.err")"
	# Nothing else on stderr: only the categories asked for, each line a trace line.
	[[ $(grep -cvE "^$ts ($cats): $dev: " "$dir/$name.err") -eq 0 ]] ||
		fail "$name: other lines on stderr: $(grep -vE "^$ts ($cats): " "$dir/$name.err" | head)"
	echo "ok: $name: heads $(heads "$name" "$pop")"
}
udp_tx trace-tx '0x120010028' '' --trace net,virtq,uring,irq
check_tx_trace trace-tx 0x0 0 0 "virtq|net|uring|irq"
# Checksum offload: NEEDS_CSUM, the UDP checksum at 14 + 20 + 6.
udp_tx trace-tx-csum $F_CSUM 'probe.csum_offload=1' --trace all
check_tx_trace trace-tx-csum 0x1 34 6 "mmio|virtq|net|uring|irq"
# mmio (in --trace all): the driver's register accesses, e.g. MagicValue and the Status writes.
lines trace-tx-csum 1 "$ts mmio: $dev: read  0x000 -> 0x74726976"
lines trace-tx-csum 1 "$ts mmio: $dev: write 0x070 <- 0xf"

# Off: not a line.
udp_tx trace-off '0x120010028' ''
[[ ! -s $dir/trace-off.err ]] || fail "trace-off: $(head "$dir/trace-off.err")"
echo "ok: trace-off: nothing on stderr"

# -- strict mode on the NIC: csum_offset 10 (neither TCP's 16 nor UDP's 6) on TX head 3 --
bad="TX frame dropped: bad offload request \\(csum_offset\\), flags 0x1 gso_type 0 csum_start 34 csum_offset 10"
hostile() { # NAME WANT-STATUS [MINNOW-OPTION...]
	local name=$1 want=$2
	shift 2
	run "$name" "$want" "probe.mode=net-hostile probe.case=tx_csum_offset_10 $ip4 probe.size=64" "$@"
}
# metric NAME PATH VALUE: one --metrics member (PATH in python's syntax) as expected.
metric() {
	local got
	got=$("$py" -c 'import json, sys; print(eval("m" + sys.argv[2], {"m": json.load(open(sys.argv[1]))}))' \
		"$dir/$1.json" "$2") || fail "$1: cannot read the metrics"
	[[ $got == "$3" ]] || fail "$1: $2 is $got, expected $3: $(cat "$dir/$1.json")"
}
for mode in off warn; do
	hostile "strict-$mode" 0 --virtio-strict $mode
	grep -q '"ok":true' "$dir/strict-$mode.out" || fail "strict-$mode: $(cat "$dir/strict-$mode.out")"
	metric "strict-$mode" '["devices"][0]["net"]["tx_offload_errors"]["csum_offset"]' 1
	metric "strict-$mode" '["devices"][0]["net"]["tx_packets"]' 1
	metric "strict-$mode" '["devices"][0]["transport"]["violations"]' 1
done
lines strict-off 0 '.*'
lines strict-warn 1 "minnow: warn: $dev: $bad"
lines strict-warn 1 '.*'
echo "ok: strict off and warn: the bad frame dropped and counted, the good one sent"
hostile strict-abort 5 --virtio-strict abort
metric strict-abort '["exit"]["status"]' 5
metric strict-abort '["devices"][0]["net"]["tx_offload_errors"]["csum_offset"]' 1
metric strict-abort '["devices"][0]["transport"]["violations"]' 1
# (The good frame may still go out while minnow stops: the dump shows the moment of the violation.)
lines strict-abort 1 "minnow: virtio-strict: $dev: driver violation: $bad"
lines strict-abort 1 "  queue 1: size 256 ready 1 desc 0x[0-9a-f]+ avail 0x[0-9a-f]+ used 0x[0-9a-f]+ avail.idx 1 used.idx 0 next_avail 1 next_used 0 broken 0"
lines strict-abort 1 "  offending chain: queue 1 head 3"
lines strict-abort 1 "    desc 3: addr 0x[0-9a-f]+ len [0-9]+ flags 0x0 next [0-9]+"
echo "ok: strict abort: exit 5 with the TX queue and chain 3"
