#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The device-only benchmark (no KVM): minnow's virtio-net device with io=uring against io=sync,
# each driven by bench/devbench's in-process polling driver over a real tap. Every row runs for
# both engines in every round, alternating (round 1: uring sync, round 2: sync uring, ...); each
# run is time-sized (--seconds after a warm-up) and prints one JSON line; bench/devreport.py turns
# them into medians, spreads and ratios (default bench/RESULTS-device.md). The rr row measures
# round-trip times, one request at a time, where the others measure throughput.
#
# All traffic stays in a network namespace this script creates and deletes on every exit path:
# tap0 (10.99.1.1/24) with the device behind it (10.99.1.2, a static neighbour), the peer on
# the tap's own address. Run as root, after `meson setup build && ninja -C build`:
#
#   bench/dev.sh [--rounds N] [--seconds S] [--warmup S] [--out FILE] [--rows "rx1472 tx64 rr"]
#                [--mrg] [--keep DIR] [--devbench PATH]
#
# MINNOW_URING_DISABLE in the environment reaches every run (ip netns exec keeps it; sudo does
# not unless it is named on sudo's command line); the report says whether it was set.
#
# Benchmarks are not tests: nothing here asserts a timing.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
rounds=5 seconds=5 warmup=1 mrg=
rows="rx1472 rx64 tx1472 tx64 rr"
out=$root/bench/RESULTS-device.md
keep=
devbench=$root/build/bench/devbench

usage() {
	cat <<EOF
usage: bench/dev.sh [--rounds N] [--seconds S] [--warmup S] [--out FILE] [--rows "ROW..."]
                    [--mrg] [--keep DIR] [--devbench PATH]
  --rounds N     rounds; every row runs for both engines in each (default 5)
  --seconds S    the measured window of one run (default 5)
  --warmup S     traffic before the window, not measured (default 1)
  --out FILE     the report (default bench/RESULTS-device.md)
  --rows "..."   rx|tx and a size, or rr: rx1472 rx64 tx1472 tx64 rr (default); 64 means
                 64-byte frames (18-byte datagrams), any other number the datagram's size
                 (1-1472); rr: round trips of one request at a time, 64-byte frames (rrN: as
                 above, 8-1472)
  --mrg          negotiate MRG_RXBUF in every run
  --keep DIR     also copy the raw per-run files there
  --devbench P   the program (default build/bench/devbench)
EOF
	exit 2
}

args_given=("$@")
while (($#)); do
	case $1 in
	--rounds) rounds=${2:?}; shift 2 ;;
	--seconds) seconds=${2:?}; shift 2 ;;
	--warmup) warmup=${2:?}; shift 2 ;;
	--out) out=${2:?}; shift 2 ;;
	--rows) rows=${2:?}; shift 2 ;;
	--mrg) mrg=--mrg; shift ;;
	--keep) keep=${2:?}; shift 2 ;;
	--devbench) devbench=${2:?}; shift 2 ;;
	*) usage ;;
	esac
done
[[ $rounds =~ ^[1-9][0-9]*$ ]] || usage
[[ $seconds =~ ^[0-9]+(\.[0-9]+)?$ && $warmup =~ ^[0-9]+(\.[0-9]+)?$ ]] || usage
for r in $rows; do
	[[ $r =~ ^((rx|tx)[0-9]+|rr[0-9]*)$ ]] || usage
	[[ $r == rr ]] && continue
	n=$((10#${r:2})) min=1
	[[ $r == rr* ]] && min=8 # rr's request opens with an 8-byte sequence number
	((n == 64 || (n >= min && n <= 1472))) || usage
done

die() { echo "dev.sh: $*" >&2; exit 1; }
[[ $(id -u) -eq 0 ]] || die "run as root (a network namespace and a tap)"
[[ -c /dev/net/tun ]] || die "/dev/net/tun is missing"
for tool in ip python3 timeout; do
	command -v "$tool" >/dev/null || die "$tool is not installed"
done
[[ -x $devbench ]] ||
	die "$devbench is missing: build it first (meson setup build && ninja -C build)"

ns=minnow-devbench-$$
dir=$(mktemp -d /tmp/minnow-devbench.XXXXXX)
raw=$dir/raw
mkdir -p "$raw"
pid=

# Every exit path: stop the run in flight (by its pid), delete the namespace (and its tap),
# remove the scratch files.
cleanup() {
	local rc=$?
	set +e
	trap - EXIT INT TERM
	if [[ -n $pid ]]; then
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	fi
	if ip netns list 2>/dev/null | grep -qw "$ns"; then
		ip netns del "$ns"
	fi
	if [[ -n $keep ]]; then
		mkdir -p "$keep" && cp -rp "$raw" "$dir/meta.json" "$keep"/ 2>/dev/null # -p: mtimes order the runs
	fi
	rm -rf "$dir"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# One binary for the whole run: the tree may be rebuilt meanwhile.
cp "$devbench" "$dir/devbench" || die "cannot copy $devbench"
devbench_src=$devbench devbench=$dir/devbench

# --- the namespace and its tap ----------------------------------------------------------------
ip netns add "$ns" || die "cannot create a network namespace"
# shellcheck source=bench/lib.sh
. "$root/bench/lib.sh"
netns_tap "$ns" 02:00:00:00:00:02 # devbench's guest MAC (bench/devbench.h)

# order A B: reversed on even rounds, so slow drifts hit both engines alike
order() {
	if ((round % 2)); then echo uring sync; else echo sync uring; fi
}

# run NAME VARIANT: one devbench run; its JSON line, stderr, status and command in $raw
run() {
	local name=$1 v=$2 f size cmd
	f=$raw/$name.$v.$round
	size=${name:2}
	[[ $size == 64 || -z $size ]] && size=18 # rr alone: 64-byte frames too
	cmd=("$devbench" "${name:0:2}" --tap tap0 --seconds "$seconds" --warmup "$warmup"
		--size "$size" ${mrg:+"$mrg"})
	[[ $v == sync ]] && cmd+=(--sync)
	printf 'ip netns exec %s %s\n' "$ns" "${cmd[*]/#$dir/\$DIR}" >"$f.cmd"
	# In the background: a TERM reaches the trap at once; ip netns exec execs devbench.
	timeout "$(awk -v s="$seconds" -v w="$warmup" 'BEGIN { print int(s + w + 30) }')" \
		ip netns exec "$ns" "${cmd[@]}" >"$f.json" 2>"$f.err" &
	pid=$!
	local rc=0
	wait "$pid" || rc=$?
	pid=
	echo "$rc" >"$f.rc"
	"$py" - "$f.json" "$rc" "$name" "$v" "$round" <<'EOF'
import json, sys
path, rc, name, v, r = sys.argv[1:]
try:
    j = json.loads(open(path).read().strip().splitlines()[-1])
    if "rtt_med_us" in j:
        what = "%7.0f round trips/s, RTT median %.1f us, p99 %.1f us" % (
            j["pps"], j["rtt_med_us"], j["rtt_p99_us"])
    else:
        what = "%9.1f Mbit/s %10.0f pkt/s" % (j["mbps"], j["pps"])
    print("  %-8s %-5s round %s: %s  device CPU %.2f s, outside %.2f s%s"
          % (name, v, r, what, j["dev_cpu_s"], j["outside_cpu_s"],
             "  ERROR " + j["error"] if "error" in j else ""))
except (OSError, ValueError, IndexError, KeyError):
    print("  %-8s %-5s round %s: no result (exit %s)" % (name, v, r, rc))
EOF
}

py=$(command -v python3)
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
date_start=$(date -u '+%Y-%m-%d %H:%M:%S UTC')
echo "dev.sh: $rounds round(s) of: $rows; ${seconds} s each after ${warmup} s; netns $ns"
echo "dev.sh: load average at start: $load_start"
uring_disable="not set"
[[ -v MINNOW_URING_DISABLE ]] && uring_disable="'$MINNOW_URING_DISABLE'"
echo "dev.sh: MINNOW_URING_DISABLE: $uring_disable"
for ((round = 1; round <= rounds; round++)); do
	echo "round $round/$rounds (load $(cut -d' ' -f1 /proc/loadavg))"
	for name in $rows; do
		for v in $(order); do
			run "$name" "$v"
		done
	done
done
load_end=$(cut -d' ' -f1-3 /proc/loadavg)

commit=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)
git -C "$root" diff --quiet HEAD -- base devices net tests/support 'bench/*.[ch]' 2>/dev/null ||
	commit+=" (with uncommitted changes)"
bench_meta "$dir/meta.json" date="$date_start" \
	command="bench/dev.sh${args_given[*]:+ ${args_given[*]}}" nproc="$(nproc)" \
	kernel="$(uname -r)" commit="$commit" \
	cpu="$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')" \
	load_start="$load_start" load_end="$load_end" rounds="$rounds" seconds="$seconds" \
	warmup="$warmup" rows="$rows" mrg="${mrg:+yes}" ns="$ns" \
	uring_disable="$uring_disable" \
	devbench="${devbench_src#"$root"/} (sha256 $(sha256sum "$devbench" | cut -c1-16))"
"$py" "$root/bench/devreport.py" "$raw" "$dir/meta.json" "$out"
echo "dev.sh: report written to $out"
