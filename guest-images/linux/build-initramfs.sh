#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Builds an initramfs from Debian packages only, in one of two profiles (-t):
#   guest  the Linux guest: busybox-static with its applets, iperf3 and ethtool with every shared
#          library they need (taken from the packages of their Depends chain, never from the
#          host), the virtio-net modules of the installed kernel (resolved through modules.dep)
#          and guest-images/linux/init as /init.
#   l1     the nested test host (tests/linux/nested.sh): busybox-static, the virtio-mmio and 9p
#          modules that mount the host's file system, virtio-rng for its entropy, and
#          guest-images/linux/l1-init as /init.
#
# usage: build-initramfs.sh [-t guest|l1] [-o OUT] [-k KERNEL_VERSION] [-h]
#
# OUT defaults to .cache/linux-guest/initramfs.cpio.gz (l1: .cache/linux-guest/l1.cpio.gz) in
# the repository; the kernel version to the newest /boot/vmlinuz-*-amd64. The result is cached:
# OUT.key holds a digest of the inputs (profile, package versions, kernel version and modules,
# /init, this script) and OUT is rebuilt only when it changes. Downloaded .debs stay in the cache (MINNOW_LINUX_CACHE, default
# .cache/linux-guest). Needs apt-get (with current package lists), dpkg-deb, readelf, cpio,
# gzip; not root, except to check the binaries in a chroot (skipped, with a note, otherwise).
# Prints its progress on stderr and the image's path on stdout.
set -euo pipefail

prog=linux-guest
here=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
top=$(cd -- "$here/../.." && pwd)

say() { echo "$prog: $*" >&2; }
die() {
	echo "$prog: error: $*" >&2
	exit 1
}
usage() {
	echo "usage: $0 [-t guest|l1] [-o OUT] [-k KERNEL_VERSION] [-h]" >&2
	exit 2
}

args=("$@")
out=
kver=
profile=guest
while getopts t:o:k:h opt; do
	case $opt in
	t) profile=$OPTARG ;;
	o) out=$OPTARG ;;
	k) kver=$OPTARG ;;
	h)
		sed -n '3,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
		exit 0
		;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
(($# == 0)) || usage

# The packages the image runs, the kernel modules it loads (their own dependencies, such as
# virtio_net's net_failover, come from modules.dep), the binaries besides busybox, and /init.
case $profile in
guest)
	roots=(busybox-static iperf3 ethtool)
	want_modules=(virtio virtio_ring virtio_mmio virtio_net virtio-rng)
	want_bins=(/usr/bin/iperf3 /usr/sbin/ethtool /sbin/ethtool)
	init=$here/init
	out=${out:-$top/.cache/linux-guest/initramfs.cpio.gz}
	;;
l1)
	roots=(busybox-static)
	want_modules=(virtio_mmio 9pnet_virtio 9p virtio-rng)
	want_bins=()
	init=$here/l1-init
	out=${out:-$top/.cache/linux-guest/l1.cpio.gz}
	;;
*) echo "$prog: -t '$profile': expected guest or l1" >&2 && usage ;;
esac

for tool in apt-get apt-cache dpkg-deb readelf cpio gzip sha256sum; do
	command -v "$tool" >/dev/null || die "$tool is needed (bash tests/setup-host.sh installs it)"
done

if [[ -z $kver ]]; then
	for k in /boot/vmlinuz-*-amd64; do
		[[ -f $k ]] || continue
		v=${k#/boot/vmlinuz-}
		if [[ -z $kver || $(printf '%s\n%s\n' "$kver" "$v" | sort -V | tail -n 1) == "$v" ]]; then
			kver=$v
		fi
	done
	[[ -n $kver ]] || die "no /boot/vmlinuz-*-amd64: install linux-image-amd64"
fi
moddir=/lib/modules/$kver
[[ -r $moddir/modules.dep ]] || die "$moddir/modules.dep missing: is linux-image-$kver installed?"

cache=${MINNOW_LINUX_CACHE:-$top/.cache/linux-guest}
mkdir -p -- "$cache/debs" "$cache/trees" "$(dirname -- "$out")"

# --- 1. package versions: the roots and the library packages of their Depends chain ---------

declare -A version=()
# pkg_field PKG FIELD: FIELD of PKG's candidate version in the package lists.
pkg_field() {
	apt-cache show --no-all-versions -- "$1" 2>/dev/null |
		sed -n "s/^$2: //p" | head -n 1
}
# Depends and Pre-Depends of PKG, first alternative of each, names only.
pkg_depends() {
	apt-cache show --no-all-versions -- "$1" 2>/dev/null |
		sed -n 's/^\(Pre-\)\?Depends: //p' | tr ',' '\n' |
		sed -E 's/\|.*//; s/\(.*\)//; s/:any//; s/[[:space:]]//g' | sed '/^$/d'
}

say "[1/6] resolving package versions (kernel $kver)"
# A fresh machine may have no package lists yet (apt-cache then knows no package at all).
if [[ -z $(pkg_field busybox-static Version) && $(id -u) -eq 0 ]]; then
	say "    no package lists: apt-get update"
	apt-get update -q >"$cache/apt-update.log" 2>&1 ||
		die "apt-get update failed: $(tail -n 3 "$cache/apt-update.log")"
fi
queue=("${roots[@]}")
while ((${#queue[@]})); do
	p=${queue[0]}
	queue=("${queue[@]:1}")
	[[ -z ${version[$p]:-} ]] || continue
	v=$(pkg_field "$p" Version)
	[[ -n $v ]] || die "apt-cache knows no package $p: run 'apt-get update' (Debian 12 package lists)"
	version[$p]=$v
	# Only library packages can provide what the binaries load; the rest of the chain
	# (adduser, debconf, ...) is for installing on a real system.
	while IFS= read -r d; do
		[[ $d == lib* && -z ${version[$d]:-} ]] && queue+=("$d")
	done < <(pkg_depends "$p")
done
mapfile -t pkgs < <(printf '%s\n' "${!version[@]}" | sort)
for p in "${pkgs[@]}"; do
	say "    $p ${version[$p]}"
done

# --- 2. the cache key ----------------------------------------------------------------------

mod_paths=()
declare -A mod_path=()
for m in "${want_modules[@]}"; do
	line=$(grep -E "(^|/)$m\.ko(\.[a-z]+)?:" "$moddir/modules.dep" | head -n 1) ||
		die "module $m is not in $moddir/modules.dep"
	mod_path[$m]=${line%%:*}
done
# Every dependency of a wanted module, by its modules.dep path.
declare -A need_mod=()
for m in "${want_modules[@]}"; do
	need_mod[${mod_path[$m]}]=1
	read -ra deps < <(grep -E "^${mod_path[$m]}:" "$moddir/modules.dep" | cut -d: -f2-)
	for d in "${deps[@]}"; do
		need_mod[$d]=1
	done
done
mapfile -t mod_paths < <(printf '%s\n' "${!need_mod[@]}" | sort)

key=$(
	{
		for p in "${pkgs[@]}"; do echo "pkg $p ${version[$p]}"; done
		echo "profile $profile"
		echo "kernel $kver"
		# Contents only: the same inputs give the same key whatever path the script was run by.
		for m in "${mod_paths[@]}"; do echo "module $m $(sha256sum <"$moddir/$m")"; done
		echo "init $(sha256sum <"$init")"
		echo "script $(sha256sum <"${BASH_SOURCE[0]}")"
	} | sha256sum | cut -c1-16
)
if [[ -s $out && -f $out.key && $(cat -- "$out.key") == "$key" ]]; then
	say "up to date: $out (inputs $key)"
	echo "$out"
	exit 0
fi

# --- 3. download and unpack ----------------------------------------------------------------

say "[2/6] fetching ${#pkgs[@]} Debian packages into $cache/debs"
declare -A tree=()
for p in "${pkgs[@]}"; do
	v=${version[$p]}
	d=$cache/debs/$p/${v//:/%3a}
	mkdir -p -- "$d"
	deb=$(find "$d" -maxdepth 1 -name '*.deb' | head -n 1)
	if [[ -z $deb ]]; then
		say "    downloading $p=$v"
		if ! (cd -- "$d" && apt-get download -q "$p=$v" >/dev/null 2>"$d/download.err"); then
			# Old package lists name versions the archive no longer has: refresh them
			# once and start again with the versions they name now.
			if [[ $(id -u) -eq 0 && -z ${MINNOW_LINUX_APT_UPDATED:-} ]]; then
				say "    apt-get download $p=$v failed: apt-get update, then again"
				apt-get update -q >"$cache/apt-update.log" 2>&1 ||
					die "apt-get update failed: $(tail -n 3 "$cache/apt-update.log")"
				MINNOW_LINUX_APT_UPDATED=1 exec bash "${BASH_SOURCE[0]}" "${args[@]}"
			fi
			die "apt-get download $p=$v failed: $(tail -n 3 "$d/download.err")"
		fi
		deb=$(find "$d" -maxdepth 1 -name '*.deb' | head -n 1)
		[[ -n $deb ]] || die "apt-get download $p=$v left no .deb in $d"
	fi
	t=$cache/trees/$p/${v//:/%3a}
	if [[ ! -f $t/.unpacked ]]; then
		rm -rf -- "$t"
		mkdir -p -- "$t"
		dpkg-deb -x "$deb" "$t" || die "dpkg-deb cannot unpack $deb"
		: >"$t/.unpacked"
	fi
	tree[$p]=$t
done

work=$(mktemp -d "${TMPDIR:-/tmp}/minnow-initramfs.XXXXXX")
trap 'rm -rf -- "$work"' EXIT
root=$work/root
mkdir -p -- "$root"/{bin,sbin,usr/bin,usr/sbin,etc,proc,sys,dev,tmp,run}

# in_tree PATH: the file PATH (absolute, as on the guest) in one of the unpacked packages,
# following symbolic links inside the package trees, never onto the host.
in_tree() {
	local path=$1 p t link hops
	for p in "${pkgs[@]}"; do
		t=${tree[$p]}
		path=$1
		for ((hops = 0; hops < 16; hops++)); do
			if [[ -L $t$path ]]; then
				link=$(readlink -- "$t$path")
				[[ $link == /* ]] || link=$(dirname -- "$path")/$link
				path=$(realpath -m -s -- "$link")
			elif [[ -f $t$path ]]; then
				echo "$t$path"
				return 0
			else
				break
			fi
		done
	done
	return 1
}

# install_file GUEST_PATH: copies it from the package trees into the image.
install_file() {
	local src
	src=$(in_tree "$1") || die "no package among ${pkgs[*]} provides $1"
	mkdir -p -- "$root$(dirname -- "$1")"
	cp -- "$src" "$root$1"
}

# --- 4. binaries, busybox applets, shared libraries ---------------------------------------

say "[3/6] installing ${roots[*]} and their libraries"
install_file /bin/busybox
chmod 0755 "$root/bin/busybox"
# The applet list comes from the packaged binary itself (static, runs anywhere).
napplets=0
while IFS= read -r a; do
	[[ $a == */* ]] || continue
	[[ -e $root/$a || -L $root/$a ]] && continue
	mkdir -p -- "$root/$(dirname -- "$a")"
	ln -s /bin/busybox "$root/$a"
	napplets=$((napplets + 1))
done < <("$root/bin/busybox" --list-full)
say "    busybox ${version[busybox-static]}: $napplets applets"

bins=()
for b in "${want_bins[@]}"; do
	if in_tree "$b" >/dev/null; then
		install_file "$b"
		bins+=("$b")
	fi
done
if [[ $profile == guest ]]; then
	[[ " ${bins[*]} " == *" /usr/bin/iperf3 "* ]] || die "iperf3 ${version[iperf3]} has no /usr/bin/iperf3"
	[[ " ${bins[*]} " == *ethtool* ]] || die "ethtool ${version[ethtool]} has no ethtool binary"
fi

# The dynamic loader and every DT_NEEDED library, recursively, from the library directories
# the loader searches by default on Debian.
libdirs=(/lib/x86_64-linux-gnu /usr/lib/x86_64-linux-gnu /lib64 /usr/lib64)
declare -A have_lib=()
pending=(${bins[@]+"${bins[@]}"})
while ((${#pending[@]})); do
	f=${pending[0]}
	pending=("${pending[@]:1}")
	interp=$(readelf -lW -- "$root$f" | sed -n 's/.*Requesting program interpreter: \(.*\)]$/\1/p')
	if [[ -n $interp && -z ${have_lib[$interp]:-} ]]; then
		install_file "$interp"
		chmod 0755 "$root$interp"
		have_lib[$interp]=1
	fi
	while IFS= read -r lib; do
		[[ -n ${have_lib[$lib]:-} ]] && continue
		found=
		for d in "${libdirs[@]}"; do
			if in_tree "$d/$lib" >/dev/null; then
				install_file "$d/$lib"
				pending+=("$d/$lib")
				found=1
				break
			fi
		done
		[[ -n $found ]] || die "$f needs $lib, which no package among ${pkgs[*]} provides"
		have_lib[$lib]=1
	done < <(readelf -dW -- "$root$f" | sed -n 's/.*(NEEDED).*\[\(.*\)\]$/\1/p')
done
say "    shared objects: $(printf '%s\n' "${!have_lib[@]}" | sed 's|.*/||' | sort -u | tr '\n' ' ')"

# Proof that nothing is missing: run each binary in the image as its own root.
if [[ $(id -u) -eq 0 ]] && command -v chroot >/dev/null; then
	for b in ${bins[@]+"${bins[@]}"}; do
		chroot "$root" "$b" --version >"$work/check" 2>&1 ||
			die "$b does not run inside the image: $(cat "$work/check")"
		say "    chroot check: $(head -n 1 "$work/check")"
	done
	chroot "$root" /bin/sh -c 'echo ok' >"$work/check" 2>&1 ||
		die "busybox sh does not run inside the image: $(cat "$work/check")"
else
	say "    note: not root, so the binaries were not test-run in a chroot"
fi

# --- 5. kernel modules ---------------------------------------------------------------------

say "[4/6] kernel modules of $kver: ${#mod_paths[@]} through modules.dep"
# Load order: a module after everything it depends on (modules.dep lists each module's full
# dependency set, so ordering by the size of that set is a topological order).
: >"$work/order"
for m in "${mod_paths[@]}"; do
	dst=lib/modules/$kver/$m
	mkdir -p -- "$root/$(dirname -- "$dst")"
	case $m in
	*.ko) cp -- "$moddir/$m" "$root/$dst" ;;
	*.ko.xz) xz -dc -- "$moddir/$m" >"$root/${dst%.xz}" && dst=${dst%.xz} ;;
	*.ko.zst) zstd -qdc -- "$moddir/$m" >"$root/${dst%.zst}" && dst=${dst%.zst} ;;
	*.ko.gz) gzip -dc -- "$moddir/$m" >"$root/${dst%.gz}" && dst=${dst%.gz} ;;
	*) die "$m: unknown module file type" ;;
	esac
	n=$(grep -E "^$m:" "$moddir/modules.dep" | cut -d: -f2- | wc -w)
	echo "$n /$dst" >>"$work/order"
done
sort -n -s -k1,1 "$work/order" | cut -d' ' -f2- >"$root/etc/modules.order"
say "    $(sed 's|.*/||' "$root/etc/modules.order" | tr '\n' ' ')"

# --- 6. /init and the archive --------------------------------------------------------------

say "[5/6] /init from ${init#"$top"/}"
cp -- "$init" "$root/init"
chmod 0755 "$root/init"
echo "$kver" >"$root/etc/kernel-version"
for p in "${pkgs[@]}"; do echo "$p ${version[$p]}"; done >"$root/etc/packages"

say "[6/6] writing $out"
# One timestamp for every entry: the same inputs give the same archive.
find "$root" -exec touch -h -d @0 {} +
tmp=$(mktemp "$(dirname -- "$out")/.initramfs.XXXXXX")
(cd -- "$root" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --reproducible --quiet) |
	gzip -9n >"$tmp" || {
	rm -f -- "$tmp"
	die "cpio or gzip failed"
}
mv -f -- "$tmp" "$out"
echo "$key" >"$out.key"
say "done: $out, $(stat -c %s -- "$out") bytes (inputs $key)"
echo "$out"
