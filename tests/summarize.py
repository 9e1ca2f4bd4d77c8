#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Totals over meson test logs: each TAP subtest counts as one test, any other test as one.

Prints every skipped test with its reason (grouped by reason), one line per log, and the closing
line "N passed, N failed, N skipped"; exits 1 when anything failed or no test ran at all."""
import json
import re
import sys

TAP_LINE = re.compile(r"^(not ok|ok)\b(.*)$")
TAP_PLAN = re.compile(r"^1\.\.\d+$", re.M)


def skip_reason(stdout):
    """What a skipped test said: its "SKIP: ..." line (tests print one), else its last line."""
    lines = [l.strip() for l in stdout.splitlines() if l.strip()]
    for l in reversed(lines):
        if l.upper().startswith("SKIP"):
            return l.split(":", 1)[1].strip() if ":" in l else l
    return lines[-1] if lines else "(no reason printed)"


def count(path, skips):
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
                skips.setdefault(skip_reason(stdout), []).append(t["name"].split(" / ")[-1])
            else:
                failed += 1
    return passed, failed, skipped


def main(paths):
    total = [0, 0, 0]
    lines = []
    skips = {}
    for p in paths:
        c = count(p, skips)
        lines.append(f"{p}: {c[0]} passed, {c[1]} failed, {c[2]} skipped")
        total = [a + b for a, b in zip(total, c)]
    for reason, names in sorted(skips.items()):
        shown = sorted(set(names))
        print(f"{len(names)} skipped ({len(shown)} tests, counted once per build): {reason}")
        print("    " + " ".join(shown[:12]) + (f" and {len(shown) - 12} more" if len(shown) > 12 else ""))
    print("Counts: each check case of the unit binary and each TAP line counts as one test (meson's"
          " own summary above counts the binary once); builds are counted separately.")
    for l in lines:
        print(l)
    print(f"{total[0]} passed, {total[1]} failed, {total[2]} skipped")
    return 1 if total[1] or not total[0] else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
