#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The lint stage: scripts/checkpatch.pl on every source file the port adds
# (the series stage runs it on the patches), rustfmt on the Rust ones, the
# SPDX line of every file and the licence texts they name.  One case each.
# Usage: OVERLAY="paths..." [KUNIT_M="command"] port/lint.sh TREE RESULTS [KMAKE...]
#   OVERLAY is the Makefile's list of the paths the port adds files under.
#   KUNIT_M, if set, builds a vmlinux with CONFIG_KUNIT=m: one more case.
#   With KMAKE, the kernel's own rustfmtcheck of the whole tree (which covers
#   the Rust the patches change), its rustdoc and htmldocs builds (without a
#   warning) and rust-analyzer's view of the new modules are cases too.
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
# The lists must come from git; an empty one would check nothing.
added=$(git ls-files $OVERLAY tests) && [ -n "$added" ] ||
	{ echo "lint: cannot list the port's files with git" >&2; exit 1; }
# checkpatch, quiet, and a failure on any warning.  It runs in the tree,
# where it takes the files for what they are (in a git checkout it would
# take a .patch for a source file).
cfiles=$(printf '%s\n' $added | grep -E '\.(rs|c|h)$')
cpout=$(mktemp -d)
printf '%s\n' $cfiles | sed "s|^|$PWD/|" |
	port/checkpatch-each.sh "$tree" "$cpout" --no-tree -q --ignore FILE_PATH_CHANGES -f
checkpatch_of() {	# FILE
	local o
	o=$cpout/$(echo "$PWD/$1" | tr / %)
	cat "$o.out"
	[ "$(cat "$o.rc")" = 0 ]
}
for f in $cfiles; do
	case_ "checkpatch $f" checkpatch_of "$f"
done
rm -rf "$cpout"
# Every file the port adds belongs to exactly one patch of the series.
files_assigned() {
	local f n bad=0 series
	series=$(grep -v -e '^#' -e '^$' patches/series)
	# (LICENSES/ has the base's own texts, which no patch adds.)
	for f in $(printf '%s\n' $added | grep -v -e '^tests/' -e '^LICENSES/'); do
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

# Every file of the repository starts with its SPDX line (after a #!), but
# for the patches, the licence texts and data files, and LICENSES/ has the
# text of each licence named, as the base tree has it.
spdx_lines() {
	local f l bad=0
	for f in $(git ls-files); do
		case $f in patches/*|LICENSES/*|tests/scan_log/*.log|tests/sample_module/from-tree) continue ;; esac
		l=$(head -n 3 "$f" | grep -m1 -o 'SPDX-License-Identifier: .*' | sed 's/ *\*\/$//; s/ *-->$//')
		[ -n "$l" ] || { echo "$f: no SPDX-License-Identifier line"; bad=1; continue; }
		echo "${l#SPDX-License-Identifier: }" >> "$licences"
	done
	return $bad
}
licence_texts() {
	local id bad=0
	for id in $(tr ' ()' '\n' < "$licences" | grep -v -e '^$' -e '^WITH$' -e '^OR$' -e '^AND$' | sort -u); do
		[ -f "LICENSES/preferred/$id" ] || [ -f "LICENSES/exceptions/$id" ] ||
			[ -f "LICENSES/dual/$id" ] || { echo "$id: no text in LICENSES/"; bad=1; }
	done
	# ... and the same text as the base tree's.
	for id in $(cd LICENSES && find . -type f); do
		cmp -s "LICENSES/$id" "$tree/LICENSES/$id" || { echo "LICENSES/$id differs from $tree/LICENSES/$id"; bad=1; }
	done
	return $bad
}
licences=$(mktemp)
case_ "every file starts with its SPDX line" spdx_lines
case_ "LICENSES/ has the text of every licence the files name" licence_texts
rm -f "$licences"

rs=$(printf '%s\n' $added | grep '\.rs$')
case_ "rustfmt of the port's files" /usr/bin/rustfmt --check --edition 2021 \
	--config-path "$tree/.rustfmt.toml" $rs < /dev/null
# KUNIT_M is the command that builds vmlinux with CONFIG_KUNIT=m.
[ -z "${KUNIT_M:-}" ] || case_ "vmlinux links with CONFIG_KUNIT=m" $KUNIT_M
no_warnings() {	# COMMAND...: its output has no warning
	local out
	out=$("$@" 2>&1) || { printf '%s\n' "$out" | tail -n 20; return 1; }
	! printf '%s\n' "$out" | grep -iE '(^|: )warning(\[[^]]*\])?:'
}
htmldocs() {	# KMAKE...: the build writes generated .rst files into the
	# tree, which cleandocs removes, so that the tree stays the series'
	local out o rc=1
	o=$(printf '%s\n' "$@" | sed -n 's/^O=//p')
	if out=$("$@" SPHINXDIRS=rust htmldocs 2>&1); then
		! printf '%s\n' "$out" | grep -E 'WARNING|ERROR' | grep -e memory-mapping -e 'rust/index.rst' &&
			grep -q 'href="memory-mapping.html"' "$o/Documentation/output/rust/index.html" && rc=0
	else
		printf '%s\n' "$out" | tail -n 20
	fi
	"$@" -s cleandocs >/dev/null 2>&1 || { echo "make cleandocs failed"; rc=1; }
	return $rc
}
rust_analyzer() {	# KMAKE...: every Rust file the port adds to a crate
	local o
	"$@" -s rust-analyzer || return 1
	o=$(printf '%s\n' "$@" | sed -n 's/^O=//p')
	# Of rust/ and samples/: lib/kunit/rust_xfail_test.rs is a crate of
	# lib/, a folder 6.12's generate_rust_analyzer.py does not look in.
	port/rust-analyzer-check.py "$o/rust-project.json" "$tree" \
		$(printf '%s\n' $rs | grep -E '^(rust|samples)/')
}
if [ $# != 0 ]; then
	case_ "rustfmtcheck of the whole tree" "$@" -s rustfmtcheck
	# rustdoc's lints (broken or private intra-doc links) are warnings.
	case_ "rustdoc of the kernel crate, without a warning" no_warnings "$@" rustdoc
	# Sphinx on Documentation/rust: no warning from the files the port adds
	# or changes (the base's own quick-start.rst has one when it is built
	# alone, and dot(1) is not installed).
	case_ "htmldocs of Documentation/rust, without a warning from the port" htmldocs "$@"
	case_ "rust-analyzer resolves the port's modules" rust_analyzer "$@"
fi
mkdir -p "$results"
printf 'passed %d\nfailed %d\n' $pass $fail > "$results/lint"
[ $fail = 0 ]
