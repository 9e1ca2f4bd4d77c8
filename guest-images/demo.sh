#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The main job, from a fresh Debian 12 machine: installs what minnow needs, builds it and
# boots a guest. Today the guest is the probe (guest-images/probe), which reports its view
# of the machine and exits; networking and the Linux guest arrive with their issues.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

bash tests/setup-host.sh
[[ -f build/build.ninja ]] || meson setup build
ninja -C build

echo "demo: booting the probe guest in minnow"
set -x
./build/minnow run -k build/guest-images/probe/probe.elf -m 128M -c 2 \
	-p "probe.mode=hello demo=1" </dev/null
