#!/bin/bash
# Extract the ELF vmlinux from an XZ-compressed x86 bzImage.
#
# usage: extract-vmlinux.sh BZIMAGE OUT
#
# Reads the boot protocol setup header (setup_sects at 0x1f1, "HdrS" at 0x202,
# version at 0x206, payload_offset at 0x248, payload_length at 0x24c), takes the
# payload from the protected-mode part, which starts at (setup_sects + 1) * 512,
# decompresses it with xz, and checks that the result is an x86-64 ELF with a
# Xen PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY, type 0x12), so that minnow can
# boot it through PVH. OUT is written atomically (temporary file, then mv).
set -euo pipefail

prog=${0##*/}

die() {
	echo "$prog: $*" >&2
	exit 1
}

# le_u BYTES OFFSET FILE: unsigned little-endian integer of 1, 2 or 4 bytes.
le_u() {
	local v
	v=$(od -An -tu"$1" -j "$2" -N "$1" --endian=little -- "$3" | tr -d ' \n')
	[[ $v =~ ^[0-9]+$ ]] || die "cannot read $1 bytes at offset $2 of $3"
	echo "$v"
}

[[ $# -eq 2 ]] || { echo "usage: $prog BZIMAGE OUT" >&2; exit 2; }
bz=$1
out=$2

[[ -f $bz && -r $bz ]] || die "$bz: not a readable file"
for tool in od xz readelf head tail tr; do
	command -v "$tool" >/dev/null || die "$tool is needed (apt-get install xz-utils binutils coreutils)"
done

size=$(stat -c %s -- "$bz")
((size >= 0x250)) || die "$bz: too small ($size bytes) to be a bzImage"

magic=$(od -An -c -j $((0x202)) -N 4 -- "$bz" | tr -d ' \n')
[[ $magic == HdrS ]] || die "$bz: no 'HdrS' setup header at 0x202: not a bzImage"

version=$(le_u 2 $((0x206)) "$bz")
((version >= 0x208)) ||
	die "$bz: boot protocol $(printf '%#x' "$version") has no payload fields (needs 2.08+)"

setup_sects=$(le_u 1 $((0x1f1)) "$bz")
((setup_sects != 0)) || setup_sects=4 # boot protocol: 0 means 4
payload_offset=$(le_u 4 $((0x248)) "$bz")
payload_length=$(le_u 4 $((0x24c)) "$bz")
pm_start=$(((setup_sects + 1) * 512))
start=$((pm_start + payload_offset))

((payload_length > 0)) || die "$bz: payload_length is 0"
((start + payload_length <= size)) ||
	die "$bz: payload [$start, +$payload_length) runs past the end of the file ($size bytes)"

# XZ stream magic: FD 37 7A 58 5A 00
pmagic=$(od -An -tx1 -j "$start" -N 6 -- "$bz" | tr -d ' \n')
[[ $pmagic == fd377a585a00 ]] ||
	die "$bz: payload at offset $start is not XZ (magic $pmagic); only XZ-compressed kernels are supported"

out_dir=$(dirname -- "$out")
[[ -d $out_dir ]] || die "$out_dir: no such directory"
tmp=$(mktemp "$out_dir/.${out##*/}.XXXXXX")
trap 'rm -f -- "$tmp"' EXIT

# The kernel build appends the decompressed size (4 bytes) after the XZ
# stream, inside payload_length: --single-stream makes xz stop after the first
# stream and ignore what follows. xz may then exit before tail and head have
# written everything (SIGPIPE for them), so only xz's status counts.
set +o pipefail
tail -c +$((start + 1)) -- "$bz" | head -c "$payload_length" | xz -dc --single-stream >"$tmp"
xz_rc=${PIPESTATUS[2]}
set -o pipefail
((xz_rc == 0)) ||
	die "$bz: xz could not decompress the payload (offset $start, $payload_length bytes; xz exit $xz_rc)"

elf=$(od -An -tx1 -N 5 -- "$tmp" | tr -d ' \n')
[[ $elf == 7f454c4602 ]] || die "$bz: decompressed payload is not a 64-bit ELF (starts with $elf)"

# readelf -n prints the Xen notes as "Xen  0x... NT_VERSION ..." or, for
# types it has no name for, "Unknown note type: (0x00000012)".
notes=$(readelf -n -- "$tmp" 2>/dev/null) || die "$bz: readelf cannot read the extracted ELF"
if ! grep -Eq '^[[:space:]]*Xen[[:space:]].*(0x0*12\)|PHYS32_ENTRY)' <<<"$notes"; then
	die "$bz: extracted vmlinux has no Xen PVH note (XEN_ELFNOTE_PHYS32_ENTRY, type 0x12): kernel built without CONFIG_PVH"
fi

chmod 0644 -- "$tmp"
mv -f -- "$tmp" "$out"
trap - EXIT
echo "$prog: $out: $(stat -c %s -- "$out") bytes, ELF with PVH entry note"
