#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The probe's virtio-net driver against minnow's virtio-net on a real tap: UDP both ways with and
# without checksum offload, DATA_VALID, NEEDS_CSUM on receive, MRG_RXBUF, ARP both ways, an echo.
# Everything runs in a network namespace this script creates and deletes (DESIGN §1): the tap,
# minnow, and the python3 peers. Each case checks the probe's report, what the peer received
# (payloads, and on the wire the checksums, completing partial ones as a NIC would), and
# minnow's --metrics counters exactly.
set -euo pipefail
# shellcheck source=tests/kvm/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=tests/kvm/netlib.sh
source "$(dirname "$0")/netlib.sh"
require_kvm
minnow=$1 probe=$2

net_require
net_netns net-udp
net_ns_init "$ns" net.ipv4.ip_forward=1 net.ipv4.conf.all.rp_filter=0 \
	net.ipv4.conf.default.rp_filter=0
net_tap
port=5000

# The host-side peer. recv: a UDP socket for the payloads and an AF_PACKET socket on tap0 for the
# frames as they arrived (a partial checksum, TP_STATUS_CSUMNOTREADY, is completed first, then
# checked). send: waits for the guest's "ready" datagram, then sends from a socket (the kernel
# makes the skb CHECKSUM_PARTIAL) or writes frames into tap1, an IFF_NAPI tap whose GRO checks
# the UDP checksum and marks the skb CHECKSUM_UNNECESSARY, routed on to tap0: tun then reports
# DATA_VALID. echo: ping-pong through the guest.
# shellcheck disable=SC2016
peer_py='
import fcntl, json, os, select, socket, struct, subprocess, sys, time
'"$net_udp_py"'
def udp_frame(smac, dmac, sip, dip, port, payload):
    udp = struct.pack("!HHHH", port, port, 8 + len(payload), 0) + payload
    ip = bytearray(struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0x4000, 64, 17, 0,
                               socket.inet_aton(sip), socket.inet_aton(dip)))
    struct.pack_into("!H", ip, 10, ~csum(bytes(ip)) & 0xffff)
    c = ~csum(ip[12:20] + struct.pack("!BBH", 0, 17, len(udp)) + udp) & 0xffff
    return dmac + smac + b"\x08\x00" + bytes(ip) + udp[:6] + struct.pack("!H", c or 0xffff) + udp[8:]

def bound(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, 33, 8 << 20)  # SO_RCVBUFFORCE
    s.bind(("10.99.1.1", port))
    return s

def recv(port, count, size, flag):
    s = bound(port)
    p = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0800))
    p.setsockopt(socket.SOL_SOCKET, 33, 8 << 20)
    p.setsockopt(263, 8, 1)  # SOL_PACKET, PACKET_AUXDATA
    p.bind(("tap0", 0))
    open(flag, "w").close()
    seen, bad, frames, partial, ok = set(), [], 0, 0, 0
    end = time.time() + 10
    while time.time() < end and (len(seen) + len(bad) < count or frames < count):
        r, _, _ = select.select([s, p], [], [], 0.1)
        if s in r:
            data = s.recv(65536)
            i = struct.unpack(">I", data[:4])[0] if len(data) >= 4 else -1
            if len(data) != size or data != pattern(i, size) or i >= count or i in seen:
                bad.append(i)
            else:
                seen.add(i)
        if p in r:
            data, anc, _, addr = p.recvmsg(65536, socket.CMSG_SPACE(32))
            ip = data[14:]
            if addr[2] == 4 or ip[9] != 17 or struct.unpack("!H", ip[22:24])[0] != port:
                continue
            st = struct.unpack("I", anc[0][2][:4])[0] if anc else 0
            frames += 1
            partial += bool(st & 8)  # TP_STATUS_CSUMNOTREADY
            ok += udp_ok(ip, st & 8)
    print(json.dumps(dict(intact=len(seen), bad=len(bad), wire_frames=frames,
                          wire_partial=partial, wire_csum_ok=ok)))

def napi_tap():
    fd = os.open("/dev/net/tun", os.O_RDWR)
    # TUNSETIFF: IFF_TAP | IFF_NO_PI | IFF_NAPI; gone when this process ends
    fcntl.ioctl(fd, 0x400454CA, struct.pack("16sH", b"tap1", 0x0002 | 0x1000 | 0x0010))
    subprocess.run(["ip", "addr", "add", "10.99.2.1/24", "dev", "tap1"], check=True)
    subprocess.run(["ip", "link", "set", "tap1", "up"], check=True)
    return fd, bytes.fromhex(open("/sys/class/net/tap1/address").read().strip().replace(":", ""))

def wait_ready(s):
    s.settimeout(10)
    while True:
        data, addr = s.recvfrom(2048)
        if data == b"ready":
            return addr

def send(port, count, size, via, flag):
    tap = napi_tap() if via == "napi" else None
    s = bound(port)
    open(flag, "w").close()
    addr = wait_ready(s)
    for i in range(count):
        if tap:
            os.write(tap[0], udp_frame(b"\x02\0\0\0\0\x02", tap[1], "10.99.2.2", addr[0], port,
                                       pattern(i, size)))
        else:
            s.sendto(pattern(i, size), addr)
    print(json.dumps(dict(sent=count)))

def echo(port, count, size, flag):
    s = bound(port)
    open(flag, "w").close()
    addr = wait_ready(s)
    s.settimeout(2)
    rtt, bad = [], 0
    for i in range(count):
        t = time.perf_counter()
        s.sendto(pattern(i, size), addr)
        bad += s.recv(65536) != pattern(i, size)
        rtt.append(int((time.perf_counter() - t) * 1e6))
    rtt.sort()
    print(json.dumps(dict(echoed=len(rtt), bad=bad, rtt_us_min=rtt[0],
                          rtt_us_median=rtt[len(rtt) // 2], rtt_us_max=rtt[-1])))

a = sys.argv[1:]
if a[0] == "recv":
    recv(int(a[1]), int(a[2]), int(a[3]), a[4])
elif a[0] == "send":
    send(int(a[1]), int(a[2]), int(a[3]), a[4], a[5])
else:
    echo(int(a[1]), int(a[2]), int(a[3]), a[4])
'

# The counters that must be 0 in every case (metrics).
metrics_zero=tx_dropped,rx_dropped,rx_gso,tx_tso,tx_uso

# shellcheck disable=SC2016 # awk fields, not shell expansions
csum_errors() { nsx awk '/^Udp:/ { if (h) print $8; h = 1 }' /proc/net/snmp; }

# Feature masks (probe.features): the default VERSION_1|EVENT_IDX|STATUS|MAC|MTU, and with
# CSUM (bit 0), GUEST_CSUM (bit 1), MRG_RXBUF (bit 15).
F=0x120010028
F_CSUM=0x120010029 F_GCSUM=0x12001002a F_GCSUM_MRG=0x12001802a F_MRG=0x120018028
ip4="probe.ip=10.99.1.2 probe.peer=10.99.1.1 probe.port=$port"

vm hello "probe.mode=net-hello"
expect hello "$dir/hello.out" mac=$guest_mac mtu=1500 negotiated=$F link_up=true
mapfile -t v < <(jget "$dir/hello.out" features init_us)
(( v[0] & 3 )) || fail "hello: minnow offers neither CSUM nor GUEST_CSUM (${v[0]}) on this tap"
echo "ok: hello: offer ${v[0]}, negotiated $F, init ${v[1]} us"

# TX: the guest ARPs for the peer, then sends 100 datagrams of 1000 bytes in one batch.
tx_case() { # NAME FEATURES EXTRA-PROBE-ARGS TX_CSUM WIRE_PARTIAL
	local name=$1 f=$2 extra=$3 tx_csum=$4 partial=$5 before
	before=$(csum_errors)
	peer "$name" "$ns" recv $port 100 1000
	vm "$name" "probe.mode=net-udp-tx $ip4 probe.count=100 probe.size=1000 probe.features=$f $extra"
	peer_wait "$name"
	expect "$name" "$dir/$name.out" sent=100 bytes=100000 peer_mac="$tap_mac" dev_errors=0 \
		num_buffers_not_1=0
	expect "$name" "$dir/$name.peer" intact=100 bad=0 wire_frames=100 wire_partial="$partial" \
		wire_csum_ok=100
	[[ $(csum_errors) == "$before" ]] || fail "$name: Udp InCsumErrors went from $before to $(csum_errors)"
	metrics "$name" tx_packets=g:tx_frames rx_packets=g:rx_frames tx_csum="$tx_csum" \
		rx_data_valid=0 rx_csum_partial=0
	mapfile -t v < <(jget "$dir/$name.out" kicks_tx us)
	echo "ok: $name: 100 datagrams intact, $partial checksums finished by the host, ${v[0]} kicks," \
		"${v[1]} us, InCsumErrors $(csum_errors)"
}
tx_case tx-full-csum $F "" 0 0
tx_case tx-csum-offload $F_CSUM "probe.csum_offload=1" 100 100
# The header in its own descriptor, through an indirect table, with used-buffer interrupts.
tx_case tx-offload-sg-irq $((F_CSUM | 1 << 28)) "probe.csum_offload=1 probe.txsg=1 probe.indirect=1 probe.poll=0" 100 100

# RX: the guest posts its buffers, says "ready" (after ARPing for the peer), and checks 100
# datagrams: pattern, IPv4 and UDP checksums (after finishing a NEEDS_CSUM one), each index once.
ip -n "$ns" neigh replace 10.99.1.2 lladdr $guest_mac dev tap0 nud permanent
rx_case() { # NAME FEATURES EXTRA-PROBE-ARGS VIA DATA_VALID CSUM_PARTIAL MERGED
	local name=$1 f=$2 extra=$3 via=$4 dv=$5 partial=$6 merged=$7
	peer "$name" "$ns" send $port 100 1000 "$via"
	vm "$name" "probe.mode=net-udp-rx $ip4 probe.count=100 probe.size=1000 probe.features=$f $extra"
	peer_wait "$name"
	expect "$name" "$dir/$name.out" received=100 bytes=100000 bad=0 dup=0 data_valid="$dv" \
		csum_partial="$partial" merged="$merged" dev_errors=0 num_buffers_not_1=0
	metrics "$name" tx_packets=g:tx_frames rx_packets=g:rx_frames tx_csum=0 \
		rx_data_valid=g:data_valid rx_csum_partial=g:csum_partial rx_merged=g:rx_merged
	mapfile -t v < <(jget "$dir/$name.out" kicks_rx us)
	echo "ok: $name: 100 datagrams verified, data_valid $dv, csum_partial $partial, merged" \
		"$merged, ${v[0]} RX kicks, ${v[1]} us"
}
rx_case rx-plain $F "" socket 0 0 0
# A local socket's datagrams are CHECKSUM_PARTIAL: with GUEST_CSUM they arrive as NEEDS_CSUM.
rx_case rx-guest-csum-partial $F_GCSUM "" socket 0 100 0
rx_case rx-guest-csum-valid $F_GCSUM "" napi 100 0 0
# DATA_VALID only with GUEST_CSUM (virtio 1.2 §5.1.6.4.1, strict): flags 0 without it.
rx_case rx-no-guest-csum $F "" napi 0 0 0
rx_case rx-mrg-merged $F_GCSUM_MRG "probe.rxbuf=512" napi 100 0 100
rx_case rx-mrg-one-buffer $F_MRG "probe.rxsg=2 probe.poll=0" socket 0 0 0

# ARP the other way: no neighbour entry, the guest knows the peer's MAC, so the host must ask.
ip -n "$ns" neigh del 10.99.1.2 dev tap0
peer rx-arp-reply "$ns" send $port 10 100 socket
vm rx-arp-reply "probe.mode=net-udp-rx $ip4 probe.peer_mac=$tap_mac probe.count=10"
peer_wait rx-arp-reply
expect rx-arp-reply "$dir/rx-arp-reply.out" received=10 bad=0 arp_requests=0 dev_errors=0
[[ $(jget "$dir/rx-arp-reply.out" arp_replies) -ge 1 ]] ||
	fail "rx-arp-reply: the guest answered no ARP request: $(cat "$dir/rx-arp-reply.out")"
metrics rx-arp-reply tx_packets=g:tx_frames rx_packets=g:rx_frames
echo "ok: rx-arp-reply: the host resolved the guest by ARP, 10 datagrams verified"

# Echo with checksum offload both ways and interrupts: 50 round trips.
peer echo "$ns" echo $port 50 200
vm echo "probe.mode=net-echo $ip4 probe.count=50 probe.features=$((F_CSUM | 2)) probe.csum_offload=1 probe.poll=0"
peer_wait echo
expect echo "$dir/echo.out" received=50 echoed=50 bad=0 dev_errors=0
expect echo "$dir/echo.peer" echoed=50 bad=0
# Every UDP frame the guest sent (the echoes and "ready") asked for checksum offload; ARP did not.
metrics echo tx_packets=g:tx_frames rx_packets=g:rx_frames tx_csum=$(($(jget "$dir/echo.out" echoed) + 1)) \
	rx_csum_partial=g:csum_partial
mapfile -t v < <(jget "$dir/echo.peer" rtt_us_min rtt_us_median rtt_us_max)
echo "ok: echo: 50 round trips, RTT min ${v[0]} us, median ${v[1]} us, max ${v[2]} us"
