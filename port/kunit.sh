#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Run kunit.py, record its totals for 'make test' and scan the guest log.
# Usage: port/kunit.sh RESULTS BUILD_DIR KUNIT_PY KUNIT_OPTIONS...
results=$1 build=$2 kunit=$3
shift 3
mkdir -p "$results"
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
port/scan-log.sh "$build/test.log" || failed=$((failed + 1))
printf 'passed %d\nfailed %d\nskipped %d\n' "$passed" "$failed" "$skipped" > "$results/kunit"
[ "$rc" = 0 ] && [ "$failed" = 0 ]
