# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# Shared by the kvm net-* scripts: the netns with its tap, the python3 peer, minnow runs, checks.
# The sourcing script sets minnow and probe (vm), peer_py (peer) and metrics_zero (metrics), and
# uses tap_mac and net_udp_py.
# shellcheck disable=SC2034,SC2154

guest_mac=52:54:00:12:34:56

# net_require: SKIP (77) without tun/tap, iproute2, python3 or working network namespaces; sets
# py to the interpreter itself, not a version-manager shim (which costs ~0.1 s a start).
net_require() {
	[[ -c /dev/net/tun ]] || { echo "SKIP: /dev/net/tun is missing (no tun/tap driver)"; exit 77; }
	command -v ip >/dev/null || { echo "SKIP: no ip(8) (iproute2) for network namespaces"; exit 77; }
	command -v python3 >/dev/null || { echo "SKIP: no python3 for the host-side peer"; exit 77; }
	ip netns list >/dev/null 2>&1 || { echo "SKIP: ip netns does not work here"; exit 77; }
	py=$(python3 -c 'import sys; print(sys.executable)')
}

# net_netns NAME: the network namespace ns (minnow-NAME-PID-N) and the folder dir, both gone when
# the script exits, with the peer (peer_pid) and the namespaces in net_more_ns; SKIP (77) if no
# namespace can be made. A net_cleanup_hook the script defines runs first.
net_more_ns=()
net_netns() {
	ns=minnow-$1-$$-$RANDOM
	dir=$(mktemp -d)
	peer_pid=
	trap net_cleanup EXIT
	if ! ip netns add "$ns" 2>"$dir/netns.err"; then
		echo "SKIP: cannot create a network namespace: $(cat "$dir/netns.err")"
		exit 77
	fi
}

net_cleanup() {
	local n
	set +e
	if declare -F net_cleanup_hook >/dev/null; then
		net_cleanup_hook
	fi
	if [[ -n $peer_pid ]]; then
		kill "$peer_pid" 2>/dev/null
		wait "$peer_pid" 2>/dev/null
	fi
	ip netns del "$ns" 2>/dev/null
	for n in "${net_more_ns[@]}"; do
		ip netns del "$n" 2>/dev/null
	done
	rm -rf "$dir"
}

nsx() { ip netns exec "$ns" "$@"; }

# net_ns_init NETNS [SYSCTL=VALUE...]: no IPv6 chatter (router solicitations, MLD) in NETNS, so
# every frame on the tap is one a case sent; the sysctls; lo up.
net_ns_init() {
	local n=$1
	shift
	ip netns exec "$n" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1 2>/dev/null || true
	if (($#)); then
		ip netns exec "$n" sysctl -qw "$@"
	fi
	ip -n "$n" link set lo up
}

# net_tap [FLAG...]: tap0 (vnet_hdr, the FLAGs of ip tuntap such as multi_queue, and multi_queue
# if net_tap_mq is set) in ns, 10.99.1.1/24, up; sets tap_mac.
# shellcheck disable=SC2120 # the flags are optional
net_tap() {
	ip -n "$ns" tuntap add dev tap0 mode tap vnet_hdr ${net_tap_mq:+multi_queue} "$@"
	ip -n "$ns" addr add 10.99.1.1/24 dev tap0
	ip -n "$ns" link set tap0 up
	tap_mac=$(nsx cat /sys/class/net/tap0/address)
}

# net_guest_tap NAME [SYSCTL=VALUE...]: the usual start of a script: the checks (net_require), the
# namespace (net_netns, net_ns_init), tap0 (net_tap), and the guest's MAC known to the host, so
# that the host never ARPs for 10.99.1.2.
net_guest_tap() {
	local name=$1
	shift
	net_require
	net_netns "$name"
	net_ns_init "$ns" "$@"
	# shellcheck disable=SC2119 # no flags: a plain tap
	net_tap
	ip -n "$ns" neigh replace 10.99.1.2 lladdr $guest_mac dev tap0 nud permanent
}

# Python for the UDP peers: the datagram pattern (index i in the first 4 bytes), the Internet
# checksum, and a frame's IPv4 and UDP checksums (a partial one finished first).
net_udp_py='
def pattern(i, n):
    b = bytearray((i + k) & 0xff for k in range(n))
    if n >= 4:
        b[0:4] = struct.pack(">I", i)
    return bytes(b)

def csum(data, s=0):
    if len(data) & 1:
        data += b"\0"
    s += sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return s

def udp_ok(ip, partial):
    ihl = (ip[0] & 15) * 4
    udp = bytearray(ip[ihl:struct.unpack("!H", ip[2:4])[0]])
    if partial:  # the field holds the pseudo-header sum: finish it as a NIC would
        struct.pack_into("!H", udp, 6, ~csum(bytes(udp)) & 0xffff)
    pseudo = ip[12:20] + struct.pack("!BBH", 0, 17, len(udp))
    return csum(pseudo + bytes(udp)) == 0xffff and csum(bytes(ip[:ihl])) == 0xffff
'

# jget FILE KEY...: members of the last JSON line in FILE (booleans as true/false), one a line.
json_py='
import json, sys
d = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")][-1]
if sys.argv[2] == "--expect":  # KEY=VALUE...: print the members that differ
    for kv in sys.argv[3:]:
        k, v = kv.split("=", 1)
        got = json.dumps(d.get(k)).strip("\"")
        if got != v:
            print("%s is %s, want %s" % (k, got, v))
else:
    for k in sys.argv[2:]:
        print(json.dumps(d.get(k)).strip("\""))
'
jget() { "$py" -c "$json_py" "$@"; }

# expect NAME FILE KEY=VALUE...: the members of FILE's JSON line as named.
expect() {
	local name=$1 file=$2 bad
	shift 2
	bad=$(jget "$file" --expect "$@")
	[[ -z $bad ]] || fail "$name: $bad: $(cat "$file")"
}

# peer NAME NETNS ARGS...: starts peer_py in NETNS and waits until its sockets are bound.
peer() {
	local name=$1 where=$2
	shift 2
	rm -f "$dir/flag"
	# ip netns exec execs the command: $! is the peer itself.
	ip netns exec "$where" "$py" -c "$peer_py" "$@" "$dir/flag" >"$dir/$name.peer" 2>&1 &
	peer_pid=$!
	for _ in $(seq 200); do
		[[ -e $dir/flag ]] && return
		kill -0 "$peer_pid" 2>/dev/null || break
		sleep 0.02
	done
	fail "$name: the peer did not start: $(cat "$dir/$name.peer")"
}

peer_wait() {
	wait "$peer_pid" || fail "$1: the peer failed: $(cat "$dir/$1.peer")"
	peer_pid=
}

# vm NAME PROBE-ARGS [NET-OPTIONS]: minnow in the netns; exit 0 and a report without "error".
# MINNOW_TEST_USER=USER: minnow becomes USER after set-up (--user), and must still write its
# metrics into $dir.
vm() {
	local name=$1 args=$2 net=${3:-} status=0 user=()
	if [[ -n ${MINNOW_TEST_USER:-} ]]; then
		user=(--user "$MINNOW_TEST_USER")
		chmod 0777 "$dir"
	fi
	nsx timeout 20 "$minnow" run -k "$probe" --net "tap=tap0,mac=$guest_mac$net" "${user[@]}" \
		--metrics "$dir/$name.json" -p "$args" </dev/null >"$dir/$name.out" 2>"$dir/$name.err" ||
		status=$?
	[[ $status -eq 0 ]] || fail "$name: minnow exit $status: $(cat "$dir/$name.out" "$dir/$name.err")"
	! grep -q '"error"' "$dir/$name.out" || fail "$name: $(cat "$dir/$name.out")"
}

# Checks minnow's metrics: every drop, offload error and driver error 0, no broken queue, the
# counters in argv[3] (comma-separated) 0 unless named, then the named net counters (KEY=VALUE;
# VALUE "g:KEY" is the probe line's KEY).
net_check_py='
import json, sys
m = json.load(open(sys.argv[1]))
g = json.loads([l for l in open(sys.argv[2]) if l.startswith("{\"probe\"")][-1])
zero, kvs = sys.argv[3].split(","), sys.argv[4:]
d = m["devices"][0]
n, errs = d["net"], []
for k, v in list(n["drops"].items()) + list(n["tx_offload_errors"].items()) + \
        list(d["transport"]["driver_errors"].items()):
    if v:
        errs.append("%s=%d" % (k, v))
named = [kv.split("=")[0] for kv in kvs]
for k in zero:
    if n[k] and k not in named:
        errs.append("%s=%d" % (k, n[k]))
for q in d["queues"]:
    if q["broken"] != "no" or q["bad_chains"]["total"]:
        errs.append("queue %s" % q)
for kv in kvs:
    k, v = kv.split("=")
    want = g[v[2:]] if v.startswith("g:") else int(v)
    if n[k] != want:
        errs.append("%s=%d, want %s (%s)" % (k, n[k], want, v))
print("; ".join(errs))
'

# metrics NAME KEY=VALUE...: net_check_py on NAME's metrics, metrics_zero the counters to be 0.
metrics() {
	local name=$1 bad
	shift
	bad=$("$py" -c "$net_check_py" "$dir/$name.json" "$dir/$name.out" "$metrics_zero" "$@") ||
		fail "$name: cannot read the metrics"
	[[ -z $bad ]] || fail "$name: minnow counters: $bad"
}
