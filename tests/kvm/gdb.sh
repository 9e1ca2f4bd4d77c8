#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# --gdb end to end: Debian's gdb attaches to the probe guest held at its first instruction, sets a
# breakpoint in its CPL-0 entry stub, continues to it, reads registers and memory, writes memory,
# single-steps; then a breakpoint in its CPL-3 C code, `finish` (the value the memory write
# caused), a CPL-3 single-step, and continue to the guest's exit. Every value is checked against
# the ELF and the boot layout. On kvm-pvm the two privilege levels take different paths through
# minnow (README "gdb"), so both are exercised.
# usage: gdb.sh MINNOW PROBE_ELF
set -euo pipefail

minnow=$1 probe=$2

# shellcheck source=tests/kvm/lib.sh
source "$(dirname "$0")/lib.sh"
require_kvm
if ! command -v gdb >/dev/null; then
	echo "SKIP: gdb is not installed (apt-get install gdb)"
	exit 77
fi

tmp=$(mktemp -d)
pid=
cleanup() {
	if [[ -n $pid ]]; then kill "$pid" 2>/dev/null || true; fi
	rm -rf "$tmp"
}
trap cleanup EXIT

sym() { nm "$probe" | awk -v s="$1" '$3 == s { print $1 }'; }
entry=$(sym pvh_start32)
start64=$(sym start64)
mode_exit=$(sym mode_exit)
[[ -n $entry && -n $start64 && -n $mode_exit ]] ||
	fail "the probe ELF lacks pvh_start32/start64/mode_exit symbols"
mode_exit=$(printf '%#x' $((16#$mode_exit)))
entry=$(printf '%#x' $((16#$entry)))
start64=$(printf '%#x' $((16#$start64)))
# The instruction after start64, and start64's first 8 bytes, from the ELF itself.
next=$(objdump -d --start-address=$((start64)) --stop-address=$((start64 + 16)) "$probe" |
	awk '/^ +[0-9a-f]+:/ { sub(":", "", $1); n++; if (n == 2) { print $1; exit } }')
next=$(printf '%#x' $((16#$next)))
# start64's first 8 bytes from the ELF file (its PT_LOAD segment), as gdb prints a little-endian long.
want_bytes=$(python3 - "$probe" "$start64" <<'PY'
import struct, sys
data = open(sys.argv[1], "rb").read()
vaddr = int(sys.argv[2], 16)
phoff, = struct.unpack_from("<Q", data, 0x20)
phentsize, phnum = struct.unpack_from("<HH", data, 0x36)
for i in range(phnum):
    ptype, _, off, va, _, filesz = struct.unpack_from("<IIQQQQ", data, phoff + i * phentsize)
    if ptype == 1 and va <= vaddr and vaddr + 8 <= va + filesz:
        print(hex(struct.unpack_from("<Q", data, off + vaddr - va)[0]))
PY
)
[[ -n $want_bytes ]] || fail "start64 is in no PT_LOAD segment of $probe"

sock=$tmp/gdb.sock
"$minnow" run -k "$probe" -p "probe.mode=exit probe.status=7" --gdb "$sock" \
	--serial file="$tmp/serial" </dev/null 2>"$tmp/minnow.err" &
pid=$!
for _ in $(seq 100); do [[ -S $sock ]] && break; sleep 0.05; done
[[ -S $sock ]] || fail "minnow did not listen on $sock: $(cat "$tmp/minnow.err")"

# PVH start info (0x6000) holds cmdline_paddr at offset 24; the status digit is the 30th byte.
# The single-quoted $pc, $cs, $cmd are gdb's convenience variables, not the shell's.
# shellcheck disable=SC2016
timeout --kill-after=5 60 gdb -batch -nx \
	-ex 'set pagination off' -ex "file $probe" -ex "target remote $sock" \
	-ex 'printf "pc0=%#lx\n", $pc' \
	-ex 'break *start64' -ex 'continue' \
	-ex 'printf "pc1=%#lx cs=%#x\n", $pc, $cs' \
	-ex 'printf "start_info=%#lx\n", probe_start_info' \
	-ex 'printf "bytes=%#lx\n", *(unsigned long *)start64' \
	-ex 'set $cmd = *(unsigned long *)(probe_start_info + 24)' \
	-ex 'set var *(char *)($cmd + 29) = 57' \
	-ex 'printf "cmdline=%s\n", (char *)$cmd' \
	-ex 'stepi' -ex 'printf "pc2=%#lx\n", $pc' \
	-ex 'break *mode_exit' -ex 'continue' \
	-ex 'printf "pc3=%#lx cs=%#x\n", $pc, $cs' \
	-ex 'finish' \
	-ex 'printf "pc4=%#lx\n", $pc' -ex 'stepi' -ex 'printf "pc5=%#lx cs=%#x\n", $pc, $cs' \
	-ex 'continue' >"$tmp/gdb.out" 2>&1 || true
status=0
wait "$pid" || status=$?
pid=

expect() {
	grep -qxF -- "$1" "$tmp/gdb.out" || {
		echo "FAIL: gdb output lacks the line '$1':"
		cat "$tmp/gdb.out"
		echo "--- minnow stderr:"
		cat "$tmp/minnow.err"
		exit 1
	}
}
expect "pc0=$entry"
expect "pc1=$start64 cs=0x8"
expect "start_info=0x6000"
expect "bytes=$want_bytes"
expect "cmdline=probe.mode=exit probe.status=9"
expect "pc2=$next"
expect "pc3=$mode_exit cs=0x23"
# mode_exit returns the status it parsed from the command line gdb rewrote.
expect "Value returned is \$1 = 9"
# The CPL-3 step: from the return address to the next instruction, per the ELF.
pc4=$(sed -n 's/^pc4=//p' "$tmp/gdb.out")
[[ -n $pc4 ]] || fail "no pc4 in the gdb output: $(cat "$tmp/gdb.out")"
read -r next4 insn4 < <(objdump -d --start-address=$((pc4)) --stop-address=$((pc4 + 32)) "$probe" |
	awk '/^ +[0-9a-f]+:/ { sub(":", "", $1); n++; if (n == 1) m = $0; if (n == 2) { print $1, m; exit } }')
[[ $insn4 =~ (call|jmp|ret|j[a-z]+ ) ]] && fail "the instruction at $pc4 branches: $insn4"
expect "pc5=$(printf '%#x' $((16#$next4))) cs=0x23"
# gdb prints the exit code in octal: 41 (32 + 9) is 051.
expect "[Inferior 1 (Remote target) exited with code 051]"
[[ $status -eq 41 ]] || fail "minnow exited $status, expected 41 (the guest's status 9)"
[[ $(cat "$tmp/serial") == '{"probe":"exit","status":9}' ]] ||
	fail "serial output: $(cat "$tmp/serial")"
echo "ok: CPL 0: breakpoint at start64, registers, memory read and write, step to $next;" \
	"CPL 3: breakpoint at mode_exit, finish (9), step from $pc4; exit 41"
