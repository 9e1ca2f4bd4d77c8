#!/bin/bash
# Bounded early-boot check of Debian's stock kernel in minnow.
#
# usage: early-boot.sh MINNOW_BINARY
#
# Extracts the ELF vmlinux from the newest /boot/vmlinuz-*-amd64 (cached in
# ${MINNOW_CACHE:-$HOME/.cache/minnow}), boots it through PVH with COM1 going to
# a file, and passes as soon as the kernel's log shows
#   (a) "Command line: <exactly the command line minnow was given>", which
#       carries a random minnow.test=<token> marker, and
#   (b) the BIOS-e820 map that minnow builds for the RAM size given, and
#   (c) minnow's ACPI tables (RSDP, XSDT, FACP, DSDT, APIC), the IOAPIC, the
#       IRQ 4 override and every vCPU, with no ACPI warning or error.
#   (d) with EARLY_BOOT_INITRD, "RAMDISK: [mem START-END]" exactly where minnow
#       places that file (page-aligned at the top of low RAM), so the kernel found
#       the initrd through the PVH start info.
# It then stops minnow with SIGTERM and checks that it exited with 143.
#
# It never waits for a full boot: on hosts whose KVM emulates guest CPL-0 code
# (kvm-pvm) the kernel dies a few seconds later at the int3 self-test of
# alternative_instructions(), and these lines come long before that.
#
# Environment:
#   EARLY_BOOT_TIMEOUT  seconds before the test fails (default 240)
#   EARLY_BOOT_MEM      guest RAM, minnow's -m syntax (default 512M)
#   EARLY_BOOT_CPUS     vCPUs (default 2; the MADT must list them all)
#   EARLY_BOOT_INITRD   an initrd to pass with -i (default: none)
#   MINNOW_CACHE        cache for the extracted vmlinux
#
# Exit status: 0 pass, 1 fail, 77 skip (no usable /dev/kvm, no Debian kernel).
set -euo pipefail

prog=early-boot
here=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)

# Hidden from the guest and why (measured on kvm-pvm, whose instruction
# emulator runs the guest's CPL-0 code): the emulator cannot execute
# "lock cmpxchg16b", which SLUB uses from kmem_cache_init() on when CX16 is
# present, nor "xrstor", which the FPU setup uses unless noxsave is given.
# kvm-pvm ignores an XSAVE bit cleared in CPUID, so noxsave on the command line
# is what avoids xrstor; the CX16 bit is honoured.
cpuid_mask=cx16
base_cmdline="console=ttyS0 earlyprintk=serial,ttyS0,115200 nokaslr no5lvl pci=off reboot=k panic=-1 noxsave"

say() { echo "$prog: $*"; }
skip() {
	say "SKIP: $*"
	exit 77
}
fail() {
	say "FAIL: $*" >&2
	exit 1
}

[[ $# -eq 1 ]] || fail "usage: $0 MINNOW_BINARY"
minnow=$1
[[ -x $minnow && -f $minnow ]] || fail "$minnow: not an executable file"

timeout_s=${EARLY_BOOT_TIMEOUT:-240}
[[ $timeout_s =~ ^[1-9][0-9]*$ ]] || fail "EARLY_BOOT_TIMEOUT=$timeout_s: not a positive number of seconds"
mem=${EARLY_BOOT_MEM:-512M}
initrd=${EARLY_BOOT_INITRD:-}
[[ -z $initrd || (-f $initrd && -r $initrd) ]] || fail "EARLY_BOOT_INITRD=$initrd: not a readable file"
cpus=${EARLY_BOOT_CPUS:-2}

# --- skip conditions -------------------------------------------------------

[[ -e /dev/kvm ]] || skip "/dev/kvm does not exist (no KVM on this host)"
[[ -c /dev/kvm ]] || skip "/dev/kvm is not a character device"
if ! { : <>/dev/kvm; } 2>/dev/null; then
	skip "/dev/kvm cannot be opened for reading and writing by $(id -un) (not in group kvm?)"
fi

bzimage=
for k in /boot/vmlinuz-*-amd64; do
	[[ -f $k ]] || continue
	if [[ -z $bzimage ]] ||
		[[ $(printf '%s\n%s\n' "$bzimage" "$k" | sort -V | tail -n 1) == "$k" ]]; then
		bzimage=$k
	fi
done
[[ -n $bzimage ]] || skip "no /boot/vmlinuz-*-amd64: install linux-image-amd64"
[[ -r $bzimage ]] || skip "$bzimage is not readable by $(id -un)"
version=${bzimage#/boot/vmlinuz-}

# --- expected e820 map ---------------------------------------------------

# Bytes for a size in minnow's -m syntax: a number with K, M, G or T, plain is MiB.
mem_bytes() {
	local n unit
	[[ $1 =~ ^([0-9]+)([KkMmGgTt]?)$ ]] || return 1
	n=$((10#${BASH_REMATCH[1]}))
	unit=${BASH_REMATCH[2]}
	case ${unit^^} in
	K) echo $((n << 10)) ;;
	G) echo $((n << 30)) ;;
	T) echo $((n << 40)) ;;
	*) echo $((n << 20)) ;;
	esac
}
ram=$(mem_bytes "$mem") || fail "EARLY_BOOT_MEM=$mem: not a size (number with K, M, G or T)"
((ram >= 4 << 20)) || fail "EARLY_BOOT_MEM=$mem: minnow needs at least 4M"

e820_line() { printf 'BIOS-e820: [mem 0x%016x-0x%016x] %s' "$1" "$(($2 - 1))" "$3"; }
# minnow's map (firmware/e820.c): RAM below the EBDA, the EBDA and BIOS area
# reserved, RAM from 1 MiB to min(RAM, 3 GiB), the rest of RAM from 4 GiB.
hole_start=$((3 << 30))
hole_end=$((4 << 30))
low_end=$((ram < hole_start ? ram : hole_start))
expected_e820=(
	"$(e820_line 0 0x9fc00 usable)"
	"$(e820_line 0x9fc00 0x100000 reserved)"
	"$(e820_line 0x100000 "$low_end" usable)"
)
if ((ram > hole_start)); then
	expected_e820+=("$(e820_line "$hole_end" $((hole_end + ram - hole_start)) usable)")
fi

# Where minnow puts the initrd (vmm/boot.c boot_place_initrd): page-aligned at the top of low
# RAM. The kernel prints its pages (arch/x86/kernel/setup.c reserve_initrd).
initrd_args=()
expected_ramdisk=
if [[ -n $initrd ]]; then
	initrd_args=(-i "$initrd")
	isize=$(stat -c %s -- "$initrd")
	istart=$(((low_end - isize) & ~4095))
	expected_ramdisk=$(printf 'RAMDISK: [mem %#010x-%#010x]' "$istart" $(((istart + isize + 4095) / 4096 * 4096 - 1)))
fi

# --- vmlinux ---------------------------------------------------------------

cache=${MINNOW_CACHE:-${HOME:-/tmp}/.cache/minnow}
mkdir -p -- "$cache" || fail "cannot create the cache directory $cache"
vmlinux=$cache/vmlinux-$version
if [[ -s $vmlinux && $vmlinux -nt $bzimage ]]; then
	say "using cached $vmlinux"
else
	say "extracting $vmlinux from $bzimage"
	"$here/extract-vmlinux.sh" "$bzimage" "$vmlinux" ||
		fail "could not extract vmlinux from $bzimage"
fi

# --- boot ------------------------------------------------------------------

work=$(mktemp -d "${TMPDIR:-/tmp}/minnow-early-boot.XXXXXX")
serial=$work/serial.log
minnow_pid=

# Stop minnow (SIGTERM, then SIGKILL after 10 s); sets minnow_rc.
minnow_rc=
stop_minnow() {
	local i
	[[ -n $minnow_pid ]] || return 0
	kill -TERM "$minnow_pid" 2>/dev/null || true
	for ((i = 0; i < 100; i++)); do
		kill -0 "$minnow_pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$minnow_pid" 2>/dev/null; then
		say "minnow (pid $minnow_pid) ignored SIGTERM for 10 s: sending SIGKILL" >&2
		kill -KILL "$minnow_pid" 2>/dev/null || true
	fi
	minnow_rc=0
	wait "$minnow_pid" 2>/dev/null || minnow_rc=$?
	minnow_pid=
}

# shellcheck disable=SC2317 # called from the traps
cleanup() {
	stop_minnow
	rm -rf -- "$work"
}
trap cleanup EXIT
trap 'cleanup; trap - INT; kill -INT $$' INT
trap 'cleanup; trap - TERM; kill -TERM $$' TERM
trap 'cleanup; trap - HUP; kill -HUP $$' HUP

marker=minnow.test=$(od -An -tx8 -N8 /dev/urandom | tr -d ' \n')
cmdline="$base_cmdline $marker"

# Microseconds since the epoch (bash 5).
now_us() { local t=${EPOCHREALTIME/[.,]/}; echo "$((10#$t))"; }
secs() { printf '%d.%02d' $(($1 / 1000000)) $(($1 % 1000000 / 10000)); }

say "kernel $bzimage ($version)"
say "command: $minnow run -k $vmlinux ${initrd_args[*]} -m $mem -c $cpus -p '$cmdline' --cpuid-mask $cpuid_mask --serial file=$serial"
: >"$serial"
t0=$(now_us)
"$minnow" run -k "$vmlinux" "${initrd_args[@]}" -m "$mem" -c "$cpus" -p "$cmdline" --cpuid-mask "$cpuid_mask" \
	--serial "file=$serial" >"$work/minnow.out" 2>&1 &
minnow_pid=$!

show_tail() {
	say "last 30 lines of the serial log:" >&2
	tr -d '\r' <"$serial" | tail -n 30 | sed 's/^/    /' >&2
	if [[ -s $work/minnow.out ]]; then
		say "minnow's output:" >&2
		tail -n 30 "$work/minnow.out" | sed 's/^/    /' >&2
	fi
}

# The kernel's complete lines so far, without carriage returns and without
# the timestamp prefix.
snapshot() {
	local n
	tr -d '\r' <"$serial" >"$work/snap.raw"
	n=$(tr -cd '\n' <"$work/snap.raw" | wc -c)
	head -n "$n" "$work/snap.raw" | sed -E 's/^\[ *[0-9]+\.[0-9]+\] //' >"$work/snap"
}

t_first='' t_version='' t_cmdline='' t_e820='' t_acpi='' t_ramdisk=''

# minnow's ACPI tables as the kernel lists them (drivers/acpi/acpica/tbprint.c), the
# IOAPIC and the IRQ 4 override from our MADT, and every vCPU from the MADT.
expected_acpi=(
	'ACPI: RSDP 0x00000000000E0000 000024 (v02 MINNOW)'
	'^ACPI: XSDT 0x00000000000E[0-9A-F]{4} [0-9A-F]{6} \(v01 MINNOW MINNOWVM 00000001 MNOW 00000001\)$'
	'^ACPI: FACP 0x00000000000E[0-9A-F]{4} 000114 \(v06 MINNOW MINNOWVM 00000001 MNOW 00000001\)$'
	'^ACPI: DSDT 0x00000000000E[0-9A-F]{4} [0-9A-F]{6} \(v02 MINNOW MINNOWVM 00000001 MNOW 00000001\)$'
	'^ACPI: APIC 0x00000000000E[0-9A-F]{4} [0-9A-F]{6} \(v05 MINNOW MINNOWVM 00000001 MNOW 00000001\)$'
	'IOAPIC[0]: apic_id 0, version 17, address 0xfec00000, GSI 0-23'
	'ACPI: INT_SRC_OVR (bus 0 bus_irq 4 global_irq 4 high edge)'
	'ACPI: Using ACPI (MADT) for SMP configuration information'
	"smpboot: Allowing $cpus CPUs, 0 hotplug CPUs"
)
deadline=$((t0 + timeout_s * 1000000))
while :; do
	snapshot
	t=$(now_us)
	el=$((t - t0))
	if [[ -z $t_first && -s $work/snap ]]; then
		t_first=$el
		say "$(secs "$el") s: first line from the kernel"
	fi
	if [[ -z $t_version ]] && grep -q '^Linux version ' "$work/snap"; then
		t_version=$el
		say "$(secs "$el") s: $(grep -m1 '^Linux version ' "$work/snap" | cut -c1-100)"
	fi
	if [[ -z $t_cmdline ]] && grep -q '^Command line: ' "$work/snap"; then
		got=$(grep -m1 '^Command line: ' "$work/snap")
		got=${got#Command line: }
		if [[ $got != "$cmdline" ]]; then
			show_tail
			fail "the kernel's command line differs from minnow's:
    given: '$cmdline'
    seen:  '$got'"
		fi
		t_cmdline=$el
		say "$(secs "$el") s: Command line: matches, with marker $marker"
	fi
	# The map is complete once a line follows its last entry.
	if [[ -z $t_e820 ]] && grep -q '^BIOS-e820: ' "$work/snap" &&
		! tail -n 1 "$work/snap" | grep -q '^BIOS-e820: '; then
		mapfile -t seen_e820 < <(grep '^BIOS-e820: ' "$work/snap")
		bad=
		for want in "${expected_e820[@]}"; do
			found=
			for line in "${seen_e820[@]}"; do
				[[ $line == "$want" ]] && found=1
			done
			[[ -n $found ]] || bad+="    missing: $want"$'\n'
		done
		for line in "${seen_e820[@]}"; do
			found=
			for want in "${expected_e820[@]}"; do
				[[ $line == "$want" ]] && found=1
			done
			if [[ -z $found ]]; then
				if [[ $line == *'] usable' ]]; then
					bad+="    unexpected usable range: $line"$'\n'
				else
					say "note: extra non-RAM range: $line"
				fi
			fi
		done
		if [[ -n $bad ]]; then
			show_tail
			fail "the kernel's BIOS-e820 map does not match minnow's map for -m $mem:
${bad}    expected:
$(printf '        %s\n' "${expected_e820[@]}")"
		fi
		t_e820=$el
		say "$(secs "$el") s: BIOS-e820 map matches (${#seen_e820[@]} entries, RAM $mem)"
	fi
	# The ACPI part is complete once the kernel has sized its CPUs from the MADT.
	if [[ -z $t_acpi ]] && grep -q '^smpboot: Allowing ' "$work/snap"; then
		bad=
		for want in "${expected_acpi[@]}"; do
			if [[ $want == ^* ]]; then
				grep -Eq -- "$want" "$work/snap" || bad+="    missing: /$want/"$'\n'
			else
				grep -qxF -- "$want" "$work/snap" || bad+="    missing: $want"$'\n'
			fi
		done
		# Any complaint about our tables (checksum, parse or AML errors) fails the test.
		while IFS= read -r line; do
			bad+="    complaint: $line"$'\n'
		done < <(grep -E 'ACPI (BIOS )?(Error|Warning)|ACPI.*([Cc]hecksum|[Ii]nvalid|[Bb]ad)' \
			"$work/snap" | grep -v 'Early table checksum verification disabled')
		if [[ -n $bad ]]; then
			show_tail
			fail "the kernel's view of minnow's ACPI tables is not as expected:
$bad"
		fi
		t_acpi=$el
		say "$(secs "$el") s: ACPI tables, IOAPIC, IRQ 4 override and $cpus CPUs accepted"
	fi
	# The kernel reserves the initrd before it reads the ACPI tables.
	if [[ -n $initrd && -z $t_ramdisk ]] && grep -q '^RAMDISK: ' "$work/snap"; then
		got=$(grep -m1 '^RAMDISK: ' "$work/snap")
		if [[ $got != "$expected_ramdisk" ]]; then
			show_tail
			fail "the kernel found the initrd elsewhere than minnow put it:
    expected: $expected_ramdisk ($initrd, $isize bytes)
    seen:     $got"
		fi
		t_ramdisk=$el
		say "$(secs "$el") s: $got: the initrd ($isize bytes) where minnow put it"
	fi
	if [[ -n $initrd && -z $t_ramdisk && -n $t_acpi ]]; then
		show_tail
		fail "no RAMDISK: line before the ACPI tables: the kernel did not see the initrd"
	fi
	[[ -n $t_cmdline && -n $t_e820 && -n $t_acpi && (-z $initrd || -n $t_ramdisk) ]] && break

	if ! kill -0 "$minnow_pid" 2>/dev/null; then
		sleep 0.2 # let the last output land
		snapshot
		stop_minnow
		show_tail
		fail "minnow exited with status $minnow_rc after $(secs "$el") s, before the milestones"
	fi
	if ((t >= deadline)); then
		show_tail
		missing=
		[[ -n $t_cmdline ]] || missing="the Command line: line"
		[[ -n $t_e820 ]] || missing+="${missing:+ and }the BIOS-e820 map"
		[[ -n $t_acpi ]] || missing+="${missing:+ and }the ACPI/SMP lines"
		[[ -z $initrd || -n $t_ramdisk ]] || missing+="${missing:+ and }the RAMDISK: line"
		fail "$missing not seen within ${timeout_s} s (EARLY_BOOT_TIMEOUT)"
	fi
	sleep 0.2
done

pass_el=$el
pid=$minnow_pid
stop_minnow
if kill -0 "$pid" 2>/dev/null; then
	fail "minnow (pid $pid) is still running after SIGTERM and SIGKILL"
fi
if [[ $minnow_rc -ne 143 ]]; then
	show_tail
	fail "minnow exited with status $minnow_rc after SIGTERM (expected 143)"
fi
say "minnow stopped by SIGTERM (exit status 143)"
say "PASS in $(secs "$pass_el") s (first line $(secs "$t_first") s, Linux version $(secs "$t_version") s," \
	"Command line $(secs "$t_cmdline") s, BIOS-e820 $(secs "$t_e820") s, ACPI $(secs "$t_acpi") s${t_ramdisk:+, RAMDISK $(secs "$t_ramdisk") s})"
exit 0
