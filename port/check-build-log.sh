#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Fail on compiler, Clippy, rustdoc or modpost warnings in a kernel build
# log.  CONFIG_WERROR already makes compiler warnings fatal; this also
# catches the tools that do not take it.  objtool's "unreachable
# instruction" warnings come from the base tree and are not ours to fix;
# make's own warnings (jobserver) are not about the code.
[ -f "$1" ] || { echo "build: no build log at $1" >&2; exit 1; }
if grep -inE '(^|: )(warning|error)(\[[^]]*\])?:' "$1" |
   grep -vE 'objtool: .*unreachable instruction|^[0-9]+:make(\[[0-9]+\])?: '; then
	echo "build: warnings in $1" >&2
	exit 1
fi
exit 0
