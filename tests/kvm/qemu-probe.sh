#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The probe guest is VMM-agnostic: the same ELF under QEMU microvm (DESIGN §7) boots at CPL 3,
# drives QEMU's virtio-rng, and sends and receives UDP and TCP (TSO out, GUEST_TSO4 in) over
# QEMU's virtio-net on a tap in a namespace this script creates. Asserts the guest's own
# reports; QEMU's exit code is (status << 1) | 1 with isa-debug-exit.
set -euo pipefail
# shellcheck source=tests/kvm/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=tests/kvm/netlib.sh
source "$(dirname "$0")/netlib.sh"
require_kvm
probe=$2
qemu=$(command -v qemu-system-x86_64 || true)
[[ -n $qemu ]] || { echo "SKIP: qemu-system-x86_64 missing (tests/setup-host.sh installs qemu-system-x86)"; exit 77; }
[[ -e /dev/net/tun ]] || { echo "SKIP: no /dev/net/tun"; exit 77; }
net_require
ns=minnow-qemu-$$
dir=$(mktemp -d)
cleanup() {
	ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null || true
	ip netns del "$ns" 2>/dev/null || true
	rm -rf "$dir"
}
trap cleanup EXIT
ip netns add "$ns" || { echo "SKIP: cannot create a network namespace"; exit 77; }
ip -n "$ns" link set lo up
ip -n "$ns" tuntap add dev tap0 mode tap vnet_hdr
ip -n "$ns" addr add 10.99.1.1/24 dev tap0
ip -n "$ns" link set tap0 up
ip -n "$ns" neigh add 10.99.1.2 lladdr 52:54:00:12:34:56 dev tap0 nud permanent

# qemu NAME EXPECTED-PROBE-STATUS CMDLINE [extra QEMU args]
qemu() {
	local name=$1 want=$(( ($2 << 1) | 1 )) cmdline=$3 status=0
	shift 3
	ip netns exec "$ns" timeout 60 "$qemu" -M microvm,acpi=off -accel kvm \
		-cpu host,-arch-capabilities -m 128M -nodefaults -no-user-config -nographic \
		-serial stdio -device isa-debug-exit,iobase=0x501,iosize=2 -no-reboot \
		-global virtio-mmio.force-legacy=false "$@" -kernel "$probe" -append "$cmdline" \
		</dev/null >"$dir/$name.out" 2>"$dir/$name.err" || status=$?
	[[ $status -eq $want ]] || fail "$name: QEMU exit $status, expected $want: $(cat "$dir/$name.out" "$dir/$name.err")"
}
has() { grep -qF -- "$2" "$dir/$1.out" || fail "$1: output lacks $2: $(cat "$dir/$1.out")"; }

qemu hello 0 "probe.mode=hello"
has hello '{"probe":"hello","cpl":3,"cmdline":"probe.mode=hello'
echo "ok: hello at CPL 3 under QEMU"

qemu rng 0 "probe.mode=rng probe.bytes=4096" -device virtio-rng-device
has rng '"bytes":4096'
has rng '"device_id":4'
echo "ok: 4096 bytes from QEMU's virtio-rng"

netdev=(-netdev "tap,id=n0,ifname=tap0,script=no,downscript=no,vhost=off"
	-device "virtio-net-device,netdev=n0,mac=52:54:00:12:34:56")
ip4="probe.ip=10.99.1.2 probe.peer=10.99.1.1 probe.port=5000"
# TX: 100 datagrams of 1000 bytes with checksum offload, counted by a receiver in the netns.
ip netns exec "$ns" python3 - "$dir/bound-tx" >"$dir/rx.count" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("10.99.1.1", 5000))
open(sys.argv[1], "w").close()
s.settimeout(20)
n = 0
try:
    while n < 100:
        data, _ = s.recvfrom(2048)
        n += len(data) == 1000
except socket.timeout:
    pass
print(n)
PY
peer=$!
for _ in $(seq 200); do [[ -e $dir/bound-tx ]] && break; sleep 0.02; done
qemu udp-tx 0 "probe.mode=net-udp-tx $ip4 probe.count=100 probe.size=1000 probe.features=0x120010029 probe.csum_offload=1" "${netdev[@]}"
wait "$peer"
has udp-tx '"sent":100'
[[ $(cat "$dir/rx.count") -eq 100 ]] || fail "udp-tx: the receiver got $(cat "$dir/rx.count") of 100"
echo "ok: 100 UDP datagrams out through QEMU's virtio-net with checksum offload"

# RX: the guest says "ready" to the peer, then counts 100 datagrams. The peer must be bound
# before the guest speaks: it writes a flag file once it is.
ip netns exec "$ns" python3 - "$dir/bound" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("10.99.1.1", 5000))
open(sys.argv[1], "w").close()
s.settimeout(20)
while True:                          # the guest's "ready": where to send
    data, addr = s.recvfrom(2048)
    if data == b"ready":
        break
for i in range(100):
    # The probe's pattern: the index, then byte k of the datagram is (i + k) & 0xff.
    b = bytearray((i + k) & 0xff for k in range(1000))
    b[0:4] = i.to_bytes(4, "big")
    s.sendto(bytes(b), addr)
PY
peer=$!
for _ in $(seq 200); do [[ -e $dir/bound ]] && break; sleep 0.02; done
[[ -e $dir/bound ]] || fail "udp-rx: the peer did not start"
qemu udp-rx 0 "probe.mode=net-udp-rx $ip4 probe.count=100 probe.size=1000" "${netdev[@]}"
wait "$peer" || true
has udp-rx '"received":100'
has udp-rx '"bad":0'
echo "ok: 100 UDP datagrams in through QEMU's virtio-net, verified by the guest"

# TCP with TSO out of the guest (the probe's own TCP, 64 KiB super-frames with partial
# checksums): the sink next to the tap checks every byte; its capture on tap0 sees the
# super-frames whole, as many as the guest sent.
peer_py=$(<"$(dirname "$0")/tcp_peer.py")
bytes=$((1 << 20))
peer tcp-tx "$ns" sink 10.99.1.1 5001 $bytes tap0
qemu tcp-tx 0 "probe.mode=net-tcp-tx probe.ip=10.99.1.2 probe.peer=10.99.1.1 probe.port=5001 probe.bytes=$bytes probe.tso=1 probe.features=$((0x120010829))" "${netdev[@]}"
peer_wait tcp-tx
expect tcp-tx "$dir/tcp-tx.out" bytes=$bytes bad=0 dev_errors=0
expect tcp-tx "$dir/tcp-tx.peer" received=$bytes intact=true
mapfile -t v < <(jget "$dir/tcp-tx.out" tso_frames)
(( v[0] > 0 )) || fail "tcp-tx: no super-frame sent: $(cat "$dir/tcp-tx.out")"
expect tcp-tx "$dir/tcp-tx.peer" wire_big="${v[0]}"
echo "ok: 1 MiB of TCP out through QEMU's virtio-net in ${v[0]} TSO super-frames, intact"

# TCP into the guest with GUEST_CSUM and GUEST_TSO4: super-frames with partial checksums, every
# byte and checksum verified by the guest.
peer tcp-rx "$ns" source 5002 $bytes
qemu tcp-rx 0 "probe.mode=net-tcp-rx probe.ip=10.99.1.2 probe.peer=10.99.1.1 probe.port=5002 probe.bytes=$bytes probe.features=$((0x120010028 | 0x82))" "${netdev[@]}"
peer_wait tcp-rx
expect tcp-rx "$dir/tcp-rx.out" bytes=$bytes bad=0 dev_errors=0
expect tcp-rx "$dir/tcp-rx.peer" sent=$bytes eof=true
mapfile -t v < <(jget "$dir/tcp-rx.out" gso_frames max_frame)
(( v[0] > 0 && v[1] > 1514 )) || fail "tcp-rx: no super-frame arrived: $(cat "$dir/tcp-rx.out")"
echo "ok: 1 MiB of TCP in through QEMU's virtio-net, ${v[0]} GSO super-frames (largest ${v[1]} bytes), verified by the guest"
