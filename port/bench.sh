#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make bench: boot the bench kernel twice, with the Rust sample inserting one
# page at a time (per_page=1) and in batches (per_page=0), each boot timing
# mmap + munmap on the Rust sample and its C twin in turn; print the medians
# as a table, then the IPC sample against a pipe, then check the Rust
# sample's object for out-of-line copies of the VMA wrappers.
# Usage: port/bench.sh ARCH BUILD_DIR TIMEOUT ROUNDS PROGRAM...
set -u
arch=$1 build=$2 timeout=$3 rounds=$4
shift 4
here=$(dirname "$0")
cmdline="rust_misc_device.pages=4096 c_misc_device.pages=4096 bench_rounds=$rounds"
for mode in 1 0; do
	"$here/guest.sh" "$arch" "$build" "bench-per_page$mode" "$timeout" \
		"$cmdline rust_misc_device.per_page=$mode ipc_bench=$((1 - mode))" \
		"$here/guest/bench.job" "$@" ||
		{ echo "bench: the boot with per_page=$mode failed" >&2; exit 1; }
done
# "bench: size N c NS rust NS", one line a size in each log.
join <(sed -n 's/^bench: size \([0-9]*\) c \([0-9]*\) rust \([0-9]*\)$/\1 \2 \3/p' \
	"$build/guest-bench-per_page1.log" | sort -k1,1) \
     <(sed -n 's/^bench: size \([0-9]*\) c \([0-9]*\) rust \([0-9]*\)$/\1 \2 \3/p' \
	"$build/guest-bench-per_page0.log" | sort -k1,1) | sort -n | awk -v rounds="$rounds" '
BEGIN {
	print "Median of " rounds " rounds, microseconds per mmap + munmap (nanoseconds per page)."
	print "C and Rust per-page from the boot with per_page=1, Rust batched (and the C it is"
	print "compared with) from the boot with per_page=0."
	print ""
	print "| pages | C per-page | Rust per-page | Rust batched | Rust per-page / C | C / Rust batched |"
	print "|---:|---:|---:|---:|---:|---:|"
}
function cell(ns, n) { return sprintf("%.1f (%.0f)", ns / 1000, ns / n) }
{
	n = $1; c1 = $2; r1 = $3; c0 = $4; r0 = $5
	printf "| %d | %s | %s | %s | %.3f | %.2f |\n", n, cell(c1, n), cell(r1, n), cell(r0, n), r1 / c1, c0 / r0
	rows++
}
END { if (rows == 0) { print "bench: no results in the guest logs" > "/dev/stderr"; exit 1 } }' || exit 1
# The IPC sample against a pipe: "bench: ipc size N count C ipc NS pipe NS".
echo
sed -n 's/^bench: ipc size \([0-9]*\) count [0-9]* ipc \([0-9]*\) pipe \([0-9]*\)$/\1 \2 \3/p' \
	"$build/guest-bench-per_page0.log" | awk -v rounds="$rounds" '
BEGIN {
	print "Median of " rounds " rounds, a sender process to a receiver process that reads every"
	print "byte: through /dev/rust-ipc-buffer (one copy) and through a pipe (two copies)."
	print ""
	print "| bytes | IPC messages/s | IPC MB/s | pipe messages/s | pipe MB/s | IPC / pipe |"
	print "|---:|---:|---:|---:|---:|---:|"
}
{
	printf "| %d | %.0f | %.1f | %.0f | %.1f | %.2f |\n", $1, 1e9 / $2, $1 * 1e3 / $2,
		1e9 / $3, $1 * 1e3 / $3, $3 / $2
	rows++
}
END { if (rows != 3) { print "bench: no IPC results in the guest log" > "/dev/stderr"; exit 1 } }' || exit 1
# Every wrapper of kernel::mm::virt must have been inlined into the driver the
# first table measures.  (The IPC sample keeps local copies of some, in its
# larger functions, none on a per-page path: listed, not failed.)
obj=$build/samples/rust/rust_misc_device.o
syms=$(nm "$obj" | grep -E 'VmaRef|VmaNew|VmaMixedMap')
if [ -n "$syms" ]; then
	echo "$obj: out-of-line symbols of VmaRef, VmaNew or VmaMixedMap:"
	printf '%s\n' "$syms"
	exit 1
fi
echo "rust_misc_device.o: no symbol of VmaRef, VmaNew or VmaMixedMap: every call of them is inlined"
others=$(nm "$build/samples/rust/rust_ipc_buffer.o" 2>/dev/null | grep -cE ' t .*(VmaRef|VmaNew|VmaMixedMap)')
echo "rust_ipc_buffer.o: ${others:-0} local copies of them"
