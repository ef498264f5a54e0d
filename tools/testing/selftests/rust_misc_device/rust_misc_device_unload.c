// SPDX-License-Identifier: GPL-2.0
/*
 * The Rust sample misc device built as a loadable module pins itself while
 * it is in use: a file of the device, or a mapping of one, holds a
 * reference to the module (the owner of its file operations), so the
 * module cannot be unloaded until both are gone.
 *
 * Run with the module loaded (and not built in): it ends unloaded.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include <linux/rust_misc_device.h>

#include "kselftest.h"

#define MODULE_NAME	"rust_misc_device"
#define REFCNT		"/sys/module/" MODULE_NAME "/refcnt"

/* The module's reference count, or -1 if it cannot be read. */
static int refcnt(void)
{
	FILE *f = fopen(REFCNT, "r");
	int n = -1;

	if (!f)
		return -1;
	if (fscanf(f, "%d", &n) != 1)
		n = -1;
	fclose(f);
	return n;
}

/* delete_module(2) as rmmod does it: 0, or the errno. */
static int unload(void)
{
	return syscall(SYS_delete_module, MODULE_NAME, O_NONBLOCK) ? errno : 0;
}

static void expect_refcnt(int want, const char *what)
{
	int n = refcnt();

	if (n != want)
		ksft_print_msg("%s: refcnt %d, expected %d\n", what, n, want);
	ksft_test_result(n == want, "%s\n", what);
}

static void expect_unload(int want, const char *what)
{
	int err = unload();

	if (err != want)
		ksft_print_msg("%s: delete_module gave %s, expected %s\n", what,
			       err ? strerror(err) : "success",
			       want ? strerror(want) : "success");
	ksft_test_result(err == want, "%s\n", what);
}

int main(void)
{
	long psz = sysconf(_SC_PAGESIZE);
	struct stat st;
	int fd, err;
	char *p;

	ksft_print_header();
	ksft_set_plan(10);

	expect_refcnt(0, "loaded, unused: refcnt 0");
	fd = open(RUST_MISC_DEV_PATH, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		ksft_exit_fail_msg("open(%s): %s\n", RUST_MISC_DEV_PATH,
				   strerror(errno));
	expect_refcnt(1, "an open file holds the module");
	expect_unload(EWOULDBLOCK, "unload refused while the file is open");

	p = mmap(NULL, psz, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		ksft_exit_fail_msg("mmap: %s\n", strerror(errno));
	close(fd);
	expect_refcnt(1, "a mapping of a closed file holds the module");
	expect_unload(EWOULDBLOCK, "unload refused while the file is mapped");
	/* The mapping still works: page 0 holds the byte 1. */
	ksft_test_result(p[0] == 1 && p[psz - 1] == 1,
			 "the mapping of the closed file reads page 0\n");

	if (munmap(p, psz))
		ksft_exit_fail_msg("munmap: %s\n", strerror(errno));
	expect_refcnt(0, "closed and unmapped: refcnt 0");
	expect_unload(0, "unload succeeds once closed and unmapped");

	fd = open(RUST_MISC_DEV_PATH, O_RDWR | O_CLOEXEC);
	err = fd < 0 ? errno : 0;
	if (fd >= 0)
		close(fd);
	if (err != ENOENT)
		ksft_print_msg("open after unload: %s, expected ENOENT\n",
			       err ? strerror(err) : "success");
	ksft_test_result(err == ENOENT, "the device is gone after unload\n");
	err = stat("/sys/module/" MODULE_NAME, &st) ? errno : 0;
	ksft_test_result(err == ENOENT, "the module is gone after unload\n");

	ksft_finished();
}
