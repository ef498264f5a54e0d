#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The kunit-xfail stage: run the rust_kunit_xfail suite, whose cases fail on
# purpose, in a kunit.py run of its own on the test kernel, and check that
# kunit.py reports exactly what each case must give: a failure for the
# fails_* ones, a pass and a skip for the others, and those totals.
# Usage: port/kunit-xfail.sh RESULTS BUILD_DIR KUNIT_PY KUNIT_OPTIONS...
results=$1 build=$2 kunit=$3
shift 3
out=$build/kunit-xfail.out log=$build/kunit-xfail.log
mkdir -p "$results"
rm -f "$results/kunit-xfail" "$build/test.log" "$log"
"$kunit" exec "$@" --filter=module=rust_xfail_test > "$out" 2>&1
rc=$?
cp "$build/test.log" "$log" 2>/dev/null
pass=0 fail=0
expect() {	# WHAT COMMAND...
	local what=$1
	shift
	if "$@"; then
		echo "ok - kunit-xfail: $what"
		pass=$((pass + 1))
	else
		echo "not ok - kunit-xfail: $what"
		fail=$((fail + 1))
	fi
}
case_is() {	# RESULT CASE: the KTAP line of CASE in the suite
	grep -qxE "    $1 [0-9]+ $2" "$log"
}
for c in fails_assert fails_assert_eq fails_with_err fails_after_passing_asserts; do
	expect "$c fails" case_is 'not ok' "$c"
done
expect "passes passes" case_is ok passes
expect "configured_out is skipped" case_is ok 'configured_out # SKIP ?'
expect "the cases report their module" grep -qxE '    # module: rust_xfail_test' "$log"
expect "the run has only those cases, and the suite fails" grep -qxE \
	'\[[0-9:]+\] Testing complete\. Ran 6 tests: passed: 1, failed: 4, skipped: 1' "$out"
expect "kunit.py exits 1" test "$rc" = 1
# Failed assertions are reported by KUnit; anything else is a kernel report.
expect "no kernel report in the log" port/scan-log.sh "$log"
printf 'passed %d\nfailed %d\n' $pass $fail > "$results/kunit-xfail"
[ $fail = 0 ]
