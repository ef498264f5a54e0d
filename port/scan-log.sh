#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Scan guest serial logs for kernel reports: BUG, WARNING, Oops, panics,
# KASAN/UBSAN/KFENCE reports, kmemleak leaks, lockdep splats, stalls.  The
# banners that these debug features print at boot do not match.
# Usage: port/scan-log.sh LOG...   Exit 1, listing them, if any is found.
pat='BUG:|WARNING:|Oops|Kernel panic|general protection fault|Unable to handle kernel|cut here'
pat="$pat|UBSAN:|KFENCE:|suspected memory leak|possible (recursive|circular) locking"
pat="$pat|inconsistent lock state|lock held when returning|detected stall|hung_task|Call Trace:"
grep -nE "$pat" "$@"
case $? in
0) echo "scan: kernel reports in $*" >&2; exit 1 ;;
1) exit 0 ;;
*) echo "scan: cannot read $*" >&2; exit 1 ;;
esac
