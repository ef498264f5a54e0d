#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Bisectability of the series: check out each commit of the series of
# port/series.sh in turn, in a worktree of its own, and build it with the
# test kernel's configuration (options the commit does not know yet are
# dropped by olddefconfig), with Clippy, and without a warning; its Rust
# must also pass rustfmtcheck.  The build folder is reused from commit to
# commit, so each step rebuilds what the commit changed.
#
# Usage: port/patches-check.sh WORK CONFIG BUILD_DIR KMAKE...  (KMAKE without -C and O=)
set -u
work=$1 config=$2 o=$3
shift 3
die() { echo "patches-check: $*" >&2; exit 1; }
[ -f "$config" ] || die "no configuration at $config"
wt=$work.bisect
if [ ! -e "$wt/.git" ]; then
	rm -rf "$wt"
	git -C "$work" worktree prune
	git -C "$work" worktree add -q --detach "$wt" base || die "cannot make a worktree in $wt"
fi
commits=$(git -C "$work" rev-list --reverse base..series) || die "no series in $work: run make patches"
n=$(printf '%s\n' $commits | wc -l) i=0 failed=0
mkdir -p "$o"
case ${MAKEFLAGS:-} in *jobserver*) jobs= ;; *) jobs=-j$(nproc) ;; esac
for c in $commits; do
	i=$((i + 1))
	subject=$(git -C "$work" log -1 --format=%s "$c")
	start=$(date +%s)
	git -C "$wt" checkout -q -f --detach "$c" && git -C "$wt" clean -fdxq || die "cannot check out $c"
	cp "$config" "$o/.config"
	log=$o/build-$(printf %02d $i).log
	if "$@" -C "$wt" O="$o" -s olddefconfig > "$log" 2>&1 &&
	   "$@" -C "$wt" O="$o" $jobs all >> "$log" 2>&1 &&
	   "$(dirname "$0")/check-build-log.sh" "$log" >> "$log" 2>&1 &&
	   "$@" -C "$wt" O="$o" -s rustfmtcheck >> "$log" 2>&1; then
		echo "ok $i/$n - $subject ($(( $(date +%s) - start )) s)"
	else
		echo "not ok $i/$n - $subject (log: $log)"
		grep -iE -m 10 '(^|: )(warning|error)(\[[^]]*\])?:' "$log" | sed 's/^/    /'
		failed=$((failed + 1))
	fi
done
echo "patches-check: $((n - failed)) of $n commits build on their own"
[ $failed = 0 ]
