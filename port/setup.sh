#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Install the toolchain of the port (see README.md): Debian's kernel source,
# rustc-web with its rust-src, clang/LLVM 19, QEMU from bookworm-backports,
# busybox-static, Sphinx (htmldocs), the Python modules of checkpatch's
# SPDX check and bindgen-cli from the crates registry.  Quiet and quick
# when everything is there already.
#
# Usage: port/setup.sh KERNEL_DEB_VERSION RUST_VERSION BINDGEN_VERSION ARCHS
set -eu

deb_version=$1 rust_version=$2 bindgen_version=$3 archs=$4

die() { echo "setup: $*" >&2; exit 1; }

pkgs="linux-source-6.12=$deb_version rustc-web rust-web-src rustfmt-web
      rust-web-clippy clang-19 lld-19 llvm-19 libclang-19-dev flex bison bc
      libelf-dev libssl-dev cpio kmod busybox-static gcc make patch
      python3 perl xz-utils git python3-sphinx python3-sphinx-rtd-theme
      python3-ply python3-git"
bpo_pkgs=
for arch in $archs; do
	case $arch in
	x86_64) bpo_pkgs="$bpo_pkgs qemu-system-x86" ;;
	arm64)  bpo_pkgs="$bpo_pkgs qemu-system-arm"
		pkgs="$pkgs gcc-aarch64-linux-gnu libc6-dev-arm64-cross" ;;
	*) die "unknown ARCH '$arch' (x86_64 or arm64)" ;;
	esac
done

missing() {
	local p want have
	for p in "$@"; do
		want=${p#*=}
		[ "$want" = "$p" ] && want=
		have=$(dpkg-query -W -f '${db:Status-Abbrev}${Version}' "${p%%=*}" 2>/dev/null) || have=
		case $have in
		ii*) [ -z "$want" ] || [ "${have#ii }" = "$want" ] || [ "${have:3}" = "$want" ] || echo "$p" ;;
		*) echo "$p" ;;
		esac
	done
}

# QEMU comes from bookworm-backports: the image's qemu-utils already does,
# and bookworm's own qemu-system 7.2 conflicts with it.
# It goes in a file of its own, with the mirror the machine already uses.
add_backports() {
	local f=/etc/apt/sources.list.d/bookworm-backports.sources uri
	grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/ && return 0
	uri=$(awk '/^URIs:/ { print $2; exit }' /etc/apt/sources.list.d/debian.sources 2>/dev/null)
	[ -n "$uri" ] || uri=$(awk '$1 == "deb" && $3 == "bookworm" { print $2; exit }' /etc/apt/sources.list 2>/dev/null)
	echo "setup: adding bookworm-backports (${uri:=http://deb.debian.org/debian}) in $f"
	printf 'Types: deb\nURIs: %s\nSuites: bookworm-backports\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
		"$uri" > $f
	apt_updated=
}

apt_updated=
apt_install() {
	local log=/tmp/port-setup-apt.$$
	[ -n "$apt_updated" ] || { apt-get update -qq -o DPkg::Lock::Timeout=300 >$log 2>&1 ||
		{ cat $log; die "apt-get update failed"; }; apt_updated=1; }
	echo "setup: installing $*"
	if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		--allow-downgrades -o DPkg::Lock::Timeout=300 -o Dpkg::Options::=--force-confold \
		"$@" >$log 2>&1; then
		tail -n 20 $log >&2
		die "could not install: $* (see the apt-get output above)"
	fi
	rm -f $log
}

m=$(missing $pkgs)
bm=
[ -z "$bpo_pkgs" ] || bm=$(missing $bpo_pkgs)
if [ -n "$m$bm" ]; then
	[ "$(id -u)" = 0 ] || die "packages missing ($m $bm); run 'make setup' as root"
	[ -z "$bm" ] || add_backports
	[ -z "$m" ] || apt_install $m
	[ -z "$bm" ] || apt_install -t bookworm-backports $bm
fi

# The kernel needs rust-src of exactly the compiler's version.
have=$(/usr/bin/rustc --version 2>/dev/null | awk '{ print $2 }')
[ "$have" = "$rust_version" ] || die "/usr/bin/rustc is '$have', want $rust_version (Debian rustc-web)"
[ -d /usr/src/rustc-$rust_version/library/core ] ||
	die "rust-src for $rust_version missing: /usr/src/rustc-$rust_version/library (Debian rust-web-src)"

# The arm64 guest's busybox: Debian's busybox-static for arm64, unpacked
# beside the host's (installing it would replace the host's busybox).
arm64_busybox=/usr/local/lib/port/arm64/busybox
case " $archs " in
*" arm64 "*)
	if [ ! -x $arm64_busybox ]; then
		[ "$(id -u)" = 0 ] || die "the arm64 busybox is missing; run 'make setup' as root"
		if ! dpkg --print-foreign-architectures | grep -qx arm64; then
			dpkg --add-architecture arm64
			apt_updated=
		fi
		[ -n "$apt_updated" ] || { apt-get update -qq -o DPkg::Lock::Timeout=300 ||
			die "apt-get update failed"; apt_updated=1; }
		# apt's _apt user downloads into it.
		d=$(mktemp -d) && { chown _apt "$d" 2>/dev/null || chmod 777 "$d"; }
		echo "setup: unpacking busybox-static:arm64 into $(dirname $arm64_busybox)"
		(cd "$d" && apt-get download -qq busybox-static:arm64 && dpkg-deb -x busybox-static_*_arm64.deb x) ||
			die "could not get busybox-static:arm64"
		install -D -m 755 "$d/x/bin/busybox" $arm64_busybox
		rm -rf "$d"
	fi ;;
esac

# Debian's bindgen is too old for 6.12; build bindgen-cli from the registry.
if [ "$(/usr/local/bin/bindgen --version 2>/dev/null)" != "bindgen $bindgen_version" ]; then
	# rustup's cargo, which a non-login shell may not have on PATH.
	PATH=$PATH:${CARGO_HOME:-$HOME/.cargo}/bin
	command -v cargo >/dev/null || die "cargo is needed to build bindgen-cli"
	echo "setup: building bindgen-cli $bindgen_version (about 90 s)"
	cargo install -q --locked --root /usr/local --version "$bindgen_version" bindgen-cli ||
		die "cargo install bindgen-cli $bindgen_version failed"
fi
