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

# A run that stopped half-way leaves the tree in a state nobody recorded.
[ ! -e "$state/dirty" ] || die "$tree was left half-updated by an interrupted run: run 'make clean'"
touch "$state/dirty"

# The overlay: every file under the given paths, at the same path in the tree.
new=$(mktemp)
keep=$(mktemp -d)
trap 'rm -rf "$new" "$keep"' EXIT
for p in "$@"; do
	[ ! -e "$p" ] || find "$p" -type f
done | LC_ALL=C sort > "$new"
while read -r f; do
	if ! cmp -s "$f" "$tree/$f"; then
		# The overlay adds files; a change to a file of the base is a patch.
		[ ! -e "$tree/$f" ] || grep -qxF "$f" "$state/overlay" ||
			die "$f is in the base tree already: change it with a patch in patches/"
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

# The patch series, reapplied only when the series or one of its patches
# changed.  $state/applied keeps the patches the tree carries, for
# reverting them.  Patches must apply exactly (no fuzz, never reversed).
applied=$state/applied
series() { grep -v -e '^#' -e '^[[:space:]]*$' "$1/series" 2>/dev/null || true; }
# What the tree gets of a patch is its part for the files of the base: the
# overlay has the rest already (port/split-patch.sh).
base_part() { port/split-patch.sh base "$state/overlay" "patches/$1"; }
same_series() {
	[ "$(series patches)" = "$(series "$applied")" ] || return 1
	for p in $(series patches); do cmp -s <(base_part "$p") "$applied/$p" || return 1; done
}
revert() {	# DIR PATCH...
	local d=$1 p
	shift
	for p in $(printf '%s\n' "$@" | tac); do
		[ -s "$d/$p" ] || continue
		(cd "$tree" && patch -p1 -R -s --force --fuzz=0 --no-backup-if-mismatch < "$d/$p") ||
			die "cannot revert $p: the tree is inconsistent, run 'make clean'"
	done
}
files_of() {	# DIR PATCH...: the files the patches change
	local d=$1
	shift
	for p in "$@"; do sed -n 's,^+++ b/\([^[:space:]]*\).*,\1,p' "$d/$p"; done | sort -u
}
[ -f patches/series ] || die "patches/series is missing"
if [ -d "$applied" ] && same_series; then
	rm -f "$state/dirty"
	exit 0
fi
# Files whose content comes out the same keep their timestamps, so that a
# patch whose description changed rebuilds nothing.
old=
if [ -d "$applied" ]; then
	old=$(files_of "$applied" $(series "$applied"))
	for f in $old; do
		mkdir -p "$keep/$(dirname "$f")" && cp -p "$tree/$f" "$keep/$f"
	done
	revert "$applied" $(series "$applied")
	rm -rf "$applied"
fi
done=
rm -rf "$applied.new"
mkdir -p "$applied.new"
for p in $(series patches); do
	[ -f "patches/$p" ] || { revert "$applied.new" $done; rm -f "$state/dirty"; die "patches/series names $p, which does not exist"; }
	base_part "$p" > "$applied.new/$p" || { revert "$applied.new" $done; rm -f "$state/dirty"; die "cannot read $p"; }
	# A patch that only adds files and extends the overlay's leaves the base alone.
	[ -s "$applied.new/$p" ] || { done="$done $p"; continue; }
	if ! out=$(cd "$tree" && patch -p1 --dry-run --forward --fuzz=0 --no-backup-if-mismatch < "$applied.new/$p" 2>&1); then
		file=$(printf '%s\n' "$out" | awk '/^checking file/ { f = $3 } /^\|\+\+\+ b\// { f = substr($2, 3) }
			/FAILED|No file to patch|Reversed|Skipping/ { print f; exit }')
		revert "$applied.new" $done
		rm -f "$state/dirty"
		die "patch $p does not apply to ${file:-the tree}: $(printf '%s\n' "$out" | grep -m1 -E 'FAILED|No file|Reversed|Skipping|malformed|Only garbage')"
	fi
	(cd "$tree" && patch -p1 -s --forward --fuzz=0 --no-backup-if-mismatch < "$applied.new/$p")
	done="$done $p"
	echo "  PATCH   $p"
done
cp patches/series "$applied.new/"
mv "$applied.new" "$applied"
for f in $old; do
	! cmp -s "$keep/$f" "$tree/$f" || touch -r "$keep/$f" "$tree/$f"
done
rm -f "$state/dirty"
