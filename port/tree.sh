#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Materialise a 6.12 kernel tree with the port applied: unpack Debian's
# linux-source-6.12 (or copy BASE), copy the overlay in and apply
# patches/series.  Run again, it only refreshes what changed: overlay files
# whose content differs are copied (so Kbuild rebuilds just those), files
# dropped from the overlay are removed, and a changed patch series is
# reverse-applied from the copy kept in the tree and applied anew.
#
# Usage: port/tree.sh TREE BASE_OR_TARBALL OVERLAY_PATHS...
set -eu

tree=$(realpath -m "$1") base=$2
shift 2
top=$(pwd)
state=$tree/.port
die() { echo "tree: $*" >&2; exit 1; }

# A tree made from another base is not refreshed in place.
if [ -f "$state/base" ] && [ "$(cat "$state/base")" != "$base" ]; then
	die "$tree was made from $(cat "$state/base"), not $base: run 'make clean' first"
fi

if [ ! -f "$state/base" ]; then
	rm -rf "$tree" "$tree.tmp"
	mkdir -p "$tree.tmp"
	if [ -d "$base" ]; then
		echo "tree: copying $base"
		cp -a "$base/." "$tree.tmp/" || die "cannot copy $base"
		# A configured or built tree cannot be used with O=.
		[ ! -f "$tree.tmp/.config" ] || make -s -C "$tree.tmp" mrproper ||
			die "'make mrproper' failed in the copy of $base"
	else
		[ -f "$base" ] || die "$base not found (run 'make setup')"
		echo "tree: unpacking $base"
		tar -C "$tree.tmp" --strip-components=1 -xf "$base" || die "cannot unpack $base"
	fi
	mkdir -p "$tree.tmp/.port"
	: > "$tree.tmp/.port/overlay"
	echo "$base" > "$tree.tmp/.port/base"
	mv "$tree.tmp" "$tree"
fi

# The overlay: every file under the given paths, at the same path in the tree.
new=$(mktemp)
trap 'rm -f "$new"' EXIT
for p in "$@"; do
	[ ! -e "$p" ] || find "$p" -type f
done | LC_ALL=C sort > "$new"
while read -r f; do
	if ! cmp -s "$f" "$tree/$f"; then
		mkdir -p "$(dirname "$tree/$f")"
		cp "$f" "$tree/$f"
		echo "  OVERLAY $f"
	fi
done < "$new"
LC_ALL=C comm -23 "$state/overlay" "$new" | while read -r f; do
	rm -f "$tree/$f"
	echo "  REMOVE  $f"
done
cp "$new" "$state/overlay"

# The patch series, reapplied only when patches/ changed.  $state/applied
# is a copy of the patches/ that the tree carries, for reverting them.
applied=$state/applied
series() { grep -v -e '^#' -e '^[[:space:]]*$' "$1/series" 2>/dev/null || true; }
revert() {	# DIR PATCH...
	local d=$1 p
	shift
	for p in $(printf '%s\n' "$@" | tac); do
		(cd "$tree" && patch -p1 -R -s --batch --no-backup-if-mismatch < "$d/$p") ||
			die "cannot revert $p: the tree is inconsistent, run 'make clean'"
	done
}
[ -d patches ] || die "patches/ is missing"
! diff -qr patches "$applied" >/dev/null 2>&1 || exit 0
if [ -d "$applied" ]; then
	revert "$applied" $(series "$applied")
	rm -rf "$applied"
fi
done=
for p in $(series patches); do
	[ -f "patches/$p" ] || { revert patches $done; die "patches/series names $p, which does not exist"; }
	if ! out=$(cd "$tree" && patch -p1 --dry-run --batch --no-backup-if-mismatch < "$top/patches/$p" 2>&1); then
		file=$(printf '%s\n' "$out" | awk '/^checking file/ { f = $3 } /^\|\+\+\+ b\// { f = substr($2, 3) }
			/FAILED|No file to patch|Reversed/ { print f; exit }')
		revert patches $done
		die "patch $p does not apply to ${file:-the tree}: $(printf '%s\n' "$out" | grep -m1 -E 'FAILED|No file|Reversed|malformed|Only garbage')"
	fi
	(cd "$tree" && patch -p1 -s --batch --no-backup-if-mismatch < "$top/patches/$p")
	done="$done $p"
	echo "  PATCH   $p"
done
cp -r patches "$applied"
