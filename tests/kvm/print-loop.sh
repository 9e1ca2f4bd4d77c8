#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Serial output volume: every one of N lines arrives, in order, nothing else.
set -euo pipefail
# shellcheck source=tests/kvm/lib.sh
source "$(dirname "$0")/lib.sh"
require_kvm
minnow=$1 probe=$2
n=200
out=$(mktemp)
trap 'rm -f "$out"' EXIT

status=0
timeout 60 "$minnow" run -k "$probe" -p "probe.mode=print-loop probe.count=$n" \
	</dev/null >"$out" || status=$?
[[ $status -eq 0 ]] || fail "exit status $status, expected 0"
expected=$(for ((i = 1; i <= n; i++)); do echo "probe: line $i"; done
	echo "{\"probe\":\"print-loop\",\"count\":$n}")
[[ "$(cat "$out")" == "$expected" ]] || { diff <(echo "$expected") "$out" | head; fail "output differs"; }
echo "ok: $n lines"
