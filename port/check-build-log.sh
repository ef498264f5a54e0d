#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Fail on compiler, Clippy or rustdoc warnings in a kernel build log.
# objtool's "unreachable instruction" warnings come from the base tree and
# are not ours to fix.
if grep -nE '(^|: )(warning|error)(\[[^]]*\])?:' "$1" | grep -vE 'objtool: .*unreachable instruction'; then
	echo "build: warnings in $1" >&2
	exit 1
fi
exit 0
