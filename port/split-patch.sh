#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A patch of patches/ changes files of the base and, for a logical change
# that extends a file an earlier patch of the series added, files of the
# overlay (which holds them in their final state).  Print the part of PATCH
# that changes the files of the base ('base'), or the part that changes the
# overlay's ('overlay'); LIST names the overlay's files, one per line.
# Every file of a patch starts with a 'diff --git' line.
#
# Usage: port/split-patch.sh base|overlay LIST PATCH
set -eu
[ $# = 3 ] && [ "$1" = base -o "$1" = overlay ] ||
	{ echo "usage: $0 base|overlay LIST PATCH" >&2; exit 2; }
[ "$(grep -c '^+++ ' "$3")" = "$(grep -c '^diff --git ' "$3")" ] ||
	{ echo "split-patch: $3: a file without a 'diff --git' line" >&2; exit 1; }
awk -v want="$1" -v list="$2" '
	BEGIN { while ((getline l < list) > 0) overlay[l] = 1 }
	/^diff --git / { f = substr($3, 3); in_diff = 1 }
	in_diff && ((f in overlay) == (want == "overlay"))
' "$3"
