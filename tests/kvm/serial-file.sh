#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# --serial file=PATH: the guest's output goes to the file (replacing what was there), not stdout.
set -euo pipefail
# shellcheck source=tests/kvm/lib.sh
source "$(dirname "$0")/lib.sh"
require_kvm
minnow=$1 probe=$2
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

echo "stale content that must disappear" >"$dir/serial.log"
status=0
timeout 60 "$minnow" run -k "$probe" -p "probe.mode=exit probe.status=0" \
	--serial "file=$dir/serial.log" </dev/null >"$dir/stdout" || status=$?
[[ $status -eq 0 ]] || fail "exit status $status, expected 0"
[[ ! -s $dir/stdout ]] || fail "stdout is not empty: $(cat "$dir/stdout")"
[[ "$(cat "$dir/serial.log")" == '{"probe":"exit","status":0}' ]] ||
	fail "serial file holds: $(cat "$dir/serial.log")"

# A file that cannot be created is a host error (exit 1) that names the path.
status=0
"$minnow" run -k "$probe" --serial "file=$dir/missing/dir/x.log" 2>"$dir/err" || status=$?
[[ $status -eq 1 ]] || fail "unwritable serial file: exit $status, expected 1"
grep -q "cannot open serial output file '$dir/missing/dir/x.log'" "$dir/err" ||
	fail "error does not name the file: $(cat "$dir/err")"
echo ok
