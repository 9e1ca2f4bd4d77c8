# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# Shared by the kvm-suite scripts: skip only when the host truly lacks KVM.

require_kvm() {
	if [[ ! -e /dev/kvm ]]; then
		echo "SKIP: /dev/kvm does not exist on this host (no KVM)"
		exit 77
	fi
	if [[ ! -r /dev/kvm || ! -w /dev/kvm ]]; then
		echo "SKIP: /dev/kvm is not accessible to $(id -un) (join the kvm group or run as root)"
		exit 77
	fi
}

fail() {
	echo "FAIL: $*"
	exit 1
}
