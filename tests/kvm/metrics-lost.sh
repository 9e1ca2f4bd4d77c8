#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# --metrics whose folder vanishes while the guest runs: minnow says so at the end, naming the
# user's path, and its exit status stays the guest's (README: output files and the exit status).
set -euo pipefail
# shellcheck source=tests/kvm/lib.sh
source "$(dirname "$0")/lib.sh"
require_kvm
minnow=$1 probe=$2
dir=$(mktemp -d)
pid=
trap '[[ -n $pid ]] && kill -KILL "$pid" 2>/dev/null; rm -rf "$dir"' EXIT

mkdir "$dir/out"
"$minnow" run -k "$probe" --metrics "$dir/out/m.json" \
	-p "probe.mode=print-loop probe.count=100000000" </dev/null >"$dir/serial" 2>"$dir/err" &
pid=$!
for ((i = 0; i < 100; i++)); do
	[[ -s $dir/serial ]] && break
	sleep 0.1
done
[[ -s $dir/serial ]] || fail "guest printed nothing within 10 s: $(cat "$dir/err")"
rmdir "$dir/out"
kill -TERM "$pid"
status=0
wait "$pid" || status=$?
pid=
[[ $status -eq 143 ]] || fail "exit status $status (want 143, the guest's): $(cat "$dir/err")"
grep -qF "cannot write metrics to '$dir/out/m.json' (through '$dir/out/m.json.tmp'): No such file or directory" "$dir/err" ||
	fail "no message naming the path: $(cat "$dir/err")"
grep -qF -- "--metrics '$dir/out/m.json' not written; the exit status is still the guest's (143)" "$dir/err" ||
	fail "no message about the exit status: $(cat "$dir/err")"
echo "ok: metrics folder gone: the path named, exit status 143 kept"
