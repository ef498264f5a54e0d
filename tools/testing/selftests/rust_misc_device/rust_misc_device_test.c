// SPDX-License-Identifier: GPL-2.0
/*
 * Tests of the Rust sample misc device (samples/rust/rust_misc_device.rs):
 * its ioctls, its mmap() rules and the ZAP/INSERT ioctls that drop and put
 * back the page table entries of a mapping of the device.
 *
 * Every case runs in a process of its own, so that a fault or a hang in one
 * case is reported as the failure of that case only.  Cases that expect a
 * signal raise it in a further child and check how that child died.
 *
 * Usage: rust_misc_device_test [--pages N]
 *   --pages N	the buffer size, in pages, the module is expected to have
 *		(module parameter "pages", default 16).  The module has no
 *		sysfs file for its parameters, so this is the only source.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include <linux/rust_misc_device.h>

#include "kselftest.h"
#include "rust_misc_device_names.h"

#define PAGES_PARAM	"/sys/module/rust_misc_device/parameters/pages"

/* Seconds a case may run before it is declared hung. */
#define CASE_TIMEOUT	30
/* Seconds a child that should die of a signal may run. */
#define CHILD_TIMEOUT	10

#define FAIL		(-1)

static size_t psz;		/* page size */
/* Buffer size in pages, from --pages. */
static size_t npages = RUST_MISC_DEV_PAGES_DEFAULT;

static const char marker[] = "rust-misc-device test marker";

/* Helpers: naming things in diagnostics. */

static const char *cmdname(unsigned long cmd)
{
	switch (cmd) {
	case RUST_MISC_DEV_ZAP:		return "ZAP";
	case RUST_MISC_DEV_INSERT:	return "INSERT";
	case RUST_MISC_DEV_GET_VALUE:	return "GET_VALUE";
	case RUST_MISC_DEV_SET_VALUE:	return "SET_VALUE";
	case RUST_MISC_DEV_HELLO:	return "HELLO";
	case RUST_MISC_DEV_GET_MAPPINGS: return "GET_MAPPINGS";
	}
	return "ioctl";
}

static const char *protname(int prot)
{
	static char buf[64];

	if (!prot)
		return "PROT_NONE";
	snprintf(buf, sizeof(buf), "%s%s%s",
		 prot & PROT_READ ? "R" : "", prot & PROT_WRITE ? "W" : "",
		 prot & PROT_EXEC ? "X" : "");
	return buf;
}

/*
 * Check the outcome of a system call, passed as the first argument: errno
 * is read first thing, so no other argument may change it.  @failed tells
 * whether the call returned its error value, @want is 0 if success was
 * expected, else the errno expected.  Returns 0 if it is as expected.
 */
static __printf(3, 4) int check_result(bool failed, int want,
				       const char *fmt, ...)
{
	int err = errno;
	char what[256];
	va_list ap;

	if (failed ? err == want : !want)
		return 0;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);

	if (!failed)
		ksft_print_msg("%s: expected %s, got success\n", what,
			       errname(want));
	else if (!want)
		ksft_print_msg("%s: expected success, got %s (%s)\n", what,
			       errname(err), strerror(err));
	else
		ksft_print_msg("%s: expected %s, got %s (%s)\n", what,
			       errname(want), errname(err), strerror(err));
	return FAIL;
}

/* Like check_result() for an ioctl, which must return exactly 0 on success. */
static __printf(3, 4) int check_ioctl(int ret, int want, const char *fmt, ...)
{
	int err = errno;
	char what[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);

	if (ret != 0 && ret != -1) {
		ksft_print_msg("%s: returned %d, expected %s\n", what, ret,
			       want ? errname(want) : "0");
		return FAIL;
	}
	errno = err;
	return check_result(ret == -1, want, "%s", what);
}

/* Expect an ioctl given a bad pointer @ptr to fail with EFAULT. */
static int expect_ioctl_ptr(int fd, unsigned long cmd, void *ptr,
			    const char *what)
{
	int ret = ioctl(fd, cmd, ptr);

	return check_ioctl(ret, EFAULT, "%s(%s pointer %p)", cmdname(cmd), what,
			   ptr);
}

/* Helpers: the device and its mappings. */

static unsigned char pattern(size_t page)
{
	return (page + 1) & 0xff;
}

static int dev_open(int flags)
{
	int fd = open(RUST_MISC_DEV_PATH, flags | O_CLOEXEC);

	if (fd < 0)
		ksft_print_msg("open(%s): %s (%s)\n", RUST_MISC_DEV_PATH,
			       errname(errno), strerror(errno));
	return fd;
}

/*
 * Open the device through a node on a filesystem that allows exec: on a
 * noexec mount the kernel refuses PROT_EXEC itself (EPERM) and clears
 * VM_MAYEXEC before the driver is asked, which would hide what the driver
 * does.  devtmpfs is noexec with CONFIG_DEVTMPFS_SAFE.
 */
static int open_exec_node(int flags)
{
	static const char * const dirs[] = { "/tmp", "/run", "/var/tmp",
					     "/root", "/" };
	struct statvfs sv;
	struct stat st;
	char dir[PATH_MAX], node[PATH_MAX + 16];
	size_t i;
	int fd;

	if (statvfs(RUST_MISC_DEV_PATH, &sv) == 0 && !(sv.f_flag & ST_NOEXEC))
		return dev_open(flags);

	if (stat(RUST_MISC_DEV_PATH, &st) || !S_ISCHR(st.st_mode)) {
		ksft_print_msg("%s is not a character device\n",
			       RUST_MISC_DEV_PATH);
		return -1;
	}
	for (i = 0; i < ARRAY_SIZE(dirs); i++) {
		if (statvfs(dirs[i], &sv) ||
		    (sv.f_flag & (ST_NOEXEC | ST_NODEV | ST_RDONLY)))
			continue;
		snprintf(dir, sizeof(dir), "%s/rust-misc-test-XXXXXX",
			 strcmp(dirs[i], "/") ? dirs[i] : "");
		if (!mkdtemp(dir))
			continue;
		snprintf(node, sizeof(node), "%s/dev", dir);
		fd = -1;
		if (!mknod(node, S_IFCHR | 0600, st.st_rdev)) {
			fd = open(node, flags | O_CLOEXEC);
			unlink(node);
		}
		rmdir(dir);
		if (fd >= 0)
			return fd;
	}
	ksft_print_msg("%s is on a noexec mount; no device node was made on an exec-capable one\n",
		       RUST_MISC_DEV_PATH);
	return -1;
}

/*
 * Map @n pages of the buffer from page @off, at exactly @addr (MAP_FIXED)
 * if not NULL: the cases that put a mapping where another one was rely on
 * the address, so a mapping placed anywhere else is a failure.
 */
static void *map_at(void *addr, int fd, size_t off, size_t n, int prot)
{
	void *p = mmap(addr, n * psz, prot,
		       MAP_SHARED | (addr ? MAP_FIXED : 0), fd, off * psz);

	if (p == MAP_FAILED) {
		ksft_print_msg("mmap(%s, MAP_SHARED%s, offset %zu pages, %zu pages): %s (%s)\n",
			       protname(prot), addr ? "|MAP_FIXED" : "", off, n,
			       errname(errno), strerror(errno));
		return NULL;
	}
	if (addr && p != addr) {
		ksft_print_msg("mmap(MAP_FIXED at %p) returned %p\n", addr, p);
		munmap(p, n * psz);
		return NULL;
	}
	return p;
}

static void *map(int fd, size_t off, size_t n, int prot)
{
	return map_at(NULL, fd, off, n, prot);
}

/* Expect mmap() of @len bytes at byte offset @off to fail with @want. */
static int expect_mmap_err(int fd, off_t off, size_t len, int prot, int flags,
			   int want, const char *what)
{
	void *p = mmap(NULL, len, prot, flags, fd, off);
	int err = errno;

	if (p != MAP_FAILED)
		munmap(p, len);
	errno = err;
	return check_result(p == MAP_FAILED, want,
			    "mmap(%s, %s, offset %#llx, len %#zx) (%s)",
			    protname(prot),
			    (flags & MAP_TYPE) == MAP_PRIVATE ? "MAP_PRIVATE" :
			    "MAP_SHARED", (unsigned long long)off, len, what);
}

/* A PROT_NONE reservation of @n pages, to place mappings at known spots. */
static char *reserve(size_t n)
{
	void *p = mmap(NULL, n * psz, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (p == MAP_FAILED) {
		ksft_print_msg("reserving %zu pages: %s\n", n, strerror(errno));
		return NULL;
	}
	return p;
}

/* An address range of @n pages that is certainly not mapped. */
static char *unmapped_range(size_t n)
{
	char *p = reserve(n);

	if (p && munmap(p, n * psz)) {
		ksft_print_msg("munmap: %s\n", strerror(errno));
		return NULL;
	}
	return p;
}

static int range_ioctl(int fd, unsigned long cmd, __u64 addr, __u64 len)
{
	struct rust_misc_dev_range r = { .addr = addr, .len = len };

	return ioctl(fd, cmd, &r);
}

static __u64 u64p(const void *p)
{
	return (uintptr_t)p;
}

/* Issue ZAP or INSERT on a range and expect @want (0: success). */
static int expect_range(int fd, unsigned long cmd, __u64 addr, __u64 len,
			int want, const char *what)
{
	int ret = range_ioctl(fd, cmd, addr, len);

	return check_ioctl(ret, want, "%s {addr %#llx, len %#llx} (%s)",
			   cmdname(cmd), (unsigned long long)addr,
			   (unsigned long long)len, what);
}

static int zap(int fd, const void *addr, size_t n, int want, const char *what)
{
	return expect_range(fd, RUST_MISC_DEV_ZAP, u64p(addr), n * psz, want,
			    what);
}

static int insert(int fd, const void *addr, size_t n, int want,
		  const char *what)
{
	return expect_range(fd, RUST_MISC_DEV_INSERT, u64p(addr), n * psz,
			    want, what);
}

/* Check that @len bytes at @p are all @byte. */
static int check_fill(const void *p, size_t len, unsigned char byte,
		      const char *what)
{
	const unsigned char *c = p;
	size_t i;

	for (i = 0; i < len; i++) {
		if (c[i] != byte) {
			ksft_print_msg("%s: byte %#zx is 0x%02x, expected 0x%02x\n",
				       what, i, c[i], byte);
			return FAIL;
		}
	}
	return 0;
}

/* Write the marker at the start of a page. */
static void put_marker(void *page)
{
	memcpy(page, marker, sizeof(marker));
}

/* Check a page holds the marker and then the pattern of buffer page @pg. */
static int check_marker(const void *page, size_t pg, const char *what)
{
	const char *c = page;

	if (memcmp(c, marker, sizeof(marker))) {
		ksft_print_msg("%s: no marker (page starts with 0x%02x 0x%02x 0x%02x 0x%02x)\n",
			       what, (unsigned char)c[0], (unsigned char)c[1],
			       (unsigned char)c[2], (unsigned char)c[3]);
		return FAIL;
	}
	return check_fill(c + sizeof(marker), psz - sizeof(marker),
			  pattern(pg), what);
}

/* No page holds the marker, for check_pages(). */
#define NO_MARKER	((size_t)-1)

/*
 * Check the @n pages at @p, which map the buffer's pages from @first on:
 * page @marked of them holds the marker (check_marker()), every other one
 * the pattern of its buffer page.
 */
static int check_pages(const void *p, size_t first, size_t n, size_t marked,
		       const char *what)
{
	const char *c = p;
	char buf[160];
	size_t i;

	for (i = 0; i < n; i++) {
		snprintf(buf, sizeof(buf), "%s: page %zu of the mapping (buffer page %zu)",
			 what, i, first + i);
		if (i == marked ? check_marker(c + i * psz, first + i, buf) :
		    check_fill(c + i * psz, psz, pattern(first + i), buf))
			return FAIL;
	}
	return 0;
}

/*
 * Check that the @n pages at @p hold the pattern of the buffer's pages
 * from @first on.
 */
static int check_pattern(const void *p, size_t first, size_t n,
			 const char *what)
{
	return check_pages(p, first, n, NO_MARKER, what);
}

/*
 * Check with mincore() that the @n pages at @p are all present (@want) or
 * all not: without touching them, so that a zapped page is no SIGBUS.
 */
static int check_present(const void *p, size_t n, bool want,
			 const char *what)
{
	unsigned char *vec;
	int ret = 0;
	size_t i;

	if (!n)
		return 0;
	vec = malloc(n);
	if (!vec) {
		ksft_print_msg("malloc: %s\n", strerror(errno));
		return FAIL;
	}
	if (check_result(mincore((void *)p, n * psz, vec), 0,
			 "mincore(%p, %zu pages) (%s)", p, n, what)) {
		free(vec);
		return FAIL;
	}
	for (i = 0; i < n; i++) {
		if (!(vec[i] & 1) == want) {
			ksft_print_msg("%s: page %zu/%zu at %p: %s, expected %s (mincore 0x%02x)\n",
				       what, i, n, p,
				       want ? "not present" : "present",
				       want ? "present" : "not present",
				       vec[i]);
			ret = FAIL;
			break;
		}
	}
	free(vec);
	return ret;
}

static int need_pages(size_t n)
{
	if (npages >= n)
		return 0;
	ksft_print_msg("needs a buffer of at least %zu pages, the module has %zu\n",
		       n, npages);
	return KSFT_SKIP;
}

/* The page the ZAP/INSERT cases play with: 2, or the last one. */
static size_t zpage(void)
{
	return npages >= 3 ? 2 : npages - 1;
}

/* Helpers: children. */

/* Wait for the child @pid and store its wait status in @status. */
static int reap(pid_t pid, int *status)
{
	pid_t w;

	do {
		w = waitpid(pid, status, 0);
	} while (w < 0 && errno == EINTR);
	if (w == pid)
		return 0;
	ksft_print_msg("waitpid: %s\n", strerror(errno));
	return FAIL;
}

/*
 * fork() a child that runs @fn(@arg), for checks that must be made from
 * another process, and exits with 0 if it returns 0.  The child prints its
 * own diagnostics.  Returns the child's pid, or -1.
 */
static pid_t fork_child(int (*fn)(void *), void *arg)
{
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		ksft_print_msg("fork: %s\n", strerror(errno));
	} else if (!pid) {
		int ret;

		alarm(CHILD_TIMEOUT);
		ret = fn(arg);
		fflush(stdout);
		_exit(ret ? KSFT_FAIL : KSFT_PASS);
	}
	return pid;
}

/* Wait for a child of fork_child() and expect it to have passed. */
static int expect_child_ok(pid_t pid, const char *what)
{
	int status;

	if (reap(pid, &status))
		return FAIL;
	if (WIFEXITED(status) && WEXITSTATUS(status) == KSFT_PASS)
		return 0;
	if (WIFSIGNALED(status))
		ksft_print_msg("%s: the child died of %s\n", what,
			       signame(WTERMSIG(status)));
	else if (!WIFEXITED(status) || WEXITSTATUS(status) != KSFT_FAIL)
		ksft_print_msg("%s: the child ended with wait status %#x\n",
			       what, status);
	else
		ksft_print_msg("%s: the child failed (see above)\n", what);
	return FAIL;
}

/* Helpers: children that are expected to die of a signal. */

/*
 * How a child that is expected to die of a signal ends when the access
 * works, and when the signal it gets is not the one of the access.
 */
#define CHILD_ACCESS_WORKED	0
#define CHILD_OTHER_FAULT	3

struct child_fn {
	int (*fn)(void *addr);
	void *addr;		/* the address @fn touches */
	int sig;		/* the signal expected from that access */
	int code;		/* and its si_code */
};

/* What the child expects; only read by the child's signal handler. */
static const struct child_fn *child_expect;

/*
 * The handler of the expected signal in a child: the signal counts only if
 * it was raised by the access to @addr for the expected reason, not by
 * anything else the child did.  If so, return: SA_RESETHAND has restored
 * the default action, so the access faults again and the child dies of the
 * signal.  Else exit with CHILD_OTHER_FAULT.  No stdio here: a clone(CLONE_VM)
 * child shares the stdio buffers of its parent.
 */
static void child_fault(int sig, siginfo_t *si, void *ctx)
{
	const struct child_fn *c = child_expect;
	char msg[192];
	int n;

	(void)ctx;
	if (si->si_addr == c->addr && si->si_code == c->code)
		return;
	n = snprintf(msg, sizeof(msg),
		     "# child: %s with si_code %d at %p, expected si_code %d at %p\n",
		     signame(sig), si->si_code, si->si_addr, c->code, c->addr);
	if (n > 0 && write(STDOUT_FILENO, msg, n) < 0)
		_exit(CHILD_OTHER_FAULT);
	_exit(CHILD_OTHER_FAULT);
}

static int child_start(void *data)
{
	struct sigaction sa = {
		.sa_sigaction = child_fault,
		.sa_flags = SA_SIGINFO | SA_RESETHAND,
	};
	struct child_fn *c = data;
	struct rlimit rl = { 0, 0 };

	child_expect = c;
	setrlimit(RLIMIT_CORE, &rl);
	alarm(CHILD_TIMEOUT);
	if (sigaction(c->sig, &sa, NULL))
		return CHILD_OTHER_FAULT;
	c->fn(c->addr);
	return CHILD_ACCESS_WORKED;
}

/* Called through a pointer; child_start() ignores what they return. */
static int touch_read(void *addr)
{
	return __atomic_load_n((unsigned char *)addr, __ATOMIC_RELAXED);
}

static int touch_write(void *addr)
{
	__atomic_store_n((unsigned char *)addr, 0xee, __ATOMIC_RELAXED);
	return 0;
}

/*
 * Run @fn(@addr) in a child and expect it to be killed by @sig, with si_code
 * @code and si_addr @addr: the signal must come from that very access.  With
 * @share_vm the child shares our address space (clone(CLONE_VM)), so it sees
 * our mappings of the device, which fork() does not copy (VM_DONTCOPY);
 * otherwise it is a plain fork().
 */
static int expect_signal(bool share_vm, int (*fn)(void *), void *addr, int sig,
			 int code, const char *what)
{
	struct child_fn c = { .fn = fn, .addr = addr, .sig = sig, .code = code };
	size_t stack_size = 256 * 1024;
	void *stack = NULL;
	int status, ret = FAIL;
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	if (share_vm) {
		stack = mmap(NULL, stack_size, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
		if (stack == MAP_FAILED) {
			ksft_print_msg("child stack: %s\n", strerror(errno));
			return FAIL;
		}
		pid = clone(child_start, (char *)stack + stack_size,
			    CLONE_VM | SIGCHLD, &c);
	} else {
		pid = fork();
		if (!pid)
			_exit(child_start(&c));
	}
	if (pid < 0) {
		ksft_print_msg("%s: %s\n", share_vm ? "clone" : "fork",
			       strerror(errno));
		goto out;
	}
	if (reap(pid, &status))
		goto out;
	if (WIFSIGNALED(status) && WTERMSIG(status) == sig) {
		ret = 0;
	} else if (WIFSIGNALED(status)) {
		ksft_print_msg("%s: expected the child to die of %s, it died of %s\n",
			       what, signame(sig), signame(WTERMSIG(status)));
	} else if (WIFEXITED(status) &&
		   WEXITSTATUS(status) == CHILD_ACCESS_WORKED) {
		ksft_print_msg("%s: expected the child to die of %s, the access worked\n",
			       what, signame(sig));
	} else if (WIFEXITED(status) &&
		   WEXITSTATUS(status) == CHILD_OTHER_FAULT) {
		ksft_print_msg("%s: the child got %s, but not from the access to %p (see above)\n",
			       what, signame(sig), addr);
	} else {
		ksft_print_msg("%s: child ended with wait status %#x\n", what,
			       status);
	}
out:
	if (stack)
		munmap(stack, stack_size);
	return ret;
}

/* The cases.  Each returns 0 (pass), KSFT_SKIP or FAIL. */

static int test_open_close(void)
{
	int fd, fd2;

	fd = dev_open(O_RDWR);
	if (fd < 0)
		return FAIL;
	fd2 = dev_open(O_RDWR);
	if (fd2 < 0)
		return FAIL;
	if (check_result(close(fd2), 0, "close(second fd)") ||
	    check_result(close(fd), 0, "close(first fd)"))
		return FAIL;
	return 0;
}

static int test_hello_ioctl(void)
{
	int fd = dev_open(O_RDWR);

	if (fd < 0)
		return FAIL;
	return check_ioctl(ioctl(fd, RUST_MISC_DEV_HELLO), 0, "HELLO");
}

static int get_value(int fd, int *val)
{
	*val = 0x5a5a5a5a;
	return check_ioctl(ioctl(fd, RUST_MISC_DEV_GET_VALUE, val), 0,
			   "GET_VALUE");
}

static int expect_value(int fd, int want, const char *what)
{
	int val;

	if (get_value(fd, &val))
		return FAIL;
	if (val != want) {
		ksft_print_msg("%s: GET_VALUE gave %d, expected %d\n", what,
			       val, want);
		return FAIL;
	}
	return 0;
}

static int set_value(int fd, int val)
{
	return check_ioctl(ioctl(fd, RUST_MISC_DEV_SET_VALUE, &val), 0,
			   "SET_VALUE(%d)", val);
}

static int test_value_round_trip(void)
{
	int a, b;

	a = dev_open(O_RDWR);
	if (a < 0 || expect_value(a, 0, "new file"))
		return FAIL;
	if (set_value(a, 42) || expect_value(a, 42, "after SET_VALUE(42)"))
		return FAIL;
	if (set_value(a, -7) || expect_value(a, -7, "after SET_VALUE(-7)"))
		return FAIL;
	if (set_value(a, 42))
		return FAIL;

	b = dev_open(O_RDWR);
	if (b < 0 || expect_value(b, 0, "second open file"))
		return FAIL;
	if (set_value(b, 5) || expect_value(b, 5, "second file after SET_VALUE(5)"))
		return FAIL;
	return expect_value(a, 42, "first file after the second file's SET_VALUE");
}

static int test_value_bad_pointer(void)
{
	char *hole, *ro;
	int fd;

	fd = dev_open(O_RDWR);
	/* The hole last: a mapping made after it could be placed in it. */
	ro = mmap(NULL, psz, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	hole = unmapped_range(1);
	if (fd < 0 || !hole || ro == MAP_FAILED)
		return FAIL;
	if (set_value(fd, 7))
		return FAIL;

	if (expect_ioctl_ptr(fd, RUST_MISC_DEV_GET_VALUE, NULL, "NULL") ||
	    expect_ioctl_ptr(fd, RUST_MISC_DEV_GET_VALUE, hole, "unmapped") ||
	    expect_ioctl_ptr(fd, RUST_MISC_DEV_GET_VALUE, ro, "read-only page") ||
	    expect_ioctl_ptr(fd, RUST_MISC_DEV_SET_VALUE, NULL, "NULL") ||
	    expect_ioctl_ptr(fd, RUST_MISC_DEV_SET_VALUE, hole, "unmapped"))
		return FAIL;
	return expect_value(fd, 7, "after the failed calls");
}

static int test_unknown_ioctl(void)
{
	static const unsigned long cmds[] = {
		_IO('|', 0x85),
		_IO('|', 0x7f),
		_IO('|', 0x00),
		_IOR('|', 0x80, int),	/* HELLO's number, other direction */
		_IOWR('|', 0x82, int),	/* SET_VALUE's number, other direction */
	};
	size_t i;
	int fd, arg = 0;

	fd = dev_open(O_RDWR);
	if (fd < 0)
		return FAIL;
	for (i = 0; i < ARRAY_SIZE(cmds); i++)
		if (check_ioctl(ioctl(fd, cmds[i], &arg), ENOTTY,
				"ioctl(%#lx)", cmds[i]))
			return FAIL;
	return 0;
}

static int test_mmap_whole_pattern(void)
{
	char *p;
	int fd;

	fd = dev_open(O_RDWR);
	if (fd < 0)
		return FAIL;
	p = map(fd, 0, npages, PROT_READ | PROT_WRITE);
	if (!p)
		return FAIL;
	if (check_pattern(p, 0, npages, "whole buffer"))
		return FAIL;
	return check_result(munmap(p, npages * psz), 0, "munmap");
}

static int test_mmap_page_offset(void)
{
	size_t off, n;
	char *p;
	int fd, ret;

	ret = need_pages(2);
	if (ret)
		return ret;
	/* 3 pages in, 2 pages long (bytes 0x04 and 0x05), if it fits. */
	off = npages - 1 < 3 ? npages - 1 : 3;
	n = npages - off < 2 ? npages - off : 2;

	fd = dev_open(O_RDWR);
	if (fd < 0)
		return FAIL;
	p = map(fd, off, n, PROT_READ | PROT_WRITE);
	if (!p)
		return FAIL;
	return check_pattern(p, off, n, "mapping at a page offset");
}

static int test_mmap_unaligned_offset(void)
{
	int fd = dev_open(O_RDWR);

	if (fd < 0)
		return FAIL;
	/*
	 * The mmap() syscall itself refuses these (offset_in_page()) before
	 * the driver is asked: this checks the rule the user sees, not the
	 * driver's own check, which an unaligned offset cannot reach.
	 */
	if (expect_mmap_err(fd, 1, psz, PROT_READ, MAP_SHARED, EINVAL,
			    "offset 1") ||
	    expect_mmap_err(fd, psz / 2, psz, PROT_READ, MAP_SHARED, EINVAL,
			    "offset half a page") ||
	    expect_mmap_err(fd, psz + 8, psz, PROT_READ | PROT_WRITE,
			    MAP_SHARED, EINVAL, "offset a page and 8 bytes"))
		return FAIL;
	return 0;
}

static int test_mmap_len_beyond_end(void)
{
	int fd = dev_open(O_RDWR);

	if (fd < 0)
		return FAIL;
	return expect_mmap_err(fd, 0, (npages + 1) * psz,
			       PROT_READ | PROT_WRITE, MAP_SHARED, EINVAL,
			       "one page more than the buffer");
}

static int test_mmap_offset_len_beyond_end(void)
{
	int fd = dev_open(O_RDWR);

	if (fd < 0)
		return FAIL;
	if (expect_mmap_err(fd, psz, npages * psz, PROT_READ, MAP_SHARED,
			    EINVAL, "offset 1 page, buffer size") ||
	    expect_mmap_err(fd, (npages - 1) * psz, 2 * psz, PROT_READ,
			    MAP_SHARED, EINVAL, "last page plus one"))
		return FAIL;
	return 0;
}

static int test_mmap_offset_at_end(void)
{
	int fd = dev_open(O_RDWR);

	if (fd < 0)
		return FAIL;
	if (expect_mmap_err(fd, npages * psz, psz, PROT_READ, MAP_SHARED,
			    EINVAL, "offset at the end") ||
	    expect_mmap_err(fd, (npages + 100) * psz, psz, PROT_READ,
			    MAP_SHARED, EINVAL, "offset 100 pages past the end"))
		return FAIL;
	return 0;
}

static int test_mmap_private(void)
{
	int fd = dev_open(O_RDWR);

	if (fd < 0)
		return FAIL;
	if (expect_mmap_err(fd, 0, psz, PROT_READ, MAP_PRIVATE, EINVAL,
			    "read-only private") ||
	    expect_mmap_err(fd, 0, psz, PROT_READ | PROT_WRITE, MAP_PRIVATE,
			    EINVAL, "read-write private"))
		return FAIL;
	return 0;
}

static int test_mmap_prot_exec(void)
{
	int fd = open_exec_node(O_RDWR);

	if (fd < 0)
		return FAIL;
	if (expect_mmap_err(fd, 0, psz, PROT_READ | PROT_EXEC, MAP_SHARED,
			    EINVAL, "PROT_EXEC") ||
	    expect_mmap_err(fd, 0, psz, PROT_EXEC, MAP_SHARED, EINVAL,
			    "PROT_EXEC only") ||
	    expect_mmap_err(fd, 0, psz, PROT_READ | PROT_WRITE | PROT_EXEC,
			    MAP_SHARED, EINVAL, "PROT_EXEC with write"))
		return FAIL;
	return 0;
}

static int test_mprotect_exec(void)
{
	char *p;
	int fd;

	fd = open_exec_node(O_RDWR);
	if (fd < 0)
		return FAIL;
	p = map(fd, 0, 1, PROT_READ | PROT_WRITE);
	if (!p)
		return FAIL;
	if (check_result(mprotect(p, psz, PROT_EXEC), EACCES,
			 "mprotect(X) of a RW mapping") ||
	    check_result(mprotect(p, psz, PROT_READ | PROT_EXEC),
			 EACCES, "mprotect(RX) of a RW mapping") ||
	    check_result(mprotect(p, psz, PROT_READ | PROT_WRITE | PROT_EXEC),
			 EACCES, "mprotect(RWX) of a RW mapping"))
		return FAIL;
	/* Still a working RW mapping. */
	put_marker(p);
	return check_marker(p, 0, "RW mapping after the refused mprotect");
}

static int test_mprotect_ro_to_rw(void)
{
	char *p;
	int fd;

	fd = dev_open(O_RDWR);
	if (fd < 0)
		return FAIL;
	p = map(fd, 0, 1, PROT_READ);
	if (!p)
		return FAIL;
	if (check_result(mprotect(p, psz, PROT_READ | PROT_WRITE),
			 EACCES, "mprotect(RW) of a read-only mapping"))
		return FAIL;
	if (expect_signal(true, touch_write, p, SIGSEGV, SEGV_ACCERR,
			  "write to the read-only mapping"))
		return FAIL;
	return check_pattern(p, 0, 1, "read-only mapping");
}

static int test_mprotect_rw_ro_rw(void)
{
	char *p, *q;
	int fd;

	fd = dev_open(O_RDWR);
	if (fd < 0)
		return FAIL;
	p = map(fd, 0, 1, PROT_READ | PROT_WRITE);
	if (!p)
		return FAIL;
	put_marker(p);
	if (check_result(mprotect(p, psz, PROT_READ), 0,
			 "mprotect(R) of a RW mapping"))
		return FAIL;
	if (check_marker(p, 0, "after mprotect(R)"))
		return FAIL;
	if (expect_signal(true, touch_write, p + psz - 1, SIGSEGV, SEGV_ACCERR,
			  "write after mprotect(R)"))
		return FAIL;
	if (check_result(mprotect(p, psz, PROT_READ | PROT_WRITE), 0,
			 "mprotect(RW) back"))
		return FAIL;
	p[psz - 1] = 0x77;
	/* The write reached the buffer: look through another mapping. */
	q = map(fd, 0, 1, PROT_READ);
	if (!q)
		return FAIL;
	if (q[psz - 1] != 0x77) {
		ksft_print_msg("%s: other mapping reads 0x%02x, expected 0x77\n",
			       "write after mprotect(RW) back",
			       (unsigned char)q[psz - 1]);
		return FAIL;
	}
	return 0;
}

static int test_two_maps_share_pages(void)
{
	char *a, *b;
	int fd;

	fd = dev_open(O_RDWR);
	if (fd < 0)
		return FAIL;
	a = map(fd, 0, npages, PROT_READ | PROT_WRITE);
	b = map(fd, 0, npages, PROT_READ | PROT_WRITE);
	if (!a || !b)
		return FAIL;
	put_marker(a);
	if (check_marker(b, 0, "write through the first mapping, read through the second"))
		return FAIL;
	put_marker(b + (npages - 1) * psz);
	if (check_marker(a + (npages - 1) * psz, npages - 1,
			 "write through the second mapping, read through the first"))
		return FAIL;
	if (npages > 2 &&
	    check_pattern(a + psz, 1, npages - 2, "pages not written"))
		return FAIL;
	/*
	 * With a 1-page buffer the write just above went to the page that
	 * already holds the marker, so the check proved nothing: write a
	 * byte that nothing else wrote.
	 */
	b[npages * psz - 1] = 0xc5;
	if ((unsigned char)a[npages * psz - 1] != 0xc5) {
		ksft_print_msg("%s: first mapping reads 0x%02x, expected 0xc5\n",
			       "write of the last byte through the second mapping",
			       (unsigned char)a[npages * psz - 1]);
		return FAIL;
	}
	return 0;
}

static int test_buffer_persists_after_munmap(void)
{
	size_t last = npages - 1;
	char *p;
	int fd;

	fd = dev_open(O_RDWR);
	if (fd < 0)
		return FAIL;
	p = map(fd, 0, npages, PROT_READ | PROT_WRITE);
	if (!p)
		return FAIL;
	put_marker(p + last * psz);
	if (check_result(munmap(p, npages * psz), 0, "munmap"))
		return FAIL;
	p = map(fd, 0, npages, PROT_READ);
	if (!p || check_marker(p + last * psz, last, "whole buffer mapped again"))
		return FAIL;
	p = map(fd, last, 1, PROT_READ);
	if (!p || check_marker(p, last, "last page mapped alone"))
		return FAIL;
	return 0;
}

static int test_mremap_grow(void)
{
	void *q;
	char *p;
	int fd;

	fd = dev_open(O_RDWR);
	if (fd < 0)
		return FAIL;
	p = map(fd, 0, 1, PROT_READ | PROT_WRITE);
	if (!p)
		return FAIL;
	/* mm/mremap.c vma_to_resize(): VM_DONTEXPAND growth is EFAULT. */
	q = mremap(p, psz, 2 * psz, 0);
	if (check_result(q == MAP_FAILED, EFAULT,
			 "mremap(1 page -> 2 pages, in place)"))
		return FAIL;
	q = mremap(p, psz, 2 * psz, MREMAP_MAYMOVE);
	if (check_result(q == MAP_FAILED, EFAULT,
			 "mremap(1 page -> 2 pages, MREMAP_MAYMOVE)"))
		return FAIL;
	return check_pattern(p, 0, 1, "mapping after the refused mremap");
}

static int test_mremap_same_and_shrink(void)
{
	unsigned char vec[2];
	void *q;
	char *p;
	int fd, ret;

	ret = need_pages(2);
	if (ret)
		return ret;
	fd = dev_open(O_RDWR);
	if (fd < 0)
		return FAIL;
	p = map(fd, 0, 2, PROT_READ | PROT_WRITE);
	if (!p)
		return FAIL;

	/* The same size is a no-op that returns the address. */
	q = mremap(p, 2 * psz, 2 * psz, 0);
	if (check_result(q == MAP_FAILED, 0, "mremap(same size)"))
		return FAIL;
	if (q != p) {
		ksft_print_msg("mremap(same size) returned %p, expected %p\n",
			       q, p);
		return FAIL;
	}

	/* Shrinking unmaps the tail and keeps the rest. */
	q = mremap(p, 2 * psz, psz, 0);
	if (check_result(q == MAP_FAILED, 0, "mremap(2 pages -> 1)"))
		return FAIL;
	if (q != p) {
		ksft_print_msg("mremap(2 pages -> 1) returned %p, expected %p\n",
			       q, p);
		return FAIL;
	}
	if (check_pattern(p, 0, 1, "page kept by the shrink"))
		return FAIL;
	/* mincore() fails with ENOMEM on an address that is not mapped. */
	if (check_result(mincore(p + psz, psz, vec), ENOMEM,
			 "mincore() of the page cut off by the shrink"))
		return FAIL;
	return 0;
}

static int test_fork_child_no_mapping(void)
{
	char *p;
	int fd;

	fd = dev_open(O_RDWR);
	if (fd < 0)
		return FAIL;
	p = map(fd, 0, npages, PROT_READ | PROT_WRITE);
	if (!p)
		return FAIL;
	put_marker(p);
	/*
	 * VM_DONTCOPY: the child has nothing at that address.  The write goes
	 * to the last byte of the mapping: with a 1-page buffer, p + psz would
	 * be outside it, wherever the next mapping happens to be.
	 */
	if (expect_signal(false, touch_read, p, SIGSEGV, SEGV_MAPERR,
			  "forked child reading the mapping") ||
	    expect_signal(false, touch_write, p + npages * psz - 1, SIGSEGV,
			  SEGV_MAPERR, "forked child writing the mapping"))
		return FAIL;
	if (check_marker(p, 0, "parent's mapping after the fork"))
		return FAIL;
	return npages > 1 ? check_pattern(p + psz, 1, npages - 1,
					  "parent's mapping after the fork") : 0;
}

static int test_zap_sigbus(void)
{
	size_t z = zpage();
	char *p, *pz;
	int fd, ret;

	ret = need_pages(2);
	if (ret)
		return ret;
	fd = dev_open(O_RDWR);
	if (fd < 0)
		return FAIL;
	p = map(fd, 0, npages, PROT_READ | PROT_WRITE);
	if (!p)
		return FAIL;
	pz = p + z * psz;
	if (zap(fd, pz, 1, 0, "one page"))
		return FAIL;
	/* The child shares our mm, so it sees our zapped page. */
	if (expect_signal(true, touch_read, pz, SIGBUS, BUS_ADRERR,
			  "read of the zapped page") ||
	    expect_signal(true, touch_write, pz + psz - 1, SIGBUS, BUS_ADRERR,
			  "write to the zapped page"))
		return FAIL;
	if (check_pattern(p, 0, z, "pages before the zapped one") ||
	    check_pattern(pz + psz, z + 1, npages - z - 1,
			  "pages after the zapped one"))
		return FAIL;
	return 0;
}

static int test_insert_restores_data(void)
{
	size_t z = zpage();
	char *p, *p2, *pz;
	int fd, ret;

	ret = need_pages(2);
	if (ret)
		return ret;
	fd = dev_open(O_RDWR);
	if (fd < 0)
		return FAIL;
	p = map(fd, 0, npages, PROT_READ | PROT_WRITE);
	p2 = map(fd, 0, npages, PROT_READ | PROT_WRITE);
	if (!p || !p2)
		return FAIL;
	pz = p + z * psz;
	put_marker(pz);
	if (zap(fd, pz, 1, 0, "page with the marker"))
		return FAIL;
	/* Another mapping of the same file is not affected. */
	if (check_marker(p2 + z * psz, z, "second mapping while the first is zapped"))
		return FAIL;
	if (insert(fd, pz, 1, 0, "page with the marker"))
		return FAIL;
	if (check_marker(pz, z, "page after ZAP and INSERT"))
		return FAIL;

	/* The same on the whole mapping. */
	if (zap(fd, p, npages, 0, "whole mapping") ||
	    insert(fd, p, npages, 0, "whole mapping"))
		return FAIL;
	if (check_pattern(p, 0, z, "whole mapping after ZAP and INSERT") ||
	    check_marker(pz, z, "whole mapping after ZAP and INSERT") ||
	    check_pattern(pz + psz, z + 1, npages - z - 1,
			  "whole mapping after ZAP and INSERT"))
		return FAIL;
	/* Still the same pages as the other mapping. */
	pz[psz - 1] = 0x33;
	if (p2[(z + 1) * psz - 1] != 0x33) {
		ksft_print_msg("write after INSERT not seen through the second mapping\n");
		return FAIL;
	}
	return 0;
}

static int test_insert_busy(void)
{
	size_t z = zpage();
	char *p, *pz;
	int fd, ret;

	ret = need_pages(2);
	if (ret)
		return ret;
	fd = dev_open(O_RDWR);
	if (fd < 0)
		return FAIL;
	p = map(fd, 0, npages, PROT_READ | PROT_WRITE);
	if (!p)
		return FAIL;
	pz = p + z * psz;
	put_marker(pz);
	if (insert(fd, pz, 1, EBUSY, "mapped page") ||
	    insert(fd, p, npages, EBUSY, "whole mapped mapping"))
		return FAIL;
	if (check_marker(pz, z, "page after the refused INSERT"))
		return FAIL;
	if (zap(fd, pz, 1, 0, "one page") ||
	    insert(fd, pz, 1, 0, "zapped page") ||
	    insert(fd, pz, 1, EBUSY, "page just inserted"))
		return FAIL;
	return check_marker(pz, z, "page after ZAP, INSERT and refused INSERT");
}

/*
 * Expect ZAP and INSERT of a range to fail with EINVAL and to change nothing
 * in the mapping @p of @n pages (from buffer page 0) of @fd.
 */
static int check_bad_range(int fd, char *p, size_t n, __u64 addr, __u64 len,
			   const char *what)
{
	if (expect_range(fd, RUST_MISC_DEV_ZAP, addr, len, EINVAL, what))
		return FAIL;
	/* Nothing was zapped (a zapped page would kill us with SIGBUS). */
	if (check_pattern(p, 0, n, "mapping after the refused ZAP"))
		return FAIL;
	if (zap(fd, p, n, 0, "whole mapping, before a bad INSERT"))
		return FAIL;
	if (expect_range(fd, RUST_MISC_DEV_INSERT, addr, len, EINVAL, what))
		return FAIL;
	/* Nothing was inserted, or this would be EBUSY. */
	if (insert(fd, p, n, 0, "whole mapping, after the refused INSERT"))
		return FAIL;
	return check_pattern(p, 0, n, "mapping after the refused INSERT");
}

static int test_zap_insert_unaligned(void)
{
	char *p;
	int fd, ret;

	ret = need_pages(2);
	if (ret)
		return ret;
	fd = dev_open(O_RDWR);
	if (fd < 0)
		return FAIL;
	p = map(fd, 0, 2, PROT_READ | PROT_WRITE);
	if (!p)
		return FAIL;
	if (check_bad_range(fd, p, 2, u64p(p + 1), psz, "address + 1") ||
	    check_bad_range(fd, p, 2, u64p(p + psz / 2), psz,
			    "address + half a page") ||
	    check_bad_range(fd, p, 2, u64p(p), psz + 1, "length a page + 1") ||
	    check_bad_range(fd, p, 2, u64p(p), psz - 1, "length a page - 1") ||
	    check_bad_range(fd, p, 2, u64p(p), 1, "length 1"))
		return FAIL;
	return 0;
}

static int test_zap_insert_zero_len(void)
{
	char *p;
	int fd;

	fd = dev_open(O_RDWR);
	if (fd < 0)
		return FAIL;
	p = map(fd, 0, 1, PROT_READ | PROT_WRITE);
	if (!p)
		return FAIL;
	return check_bad_range(fd, p, 1, u64p(p), 0, "length 0");
}

static int test_zap_insert_cross_end(void)
{
	char *res, *p, *q;
	int fd, ret;

	ret = need_pages(2);
	if (ret)
		return ret;
	fd = dev_open(O_RDWR);
	if (fd < 0)
		return FAIL;
	/* A 2-page mapping with a PROT_NONE guard page on each side. */
	res = reserve(4);
	if (!res)
		return FAIL;
	p = map_at(res + psz, fd, 0, 2, PROT_READ | PROT_WRITE);
	if (!p)
		return FAIL;
	if (check_bad_range(fd, p, 2, u64p(p + psz), 2 * psz,
			    "last page and the guard page after it") ||
	    check_bad_range(fd, p, 2, u64p(p), 3 * psz,
			    "mapping and one page more") ||
	    check_bad_range(fd, p, 2, u64p(p - psz), 2 * psz,
			    "guard page before and the first page"))
		return FAIL;

	/*
	 * Two adjacent mappings of the same file (never merged, they are
	 * VM_DONTEXPAND|VM_MIXEDMAP): a range over both is not inside one.
	 * The second one replaces the guard page, at exactly its address.
	 */
	if (check_result(munmap(res + 3 * psz, psz), 0, "munmap(guard page)"))
		return FAIL;
	q = map_at(res + 3 * psz, fd, 0, 1, PROT_READ | PROT_WRITE);
	if (!q)
		return FAIL;
	if (check_bad_range(fd, p, 2, u64p(p + psz), 2 * psz,
			    "last page and the next mapping of the same file"))
		return FAIL;
	/* The second mapping was not zapped either (that would be SIGBUS). */
	return check_pattern(q, 0, 1, "next mapping after the refused calls");
}

static int test_zap_insert_unmapped(void)
{
	char *p, *hole;
	int fd;

	fd = dev_open(O_RDWR);
	if (fd < 0)
		return FAIL;
	p = map(fd, 0, 1, PROT_READ | PROT_WRITE);
	hole = unmapped_range(4);
	if (!p || !hole)
		return FAIL;
	if (check_bad_range(fd, p, 1, u64p(hole + psz), psz,
			    "unmapped address") ||
	    check_bad_range(fd, p, 1, 0, psz, "address 0") ||
	    check_bad_range(fd, p, 1, 0xffff800000000000ULL & ~(__u64)(psz - 1),
			    psz, "kernel address"))
		return FAIL;
	return 0;
}

static int test_zap_insert_bad_pointer(void)
{
	char *p, *two, *straddle;
	int fd, i;

	fd = dev_open(O_RDWR);
	if (fd < 0)
		return FAIL;
	p = map(fd, 0, 1, PROT_READ | PROT_WRITE);
	two = reserve(2);
	if (!p || !two)
		return FAIL;
	/* A range struct that starts on a readable page and ends past it. */
	if (mprotect(two, psz, PROT_READ | PROT_WRITE)) {
		ksft_print_msg("mprotect: %s\n", strerror(errno));
		return FAIL;
	}
	straddle = two + psz - sizeof(__u64);
	memcpy(straddle, &(__u64){ u64p(p) }, sizeof(__u64));

	for (i = 0; i < 2; i++) {
		unsigned long cmd = i ? RUST_MISC_DEV_INSERT : RUST_MISC_DEV_ZAP;

		if (expect_ioctl_ptr(fd, cmd, NULL, "NULL") ||
		    expect_ioctl_ptr(fd, cmd, two + psz, "inaccessible page") ||
		    expect_ioctl_ptr(fd, cmd, straddle,
				     "struct crossing into an inaccessible page"))
			return FAIL;
	}
	return check_pattern(p, 0, 1, "mapping after the refused calls");
}

static int test_map_outlives_close(void)
{
	char *p;
	int fd;

	fd = dev_open(O_RDWR);
	if (fd < 0)
		return FAIL;
	p = map(fd, 0, npages, PROT_READ | PROT_WRITE);
	if (!p)
		return FAIL;
	if (check_result(close(fd), 0, "close"))
		return FAIL;
	if (check_pattern(p, 0, npages, "mapping after close"))
		return FAIL;
	put_marker(p + (npages - 1) * psz);
	if (check_marker(p + (npages - 1) * psz, npages - 1,
			 "write after close"))
		return FAIL;
	return check_result(munmap(p, npages * psz), 0,
			    "munmap after close");
}

static int test_rdonly_fd(void)
{
	char *p;
	int fd;

	fd = dev_open(O_RDONLY);
	if (fd < 0)
		return FAIL;
	p = map(fd, 0, npages, PROT_READ);
	if (!p || check_pattern(p, 0, npages, "read-only fd, PROT_READ"))
		return FAIL;
	if (check_result(mprotect(p, psz, PROT_READ | PROT_WRITE),
			 EACCES, "mprotect(RW) of a mapping of a read-only fd"))
		return FAIL;
	return expect_mmap_err(fd, 0, psz, PROT_READ | PROT_WRITE, MAP_SHARED,
			       EACCES, "read-only fd");
}

static int test_separate_buffers(void)
{
	char *a, *b;
	int fa, fb, ret;

	ret = need_pages(2);
	if (ret)
		return ret;
	fa = dev_open(O_RDWR);
	fb = dev_open(O_RDWR);
	if (fa < 0 || fb < 0)
		return FAIL;
	a = map(fa, 0, npages, PROT_READ | PROT_WRITE);
	b = map(fb, 0, npages, PROT_READ | PROT_WRITE);
	if (!a || !b)
		return FAIL;
	put_marker(a);
	put_marker(b + psz);
	if (check_pattern(b, 0, 1, "file B after a write to file A") ||
	    check_pattern(a + psz, 1, 1, "file A after a write to file B") ||
	    check_marker(a, 0, "file A") || check_marker(b + psz, 1, "file B"))
		return FAIL;
	return 0;
}

static int test_foreign_vma_anon(void)
{
	size_t len = npages * psz;
	char *p, *q;
	int fd;

	fd = dev_open(O_RDWR);
	if (fd < 0)
		return FAIL;
	p = map(fd, 0, npages, PROT_READ | PROT_WRITE);
	if (!p)
		return FAIL;
	if (check_result(munmap(p, len), 0, "munmap"))
		return FAIL;
	q = mmap(p, len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	if (q == MAP_FAILED || q != p) {
		ksft_print_msg("anonymous mmap at %p: %s\n", p,
			       q == MAP_FAILED ? strerror(errno) : "moved");
		return FAIL;
	}
	memset(q, 0x5a, len);
	if (zap(fd, q, npages, EINVAL, "anonymous memory where the mapping was") ||
	    zap(fd, q, 1, EINVAL, "first page of the anonymous memory") ||
	    insert(fd, q, npages, EINVAL, "anonymous memory where the mapping was") ||
	    insert(fd, q, 1, EINVAL, "first page of the anonymous memory"))
		return FAIL;
	if (check_fill(q, len, 0x5a, "anonymous memory after ZAP/INSERT"))
		return FAIL;
	memset(q, 0xa5, len);
	return check_fill(q, len, 0xa5, "anonymous memory written again");
}

static int test_foreign_vma_other_file(void)
{
	size_t z = zpage();
	char *p, *q, *view;
	int fa, fb, ret;

	ret = need_pages(2);
	if (ret)
		return ret;
	fa = dev_open(O_RDWR);
	fb = dev_open(O_RDWR);
	if (fa < 0 || fb < 0)
		return FAIL;
	p = map(fa, 0, npages, PROT_READ | PROT_WRITE);
	if (!p)
		return FAIL;
	if (check_result(munmap(p, npages * psz), 0, "munmap"))
		return FAIL;
	q = map_at(p, fb, 0, npages, PROT_READ | PROT_WRITE);
	if (!q)
		return FAIL;
	put_marker(q + z * psz);

	if (zap(fa, q, npages, EINVAL, "file B's mapping, through file A") ||
	    zap(fa, q + z * psz, 1, EINVAL, "file B's page, through file A") ||
	    insert(fa, q, npages, EINVAL, "file B's mapping, through file A"))
		return FAIL;
	/* A zapped page of B must not get A's page through A's fd. */
	if (zap(fb, q + z * psz, 1, 0, "file B's page, through file B") ||
	    insert(fa, q + z * psz, 1, EINVAL,
		   "file B's zapped page, through file A") ||
	    insert(fb, q + z * psz, 1, 0, "file B's zapped page, through file B"))
		return FAIL;

	/* B's mapping is intact and still maps B's buffer. */
	if (check_pattern(q, 0, z, "file B's mapping") ||
	    check_marker(q + z * psz, z, "file B's mapping") ||
	    check_pattern(q + (z + 1) * psz, z + 1, npages - z - 1,
			  "file B's mapping"))
		return FAIL;
	view = map(fb, z, 1, PROT_READ);
	if (!view || check_marker(view, z, "file B's buffer, mapped again"))
		return FAIL;
	return 0;
}

static int test_zap_insert_wrong_fd(void)
{
	size_t z = zpage();
	char *p, *pz;
	int fa, fb, ret;

	ret = need_pages(2);
	if (ret)
		return ret;
	fa = dev_open(O_RDWR);
	fb = dev_open(O_RDWR);
	if (fa < 0 || fb < 0)
		return FAIL;
	p = map(fa, 0, npages, PROT_READ | PROT_WRITE);
	if (!p)
		return FAIL;
	pz = p + z * psz;
	put_marker(pz);
	if (zap(fb, p, npages, EINVAL, "file A's mapping, through file B") ||
	    zap(fb, pz, 1, EINVAL, "file A's page, through file B") ||
	    insert(fb, pz, 1, EINVAL, "file A's mapped page, through file B"))
		return FAIL;
	if (check_marker(pz, z, "file A's mapping after the refused calls"))
		return FAIL;
	if (zap(fa, pz, 1, 0, "file A's page, through file A") ||
	    insert(fb, pz, 1, EINVAL, "file A's zapped page, through file B") ||
	    insert(fa, pz, 1, 0, "file A's zapped page, through file A"))
		return FAIL;
	return check_marker(pz, z, "file A's page after ZAP and INSERT");
}

/*
 * ZAP the @n pages at @p, which map the buffer's pages from @first on and
 * of which page @marked holds the marker, and check they are gone; INSERT
 * them back one page at a time from the last one, so that each insert is at
 * a page offset of its own inside the VMA, and check every page; then the
 * same with one ZAP and one INSERT of the whole range.
 */
static int zap_insert_check(int fd, char *p, size_t first, size_t n,
			    size_t marked, const char *what)
{
	char buf[160];
	size_t i;

	snprintf(buf, sizeof(buf), "%s, zapped", what);
	if (zap(fd, p, n, 0, what) || check_present(p, n, false, buf))
		return FAIL;
	for (i = n; i--; )
		if (insert(fd, p + i * psz, 1, 0, what))
			return FAIL;
	snprintf(buf, sizeof(buf), "%s, after ZAP and INSERT of each page",
		 what);
	if (check_present(p, n, true, buf) ||
	    check_pages(p, first, n, marked, buf))
		return FAIL;

	snprintf(buf, sizeof(buf), "%s, after ZAP and INSERT of all pages",
		 what);
	if (zap(fd, p, n, 0, what) || insert(fd, p, n, 0, what) ||
	    check_present(p, n, true, buf) ||
	    check_pages(p, first, n, marked, buf))
		return FAIL;
	return 0;
}

static int test_insert_at_offset(void)
{
	size_t off = 3, n = npages - off;
	char *p;
	int fd, ret;

	ret = need_pages(off + 2);
	if (ret)
		return ret;
	fd = dev_open(O_RDWR);
	if (fd < 0)
		return FAIL;
	p = map(fd, off, n, PROT_READ | PROT_WRITE);
	if (!p)
		return FAIL;
	put_marker(p + psz);
	return zap_insert_check(fd, p, off, n, 1, "mapping at a page offset");
}

static int test_insert_split_halves(void)
{
	size_t off = 1, n = npages - off, k, right;
	char *p, *hole, *q;
	int fd, ret;

	ret = need_pages(off + 4);
	if (ret)
		return ret;
	/* Left: pages [0, k) of the mapping, hole: [k, k + 2), right: the rest. */
	k = (n - 2) / 2;
	right = n - k - 2;
	fd = dev_open(O_RDWR);
	if (fd < 0)
		return FAIL;
	p = map(fd, off, n, PROT_READ | PROT_WRITE);
	if (!p)
		return FAIL;
	hole = p + k * psz;
	q = hole + 2 * psz;
	put_marker(hole - psz);
	put_marker(q + (right - 1) * psz);
	if (check_result(munmap(hole, 2 * psz), 0, "munmap(middle 2 pages)"))
		return FAIL;

	if (zap(fd, hole, 2, EINVAL, "the hole") ||
	    insert(fd, hole, 1, EINVAL, "the hole") ||
	    zap(fd, hole - psz, 2, EINVAL, "left half's last page and the hole") ||
	    zap(fd, p, n, EINVAL, "the whole mapping before the split"))
		return FAIL;
	if (check_present(p, k, true, "left half after the refused ZAPs") ||
	    check_present(q, right, true, "right half after the refused ZAPs") ||
	    check_pages(p, off, k, k - 1, "left half") ||
	    check_pages(q, off + k + 2, right, right - 1, "right half"))
		return FAIL;

	if (zap_insert_check(fd, p, off, k, k - 1, "left half") ||
	    zap_insert_check(fd, q, off + k + 2, right, right - 1,
			     "right half"))
		return FAIL;
	/* Each INSERT filled its own half only. */
	return check_pages(p, off, k, k - 1, "left half at the end");
}

static int test_insert_after_mremap(void)
{
	size_t off = 1, n = npages - off;
	unsigned char vec;
	char *res, *p, *q;
	int fd, ret;

	ret = need_pages(off + 2);
	if (ret)
		return ret;
	fd = dev_open(O_RDWR);
	if (fd < 0)
		return FAIL;
	/* The destination, with a guard page on each side. */
	res = reserve(n + 2);
	if (!res)
		return FAIL;
	p = map(fd, off, n, PROT_READ | PROT_WRITE);
	if (!p)
		return FAIL;
	put_marker(p + psz);
	q = mremap(p, n * psz, n * psz, MREMAP_MAYMOVE | MREMAP_FIXED,
		   res + psz);
	if (check_result(q == MAP_FAILED, 0, "mremap(MREMAP_MAYMOVE|MREMAP_FIXED)"))
		return FAIL;
	if (q != res + psz) {
		ksft_print_msg("mremap(MREMAP_FIXED to %p) returned %p\n",
			       res + psz, q);
		return FAIL;
	}
	if (check_result(mincore(p, psz, &vec), ENOMEM,
			 "mincore() of the old address") ||
	    zap(fd, p, n, EINVAL, "old address of the moved mapping") ||
	    insert(fd, p, 1, EINVAL, "old address of the moved mapping"))
		return FAIL;
	if (check_present(q, n, true, "moved mapping") ||
	    check_pages(q, off, n, 1, "moved mapping"))
		return FAIL;
	return zap_insert_check(fd, q, off, n, 1, "moved mapping");
}

/* What a child that has the file is told of its parent's mapping of it. */
struct foreign_call {
	int fd;		/* the file, in the child */
	__u64 addr;	/* the parent's mapping of the whole buffer */
	__u64 zapped;	/* the page of it that the parent zapped */
};

/*
 * In a child that has the file but not its parent's mapping of it: ZAP and
 * INSERT on the parent's addresses are EINVAL, as the range is looked up in
 * the child's own address space, where nothing is mapped there; the same
 * calls on the child's own mapping of the file work, and it shows the
 * parent's marker: the child has the very same file.
 */
static int foreign_calls(const struct foreign_call *fc)
{
	__u64 zapped = fc->addr + fc->zapped * psz;
	char *own;

	if (expect_range(fc->fd, RUST_MISC_DEV_ZAP, fc->addr, npages * psz,
			 EINVAL, "parent's mapping, in the child") ||
	    expect_range(fc->fd, RUST_MISC_DEV_ZAP, fc->addr, psz, EINVAL,
			 "parent's first page, in the child") ||
	    expect_range(fc->fd, RUST_MISC_DEV_INSERT, zapped, psz, EINVAL,
			 "parent's zapped page, in the child") ||
	    expect_range(fc->fd, RUST_MISC_DEV_INSERT, fc->addr, psz, EINVAL,
			 "parent's first page, in the child"))
		return FAIL;
	own = map(fc->fd, fc->zapped, 1, PROT_READ | PROT_WRITE);
	if (!own || zap(fc->fd, own, 1, 0, "child's own mapping") ||
	    insert(fc->fd, own, 1, 0, "child's own mapping"))
		return FAIL;
	return check_marker(own, fc->zapped, "child's own mapping");
}

static int fork_foreign_calls(void *arg)
{
	return foreign_calls(arg);
}

/*
 * Map the whole buffer of @fd at *@p, mark page zpage() and zap it, and
 * describe it in @fc for a child.
 */
static int foreign_setup(int fd, char **p, struct foreign_call *fc)
{
	size_t z = zpage();

	*p = map(fd, 0, npages, PROT_READ | PROT_WRITE);
	if (!*p)
		return FAIL;
	put_marker(*p + z * psz);
	if (zap(fd, *p + z * psz, 1, 0, "page for the child to INSERT"))
		return FAIL;
	*fc = (struct foreign_call){ .fd = fd, .addr = u64p(*p), .zapped = z };
	return 0;
}

/*
 * After foreign_calls() in a child: the parent's mapping @p is as it was,
 * every page mapped with its bytes but the zapped one, which is still
 * zapped and gets its marker back by the parent's own INSERT.
 */
static int check_foreign_untouched(int fd, char *p)
{
	size_t z = zpage();

	if (check_present(p, z, true, "parent's pages before the zapped one") ||
	    check_present(p + z * psz, 1, false, "parent's zapped page") ||
	    check_present(p + (z + 1) * psz, npages - z - 1, true,
			  "parent's pages after the zapped one"))
		return FAIL;
	if (insert(fd, p + z * psz, 1, 0, "parent's zapped page, by the parent"))
		return FAIL;
	return check_pages(p, 0, npages, z, "parent's mapping after the child");
}

static int test_foreign_range_fork(void)
{
	struct foreign_call fc;
	pid_t pid;
	char *p;
	int fd, ret;

	ret = need_pages(2);
	if (ret)
		return ret;
	fd = dev_open(O_RDWR);
	if (fd < 0 || foreign_setup(fd, &p, &fc))
		return FAIL;
	/* VM_DONTCOPY: the child has the file, not the mapping. */
	pid = fork_child(fork_foreign_calls, &fc);
	if (pid < 0 || expect_child_ok(pid, "forked child"))
		return FAIL;
	return check_foreign_untouched(fd, p);
}

/* Send @fd and @len bytes of @data over the unix socket @sock. */
static int send_fd(int sock, int fd, const void *data, size_t len)
{
	union {
		struct cmsghdr hdr;
		char buf[CMSG_SPACE(sizeof(int))];
	} cmsg;
	struct iovec iov = { .iov_base = (void *)data, .iov_len = len };
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = cmsg.buf,
		.msg_controllen = sizeof(cmsg.buf),
	};
	struct cmsghdr *c;
	ssize_t ret;

	memset(&cmsg, 0, sizeof(cmsg));
	c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	ret = sendmsg(sock, &msg, 0);
	if (ret == (ssize_t)len)
		return 0;
	ksft_print_msg("sendmsg: %s\n", ret < 0 ? strerror(errno) : "short");
	return FAIL;
}

/*
 * Receive a descriptor and exactly @len bytes into @data from the unix
 * socket @sock.  Returns the descriptor, or -1.
 */
static int recv_fd(int sock, void *data, size_t len)
{
	union {
		struct cmsghdr hdr;
		char buf[CMSG_SPACE(sizeof(int))];
	} cmsg;
	struct iovec iov = { .iov_base = data, .iov_len = len };
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = cmsg.buf,
		.msg_controllen = sizeof(cmsg.buf),
	};
	struct cmsghdr *c;
	ssize_t ret;
	int fd;

	ret = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	if (ret != (ssize_t)len) {
		ksft_print_msg("recvmsg: %s\n", ret < 0 ? strerror(errno) :
			       ret ? "short message" : "end of file");
		return -1;
	}
	c = CMSG_FIRSTHDR(&msg);
	if ((msg.msg_flags & MSG_CTRUNC) || !c || c->cmsg_level != SOL_SOCKET ||
	    c->cmsg_type != SCM_RIGHTS || c->cmsg_len != CMSG_LEN(sizeof(int))) {
		ksft_print_msg("recvmsg: no descriptor in the message\n");
		return -1;
	}
	memcpy(&fd, CMSG_DATA(c), sizeof(int));
	return fd;
}

/*
 * Fork a child that runs @child(@chan) before the file is even opened, so
 * that it inherits neither the file nor the mapping; then open and map the
 * file, give it to the child with @give over @chan[1] (the child has
 * @chan[0]), and check that the child's calls left the mapping alone.
 */
static int foreign_unrelated(int chan[2], int (*child)(void *),
			     int (*give)(int chan, const struct foreign_call *fc),
			     const char *what)
{
	struct foreign_call fc;
	int fd, ret;
	pid_t pid;
	char *p;

	pid = fork_child(child, chan);
	if (pid < 0)
		return FAIL;
	close(chan[0]);
	fd = dev_open(O_RDWR);
	ret = fd < 0 || foreign_setup(fd, &p, &fc) || give(chan[1], &fc);
	/* If that failed, the end of file ends the child. */
	close(chan[1]);
	if (expect_child_ok(pid, what) || ret)
		return FAIL;
	return check_foreign_untouched(fd, p);
}

static int give_by_scm_rights(int chan, const struct foreign_call *fc)
{
	return send_fd(chan, fc->fd, fc, sizeof(*fc));
}

static int scm_rights_foreign_calls(void *arg)
{
	int *chan = arg;
	struct foreign_call fc;

	close(chan[1]);
	fc.fd = recv_fd(chan[0], &fc, sizeof(fc));
	if (fc.fd < 0)
		return FAIL;
	return foreign_calls(&fc);
}

static int test_foreign_range_scm_rights(void)
{
	int sv[2], ret;

	ret = need_pages(2);
	if (ret)
		return ret;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv)) {
		ret = errno;
		ksft_print_msg("socketpair(AF_UNIX): %s (%s)\n", errname(ret),
			       strerror(ret));
		/* /proc/net/unix is there if the kernel has unix sockets. */
		if (access("/proc/net/unix", F_OK)) {
			ksft_print_msg("no /proc/net/unix: a kernel without CONFIG_UNIX\n");
			return KSFT_SKIP;
		}
		return FAIL;
	}
	return foreign_unrelated(sv, scm_rights_foreign_calls,
				 give_by_scm_rights,
				 "process that got the file by SCM_RIGHTS");
}

/* The child takes the file from our file table, @fc->fd in it. */
static int give_by_pidfd(int chan, const struct foreign_call *fc)
{
	ssize_t ret = write(chan, fc, sizeof(*fc));

	if (ret == sizeof(*fc))
		return 0;
	ksft_print_msg("write to the pipe: %s\n", ret < 0 ? strerror(errno) :
		       "short");
	return FAIL;
}

static int pidfd_foreign_calls(void *arg)
{
	int *chan = arg, pidfd;
	struct foreign_call fc;
	ssize_t ret;

	close(chan[1]);
	ret = read(chan[0], &fc, sizeof(fc));
	if (ret != sizeof(fc)) {
		ksft_print_msg("read from the pipe: %s\n",
			       ret < 0 ? strerror(errno) :
			       ret ? "short" : "end of file");
		return FAIL;
	}
	pidfd = syscall(SYS_pidfd_open, getppid(), 0);
	if (pidfd < 0) {
		ksft_print_msg("pidfd_open(parent): %s\n", strerror(errno));
		return FAIL;
	}
	fc.fd = syscall(SYS_pidfd_getfd, pidfd, fc.fd, 0);
	if (fc.fd < 0) {
		ksft_print_msg("pidfd_getfd(parent's file): %s\n",
			       strerror(errno));
		return FAIL;
	}
	return foreign_calls(&fc);
}

static int test_foreign_range_pidfd_getfd(void)
{
	int pfd[2], ret;

	ret = need_pages(2);
	if (ret)
		return ret;
	if (pipe2(pfd, O_CLOEXEC)) {
		ksft_print_msg("pipe: %s\n", strerror(errno));
		return FAIL;
	}
	return foreign_unrelated(pfd, pidfd_foreign_calls, give_by_pidfd,
				 "process that got the file by pidfd_getfd()");
}

static int test_insert_keeps_prot_read(void)
{
	size_t z = zpage();
	char *p, *w;
	int fd;

	fd = dev_open(O_RDWR);
	if (fd < 0)
		return FAIL;
	p = map(fd, 0, npages, PROT_READ);
	w = map(fd, z, 1, PROT_READ | PROT_WRITE);
	if (!p || !w)
		return FAIL;
	put_marker(w);
	if (zap_insert_check(fd, p, 0, npages, z, "read-only mapping"))
		return FAIL;
	if (expect_signal(true, touch_write, p + z * psz, SIGSEGV, SEGV_ACCERR,
			  "write to the read-only mapping after ZAP and INSERT") ||
	    expect_signal(true, touch_write, p, SIGSEGV, SEGV_ACCERR,
			  "write to the read-only mapping after ZAP and INSERT"))
		return FAIL;
	return check_pages(p, 0, npages, z, "read-only mapping after the writes");
}

static int test_insert_keeps_prot_none(void)
{
	size_t z = zpage();
	char *p, *w;
	int fd;

	fd = dev_open(O_RDWR);
	if (fd < 0)
		return FAIL;
	/* The sample takes PROT_NONE mappings, and inserts their pages. */
	p = map(fd, 0, npages, PROT_NONE);
	w = map(fd, z, 1, PROT_READ | PROT_WRITE);
	if (!p || !w)
		return FAIL;
	put_marker(w);
	if (check_present(p, npages, true, "fresh PROT_NONE mapping") ||
	    expect_signal(true, touch_read, p + z * psz, SIGSEGV, SEGV_ACCERR,
			  "read of the PROT_NONE mapping"))
		return FAIL;
	if (zap(fd, p, npages, 0, "PROT_NONE mapping") ||
	    check_present(p, npages, false, "zapped PROT_NONE mapping") ||
	    insert(fd, p, npages, 0, "PROT_NONE mapping") ||
	    check_present(p, npages, true, "PROT_NONE mapping after INSERT") ||
	    insert(fd, p + z * psz, 1, EBUSY, "PROT_NONE page just inserted"))
		return FAIL;
	if (expect_signal(true, touch_read, p + z * psz, SIGSEGV, SEGV_ACCERR,
			  "read of the PROT_NONE mapping after ZAP and INSERT") ||
	    expect_signal(true, touch_write, p, SIGSEGV, SEGV_ACCERR,
			  "write to the PROT_NONE mapping after ZAP and INSERT"))
		return FAIL;
	/* The inserted pages are the right ones. */
	if (check_result(mprotect(p, npages * psz, PROT_READ), 0,
			 "mprotect(R) of the PROT_NONE mapping"))
		return FAIL;
	return check_pages(p, 0, npages, z,
			   "PROT_NONE mapping after ZAP, INSERT and mprotect(R)");
}

static int test_insert_busy_partial(void)
{
	char *p;
	int fd, ret;

	/* Pages 0 and 1 zapped, 2 mapped, 3 and 4 zapped. */
	ret = need_pages(5);
	if (ret)
		return ret;
	fd = dev_open(O_RDWR);
	if (fd < 0)
		return FAIL;
	p = map(fd, 0, npages, PROT_READ | PROT_WRITE);
	if (!p)
		return FAIL;
	put_marker(p + psz);
	put_marker(p + 2 * psz);
	put_marker(p + 4 * psz);
	if (zap(fd, p, 2, 0, "pages 0 and 1") ||
	    zap(fd, p + 3 * psz, 2, 0, "pages 3 and 4"))
		return FAIL;
	if (insert(fd, p, 5, EBUSY, "pages 0 to 4, page 2 mapped"))
		return FAIL;
	/* The pages are inserted in order, up to the busy one. */
	if (check_present(p, 3, true, "pages 0 to 2 after the refused INSERT") ||
	    check_present(p + 3 * psz, 2, false,
			  "pages 3 and 4 after the refused INSERT"))
		return FAIL;
	if (check_pattern(p, 0, 1, "page 0 after the refused INSERT") ||
	    check_marker(p + psz, 1, "page 1 after the refused INSERT") ||
	    check_marker(p + 2 * psz, 2, "page 2 after the refused INSERT"))
		return FAIL;
	if (expect_signal(true, touch_read, p + 3 * psz, SIGBUS, BUS_ADRERR,
			  "read of page 3 after the refused INSERT") ||
	    expect_signal(true, touch_read, p + 4 * psz, SIGBUS, BUS_ADRERR,
			  "read of page 4 after the refused INSERT"))
		return FAIL;
	if (insert(fd, p + 3 * psz, 2, 0, "pages 3 and 4"))
		return FAIL;
	if (check_pattern(p + 3 * psz, 3, 1, "page 3 after its INSERT") ||
	    check_marker(p + 4 * psz, 4, "page 4 after its INSERT"))
		return FAIL;
	return check_pattern(p + 5 * psz, 5, npages - 5, "pages after page 4");
}

/*
 * Store in @flags the VmFlags of the mapping of /proc/self/smaps that is
 * exactly the @n pages at @p, with a space before and after each flag.
 */
static int get_vmflags(const void *p, size_t n, char *flags, size_t size)
{
	unsigned long start, end;
	bool found = false;
	char line[512];
	FILE *f;

	f = fopen("/proc/self/smaps", "re");
	if (!f) {
		ksft_print_msg("/proc/self/smaps: %s\n", strerror(errno));
		return FAIL;
	}
	while (fgets(line, sizeof(line), f)) {
		char perms[8];

		if (sscanf(line, "%lx-%lx %7s ", &start, &end, perms) == 3) {
			if (found)
				break;
			found = start == (uintptr_t)p;
			if (found && end != start + n * psz) {
				ksft_print_msg("smaps: mapping %p ends at %#lx, expected %#lx\n",
					       p, end, start + n * psz);
				fclose(f);
				return FAIL;
			}
			continue;
		}
		if (found && !strncmp(line, "VmFlags:", 8)) {
			size_t len = strcspn(line, "\n");

			while (len > 8 && line[len - 1] == ' ')
				len--;
			line[len] = '\0';
			snprintf(flags, size, "%s ", line + 8);
			fclose(f);
			return 0;
		}
	}
	fclose(f);
	ksft_print_msg("smaps: %s for the mapping at %p\n",
		       found ? "no VmFlags" : "no entry", p);
	return FAIL;
}

/* Check that the VmFlags @flags of get_vmflags() have @flag, or not. */
static int check_vmflag(const char *flags, const char *flag, bool want,
			const char *what)
{
	char pad[8];

	snprintf(pad, sizeof(pad), " %s ", flag);
	if (!strstr(flags, pad) != want)
		return 0;
	ksft_print_msg("%s: VmFlags%s%s \"%s\"\n", what, flags,
		       want ? "lack" : "have", flag);
	return FAIL;
}

/* Check the VmFlags of the @n pages at @p; "mw" only if @maywrite. */
static int check_vmflags(const void *p, size_t n, bool maywrite,
			 const char *what)
{
	char flags[512];

	if (get_vmflags(p, n, flags, sizeof(flags)) ||
	    check_vmflag(flags, "mm", true, what) ||	/* VM_MIXEDMAP */
	    check_vmflag(flags, "de", true, what) ||	/* VM_DONTEXPAND */
	    check_vmflag(flags, "dc", true, what) ||	/* VM_DONTCOPY */
	    check_vmflag(flags, "me", false, what) ||	/* VM_MAYEXEC */
	    check_vmflag(flags, "mw", maywrite, what))	/* VM_MAYWRITE */
		return FAIL;
	return 0;
}

static int test_smaps_vmflags(void)
{
	char *rw, *ro;
	int fd;

	fd = dev_open(O_RDWR);
	if (fd < 0)
		return FAIL;
	/* An O_RDWR file: the kernel would leave VM_MAYWRITE to both. */
	rw = map(fd, 0, npages, PROT_READ | PROT_WRITE);
	ro = map(fd, 0, npages, PROT_READ);
	if (!rw || !ro)
		return FAIL;
	if (check_vmflags(rw, npages, true, "read-write mapping") ||
	    check_vmflags(ro, npages, false, "read-only mapping"))
		return FAIL;
	return 0;
}

static int test_fresh_map_present(void)
{
	size_t z = zpage();
	char *p;
	int fd;

	fd = dev_open(O_RDWR);
	if (fd < 0)
		return FAIL;
	p = map(fd, 0, npages, PROT_READ | PROT_WRITE);
	if (!p)
		return FAIL;
	/* Before any access: mmap() inserted every page. */
	if (check_present(p, npages, true, "fresh mapping"))
		return FAIL;
	/* mincore() does tell a missing page. */
	if (zap(fd, p + z * psz, 1, 0, "one page") ||
	    check_present(p + z * psz, 1, false, "zapped page"))
		return FAIL;
	return 0;
}

static int test_buffer_size_by_mmap(void)
{
	char *p;
	int fd;

	fd = dev_open(O_RDWR);
	if (fd < 0)
		return FAIL;
	p = map(fd, 0, npages, PROT_READ);
	if (!p || check_pattern(p, 0, npages, "mapping of --pages pages"))
		return FAIL;
	return expect_mmap_err(fd, 0, (npages + 1) * psz, PROT_READ,
			       MAP_SHARED, EINVAL, "--pages + 1 pages");
}

static int test_pages_param_no_sysfs(void)
{
	struct stat st;

	if (stat("/sys/module", &st)) {
		ksft_print_msg("/sys/module: %s; is sysfs mounted?\n",
			       strerror(errno));
		return KSFT_SKIP;
	}
	return check_result(stat(PAGES_PARAM, &st), ENOENT, "stat(%s)",
			    PAGES_PARAM);
}

static int test_zap_insert_len_overflow(void)
{
	char *p;
	int fd;

	fd = dev_open(O_RDWR);
	if (fd < 0)
		return FAIL;
	p = map(fd, 0, 1, PROT_READ | PROT_WRITE);
	if (!p)
		return FAIL;
	/* addr + len wraps around to just below addr. */
	if (check_bad_range(fd, p, 1, u64p(p), -(__u64)psz,
			    "length wrapping around") ||
	    check_bad_range(fd, p, 1, u64p(p), -u64p(p),
			    "length ending exactly at 2^64") ||
	    check_bad_range(fd, p, 1, u64p(p), 1ULL << 63, "length 2^63"))
		return FAIL;
	return 0;
}

/* Cases: RUST_MISC_DEV_GET_MAPPINGS, the VMAs that map the open file. */

static int expect_mappings(int fd, int want, const char *what)
{
	int n = -1;

	if (check_ioctl(ioctl(fd, RUST_MISC_DEV_GET_MAPPINGS, &n), 0,
			"GET_MAPPINGS (%s)", what))
		return FAIL;
	if (n != want) {
		ksft_print_msg("%s: GET_MAPPINGS gave %d, expected %d\n",
			       what, n, want);
		return FAIL;
	}
	return 0;
}

static int unmap(void *p, size_t n, const char *what)
{
	return check_result(munmap(p, n * psz), 0, "munmap(%s)", what);
}

static int test_mappings_follow_mmap_munmap(void)
{
	char *p, *q;
	int fd, other;

	fd = dev_open(O_RDWR);
	other = dev_open(O_RDWR);
	if (fd < 0 || other < 0 || expect_mappings(fd, 0, "new file"))
		return FAIL;
	p = map(fd, 0, npages, PROT_READ | PROT_WRITE);
	if (!p || expect_mappings(fd, 1, "one mmap"))
		return FAIL;
	q = map(fd, 0, 1, PROT_READ);
	if (!q || expect_mappings(fd, 2, "two mmaps") ||
	    expect_mappings(other, 0, "another open file"))
		return FAIL;
	if (unmap(q, 1, "the second mapping") ||
	    expect_mappings(fd, 1, "after munmap of one") ||
	    unmap(p, npages, "the first mapping"))
		return FAIL;
	return expect_mappings(fd, 0, "after munmap of both");
}

static int test_mappings_follow_splits(void)
{
	char *p;
	int fd, ret;

	ret = need_pages(3);
	if (ret)
		return ret;
	fd = dev_open(O_RDWR);
	if (fd < 0)
		return FAIL;
	p = map(fd, 0, 3, PROT_READ | PROT_WRITE);
	if (!p)
		return FAIL;
	/* munmap() of the middle leaves two VMAs. */
	if (unmap(p + psz, 1, "the middle page") ||
	    expect_mappings(fd, 2, "after munmap of the middle"))
		return FAIL;
	/* Of the head of one of them, one. */
	if (unmap(p, 1, "the first page") ||
	    expect_mappings(fd, 1, "after munmap of the first page") ||
	    check_pattern(p + 2 * psz, 2, 1, "the page left"))
		return FAIL;
	if (unmap(p + 2 * psz, 1, "the last page"))
		return FAIL;
	/* mprotect() of a part splits the mapping too. */
	p = map(fd, 0, 3, PROT_READ | PROT_WRITE);
	if (!p || check_result(mprotect(p + 2 * psz, psz, PROT_READ), 0,
			       "mprotect(last page, PROT_READ)") ||
	    expect_mappings(fd, 2, "after mprotect of the last page") ||
	    unmap(p, 3, "the split mapping"))
		return FAIL;
	return expect_mappings(fd, 0, "after munmap of both halves");
}

static int test_mappings_follow_mremap(void)
{
	char *p, *dest;
	void *q;
	int fd, ret;

	ret = need_pages(2);
	if (ret)
		return ret;
	fd = dev_open(O_RDWR);
	dest = reserve(2);
	if (fd < 0 || !dest)
		return FAIL;
	p = map(fd, 0, 2, PROT_READ | PROT_WRITE);
	if (!p)
		return FAIL;
	q = mremap(p, 2 * psz, 2 * psz, MREMAP_MAYMOVE | MREMAP_FIXED, dest);
	if (check_result(q == MAP_FAILED, 0, "mremap(move 2 pages)"))
		return FAIL;
	if (expect_mappings(fd, 1, "after the move") ||
	    check_pattern(dest, 0, 2, "the moved mapping"))
		return FAIL;
	q = mremap(dest, 2 * psz, psz, 0);
	if (check_result(q == MAP_FAILED, 0, "mremap(2 pages -> 1)") ||
	    expect_mappings(fd, 1, "after the shrink") ||
	    unmap(dest, 1, "the moved mapping"))
		return FAIL;
	return expect_mappings(fd, 0, "after munmap");
}

struct mappings_child {
	int fd;
	int inherited;	/* mappings the child expects on entry */
};

static int mappings_child(void *arg)
{
	const struct mappings_child *c = arg;

	if (expect_mappings(c->fd, c->inherited, "in the child"))
		return FAIL;
	/* A mapping of its own, left for its exit to unmap. */
	if (!map(c->fd, 0, 1, PROT_READ))
		return FAIL;
	return expect_mappings(c->fd, c->inherited + 1,
			       "in the child, after its mmap");
}

static int fork_and_count(int fd, int inherited, const char *what)
{
	struct mappings_child c = { fd, inherited };
	pid_t pid;

	pid = fork_child(mappings_child, &c);
	if (pid < 0 || expect_child_ok(pid, what))
		return FAIL;
	/* The child's VMAs went with its exit. */
	return expect_mappings(fd, 1, "after the child exited");
}

static int test_mappings_follow_fork(void)
{
	char *p;
	int fd;

	fd = dev_open(O_RDWR);
	if (fd < 0)
		return FAIL;
	p = map(fd, 0, 1, PROT_READ | PROT_WRITE);
	if (!p)
		return FAIL;
	/* VM_DONTCOPY: the child has no copy, only its own mapping. */
	if (fork_and_count(fd, 1, "child without a copy"))
		return FAIL;
	/* After MADV_DOFORK, the child's copy counts too. */
	if (check_result(madvise(p, psz, MADV_DOFORK), 0, "madvise(MADV_DOFORK)") ||
	    fork_and_count(fd, 2, "child with a copy"))
		return FAIL;
	return check_pattern(p, 0, 1, "parent's mapping after the forks");
}

static int test_mappings_outlive_close(void)
{
	char *p;
	int fd;

	fd = dev_open(O_RDWR);
	if (fd < 0)
		return FAIL;
	p = map(fd, 0, npages, PROT_READ | PROT_WRITE);
	if (!p)
		return FAIL;
	put_marker(p);
	if (check_result(close(fd), 0, "close() of the mapped file"))
		return FAIL;
	/* The state lives on in the mapping, and goes with its munmap. */
	if (check_pages(p, 0, npages, 0, "mapping after close()"))
		return FAIL;
	fd = dev_open(O_RDWR);
	if (fd < 0 || expect_mappings(fd, 0, "a new file"))
		return FAIL;
	return unmap(p, npages, "the mapping of the closed file");
}

static int test_mappings_bad_pointer(void)
{
	char *hole, *ro;
	int fd;

	fd = dev_open(O_RDWR);
	ro = mmap(NULL, psz, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	hole = unmapped_range(1);
	if (fd < 0 || !hole || ro == MAP_FAILED)
		return FAIL;
	return expect_ioctl_ptr(fd, RUST_MISC_DEV_GET_MAPPINGS, NULL, "NULL") ||
	       expect_ioctl_ptr(fd, RUST_MISC_DEV_GET_MAPPINGS, hole, "unmapped") ||
	       expect_ioctl_ptr(fd, RUST_MISC_DEV_GET_MAPPINGS, ro, "read-only page") ?
	       FAIL : 0;
}

struct test_case {
	const char *name;
	int (*fn)(void);
};

#define CASE(n) { #n, test_##n }

static const struct test_case cases[] = {
	CASE(open_close),
	CASE(hello_ioctl),
	CASE(value_round_trip),
	CASE(value_bad_pointer),
	CASE(unknown_ioctl),
	CASE(mmap_whole_pattern),
	CASE(mmap_page_offset),
	CASE(mmap_unaligned_offset),
	CASE(mmap_len_beyond_end),
	CASE(mmap_offset_len_beyond_end),
	CASE(mmap_offset_at_end),
	CASE(mmap_private),
	CASE(mmap_prot_exec),
	CASE(mprotect_exec),
	CASE(mprotect_ro_to_rw),
	CASE(mprotect_rw_ro_rw),
	CASE(two_maps_share_pages),
	CASE(buffer_persists_after_munmap),
	CASE(mremap_grow),
	CASE(mremap_same_and_shrink),
	CASE(fork_child_no_mapping),
	CASE(zap_sigbus),
	CASE(insert_restores_data),
	CASE(insert_busy),
	CASE(zap_insert_unaligned),
	CASE(zap_insert_zero_len),
	CASE(zap_insert_cross_end),
	CASE(zap_insert_unmapped),
	CASE(zap_insert_bad_pointer),
	CASE(map_outlives_close),
	CASE(rdonly_fd),
	CASE(separate_buffers),
	CASE(foreign_vma_anon),
	CASE(foreign_vma_other_file),
	CASE(zap_insert_wrong_fd),
	CASE(insert_at_offset),
	CASE(insert_split_halves),
	CASE(insert_after_mremap),
	CASE(foreign_range_fork),
	CASE(foreign_range_scm_rights),
	CASE(foreign_range_pidfd_getfd),
	CASE(insert_keeps_prot_read),
	CASE(insert_keeps_prot_none),
	CASE(insert_busy_partial),
	CASE(smaps_vmflags),
	CASE(fresh_map_present),
	CASE(buffer_size_by_mmap),
	CASE(pages_param_no_sysfs),
	CASE(mappings_follow_mmap_munmap),
	CASE(mappings_follow_splits),
	CASE(mappings_follow_mremap),
	CASE(mappings_follow_fork),
	CASE(mappings_outlive_close),
	CASE(mappings_bad_pointer),
	/* Last: a driver that overflows here may take the kernel down. */
	CASE(zap_insert_len_overflow),
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Run one case in a child process and report it. */
static void run_case(const struct test_case *tc)
{
	double start;
	int status;
	pid_t pid, w;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		ksft_print_msg("fork: %s\n", strerror(errno));
		ksft_test_result_fail("%s\n", tc->name);
		return;
	}
	if (!pid) {
		int ret;

		alarm(CASE_TIMEOUT);
		ret = tc->fn();
		fflush(stdout);
		_exit(ret == 0 ? KSFT_PASS :
		      ret == KSFT_SKIP ? KSFT_SKIP : KSFT_FAIL);
	}

	/* Poll, so that a child stuck in the kernel cannot hang us. */
	start = now();
	for (;;) {
		w = waitpid(pid, &status, WNOHANG);
		if (w == pid)
			break;
		if (w < 0 && errno != EINTR) {
			ksft_print_msg("waitpid: %s\n", strerror(errno));
			ksft_test_result_fail("%s\n", tc->name);
			return;
		}
		if (now() - start > CASE_TIMEOUT + 10) {
			kill(pid, SIGKILL);
			/*
			 * Reap it if it goes, so that it neither stays a
			 * zombie nor writes into the next case's output; a
			 * few seconds at most, it may be stuck for good.
			 */
			start = now();
			while (waitpid(pid, &status, WNOHANG) == 0 &&
			       now() - start < 5)
				usleep(2000);
			ksft_print_msg("case not ended by SIGALRM in %d s (stuck in the kernel?)\n",
				       CASE_TIMEOUT + 10);
			ksft_test_result_fail("%s\n", tc->name);
			return;
		}
		usleep(2000);
	}

	if (WIFEXITED(status) && WEXITSTATUS(status) == KSFT_PASS) {
		ksft_test_result_pass("%s\n", tc->name);
		return;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == KSFT_SKIP) {
		ksft_test_result_skip("%s\n", tc->name);
		return;
	}
	if (WIFSIGNALED(status))
		ksft_print_msg("case process killed by %s%s\n",
			       signame(WTERMSIG(status)),
			       WTERMSIG(status) == SIGBUS ?
			       " (an access to a mapping of the device found no page)" :
			       WTERMSIG(status) == SIGSEGV ?
			       " (an access to a mapping of the device was refused)" : "");
	else if (!WIFEXITED(status) || WEXITSTATUS(status) != KSFT_FAIL)
		ksft_print_msg("case process ended with wait status %#x\n",
			       status);
	ksft_test_result_fail("%s\n", tc->name);
}

static void print_usage(const char *prog)
{
	fprintf(stderr, "usage: %s [--pages N]\n"
		"  --pages N  buffer size in pages the rust_misc_device module is expected to have (default %d)\n",
		prog, RUST_MISC_DEV_PAGES_DEFAULT);
	exit(KSFT_FAIL);
}

int main(int argc, char **argv)
{
	struct rlimit rl = { 0, 0 };
	int persona, i;
	size_t c;

	for (i = 1; i < argc; i++) {
		const char *val = NULL;
		char *end;

		if (!strcmp(argv[i], "--pages") && i + 1 < argc)
			val = argv[++i];
		else if (!strncmp(argv[i], "--pages=", 8))
			val = argv[i] + 8;
		else
			print_usage(argv[0]);
		errno = 0;
		npages = strtoul(val, &end, 10);
		if (errno || !*val || *end || !npages)
			print_usage(argv[0]);
	}

	psz = sysconf(_SC_PAGESIZE);
	/* No core files from the children that die on purpose. */
	setrlimit(RLIMIT_CORE, &rl);
	/* PROT_READ must not imply PROT_EXEC, the device refuses exec. */
	persona = personality(0xffffffff);
	if (persona != -1 && (persona & READ_IMPLIES_EXEC))
		personality(persona & ~READ_IMPLIES_EXEC);

	ksft_print_header();

	if (access(RUST_MISC_DEV_PATH, F_OK))
		ksft_exit_fail_msg("%s: %s; is the rust_misc_device module loaded (%s)?\n",
				   RUST_MISC_DEV_PATH, strerror(errno),
				   "CONFIG_SAMPLE_RUST_MISC_DEVICE");

	ksft_print_msg("page size %zu, buffer of %zu pages\n", psz, npages);

	ksft_set_plan(ARRAY_SIZE(cases));
	for (c = 0; c < ARRAY_SIZE(cases); c++)
		run_case(&cases[c]);
	ksft_finished();
}
