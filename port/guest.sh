#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Boot a kernel under QEMU (TCG) with a busybox initramfs that runs a job
# script, log the serial console, and fail on a timeout, a missing exit
# report or a kernel report in the log.
#
# Usage: port/guest.sh ARCH BUILD_DIR NAME TIMEOUT "CMDLINE" JOB [FILE...]
#   JOB is a shell script run as the guest's /job; FILEs go to /bin.
#   TIMEOUT is in seconds, or "interactive" (make shell): no log, no timeout.
#   What a job prints after "port-guest: kernel log follows" (its dmesg) goes
#   to the log, for the scan, but not to the terminal.
set -u
arch=$1 build=$2 name=$3 timeout=$4 cmdline=$5 job=$6
shift 6
die() { echo "guest: $*" >&2; exit 1; }
log=$build/guest-$name.log
rm -f "$log"
case $timeout in
interactive) ;;
*[!0-9]* | "" | 0) die "$name: bad timeout '$timeout'" ;;
esac

case $arch in
x86_64)
	qemu=(qemu-system-x86_64 -bios qboot.rom)
	busybox=/bin/busybox
	kernel=$build/arch/x86/boot/bzImage
	console="ttyS0 acpi=off" ;;
arm64)
	qemu=(qemu-system-aarch64 -machine virt -cpu max,pauth-impdef=on)
	busybox=/usr/local/lib/port/arm64/busybox
	kernel=$build/arch/arm64/boot/Image.gz
	console=ttyAMA0 ;;
*) die "unknown ARCH '$arch'" ;;
esac
[ -f "$kernel" ] || die "no kernel at $kernel: run 'make kernel' first"
command -v "${qemu[0]}" >/dev/null || die "${qemu[0]} not found: run 'make setup'"

# The initramfs: busybox, /init, the job, the functions jobs share and the
# programs.
root=$build/guest/$name
rm -rf "$root" && mkdir -p "$root/bin" "$root/proc" "$root/sys" "$root/dev" "$root/tmp"
cp $busybox "$root/bin/busybox" || die "no $busybox: run 'make setup'"
cp "$(dirname "$0")/guest/init" "$root/init"
cp "$job" "$root/job"
cp "$(dirname "$0")/guest/lib.sh" "$root/lib.sh"
for f in "$@"; do cp "$f" "$root/bin/" || die "cannot copy $f into the guest"; done
(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet) > "$root.cpio" ||
	die "cannot make $root.cpio"

cmd=("${qemu[@]}" -nodefaults -nographic -no-reboot -accel tcg -m 512 -smp 2
     -kernel "$kernel" -initrd "$root.cpio"
     -append "console=$console panic=-1 kunit.enable=0 log_buf_len=8M $cmdline")
if [ "$timeout" = interactive ]; then
	exec "${cmd[@]}" -serial mon:stdio
fi

timeout -k 5 "$timeout" "${cmd[@]}" -serial stdio < /dev/null 2>&1 | tr -d '\r' | tee "$log" |
	sed -u '/^port-guest: kernel log follows$/,/^port-guest: exit/{/^port-guest: exit/!d}'
rc=${PIPESTATUS[0]}
[ "$rc" != 124 ] || die "$name: the guest did not finish within $timeout s (log: $log)"
status=$(sed -n 's/^port-guest: exit \([0-9]*\).*/\1/p' "$log" | tail -n 1)
[ -n "$status" ] || die "$name: the guest ended without reporting (QEMU exit $rc, log: $log)"
# The dump must start at the boot banner: a log that wrapped may have lost
# a report.
sed -n '/^port-guest: kernel log follows$/,$p' "$log" | grep -q '^Linux version' ||
	die "$name: the kernel log does not start at boot: it wrapped (log: $log)"
"$(dirname "$0")/scan-log.sh" "$log" || exit 1
exit "$status"
