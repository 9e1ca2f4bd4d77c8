#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# --metrics: SIGUSR1 writes the counters while the guest runs; the exit writes them once more.
set -euo pipefail
# shellcheck source=tests/kvm/lib.sh
source "$(dirname "$0")/lib.sh"
require_kvm
minnow=$1 probe=$2
dir=$(mktemp -d)
pid=
trap '[[ -n $pid ]] && kill -KILL "$pid" 2>/dev/null; rm -rf "$dir"' EXIT

"$minnow" run -k "$probe" --rng --metrics "$dir/m.json" \
	-p "probe.mode=print-loop probe.count=100000000" </dev/null >"$dir/out" 2>"$dir/err" &
pid=$!
for ((i = 0; i < 100; i++)); do
	[[ -s $dir/out ]] && break
	sleep 0.1
done
[[ -s $dir/out ]] || fail "guest printed nothing within 10 s"
[[ ! -e $dir/m.json ]] || fail "metrics written before they were asked for"
kill -USR1 "$pid"
for ((i = 0; i < 50; i++)); do
	[[ -s $dir/m.json ]] && break
	sleep 0.1
done
grep -q '"exit":{"reason":"running","value":0,"status":1}' "$dir/m.json" ||
	fail "SIGUSR1 metrics: $(cat "$dir/m.json")"
grep -q '"name":"virtio-rng@0xd0000000"' "$dir/m.json" || fail "no device in the metrics"
bytes1=$(grep -o '"tx_bytes":[0-9]*' "$dir/m.json" | cut -d: -f2)
[[ $bytes1 -gt 0 ]] || fail "serial tx_bytes is $bytes1 while the guest prints"
kill -0 "$pid" || fail "minnow died on SIGUSR1"
kill -TERM "$pid"
status=0
wait "$pid" || status=$?
pid=
[[ $status -eq 143 ]] || fail "exit status $status after SIGTERM"
grep -q '"exit":{"reason":"signal","value":15,"status":143}' "$dir/m.json" ||
	fail "final metrics: $(head -c 300 "$dir/m.json")"
bytes2=$(grep -o '"tx_bytes":[0-9]*' "$dir/m.json" | cut -d: -f2)
[[ $bytes2 -ge $bytes1 ]] || fail "serial bytes went backwards: $bytes1 then $bytes2"
echo "ok: SIGUSR1 wrote running metrics ($bytes1 serial bytes), exit wrote final ones ($bytes2)"
