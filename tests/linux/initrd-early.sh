#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# minnow's Linux boot path as far as kvm-pvm allows (DESIGN §1): Debian's stock kernel with the
# Linux guest's initramfs (guest-images/linux) as initrd, through early-boot.sh's bounded check,
# which also requires the kernel's "RAMDISK:" line to show the initrd exactly where minnow put it.
# The kernel unpacks the initrd much later than it dies here, so this is where the check stops.
#
# usage: initrd-early.sh MINNOW_BINARY
# Exit status: 0 pass, 1 fail, 77 skip (as early-boot.sh).
set -euo pipefail
here=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
[[ $# -eq 1 ]] || { echo "usage: $0 MINNOW_BINARY" >&2; exit 2; }
# The early boot check skips without a usable /dev/kvm or kernel; ask it first, so that a host
# without them does not download packages for nothing.
[[ -e /dev/kvm ]] || { echo "initrd-early: SKIP: /dev/kvm does not exist (no KVM on this host)"; exit 77; }
image=$("$here/../../guest-images/linux/build-initramfs.sh") || {
	echo "initrd-early: FAIL: could not build the guest image"
	exit 1
}
EARLY_BOOT_INITRD=$image exec "$here/early-boot.sh" "$1"
