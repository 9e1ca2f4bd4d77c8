#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Boots the probe guest in minnow and asserts its exit status and its exact serial output.
# usage: run-probe.sh MINNOW PROBE_ELF EXPECTED_STATUS EXPECTED_STDOUT [minnow run args...]
# EXPECTED_STDOUT is the exact text (a trailing newline is implied); '-' expects nothing;
# 're:REGEX' means the whole output (without its last newline) must match REGEX.
# Exits 77 (skip) only when the host has no usable /dev/kvm.
set -euo pipefail

minnow=$1 probe=$2 want_status=$3 want_out=$4
shift 4

# shellcheck source=tests/kvm/lib.sh
source "$(dirname "$0")/lib.sh"
require_kvm

out=$(mktemp)
errf=$(mktemp)
trap 'rm -f "$out" "$errf"' EXIT

status=0
timeout --kill-after=5 60 "$minnow" run -k "$probe" "$@" </dev/null >"$out" 2>"$errf" || status=$?

fail=0
if [[ $status -ne $want_status ]]; then
	echo "FAIL: exit status $status, expected $want_status"
	fail=1
fi
if [[ $want_out == re:* ]]; then
	if [[ ! "$(cat "$out")" =~ ^${want_out#re:}$ ]]; then
		echo "FAIL: serial output does not match /${want_out#re:}/:"
		cat "$out"
		fail=1
	fi
else
	if [[ $want_out == - ]]; then want_out=""; else want_out+=$'\n'; fi
	if [[ "$(cat "$out"; echo x)" != "${want_out}x" ]]; then
		echo "FAIL: serial output differs from what was expected (diff expected actual):"
		diff <(printf '%s' "$want_out") "$out" || true
		fail=1
	fi
fi
if [[ $fail -ne 0 ]]; then
	echo "--- minnow stderr:"
	cat "$errf"
	exit 1
fi
echo "ok: status $status, $(wc -l <"$out") line(s) of output"
