#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build vmlinux of allnoconfig plus FRAGMENT into BUILD_DIR, after checking
# that every option of FRAGMENT took: the lint stage's proof that the Rust
# code builds and links with CONFIG_KUNIT=m.
# Usage: port/kunit-m.sh BUILD_DIR FRAGMENT KMAKE...  (KMAKE without O=)
set -u
o=$1 frag=$(realpath "$2")
shift 2
mkdir -p "$o"
"$@" -s O="$o" KCONFIG_ALLCONFIG="$frag" allnoconfig > "$o/config.log" 2>&1 ||
	{ cat "$o/config.log"; echo "kunit-m: allnoconfig failed" >&2; exit 1; }
for opt in $(grep -v '^#' "$frag"); do
	grep -qxF "$opt" "$o/.config" || { echo "kunit-m: $opt did not take in $o/.config" >&2; exit 1; }
done
# Under make's jobserver (make -jN test), the jobs are make's to share.
case ${MAKEFLAGS:-} in *jobserver*) jobs= ;; *) jobs=-j$(nproc) ;; esac
"$@" O="$o" $jobs vmlinux > "$o/build.log" 2>&1 ||
	{ tail -n 30 "$o/build.log"; echo "kunit-m: the build failed (log: $o/build.log)" >&2; exit 1; }
"$(dirname "$0")/check-build-log.sh" "$o/build.log"
