#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Runs a command on a nested KVM host: a small VM under QEMU TCG whose emulated CPU has AMD SVM
# with nested paging (-cpu max), booted from Debian's stock kernel with the initramfs of
# build-initramfs.sh -t l1. Its kvm-amd gives it a real /dev/kvm, so minnow can boot a Linux
# guest there even where this host's own KVM cannot (kvm-pvm, DESIGN §1). The VM sees this
# machine's whole file system read-only (9p), so the command and every program it calls are
# this machine's own (the minnow just built, iperf3, python3, iproute2); it writes to the outbox,
# a folder mounted read-write at the same path inside and out, and to its own /tmp and /run.
#
# usage: nested.sh [--smp N] [--mem SIZE] [--timeout S] [--outbox DIR] [--] COMMAND [ARG...]
#
#   --smp N        the nested host's CPUs (default 1; more run as host threads: -accel
#                  tcg,thread=multi)
#   --mem SIZE     its RAM, as QEMU's -m (default 2G)
#   --timeout S    seconds before the VM is stopped (default 600)
#   --outbox DIR   an existing folder, kept afterwards (default: a new one, removed afterwards)
#
# The command runs in the current folder, with PATH, CI, LANG, ASAN_OPTIONS, UBSAN_OPTIONS and
# every MINNOW_* and BOOT_TEST_* variable of this environment, plus MINNOW_NESTED=1 and
# MINNOW_NESTED_OUTBOX=DIR. Its output (and the nested host's own "nested:" lines) comes out on
# stdout. Exit status: the command's, or 125 when the nested host ended without one (its
# console says why), 2 on a usage error.
set -euo pipefail
here=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
top=$(cd -- "$here/../.." && pwd)
# shellcheck source=tests/linux/linuxlib.sh
source "$here/linuxlib.sh"

usage() {
	echo "usage: $0 [--smp N] [--mem SIZE] [--timeout S] [--outbox DIR] [--] COMMAND [ARG...]" >&2
	exit 2
}
smp=1 mem=2G timeout=600 outbox='' keep=''
while (($#)); do
	case $1 in
	--smp) smp=${2:-} && shift ;;
	--mem) mem=${2:-} && shift ;;
	--timeout) timeout=${2:-} && shift ;;
	--outbox) outbox=${2:-} && keep=1 && shift ;;
	-h | --help)
		sed -n '3,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
		exit 0
		;;
	--) shift && break ;;
	-*) echo "nested: unknown option '$1'" >&2 && usage ;;
	*) break ;;
	esac
	shift
done
(($#)) || { echo "nested: no command given" >&2 && usage; }
[[ $smp =~ ^[1-9][0-9]*$ ]] || { echo "nested: --smp '$smp': expected a whole number of CPUs" >&2 && usage; }
[[ $mem =~ ^[1-9][0-9]*[MG]?$ ]] || { echo "nested: --mem '$mem': expected a size such as 2G or 1536M" >&2 && usage; }
[[ $timeout =~ ^[1-9][0-9]*$ ]] || { echo "nested: --timeout '$timeout': expected seconds" >&2 && usage; }
if [[ -n $outbox ]]; then
	[[ $outbox == /* && -d $outbox ]] || { echo "nested: --outbox '$outbox': expected an existing folder, by its absolute path" >&2 && usage; }
fi
# The nested host sees this machine's / but gives /tmp, /run, /var/tmp and /dev/shm fresh (l1-init):
# a command run from under them would not find its files there.
case $PWD/ in
/tmp/* | /run/* | /var/tmp/* | /dev/shm/*)
	echo "nested: the nested host cannot see $PWD (it mounts fresh /tmp, /run, /var/tmp and /dev/shm): run from a checkout outside them" >&2
	exit 125
	;;
esac

qemu=$(command -v qemu-system-x86_64) || { echo "nested: qemu-system-x86_64 missing (tests/setup-host.sh installs qemu-system-x86)" >&2 && exit 125; }
linux_kernel || { echo "nested: no /boot/vmlinuz-*-amd64: install linux-image-amd64" >&2 && exit 125; }
l1=$("$top/guest-images/linux/build-initramfs.sh" -t l1 -k "$kver") || { echo "nested: could not build the nested host's initramfs" >&2 && exit 125; }

if [[ -z $outbox ]]; then
	outbox=$(mktemp -d "${TMPDIR:-/tmp}/minnow-nested.XXXXXX")
fi
qemu_pid=''
# shellcheck disable=SC2317 # the EXIT trap
cleanup() {
	[[ -z $qemu_pid ]] || kill "$qemu_pid" 2>/dev/null
	if [[ -z $keep ]]; then
		rm -rf -- "$outbox"
	else
		rm -f -- "$outbox/cmd.sh" "$outbox/rc"
	fi
}
trap cleanup EXIT

# The command, its folder and its environment, as a script the nested host runs.
{
	echo "cd $(printf %q "$PWD") || exit 125"
	while IFS= read -r name; do
		printf 'export %s=%q\n' "$name" "${!name}"
	done < <(compgen -e | grep -E '^(PATH|CI|LANG|ASAN_OPTIONS|UBSAN_OPTIONS|MINNOW_.*|BOOT_TEST_.*)$' |
		grep -vE '^MINNOW_NESTED')
	echo "export MINNOW_NESTED=1 MINNOW_NESTED_OUTBOX=$(printf %q "$outbox")"
	printf 'exec'
	printf ' %q' "$@"
	echo
} >"$outbox/cmd.sh"
rm -f -- "$outbox/rc"

accel=tcg
((smp == 1)) || accel=tcg,thread=multi
echo "nested: $kernel on QEMU TCG (-cpu max, $smp CPU, $mem), outbox $outbox"
# shellcheck disable=SC2054 # commas inside QEMU's option values
timeout -k 10 "$timeout" "$qemu" -M microvm -accel "$accel" -cpu max -smp "$smp" -m "$mem" -nodefaults -no-user-config \
	-nographic -serial stdio -monitor none -no-reboot \
	-fsdev local,id=root,path=/,security_model=none,readonly=on,multidevs=remap \
	-device virtio-9p-device,fsdev=root,mount_tag=hostroot \
	-fsdev "local,id=outbox,path=$outbox,security_model=none" \
	-device virtio-9p-device,fsdev=outbox,mount_tag=outbox \
	-object rng-random,id=rng,filename=/dev/urandom -device virtio-rng-device,rng=rng \
	-kernel "$kernel" -initrd "$l1" \
	-append "console=ttyS0 panic=-1 loglevel=4 pci=off edd=off nested.outbox=$outbox$(tcg_tsc_arg)" </dev/null &
qemu_pid=$!
status=0
wait "$qemu_pid" || status=$?
qemu_pid=''
((status != 124)) || echo "nested: stopped after $timeout s (--timeout)"
if [[ ! -s $outbox/rc ]]; then
	echo "nested: the nested host ended without the command's exit status (QEMU exit $status)"
	exit 125
fi
exit "$(cat -- "$outbox/rc")"
