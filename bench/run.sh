#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# minnow's benchmarks (DESIGN §9): the probe guest under minnow (io_uring and the readv/writev
# baseline) and under QEMU microvm (virtio-net-device, vhost off), with the same host peers, and
# the host-only limit (a host program on the same tap, no VM). Rounds alternate the order
# (A B C D, then D C B A, ...); the report gives medians and ratios and goes to bench/RESULTS.md.
#
# Everything with a network runs inside a network namespace this script creates and deletes
# on every exit path (DESIGN §1); nothing outside it is ever addressed. Run as root:
#
#   bench/run.sh [--rounds N] [--out FILE] [--keep DIR] [--quick]
#
# Benchmarks are not tests: nothing here asserts a timing.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
rounds=5
out=$root/bench/RESULTS.md
keep=
minnow=$root/build/minnow
probe=$root/build/guest-images/probe/probe.elf
# Workload sizes; each can be overridden from the environment. The traffic rows are sized for
# about five seconds each at the rates of bench/RESULTS.md (0.6 s rows were noise: spreads up to
# 109% between rounds), so that start-up, slow start and the first interrupts are a small part.
BOOTS=${BOOTS:-4}              # boot-to-exit runs per VMM per round
TX_COUNT=${TX_COUNT:-3000000}  # guest -> host datagrams of 1472 bytes
TX64_COUNT=${TX64_COUNT:-4000000} # guest -> host datagrams of 18 bytes (64-byte frames)
RX_COUNT=${RX_COUNT:-2500000}  # host -> guest datagrams of 1472 bytes
RX64_COUNT=${RX64_COUNT:-2000000} # host -> guest datagrams of 18 bytes
ECHO_COUNT=${ECHO_COUNT:-5000} # round trips timed (after 20 not timed)
TSO_BYTES=${TSO_BYTES:-17179869184} # guest -> host TCP with TSO, 16 GiB (if the probe has net-tcp-tx)
WINDOW=${WINDOW:-512}          # udp_blast: most datagrams queued on the tap (its queue holds 1000)

usage() {
	cat <<EOF
usage: bench/run.sh [--rounds N] [--out FILE] [--keep DIR] [--quick] [--minnow PATH] [--probe PATH]
  --rounds N   rounds of every benchmark (default 5)
  --out FILE   the report (default bench/RESULTS.md)
  --keep DIR   also copy the raw per-run files there
  --quick      1 round and a small fraction of the traffic: checks that everything runs
Sizes from the environment: BOOTS TX_COUNT TX64_COUNT RX_COUNT RX64_COUNT ECHO_COUNT TSO_BYTES
WINDOW
EOF
	exit 2
}

args_given=("$@")
while (($#)); do
	case $1 in
	--rounds) rounds=${2:?}; shift 2 ;;
	--out) out=${2:?}; shift 2 ;;
	--keep) keep=${2:?}; shift 2 ;;
	--minnow) minnow=${2:?}; shift 2 ;;
	--probe) probe=${2:?}; shift 2 ;;
	--quick)
		rounds=1 BOOTS=2 TX_COUNT=20000 TX64_COUNT=20000 RX_COUNT=20000 RX64_COUNT=20000
		ECHO_COUNT=500 TSO_BYTES=67108864
		shift ;;
	*) usage ;;
	esac
done
[[ $rounds =~ ^[1-9][0-9]*$ ]] || usage

die() { echo "bench: $*" >&2; exit 1; }
[[ $(id -u) -eq 0 ]] || die "run as root (network namespaces, taps, /dev/kvm)"
[[ -r /dev/kvm && -w /dev/kvm ]] || die "/dev/kvm is missing or not accessible"
[[ -c /dev/net/tun ]] || die "/dev/net/tun is missing"
for tool in gcc ip qemu-system-x86_64 python3; do
	command -v "$tool" >/dev/null || die "$tool is not installed"
done
[[ -x $minnow ]] || die "$minnow is missing: build it first (meson setup build && ninja -C build)"
[[ -r $probe ]] || die "$probe is missing: build it first (ninja -C build)"
py=$(python3 -c 'import sys; print(sys.executable)')
qemu=$(command -v qemu-system-x86_64)

ns=minnow-bench-$$-$RANDOM
dir=$(mktemp -d /tmp/minnow-bench.XXXXXX)
bin=$dir/bin raw=$dir/raw
mkdir -p "$bin" "$raw"
bg_pids=()

# Every exit path: stop what we started (our background peers by pid, then whatever still runs
# in our own namespace), delete the namespace (and with it the tap), remove the scratch files.
cleanup() {
	local rc=$? pid
	set +e
	trap - EXIT INT TERM
	for pid in "${bg_pids[@]}"; do
		kill "$pid" 2>/dev/null
	done
	if ip netns list 2>/dev/null | grep -qw "$ns"; then
		for pid in $(ip netns pids "$ns" 2>/dev/null); do
			kill "$pid" 2>/dev/null
		done
		sleep 0.2
		for pid in $(ip netns pids "$ns" 2>/dev/null); do
			kill -KILL "$pid" 2>/dev/null
		done
		ip netns del "$ns"
	fi
	wait 2>/dev/null
	if [[ -n $keep ]]; then
		mkdir -p "$keep" && cp -r "$raw" "$dir/meta.json" "$keep"/ 2>/dev/null
	fi
	rm -rf "$dir"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- the host-side programs -----------------------------------------------------------------
for p in cputime udp_sink udp_blast udp_ping tap_push tap_pull tcp_sink; do
	gcc -O2 -std=gnu11 -Wall -Wextra -o "$bin/$p" "$root/bench/$p.c" ||
		die "cannot build bench/$p.c"
done

# The VMM and the guest as they are now: the tree may be rebuilt while we run (other work on the
# same machine), and one run must measure one binary.
cp "$minnow" "$dir/minnow" || die "cannot copy $minnow"
cp "$probe" "$dir/probe.elf" || die "cannot copy $probe"
minnow_src=$minnow probe_src=$probe
minnow=$dir/minnow probe=$dir/probe.elf
"$minnow" --version >/dev/null 2>&1 || die "$minnow_src does not run (being rebuilt?)"
[[ $(head -c4 "$probe" | od -An -c | tr -d ' ') == 177ELF ]] ||
	die "$probe_src is not an ELF (being rebuilt?)"

# --- load: the 1-minute load average, and CPU time that none of our processes used -----------
clk_tck=$(getconf CLK_TCK)
# busy and steal jiffies of the whole machine
cpu_jiffies() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9, $9 }' /proc/stat; }
# ours=CPU seconds of this shell's reaped children (all our processes). `times` must run in
# this shell itself: in a command substitution it would report a fresh subshell's children.
our_cpu() {
	times >"$dir/times"
	ours=$(awk 'NR == 2 { for (i = 1; i <= 2; i++) { split($i, a, "m"); s += a[1] * 60 + a[2] } }
		END { printf "%.2f", s }' "$dir/times")
}
loadavg() { cut -d' ' -f1 /proc/loadavg; }
# load_mark NAME: a snapshot; load_since NAME: "load1 foreign_cpu_s steal_s wall_s" since it
declare -A mark_busy mark_steal mark_ours mark_t
load_mark() {
	local j
	read -r -a j < <(cpu_jiffies)
	our_cpu
	mark_busy[$1]=${j[0]} mark_steal[$1]=${j[1]} mark_ours[$1]=$ours mark_t[$1]=$EPOCHREALTIME
}
load_since() {
	local j
	read -r -a j < <(cpu_jiffies)
	our_cpu
	awk -v l="$(loadavg)" -v b0="${mark_busy[$1]}" -v b1="${j[0]}" -v s0="${mark_steal[$1]}" \
		-v s1="${j[1]}" -v o0="${mark_ours[$1]}" -v o1="$ours" -v t0="${mark_t[$1]}" \
		-v t1="$EPOCHREALTIME" -v hz="$clk_tck" \
		'BEGIN { printf "%s %.2f %.2f %.2f\n", l, (b1 - b0) / hz - (o1 - o0), (s1 - s0) / hz, t1 - t0 }'
}

# --- the namespace and its tap --------------------------------------------------------------
ip netns add "$ns" || die "cannot create a network namespace"
nsx() { ip netns exec "$ns" "$@"; }
guest_mac=52:54:00:12:34:56
# shellcheck source=bench/lib.sh
. "$root/bench/lib.sh"
netns_tap "$ns" $guest_mac # the guest also knows the host: no ARP in any timed run
tap_mac=$(nsx cat /sys/class/net/tap0/address)
host_ep=10.99.1.1:5000 guest_ep=10.99.1.2:5000

# --- kvmtool, for the boot-time comparison, only from Debian's packages ----------------------
kvmtool_note=
if ! command -v lkvm >/dev/null; then
	cand=$(apt-cache policy kvmtool 2>/dev/null | awk '/Candidate:/ { print $2 }')
	if [[ -n $cand && $cand != "(none)" ]]; then
		apt-get install -y -q kvmtool >"$dir/apt.log" 2>&1 || true
	fi
fi
if command -v lkvm >/dev/null; then
	# kvmtool has no debug-exit port: the probe's hello would end in its pause loop.
	kvmtool_note="kvmtool $(lkvm version 2>/dev/null | head -1) is installed, but it has no debug-exit port (the probe's hello ends by writing its status to port 0x501 and then waits), so it is not timed"
else
	kvmtool_note="kvmtool is not installed and apt has no candidate for it on this host (\`apt-cache policy kvmtool\` lists nothing: Debian 12 does not package it), so the boot comparison uses DESIGN §1's measured 37 ms"
fi

# --- the VMMs -------------------------------------------------------------------------------
# shellcheck disable=SC2054 # the commas are QEMU's option syntax
qemu_base=(-M microvm,acpi=off -accel kvm -cpu host,-arch-capabilities -m 128M -nodefaults
	-no-user-config -nographic -serial stdio -device isa-debug-exit,iobase=0x501,iosize=2
	-no-reboot)
# shellcheck disable=SC2054
qemu_net=(-global virtio-mmio.force-legacy=false
	-netdev tap,id=n0,ifname=tap0,script=no,downscript=no,vhost=off
	-device "virtio-net-device,netdev=n0,mac=$guest_mac")

# vmm_cmd VARIANT CMDLINE FILE: sets cmd=(...) and want (the exit status of a clean run).
vmm_cmd() {
	local v=$1 c=$2 f=$3
	case $v in
	minnow) cmd=("$minnow" run -m 128M -k "$probe" -p "$c") want=0 ;;
	minnow-uring | minnow-sync)
		cmd=("$minnow" run -m 128M -k "$probe" --net "tap=tap0,mac=$guest_mac,io=${v#minnow-}"
			--metrics "$f.metrics" -p "$c") want=0 ;;
	qemu) cmd=("$qemu" "${qemu_base[@]}" -kernel "$probe" -append "$c") want=1 ;;
	qemu-net) cmd=("$qemu" "${qemu_base[@]}" "${qemu_net[@]}" -kernel "$probe" -append "$c") want=1 ;;
	*) die "no VMM variant $v" ;;
	esac
}

# show ARG...: the command as one shell line (arguments with blanks in double quotes)
show() {
	local a s=
	for a in "$@"; do
		[[ $a =~ [[:space:]] ]] && a="\"$a\""
		s+="${s:+ }$a"
	done
	printf '%s\n' "$s"
}

# note_cmd FILE ROLE ARG...: the exact command of a run, kept once per benchmark, variant, role
note_cmd() {
	local f=$1 role=$2 key
	shift 2
	key=$raw/$(basename "$f" | cut -d. -f1,2).cmd
	grep -qs "^$role:" "$key" && return 0
	printf '%s: ip netns exec %s %s\n' "$role" "$ns" "$(show "$@")" >>"$key"
}

# timed FILE ARG...: ARG... in the namespace under cputime; its status in $rc
timed() {
	local f=$1
	shift
	note_cmd "$f" "${role:-vmm}" "$@"
	rc=0
	nsx "$bin/cputime" "$f.time" --timeout 60 -- "$@" </dev/null >"$f.out" 2>"$f.err" || rc=$?
	echo "$rc" >"$f.rc"
}

# peer_start FILE ARG...: a host program in the background, once it says its sockets are ready
peer_start() {
	local f=$1
	shift
	note_cmd "$f" peer "$@"
	rm -f "$dir/flag"
	# Not through nsx: a function would run in a subshell; ip netns exec execs the command, so
	# $! is the peer itself and peer_finish can stop it.
	ip netns exec "$ns" "$@" --flag "$dir/flag" >"$f.peer" 2>"$f.peer.err" &
	peer_pid=$!
	bg_pids+=("$peer_pid")
	for _ in $(seq 500); do
		[[ -e $dir/flag ]] && return 0
		kill -0 "$peer_pid" 2>/dev/null || break
		sleep 0.01
	done
	echo "bench: the peer did not start: $(cat "$f.peer.err")" >&2
}

# peer_finish: up to 3 s for the peer to end by itself, then it is stopped
peer_finish() {
	for _ in $(seq 300); do
		kill -0 "$peer_pid" 2>/dev/null || break
		sleep 0.01
	done
	kill "$peer_pid" 2>/dev/null || true
	wait "$peer_pid" 2>/dev/null || true
	bg_pids=()
}

# order A B C...: the variants, reversed on even rounds
order() {
	local a=("$@") i
	if ((round % 2)); then
		printf '%s\n' "${a[@]}"
	else
		for ((i = ${#a[@]} - 1; i >= 0; i--)); do printf '%s\n' "${a[i]}"; done
	fi
}

progress() { # FILE: one line per run
	local f=$1 status=ok
	[[ $(cat "$f.rc") -eq ${want:-0} ]] || status="exit $(cat "$f.rc")"
	printf '  %-28s %s\n' "$(basename "$f")" "$status"
}

common="probe.ip=10.99.1.2 probe.peer=10.99.1.1 probe.port=5000 probe.peer_mac=$tap_mac probe.timeout_ms=3000"
F_CSUM=0x120010029  # VERSION_1 EVENT_IDX STATUS MAC MTU + CSUM
F_GCSUM=0x12001002a # ... + GUEST_CSUM
F_BOTH=0x12001002b  # ... + CSUM + GUEST_CSUM
F_TSO=0x120010829   # ... + CSUM + HOST_TSO4

# --- the benchmarks -------------------------------------------------------------------------
# bench_boot NAME MODE: the whole VMM process, no devices; hello prints ~100 bytes on COM1
# (two exits a byte), exit ~30, so the pair shows what the guest's output costs.
bench_boot() {
	local name=$1 mode=$2 i v f
	for ((i = 1; i <= BOOTS; i++)); do
		for v in $(order minnow qemu); do
			f=$raw/$name.$v.$round.$i
			vmm_cmd "$v" "probe.mode=$mode" "$f"
			role=vmm timed "$f" "${cmd[@]}"
			progress "$f"
		done
	done
}

# bench_tx NAME SIZE COUNT: the guest sends, udp_sink counts; host-only: tap_push writes
bench_tx() {
	local name=$1 size=$2 count=$3 v f
	for v in $(order minnow-uring minnow-sync qemu host-only); do
		f=$raw/$name.$v.$round
		peer_start "$f" "$bin/udp_sink" --bind $host_ep --count "$count"
		if [[ $v == host-only ]]; then
			want=0
			role=host timed "$f" "$bin/tap_push" --tap tap0 --src-mac $guest_mac --src $guest_ep \
				--dst $host_ep --size "$size" --count "$count"
		else
			vmm_cmd "${v/qemu/qemu-net}" "probe.mode=net-udp-tx $common probe.count=$count probe.size=$size probe.csum_offload=1 probe.features=$F_CSUM" "$f"
			role=vmm timed "$f" "${cmd[@]}"
		fi
		peer_finish
		progress "$f"
	done
}

# bench_rx NAME SIZE COUNT: udp_blast sends once the guest is ready; host-only: tap_pull reads
bench_rx() {
	local name=$1 size=$2 count=$3 v f pull
	for v in $(order minnow-uring minnow-sync qemu host-only); do
		f=$raw/$name.$v.$round
		if [[ $v == host-only ]]; then
			want=0
			rm -f "$dir/flag"
			note_cmd "$f" host "$bin/tap_pull" --tap tap0 --port 5000 --count "$count"
			ip netns exec "$ns" "$bin/cputime" "$f.time" --timeout 60 -- "$bin/tap_pull" \
				--tap tap0 --port 5000 --count "$count" --flag "$dir/flag" >"$f.out" 2>"$f.err" &
			pull=$!
			bg_pids+=("$pull")
			for _ in $(seq 500); do [[ -e $dir/flag ]] && break; sleep 0.01; done
			note_cmd "$f" peer "$bin/udp_blast" --bind $host_ep --to $guest_ep --size "$size" \
				--count "$count" --tap tap0 --window "$WINDOW"
			nsx "$bin/udp_blast" --bind $host_ep --to $guest_ep --size "$size" --count "$count" \
				--tap tap0 --window "$WINDOW" >"$f.peer" 2>"$f.peer.err" || true
			rc=0
			wait "$pull" || rc=$?
			bg_pids=()
			echo "$rc" >"$f.rc"
		else
			peer_start "$f" "$bin/udp_blast" --bind $host_ep --size "$size" --count "$count" \
				--tap tap0 --window "$WINDOW"
			vmm_cmd "${v/qemu/qemu-net}" "probe.mode=net-udp-rx $common probe.count=$count probe.size=$size probe.features=$F_GCSUM" "$f"
			role=vmm timed "$f" "${cmd[@]}"
			peer_finish
		fi
		progress "$f"
	done
}

bench_echo() {
	local v f
	for v in $(order minnow-uring minnow-sync qemu); do
		f=$raw/echo.$v.$round
		peer_start "$f" "$bin/udp_ping" --bind $host_ep --size 64 --count "$ECHO_COUNT" --warmup 20
		vmm_cmd "${v/qemu/qemu-net}" "probe.mode=net-echo $common probe.count=$((ECHO_COUNT + 20)) probe.csum_offload=1 probe.features=$F_BOTH" "$f"
		role=vmm timed "$f" "${cmd[@]}"
		peer_finish
		progress "$f"
	done
}

# A TCP stream out of the guest in TSO super-frames (the probe's own TCP) to tcp_sink. There is
# no host-only TCP sender without a real peer, so host-only writes 64 KiB UDP segmentation
# super-frames (44 datagrams of 1472 bytes each) to udp_sink: the super-frame ceiling of a tap.
bench_tso() {
	local v f frames=$(((TSO_BYTES + 44 * 1472 - 1) / (44 * 1472)))
	for v in $(order minnow-uring minnow-sync qemu host-only); do
		f=$raw/tso.$v.$round
		if [[ $v == host-only ]]; then
			want=0
			peer_start "$f" "$bin/udp_sink" --bind $host_ep --count $((frames * 44))
			role=host timed "$f" "$bin/tap_push" --tap tap0 --src-mac $guest_mac --src $guest_ep \
				--dst $host_ep --size 1472 --count "$frames" --gso 44
		else
			peer_start "$f" "$bin/tcp_sink" --bind $host_ep
			vmm_cmd "${v/qemu/qemu-net}" "probe.mode=net-tcp-tx $common probe.bytes=$TSO_BYTES probe.tso=1 probe.features=$F_TSO" "$f"
			role=vmm timed "$f" "${cmd[@]}"
		fi
		peer_finish
		progress "$f"
	done
}

# One datagram out: the fixed cost of a networked run (start-up, init, teardown), subtracted
# from the traffic runs' CPU time for the "marginal" CPU per GB.
bench_base() {
	local v f
	for v in $(order minnow-uring minnow-sync qemu); do
		f=$raw/base.$v.$round
		peer_start "$f" "$bin/udp_sink" --bind $host_ep --count 1
		vmm_cmd "${v/qemu/qemu-net}" "probe.mode=net-udp-tx $common probe.count=1 probe.size=1472 probe.csum_offload=1 probe.features=$F_CSUM" "$f"
		role=vmm timed "$f" "${cmd[@]}"
		peer_finish
		progress "$f"
	done
}

# --- run ------------------------------------------------------------------------------------
# The probe's TCP mode is newer than its UDP ones: measure TSO only where it exists.
tso=
grep -qa 'net-tcp-tx' "$probe" && tso=1
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
date_start=$(date -u '+%Y-%m-%d %H:%M:%S UTC')
# Two idle seconds first: what the rest of the machine is doing right now (the load average
# lags by a minute).
load_mark pre
sleep 2
load_since pre >"$raw/load.pre"
load_mark all
echo "bench: $rounds round(s); load average at start: $load_start; scratch $dir, netns $ns"
round=0
for ((round = 1; round <= rounds; round++)); do
	echo "round $round/$rounds"
	load_mark round
	bench_boot boot hello
	bench_boot boot-exit exit
	bench_base
	bench_tx tx1472 1472 "$TX_COUNT"
	bench_tx tx64 18 "$TX64_COUNT"
	bench_rx rx1472 1472 "$RX_COUNT"
	bench_rx rx64 18 "$RX64_COUNT"
	bench_echo
	[[ -z $tso ]] || bench_tso
	load_since round >"$raw/load.$round"
	read -r l fcpu st w <"$raw/load.$round"
	echo "  load average $l; CPU used by other processes ~${fcpu} s (steal ${st} s) in ${w} s"
done
load_since all >"$raw/load.all"
load_end=$(cut -d' ' -f1-3 /proc/loadavg)

meta() { bench_meta "$dir/meta.json" "$@"; } # KEY=VALUE...: facts for the report
commit=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)
git -C "$root" diff --quiet HEAD -- vmm devices net firmware guest-images 2>/dev/null ||
	commit+=" (with uncommitted changes)"
meta date="$date_start" command="bench/run.sh${args_given[*]:+ ${args_given[*]}}" \
	nproc="$(nproc)" cpu="$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')" \
	kernel="$(uname -r)" kvm_pvm="$([[ -d /sys/module/kvm_pvm ]] && echo yes || echo no)" \
	minnow="$("$minnow" --version 2>&1 | head -1)" commit="$commit" \
	qemu="$("$qemu" --version | head -1)" gcc="$(gcc --version | head -1)" \
	load_start="$load_start" load_end="$load_end" rounds="$rounds" boots="$BOOTS" \
	tx_count="$TX_COUNT" tx64_count="$TX64_COUNT" rx_count="$RX_COUNT" \
	rx64_count="$RX64_COUNT" echo_count="$ECHO_COUNT" window="$WINDOW" ns="$ns" \
	tso_bytes="$TSO_BYTES" tso="${tso:+yes}" root="$root" \
	minnow_bin="${minnow_src#"$root"/} (sha256 $(sha256sum "$minnow" | cut -c1-16))" \
	probe_bin="${probe_src#"$root"/} (sha256 $(sha256sum "$probe" | cut -c1-16))" \
	kvmtool="$kvmtool_note" probe_modes="$(grep -ao 'net-[a-z0-9-]*' "$probe" | sort -u | tr '\n' ' ')"
"$py" "$root/bench/report.py" "$raw" "$dir/meta.json" "$out"
echo "bench: report written to $out"
