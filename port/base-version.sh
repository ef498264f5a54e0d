#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Print the version of the 6.12 tree at $1, or why it is not one.
m=$1/Makefile
if [ ! -f "$m" ]; then
	echo "BASE=$1: no kernel Makefile there"
	exit 0
fi
v=$(awk '/^VERSION =/ { v = $3 } /^PATCHLEVEL =/ { p = $3 } /^SUBLEVEL =/ { s = $3 }
	 END { print v "." p "." s }' "$m")
case $v in
6.12.*) [ -d "$1/rust/kernel" ] && echo "$v" || echo "BASE=$1: no rust/kernel in it" ;;
*) echo "BASE=$1 is Linux $v, not 6.12.y" ;;
esac
