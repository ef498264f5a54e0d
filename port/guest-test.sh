#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The guest stage of 'make test': boot the test kernel once a job, count the
# "ok"/"not ok" lines each prints, check that every kselftest plan ran to
# its end, and record the total.
# Usage: port/guest-test.sh ARCH BUILD_DIR RESULTS TIMEOUT PROGRAM...
set -u
arch=$1 build=$2 results=$3 timeout=$4
shift 4
here=$(dirname "$0")
pass=0 fail=0 skip=0
# name, kernel command line, job
while read -r name cmdline job; do
	[ "$cmdline" = - ] && cmdline=
	"$here/guest.sh" "$arch" "$build" "$name" "$timeout" "$cmdline" "$here/guest/$job" "$@"
	rc=$?
	log=$build/guest-$name.log
	[ -f "$log" ] || { echo "guest $name: no log"; fail=$((fail + 1)); continue; }
	p=$(grep '^ok ' "$log" | grep -vc '# SKIP')
	k=$(grep '^ok ' "$log" | grep -c '# SKIP')
	f=$(grep -c '^not ok ' "$log")
	# kselftest's plan ("1..N") against the cases it reported.
	plan=$(sed -n 's/^1\.\.\([0-9]*\)$/\1/p' "$log" | tail -n 1)
	done_=$(grep -cE '^(not )?ok [0-9]+ ' "$log")
	if [ -z "$plan" ] || [ "$plan" != "$done_" ]; then
		echo "guest: $name: the selftest planned ${plan:-no} cases and reported $done_" >&2
		f=$((f + 1))
	fi
	if [ "$rc" != 0 ] && [ "$f" = 0 ]; then
		echo "guest: $name: the guest failed (exit $rc) with no failed case" >&2
		f=1
	fi
	echo "guest $name: $p passed, $f failed, $k skipped"
	pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + k))
done <<'LIST'
default - test.job
pages4 rust_misc_device.pages=4 pages.job
module initcall_blacklist=__rust_misc_device_init module.job
LIST
mkdir -p "$results"
printf 'passed %d\nfailed %d\nskipped %d\n' $pass $fail $skip > "$results/guest"
[ $fail = 0 ]
