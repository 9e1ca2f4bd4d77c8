# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# Shared by the Linux-guest scripts: which kernel, and what a TCG-emulated kernel needs.

# linux_kernel: the newest /boot/vmlinuz-*-amd64 (Debian's stock kernel) into kernel and its
# version into kver; returns 1 when there is none.
linux_kernel() {
	local k
	kernel=
	for k in /boot/vmlinuz-*-amd64; do
		[[ -f $k ]] || continue
		if [[ -z $kernel || $(printf '%s\n%s\n' "$kernel" "$k" | sort -V | tail -n 1) == "$k" ]]; then
			kernel=$k
		fi
	done
	# shellcheck disable=SC2034 # for the caller
	kver=${kernel#/boot/vmlinuz-}
	[[ -n $kernel ]]
}

# tcg_tsc_arg: " tsc_early_khz=N" when the host knows its TSC's rate, else nothing. Under TCG the
# guest's TSC is the host's counter; on a loaded host the kernel's PIT calibration of it can
# fail (then, with no HPET or PM timer on microvm, the boot stalls). "cpu MHz" is the TSC's rate
# on a host with a known-frequency constant TSC (and no APERF/MPERF, as in a VM).
tcg_tsc_arg() {
	local khz
	if grep -qw tsc_known_freq /proc/cpuinfo && grep -qw constant_tsc /proc/cpuinfo &&
		! grep -qw aperfmperf /proc/cpuinfo; then
		khz=$(awk -F: '/^cpu MHz/ { printf "%d", $2 * 1000; exit }' /proc/cpuinfo)
		[[ ! $khz =~ ^[1-9][0-9]*$ ]] || echo " tsc_early_khz=$khz"
	fi
}
