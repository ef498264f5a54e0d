#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Run kunit.py, record its totals for 'make test' and scan the guest log.
# Every suite of KUNIT_SUITES must have run: a suite that silently dropped
# out (a config or cfg regression) is a failure.
# Usage: KUNIT_SUITES="..." port/kunit.sh RESULTS BUILD_DIR KUNIT_PY KUNIT_OPTIONS...
results=$1 build=$2 kunit=$3
shift 3
mkdir -p "$results"
rm -f "$results/kunit" "$build/test.log"
"$kunit" run "$@" 2>&1 | tee "$build/kunit.out"
rc=${PIPESTATUS[0]}
# "Testing complete. Ran 115 tests: passed: 115, failed: 1, skipped: 2"
sum=$(grep -a 'Testing complete. Ran' "$build/kunit.out" | tail -n 1)
if [ -z "$sum" ]; then
	echo "kunit: kunit.py gave no results (exit $rc)" >&2
	exit 1
fi
n() { printf '%s\n' "$sum" | grep -oE "$1: [0-9]+" | grep -oE '[0-9]+' || echo 0; }
passed=$(n passed) skipped=$(n skipped)
failed=$(( $(n failed) + $(n crashed) + $(n errors) ))
for s in $KUNIT_SUITES; do
	if ! grep -qE "^ok [0-9]+ $s\$" "$build/test.log"; then
		echo "kunit: suite $s did not run, or failed" >&2
		failed=$((failed + 1))
	fi
done
port/scan-log.sh "$build/test.log" || failed=$((failed + 1))
[ "$rc" = 0 ] || [ "$failed" != 0 ] || { echo "kunit: kunit.py exited $rc" >&2; failed=1; }
printf 'passed %d\nfailed %d\nskipped %d\n' "$passed" "$failed" "$skipped" > "$results/kunit"
[ "$failed" = 0 ]
