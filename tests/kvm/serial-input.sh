#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Serial input: minnow's stdin reaches the guest's UART, announced by IRQ 4 through the IOAPIC.
# The probe reads the UART only after its interrupt handler ran, so "irqs" >= 1 proves delivery.
set -euo pipefail
# shellcheck source=tests/kvm/lib.sh
source "$(dirname "$0")/lib.sh"
require_kvm
minnow=$1 probe=$2
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

# echo_case NAME COUNT EXPECTED_DATA_JSON: feeds $dir/in, asserts status 0 and the exact line.
echo_case() {
	local name=$1 count=$2 data=$3 status=0 out irqs
	timeout --kill-after=5 60 "$minnow" run -k "$probe" \
		-p "probe.mode=serial-echo probe.count=$count" \
		<"$dir/in" >"$dir/out" 2>"$dir/err" || status=$?
	out=$(cat "$dir/out")
	[[ $status -eq 0 ]] || fail "$name: exit status $status, expected 0; output: $out; stderr: $(cat "$dir/err")"
	[[ $out =~ ^\{\"probe\":\"serial-echo\",\"bytes\":$count,\"irqs\":([0-9]+),\"data\":\"(.*)\"\}$ ]] ||
		fail "$name: unexpected output: $out"
	irqs=${BASH_REMATCH[1]}
	[[ ${BASH_REMATCH[2]} == "$data" ]] ||
		fail "$name: data differs: got '${BASH_REMATCH[2]}', expected '$data'"
	((irqs >= 1)) || fail "$name: $count bytes but no interrupt counted"
	echo "ok: $name: $count bytes, $irqs interrupt(s)"
}

# Fits the 64-byte RX FIFO in one go; the newline comes back JSON-escaped.
printf 'hello, minnow!\n' >"$dir/in"
echo_case short 15 'hello, minnow!\n'

# 200 bytes, more than the FIFO holds: minnow must hold input back until the guest drains it,
# then raise a new interrupt. Numbered tokens (000,001,...,049,) show every byte arrives once,
# in order.
long=$(printf '%03d,' {0..49})
printf '%s' "$long" >"$dir/in"
echo_case fifo-overflow 200 "$long"

# Negative control: no input at all. The probe gives up after ~5 s without a byte and reports
# it (debug exit 1: minnow exit status 33), so a pass above is not the probe's default answer.
status=0
timeout --kill-after=5 60 "$minnow" run -k "$probe" -p "probe.mode=serial-echo probe.count=1" \
	</dev/null >"$dir/out" 2>"$dir/err" || status=$?
[[ $status -eq 33 ]] || fail "no input: exit status $status, expected 33; output: $(cat "$dir/out")"
[[ "$(cat "$dir/out")" == '{"probe":"serial-echo","error":"timeout","bytes":0,"irqs":0}' ]] ||
	fail "no input: unexpected output: $(cat "$dir/out")"
echo "ok: no input: timeout reported"
