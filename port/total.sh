#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Total the cases of every test stage: one line a stage, then
# "N passed, M failed".  A stage that recorded nothing did not run, and fails.
# Usage: port/total.sh RESULTS STAGE...
results=$1
shift
tp=0 tf=0 bad=0
for s in "$@"; do
	f=$results/$s
	if [ ! -f "$f" ]; then
		printf '%-16s did not run\n' "$s:"
		bad=1
		continue
	fi
	p=$(awk '$1 == "passed" { print $2 }' "$f")
	x=$(awk '$1 == "failed" { print $2 }' "$f")
	k=$(awk '$1 == "skipped" { print $2 }' "$f")
	[ "${k:-0}" = 0 ] && k= || k=", $k skipped"
	printf "%-16s %d passed, %d failed%s\n" "$s:" "$p" "$x" "$k"
	tp=$((tp + p)) tf=$((tf + x))
done
echo "$tp passed, $tf failed"
[ "$tf" = 0 ] && [ "$bad" = 0 ]
