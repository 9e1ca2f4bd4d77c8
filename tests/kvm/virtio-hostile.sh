#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The probe as a hostile virtio driver against minnow's virtio-rng (probe.mode=virtio-hostile):
# one rule broken per run (docs/catalogue.md H1-H26), then a good request must still be served,
# or, after a ring corruption, the device shows DEVICE_NEEDS_RESET with a configuration
# interrupt and serves again after a reset and a fresh initialization. Each run checks the
# probe's verdict and the exact counters minnow reports in --metrics.
set -euo pipefail
# shellcheck source=tests/kvm/lib.sh
source "$(dirname "$0")/lib.sh"
require_kvm
minnow=$1 probe=$2
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

# Driver features as minnow's metrics show them (decimal): VERSION_1, plus INDIRECT_DESC,
# plus EVENT_IDX (all the device offers).
F_V1=4294967296 F_IND=4563402752 F_ALL=5100273664

# kv PREFIX: the "key":value members on stdin (numbers or bare strings) as PREFIX.key=value.
kv() {
	grep -o '"[a-z_]*":"\{0,1\}[a-z0-9_]*' | sed "s/^\"\([a-z_]*\)\":\"\{0,1\}/$1.\1=/" |
		grep -v '=$' || true
}

# flat METRICS OUT: minnow's counters for the rng device and the probe's line, one KEY=VALUE a
# line; keys are prefixed by their object: t. transport, e. driver_errors, q. the queue,
# b. bad_chains, r. rng, g. the probe's own line.
flat() {
	local m
	m=$(tr -d '\n' <"$1")
	grep -o '"transport":{[^{]*' <<<"$m" | sed 's/^"transport"://' | kv t
	grep -o '"driver_errors":{[^}]*' <<<"$m" | sed 's/^"driver_errors"://' | kv e
	grep -o '"queues":\[{[^{]*' <<<"$m" | sed 's/^"queues":\[//' | kv q
	grep -o '"bad_chains":{[^}]*' <<<"$m" | sed 's/^"bad_chains"://' | kv b
	grep -o '"rng":{[^}]*' <<<"$m" | sed 's/^"rng"://' | kv r
	grep '"probe":"virtio-hostile"' "$2" | kv g
}

# check CASE 'KEY=VALUE ...' [MINNOW-OPTION...]: runs the case; every counter not named must be
# as in the defaults below (0 for each error counter); VALUE * means "not checked".
check() {
	local name=$1 expect=$2 status=0 start end k v pair
	shift 2
	local out=$dir/$name.out err=$dir/$name.err m=$dir/$name.json
	declare -A want=() got=()
	start=$(date +%s%N)
	timeout 30 "$minnow" run -k "$probe" --rng --metrics "$m" "$@" \
		-p "probe.mode=virtio-hostile probe.case=$name" </dev/null >"$out" 2>"$err" || status=$?
	end=$(date +%s%N)
	[[ $status -eq 0 ]] || fail "$name: exit $status: $(cat "$out" "$err")"
	grep -q "^{\"probe\":\"virtio-hostile\",\"case\":\"$name\",\"ok\":true," "$out" ||
		fail "$name: $(cat "$out")"
	# The defaults: the device live at the end, one good request served on the final queue,
	# driver features VERSION_1 | INDIRECT_DESC, nothing counted, no interrupt raised.
	want=([t.status]=15 [t.features]=$F_IND [t.interrupts]=0 [t.userspace_kicks]=0
		[q.size]=8 [q.broken]=no [q.chains]=1 [q.next_avail]=1 [q.next_used]=1
		[r.requests]=1 [r.bytes]=64 [r.no_writable]=0)
	for k in register_access config_access queue_sel queue_setup features status notify; do
		want[e.$k]=0
	done
	for k in address next too_long order indirect total; do
		want[b.$k]=0
	done
	for pair in $expect; do
		want[${pair%%=*}]=${pair#*=}
	done
	while IFS='=' read -r k v; do
		got[$k]=$v
	done < <(flat "$m" "$out")
	for k in "${!want[@]}"; do
		[[ ${want[$k]} == '*' || ${got[$k]-none} == "${want[$k]}" ]] ||
			fail "$name: $k is ${got[$k]-missing}, expected ${want[$k]}: $(cat "$out" "$m")"
	done
	echo "ok: $name ($(((end - start) / 1000000)) ms): $(cut -c1-160 "$out")"
}

# A bad chain (head 3) answered with length 0, then the good request: two used entries.
BAD='g.id=3 g.len=0 q.next_avail=2 q.next_used=2'
# A ring corruption: the device stops (DEVICE_NEEDS_RESET, InterruptStatus 2, one config
# interrupt, the only one raised), then a reset and a new queue whose one good request shows;
# the request served on the old queue counts in the rng's totals only.
BROKEN='g.status=79 g.isr=2 g.config_irqs=1 g.good=2 t.interrupts=1 r.requests=2 r.bytes=128'

# -- transport and state machine --
# QueueSel 5: QueueReady, QueueNum reads, QueueNum, 6 ring addresses, QueueReady writes,
# QueueReady read = 11 (QueueNumMax reads 0 without counting, for QueueSel 1, 5, 8, 2^16, ~0).
check queue_sel_oob 'e.queue_sel=11 g.queue_sel_accesses=11'
# 1000 QueueNotify writes of 1, 7, 8, 0x10000, 0xffffffff: no ioeventfd matches, each counted.
check notify_bad_index 'e.notify=1000 q.chains=2 q.next_avail=2 q.next_used=2 r.requests=2 r.bytes=128'
# Kicks after reset, after FEATURES_OK, with a ready queue before DRIVER_OK; the chain made
# available before DRIVER_OK is served once the device is live.
check notify_before_driver_ok 'e.notify=3 q.chains=2 q.next_avail=2 q.next_used=2 r.requests=2 r.bytes=128'
# 13 accesses of 1, 2 or 8 bytes or unaligned (reads of 0, writes of Status, QueueNotify,
# QueueSel), and a read and a write at each undefined offset 0x0c0-0x0f8 (30); 2 config
# space accesses (the entropy device has none).
check bad_width 'e.register_access=43 e.config_access=2 g.register_accesses=43'
# Writes to MagicValue, Version, DeviceID, VendorID, DeviceFeatures, QueueNumMax,
# InterruptStatus, ConfigGeneration.
check readonly_write 'e.register_access=8'
# Reads of DeviceFeaturesSel, DriverFeatures, DriverFeaturesSel, QueueSel, QueueNotify,
# InterruptACK.
check writeonly_read 'e.register_access=6'
# All ones in DriverFeatures pages 0, 1, 2 (3 counted), FEATURES_OK granted for what was
# offered, then a write after FEATURES_OK (ignored). The device keeps INDIRECT_DESC and
# EVENT_IDX; with EVENT_IDX minnow always signals its first used batch (not checked).
check features_unoffered "e.features=4 t.features=$F_ALL t.interrupts=*"
check no_version_1 'e.features=1 g.status=3'
# Clearing FEATURES_OK before and after DRIVER_OK, and reserved bit 4: 3 counted; the driver
# writing DEVICE_NEEDS_RESET is masked without counting.
check status_clear_bits 'e.status=3'
check driver_ok_twice 'q.chains=3 q.next_avail=3 q.next_used=3 r.requests=3 r.bytes=192'
# DRIVER_OK refused; the kick that follows finds no live device.
check driver_ok_without_features_ok 'e.status=1 e.notify=1 g.status=3'
# Live with no queue: QueueNum, 6 addresses, QueueReady refused (8); a kick for no queue.
check driver_ok_without_queue 'e.queue_setup=8 e.notify=1'
check queue_setup_after_driver_ok 'e.queue_setup=3'
# QueueNum 0, 3, 2 * QueueNumMax, 0x10008, then QueueReady 2.
check bad_queue_size 'e.queue_setup=5'
# desc + 8, avail + 1, used + 2, desc at 0xfff00000000, used across the end of RAM, avail in
# the device's window, desc at 0xfffffffffffffff0.
check bad_ring_addr 'e.queue_setup=7'
check reset_cycles 'r.requests=50 r.bytes=3200 g.cycles=50'

# -- chains; the queue is live --
check desc_loop_self "$BAD b.too_long=1"
check desc_loop_two "$BAD b.too_long=1"
check chain_too_long "$BAD b.too_long=1"
check chain_full 'g.len=64 q.chains=2 q.next_avail=2 q.next_used=2 r.requests=2 r.bytes=128'
check next_out_of_range "$BAD b.next=1"
check addr_outside_ram "$BAD b.address=1"
check addr_wraps "$BAD b.address=1"
check addr_straddles_ram_end "$BAD b.address=1"
check addr_in_mmio "$BAD b.address=1"
check addr_in_ring 'g.len=128 q.chains=2 q.next_avail=2 q.next_used=2 r.requests=2 r.bytes=192'
# Accepted chains with nothing to fill: served with 0 bytes, counted as no_writable.
check len_zero_only "$BAD q.chains=2 r.requests=2 r.no_writable=1"
check readonly_buffer "$BAD q.chains=2 r.requests=2 r.no_writable=1"
check read_then_write 'g.len=32 q.chains=2 q.next_avail=2 q.next_used=2 r.requests=2 r.bytes=96'
check write_before_read "$BAD b.order=1"
check indirect_not_negotiated "$BAD b.indirect=1 t.features=$F_V1"
check indirect_nested "$BAD b.indirect=1"
check indirect_with_next "$BAD b.indirect=1"
# Tables of 0, 17 and 16 * (queue size + 1) bytes: three chains.
check indirect_bad_len 'b.indirect=3 g.chains=3 q.next_avail=4 q.next_used=4'
check indirect_loop "$BAD b.too_long=1"
check indirect_next_out_of_range "$BAD b.next=1"
check indirect_addr_outside_ram "$BAD b.address=1"
check indirect_full 'g.len=64 q.chains=2 q.next_avail=2 q.next_used=2 r.requests=2 r.bytes=128'
check indirect_write_flag 'g.len=64 q.chains=2 q.next_avail=2 q.next_used=2 r.requests=2 r.bytes=128'
# Two readable descriptors of 0x90000000 bytes over the same RAM: it must all be guest RAM.
check total_over_4g "$BAD b.total=1" -m 3G
check used_idx_scribble 'q.chains=3 q.next_avail=3 q.next_used=3 r.requests=3 r.bytes=192'
check duplicate_head 'q.chains=3 q.next_avail=3 q.next_used=3 r.requests=3 r.bytes=192'
check event_idx_poison "t.features=$F_ALL t.interrupts=* q.chains=4 q.next_avail=4 q.next_used=4 r.requests=4 r.bytes=256"
check ring_full 'q.chains=9 q.next_avail=9 q.next_used=9 r.requests=9 r.bytes=128'
# 8193 batches of 8 chains, then the good request: both indexes wrap past 65535.
check idx_wrap 'g.avail_idx=8 q.chains=65545 q.next_avail=9 q.next_used=9 r.requests=65545 r.bytes=524416'

# -- ring corruption --
check avail_idx_jump "$BROKEN"
check avail_idx_backwards "$BROKEN"
check head_out_of_range "$BROKEN"
# 10000 QueueNotify writes with nothing new: all absorbed by the ioeventfd.
check kick_storm 'g.kicks=10000 q.chains=2 q.next_avail=2 q.next_used=2 r.requests=2 r.bytes=128'
