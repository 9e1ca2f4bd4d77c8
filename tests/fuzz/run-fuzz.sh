#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Runs a libFuzzer target for a bounded time from the seed corpus; fails on any finding.
# usage: run-fuzz.sh TARGET SECONDS SEED_DIR SCRATCH_DIR
set -euo pipefail
target=$1 seconds=$2 seeds=$3 scratch=$4
mkdir -p "$scratch"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
# Crash reproducers land in the scratch dir, next to the corpus it grew.
"$target" -max_total_time="$seconds" -rss_limit_mb=4096 -artifact_prefix="$scratch/" \
	"$scratch" "$seeds" >"$log" 2>&1 || status=$?
grep -E '^#[0-9]+ *DONE|^Done [0-9]+ runs' "$log" | tail -2 || true
if [[ $status -ne 0 ]]; then
	tail -60 "$log"
	echo "FAIL: $(basename "$target") found a problem (exit $status); reproducer in $scratch"
	exit 1
fi
echo "ok: no finding in ${seconds}s"
