#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Run the kernel built in BUILD_DIR with kunit.py (exec: 'make kernel' has
# configured and built it), record its totals for 'make test' and scan the
# guest log.
# Every suite of KUNIT_SUITES must have run and passed, and every case of
# KUNIT_CASES must have passed, not been skipped: a suite or a case that
# silently dropped out (a config or cfg regression) is a failure.
# Usage: KUNIT_SUITES="..." KUNIT_CASES="..." port/kunit.sh RESULTS STAGE BUILD_DIR KUNIT_PY KUNIT_OPTIONS...
results=$1 stage=$2 build=$3 kunit=$4
shift 4
mkdir -p "$results"
rm -f "$results/$stage" "$build/test.log"
"$kunit" exec "$@" 2>&1 | tee "$build/kunit.out"
rc=${PIPESTATUS[0]}
# "Testing complete. Ran 115 tests: passed: 115, failed: 1, skipped: 2"
sum=$(grep -a 'Testing complete. Ran' "$build/kunit.out" | tail -n 1)
if [ -z "$sum" ]; then
	echo "$stage: kunit.py gave no results (exit $rc)" >&2
	exit 1
fi
n() { printf '%s\n' "$sum" | grep -oE "$1: [0-9]+" | grep -oE '[0-9]+' || echo 0; }
passed=$(n passed) skipped=$(n skipped)
failed=$(( $(n failed) + $(n crashed) + $(n errors) ))
for s in $KUNIT_SUITES; do
	if ! grep -qE "^ok [0-9]+ $s\$" "$build/test.log"; then
		echo "$stage: suite $s did not run, or failed" >&2
		failed=$((failed + 1))
	fi
done
for c in $KUNIT_CASES; do
	if ! grep -qE "^ +ok [0-9]+ $c\$" "$build/test.log"; then
		echo "$stage: case $c did not pass (skipped, or did not run)" >&2
		failed=$((failed + 1))
	fi
done
# Doctests marked "# // build-only" have nothing real to run on: they pass
# by compiling, so they are counted apart from the cases that ran.
tree=$(realpath "$(dirname "$kunit")/../../..")
built=0
for loc in $(cd "$tree" && grep -rl --include='*.rs' '# // build-only' rust |
	xargs -r awk '/^[[:space:]]*\/\/[\/!][[:space:]]*```/ { if (inb) inb = 0; else { inb = 1; start = FNR }; next }
		inb && /# \/\/ build-only/ { print FILENAME ":" start }'); do
	name=$(grep -a "\.location: $loc\$" "$build/test.log" | sed -n 's/^ *# \(.*\)\.location: .*/\1/p')
	if [ -n "$name" ] && grep -qE "^ +ok [0-9]+ $name\$" "$build/test.log"; then
		built=$((built + 1))
	fi
done
passed=$((passed - built))
port/scan-log.sh "$build/test.log" || failed=$((failed + 1))
[ "$rc" = 0 ] || [ "$failed" != 0 ] || { echo "$stage: kunit.py exited $rc" >&2; failed=1; }
printf 'passed %d\nfailed %d\nskipped %d\nbuild-only %d\n' "$passed" "$failed" "$skipped" "$built" \
	> "$results/$stage"
[ "$failed" = 0 ]
