#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The main job, from a fresh Debian 12 machine: installs what minnow needs, builds it, and boots
# a guest with networking: the probe guest (guest-images/probe) on minnow's virtio-net, over a
# tap inside a network namespace this script creates and deletes. The guest sends 100 UDP
# datagrams with checksum offload to a receiver on the host side of the tap, which counts them.
# Nothing leaves the namespace.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

bash tests/setup-host.sh
[[ -f build/build.ninja ]] || meson setup build
ninja -C build

ns=minnow-demo-$$
dir=$(mktemp -d)
cleanup() {
	ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null || true
	ip netns del "$ns" 2>/dev/null || true
	rm -rf "$dir"
}
trap cleanup EXIT

ip netns add "$ns"
ip -n "$ns" link set lo up
ip -n "$ns" tuntap add dev tap0 mode tap vnet_hdr
ip -n "$ns" addr add 10.99.1.1/24 dev tap0
ip -n "$ns" link set tap0 up

# The host-side peer: counts datagrams to port 5000 and checks their payload size.
ip netns exec "$ns" python3 - >"$dir/peer" <<'PY' &
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("10.99.1.1", 5000))
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
sleep 0.3

echo "demo: booting the probe guest in minnow with --net (netns $ns, tap0, 10.99.1.2)"
set -x
ip netns exec "$ns" ./build/minnow run -k build/guest-images/probe/probe.elf -m 128M \
	--net tap=tap0,mac=52:54:00:12:34:56 --metrics "$dir/metrics.json" \
	-p "probe.mode=net-udp-tx probe.ip=10.99.1.2 probe.peer=10.99.1.1 probe.port=5000 \
probe.count=100 probe.size=1000 probe.features=0x120010029 probe.csum_offload=1" </dev/null
set +x
wait "$peer"
echo "demo: the host-side receiver got $(cat "$dir/peer") of 100 datagrams"
grep -o '"net":{[^}]*' "$dir/metrics.json" | cut -c1-200
[[ $(cat "$dir/peer") -eq 100 ]]
