#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The Linux boot test: Debian's stock kernel with the initramfs of guest-images/linux, on a
# virtio-net device over a tap in a network namespace this script creates (and deletes), with
# iperf3 on the host side inside it. The guest runs iperf3 in both directions, as the client of a
# server on the host (--role client, the default) or as the server of a client there (--role server);
# bootcheck.py then checks the negotiated features, `ethtool -k`, super-frames on the tap, both
# iperf3 results and the VMM's exit status, prints a summary and writes JSON.
#
# usage: boot-test.sh --vmm minnow|qemu-tcg [--minnow PATH] [--role client|server] [--json OUT]
#                     [--time SECONDS]
#
#   --vmm minnow     boots in minnow through KVM. Needs a host whose KVM runs guest ring-0 code in
#                    hardware (VMX/SVM); on kvm-pvm (/sys/module/kvm_pvm) a full Linux boot is not
#                    possible in useful time, so this part is skipped (exit 77) with that reason.
#   --vmm qemu-tcg   boots the same kernel and image under qemu-system-x86_64 -M microvm -accel
#                    tcg (software emulation, no KVM) with QEMU's virtio-net-device on the tap:
#                    the image, /init, the iperf3 exchange and these checks, anywhere.
#   --time S         seconds of each iperf3 run (default 2)
#   --json OUT       where the result goes (default .cache/linux-guest/boot-test-VMM.json)
# Environment: BOOT_TEST_TIMEOUT (seconds for the guest, default 300), BOOT_TEST_KEEP=1 keeps the
# logs. Exit status: 0 pass, 1 fail, 2 usage, 77 skip.
set -euo pipefail
# dir, ns and py come from netlib.sh.
# shellcheck disable=SC2154
here=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
top=$(cd -- "$here/../.." && pwd)
# shellcheck source=tests/kvm/lib.sh
source "$top/tests/kvm/lib.sh"
# shellcheck source=tests/kvm/netlib.sh
source "$top/tests/kvm/netlib.sh"

usage() {
	echo "usage: $0 --vmm minnow|qemu-tcg [--minnow PATH] [--role client|server] [--json OUT] [--time SECONDS]" >&2
	exit 2
}
skip() {
	echo "SKIP: $*"
	if [[ -n $json_out ]]; then
		python3 -c 'import json, sys; print(json.dumps({"vmm": sys.argv[1], "result": "skip",
    "reason": " ".join(sys.argv[2].split())}))' "$vmm" "$*" >"$json_out"
	fi
	exit 77
}

vmm='' minnow='' json_out='' secs=2 pvm_reason='' role=client
while (($#)); do
	case $1 in
	--vmm) vmm=${2:-} && shift ;;
	--minnow) minnow=${2:-} && shift ;;
	--json) json_out=${2:-} && shift ;;
	--time) secs=${2:-} && shift ;;
	--role) role=${2:-} && shift ;;
	-h | --help)
		sed -n '3,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
		exit 0
		;;
	*) echo "boot-test: unknown argument '$1'" >&2 && usage ;;
	esac
	shift
done
case $vmm in
minnow) [[ -x $minnow && -f $minnow ]] || { echo "boot-test: --minnow '$minnow': not an executable file" >&2 && usage; } ;;
qemu-tcg) ;;
*) echo "boot-test: --vmm '$vmm': expected minnow or qemu-tcg" >&2 && usage ;;
esac
[[ $role == client || $role == server ]] || { echo "boot-test: --role '$role': expected client or server" >&2 && usage; }
[[ $secs =~ ^[1-9][0-9]*$ ]] || { echo "boot-test: --time '$secs': expected whole seconds (1 or more)" >&2 && usage; }
guest_timeout=${BOOT_TEST_TIMEOUT:-300}
[[ $guest_timeout =~ ^[1-9][0-9]*$ ]] || { echo "boot-test: BOOT_TEST_TIMEOUT='$guest_timeout': expected seconds" >&2 && usage; }

# --- can it run here? ----------------------------------------------------------------------

if [[ $vmm == minnow ]]; then
	require_kvm
	# Decided here, acted on just before the boot: everything up to it still runs.
	if [[ -e /sys/module/kvm_pvm ]]; then
		pvm_reason="this host's KVM is kvm-pvm (/sys/module/kvm_pvm): guest ring-0 code is emulated at
about 1 MIPS and syscall does not work, so Linux cannot reach /init here (DESIGN §1). The image,
/init and these checks run under --vmm qemu-tcg; minnow's Linux boot path in linux-initrd-early"
	fi
else
	qemu=$(command -v qemu-system-x86_64) ||
		skip "qemu-system-x86_64 missing (tests/setup-host.sh installs qemu-system-x86)"
fi
command -v iperf3 >/dev/null || skip "no iperf3 on the host for the peer (tests/setup-host.sh installs it)"
net_require

kernel=
for k in /boot/vmlinuz-*-amd64; do
	[[ -f $k ]] || continue
	if [[ -z $kernel || $(printf '%s\n%s\n' "$kernel" "$k" | sort -V | tail -n 1) == "$k" ]]; then
		kernel=$k
	fi
done
[[ -n $kernel ]] || skip "no /boot/vmlinuz-*-amd64: install linux-image-amd64"
[[ -r $kernel ]] || skip "$kernel is not readable by $(id -un)"
kver=${kernel#/boot/vmlinuz-}

# --- the image -------------------------------------------------------------------------------

image=$("$top/guest-images/linux/build-initramfs.sh" -k "$kver") || fail "could not build the guest image"

# --- network namespace, host-side peers ------------------------------------------------------

vmm_pid='' counter_pid=''
# shellcheck disable=SC2317 # called by net_cleanup
net_cleanup_hook() {
	[[ -z $vmm_pid ]] || kill "$vmm_pid" 2>/dev/null
	[[ -z $counter_pid ]] || kill "$counter_pid" 2>/dev/null
	if [[ ${BOOT_TEST_KEEP:-} == 1 ]]; then
		keep=$(mktemp -d "${TMPDIR:-/tmp}/minnow-boot-test.XXXXXX")
		cp -r "$dir"/. "$keep"/ && echo "boot-test: logs kept in $keep"
	fi
}
net_netns boot
json_out=${json_out:-$top/.cache/linux-guest/boot-test-$vmm.json}
mkdir -p -- "$(dirname -- "$json_out")"
net_ns_init "$ns"
net_tap
mtu=$(nsx cat /sys/class/net/tap0/mtu)

# ip netns exec execs its command, so $! is the process itself (nsx would leave a shell between).
ip netns exec "$ns" "$py" "$here/framecount.py" tap0 "$mtu" "$dir/frames.json" "$dir/counter.ready" \
	>"$dir/counter.out" 2>&1 &
counter_pid=$!
if [[ $role == client ]]; then
	# net_cleanup stops the server.
	ip netns exec "$ns" iperf3 -s -B 10.99.1.1 >"$dir/iperf3-server.out" 2>&1 &
	peer_pid=$!
fi
for _ in $(seq 100); do
	if [[ -e $dir/counter.ready ]]; then
		[[ $role == server ]] && break
		nsx ss -ltnH 'sport = :5201' | grep -q . && break
	fi
	[[ -z $peer_pid ]] || kill -0 "$peer_pid" 2>/dev/null ||
		fail "the host's iperf3 server died: $(cat "$dir/iperf3-server.out")"
	kill -0 "$counter_pid" 2>/dev/null || fail "the frame counter died: $(cat "$dir/counter.out")"
	sleep 0.05
done
[[ -e $dir/counter.ready ]] || fail "the frame counter did not start: $(cat "$dir/counter.out")"

# --- the guest -------------------------------------------------------------------------------

cmdline="console=ttyS0 panic=-1 guest.iperf=$role guest.ip=10.99.1.2/24 guest.peer=10.99.1.1 guest.time=$secs guest.dirs=tx,rx"
# What every VMM under test must offer and Linux 6.1's virtio_net accepts; minnow also offers the
# MTU (QEMU only with host_mtu=).
features=CSUM,GUEST_CSUM,HOST_TSO4,HOST_TSO6,GUEST_TSO4,GUEST_TSO6,HOST_ECN,GUEST_ECN,MRG_RXBUF,MAC,STATUS,INDIRECT_DESC,EVENT_IDX,VERSION_1
metrics=()
if [[ $vmm == minnow ]]; then
	features+=,MTU
	metrics=(--metrics "$dir/metrics.json")
	cmd=("$minnow" run -k "$kernel" -i "$image" -m 512M -c 2 -p "$cmdline"
		--net "tap=tap0,mac=$guest_mac" --serial "file=$dir/serial.log" "${metrics[@]}")
else
	# Under TCG the guest's TSC is the host's counter. On a loaded host the kernel's PIT
	# calibration of it can fail (then, with no HPET or PM timer on microvm, the boot stalls),
	# so give the kernel the rate when the host knows it: "cpu MHz" is the TSC's rate on a host
	# with a known-frequency constant TSC (and no APERF/MPERF, as in a VM).
	if grep -qw tsc_known_freq /proc/cpuinfo && grep -qw constant_tsc /proc/cpuinfo &&
		! grep -qw aperfmperf /proc/cpuinfo; then
		khz=$(awk -F: '/^cpu MHz/ { printf "%d", $2 * 1000; exit }' /proc/cpuinfo)
		[[ ! $khz =~ ^[1-9][0-9]*$ ]] || cmdline+=" tsc_early_khz=$khz"
	fi
	# shellcheck disable=SC2054 # commas inside QEMU's option values
	cmd=("$qemu" -M microvm -accel tcg -m 256M -smp 1 -nodefaults -no-user-config -nographic
		-serial "file:$dir/serial.log" -no-reboot -global virtio-mmio.force-legacy=false
		-netdev tap,id=n0,ifname=tap0,script=no,downscript=no,vhost=off
		-device "virtio-net-device,netdev=n0,mac=$guest_mac"
		-kernel "$kernel" -initrd "$image" -append "$cmdline")
fi
# host_clients: with the guest as the server, the host's iperf3 client for each direction, once
# the guest has announced that test's server (its "<<< iperf3-DIR" line). Their output is only
# for the log: the guest's own reports are what bootcheck.py judges.
host_clients() {
	local d i rev
	for d in tx rx; do
		rev=()
		[[ $d == rx ]] || rev=(-R) # the guest sends
		for ((i = 0; i < guest_timeout * 10; i++)); do
			tr -d '\r' <"$dir/serial.log" 2>/dev/null | grep -qx "<<< iperf3-$d" && break
			kill -0 "$vmm_pid" 2>/dev/null || return 0
			sleep 0.1
		done
		# The server may not listen yet: a refused connection is tried again.
		for ((i = 0; i < 20; i++)); do
			nsx timeout $((secs + 30)) iperf3 -c 10.99.1.2 -t "$secs" "${rev[@]}" >"$dir/iperf3-client-$d.out" 2>&1 && break
			kill -0 "$vmm_pid" 2>/dev/null || return 0
			sleep 0.5
		done
	done
}
echo "boot-test: $vmm: ${cmd[*]}"
if [[ -n $pvm_reason ]]; then
	# The same command, stopped before the first vCPU runs: kernel, initrd and tap accepted.
	ip netns exec "$ns" "${cmd[@]}" --dry-run </dev/null >"$dir/vmm.out" 2>&1 ||
		fail "minnow --dry-run with this command failed: $(cat "$dir/vmm.out")"
	echo "boot-test: minnow --dry-run accepted the kernel, the initrd and the tap"
	skip "$pvm_reason"
fi
t0=$SECONDS
ip netns exec "$ns" timeout "$guest_timeout" "${cmd[@]}" </dev/null >"$dir/vmm.out" 2>&1 &
vmm_pid=$!
[[ $role == client ]] || host_clients
status=0
wait "$vmm_pid" || status=$?
vmm_pid=
elapsed=$((SECONDS - t0))
if [[ $status -eq 124 ]]; then
	echo "boot-test: the guest did not finish within $guest_timeout s (BOOT_TEST_TIMEOUT)"
fi
if [[ -s $dir/vmm.out ]]; then
	echo "boot-test: $vmm's own output:"
	sed 's/^/    /' "$dir/vmm.out" | tail -n 20
fi

kill "$counter_pid" 2>/dev/null
wait "$counter_pid" || true
counter_pid=

rc=0
"$py" "$here/bootcheck.py" --vmm "$vmm" --serial "$dir/serial.log" --frames "$dir/frames.json" \
	--exit "$status" --want-exit 0 --features "$features" "${metrics[@]}" --seconds "$elapsed" \
	--json "$json_out" || rc=$?
if ((rc)); then
	echo "boot-test: last 40 lines of the guest's serial log:"
	tr -d '\r' <"$dir/serial.log" | tail -n 40 | sed 's/^/    /'
fi
echo "boot-test: result in $json_out"
exit $rc
