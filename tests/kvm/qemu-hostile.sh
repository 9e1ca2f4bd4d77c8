#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Records what QEMU does with the probe guest's hostile cases (issue 6: recorded, not asserted).
# Runs every case of virtio-hostile.sh (against QEMU's virtio-rng-device) and of net-hostile.sh
# (against QEMU's virtio-net-device on a tap in a network namespace this script creates and
# deletes, with a peer that answers the probe's "ready:SIZE" datagram) under
# `qemu-system-x86_64 -M microvm,acpi=off -accel kvm`, and writes one Markdown table row per case:
# QEMU's exit, the probe's verdict and the first line QEMU printed. The probe's cases check
# minnow's policy (DESIGN §5), so "ok": false under QEMU means QEMU chose differently, not that
# it is wrong.
#
# usage: tests/kvm/qemu-hostile.sh PROBE.ELF [OUT.md]    (default OUT: stdout)
set -euo pipefail
here=$(dirname "$0")
# shellcheck source=tests/kvm/lib.sh
source "$here/lib.sh"
# shellcheck source=tests/kvm/netlib.sh
source "$here/netlib.sh"
require_kvm
probe=${1:?usage: $0 PROBE.ELF [OUT.md]}
out=${2:-/dev/stdout}
qemu=$(command -v qemu-system-x86_64) || { echo "qemu-system-x86_64 missing" >&2; exit 1; }

net_guest_tap qemu-hostile

# The peer: answers "ready:SIZE" with one datagram of SIZE bytes (pattern 0), ignores the rest.
# Started with ip netns exec itself (it execs), so that $! is the peer and the cleanup stops it.
# shellcheck disable=SC2016
ip netns exec "$ns" "$py" -c '
import socket, struct, sys
'"$net_udp_py"'
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("10.99.1.1", 5000))
open(sys.argv[1], "w").close()
while True:
    data, addr = s.recvfrom(65536)
    if data.startswith(b"ready:"):
        s.sendto(pattern(0, int(data[6:].split(b"\0")[0] or b"64")), addr)
' "$dir/bound" &
peer_pid=$!
for _ in $(seq 250); do [[ -e $dir/bound ]] && break; sleep 0.02; done
[[ -e $dir/bound ]] || { echo "the peer did not start" >&2; exit 1; }

# qemu_case KIND NAME: one QEMU run; prints the table row.
qemu_case() {
	local kind=$1 name=$2 status=0 verdict first
	local log=$dir/$name.out err=$dir/$name.err
	local -a dev
	if [[ $kind == virtio ]]; then
		dev=(-device virtio-rng-device)
		cmdline="probe.mode=virtio-hostile probe.case=$name"
	else
		dev=(-netdev "tap,id=n0,ifname=tap0,script=no,downscript=no,vhost=off"
			-device "virtio-net-device,netdev=n0,mac=$guest_mac,host_mtu=1500")
		cmdline="probe.mode=net-hostile probe.case=$name probe.ip=10.99.1.2 probe.peer=10.99.1.1"
		cmdline+=" probe.port=5000 probe.peer_mac=$tap_mac probe.size=64"
	fi
	nsx timeout 30 "$qemu" -M microvm,acpi=off -accel kvm -cpu host,-arch-capabilities \
		-m "$([[ $name == total_over_4g ]] && echo 3G || echo 128M)" -nodefaults \
		-no-user-config -nographic -serial stdio -device isa-debug-exit,iobase=0x501,iosize=2 \
		-no-reboot -global virtio-mmio.force-legacy=false "${dev[@]}" -kernel "$probe" \
		-append "$cmdline" </dev/null >"$log" 2>"$err" || status=$?
	# isa-debug-exit: (V << 1) | 1; 124 is timeout's.
	case $status in
	124) verdict="hung (killed after 30 s)" ;;
	0) verdict="QEMU exited 0 (guest reset or poweroff)" ;;
	*) if ((status & 1)); then verdict="probe exit $((status >> 1))"; else verdict="QEMU exit $status"; fi ;;
	esac
	first=$(grep -m1 "\"case\":\"$name\"" "$log" | sed -n 's/.*"ok":\(true\|false\).*/\1/p' || true)
	[[ -z $first ]] && first="no report"
	if [[ $first == false ]]; then
		first="false: $(grep -m1 "\"case\":\"$name\"" "$log" | sed -n 's/.*"reason":"\([^"]*\)".*/\1/p' || true)"
	fi
	# shellcheck disable=SC2016 # the backquotes are Markdown
	printf '| %s | `%s` | %s | %s | %s |\n' "$kind" "$name" "$verdict" "$first" \
		"$(head -c 300 "$err" | head -1 | sed 's/|/\\|/g; s/^qemu-system-x86_64: //')"
}

rows=$dir/rows.md
virtio_cases=$(sed -n 's/^check \([a-z0-9_]*\) .*/\1/p' "$here/virtio-hostile.sh")
net_cases=$(sed -n 's/^run \([a-z0-9_]*\) .*/\1/p' "$here/net-hostile.sh")
{
	echo "# QEMU and the probe guest's hostile cases"
	echo
	echo "Written by \`tests/kvm/qemu-hostile.sh\` on $(date -u '+%Y-%m-%d %H:%M UTC'), $("$qemu" --version | head -1)."
	echo "Recorded, not asserted (issue 6). Each case is written for minnow's policy (DESIGN §5), so"
	echo "\"ok: false\" means QEMU behaved differently; the reason is the probe's. The last column is"
	echo "the first line QEMU printed on stderr (empty: nothing). QEMU's NIC gets \`host_mtu=1500\` so"
	echo "that it offers MTU, as the net cases need; the case's peer answers \"ready\" datagrams only."
	echo
	for c in $virtio_cases; do qemu_case virtio "$c"; done >"$rows"
	for c in $net_cases; do qemu_case net "$c"; done >>"$rows"
	echo "Of $(wc -l <"$rows") cases: QEMU behaved as minnow's policy asks in $(grep -c '| true |' "$rows" || true);"
	echo "differed (\"ok\": false) in $(grep -c '| false' "$rows" || true); the guest got no report out in"
	echo "$(grep -c '| no report |' "$rows" || true), of which QEMU aborted or crashed in $(grep -c '| QEMU exit [0-9]* |' "$rows" || true) and hung in $(grep -c '| hung' "$rows" || true)."
	echo
	echo "| device | case | QEMU | probe ok | QEMU's message |"
	echo "|---|---|---|---|---|"
	cat "$rows"
} >"$out"
