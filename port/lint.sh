#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The lint stage: scripts/checkpatch.pl on every patch of the series and on
# every source file the port adds, and rustfmt on the Rust ones.  One case
# each.
# Usage: OVERLAY="paths..." [KUNIT_M="command"] port/lint.sh TREE RESULTS [KMAKE...]
#   OVERLAY is the Makefile's list of the paths the port adds files under.
#   KUNIT_M, if set, builds a vmlinux with CONFIG_KUNIT=m: one more case.
#   With KMAKE, the kernel's own rustfmtcheck of the whole tree (which covers
#   the Rust the patches change) and its rustdoc build are cases too.
set -u
set -o pipefail
tree=$1 results=$2
shift 2
pass=0 fail=0
mkdir -p "$results"
case_() {	# NAME COMMAND...
	local name=$1 out
	shift
	if out=$("$@" 2>&1); then
		echo "ok - lint: $name"
		pass=$((pass + 1))
	else
		echo "not ok - lint: $name"
		printf '%s\n' "$out" | sed 's/^/    /' | head -n 20
		fail=$((fail + 1))
	fi
}
checkpatch() {	# quiet, and a failure on any warning; run in the tree, where
	# checkpatch takes the files for what they are (in a git checkout it
	# would take a .patch for a source file)
	local top=$PWD
	(cd "$tree" && scripts/checkpatch.pl --no-tree -q --ignore FILE_PATH_CHANGES \
		"${@:1:$#-1}" "$top/${!#}")
}
# The lists must come from git; an empty one would check nothing.
added=$(git ls-files $OVERLAY tests) && [ -n "$added" ] ||
	{ echo "lint: cannot list the port's files with git" >&2; exit 1; }
for p in $(grep -v -e '^#' -e '^$' patches/series); do
	case_ "checkpatch $p" checkpatch "patches/$p"
done
for f in $(printf '%s\n' $added | grep -E '\.(rs|c|h)$'); do
	case_ "checkpatch $f" checkpatch -f "$f"
done
# Every file the port adds belongs to exactly one patch of the series.
files_assigned() {
	local f n bad=0 series
	series=$(grep -v -e '^#' -e '^$' patches/series)
	for f in $(printf '%s\n' $added | grep -v '^tests/'); do
		n=$(grep -v '^#' patches/files | tr -s ' \t' '\n' | grep -cxF "$f")
		[ "$n" = 1 ] || { echo "$f is named $n times in patches/files"; bad=1; }
	done
	for p in $(grep -v '^#' patches/files | awk '{ print $1 }'); do
		printf '%s\n' "$series" | grep -qxF "$p" || { echo "patches/files names $p, not in the series"; bad=1; }
	done
	return $bad
}
case_ "patches/files assigns every file" files_assigned

# The scanner of guest logs finds each kernel report and none of the banners.
scan_finds_each() {
	local line n=0 log
	log=$(mktemp)
	while read -r line; do
		n=$((n + 1))
		printf '%s\n' "$line" > "$log"
		port/scan-log.sh "$log" >/dev/null 2>&1 && { echo "missed: $line"; n=0; break; }
	done < tests/scan_log/reports.log
	rm -f "$log"
	[ $n -gt 0 ]
}
case_ "scan-log finds every kernel report" scan_finds_each
case_ "scan-log ignores the boot banners" port/scan-log.sh tests/scan_log/banners.log

rs=$(printf '%s\n' $added | grep '\.rs$')
case_ "rustfmt of the port's files" /usr/bin/rustfmt --check --edition 2021 \
	--config-path "$tree/.rustfmt.toml" $rs < /dev/null
# KUNIT_M is the command that builds vmlinux with CONFIG_KUNIT=m.
[ -z "${KUNIT_M:-}" ] || case_ "vmlinux links with CONFIG_KUNIT=m" $KUNIT_M
if [ $# != 0 ]; then
	case_ "rustfmtcheck of the whole tree" "$@" -s rustfmtcheck
	# rustdoc's lints (broken or private intra-doc links) fail it.
	case_ "rustdoc of the kernel crate" "$@" -s rustdoc
fi
mkdir -p "$results"
printf 'passed %d\nfailed %d\n' $pass $fail > "$results/lint"
[ $fail = 0 ]
