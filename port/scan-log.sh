#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Scan guest serial logs for kernel reports: BUG (also SLUB's "BUG cache
# (...)"), WARNING, Oops, panics, KASAN/UBSAN/KFENCE reports, kmemleak
# leaks, lockdep splats, lockups, hung tasks, stalls, and the call traces
# of x86 and arm64.  The banners that these debug features print at boot do
# not match.
# Usage: port/scan-log.sh LOG...   Exit 1, listing them, if any is found.
pat='BUG:|BUG [^ ]+ \(|WARNING:|Oops|Kernel panic|general protection fault|Unable to handle kernel'
pat="$pat|cut here|Call Trace:|Call trace:|UBSAN:|KFENCE:"
pat="$pat|suspected memory leak|unreferenced object 0x"
pat="$pat|possible (recursive|circular) locking|inconsistent lock state|lock held when returning"
pat="$pat|hard LOCKUP|soft lockup|blocked for more than|hung_task|detected stall"
grep -nE "$pat" "$@"
case $? in
0) echo "scan: kernel reports in $*" >&2; exit 1 ;;
1) exit 0 ;;
*) echo "scan: cannot read $*" >&2; exit 1 ;;
esac
