#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# External validators on what minnow gives the guest: iasl disassembles every ACPI table and
# recompiles it with no error or warning, and dtc accepts the device tree. Checks the expected
# devices, _HID, _CRS windows and interrupts, _S5_, MADT entries and tree nodes.
# usage: validate-tables.sh MINNOW PROBE_ELF DUMP_MACHINE
set -euo pipefail
minnow=$1 probe=$2 dump_machine=$3
for tool in iasl dtc; do
	command -v "$tool" >/dev/null || { echo "FAIL: $tool missing (tests/setup-host.sh installs it)"; exit 1; }
done
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

# Disassemble and recompile each table; both steps must be clean.
iasl_check() { # DIR
	local t
	for t in rsdp xsdt facp apic dsdt; do
		[[ -s $1/$t.dat ]] || fail "$1/$t.dat missing"
	done
	for t in xsdt facp apic dsdt; do
		(cd "$1" && iasl -d "$t.dat" >"$t.dis.log" 2>&1) || fail "iasl -d $t.dat: $(cat "$1/$t.dis.log")"
		(cd "$1" && iasl -p "$t.re" "$t.dsl" >"$t.asl.log" 2>&1) || fail "iasl $t.dsl: $(cat "$1/$t.asl.log")"
		grep -q 'Compilation successful. 0 Errors, 0 Warnings, 0 Remarks' "$1/$t.asl.log" ||
			fail "iasl recompiling $t.dsl: $(tail -3 "$1/$t.asl.log")"
	done
	# Debian 12's iasl (20200925) says a bare RSDP "does not contain a valid ACPI table";
	# the RSDP's checksums are checked in the unit tests and Linux reads it in linux-early.
}
has() { # FILE FIXED-STRING
	grep -qF -- "$2" "$1" || fail "$(basename "$1") lacks: $2"
}

# 1. minnow itself, 3 vCPUs, no virtio device yet.
"$minnow" run -k "$probe" -c 3 -p "console=ttyS0" --dry-run --print-cmdline \
	--dump-dtb "$dir/m.dtb" --dump-acpi "$dir/m" >"$dir/cmdline" || fail "minnow --dry-run failed"
[[ "$(cat "$dir/cmdline")" == "console=ttyS0" ]] || fail "--print-cmdline: $(cat "$dir/cmdline")"
iasl_check "$dir/m"
has "$dir/m/dsdt.dsl" 'Device (COM1)'
has "$dir/m/dsdt.dsl" 'EisaId ("PNP0501")'
has "$dir/m/dsdt.dsl" 'IO (Decode16,'
has "$dir/m/dsdt.dsl" 'Name (_S5, Package (0x04)'
has "$dir/m/facp.dsl" 'Hardware Reduced (V5) : 1'
has "$dir/m/facp.dsl" 'Value to cause reset : 01'
[[ $(grep -c 'Subtable Type : 00 \[Processor Local APIC\]' "$dir/m/apic.dsl") -eq 3 ]] ||
	fail "MADT does not list 3 local APICs"
has "$dir/m/apic.dsl" 'Subtable Type : 02 [Interrupt Source Override]'
dtc -q -I dtb -O dts -o "$dir/m.dts" "$dir/m.dtb" 2>"$dir/dtc.log" || fail "dtc: $(cat "$dir/dtc.log")"
[[ ! -s $dir/dtc.log ]] || fail "dtc warnings: $(cat "$dir/dtc.log")"
has "$dir/m.dts" 'bootargs = "console=ttyS0";'
has "$dir/m.dts" 'cpu@2 {'
has "$dir/m.dts" 'compatible = "intel,ce4100-ioapic";'
echo "ok: minnow's tables and tree (3 vCPUs) pass iasl and dtc"

# 2. The same builders with two virtio-mmio devices.
mkdir "$dir/v"
cmdline=$("$dump_machine" "$dir/v" 2 2) || fail "dump-machine failed"
[[ $cmdline == "console=ttyS0 virtio_mmio.device=4K@0xd0000000:5 virtio_mmio.device=4K@0xd0001000:6" ]] ||
	fail "bootargs: $cmdline"
iasl_check "$dir/v"
for i in 0 1; do
	has "$dir/v/dsdt.dsl" "Device (V00$i)"
	has "$dir/v/dsdt.dsl" "0xD000${i}000,         // Address Base"
	has "$dir/v/dsdt.dsl" "0x0000000$((5 + i)),"
done
[[ $(grep -c 'Name (_HID, "LNRO0005")' "$dir/v/dsdt.dsl") -eq 2 ]] || fail "not two LNRO0005 devices"
[[ $(grep -c 'Interrupt (ResourceConsumer, Edge, ActiveHigh, Exclusive, ,, )' "$dir/v/dsdt.dsl") -eq 2 ]] ||
	fail "virtio interrupts are not edge, active high, exclusive"
has "$dir/v/dsdt.dsl" 'Memory32Fixed (ReadWrite,'
dtc -q -I dtb -O dts -o "$dir/v.dts" "$dir/v/machine.dtb" 2>"$dir/dtc.log" || fail "dtc: $(cat "$dir/dtc.log")"
[[ ! -s $dir/dtc.log ]] || fail "dtc warnings: $(cat "$dir/dtc.log")"
has "$dir/v.dts" 'virtio_mmio@d0001000 {'
has "$dir/v.dts" 'compatible = "virtio,mmio";'
has "$dir/v.dts" 'interrupts = <0x06 0x03>;'
echo "ok: tables and tree with 2 virtio-mmio devices pass iasl and dtc"
