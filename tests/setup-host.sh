#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Installs the Debian 12 packages minnow's build, guests and tests need (idempotent, quick
# when everything is there). Runs apt-get as root, through sudo when not root.
set -euo pipefail

packages=(
	# build
	gcc meson ninja-build pkg-config liburing-dev libfdt-dev libseccomp-dev check python3
	# fuzzing: clang with libFuzzer
	clang libclang-rt-14-dev
	# guests: Debian's stock kernel (bzImage header tests, linux-early), vmlinux extraction
	linux-image-amd64 xz-utils binutils
	# test tools
	shellcheck iproute2 ethtool
	# tests/mancheck.py formats the man page
	groff-base
	# reads --net pcap= captures back (net-pcap); wireshark-common's debconf question is
	# answered with its default under DEBIAN_FRONTEND=noninteractive (set below)
	tshark tcpdump
	# the Linux guest image (guest-images/linux; its busybox-static, iperf3 and libraries are
	# downloaded as .debs, never installed here) and its boot test's host-side iperf3
	cpio iperf3
	# firmware validators
	acpica-tools device-tree-compiler
	# the probe guest under QEMU (VMM-agnostic checks, benchmarks)
	qemu-system-x86
)

missing=()
for p in "${packages[@]}"; do
	if [[ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" != "install ok installed" ]]; then
		missing+=("$p")
	fi
done
if [[ ${#missing[@]} -eq 0 ]]; then
	echo "setup-host: all ${#packages[@]} Debian packages present"
	exit 0
fi

sudo=()
[[ $(id -u) -eq 0 ]] || sudo=(sudo)
echo "setup-host: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# Another apt or dpkg (unattended-upgrades, a second terminal) holds the lock for a while: wait
# for it, up to a bound, rather than fail at once.
lock_wait=${SETUP_HOST_LOCK_WAIT:-600}
apt=("${sudo[@]}" apt-get -q -o "DPkg::Lock::Timeout=$lock_wait")
lock_fail() {
	echo "setup-host: apt-get failed (if another apt or dpkg held its lock for over $lock_wait s," \
		"let it finish, or set SETUP_HOST_LOCK_WAIT=SECONDS, and run this again)" >&2
	exit 1
}
"${apt[@]}" update || lock_fail
"${apt[@]}" install -y --no-install-recommends "${missing[@]}" || lock_fail
echo "setup-host: OK, ${#missing[@]} packages installed"
