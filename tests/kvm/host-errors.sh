#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Errors before the guest runs: usage errors exit 2, host and image errors exit 1, each named.
set -euo pipefail
# shellcheck source=tests/kvm/lib.sh
source "$(dirname "$0")/lib.sh"
require_kvm
minnow=$1 probe=$2
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

expect() { # STATUS MESSAGE-SUBSTRING ARGS...
	local want=$1 msg=$2 status=0
	shift 2
	"$minnow" "$@" </dev/null >/dev/null 2>"$dir/err" || status=$?
	[[ $status -eq $want ]] || fail "minnow $*: exit $status, expected $want ($(cat "$dir/err"))"
	grep -qF -- "$msg" "$dir/err" || fail "minnow $*: stderr lacks '$msg': $(cat "$dir/err")"
	echo "ok: minnow $* -> $status"
}

head -c 100 "$probe" >"$dir/truncated.elf"
: >"$dir/empty"
expect 2 "no kernel given" run
expect 2 "bad value '0'" run -k "$probe" -c 0
expect 2 "unknown option '--bogus'" run -k "$probe" --bogus
expect 1 "cannot open kernel '$dir/none'" run -k "$dir/none"
expect 1 "kernel '$dir/empty' is empty" run -k "$dir/empty"
expect 1 "cannot open initrd '$dir/none'" run -k "$probe" -i "$dir/none"
expect 1 "bad program header table" run -k "$dir/truncated.elf"
head -c 4096 /dev/zero >"$dir/zeros"
expect 1 "no boot sector signature" run -k "$dir/zeros"
head -c $((5 * 1024 * 1024)) /dev/zero >"$dir/big.img"
expect 1 "initrd (5242880 bytes) does not fit" run -k "$probe" -m 4M -i "$dir/big.img"
