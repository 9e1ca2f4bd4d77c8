#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# --virtio-strict against the probe as a hostile virtio-rng driver (probe.mode=virtio-hostile):
# off counts silently, warn (the default) counts and logs, reset also sets DEVICE_NEEDS_RESET
# (the guest must see it and reset), abort prints the device state with the offending chain and
# exits 5. Each run checks minnow's exit status, its stderr line by line, the probe's verdict and
# the --metrics counters.
set -euo pipefail
# shellcheck source=tests/kvm/lib.sh
source "$(dirname "$0")/lib.sh"
require_kvm
command -v python3 >/dev/null || { echo "SKIP: no python3 to read --metrics"; exit 77; }
minnow=$1 probe=$2
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

# run NAME CASE WANT-STATUS [MINNOW-OPTION...]: one minnow run; output in $dir/NAME.{out,err,json}.
run() {
	local name=$1 case=$2 want=$3 status=0
	shift 3
	timeout 30 "$minnow" run -k "$probe" --rng --metrics "$dir/$name.json" "$@" \
		-p "probe.mode=virtio-hostile probe.case=$case" </dev/null >"$dir/$name.out" \
		2>"$dir/$name.err" || status=$?
	[[ $status -eq $want ]] ||
		fail "$name: exit $status, expected $want: $(cat "$dir/$name.out" "$dir/$name.err")"
}

# metrics NAME KEY=VALUE...: the rng device's counters (t. transport, e. driver_errors, q. queue,
# b. bad_chains, r. rng), the exit (x.) and the probe's line (g.) as named; VALUE >=N for a minimum.
metrics() {
	local name=$1 bad
	shift
	bad=$(python3 - "$dir/$name.json" "$dir/$name.out" "$@" <<'EOF'
import json, sys
m = json.load(open(sys.argv[1]))
d = m["devices"][0]
lines = [json.loads(l) for l in open(sys.argv[2]) if l.startswith('{"probe"')]
got = {}
for pre, obj in (("t", d["transport"]), ("e", d["transport"]["driver_errors"]),
                 ("q", d["queues"][0]), ("b", d["queues"][0]["bad_chains"]), ("r", d["rng"]),
                 ("x", m["exit"]), ("g", lines[-1] if lines else {})):
    for k, v in obj.items():
        if not isinstance(v, (dict, list)):
            got[pre + "." + k] = str(v).lower() if isinstance(v, bool) else str(v)
errs = []
for kv in sys.argv[3:]:
    k, v = kv.split("=", 1)
    have = got.get(k, "missing")
    ok = have != "missing" and int(have) >= int(v[2:]) if v.startswith(">=") else have == v
    if not ok:
        errs.append("%s=%s, want %s" % (k, have, v))
print("; ".join(errs))
EOF
) || fail "$name: cannot read the metrics: $(cat "$dir/$name.json")"
	[[ -z $bad ]] || fail "$name: $bad: $(cat "$dir/$name.out" "$dir/$name.json")"
}

# stderr NAME REGEX...: minnow's stderr is exactly these lines (extended regular expressions).
stderr() {
	local name=$1 i=0 line
	shift
	local -a lines
	mapfile -t lines <"$dir/$name.err"
	[[ ${#lines[@]} -eq $# ]] ||
		fail "$name: ${#lines[@]} lines on stderr, expected $#: $(cat "$dir/$name.err")"
	for re in "$@"; do
		line=${lines[i++]}
		[[ $line =~ ^$re$ ]] || fail "$name: stderr line $i is '$line', expected /$re/"
	done
}

dev='virtio-rng@0xd0000000'
loop="queue 0: chain 3 refused: more descriptors than the queue size \\(a loop\\?\\)"
# A self-looping chain at head 3 comes back with length 0, then the good request is served.
LOOP='g.ok=true g.id=3 g.len=0 g.good=1 b.too_long=1 t.violations=1 t.status=15 r.requests=1'

# off: counted (bad_chains and violations), nothing on stderr, the device goes on.
run off desc_loop_self 0 --virtio-strict off
# shellcheck disable=SC2086 # the expectations are words
metrics off $LOOP t.interrupts=0
stderr off

# warn, the default: the same, with one line naming the queue, the head and the rule.
for name in warn-default warn; do
	opt=()
	[[ $name == warn ]] && opt=(--virtio-strict warn)
	run $name desc_loop_self 0 "${opt[@]}"
	# shellcheck disable=SC2086
	metrics $name $LOOP t.interrupts=0
	stderr $name "minnow: warn: $dev: $loop"
done
# 45 register and config space misuses: all counted, 10 logged (the rate limit's burst).
run warn-burst bad_width 0
metrics warn-burst g.ok=true e.register_access=43 e.config_access=2 t.violations=45
[[ $(grep -c "driver error (register_access)" "$dir/warn-burst.err") -eq 10 ]] ||
	fail "warn-burst: expected 10 logged driver errors: $(cat "$dir/warn-burst.err")"

# reset: the guest sees DEVICE_NEEDS_RESET (Status 0x4f) with a configuration interrupt, resets,
# and is served on the new queue (whose counters start at 0: the loop shows in violations).
run reset strict_reset_loop 0 --virtio-strict reset
metrics reset g.ok=true g.id=3 g.len=0 g.status=79 g.isr=2 g.config_irqs=1 g.good=1 \
	b.too_long=0 q.chains=1 t.violations=1 t.status=15 t.interrupts=1 r.requests=1
stderr reset "minnow: warn: $dev: $loop" \
	"minnow: warn: $dev: device needs reset \\(a corrupt ring, a lost backend, or --virtio-strict=reset\\)"
# The same guest without reset waits for a DEVICE_NEEDS_RESET that never comes (probe status 1).
run reset-not-asked strict_reset_loop 33
metrics reset-not-asked g.ok=false g.status=15 t.violations=1 t.interrupts=0

# abort: the device state and the offending chain (the loop shown and cut), exit status 5, before
# the chain was completed (used.idx 0) and before the probe could report.
hex='0x[0-9a-f]+'
run abort desc_loop_self 5 --virtio-strict abort
metrics abort x.reason=virtio_strict x.status=5 b.too_long=1 t.violations=1 g.ok=missing
stderr abort "minnow: virtio-strict: $dev: driver violation: $loop" \
	"  status 0xf \\(ACKNOWLEDGE 1, DRIVER 2, DRIVER_OK 4, FEATURES_OK 8\\)" \
	"  features offered 0x130000000 acked 0x110000000" \
	"  queue 0: size 8 ready 1 desc $hex avail $hex used $hex avail.idx 1 used.idx 0 next_avail 1 next_used 0 broken 0" \
	"  offending chain: queue 0 head 3" \
	"    desc 3: addr $hex len 64 flags 0x3 NEXT WRITE next 3" \
	"    desc 3 again: the chain loops"
# A loop through an indirect table: the table's entries are shown.
run abort-indirect indirect_loop 5 --virtio-strict abort
if ! grep -qxE "    desc 3: addr $hex len 32 flags 0x4 INDIRECT next 0" "$dir/abort-indirect.err" ||
	! grep -qxE "    indirect desc 1: addr $hex len 32 flags 0x3 NEXT WRITE next 0" \
		"$dir/abort-indirect.err" ||
	! grep -qx "    indirect desc 0 again: the chain loops" "$dir/abort-indirect.err"; then
	fail "abort-indirect: $(cat "$dir/abort-indirect.err")"
fi
# A register misuse (the first of bad_width: a 2-byte read of MagicValue) and a ring corruption.
run abort-register bad_width 5 --virtio-strict abort
metrics abort-register x.status=5 e.register_access='>=1' t.violations='>=1'
if [[ $(grep -c "driver violation" "$dir/abort-register.err") -ne 1 ]] ||
	! grep -qx "minnow: virtio-strict: $dev: driver violation: driver error (register_access): 2-byte read at 0x0" \
		"$dir/abort-register.err"; then
	fail "abort-register: $(cat "$dir/abort-register.err")"
fi
run abort-ring avail_idx_jump 5 --virtio-strict abort
metrics abort-ring x.status=5 q.broken=avail_idx t.violations=1
grep -qx "minnow: virtio-strict: $dev: driver violation: queue 0: ring corrupt (avail.idx out of range: avail.idx 10, device at 1, head 0)" \
	"$dir/abort-ring.err" || fail "abort-ring: $(cat "$dir/abort-ring.err")"

# The entropy device's own rule (§5.4.6.1): a request with only a device-readable buffer.
run abort-rng-readonly readonly_buffer 5 --virtio-strict abort
metrics abort-rng-readonly x.status=5 r.no_writable=1 t.violations=1
grep -qx "minnow: virtio-strict: $dev: driver violation: queue 0: request 3 has only device-readable buffers" \
	"$dir/abort-rng-readonly.err" || fail "abort-rng-readonly: $(cat "$dir/abort-rng-readonly.err")"

# A good guest never trips abort.
run abort-good-guest read_then_write 0 --virtio-strict abort
metrics abort-good-guest g.ok=true t.violations=0 x.status=0
stderr abort-good-guest

# Usage errors name the bad value.
status=0
"$minnow" run -k "$probe" --virtio-strict strict >/dev/null 2>"$dir/usage.err" || status=$?
if [[ $status -ne 2 ]] || ! grep -q "'strict'" "$dir/usage.err"; then
	fail "usage: exit $status: $(cat "$dir/usage.err")"
fi
echo "ok: off, warn, reset, abort"
