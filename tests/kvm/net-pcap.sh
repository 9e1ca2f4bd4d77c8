#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# --net ...,pcap=FILE with the probe guest on a real tap: UDP with checksum offload (io=uring and
# io=sync), TCP with TSO and the host's ACKs, UDP into the guest with NEEDS_CSUM over merged
# buffers, hostile chains dropped with their reasons, a capture stopped by SIGTERM, and pcap=
# errors. tshark reads every file back; each case checks that the records match minnow's
# --metrics exactly (per direction, verdict and drop reason), that the direction flag matches
# the comment, and that the comments carry the virtio-net header the guest sent (TX) or minnow
# wrote (RX). Everything runs in a network namespace this script creates and deletes (DESIGN §1).
set -euo pipefail
# shellcheck source=tests/kvm/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=tests/kvm/netlib.sh
source "$(dirname "$0")/netlib.sh"
require_kvm
minnow=$1 probe=$2

net_require
tshark=$(command -v tshark) ||
	{ echo "SKIP: no tshark to read the capture back (tests/setup-host.sh installs it)"; exit 77; }
net_netns net-pcap
net_ns_init "$ns" net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0
net_tap
port=5000

# The host-side peer. sink: takes one TCP connection and reads it to EOF. send: waits for the
# guest's "ready" datagram and sends COUNT datagrams of SIZE bytes back (from a socket, so the
# kernel hands them to the tap CHECKSUM_PARTIAL). answer: replies to "ready:SIZE" with one
# datagram of SIZE bytes (the net-hostile RX cases' peer), until killed.
# shellcheck disable=SC2016
peer_py='
import json, socket, struct, sys
'"$net_udp_py"'
a = sys.argv[1:]
if a[0] == "sink":
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("10.99.1.1", int(a[1])))
    s.listen(1)
    open(a[2], "w").close()
    s.settimeout(15)
    c, _ = s.accept()
    c.settimeout(15)
    n = 0
    while True:
        d = c.recv(1 << 20)
        if not d:
            break
        n += len(d)
    print(json.dumps(dict(received=n)))
else:
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind(("10.99.1.1", int(a[1])))
    open(a[-1], "w").close()
    u.settimeout(15)
    while True:
        d, addr = u.recvfrom(2048)
        if a[0] == "answer" and d.startswith(b"ready:"):
            u.sendto(pattern(0, int(d[6:])), addr)
        elif a[0] == "send" and d == b"ready":
            for i in range(int(a[2])):
                u.sendto(pattern(i, int(a[3])), addr)
            print(json.dumps(dict(sent=int(a[2]))))
            break
'

# The records of a capture (tshark -T fields) against minnow's metrics and the probe's line.
# Always: tshark read the file; each record's direction flag matches its comment (TX outbound
# 2, RX inbound 1); no record truncated; per direction the records sent/delivered and dropped
# equal tx_packets/tx_dropped and rx_packets/rx_dropped, each drop reason as often as its
# counter; pcap_packets equals the records and pcap_dropped is 0. Then each further argument
# NAME:COND,COND... counts the records where every COND holds (KEY=VALUE; KEY is a comment key,
# dir, verdict, reason, or a field of the frame: dport, l4 (14 + the IP header length), hdrs (l4
# + the TCP header length), wire (frame length); VALUE may be @KEY, or g.KEY for the probe
# line's KEY), and prints {NAME: count} as a JSON line. With --lossy first, records may be
# missing as long as pcap_dropped counts each of them.
check_py='
import json, sys
recs, errs = [], []
for line in open(sys.argv[1]):
    f = line.rstrip("\n").split("|")
    # The first of several values: an ICMP error carries the headers of what it answers too.
    num, direction, wire, cap, dport, iphl, tcphl = (x.split(",")[0] for x in f[:7])
    comment = "|".join(f[7:])
    words = comment.split("; ")[0].split()
    r = dict(dir=words[0], direction=direction, wire=wire, cap=cap, dport=dport)
    for w in words[1:]:
        k, v = w.split("=", 1)
        r[k] = v
    if iphl:
        r["l4"] = str(14 + int(iphl))
        if tcphl:
            r["hdrs"] = str(14 + int(iphl) + int(tcphl))
    recs.append(r)
    want = {"tx": 2, "rx": 1}.get(words[0])
    if not direction or int(direction, 16) != want:
        errs.append("record %s: direction %s with comment %r" % (num, direction, comment))
    if wire != cap:
        errs.append("record %s: %s bytes captured of %s" % (num, cap, wire))
m = json.load(open(sys.argv[2]))["devices"][0]["net"]
g = ([json.loads(l) for l in open(sys.argv[3]) if l.startswith("{\"probe\"")] or [{}])[-1]
sels = sys.argv[4:]
lossy = sels[:1] == ["--lossy"]  # the ring may overflow: what is missing is pcap_dropped
sels = sels[lossy:]
def count(**kv):
    return sum(all(r.get(k) == v for k, v in kv.items()) for r in recs)
def differ(have, want):
    return have > want if lossy else have != want
for d, ok in (("tx", "sent"), ("rx", "delivered")):
    for verdict, metric in ((ok, d + "_packets"), ("dropped", d + "_dropped")):
        if differ(count(dir=d, verdict=verdict), m[metric]):
            errs.append("%s %s records: %d, %s %d" % (d, verdict, count(dir=d, verdict=verdict), metric, m[metric]))
reasons = dict(m["drops"])
reasons.update(("tx_offload_errors." + k, v) for k, v in m["tx_offload_errors"].items())
for r in recs:
    if r.get("reason") not in reasons and r.get("verdict") == "dropped":
        errs.append("unknown reason %s" % r.get("reason"))
for k, v in reasons.items():
    if differ(count(verdict="dropped", reason=k), v):
        errs.append("records dropped for %s: %d, metrics %d" % (k, count(verdict="dropped", reason=k), v))
total = sum(m[k] for k in ("tx_packets", "tx_dropped", "rx_packets", "rx_dropped"))
if m["pcap_packets"] != len(recs) or (m["pcap_dropped"] and not lossy) or m["pcap_truncated"] \
        or len(recs) + m["pcap_dropped"] != total:
    errs.append("%d records, pcap_packets %d, pcap_dropped %d, pcap_truncated %d" %
                (len(recs), m["pcap_packets"], m["pcap_dropped"], m["pcap_truncated"]))
out = dict(records=len(recs), pcap_dropped=m["pcap_dropped"], errors="; ".join(errs) or "none")
for sel in sels:
    name, conds = sel.split(":", 1)
    n = 0
    for r in recs:
        ok = True
        for c in conds.split(","):
            k, v = c.split("=", 1)
            v = r.get(v[1:]) if v.startswith("@") else str(g[v[2:]]) if v.startswith("g.") else v
            ok &= r.get(k) == v
        n += ok
    out[name] = n
print(json.dumps(out))
'

# peer_stop: ends a peer that serves until killed (answer).
peer_stop() {
	kill "$peer_pid"
	wait "$peer_pid" || true
	peer_pid=
}

# capture NAME SELECTORS...: tshark reads DIR/NAME.pcapng without a complaint; check_py's line
# in DIR/NAME.cap, its errors "none".
capture() {
	local name=$1 status=0
	shift
	"$tshark" -r "$dir/$name.pcapng" -T fields -E separator='|' -e frame.number \
		-e frame.packet_flags_direction -e frame.len -e frame.cap_len -e udp.dstport \
		-e ip.hdr_len -e tcp.hdr_len -e frame.comment >"$dir/$name.tsv" 2>"$dir/$name.tshark" ||
		status=$?
	[[ $status -eq 0 ]] || fail "$name: tshark exit $status: $(cat "$dir/$name.tshark")"
	! grep -v '^Running as user' "$dir/$name.tshark" | grep -q . ||
		fail "$name: tshark complained: $(cat "$dir/$name.tshark")"
	"$py" -c "$check_py" "$dir/$name.tsv" "$dir/$name.json" "$dir/$name.out" "$@" >"$dir/$name.cap" ||
		fail "$name: cannot check the capture: $(cat "$dir/$name.cap")"
	expect "$name" "$dir/$name.cap" errors=none
}

F=0x120010028
F_CSUM=$((F | 0x1)) F_TSO=$((F | 0x801)) F_GCSUM_MRG=$((F | 0x8002))
ip4="probe.ip=10.99.1.2 probe.peer=10.99.1.1 probe.port=$port"
UDP_CSUM="flags=0x1,gso_type=0,gso_size=0,hdr_len=0,csum_start=34,csum_offset=6,num_buffers=0"

# TX: 100 UDP datagrams with checksum offload (and the guest's ARP request, the host's reply).
udp_tx() { # NAME IO
	local name=$1
	peer "$name" "$ns" answer $port
	vm "$name" "probe.mode=net-udp-tx $ip4 probe.count=100 probe.size=1000 probe.features=$F_CSUM probe.csum_offload=1" \
		",io=$2,pcap=$dir/$name.pcapng"
	peer_stop
	metrics "$name" tx_packets=g:tx_frames rx_packets=g:rx_frames tx_csum=100
	capture "$name" "udp:dir=tx,verdict=sent,dport=$port" \
		"udp_hdr:dir=tx,verdict=sent,dport=$port,wire=1042,$UDP_CSUM" \
		"rx:dir=rx,verdict=delivered,flags=0x0,gso_type=0,num_buffers=1"
	expect "$name" "$dir/$name.cap" records="$(($(jget "$dir/$name.out" tx_frames) + \
		$(jget "$dir/$name.out" rx_frames)))" udp=100 udp_hdr=100 rx="$(jget "$dir/$name.out" rx_frames)"
	echo "ok: $name: $(jget "$dir/$name.cap" records) records = the metrics, 100 datagrams with" \
		"NEEDS_CSUM csum_start 34 csum_offset 6"
}
metrics_zero=tx_dropped,rx_dropped,rx_gso,tx_tso,tx_uso
udp_tx udp-tx-csum uring
udp_tx udp-tx-csum-sync sync

# TX: 1 MiB over the probe's TCP in TSO super-frames; RX: the host's ACKs.
name=tcp-tso
peer "$name" "$ns" sink $port
vm "$name" "probe.mode=net-tcp-tx $ip4 probe.bytes=1048576 probe.features=$F_TSO probe.tso=1" \
	",pcap=$dir/$name.pcapng"
peer_wait "$name"
expect "$name" "$dir/$name.peer" received=1048576
metrics_zero=tx_dropped,rx_dropped,rx_gso,tx_uso,rx_data_valid,rx_csum_partial,rx_merged
metrics "$name" tx_packets=g:tx_frames rx_packets=g:rx_frames tx_tso=g:tso_frames \
	tx_csum=g:partial_frames
# Every super-frame (gso_type 1, TCPV4) carries the guest's segment size, the checksum at the
# TCP header (csum_start 34 + offset 16), and hdr_len up to the end of the TCP header.
capture "$name" "tso:dir=tx,gso_type=1" \
	"tso_hdr:dir=tx,verdict=sent,flags=0x1,gso_type=1,gso_size=g.mss,csum_start=@l4,csum_offset=16,hdr_len=@hdrs,num_buffers=0" \
	"tso_34:dir=tx,gso_type=1,csum_start=34" \
	"rx:dir=rx,verdict=delivered,flags=0x0,gso_type=0,num_buffers=1"
mapfile -t v < <(jget "$dir/$name.out" tso_frames rx_frames mss)
((v[0] > 0)) || fail "$name: no super-frame: $(cat "$dir/$name.out")"
expect "$name" "$dir/$name.cap" tso="${v[0]}" tso_hdr="${v[0]}" tso_34="${v[0]}" rx="${v[1]}"
echo "ok: $name: ${v[0]} TSO records with gso_size ${v[2]}, csum 34+16 and hdr_len, ${v[1]} RX records"

# RX: 50 datagrams from a host socket (CHECKSUM_PARTIAL) with GUEST_CSUM and MRG_RXBUF over
# 512-byte buffers: minnow's header says NEEDS_CSUM at 34+6 and num_buffers 3 (1054 bytes).
ip -n "$ns" neigh replace 10.99.1.2 lladdr $guest_mac dev tap0 nud permanent
name=udp-rx-mrg
peer "$name" "$ns" send $port 50 1000
vm "$name" "probe.mode=net-udp-rx $ip4 probe.count=50 probe.size=1000 probe.features=$F_GCSUM_MRG probe.rxbuf=512" \
	",pcap=$dir/$name.pcapng"
peer_wait "$name"
expect "$name" "$dir/$name.out" received=50 bad=0 csum_partial=50 merged=50
metrics_zero=tx_dropped,rx_dropped,rx_gso,tx_tso,tx_uso,tx_csum,rx_data_valid
metrics "$name" tx_packets=g:tx_frames rx_packets=g:rx_frames rx_csum_partial=50 rx_merged=50
capture "$name" "rx_udp:dir=rx,dport=$port" \
	"rx_hdr:dir=rx,verdict=delivered,dport=$port,wire=1042,flags=0x1,gso_type=0,gso_size=0,csum_start=34,csum_offset=6,num_buffers=3"
expect "$name" "$dir/$name.cap" rx_udp=50 rx_hdr=50
echo "ok: $name: 50 RX records with NEEDS_CSUM 34+6 and num_buffers 3"

# Hostile chains (net-hostile.sh): the bad one dropped with its reason and the header the guest
# wrote, the good datagram after it sent; an RX buffer too small, dropped, then the datagram.
hostile() { # NAME PEER SELECTORS...
	local name=$1 status=0
	shift
	if [[ $1 == answer ]]; then
		peer "$name" "$ns" answer $port
	fi
	shift
	nsx timeout 20 "$minnow" run -m 64M -k "$probe" \
		--net "tap=tap0,mac=$guest_mac,pcap=$dir/$name.pcapng" --metrics "$dir/$name.json" \
		-p "probe.mode=net-hostile probe.case=$name $ip4 probe.peer_mac=$tap_mac probe.size=64" \
		</dev/null >"$dir/$name.out" 2>"$dir/$name.err" || status=$?
	if [[ -n $peer_pid ]]; then
		peer_stop
	fi
	[[ $status -eq 0 ]] || fail "$name: minnow exit $status: $(cat "$dir/$name.out" "$dir/$name.err")"
	grep -q "\"ok\":true" "$dir/$name.out" || fail "$name: $(cat "$dir/$name.out")"
	capture "$name" "$@"
}
hostile tx_csum_offset_10 - \
	"bad:dir=tx,verdict=dropped,reason=tx_offload_errors.csum_offset,flags=0x1,csum_start=34,csum_offset=10,gso_type=0,wire=g.bad_frame_len" \
	"good:dir=tx,verdict=sent,dport=$port,wire=g.good_len"
expect tx_csum_offset_10 "$dir/tx_csum_offset_10.cap" records=2 bad=1 good=1
hostile tx_chain_shorter_than_header - "bad:dir=tx,verdict=dropped,reason=tx_short_chain,hdr=none,wire=0" \
	"good:dir=tx,verdict=sent,dport=$port"
expect tx_chain_shorter_than_header "$dir/tx_chain_shorter_than_header.cap" records=2 bad=1 good=1
hostile rx_buffer_too_small answer "bad:dir=rx,verdict=dropped,reason=rx_small_buffer,hdr=none,wire=0" \
	"good:dir=rx,verdict=delivered,dport=$port,num_buffers=1" "ready:dir=tx,verdict=sent,dport=$port"
expect rx_buffer_too_small "$dir/rx_buffer_too_small.cap" records=3 bad=1 good=1 ready=1
echo "ok: hostile: tx_offload_errors.csum_offset (csum_offset=10 as sent), tx_short_chain and" \
	"rx_small_buffer records, each followed by the good packet"

# SIGTERM while the guest waits for datagrams that never come: the file is whole, and its records
# are those the metrics count.
name=sigterm
rm -f "$dir/$name.json"
# ip netns exec execs minnow: $! is minnow itself.
ip netns exec "$ns" "$minnow" run -k "$probe" --net "tap=tap0,mac=$guest_mac,pcap=$dir/$name.pcapng" \
	--metrics "$dir/$name.json" -p "probe.mode=net-udp-rx $ip4 probe.count=5" \
	</dev/null >"$dir/$name.out" 2>"$dir/$name.err" &
vm_pid=$!
for _ in $(seq 100); do
	[[ $(stat -c %s "$dir/$name.pcapng" 2>/dev/null || echo 0) -gt 200 ]] && break
	sleep 0.05
done
sleep 0.2
kill -TERM "$vm_pid"
status=0
wait "$vm_pid" || status=$?
[[ $status -eq 143 ]] || fail "$name: minnow exit $status, want 143: $(cat "$dir/$name.err")"
grep -q '"exit":{"reason":"signal","value":15,' "$dir/$name.json" ||
	fail "$name: metrics: $(cat "$dir/$name.json")"
capture "$name" "ready:dir=tx,dport=$port"
expect "$name" "$dir/$name.cap" ready=1
echo "ok: $name: exit 143, $(jget "$dir/$name.cap" records) records, the file whole"

# A flood: 50000 datagrams as fast as the guest can send them. The capture may fall behind (the
# I/O thread does not wait for it): each packet is then either in the file or in pcap_dropped,
# and the file is whole.
name=udp-flood
peer "$name" "$ns" answer $port
vm "$name" "probe.mode=net-udp-tx $ip4 probe.count=50000 probe.size=1000 probe.features=$F_CSUM probe.csum_offload=1" \
	",pcap=$dir/$name.pcapng"
peer_stop
expect "$name" "$dir/$name.out" sent=50000
capture "$name" --lossy
echo "ok: $name: 50000 datagrams sent, $(jget "$dir/$name.cap" records) records and" \
	"$(jget "$dir/$name.cap" pcap_dropped) counted in pcap_dropped, the file whole"

# Errors: a path that cannot be created (exit 1, named); pcap= empty (exit 2).
status=0
nsx "$minnow" run -k "$probe" --net "tap=tap0,pcap=$dir/no/such/dir/x.pcapng" \
	</dev/null >/dev/null 2>"$dir/err1" || status=$?
if [[ $status -ne 1 ]] || ! grep -q "'$dir/no/such/dir/x.pcapng'" "$dir/err1"; then
	fail "unwritable pcap: exit $status: $(cat "$dir/err1")"
fi
status=0
"$minnow" run -k "$probe" --net "tap=tap0,pcap=" </dev/null >/dev/null 2>"$dir/err2" || status=$?
if [[ $status -ne 2 ]] || ! grep -q "bad value '' for pcap" "$dir/err2"; then
	fail "empty pcap=: exit $status: $(cat "$dir/err2")"
fi
echo "ok: errors: $(head -1 "$dir/err1"); $(head -1 "$dir/err2")"
