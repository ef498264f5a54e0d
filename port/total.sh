#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Total the cases of every test stage: one line a stage, then
# "N passed, M failed".  Skipped and build-only cases (doctests that only
# compile) are shown apart and counted in neither.  A stage that recorded
# nothing, or no case, did not run and counts as one failed case; so does a
# stage that exited non-zero without recording a failed case.
# Usage: port/total.sh RESULTS STAGE...
results=$1
shift
tp=0 tf=0
for s in "$@"; do
	f=$results/$s
	p=$(awk '$1 == "passed" { print $2 }' "$f" 2>/dev/null)
	x=$(awk '$1 == "failed" { print $2 }' "$f" 2>/dev/null)
	k=$(awk '$1 == "skipped" { print $2 }' "$f" 2>/dev/null)
	b=$(awk '$1 == "build-only" { print $2 }' "$f" 2>/dev/null)
	if [ -z "$p" ] || [ -z "$x" ] || [ $((p + x)) = 0 ]; then
		printf '%-16s did not run\n' "$s:"
		tf=$((tf + 1))
		continue
	fi
	if [ -f "$results/.exit-$s" ] && [ "$x" = 0 ]; then
		printf '%-16s exited %s with no failed case\n' "$s:" "$(cat "$results/.exit-$s")"
		x=1
	fi
	[ "${k:-0}" = 0 ] && k= || k=", $k skipped"
	[ "${b:-0}" = 0 ] && b= || b=", $b build-only"
	printf '%-16s %d passed, %d failed%s%s\n' "$s:" "$p" "$x" "$k" "$b"
	tp=$((tp + p)) tf=$((tf + x))
done
echo "$tp passed, $tf failed"
[ "$tf" = 0 ]
