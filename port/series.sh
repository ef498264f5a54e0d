#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Write the port as a git format-patch series against the pristine base,
# with a cover letter: one commit per patch of patches/series, each with the
# files patches/files gives it, in a git repository of the base kept in
# WORK (made once; its base commit is the same on every machine for the
# same base).  The commits' author and Signed-off-by are the git identity of
# whoever runs it, as 'git format-patch -s' would have them.
#
# The overlay holds every added file in its final state; a patch that
# extends a file an earlier patch added carries that change as a diff, so
# the file as the earlier patch added it is the final one with the later
# diffs reverse-applied.
#
# Usage: port/series.sh BASE DESCRIPTION WORK OUT OVERLAY_PATHS...
#   BASE is Debian's tarball or a 6.12.y tree, DESCRIPTION says which.
set -eu

base=$1 desc=$2 work=$3 out=$4
shift 4
top=$PWD
die() { echo "series: $*" >&2; exit 1; }
git() { command git -c core.autocrlf=false -c gc.auto=0 -c advice.detachedHead=false "$@"; }

name=${GIT_AUTHOR_NAME:-$(git config user.name || true)}
email=${GIT_AUTHOR_EMAIL:-$(git config user.email || true)}
[ -n "$name" ] && [ -n "$email" ] ||
	die "set 'git config user.name' and 'git config user.email': they are the series' author and Signed-off-by"

# The repository of the base, made once for each base.
if [ "$(cat "$work/.git/port-base" 2>/dev/null)" != "$base" ] ||
   ! git -C "$work" rev-parse -q --verify refs/tags/base >/dev/null; then
	rm -rf "$work" "$work.am"
	mkdir -p "$work"
	echo "series: importing $base into $work"
	if [ -d "$base" ]; then
		(cd "$base" && tar --exclude=.git -cf - .) | tar -C "$work" -xf - || die "cannot copy $base"
	else
		tar -C "$work" --strip-components=1 -xf "$base" || die "cannot unpack $base"
	fi
	# Fixed names and dates, so that the base commit only depends on the
	# base's content.
	(cd "$work" && git init -q -b base-import && git add -A -f &&
	 GIT_AUTHOR_NAME=base GIT_AUTHOR_EMAIL=base@localhost GIT_AUTHOR_DATE='1970-01-01T00:00:00Z' \
	 GIT_COMMITTER_NAME=base GIT_COMMITTER_EMAIL=base@localhost GIT_COMMITTER_DATE='1970-01-01T00:00:00Z' \
	 git commit -q --no-verify -m "$desc" && git tag base) || die "cannot make a git repository of $base"
	echo "$base" > "$work/.git/port-base"
fi
[ -z "$(git -C "$work" status --porcelain --untracked-files=no)" ] || git -C "$work" reset -q --hard
git -C "$work" checkout -q -f -B series base
git -C "$work" clean -fdxq

series=$(grep -v -e '^#' -e '^[[:space:]]*$' patches/series)
files_of() { awk -v p="$1" '!/^#/ && $1 == p { for (i = 2; i <= NF; i++) print $i }' patches/files; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The overlay's files, then each patch's added files as it adds them:
# walking the series backwards, take a patch's files, then reverse-apply
# its diffs to the overlay.
for p in "$@"; do [ ! -e "$p" ] || find "$p" -type f; done | LC_ALL=C sort > "$tmp/overlay"
mkdir "$tmp/state"
tar -cf - -T "$tmp/overlay" | tar -C "$tmp/state" -xf -
for p in $(printf '%s\n' $series | tac); do
	mkdir -p "$tmp/add/$p"
	for f in $(files_of "$p"); do
		[ -f "$tmp/state/$f" ] || die "patches/files gives $p $f, which the overlay does not have"
		mkdir -p "$tmp/add/$p/$(dirname "$f")"
		cp -p "$tmp/state/$f" "$tmp/add/$p/$f"
	done
	port/split-patch.sh overlay "$tmp/overlay" "patches/$p" > "$tmp/delta"
	[ -s "$tmp/delta" ] || continue
	(cd "$tmp/state" && patch -p1 -R -s --fuzz=0 --no-backup-if-mismatch < "$tmp/delta") ||
		die "$p: its diff of the overlay's files does not reverse-apply to them"
done

# One commit per patch.
for p in $series; do
	(cd "$tmp/add/$p" && find . -type f | tar -cf - -T -) | tar -C "$work" -xf -
	if grep -q '^diff --git ' "patches/$p"; then
		git -C "$work" apply --index "$top/patches/$p" || die "$p does not apply to the commits before it"
	fi
	git -C "$work" add -A -f
	# The subject, then the description up to the diffs.
	awk 'NR == 1 { sub(/^Subject: (\[PATCH\] )?/, ""); print; next }
	     /^---$/ || /^diff --git / { exit } { print }' "patches/$p" > "$tmp/msg"
	git -C "$work" -c user.name="$name" -c user.email="$email" \
		commit -q -s --no-verify --allow-empty -F "$tmp/msg" || die "cannot commit $p"
done

# The series, with the cover letter of patches/cover-letter (its subject,
# a blank line, then the text) in place of format-patch's placeholders.
rm -rf "$out"
mkdir -p "$out"
git -C "$work" format-patch -q --cover-letter --base=base -o "$out" base..series
cover=$(ls "$out"/0000-*.patch)
awk -v letter="$top/patches/cover-letter" '
	BEGIN { getline subject < letter; getline blank < letter
		while ((getline l < letter) > 0) text = text l "\n" }
	{ sub(/\*\*\* SUBJECT HERE \*\*\*/, subject) }
	/^\*\*\* BLURB HERE \*\*\*$/ { printf "%s", text; next }
	{ print }' "$cover" > "$tmp/cover" && mv "$tmp/cover" "$cover"
n=$(printf '%s\n' $series | wc -l)
echo "series: $n patches and a cover letter in $out, on base-commit $(git -C "$work" rev-parse base)"
