#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The whole test suite, from a fresh Debian 12 machine: installs what it needs, builds minnow
# three times (plain; ASan+UBSan; clang with libFuzzer), runs every suite, and ends with one line
# "N passed, N failed, N skipped". Exit status 0 only when nothing failed.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

bash tests/setup-host.sh

werror=()
[[ ${CI:-} == true ]] && werror=(--werror)

build() { # DIR [meson options...]
	local dir=$1
	shift
	if [[ ! -f $dir/build.ninja ]]; then
		meson setup "$dir" "${werror[@]}" "$@"
	fi
	ninja -C "$dir"
}

build build
build build-san -Db_sanitize=address,undefined -Db_lundef=false
CC=clang build build-fuzz -Dfuzz=true -Db_lundef=false

export UBSAN_OPTIONS=halt_on_error=1:abort_on_error=1:print_stacktrace=1
export ASAN_OPTIONS=halt_on_error=1:abort_on_error=1:detect_leaks=1

status=0
# Plain build: every suite.
meson test -C build --print-errorlogs --num-processes 1 || status=1
# Sanitized build: the suites that run minnow's code on guest and user input.
meson test -C build-san --print-errorlogs --num-processes 1 --suite unit --suite kvm --suite net \
	--suite firmware || status=1
# Fuzz build: bounded fuzzing runs from the checked-in seeds.
meson test -C build-fuzz --print-errorlogs --num-processes 1 --suite fuzz || status=1

python3 tests/summarize.py build/meson-logs/testlog.json build-san/meson-logs/testlog.json \
	build-fuzz/meson-logs/testlog.json || status=1
exit $status
