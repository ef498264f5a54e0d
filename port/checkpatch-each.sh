#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# scripts/checkpatch.pl, run in TREE, on each file named on stdin, as many at
# a time as there are CPUs.  Each one's output and exit status are kept in
# OUT/NAME.out and OUT/NAME.rc, NAME being the path as given with / as %,
# for the caller to report in its own order.
# Usage: port/checkpatch-each.sh TREE OUT CHECKPATCH_OPTION... < FILES
set -u
tree=$1 out=$2
shift 2
cd "$tree" && xargs -P "$(nproc)" -I{} sh -c \
	'o=$1/$(echo "$2" | tr / %) f=$2; shift 2
	 scripts/checkpatch.pl "$@" "$f" > "$o.out" 2>&1; echo $? > "$o.rc"' sh "$out" {} "$@"
