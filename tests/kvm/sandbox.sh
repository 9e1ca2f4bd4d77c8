#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The seccomp sandbox on a running minnow (docs/DESIGN.md §10): every thread shows its filter
# and no_new_privs in /proc, the main thread still writes --metrics on SIGUSR1 and the exit
# status is the usual one; --user leaves no privilege; --seccomp off installs nothing.
set -euo pipefail
# shellcheck source=tests/kvm/lib.sh
source "$(dirname "$0")/lib.sh"
require_kvm
minnow=$1 probe=$2
dir=$(mktemp -d)
pid=
trap '[[ -n $pid ]] && kill -KILL "$pid" 2>/dev/null; rm -rf "$dir"' EXIT

# start MODE [ARGS...]: minnow with a printing guest, in the background; waits for its first line
start() {
	local mode=$1
	shift
	rm -f "$dir/out"
	"$minnow" run -k "$probe" --rng --metrics "$dir/m.json" --seccomp "$mode" "$@" \
		-p "probe.mode=print-loop probe.count=100000000" </dev/null >"$dir/out" 2>"$dir/err" &
	pid=$!
	for ((i = 0; i < 100; i++)); do
		[[ -s $dir/out ]] && break
		sleep 0.1
	done
	[[ -s $dir/out ]] || fail "guest printed nothing within 10 s: $(cat "$dir/err")"
}

# threads SECCOMP NNP: every thread of $pid shows Seccomp: SECCOMP and NoNewPrivs: NNP; their
# count and names in $seen
threads() {
	local n=0 t s nnp names=
	for t in /proc/"$pid"/task/*; do
		s=$(awk '$1 == "Seccomp:" { print $2 }' "$t/status")
		nnp=$(awk '$1 == "NoNewPrivs:" { print $2 }' "$t/status")
		[[ $s == "$1" && $nnp == "$2" ]] ||
			fail "thread $(cat "$t/comm") (${t##*/}): Seccomp $s, NoNewPrivs $nnp (want $1, $2)"
		names+=" $(cat "$t/comm")"
		n=$((n + 1))
	done
	((n >= 2)) || fail "only $n threads:$names (want main and the vCPU at least)"
	seen="$n threads:$names"
}

# stop: SIGTERM, status 143
stop() {
	local status=0
	kill -TERM "$pid"
	wait "$pid" || status=$?
	pid=
	[[ $status -eq 143 ]] || fail "exit status $status after SIGTERM: $(cat "$dir/err")"
}

# metrics WHAT: SIGUSR1 writes the running guest's metrics (the main thread opens and renames a file)
metrics() {
	rm -f "$dir/m.json"
	kill -USR1 "$pid"
	for ((i = 0; i < 50; i++)); do
		[[ -s $dir/m.json ]] && break
		sleep 0.1
	done
	grep -q '"exit":{"reason":"running"' "$dir/m.json" ||
		fail "$1: SIGUSR1 wrote no metrics: $(cat "$dir/err")"
}

start on
threads 2 1
on=$seen
metrics "--seccomp on"
stop
grep -q seccomp "$dir/err" && fail "a seccomp line on stderr: $(cat "$dir/err")"

# --user: every id is nobody's, no capability is left, and the metrics (in a folder nobody may
# write, the one Landlock leaves open) are still written.
rm -f "$dir/m.json"
chmod 0777 "$dir"
start on --user nobody
threads 2 1
user=$seen
for t in /proc/"$pid"/task/*; do
	grep -q "^Uid:[[:space:]]*65534[[:space:]]*65534[[:space:]]*65534[[:space:]]*65534$" "$t/status" ||
		fail "--user nobody: thread ${t##*/}: $(grep ^Uid: "$t/status")"
	caps=$(grep -cE "^Cap(Eff|Prm):[[:space:]]*0000000000000000$" "$t/status" || true)
	[[ $caps == 2 ]] ||
		fail "--user nobody: thread ${t##*/} has capabilities: $(grep ^Cap "$t/status")"
done
metrics "--user nobody"
[[ $(stat -c %u "$dir/m.json") == 65534 ]] || fail "--user nobody: metrics owned by $(stat -c %u "$dir/m.json")"
stop

rm -f "$dir/m.json"
start off
threads 0 0
off=$seen
stop
echo "ok: --seccomp on: $on, each Seccomp 2 and NoNewPrivs 1, metrics on SIGUSR1, status 143; --user nobody: $user, uid 65534 and no capabilities, metrics written as nobody; off: $off unfiltered"
