#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Runs one kvm-suite test where KVM can run it: as it is when /dev/kvm is usable here, else on
# the nested host (tests/linux/nested.sh: QEMU TCG with an emulated SVM CPU and a real
# /dev/kvm, this machine's files shared), so that a machine without KVM still runs the suite.
# tests/run-all.sh passes it to `meson test --wrapper` when /dev/kvm is missing.
#
# usage: on-kvm.sh COMMAND [ARG...]    (exit status: the command's)
set -euo pipefail
here=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
if [[ -n ${MINNOW_NESTED:-} ]] || { [[ -r /dev/kvm && -w /dev/kvm ]]; }; then
	exec "$@"
fi
exec "$here/../linux/nested.sh" --timeout 600 -- "$@"
