# SPDX-License-Identifier: GPL-2.0
# Functions the guest jobs share (guest.sh puts this file at /lib.sh).

check() {	# NAME COMMAND...: a case that passes if COMMAND does
	n=$1
	shift
	if "$@"; then echo "ok - $n"; else echo "not ok - $n"; fi
}

logged() { dmesg | grep -qF "$1"; }

# The number of free pages once the page cache and the slab caches are
# dropped, so that only the pages that something holds are missing.
free_pages() {
	sync
	echo 3 > /proc/sys/vm/drop_caches
	awk '$1 == "nr_free_pages" { print $2 }' /proc/vmstat
}

# The free page count is back to BEFORE, give or take SLACK pages (per-CPU
# page lists, slab pages that stay cached, the stack depot of the debug
# kernel, which only grows): far fewer than a run leaks if it loses one page
# per file or per insert.
pages_back() {	# BEFORE SLACK
	after=$(free_pages)
	echo "# free pages: $1 before, $after after (slack $2)"
	[ $((after + $2)) -ge "$1" ]
}

# kmemleak, scanned on purpose once the run's objects are older than its
# minimum age (5 s), reports nothing.  Without kmemleak the case fails.
kmemleak_finds_nothing() {
	k=/sys/kernel/debug/kmemleak
	[ -w $k ] || { echo "# no $k: not a kernel with CONFIG_DEBUG_KMEMLEAK"; return 1; }
	sleep 6
	echo scan > $k
	[ -z "$(cat $k)" ] || { sed 's/^/# /' $k; return 1; }
}

# pages_back can fail: 16 MiB held in a file of the initramfs (which no
# cache drop frees) is seen.
pages_back_sees_16m_held() {
	b=$(free_pages)
	dd if=/dev/zero of=/held bs=1M count=16 2>/dev/null
	! pages_back "$b" 2048
	rc=$?
	rm -f /held
	return $rc
}
