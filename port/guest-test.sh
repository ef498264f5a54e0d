#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A guest stage of 'make test': boot the test kernel once for each of BOOTS,
# count the "ok"/"not ok" lines each prints, check that the kselftest plans
# ran to their end and that the boot ran exactly the cases it is pinned to
# (so a plan that shrinks fails), and record the total as STAGE.
# Usage: port/guest-test.sh ARCH BUILD_DIR RESULTS STAGE TIMEOUT "BOOTS" PROGRAM...
#   FUZZ_SEED and FUZZ_OPS in the environment go to the fuzz boot.
set -u
arch=$1 build=$2 results=$3 stage=$4 timeout=$5 boots=$6
shift 6
here=$(dirname "$0")
pass=0 fail=0 skip=0
found=
# name, cases, job, kernel command line
while read -r name cases job cmdline; do
	case " $boots " in *" $name "*) found="$found $name" ;; *) continue ;; esac
	eval "cmdline=\"$cmdline\""
	"$here/guest.sh" "$arch" "$build" "$name" "$timeout" "$cmdline" "$here/guest/$job" "$@"
	rc=$?
	log=$build/guest-$name.log
	[ -f "$log" ] || { echo "guest $name: no log"; fail=$((fail + 1)); continue; }
	p=$(grep '^ok ' "$log" | grep -vc '# SKIP')
	k=$(grep '^ok ' "$log" | grep -c '# SKIP')
	f=$(grep -c '^not ok ' "$log")
	# The kselftest plans ("1..N", one a program) against the cases
	# they reported.
	plan=$(sed -n 's/^1\.\.\([0-9]*\)$/\1/p' "$log" | awk '{ n += $1 } END { if (NR) print n }')
	done_=$(grep -cE '^(not )?ok [0-9]+ ' "$log")
	if [ -z "$plan" ] || [ "$plan" != "$done_" ]; then
		echo "$stage: $name: the selftest planned ${plan:-no} cases and reported $done_" >&2
		f=$((f + 1))
	fi
	if [ $((p + k + f)) != "$cases" ]; then
		echo "$stage: $name: ran $((p + k + f)) cases, not the $cases it is pinned to" >&2
		f=$((f + 1))
	fi
	if [ "$rc" != 0 ] && [ "$f" = 0 ]; then
		echo "$stage: $name: the guest failed (exit $rc) with no failed case" >&2
		f=1
	fi
	echo "$stage $name: $p passed, $f failed, $k skipped"
	[ "$name" != fuzz ] ||
		echo "$stage: seed ${FUZZ_SEED:-}: 'make stage-fuzz FUZZ_SEED=${FUZZ_SEED:-}' replays this run"
	pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + k))
done <<'LIST'
default 86 test.job
pages4 56 pages.job rust_misc_device.pages=4 rust_misc_device.per_page=1
module 15 module.job initcall_blacklist=__rust_misc_device_init
stress 6 stress.job
fuzz 4 fuzz.job norandmaps fuzz_seed=${FUZZ_SEED:-} fuzz_ops=${FUZZ_OPS:-}
LIST
for b in $boots; do
	case " $found " in *" $b "*) ;; *) echo "$stage: no boot named $b" >&2; fail=$((fail + 1)) ;; esac
done
mkdir -p "$results"
printf 'passed %d\nfailed %d\nskipped %d\n' $pass $fail $skip > "$results/$stage"
[ $fail = 0 ]
