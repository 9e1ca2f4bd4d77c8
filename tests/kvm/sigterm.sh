#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# SIGTERM and SIGINT while the guest runs: minnow stops its vCPUs, tears down and exits 128+N.
set -euo pipefail
# shellcheck source=tests/kvm/lib.sh
source "$(dirname "$0")/lib.sh"
require_kvm
minnow=$1 probe=$2
out=$(mktemp)
trap 'rm -f "$out"' EXIT

for sig in TERM INT; do
	# A guest that prints for minutes; stop it once it is visibly running. The file goes first:
	# the previous run's output must not pass for this one's (the signal would then come before
	# minnow took it over, while a background job of this shell still ignores SIGINT).
	rm -f "$out"
	"$minnow" run -k "$probe" -p "probe.mode=print-loop probe.count=100000000" \
		</dev/null >"$out" 2>/dev/null &
	pid=$!
	for ((i = 0; i < 100; i++)); do
		[[ -s $out ]] && break
		sleep 0.1
	done
	[[ -s $out ]] || { kill -KILL "$pid"; fail "guest printed nothing within 10 s"; }
	kill -"$sig" "$pid"
	status=0
	# wait returns the child's status; give teardown 10 s before calling it hung.
	for ((i = 0; i < 100; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		kill -KILL "$pid"
		fail "minnow still running 10 s after SIG$sig"
	fi
	wait "$pid" || status=$?
	want=$((128 + $(kill -l "$sig")))
	[[ $status -eq $want ]] || fail "SIG$sig: exit status $status, expected $want"
	echo "ok: SIG$sig -> $status"
done
