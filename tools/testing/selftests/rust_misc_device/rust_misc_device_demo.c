// SPDX-License-Identifier: GPL-2.0
/*
 * A walk through the Rust sample misc device (samples/rust/rust_misc_device.rs)
 * for a person to watch: map the buffer of an open file, look at it, write to
 * it, drop a page from the mapping with the ZAP ioctl and put it back with
 * INSERT.  Exits 0 if every step went as expected, else 1 after saying which
 * step failed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <linux/rust_misc_device.h>

#include "kselftest.h"	/* __noreturn, __printf */

static const char message[] =
	"Hello from userspace, through the Rust misc device!";

static int step;
static const char *step_name;

static void begin(const char *name, const char *what)
{
	step++;
	step_name = name;
	printf("demo: step %d: %s\n", step, what);
}

static __printf(1, 2) void say(const char *fmt, ...)
{
	va_list ap;

	printf("demo:   ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

static __noreturn __printf(1, 2) void fail(const char *fmt, ...)
{
	va_list ap;

	printf("demo: step %d (%s) FAILED: ", step, step_name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	exit(1);
}

/*
 * The size of the buffer of the file @fd, in pages (module parameter
 * "pages", which has no sysfs file): the largest mapping mmap() accepts.
 */
static size_t buffer_pages(int fd, size_t psz)
{
	size_t n;
	void *p;

	for (n = 1; ; n++) {
		p = mmap(NULL, n * psz, PROT_READ, MAP_SHARED, fd, 0);
		if (p == MAP_FAILED)
			break;
		munmap(p, n * psz);
	}
	if (errno != EINVAL || n == 1)
		fail("mmap of %zu pages: %s", n, strerror(errno));
	return n - 1;
}

/*
 * Where the child's SIGBUS came from, written by the child: it shares our
 * memory (clone(CLONE_VM)), so we read it once it is gone.
 */
static void *sigbus_addr;
static int sigbus_code;

static void on_sigbus(int sig, siginfo_t *si, void *ctx)
{
	(void)sig;
	(void)ctx;
	__atomic_store_n(&sigbus_addr, si->si_addr, __ATOMIC_RELAXED);
	__atomic_store_n(&sigbus_code, si->si_code, __ATOMIC_RELAXED);
	/* SA_RESETHAND: the read faults again and the child dies of SIGBUS. */
}

static int touch(void *addr)
{
	struct sigaction sa = {
		.sa_sigaction = on_sigbus,
		.sa_flags = SA_SIGINFO | SA_RESETHAND,
	};
	struct rlimit rl = { 0, 0 };

	setrlimit(RLIMIT_CORE, &rl);	/* no core file for the SIGBUS */
	alarm(10);
	sigaction(SIGBUS, &sa, NULL);	/* if not, the parent sees no address */
	return __atomic_load_n((unsigned char *)addr, __ATOMIC_RELAXED);
}

/*
 * Read @addr in a child and return how the child ended.  The child is made
 * with clone(CLONE_VM), sharing our address space: a plain fork() child
 * would not have the mapping at all, as the driver makes it VM_DONTCOPY.
 */
static int touch_in_child(void *addr)
{
	size_t stack_size = 256 * 1024;
	int status;
	char *stack;
	pid_t pid;

	stack = mmap(NULL, stack_size, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (stack == MAP_FAILED)
		fail("child stack: %s", strerror(errno));
	sigbus_addr = NULL;
	sigbus_code = 0;
	fflush(stdout);
	pid = clone(touch, stack + stack_size, CLONE_VM | SIGCHLD, addr);
	if (pid < 0)
		fail("clone: %s", strerror(errno));
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			fail("waitpid: %s", strerror(errno));
	munmap(stack, stack_size);
	return status;
}

static int range_ioctl(int fd, unsigned long cmd, void *addr, size_t len)
{
	struct rust_misc_dev_range r = {
		.addr = (__u64)(unsigned long)addr,
		.len = len,
	};

	return ioctl(fd, cmd, &r);
}

int main(void)
{
	size_t psz, pages, i, j, page;
	unsigned char *p, *msg;
	int fd, status;

	setvbuf(stdout, NULL, _IOLBF, 0);
	psz = sysconf(_SC_PAGESIZE);

	begin("open", "open " RUST_MISC_DEV_PATH);
	fd = open(RUST_MISC_DEV_PATH, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		fail("%s: %s (is the rust_misc_device module loaded?)",
		     RUST_MISC_DEV_PATH, strerror(errno));
	say("fd %d", fd);

	begin("mmap", "map the file's buffer (mmap, MAP_SHARED, read/write)");
	pages = buffer_pages(fd, psz);
	p = mmap(NULL, pages * psz, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		fail("mmap of %zu pages: %s", pages, strerror(errno));
	say("%zu pages (%zu bytes) at %p", pages, pages * psz, (void *)p);

	begin("pattern", "look at the pages: page i is filled with the byte i + 1");
	for (i = 0; i < pages; i++) {
		unsigned char want = (i + 1) & 0xff;

		for (j = 0; j < psz; j++)
			if (p[i * psz + j] != want)
				fail("page %zu, byte %zu is %02x, expected %02x",
				     i, j, p[i * psz + j], want);
		say("page %2zu: %02x %02x %02x %02x %02x %02x %02x %02x ... (all %zu bytes %02x)",
		    i, p[i * psz], p[i * psz + 1], p[i * psz + 2],
		    p[i * psz + 3], p[i * psz + 4], p[i * psz + 5],
		    p[i * psz + 6], p[i * psz + 7], psz, want);
	}

	page = pages > 2 ? 2 : pages - 1;
	msg = p + page * psz;

	begin("write", "write a message into a page and read it back");
	memcpy(msg, message, sizeof(message));
	say("wrote to page %zu: \"%s\"", page, message);
	if (memcmp(msg, message, sizeof(message)))
		fail("page %zu does not hold the message", page);
	say("read back:       \"%s\"", (char *)msg);

	begin("zap", "ZAP the page with the ioctl, then touch it from a child");
	if (range_ioctl(fd, RUST_MISC_DEV_ZAP, msg, psz))
		fail("RUST_MISC_DEV_ZAP: %s", strerror(errno));
	say("RUST_MISC_DEV_ZAP {addr %p, len %zu} -> 0", (void *)msg, psz);
	status = touch_in_child(msg);
	if (WIFSIGNALED(status) && WTERMSIG(status) == SIGBUS) {
		/* It must come from the read of the zapped page, nothing else. */
		if (sigbus_addr != msg || sigbus_code != BUS_ADRERR)
			fail("child's SIGBUS at %p (si_code %d), expected zapped %p (BUS_ADRERR)",
			     sigbus_addr, sigbus_code, (void *)msg);
		say("child got SIGBUS at %p, as expected", sigbus_addr);
	} else if (WIFSIGNALED(status))
		fail("the child died of signal %d (%s), expected SIGBUS",
		     WTERMSIG(status), strsignal(WTERMSIG(status)));
	else
		fail("the child read the zapped page (exit status %d), expected SIGBUS",
		     WEXITSTATUS(status));

	begin("insert", "INSERT the page back with the ioctl");
	if (range_ioctl(fd, RUST_MISC_DEV_INSERT, msg, psz))
		fail("RUST_MISC_DEV_INSERT: %s", strerror(errno));
	say("RUST_MISC_DEV_INSERT {addr %p, len %zu} -> 0", (void *)msg, psz);
	if (memcmp(msg, message, sizeof(message)))
		fail("page %zu no longer holds the message (starts with %02x %02x %02x %02x)",
		     page, msg[0], msg[1], msg[2], msg[3]);
	say("page %zu holds \"%s\": the message survived", page, (char *)msg);

	begin("close", "close the file and unmap the buffer");
	if (close(fd))
		fail("close: %s", strerror(errno));
	if (munmap(p, pages * psz))
		fail("munmap: %s", strerror(errno));
	say("done");

	printf("demo: all steps passed\n");
	return 0;
}
