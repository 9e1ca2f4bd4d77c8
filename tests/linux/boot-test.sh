#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The Linux boot test: Debian's stock kernel (or yours) with the initramfs of guest-images/linux
# (or yours, if its /init follows the same protocol), on a virtio-net device over a tap in a
# network namespace this script creates (and deletes), with the peers (iperf3, an HTTP peer) on
# the host side inside it. Each case is one boot; bootcheck.py judges it from the guest's serial
# log, the frames on the tap, minnow's metrics and capture, and the VMM's exit status, prints one
# line per check and a summary, and writes JSON and JUnit XML.
#
# usage: boot-test.sh --vmm minnow|qemu-tcg [--minnow PATH] [--case LIST] [--kernel PATH]
#                     [--image PATH] [--where auto|direct|nested] [--json OUT] [--junit OUT]
#                     [--time SECONDS] [--role client|server]
#
#   --vmm minnow     boots in minnow through KVM: directly on a host whose KVM runs guest ring-0
#                    code in hardware (VMX/SVM), else on the nested host of nested.sh (QEMU TCG
#                    with an emulated SVM CPU, this machine's files shared): --where auto, the
#                    default, chooses and says which
#   --vmm qemu-tcg   boots the same kernel and image under qemu-system-x86_64 -M microvm -accel
#                    tcg with QEMU's virtio-net-device (cases basic and server only)
#   --case LIST      comma-separated, each one boot (default basic):
#       basic        the guest as iperf3 client, both directions: features, ethtool -k,
#                    super-frames on the tap both ways, minnow's counters, exit 0 at poweroff
#       server       the same with the guest as the iperf3 server (also --role server)
#       pvh          basic, with the kernel's ELF vmlinux (extract-vmlinux.sh) booted through PVH
#       conformance  the entropy device, verify=on and a capture: TCP over IPv6 (TSO6)
#                    and UDP both ways, 60000-byte and 2000 rapid pings, a 48 MiB file down
#                    and back up with equal sha256, ethtool -K tso/tx/sg off each taking effect,
#                    virtio_net unloaded under traffic and loaded again, /dev/hwrng; the
#                    verifier finds nothing; tshark and tcpdump read the capture
#       bigmem       4 vCPUs and 5 GiB (rings and buffers above 4 GiB), a 9000-byte MTU on the
#                    tap offered through VIRTIO_NET_F_MTU and used, iperf3 both ways
#       soft         offload=soft (checksums and TSO done by minnow) with verify=on
#       mq           two vCPUs, queues=2 on a multi-queue tap: 2 combined channels in the
#                    driver, iperf3 -P 4 both ways from each CPU moving packets on both queue
#                    pairs, ethtool -L combined 1 and back under TCP load both ways (the
#                    transfers complete; the device's active pairs and control commands follow)
#       ctrl         the control queue (the same without queues=: 2 pairs by default): ethtool -K rx-gro-hw off/on changing the
#                    guest offloads and the tap's, promisc and allmulticast on/off, the multicast
#                    table, a new MAC (the device's, the host's neighbour entry, TCP both ways)
#       reboot       the guest's own `reboot -f` (Linux's default path on this machine: EFI,
#                    then a jump to the reset vector) ends the run with status 3
#       reboot-acpi, reboot-kbd, reboot-pci   the same through reboot=a (FADT reset register),
#                    reboot=k (i8042 0xFE), reboot=p (port 0xCF9): status 3
#       reboot-triple  reboot=t: a triple fault, status 4
#       gdb          --gdb: a client (gdbkernel.py) attaches before the first instruction, stops
#                    the running kernel, sets a breakpoint on __x64_sys_sync (address from the
#                    guest's /proc/kallsyms), reads the registers there, detaches (with
#                    --cpuid-mask la57: the stub does not walk 5-level page tables yet). Fails
#                    on the nested host: QEMU 7.2's emulated SVM hands the kernel's int3 to
#                    the guest instead of exiting to the nested KVM, and hardware breakpoints
#                    set for the guest do not fire there; meant for VMX/SVM hosts (not run yet)
#   --kernel PATH    the kernel (default: the newest /boot/vmlinuz-*-amd64)
#   --image PATH     the initramfs (default: build-initramfs.sh's, built or reused)
#   --time S         seconds of each iperf3 run (default 2)
#   --json OUT       the result (default .cache/linux-guest/boot-test-VMM.json)
#   --junit OUT      the checks as JUnit XML, a testsuite per case
# Environment: BOOT_TEST_TIMEOUT (seconds for each guest, default 300; mq's gets 200 more), BOOT_TEST_KEEP=1 keeps
# the logs, BOOT_TEST_NESTED_SMP sets the nested host's CPUs, BOOT_TEST_NESTED_TIMEOUT its seconds (default: by
# the cases), BOOT_TEST_TRACE=1 traces the script. Exit status: 0 pass, 1 fail, 2 usage, 77 skip (no tun, iperf3, QEMU or kernel).
set -euo pipefail
[[ -z ${BOOT_TEST_TRACE:-} ]] || set -x
# dir, ns and py come from netlib.sh; kernel and kver from linuxlib.sh.
# shellcheck disable=SC2154
here=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
top=$(cd -- "$here/../.." && pwd)
# shellcheck source=tests/kvm/lib.sh
source "$top/tests/kvm/lib.sh"
# shellcheck source=tests/kvm/netlib.sh
source "$top/tests/kvm/netlib.sh"
# shellcheck source=tests/linux/linuxlib.sh
source "$here/linuxlib.sh"

usage() {
	echo "usage: $0 --vmm minnow|qemu-tcg [--minnow PATH] [--case LIST] [--kernel PATH] [--image PATH] [--where auto|direct|nested] [--json OUT] [--junit OUT] [--time SECONDS] [--role client|server]" >&2
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

args=("$@")
vmm='' minnow='' json_out='' junit_out='' secs=2 cases=basic kernel='' image='' where=auto
while (($#)); do
	case $1 in
	--vmm) vmm=${2:-} && shift ;;
	--minnow) minnow=${2:-} && shift ;;
	--json) json_out=${2:-} && shift ;;
	--junit) junit_out=${2:-} && shift ;;
	--time) secs=${2:-} && shift ;;
	--case) cases=${2:-} && shift ;;
	--role)
		case ${2:-} in
		client) cases=basic ;;
		server) cases=server ;;
		*) echo "boot-test: --role '${2:-}': expected client or server" >&2 && usage ;;
		esac
		shift
		;;
	--kernel) kernel=${2:-} && shift ;;
	--image) image=${2:-} && shift ;;
	--where) where=${2:-} && shift ;;
	-h | --help)
		sed -n '3,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
		exit 0
		;;
	*) echo "boot-test: unknown argument '$1'" >&2 && usage ;;
	esac
	shift
done
all_cases=" basic server pvh conformance bigmem soft mq ctrl reboot reboot-acpi reboot-kbd reboot-pci reboot-triple gdb "
case $vmm in
minnow)
	[[ -x $minnow && -f $minnow ]] || { echo "boot-test: --minnow '$minnow': not an executable file" >&2 && usage; }
	minnow=$(realpath -- "$minnow")
	;;
qemu-tcg) all_cases=" basic server " ;;
*) echo "boot-test: --vmm '$vmm': expected minnow or qemu-tcg" >&2 && usage ;;
esac
IFS=, read -ra case_list <<<"$cases"
((${#case_list[@]})) || { echo "boot-test: --case '': name at least one case" >&2 && usage; }
for c in "${case_list[@]}"; do
	[[ $all_cases == *" $c "* ]] || { echo "boot-test: --case '$c': expected one of:$all_cases(for $vmm)" >&2 && usage; }
done
[[ $where == auto || $where == direct || $where == nested ]] || { echo "boot-test: --where '$where': expected auto, direct or nested" >&2 && usage; }
[[ $secs =~ ^[1-9][0-9]*$ ]] || { echo "boot-test: --time '$secs': expected whole seconds (1 or more)" >&2 && usage; }
guest_timeout=${BOOT_TEST_TIMEOUT:-300}
[[ $guest_timeout =~ ^[1-9][0-9]*$ ]] || { echo "boot-test: BOOT_TEST_TIMEOUT='$guest_timeout': expected seconds" >&2 && usage; }
json_out=${json_out:-$top/.cache/linux-guest/boot-test-$vmm.json}
mkdir -p -- "$(dirname -- "$json_out")"
[[ -z $junit_out ]] || mkdir -p -- "$(dirname -- "$junit_out")"

# --- where it runs ---------------------------------------------------------------------------

if [[ -n $kernel ]]; then
	[[ -f $kernel && -r $kernel ]] || { echo "boot-test: --kernel '$kernel': not a readable file" >&2 && usage; }
	kernel=$(realpath -- "$kernel")
	kver=${kernel##*/vmlinuz-}	# the modules an image built here would need
else
	linux_kernel || skip "no /boot/vmlinuz-*-amd64: install linux-image-amd64"
	[[ -r $kernel ]] || skip "$kernel is not readable by $(id -un)"
fi
if [[ $vmm == minnow && $where == auto ]]; then
	if [[ -n ${MINNOW_NESTED:-} ]]; then
		where=direct
	elif [[ ! -r /dev/kvm || ! -w /dev/kvm ]]; then
		where=nested
		echo "boot-test: no usable /dev/kvm here: running on the nested host (tests/linux/nested.sh)"
	elif [[ -e /sys/module/kvm_pvm ]]; then
		where=nested
		echo "boot-test: this host's KVM is kvm-pvm (/sys/module/kvm_pvm), which emulates guest ring-0 code at about 1 MIPS (DESIGN §1): running on the nested host (tests/linux/nested.sh)"
	else
		where=direct
		echo "boot-test: this host's KVM runs guests in hardware: running directly"
	fi
fi
[[ $vmm == minnow ]] || where=direct
if [[ $where == direct && $vmm == minnow ]]; then
	require_kvm
elif [[ $where == nested ]]; then
	command -v qemu-system-x86_64 >/dev/null || skip "qemu-system-x86_64 missing for the nested host (tests/setup-host.sh installs qemu-system-x86)"
fi
if [[ $vmm == qemu-tcg ]]; then
	qemu=$(command -v qemu-system-x86_64) ||
		skip "qemu-system-x86_64 missing (tests/setup-host.sh installs qemu-system-x86)"
fi
command -v iperf3 >/dev/null || skip "no iperf3 on the host for the peer (tests/setup-host.sh installs it)"

# --- the image -------------------------------------------------------------------------------

if [[ -n $image ]]; then
	[[ -f $image && -r $image ]] || { echo "boot-test: --image '$image': not a readable file" >&2 && usage; }
	image=$(realpath -- "$image")
else
	image=$("$top/guest-images/linux/build-initramfs.sh" -k "$kver") || fail "could not build the guest image"
fi
# The pvh case's ELF kernel, extracted once (on the nested host this folder is read-only).
vmlinux=$top/.cache/linux-guest/vmlinux-$kver
if [[ ,$cases, == *,pvh,* && ! ( -s $vmlinux && $vmlinux -nt $kernel ) ]]; then
	mkdir -p -- "$(dirname -- "$vmlinux")"
	"$here/extract-vmlinux.sh" "$kernel" "$vmlinux" || fail "could not extract vmlinux from $kernel"
fi

# --- nested: this script again, on the nested host -------------------------------------------

if [[ $where == nested ]]; then
	outbox=$(mktemp -d "${TMPDIR:-/tmp}/minnow-boot-nested.XXXXXX")
	if [[ ${BOOT_TEST_KEEP:-} == 1 ]]; then
		echo "boot-test: the nested run's logs stay in $outbox"
	else
		trap 'rm -rf -- "$outbox"' EXIT
	fi
	# One CPU: with two (-accel tcg,thread=multi) QEMU 7.2's emulated SVM is not reliable under
	# load (seen here: the nested host's kernel overflowing its stack in minnow's vCPU thread,
	# and guests ending in triple faults); guests with several vCPUs share it. 5 GiB guests get
	# a nested host of 3 GiB (their RAM is touched lazily).
	smp=1 mem=2G
	[[ ,$cases, != *,bigmem,* ]] || mem=3G
	smp=${BOOT_TEST_NESTED_SMP:-$smp}
	inner=("$0" --vmm minnow --minnow "$minnow" --case "$cases" --kernel "$kernel" --image "$image"
		--where direct --time "$secs" --json "$outbox/result.json" --junit "$outbox/junit.xml")
	# What the cases need on the nested host, with room (BOOT_TEST_NESTED_TIMEOUT overrides).
	budget=120
	for c in "${case_list[@]}"; do
		case $c in
		conformance) budget=$((budget + 300)) ;;
		mq) budget=$((budget + 360)) ;;
		ctrl) budget=$((budget + 240)) ;;
		reboot*) budget=$((budget + 60)) ;;
		*) budget=$((budget + 120)) ;;
		esac
	done
	budget=${BOOT_TEST_NESTED_TIMEOUT:-$budget}
	# The nested host itself sometimes stalls (seen here about one run in three: every process
	# idle, no progress, before the first guest started): a run that ends without the command's
	# exit status is tried once more, and says so. A guest or check that fails is never retried.
	for attempt in 1 2; do
		rc=0
		"$here/nested.sh" --smp "$smp" --mem "$mem" --timeout "$budget" --outbox "$outbox" -- \
			"${inner[@]}" || rc=$?
		((rc == 125 && attempt == 1)) || break
		echo "boot-test: the nested host ended without an exit status (attempt 1 of 2, its console above): once more"
	done
	if [[ -s $outbox/result.json ]]; then
		python3 -c 'import json, sys
r = json.load(open(sys.argv[1])); r["where"] = "nested"; r["nested_attempts"] = int(sys.argv[3])
json.dump(r, open(sys.argv[2], "w"), indent=1)' "$outbox/result.json" "$json_out" "$attempt"
		[[ -z $junit_out ]] || cp -- "$outbox/junit.xml" "$junit_out"
		echo "boot-test: result in $json_out${junit_out:+ and $junit_out}"
	fi
	((rc != 125)) || fail "the nested host failed (its console above says why)"
	exit "$rc"
fi

# --- one case: namespace, peers, guest, judgement --------------------------------------------

net_require
net_netns boot
# Each case makes its own namespace into $ns (run_case): the first one must go at exit too.
net_more_ns+=("$ns")
vmm_pid='' counter_pid='' snap_pid='' more_pids=()
# shellcheck disable=SC2317 # called by net_cleanup
net_cleanup_hook() {
	local p
	[[ -z $vmm_pid ]] || kill "$vmm_pid" 2>/dev/null
	[[ -z $snap_pid ]] || kill "$snap_pid" 2>/dev/null
	[[ -z $counter_pid ]] || kill "$counter_pid" 2>/dev/null
	for p in "${more_pids[@]}"; do kill "$p" 2>/dev/null; done
	if [[ ${BOOT_TEST_KEEP:-} == 1 ]]; then
		# On the nested host, into the outbox: the only folder that outlives it.
		keep=$(mktemp -d "${MINNOW_NESTED_OUTBOX:-${TMPDIR:-/tmp}}/minnow-boot-test.XXXXXX")
		cp -r "$dir"/. "$keep"/ && echo "boot-test: logs kept in $keep"
	fi
}
base_dir=$dir

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

# snapshots: while the guest runs, each "guest-snapshot: NAME N" line it prints (guest/init's
# snapshot) gets minnow's metrics of that moment (SIGUSR1 to minnow, the child of timeout) kept as
# metrics-NAME.json with the host's neighbour entry for the guest in neigh-NAME.txt, then the
# answer the guest waits for: the address 10.99.1.(100+N) on the tap.
snapshots() {
	local seen=0 lines name n pid before i
	while kill -0 "$vmm_pid" 2>/dev/null; do
		mapfile -t lines < <(tr -d '\r' <"$dir/serial.log" 2>/dev/null | grep -E '^guest-snapshot: [a-z0-9-]+ [0-9]+$')
		for ((; seen < ${#lines[@]}; seen++)); do
			read -r _ name n <<<"${lines[seen]}"
			pid=$(cat "/proc/$vmm_pid/task/$vmm_pid/children" 2>/dev/null) || return 0
			pid=${pid%% *}
			[[ -n $pid ]] || return 0
			before=$(stat -c '%i %y' "$dir/metrics.json" 2>/dev/null) || before=none
			kill -USR1 "$pid" || return 0
			for ((i = 0; i < 100; i++)); do
				[[ $(stat -c '%i %y' "$dir/metrics.json" 2>/dev/null) == "$before" ]] || break
				sleep 0.05
			done
			cp -- "$dir/metrics.json" "$dir/metrics-$name.json" || echo "boot-test: no metrics for snapshot $name"
			nsx ip neigh show 10.99.1.2 dev tap0 >"$dir/neigh-$name.txt" 2>&1 || true
			ip -n "$ns" addr add "10.99.1.$((100 + n))/32" dev tap0
		done
		sleep 0.2
	done
}

# wait_for FILE WHAT PID: FILE appears while PID lives (5 s at most).
wait_for() {
	local i
	for ((i = 0; i < 100; i++)); do
		[[ ! -e $1 ]] || return 0
		kill -0 "$3" 2>/dev/null || fail "$2 died: $(cat "$1.out" 2>/dev/null)"
		sleep 0.05
	done
	fail "$2 did not start"
}

# run_case NAME: one boot, judged; its JSON in $base_dir/NAME.json, the status in case_rc.
run_case() {
	local c=$1 role=client cpus=2 mem=512M tap_mtu='' netopts='' extra=() steps='' dirs=tx,rx
	local want_exit=0 append='' ipv6='' http='' judge=() p boot=$kernel tapflags=() snaps=''
	local ports=5201 tmo=$guest_timeout
	dir=$base_dir/$c
	mkdir -p -- "$dir"
	case $c in
	basic) ;;
	pvh) boot=$vmlinux ;;
	server) role=server ;;
	conformance)
		# One vCPU: on the nested host's one CPU a second one slows the guest's sends tenfold
		# (basic, server and pvh have two, bigmem four).
		cpus=1 ipv6=1 http=1 netopts=,verify=on,pcap=$dir/net.pcapng extra=(--rng)
		steps=tcp6,udp,ping,integrity,ethtool_K,reload,hwrng
		judge=(--pcap "$dir/net.pcapng")
		;;
	bigmem)
		cpus=4 mem=5G tap_mtu=9000 steps=mem,mtu
		judge=(--mem-above $((4 << 30)) --cpus 4 --mtu 9000)
		;;
	soft) netopts=,offload=soft,verify=on ;;
	mq | ctrl)
		# Two vCPUs and two queue pairs on a multi-queue tap (ctrl: as many as vCPUs, minnow's
		# default there); the steps print several blocks and ask for metrics snapshots (ctrl
		# runs its own transfers instead of the usual two).
		tapflags=(multi_queue) steps=$c snaps=1 append=" guest.pairs=2"
		judge=(--pairs 2 --snapshots "$dir")
		if [[ $c == mq ]]; then
			# Seven transfers, one of them 27 s: about 250 s on the nested host.
			ports='5201 5202' netopts=,queues=2 tmo=$((guest_timeout + 200))
		else
			# The host's neighbour entry at the end (it is flushed when minnow closes the tap).
			dirs='' judge+=(--host-neigh "$dir/neigh-ctrl-end.txt")
		fi
		;;
	gdb)
		# 4-level paging: the stub's page walk does not know 5-level tables yet.
		role=none dirs='' steps=gdb extra=(--gdb "$dir/gdb.sock" --cpuid-mask la57)
		judge=(--gdb-out "$dir/gdb.out")
		;;
	reboot*)
		role=none dirs='' want_exit=3 append=" guest.end=reboot"
		case $c in
		reboot-acpi) append+=" reboot=a" ;;
		reboot-kbd) append+=" reboot=k" ;;
		reboot-pci) append+=" reboot=p" ;;
		reboot-triple) append+=" reboot=t" want_exit=4 ;;
		esac
		;;
	esac
	echo "boot-test: case $c"
	ns=minnow-boot-$$-$RANDOM
	ip netns add "$ns" || fail "cannot create a network namespace"
	net_more_ns+=("$ns")
	if [[ -n $ipv6 ]]; then
		ip -n "$ns" link set lo up
	else
		net_ns_init "$ns"
	fi
	net_tap ${tapflags[@]+"${tapflags[@]}"}
	[[ -z $tap_mtu ]] || ip -n "$ns" link set tap0 mtu "$tap_mtu"
	[[ -z $ipv6 ]] || ip -n "$ns" addr add fd00:99::1/64 dev tap0 nodad
	local mtu
	mtu=$(nsx cat /sys/class/net/tap0/mtu)

	# ip netns exec execs its command, so $! is the process itself (nsx would leave a shell between).
	ip netns exec "$ns" "$py" "$here/framecount.py" tap0 "$mtu" "$dir/frames.json" "$dir/counter.ready" \
		>"$dir/counter.ready.out" 2>&1 &
	counter_pid=$!
	wait_for "$dir/counter.ready" "the frame counter" "$counter_pid"
	if [[ $role == client ]]; then
		[[ $c != conformance ]] || ports='5201 5202 5203 5204'
		for p in $ports; do
			ip netns exec "$ns" iperf3 -s -p "$p" >"$dir/iperf3-server-$p.out" 2>&1 &
			more_pids+=($!)
		done
		for _ in $(seq 100); do
			nsx ss -ltnH 'sport = :5201' | grep -q . && break
			sleep 0.05
		done
	fi
	if [[ -n $http ]]; then
		ip netns exec "$ns" "$py" "$here/httppeer.py" 10.99.1.1 8000 $((48 << 20)) "$dir/blob.sha256" \
			"$dir/http.ready" >"$dir/http.ready.out" 2>&1 &
		more_pids+=($!)
		wait_for "$dir/http.ready" "the HTTP peer" "${more_pids[-1]}"
		judge+=(--blob-sha256 "$(cat "$dir/blob.sha256")")
	fi

	local cmdline="console=ttyS0 panic=-1 guest.iperf=$role guest.ip=10.99.1.2/24 guest.peer=10.99.1.1 guest.time=$secs guest.dirs=$dirs"
	[[ -z $ipv6 ]] || cmdline+=" guest.ip6=fd00:99::2/64 guest.peer6=fd00:99::1"
	[[ -z $steps ]] || cmdline+=" guest.steps=$steps"
	cmdline+=$append
	# What every VMM under test must offer and Linux 6.1's virtio_net accepts; minnow also offers
	# the MTU (QEMU only with host_mtu=).
	local features=CSUM,GUEST_CSUM,HOST_TSO4,HOST_TSO6,GUEST_TSO4,GUEST_TSO6,HOST_ECN,GUEST_ECN,MRG_RXBUF,MAC,STATUS,INDIRECT_DESC,EVENT_IDX,VERSION_1
	local cmd metrics=()
	[[ -z $snaps ]] || features+=,CTRL_VQ,CTRL_RX,CTRL_GUEST_OFFLOADS,CTRL_MAC_ADDR,MQ
	if [[ $vmm == minnow ]]; then
		features+=,MTU
		metrics=(--metrics "$dir/metrics.json")
		cmd=("$minnow" run -k "$boot" -i "$image" -m "$mem" -c "$cpus" -p "$cmdline"
			--net "tap=tap0,mac=$guest_mac$netopts" --serial "file=$dir/serial.log" "${metrics[@]}"
			${extra[@]+"${extra[@]}"})
	else
		cmdline+=$(tcg_tsc_arg)
		# shellcheck disable=SC2054 # commas inside QEMU's option values
		cmd=("$qemu" -M microvm -accel tcg -m 256M -smp 1 -nodefaults -no-user-config -nographic
			-serial "file:$dir/serial.log" -no-reboot -global virtio-mmio.force-legacy=false
			-netdev tap,id=n0,ifname=tap0,script=no,downscript=no,vhost=off
			-device "virtio-net-device,netdev=n0,mac=$guest_mac"
			-kernel "$kernel" -initrd "$image" -append "$cmdline")
	fi
	echo "boot-test: $vmm: ${cmd[*]}"
	local t0=$SECONDS status=0
	ip netns exec "$ns" timeout "$tmo" "${cmd[@]}" </dev/null >"$dir/vmm.out" 2>&1 &
	vmm_pid=$!
	if [[ -n $snaps ]]; then
		snapshots &
		snap_pid=$!
	fi
	[[ $role != server ]] || host_clients
	if [[ $c == gdb ]]; then
		"$py" "$here/gdbkernel.py" "$dir/gdb.sock" "$dir/serial.log" 120 >"$dir/gdb.out" 2>&1 || true
		sed 's/^/    /' "$dir/gdb.out"
	fi
	wait "$vmm_pid" || status=$?
	vmm_pid=
	if [[ -n $snap_pid ]]; then
		wait "$snap_pid" || true
		snap_pid=
	fi
	local elapsed=$((SECONDS - t0))
	[[ $status -ne 124 ]] || echo "boot-test: the guest did not finish within $tmo s (BOOT_TEST_TIMEOUT)"
	if [[ -s $dir/vmm.out ]]; then
		echo "boot-test: $vmm's own output:"
		sed 's/^/    /' "$dir/vmm.out" | tail -n 20
	fi
	kill "$counter_pid" 2>/dev/null
	wait "$counter_pid" || true
	counter_pid=
	for p in "${more_pids[@]}"; do
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null || true
	done
	more_pids=()

	local frames=()
	# Super-frames cross the tap where the guest ran iperf3 with TSO on, unless minnow segments
	# them itself (offload=soft: then its tx_tso counter says TSO was asked for).
	[[ -z $dirs || $c == soft ]] || frames=(--frames "$dir/frames.json")
	[[ $role == none ]] || judge+=(--features "$features")
	case_rc=0
	"$py" "$here/bootcheck.py" --vmm "$vmm" --name "$c" --serial "$dir/serial.log" --exit "$status" \
		--want-exit "$want_exit" --dirs "$dirs" --steps "$steps" ${frames[@]+"${frames[@]}"} \
		${metrics[@]+"${metrics[@]}"} ${judge[@]+"${judge[@]}"} --seconds "$elapsed" \
		--json "$base_dir/$c.json" --junit "$base_dir/$c.xml" || case_rc=$?
	if ((case_rc)); then
		echo "boot-test: last 40 lines of the guest's serial log:"
		tr -d '\r' <"$dir/serial.log" | tail -n 40 | sed 's/^/    /'
	fi
	ip netns del "$ns" 2>/dev/null
	dir=$base_dir
}

rc=0
for c in "${case_list[@]}"; do
	run_case "$c"
	((case_rc == 0)) || rc=1
done

# Every case's result in one JSON file and one JUnit document.
"$py" - "$json_out" "$junit_out" "$vmm" "$base_dir" "${case_list[@]}" <<'PY'
import json, sys
out, junit, vmm, d, cases = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5:]
rs = {c: json.load(open("%s/%s.json" % (d, c))) for c in cases}
failed = [c for c, r in rs.items() if r["result"] != "pass"]
json.dump({"vmm": vmm, "where": "direct", "result": "fail" if failed else "pass",
           "cases": rs}, open(out, "w"), indent=1)
if junit:
    with open(junit, "w") as f:
        f.write('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites>\n')
        for c in cases:
            f.write("".join(l for l in open("%s/%s.xml" % (d, c)) if not l.startswith("<?xml")))
        f.write("</testsuites>\n")
print("boot-test: %s: %d case(s), %d failed%s" % (vmm, len(cases), len(failed),
      " (%s)" % ", ".join(failed) if failed else ""))
PY
echo "boot-test: result in $json_out${junit_out:+ and $junit_out}"
exit $rc
