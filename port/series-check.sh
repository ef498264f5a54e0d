#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The series stage: write the series (port/series.sh), run
# scripts/checkpatch.pl --strict on each patch (a case each: 0 errors and
# 0 warnings; its checks are reported), check that every file the series
# adds has a MAINTAINERS entry of its own, apply the series with git am
# onto the base commit and compare the result with the tree 'make tree'
# builds.
#
# checkpatch's FILE_PATH_CHANGES ("added, moved or deleted file(s), does
# MAINTAINERS need updating?") is raised by any patch that adds a file and
# does not touch MAINTAINERS, whether or not an entry covers the file; the
# MAINTAINERS case answers that question instead.
#
# Usage: port/series-check.sh WORK OUT TREE RESULTS SERIES_ARGS...
#   SERIES_ARGS are port/series.sh's arguments.
set -u
work=$1 out=$2 tree=$3 results=$4
shift 4
pass=0 fail=0
mkdir -p "$results"
rm -f "$results/series"
ok() { echo "ok - series: $1"; pass=$((pass + 1)); }
not_ok() {	# NAME [DETAILS]
	echo "not ok - series: $1"
	[ -z "${2:-}" ] || printf '%s\n' "$2" | sed 's/^/    /' | head -n 20
	fail=$((fail + 1))
}
finish() { printf 'passed %d\nfailed %d\n' $pass $fail > "$results/series"; [ $fail = 0 ]; exit; }

if out_=$(port/series.sh "$@" 2>&1); then
	ok "make patches writes the series"
else
	not_ok "make patches writes the series" "$out_"
	finish
fi
patches=$(ls "$out"/[0-9][0-9][0-9][0-9]-*.patch | grep -v '/0000-')
n=$(grep -cv -e '^#' -e '^[[:space:]]*$' patches/series)
[ "$(printf '%s\n' $patches | wc -l)" = "$n" ] && ok "the series has the $n patches of patches/series" ||
	not_ok "the series has the $n patches of patches/series" "$(ls "$out")"

# checkpatch in the series' tree, which is the tree at its last commit.
checks=0
cpout=$(mktemp -d)
printf '%s\n' $patches |
	port/checkpatch-each.sh "$work" "$cpout" --strict --show-types --ignore FILE_PATH_CHANGES
for p in $patches; do
	r=$(cat "$cpout/$(echo "$p" | tr / %).out")
	total=$(printf '%s\n' "$r" | grep -m1 '^total: ')
	e=$(printf '%s\n' "$total" | sed -n 's/^total: \([0-9]*\) errors, \([0-9]*\) warnings, \([0-9]*\) checks.*/\1 \2 \3/p')
	set -- $e
	name="checkpatch --strict $(basename "$p"): ${1:-?} errors, ${2:-?} warnings, ${3:-?} checks"
	if [ "${1:-x}" = 0 ] && [ "${2:-x}" = 0 ]; then
		ok "$name"
		checks=$((checks + $3))
	else
		not_ok "$name" "$(printf '%s\n' "$r" | grep -E -A3 '^(ERROR|WARNING)')"
	fi
	[ "${3:-0}" = 0 ] || printf '%s\n' "$r" | grep -A3 '^CHECK' | sed 's/^/    /'
done
rm -rf "$cpout"
echo "# checkpatch --strict: $checks checks in all"

# Every file the series adds is covered by a MAINTAINERS entry more
# specific than THE REST.
uncovered=
for f in $(git -C "$work" diff --name-only --diff-filter=A base series); do
	m=$(cd "$work" && scripts/get_maintainer.pl --no-git --no-git-fallback --no-tree -f "$f" 2>&1)
	printf '%s\n' "$m" | grep -v 'THE REST' | grep -q -e '(maintainer:' -e '(supporter:' ||
		uncovered="$uncovered $f"
done
[ -z "$uncovered" ] && ok "every file the series adds has a MAINTAINERS entry" ||
	not_ok "every file the series adds has a MAINTAINERS entry" "uncovered:$uncovered"

# git am onto the base commit, in a worktree of its own (kept, so that
# the next run only rewrites what the series touches).
am=$work.am
git -C "$am" am --abort >/dev/null 2>&1
if [ ! -e "$am/.git" ]; then
	rm -rf "$am"
	git -C "$work" worktree prune
	git -C "$work" worktree add -q --detach "$am" base
fi
if r=$(git -C "$am" checkout -q -f --detach base 2>&1 && git -C "$am" clean -fdxq 2>&1 &&
       git -C "$am" -c user.name=am -c user.email=am@localhost am -q --no-3way $patches 2>&1); then
	ok "git am applies the series onto the base commit"
	# The tree 'make tree' builds, hashed with an index of its own (kept,
	# so that the next run only hashes the files that changed).
	idx=$work/.git/make-tree.index
	if tree_id=$(cd "$tree" && GIT_INDEX_FILE=$idx git --git-dir="$work/.git" --work-tree=. \
			add -A -f -- . ':(exclude).port' 2>&1 &&
		     GIT_INDEX_FILE=$idx git --git-dir="$work/.git" write-tree 2>&1); then
		am_id=$(git -C "$am" rev-parse 'HEAD^{tree}')
		if [ "$tree_id" = "$am_id" ]; then
			ok "the series applied is the tree make tree builds"
		else
			not_ok "the series applied is the tree make tree builds" \
				"$(git -C "$work" diff --stat "$am_id" "$tree_id" | tail -n 20)"
		fi
	else
		not_ok "the series applied is the tree make tree builds" "$tree_id"
	fi
else
	not_ok "git am applies the series onto the base commit" "$r"
	git -C "$am" am --abort >/dev/null 2>&1
fi
finish
