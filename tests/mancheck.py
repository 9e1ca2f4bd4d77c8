#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# The man page and --help cannot drift: every option one names, the other names too, the page
# formats without a groff warning, and the bash completion offers every option.
# usage: mancheck.py MINNOW MANPAGE COMPLETION
import re
import subprocess
import sys


def options(text):
    """The long and short options named in text (after roff's escapes are undone)."""
    long_ = set(re.findall(r"(?<![\w-])--([a-z][a-z-]*[a-z])", text))
    short = set(re.findall(r"(?<![\w-])-([a-zA-Z])(?=[,\s])", text))
    return long_, short


def main():
    minnow, page = sys.argv[1], sys.argv[2]
    help_text = subprocess.run([minnow, "--help"], check=True, capture_output=True,
                               text=True).stdout
    roff = open(page, encoding="utf-8").read()
    plain = re.sub(r"\\f[BIRP]", "", roff.replace("\\-", "-").replace("\\e", "\\"))
    plain = re.sub(r'^\.[A-Z]+ ?', "", plain, flags=re.M).replace('"', " ")
    hl, hs = options(help_text)
    ml, ms = options(plain)
    errors = []
    for what, a, b in (("--help", hl, ml), ("the man page", ml, hl)):
        for o in sorted(a - b):
            errors.append("--%s is in %s only" % (o, what))
    for what, a, b in (("--help", hs, ms), ("the man page", ms, hs)):
        for o in sorted(a - b):
            errors.append("-%s is in %s only" % (o, what))
    cl, cs = options(open(sys.argv[3], encoding="utf-8").read())
    for o in sorted(hl - cl):
        errors.append("--%s is not completed by %s" % (o, sys.argv[3]))
    for o in sorted(hs - cs):
        errors.append("-%s is not completed by %s" % (o, sys.argv[3]))
    warn = subprocess.run(["groff", "-man", "-ww", "-z", page], capture_output=True, text=True)
    if warn.returncode or warn.stderr:
        errors.append("groff: " + warn.stderr.strip())
    for e in errors:
        print("FAIL: " + e)
    if errors:
        return 1
    print("ok: %d long and %d short options, the same in --help and %s, all completed"
          % (len(hl), len(hs), page))
    return 0


if __name__ == "__main__":
    sys.exit(main())
