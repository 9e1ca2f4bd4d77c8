#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# virtio-net multi-queue (probe.mode=net-mq) against minnow on a multi-queue tap: the probe
# negotiates MQ and CTRL_VQ, sets up every queue pair and the control queue, sends VQ_PAIRS_SET
# (VIRTIO_NET_OK), then 100 datagrams on each active TX queue; a python peer in the netns checks
# that each queue's datagrams reach the tap intact and in order, and through one tap queue of
# their own (a PACKET_FANOUT_QM group: one packet socket per tap queue). Then the peer sends 256
# datagrams from 16 flows into the tap, where the kernel picks a queue per flow: the probe checks
# that each arrives once, intact, on an active pair, each flow in order, and on more than one RX
# queue. minnow's --metrics must show the pairs, each queue's packets as the probe counted them,
# the one control command, and no drop. Everything runs in a network namespace this script creates
# and deletes (DESIGN §1).
set -euo pipefail
# shellcheck source=tests/kvm/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=tests/kvm/netlib.sh
source "$(dirname "$0")/netlib.sh"
require_kvm
minnow=$1 probe=$2

net_tap_mq=1
net_guest_tap net-mq
port=5000 peer_port=7000 flow_port=6000 count=100 rx_count=256 flows=16 size=64

# The peer: a UDP socket on 10.99.1.1:peer_port, and NQ packet sockets on tap0 in one fanout group
# by queue mapping (PACKET_FANOUT_QM: the frame a tap queue's fd wrote goes to socket (q + 1) %
# NQ). It records, for each guest source port (one per TX queue), the pattern indices in the
# order each socket saw them; on the guest's "ready" it sends RX datagrams (index i from source
# port flow_port + i % flows); 0.3 s after the last one it prints what it saw.
# shellcheck disable=SC2016
peer_py='
import json, select, socket, struct, sys, time
'"$net_udp_py"'
nq, pairs, count, port, peer_port, rx_count, flows, flow_port, size, flag = sys.argv[1:]
nq, pairs, count, port, peer_port, rx_count, flows, flow_port, size = map(int, (nq, pairs, count, port, peer_port, rx_count, flows, flow_port, size))
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, 33, 8 << 20)  # SO_RCVBUFFORCE
s.bind(("10.99.1.1", peer_port))
fan = []
for k in range(nq):
    p = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0800))
    p.setsockopt(socket.SOL_SOCKET, 33, 8 << 20)
    p.bind(("tap0", 0))
    p.setsockopt(263, 18, 77 | (5 << 16))  # SOL_PACKET, PACKET_FANOUT: group 77, PACKET_FANOUT_QM
    fan.append(p)
flow = []
for f in range(flows):
    t = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    t.bind(("10.99.1.1", flow_port + f))
    flow.append(t)
open(flag, "w").close()
seen = {}  # source port -> {socket: [indices]}
dgrams, bad, ready, end = 0, 0, None, time.time() + 15
while time.time() < end and (ready is None or time.time() < ready + 0.3):
    r, _, _ = select.select([s] + fan, [], [], 0.05)
    if s in r:
        data, addr = s.recvfrom(65536)
        if data == b"ready":
            for i in range(rx_count):
                flow[i % flows].sendto(pattern(i, size), addr[:1] + (port,))
            ready = time.time()
        elif len(data) == size and data == pattern(struct.unpack(">I", data[:4])[0], size):
            dgrams += 1
        else:
            bad += 1
    for k, p in enumerate(fan):
        if p not in r:
            continue
        data, addr = p.recvfrom(65536)
        ip = data[14:]
        if addr[2] == 4 or ip[9] != 17:  # PACKET_OUTGOING, not UDP
            continue
        sport, dport = struct.unpack("!HH", ip[20:24])
        payload = ip[28:struct.unpack("!H", ip[2:4])[0]]
        if dport != peer_port or payload == b"ready":
            continue
        i = struct.unpack(">I", payload[:4])[0] if len(payload) >= 4 else -1
        seen.setdefault(sport, {}).setdefault(k, []).append(i)
# Per TX queue: every index once, in order on each tap queue, all through one tap queue.
in_order, one_tapq, tapq = 0, 0, []
for q in range(pairs):
    by = seen.get(port + q, {})
    idx = sorted(i for l in by.values() for i in l)
    in_order += idx == list(range(count)) and all(l == sorted(l) for l in by.values())
    one_tapq += len(by) == 1
    tapq.append(",".join(map(str, sorted(by))))
print(json.dumps(dict(dgrams=dgrams, bad=bad, ready=ready is not None, in_order=in_order,
                      one_tapq=one_tapq, distinct_tapq=len(set(tapq)),
                      tapq=";".join(tapq), foreign=sorted(set(seen) - set(range(port, port + pairs))))))
'

# The metrics: the net object's queue_pairs, queues (one entry per pair), ctrl and drops.
check_py='
import json, sys
m = json.load(open(sys.argv[1]))
g = [json.loads(l) for l in open(sys.argv[2]) if l.startswith("{\"probe\"")][-1]
maxp, pairs, count = map(int, sys.argv[3:6])
n = m["devices"][0]["net"]
errs = []
def want(what, have, v):
    if have != v:
        errs.append("%s=%s, want %s" % (what, have, v))
want("queue_pairs", n["queue_pairs"], {"max": maxp, "active": pairs})
want("queues", len(n["queues"]), maxp)
for q, e in enumerate(n["queues"]):
    want("queues[%d].pair" % q, e["pair"], q)
    want("queues[%d].tx_packets" % q, e["tx_packets"], g["queues"][q]["tx"])
    want("queues[%d].rx_packets" % q, e["rx_packets"], g["queues"][q]["rx"])
    want("queues[%d].rx_dropped" % q, e["rx_dropped"], 0)
    want("queues[%d].tx_dropped" % q, e["tx_dropped"], 0)
    want("queues[%d].interrupts" % q, e["interrupts"], 0)  # the probe polls, NO_INTERRUPT
want("tx_packets", n["tx_packets"], sum(e["tx"] for e in g["queues"]))
want("rx_packets", n["rx_packets"], sum(e["rx"] for e in g["queues"]))
c = n["ctrl"]
want("ctrl", (c["commands"], c["ok"], c["err"]), (1, 1, 0))
want("ctrl.errors", {k: v for k, v in c["errors"].items() if v}, {})
for k, v in list(n["drops"].items()) + list(n["tx_offload_errors"].items()) + \
        list(m["devices"][0]["transport"]["driver_errors"].items()):
    if v:
        errs.append("%s=%d" % (k, v))
print("; ".join(errs))
'

# mq NAME TAP_QUEUES PROBE_PAIRS EXTRA_NET [MINNOW_ARGS...]: one run; max_virtqueue_pairs is
# TAP_QUEUES, PROBE_PAIRS the pairs VQ_PAIRS_SET asks for.
mq() {
	local name=$1 nq=$2 pairs=$3 net=$4 status=0 bad v args
	shift 4
	peer "$name" "$ns" "$nq" "$pairs" $count $port $peer_port $rx_count $flows $flow_port $size
	args="probe.mode=net-mq probe.ip=10.99.1.2 probe.peer=10.99.1.1 probe.peer_mac=$tap_mac"
	args+=" probe.port=$port probe.peer_port=$peer_port probe.pairs=$pairs probe.count=$count"
	args+=" probe.rx_count=$rx_count probe.flows=$flows probe.flow_port=$flow_port probe.size=$size"
	nsx timeout 20 "$minnow" run -m 64M "$@" -k "$probe" --net "tap=tap0,mac=$guest_mac$net" \
		--metrics "$dir/$name.json" -p "$args" </dev/null >"$dir/$name.out" 2>"$dir/$name.err" ||
		status=$?
	peer_wait "$name"
	[[ $status -eq 0 ]] || fail "$name: minnow exit $status: $(cat "$dir/$name.out" "$dir/$name.err" "$dir/$name.peer")"
	expect "$name" "$dir/$name.out" max_pairs="$nq" pairs="$pairs" ctrl_ack=0 ctrl_len=1 \
		received=$rx_count bad=0 dup=0 reordered=0 inactive=0 dev_errors=0
	expect "$name" "$dir/$name.peer" dgrams=$((count * pairs)) bad=0 ready=true in_order="$pairs" \
		one_tapq="$pairs" distinct_tapq="$pairs" foreign="[]"
	bad=$("$py" -c "$check_py" "$dir/$name.json" "$dir/$name.out" "$nq" "$pairs" $count) ||
		fail "$name: cannot read the metrics: $(cat "$dir/$name.json")"
	[[ -z $bad ]] || fail "$name: minnow counters: $bad
probe: $(cat "$dir/$name.out")
metrics: $(cat "$dir/$name.json")"
	mapfile -t v < <(jget "$dir/$name.out" rx_queues_used flows_split us)
	echo "ok: $name: $pairs of $nq pairs, $count datagrams in order per TX queue" \
		"(tap queues $(jget "$dir/$name.peer" tapq)), $rx_count in over ${v[0]} RX queues" \
		"(${v[1]} flows split), ${v[2]} us"
}

mq mq-2 2 2 ,queues=2
mq mq-4 4 4 ,queues=4
# Two of four pairs active: the kernel must not hand the inactive pairs' tap queues a frame the
# guest never sees (§5.1.6.5.5: nothing on receive queues beyond VQ_PAIRS_SET).
mq mq-4-active-2 4 2 ,queues=4
# No queues=: one pair per vCPU.
mq mq-default-2cpus 2 2 "" -c 2

# No queues= on a single-queue tap: one pair whatever the vCPUs, so no MQ (CTRL_VQ still offered).
ip -n "$ns" tuntap add dev tap1 mode tap vnet_hdr
ip -n "$ns" link set tap1 up
status=0
nsx timeout 20 "$minnow" run -m 64M -c 2 -k "$probe" --net "tap=tap1,mac=$guest_mac" \
	--metrics "$dir/single.json" -p "probe.mode=net-hello" </dev/null >"$dir/single.out" \
	2>"$dir/single.err" || status=$?
[[ $status -eq 0 ]] || fail "single-queue: minnow exit $status: $(cat "$dir/single.out" "$dir/single.err")"
bad=$("$py" -c '
import json, sys
g = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{\"probe\"")][-1]
n = json.load(open(sys.argv[2]))["devices"][0]["net"]
f, errs = int(g["features"], 16), []
if f & (1 << 22) or not f & (1 << 17):
    errs.append("offer %#x: MQ (bit 22) offered or CTRL_VQ (bit 17) not" % f)
if n["queue_pairs"] != {"max": 1, "active": 1} or len(n["queues"]) != 1:
    errs.append("queue_pairs %s, %d queues" % (n["queue_pairs"], len(n["queues"])))
print("; ".join(errs))
' "$dir/single.out" "$dir/single.json") || fail "single-queue: cannot read the results: $(cat "$dir/single.out" "$dir/single.json")"
[[ -z $bad ]] || fail "single-queue: $bad"
echo "ok: single-queue tap, 2 vCPUs, no queues=: one pair, no MQ, $(jget "$dir/single.out" features)"
