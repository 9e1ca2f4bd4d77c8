#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The probe's virtio-mmio driver against minnow's virtio-rng: the guest's kicks reach the device
# through the ioeventfd (minnow counts no kick that exited to userspace), interrupts reach the
# guest's IDT handler through irqfd, and the bytes, chains and counters agree on both sides.
set -euo pipefail
# shellcheck source=tests/kvm/lib.sh
source "$(dirname "$0")/lib.sh"
require_kvm
minnow=$1 probe=$2
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

# json FILE KEY: a number or string member of a one-line JSON object (no nesting needed here).
json() { grep -o "\"$2\":[^,}]*" "$1" | head -1 | cut -d: -f2 | tr -d '"'; }
# metric FILE PATTERN: a number from minnow's metrics (the first match of "PATTERN":N).
metric() { grep -o "\"$2\":[0-9]*" "$1" | head -1 | cut -d: -f2; }

run() { # NAME BYTES EXTRA-PROBE-ARGS...
	local name=$1 bytes=$2 status=0
	shift 2
	timeout 60 "$minnow" run -k "$probe" --rng --metrics "$dir/$name.json" \
		-p "probe.mode=rng probe.bytes=$bytes $*" </dev/null >"$dir/$name.out" 2>"$dir/$name.err" ||
		status=$?
	[[ $status -eq 0 ]] || fail "$name: exit $status: $(cat "$dir/$name.out" "$dir/$name.err")"
	local out=$dir/$name.out m=$dir/$name.json
	[[ $(json "$out" probe) == rng && $(json "$out" device_id) == 4 ]] || fail "$name: $(cat "$out")"
	[[ $(json "$out" bytes) -eq $bytes ]] || fail "$name: guest got $(json "$out" bytes) bytes"
	[[ $(metric "$m" bytes) -eq $bytes ]] || fail "$name: device sent $(metric "$m" bytes) bytes"
	[[ $(metric "$m" requests) -eq $(json "$out" used) ]] ||
		fail "$name: device served $(metric "$m" requests) chains, guest saw $(json "$out" used)"
	[[ $(metric "$m" chains) -eq $(json "$out" used) ]] || fail "$name: queue chains differ"
	[[ $(metric "$m" userspace_kicks) -eq 0 ]] ||
		fail "$name: $(metric "$m" userspace_kicks) kicks exited to userspace (ioeventfd missed)"
	for e in register_access config_access queue_sel queue_setup features status notify \
		address next too_long order indirect total; do
		[[ $(metric "$m" "$e") -eq 0 ]] || fail "$name: counter $e is $(metric "$m" "$e")"
	done
	echo "ok: $name: $bytes bytes in $(json "$out" used) chains, $(json "$out" kicks) kicks," \
		"$(json "$out" irqs) guest interrupts, $(metric "$m" interrupts) raised, 0 userspace kicks"
}

run irq 4096
out=$dir/irq.out m=$dir/irq.json
[[ $(json "$out" irqs) -ge 1 ]] || fail "irq: the guest's handler saw no interrupt"
[[ $(metric "$m" interrupts) -ge 1 ]] || fail "irq: minnow raised no interrupt"
[[ $(json "$out" negotiated) == 0x130000000 ]] || fail "irq: negotiated $(json "$out" negotiated)"

run poll 4096 probe.poll=1
[[ $(json "$dir/poll.out" irqs) -eq 0 ]] || fail "poll: interrupts in polling mode"

run indirect 8192 probe.use_indirect=1
[[ $(json "$dir/indirect.out" indirect) == true ]] || fail "indirect: not used"

run no-event-idx 4096 probe.event_idx=0
[[ $(json "$dir/no-event-idx.out" negotiated) == 0x110000000 ]] ||
	fail "no-event-idx: negotiated $(json "$dir/no-event-idx.out" negotiated)"

# More than the queue holds: the driver refills and kicks again; EVENT_IDX keeps both bounded.
run refill 65536 probe.bufsize=256
