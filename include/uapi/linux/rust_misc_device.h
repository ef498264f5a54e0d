/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * Userspace interface of the Rust sample misc device
 * (samples/rust/rust_misc_device.rs).
 *
 * Each open file of RUST_MISC_DEV_PATH owns a buffer of "pages" pages
 * (module parameter, RUST_MISC_DEV_PAGES_DEFAULT by default, with no file in
 * sysfs), allocated at open; page i holds the byte (i + 1) & 0xff.  The buffer
 * can be mapped with mmap(MAP_SHARED) at a page-aligned offset.
 */
#ifndef _UAPI_LINUX_RUST_MISC_DEVICE_H
#define _UAPI_LINUX_RUST_MISC_DEVICE_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define RUST_MISC_DEV_PATH		"/dev/rust-misc-device"

/* Default size of the buffer of each open file, in pages. */
#define RUST_MISC_DEV_PAGES_DEFAULT	16

/**
 * struct rust_misc_dev_range - a range of the caller's mapping of the file
 * @addr: start address, page-aligned
 * @len: length in bytes, page-aligned and not zero
 *
 * The range is looked up in the address space of the calling process, at
 * the time of the ioctl, and must lie inside one mapping of the very file
 * the ioctl is issued on: otherwise the ioctl fails with EINVAL and does
 * nothing (so a process that got the file by fork() or SCM_RIGHTS but not
 * the mapping, which fork() does not copy, cannot reach another process's
 * mapping).
 */
struct rust_misc_dev_range {
	__u64 addr;
	__u64 len;
};

#define RUST_MISC_DEV_IOC_MAGIC		'|'

/* Logs a greeting in the kernel log and returns 0. */
#define RUST_MISC_DEV_HELLO		_IO(RUST_MISC_DEV_IOC_MAGIC, 0x80)
/* Read the per-file value (initially 0). */
#define RUST_MISC_DEV_GET_VALUE		_IOR(RUST_MISC_DEV_IOC_MAGIC, 0x81, int)
/* Set the per-file value. */
#define RUST_MISC_DEV_SET_VALUE		_IOW(RUST_MISC_DEV_IOC_MAGIC, 0x82, int)
/*
 * Remove the page table entries of the range: a later access to it gets
 * SIGBUS until the pages are inserted again.  On EINVAL (or EFAULT for a
 * bad pointer) nothing is zapped.
 */
#define RUST_MISC_DEV_ZAP		_IOW(RUST_MISC_DEV_IOC_MAGIC, 0x83, \
					     struct rust_misc_dev_range)
/*
 * Insert the file's pages into the range again: the same pages, so their
 * contents are kept, with the protection of the mapping.  Each address gets
 * the page at the file offset it maps: the mapping's offset plus the
 * distance from the mapping's start, also after munmap() of a part of the
 * mapping or mremap() has moved it.
 *
 * On EINVAL (or EFAULT for a bad pointer) nothing is inserted.  Otherwise
 * the pages are inserted one at a time from the start of the range, and the
 * first one that is still mapped stops INSERT with EBUSY (one for which no
 * page table can be allocated stops it likewise, with ENOMEM): the pages
 * before it stay inserted, it and the pages after it are left as they were
 * (a zapped one still gets SIGBUS).
 */
#define RUST_MISC_DEV_INSERT		_IOW(RUST_MISC_DEV_IOC_MAGIC, 0x84, \
					     struct rust_misc_dev_range)
/*
 * Read the number of VMAs that map this open file, in any process: one for
 * each mmap(), one more for each mapping split in two (munmap() or
 * mprotect() of its middle), and one for each copy fork() makes (only after
 * madvise(MADV_DOFORK): the mappings are not inherited otherwise).  A VMA
 * counts until it is unmapped, or its process exits.  The file's state,
 * buffer included, lives until the file is closed and its last mapping is
 * gone.
 */
#define RUST_MISC_DEV_GET_MAPPINGS	_IOR(RUST_MISC_DEV_IOC_MAGIC, 0x85, int)

#endif /* _UAPI_LINUX_RUST_MISC_DEVICE_H */
