#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Totals over meson test logs: each TAP subtest counts as one test, any other test as one.

Prints one line per log and the closing line "N passed, N failed, N skipped";
exits 1 when anything failed or no test ran at all."""
import json
import re
import sys

TAP_LINE = re.compile(r"^(not ok|ok)\b(.*)$")
TAP_PLAN = re.compile(r"^1\.\.\d+$", re.M)


def count(path):
    passed = failed = skipped = 0
    with open(path) as f:
        for line in f:
            t = json.loads(line)
            result = t["result"]
            stdout = t.get("stdout") or ""
            subtests = [m for m in map(TAP_LINE.match, stdout.splitlines()) if m]
            if subtests and TAP_PLAN.search(stdout):
                for m in subtests:
                    if "# SKIP" in m.group(2):
                        skipped += 1
                    elif m.group(1) == "ok":
                        passed += 1
                    else:
                        failed += 1
                # A TAP runner that died after its last line still failed.
                if result not in ("OK", "EXPECTEDFAIL") and all(m.group(1) == "ok" for m in subtests):
                    failed += 1
            elif result == "OK":
                passed += 1
            elif result == "SKIP":
                skipped += 1
            else:
                failed += 1
    return passed, failed, skipped


def main(paths):
    total = [0, 0, 0]
    for p in paths:
        c = count(p)
        print(f"{p}: {c[0]} passed, {c[1]} failed, {c[2]} skipped")
        total = [a + b for a, b in zip(total, c)]
    print(f"{total[0]} passed, {total[1]} failed, {total[2]} skipped")
    return 1 if total[1] or not total[0] else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
