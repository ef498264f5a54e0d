// SPDX-License-Identifier: GPL-2.0
/*
 * Tests of the Rust Binder-style IPC sample (samples/rust/rust_ipc_buffer.rs):
 * the rules of its mapping, every errno of a send, blocking and polling
 * receives, frees, and messages between processes checked byte for byte.
 *
 * Every case runs in a process of its own; the senders and receivers of a
 * case are further children.
 *
 * Usage: rust_ipc_buffer_test [--pages N | --stress OPS | --fuzz SEED OPS]
 *   --pages N	the module's buffer_pages (default 256): the largest mapping.
 *   --stress OPS	senders and dying receivers at once (see run_stress()).
 *   --fuzz SEED OPS	random operations checked against a model (see run_fuzz()).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
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
#include <sys/wait.h>

#include <linux/rust_ipc_buffer.h>

#include "kselftest.h"
#include "rust_misc_device_names.h"

#define DEV_PATH	"/dev/rust-ipc-buffer"
#define PAGES_DEFAULT	256
#define CASE_TIMEOUT	60
#define FAIL		(-1)
#define MAX_MSG		(64 * 1024)

static size_t psz;
static size_t npages = PAGES_DEFAULT;
/* open_dev() opens with O_NONBLOCK. */
static bool nonblock;

/*
 * The checks of the cases: each is an expression, nonzero (and with a
 * diagnostic printed) if the check failed, for "if (CHECK(...)) return FAIL;".
 */
static int __printf(3, 4) check_(bool ok, int line, const char *fmt, ...)
{
	va_list ap;

	if (ok)
		return 0;
	ksft_print_msg("line %d: ", line);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	return FAIL;
}

#define CHECK(cond, ...) check_(!!(cond), __LINE__, __VA_ARGS__)

static int check_result_(long ret, int err, int want, int line, const char *call)
{
	if (want)
		return check_(ret == -1 && err == want, line, "%s: %ld (%s), want %s",
			      call, ret, errname(err), errname(want));
	return check_(ret == 0, line, "%s: %ld (%s), want 0", call, ret, errname(err));
}

/* A call that must fail with the errno @want, or succeed. */
#define CHECK_ERR(call, want) ({					\
	long __r;							\
	errno = 0;							\
	__r = (long)(call);						\
	check_result_(__r, errno, (want), __LINE__, #call);		\
})
#define CHECK_OK(call) CHECK_ERR(call, 0)

static int open_dev(void)
{
	int fd = open(DEV_PATH, O_RDWR | O_CLOEXEC | (nonblock ? O_NONBLOCK : 0));

	if (fd < 0)
		ksft_print_msg("open %s: %s\n", DEV_PATH, strerror(errno));
	return fd;
}

static __u32 get_id(int fd)
{
	__u32 id = 0;

	if (ioctl(fd, RUST_IPC_BUFFER_GET_ID, &id))
		ksft_print_msg("GET_ID: %s\n", strerror(errno));
	return id;
}

static void *map_buf(int fd, size_t pages)
{
	return mmap(NULL, pages * psz, PROT_READ, MAP_SHARED, fd, 0);
}

static int do_send(int fd, __u32 id, const void *data, __u32 len)
{
	struct rust_ipc_send s = { .id = id, .len = len,
				   .data = (__u64)(uintptr_t)data };

	return ioctl(fd, RUST_IPC_BUFFER_SEND, &s);
}

static int do_recv(int fd, struct rust_ipc_msg *m)
{
	return ioctl(fd, RUST_IPC_BUFFER_RECV, m);
}

static int do_free(int fd, __u64 offset)
{
	return ioctl(fd, RUST_IPC_BUFFER_FREE, &offset);
}

/*
 * Word @k of message @seq of sender @who: what the receiver checks, word by
 * word (a byte loop would be slow under TCG).  Words 0 says who sent it.
 */
static uint64_t pattern(unsigned int who, unsigned int seq, size_t k)
{
	if (!k)
		return (uint64_t)seq << 32 | who;
	return (seq * 0x9e3779b97f4a7c15ULL) ^ (who * 0xff51afd7ed558ccdULL) ^ k;
}

static void fill(unsigned char *buf, unsigned int who, unsigned int seq,
		 size_t len)
{
	size_t k;

	for (k = 0; k * 8 < len; k++) {
		uint64_t w = pattern(who, seq, k);

		memcpy(buf + k * 8, &w, len - k * 8 < 8 ? len - k * 8 : 8);
	}
}

static int check_msg(const unsigned char *p, unsigned int who,
		     unsigned int seq, size_t len)
{
	size_t k;

	for (k = 0; k * 8 < len; k++) {
		uint64_t w = pattern(who, seq, k);
		size_t n = len - k * 8 < 8 ? len - k * 8 : 8;

		if (memcmp(p + k * 8, &w, n)) {
			ksft_print_msg("message %u of sender %u, bytes %zu to %zu of %zu differ\n",
				       seq, who, k * 8, k * 8 + n, len);
			return FAIL;
		}
	}
	return 0;
}

static sigjmp_buf touch_env;

static void touch_handler(int sig)
{
	siglongjmp(touch_env, sig);
}

/*
 * The signal a load from @p raises, or 0.  In this process: a child would
 * not have the mapping (VM_DONTCOPY).
 */
static int touch_signal(const unsigned char *p)
{
	struct sigaction sa = { .sa_handler = touch_handler }, obus, osegv;
	int sig;

	sigaction(SIGBUS, &sa, &obus);
	sigaction(SIGSEGV, &sa, &osegv);
	sig = sigsetjmp(touch_env, 1);
	if (!sig)
		/* A load the compiler cannot drop. */
		(void)__atomic_load_n(p, __ATOMIC_RELAXED);
	sigaction(SIGBUS, &obus, NULL);
	sigaction(SIGSEGV, &osegv, NULL);
	return sig;
}

static int wait_ok(pid_t pid, const char *what)
{
	int status;

	if (waitpid(pid, &status, 0) != pid) {
		ksft_print_msg("waitpid %s: %s\n", what, strerror(errno));
		return FAIL;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFSIGNALED(status))
		ksft_print_msg("%s died of %s\n", what, signame(WTERMSIG(status)));
	else
		ksft_print_msg("%s exited %d\n", what, WEXITSTATUS(status));
	return FAIL;
}

/* Cases. */

static int test_ids_are_distinct(void)
{
	int a = open_dev(), b = open_dev();
	__u32 ia, ib;

	if (CHECK(a >= 0 && b >= 0, "open"))
		return FAIL;
	ia = get_id(a);
	ib = get_id(b);
	if (CHECK(ia && ib && ia != ib, "ids %u and %u", ia, ib))
		return FAIL;
	if (CHECK(get_id(a) == ia, "the id of a file changed"))
		return FAIL;
	return 0;
}

static int test_mmap_rules(void)
{
	int fd = open_dev();
	void *p;

	if (CHECK(fd >= 0, "open"))
		return FAIL;
	if (CHECK_ERR(mmap(NULL, psz, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0), EPERM))
		return FAIL;
	if (CHECK_ERR(mmap(NULL, psz, PROT_WRITE, MAP_SHARED, fd, 0), EPERM))
		return FAIL;
	if (CHECK_ERR(mmap(NULL, psz, PROT_READ | PROT_EXEC, MAP_SHARED, fd, 0), EINVAL))
		return FAIL;
	if (CHECK_ERR(mmap(NULL, (npages + 1) * psz, PROT_READ, MAP_SHARED, fd, 0), EINVAL))
		return FAIL;
	if (CHECK_ERR(mmap(NULL, psz, PROT_READ, MAP_SHARED, fd, psz), EINVAL))
		return FAIL;
	/* None of those took the channel's one mapping. */
	p = map_buf(fd, npages);
	if (CHECK(p != MAP_FAILED, "mmap of %zu pages: %s", npages, strerror(errno)))
		return FAIL;
	if (CHECK_ERR(mmap(NULL, psz, PROT_READ, MAP_SHARED, fd, 0), EBUSY))
		return FAIL;
	if (CHECK_ERR(mprotect(p, psz, PROT_READ | PROT_WRITE), EACCES))
		return FAIL;
	if (CHECK_ERR(mprotect(p, psz, PROT_READ | PROT_EXEC), EACCES))
		return FAIL;
	if (CHECK_OK(munmap(p, npages * psz)))
		return FAIL;
	/* One mapping per channel, for good. */
	if (CHECK_ERR(mmap(NULL, psz, PROT_READ, MAP_SHARED, fd, 0), EBUSY))
		return FAIL;
	return 0;
}

static int test_no_page_at_mmap(void)
{
	int fd = open_dev(), sig;
	unsigned char *p;

	if (CHECK(fd >= 0, "open"))
		return FAIL;
	p = map_buf(fd, 4);
	if (CHECK(p != MAP_FAILED, "mmap: %s", strerror(errno)))
		return FAIL;
	sig = touch_signal(p + psz);
	if (CHECK(sig == SIGBUS, "touching a page with no message: %s, want SIGBUS",
		  sig ? signame(sig) : "no signal"))
		return FAIL;
	return 0;
}

static int test_send_recv_free(void)
{
	int rx = open_dev(), tx = open_dev(), sig;
	struct rust_ipc_msg m = { 99, 99 };
	static const char hello[] = "hello, receiver";
	unsigned char *p;
	size_t i;

	if (CHECK(rx >= 0 && tx >= 0, "open"))
		return FAIL;
	p = map_buf(rx, 8);
	if (CHECK(p != MAP_FAILED, "mmap: %s", strerror(errno)))
		return FAIL;
	if (CHECK_OK(do_send(tx, get_id(rx), hello, sizeof(hello))))
		return FAIL;
	if (CHECK_OK(do_recv(rx, &m)))
		return FAIL;
	if (CHECK(m.offset == 0 && m.len == sizeof(hello), "message at %llu, %llu bytes",
		  (unsigned long long)m.offset, (unsigned long long)m.len))
		return FAIL;
	if (CHECK(!memcmp(p, hello, sizeof(hello)), "the receiver's mapping holds '%.16s'", p))
		return FAIL;
	for (i = sizeof(hello); i < psz; i++)
		if (CHECK(!p[i], "byte %zu past the message: %#x, want 0", i, p[i]))
			return FAIL;
	/* A send to itself works too: any open file is a sender. */
	if (CHECK_OK(do_send(rx, get_id(rx), hello, 1)))
		return FAIL;
	if (CHECK_OK(do_recv(rx, &m)))
		return FAIL;
	if (CHECK(m.offset == psz && m.len == 1, "second message at %llu, %llu bytes",
		  (unsigned long long)m.offset, (unsigned long long)m.len))
		return FAIL;
	if (CHECK_OK(do_free(rx, 0)))
		return FAIL;
	sig = touch_signal(p);
	if (CHECK(sig == SIGBUS, "touching a freed message: %s, want SIGBUS",
		  sig ? signame(sig) : "no signal"))
		return FAIL;
	if (CHECK(p[psz] == 'h', "the other message is still there"))
		return FAIL;
	if (CHECK_ERR(do_free(rx, 0), EINVAL))
		return FAIL;
	if (CHECK_ERR(do_free(rx, 3 * psz), EINVAL))
		return FAIL;
	if (CHECK_ERR(do_free(rx, 1), EINVAL))
		return FAIL;
	/* The freed space is used again. */
	if (CHECK_OK(do_send(tx, get_id(rx), "x", 1)))
		return FAIL;
	if (CHECK_OK(do_recv(rx, &m)))
		return FAIL;
	if (CHECK(m.offset == 0 && p[0] == 'x', "reused at %llu",
		  (unsigned long long)m.offset))
		return FAIL;
	return 0;
}

static int test_send_errors(void)
{
	int rx = open_dev(), tx = open_dev(), other = open_dev();
	static unsigned char big[MAX_MSG];
	struct rust_ipc_msg m;
	int closed;
	__u32 id, gone;

	if (CHECK(rx >= 0 && tx >= 0 && other >= 0, "open"))
		return FAIL;
	id = get_id(rx);
	closed = open_dev();
	gone = get_id(closed);
	close(closed);
	if (CHECK_ERR(do_send(tx, gone, "x", 1), ENOENT))
		return FAIL;
	if (CHECK_ERR(do_send(tx, 0, "x", 1), ENOENT))
		return FAIL;
	/* No mapping yet. */
	if (CHECK_ERR(do_send(tx, id, "x", 1), ESRCH))
		return FAIL;
	if (CHECK(map_buf(rx, 4) != MAP_FAILED, "mmap: %s", strerror(errno)))
		return FAIL;
	if (CHECK_ERR(do_send(tx, id, "x", 0), EINVAL))
		return FAIL;
	if (CHECK_ERR(do_send(tx, id, big, 4 * psz + 1), EINVAL))
		return FAIL;
	if (CHECK_ERR(do_send(tx, id, NULL, 1), EFAULT))
		return FAIL;
	if (CHECK_ERR(do_send(tx, id, (void *)-4096L, 16), EFAULT))
		return FAIL;
	/* A pointer that faults half way, in the third page. */
	{
		unsigned char *two = mmap(NULL, 3 * psz, PROT_READ | PROT_WRITE,
					  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (CHECK(two != MAP_FAILED, "mmap anon"))
			return FAIL;
		if (CHECK_OK(munmap(two + 2 * psz, psz)))
			return FAIL;
		if (CHECK_ERR(do_send(tx, id, two, 3 * psz), EFAULT))
			return FAIL;
	}
	if (CHECK_ERR(ioctl(tx, RUST_IPC_BUFFER_SEND, NULL), EFAULT))
		return FAIL;
	if (CHECK_ERR(ioctl(tx, RUST_IPC_BUFFER_GET_ID, NULL), EFAULT))
		return FAIL;
	if (CHECK_ERR(ioctl(tx, RUST_IPC_BUFFER_FREE, NULL), EFAULT))
		return FAIL;
	/* Nothing of those is queued, and all the space is free. */
	if (CHECK_OK(fcntl(rx, F_SETFL, O_NONBLOCK)))
		return FAIL;
	if (CHECK_ERR(do_recv(rx, &m), EAGAIN))
		return FAIL;
	if (CHECK_OK(do_send(tx, id, big, 4 * psz)))
		return FAIL;
	if (CHECK_OK(do_recv(rx, &m)))
		return FAIL;
	if (CHECK(m.offset == 0 && m.len == 4 * psz, "the whole buffer at %llu",
		  (unsigned long long)m.offset))
		return FAIL;
	/* A bad pointer for the result: the message stays queued. */
	if (CHECK_OK(do_free(rx, 0)))
		return FAIL;
	if (CHECK_OK(do_send(tx, id, "y", 1)))
		return FAIL;
	if (CHECK_ERR(do_recv(rx, NULL), EFAULT))
		return FAIL;
	if (CHECK_OK(do_recv(rx, &m)))
		return FAIL;
	if (CHECK(m.offset == 0 && m.len == 1, "after EFAULT: %llu, %llu",
		  (unsigned long long)m.offset, (unsigned long long)m.len))
		return FAIL;
	if (CHECK_ERR(ioctl(rx, _IO('|', 0x9f)), ENOTTY))
		return FAIL;
	return 0;
}

static int test_enospc_then_recovery(void)
{
	int rx = open_dev(), tx = open_dev();
	struct rust_ipc_msg m[8];
	unsigned char buf[2 * 4096];
	__u32 id;
	int i;

	if (CHECK(rx >= 0 && tx >= 0, "open"))
		return FAIL;
	if (CHECK(psz <= 4096, "page size %zu", psz))
		return FAIL;
	id = get_id(rx);
	if (CHECK(map_buf(rx, 8) != MAP_FAILED, "mmap: %s", strerror(errno)))
		return FAIL;
	memset(buf, 'a', sizeof(buf));
	/* Four messages of two pages (the second one byte long) fill it. */
	for (i = 0; i < 4; i++)
		if (CHECK_OK(do_send(tx, id, buf, psz + 1)))
			return FAIL;
	if (CHECK_ERR(do_send(tx, id, buf, 1), ENOSPC))
		return FAIL;
	for (i = 0; i < 4; i++)
		if (CHECK_OK(do_recv(rx, &m[i])))
			return FAIL;
	if (CHECK_ERR(do_send(tx, id, buf, 1), ENOSPC))
		return FAIL;
	/* Free the second: two pages, for a message of two or two of one. */
	if (CHECK_OK(do_free(rx, m[1].offset)))
		return FAIL;
	if (CHECK_ERR(do_send(tx, id, buf, 2 * psz + 1), ENOSPC))
		return FAIL;
	if (CHECK_OK(do_send(tx, id, buf, 1)))
		return FAIL;
	if (CHECK_OK(do_send(tx, id, buf, 1)))
		return FAIL;
	if (CHECK_ERR(do_send(tx, id, buf, 1), ENOSPC))
		return FAIL;
	if (CHECK_OK(do_recv(rx, &m[4])))
		return FAIL;
	if (CHECK_OK(do_recv(rx, &m[5])))
		return FAIL;
	if (CHECK(m[4].offset == 2 * psz && m[5].offset == 3 * psz,
		  "reused at %llu and %llu", (unsigned long long)m[4].offset,
		  (unsigned long long)m[5].offset))
		return FAIL;
	return 0;
}

static void on_signal(int sig)
{
	(void)sig;
}

static int test_recv_blocks_and_eintr(void)
{
	int rx = open_dev(), tx = open_dev();
	struct sigaction sa = { .sa_handler = on_signal };	/* no SA_RESTART */
	struct rust_ipc_msg m;
	pid_t pid;
	__u32 id;

	if (CHECK(rx >= 0 && tx >= 0, "open"))
		return FAIL;
	id = get_id(rx);
	if (CHECK(map_buf(rx, 4) != MAP_FAILED, "mmap: %s", strerror(errno)))
		return FAIL;
	if (CHECK_OK(sigaction(SIGUSR1, &sa, NULL)))
		return FAIL;

	/* A signal ends a blocked receive with EINTR. */
	fflush(stdout);
	pid = fork();
	if (!pid) {
		alarm(10);
		errno = 0;
		_exit(do_recv(rx, &m) == -1 && errno == EINTR ? 0 : 1);
	}
	usleep(200000);
	kill(pid, SIGUSR1);
	if (CHECK(!wait_ok(pid, "receiver interrupted"), "RECV did not end with EINTR"))
		return FAIL;

	/* A blocked receive gets the message sent later. */
	fflush(stdout);
	pid = fork();
	if (!pid) {
		alarm(10);
		if (do_recv(rx, &m) || m.len != 5)
			_exit(1);
		_exit(0);
	}
	usleep(200000);
	if (CHECK_OK(do_send(tx, id, "later", 5)))
		return FAIL;
	if (CHECK(!wait_ok(pid, "blocked receiver"), "RECV did not return the message"))
		return FAIL;
	return 0;
}

static int test_poll(void)
{
	int rx = open_dev(), tx = open_dev();
	struct pollfd pfd = { .events = POLLIN };
	struct rust_ipc_msg m;
	pid_t pid;
	__u32 id;

	if (CHECK(rx >= 0 && tx >= 0, "open"))
		return FAIL;
	id = get_id(rx);
	pfd.fd = rx;
	if (CHECK(map_buf(rx, 4) != MAP_FAILED, "mmap: %s", strerror(errno)))
		return FAIL;
	if (CHECK(poll(&pfd, 1, 0) == 0, "poll of an empty channel: revents %#x", pfd.revents))
		return FAIL;
	/* A poll that waits is woken by the send. */
	fflush(stdout);
	pid = fork();
	if (!pid) {
		usleep(200000);
		_exit(do_send(tx, id, "p", 1) ? 1 : 0);
	}
	if (CHECK(poll(&pfd, 1, 5000) == 1 && (pfd.revents & POLLIN),
		  "poll: revents %#x, want POLLIN", pfd.revents))
		return FAIL;
	if (CHECK(!wait_ok(pid, "sender"), "send"))
		return FAIL;
	if (CHECK_OK(do_recv(rx, &m)))
		return FAIL;
	if (CHECK(poll(&pfd, 1, 0) == 0, "poll once received: revents %#x", pfd.revents))
		return FAIL;
	return 0;
}

/*
 * The receiver unmaps, and something else is mapped at the address: the
 * send is ESRCH and that memory is untouched.  Then the same with a mapping
 * of another channel, and with the buffer moved by mremap().
 */
static int test_foreign_mapping(void)
{
	int rx = open_dev(), tx = open_dev(), other = open_dev();
	unsigned char *p, *q;
	size_t i;
	__u32 id;

	if (CHECK(rx >= 0 && tx >= 0 && other >= 0, "open"))
		return FAIL;
	id = get_id(rx);
	p = map_buf(rx, 4);
	if (CHECK(p != MAP_FAILED, "mmap: %s", strerror(errno)))
		return FAIL;
	if (CHECK_OK(munmap(p, 4 * psz)))
		return FAIL;
	q = mmap(p, 4 * psz, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	if (CHECK(q == p, "anonymous memory at %p: %p", p, q))
		return FAIL;
	memset(q, 0x5a, 4 * psz);
	if (CHECK_ERR(do_send(tx, id, "intruder", 8), ESRCH))
		return FAIL;
	for (i = 0; i < 4 * psz; i++)
		if (CHECK(q[i] == 0x5a, "anonymous byte %zu: %#x", i, q[i]))
			return FAIL;
	if (CHECK_OK(munmap(q, 4 * psz)))
		return FAIL;

	/* Another channel's buffer at the same address. */
	q = mmap(p, 4 * psz, PROT_READ, MAP_SHARED | MAP_FIXED, other, 0);
	if (CHECK(q == p, "other channel's mapping at %p: %p", p, q))
		return FAIL;
	if (CHECK_ERR(do_send(tx, id, "intruder", 8), ESRCH))
		return FAIL;
	if (CHECK(touch_signal(q) == SIGBUS, "the other channel got a page"))
		return FAIL;
	return 0;
}

/*
 * The mapping stays where it was made: mremap() cannot move it (the driver
 * finds the pages of its messages there) and madvise(MADV_DOFORK) cannot
 * let a child share them.
 */
static int test_mapping_stays_put(void)
{
	int rx = open_dev(), tx = open_dev();
	struct rust_ipc_msg m;
	unsigned char *p, *far;
	__u32 id;

	if (CHECK(rx >= 0 && tx >= 0, "open"))
		return FAIL;
	id = get_id(rx);
	p = map_buf(rx, 4);
	if (CHECK(p != MAP_FAILED, "mmap: %s", strerror(errno)))
		return FAIL;
	far = p + 16 * psz;
	if (CHECK_OK(do_send(tx, id, "before", 6)))
		return FAIL;
	if (CHECK_ERR(mremap(p, 4 * psz, 4 * psz, MREMAP_MAYMOVE | MREMAP_FIXED, far), EINVAL))
		return FAIL;
	if (CHECK_ERR(mremap(p + psz, psz, psz, MREMAP_MAYMOVE | MREMAP_FIXED, far), EINVAL))
		return FAIL;
	if (CHECK_ERR(mremap(p, 4 * psz, 8 * psz, MREMAP_MAYMOVE), EFAULT))
		return FAIL;
	if (CHECK_ERR(madvise(p, 4 * psz, MADV_DOFORK), EINVAL))
		return FAIL;
	if (CHECK_OK(do_recv(rx, &m)))
		return FAIL;
	if (CHECK(m.offset == 0 && !memcmp(p, "before", 6), "the message after the refused moves"))
		return FAIL;
	if (CHECK_OK(do_send(tx, id, "after", 5)))
		return FAIL;
	if (CHECK_OK(do_recv(rx, &m)))
		return FAIL;
	if (CHECK(m.offset == psz && !memcmp(p + psz, "after", 5),
		  "a message after the refused moves"))
		return FAIL;
	if (CHECK(touch_signal(far) == SIGSEGV, "something was mapped at the target"))
		return FAIL;
	return 0;
}

/* The receiver's process is gone, its file still open elsewhere: ESRCH. */
static int test_receiver_process_gone(void)
{
	int rx = open_dev(), tx = open_dev();
	pid_t pid;
	__u32 id;

	if (CHECK(rx >= 0 && tx >= 0, "open"))
		return FAIL;
	id = get_id(rx);
	fflush(stdout);
	pid = fork();
	if (!pid)
		_exit(map_buf(rx, 4) == MAP_FAILED);
	if (CHECK(!wait_ok(pid, "mapping child"), "the child's mmap"))
		return FAIL;
	if (CHECK_ERR(do_send(tx, id, "x", 1), ESRCH))
		return FAIL;
	/* Its mapping was the channel's one. */
	if (CHECK_ERR(mmap(NULL, psz, PROT_READ, MAP_SHARED, rx, 0), EBUSY))
		return FAIL;
	return 0;
}

/* Two processes, @count messages of random sizes, checked byte for byte. */
static int stream(unsigned int senders, unsigned int count, unsigned int seed)
{
	unsigned int next[8] = { 0 }, got = 0, w;
	int rx = open_dev(), tx;
	pid_t pids[8];
	__u32 id;
	unsigned char *p;

	if (CHECK(rx >= 0, "open"))
		return FAIL;
	id = get_id(rx);
	p = map_buf(rx, npages);
	if (CHECK(p != MAP_FAILED, "mmap: %s", strerror(errno)))
		return FAIL;

	for (w = 0; w < senders; w++) {
		fflush(stdout);
		pids[w] = fork();
		if (!pids[w]) {
			static unsigned char buf[MAX_MSG];
			unsigned int seq, r = seed + w * 7919;

			tx = open_dev();
			if (tx < 0)
				_exit(1);
			for (seq = 0; seq < count; seq++) {
				size_t len = 1 + rand_r(&r) % MAX_MSG;

				/* Several senders: the receiver must see who. */
				if (senders > 1 && len < 8)
					len = 8;

				fill(buf, w, seq, len);
				while (do_send(tx, id, buf, len)) {
					if (errno != ENOSPC) {
						ksft_print_msg("sender %u, message %u: %s\n",
							       w, seq, errname(errno));
						_exit(1);
					}
					usleep(100);
				}
			}
			_exit(0);
		}
		if (CHECK(pids[w] > 0, "fork"))
			return FAIL;
	}

	while (got < senders * count) {
		struct rust_ipc_msg m;
		unsigned int who = 0, seq = 0;

		if (CHECK_OK(do_recv(rx, &m)))
			return FAIL;
		if (CHECK(m.len && m.len <= MAX_MSG && m.offset % psz == 0 &&
			  m.offset + m.len <= npages * psz, "message at %llu, %llu bytes",
			  (unsigned long long)m.offset, (unsigned long long)m.len))
			return FAIL;
		if (m.len >= 8) {
			memcpy(&who, p + m.offset, 4);
			memcpy(&seq, p + m.offset + 4, 4);
			if (CHECK(who < senders && seq == next[who],
				  "message %u of sender %u, want %u (in order)", seq, who,
				  who < senders ? next[who] : 0))
				return FAIL;
		} else {
			/* Short: only one sender can have sent it in a run of one. */
			if (CHECK(senders == 1, "a short message from one of several senders"))
				return FAIL;
			seq = next[0];
		}
		if (check_msg(p + m.offset, who, seq, m.len))
			return FAIL;
		next[who]++;
		got++;
		if (CHECK_OK(do_free(rx, m.offset)))
			return FAIL;
	}
	for (w = 0; w < senders; w++)
		if (CHECK(!wait_ok(pids[w], "sender"), "sender %u", w))
			return FAIL;
	ksft_print_msg("%u messages from %u sender(s) checked\n", got, senders);
	return 0;
}

static int test_two_processes_10000(void)
{
	return stream(1, 10000, 12345);
}

static int test_four_senders(void)
{
	return stream(4, 1000, 777);
}

/*
 * The receiver exits mid-stream, with unread messages, senders still
 * sending: they get ENOENT once its file is gone, or ESRCH or ENOSPC just
 * before, never anything else.
 */
static int test_receiver_exits_midstream(void)
{
	int pipefd[2], tx = open_dev();
	unsigned char buf[3 * 4096];
	unsigned int sent = 0;
	pid_t pid;
	__u32 id;

	if (CHECK(tx >= 0, "open"))
		return FAIL;
	if (CHECK_OK(pipe(pipefd)))
		return FAIL;
	fflush(stdout);
	pid = fork();
	if (!pid) {
		struct rust_ipc_msg m;
		int rx = open_dev(), i;

		if (rx < 0 || map_buf(rx, 16) == MAP_FAILED)
			_exit(1);
		id = get_id(rx);
		if (write(pipefd[1], &id, sizeof(id)) != sizeof(id))
			_exit(1);
		/* Take three, free one, and go. */
		for (i = 0; i < 3; i++)
			if (do_recv(rx, &m))
				_exit(1);
		do_free(rx, m.offset);
		_exit(0);
	}
	if (CHECK(read(pipefd[0], &id, sizeof(id)) == sizeof(id), "the receiver's id"))
		return FAIL;
	memset(buf, 'm', sizeof(buf));
	for (;;) {
		if (!do_send(tx, id, buf, sizeof(buf))) {
			sent++;
			continue;
		}
		if (errno == ENOSPC) {
			usleep(100);
			continue;
		}
		if (errno == ENOENT)
			break;
		if (CHECK(errno == ESRCH, "send to an exiting receiver: %s", errname(errno)))
			return FAIL;
	}
	if (CHECK(!wait_ok(pid, "receiver"), "the receiver"))
		return FAIL;
	if (CHECK(sent >= 3, "only %u messages sent", sent))
		return FAIL;
	if (CHECK_ERR(do_send(tx, id, buf, 1), ENOENT))
		return FAIL;
	return 0;
}

/*
 * --stress: 4 sender processes send messages of random sizes to 2 receiver
 * slots whose receivers keep exiting (with messages unread) and being
 * replaced, for @ops sends each.  A send may only succeed or fail with
 * ENOSPC, ESRCH or ENOENT; every message received is checked byte for byte.
 */
#define STRESS_SLOTS	2
#define STRESS_SENDERS	4

struct stress_shared {
	/* Read and written with __atomic builtins: they are shared between processes. */
	__u32 ids[STRESS_SLOTS];
	int stop;
};

static int stress_receiver(struct stress_shared *sh, int slot, unsigned int seed)
{
	unsigned int r = seed, want = 1 + rand_r(&r) % 200, got = 0;
	int rx = open_dev();
	unsigned char *p;

	if (rx < 0)
		return FAIL;
	p = map_buf(rx, 64);
	if (CHECK(p != MAP_FAILED, "mmap: %s", strerror(errno)))
		return FAIL;
	__atomic_store_n(&sh->ids[slot], get_id(rx), __ATOMIC_RELAXED);
	while (got < want && !__atomic_load_n(&sh->stop, __ATOMIC_RELAXED)) {
		struct rust_ipc_msg m;
		unsigned int who, seq;

		if (do_recv(rx, &m)) {
			if (CHECK(errno == EAGAIN, "RECV: %s", errname(errno)))
				return FAIL;
			usleep(200);
			continue;
		}
		memcpy(&who, p + m.offset, 4);
		memcpy(&seq, p + m.offset + 4, 4);
		if (CHECK(who < STRESS_SENDERS, "message from sender %u", who))
			return FAIL;
		if (check_msg(p + m.offset, who, seq, m.len))
			return FAIL;
		/* Leave some unfreed, and the last few unread. */
		if (rand_r(&r) % 4)
			if (CHECK_OK(do_free(rx, m.offset)))
				return FAIL;
		got++;
	}
	return 0;
}

static int run_stress(unsigned int ops)
{
	struct stress_shared *sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
					MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	pid_t senders[STRESS_SENDERS], slots[STRESS_SLOTS];
	unsigned int w, gen = 0, live;
	int status;

	if (CHECK(sh != MAP_FAILED, "mmap shared"))
		return FAIL;
	for (w = 0; w < STRESS_SLOTS; w++) {
		fflush(stdout);
		slots[w] = fork();
		if (!slots[w]) {
			/* Receivers for this slot, one after the other. */
			while (!__atomic_load_n(&sh->stop, __ATOMIC_RELAXED)) {
				pid_t pid = fork();

				if (!pid) {
					nonblock = true;
					_exit(stress_receiver(sh, w, w * 1000 + gen) ? 1 : 0);
				}
				if (wait_ok(pid, "receiver"))
					_exit(1);
				gen++;
			}
			_exit(0);
		}
	}
	for (w = 0; w < STRESS_SENDERS; w++) {
		fflush(stdout);
		senders[w] = fork();
		if (!senders[w]) {
			static unsigned char buf[16384];
			unsigned int r = 4242 + w, seq;
			int tx = open_dev();

			for (seq = 0; seq < ops; seq++) {
				size_t len = 8 + rand_r(&r) % (sizeof(buf) - 8);
				__u32 id = __atomic_load_n(&sh->ids[rand_r(&r) % STRESS_SLOTS],
							   __ATOMIC_RELAXED);

				fill(buf, w, seq, len);
				if (!do_send(tx, id, buf, len))
					continue;
				if (errno != ENOSPC && errno != ESRCH && errno != ENOENT) {
					ksft_print_msg("sender %u: %s\n", w, errname(errno));
					_exit(1);
				}
			}
			_exit(0);
		}
	}
	live = 0;
	for (w = 0; w < STRESS_SENDERS; w++)
		live += !wait_ok(senders[w], "sender");
	__atomic_store_n(&sh->stop, 1, __ATOMIC_RELAXED);
	for (w = 0; w < STRESS_SLOTS; w++)
		live += !wait_ok(slots[w], "receiver slot");
	(void)status;
	if (CHECK(live == STRESS_SENDERS + STRESS_SLOTS, "a sender or receiver failed"))
		return FAIL;
	ksft_print_msg("ipc stress: %u senders x %u sends, %u receiver slots\n",
		       STRESS_SENDERS, ops, STRESS_SLOTS);
	return 0;
}

/*
 * --fuzz SEED OPS: random operations on up to 4 channels of this process
 * (open, close, mmap with random lengths, offsets and protections, munmap,
 * mprotect, sends of random lengths from good and bad pointers to open,
 * closed and unknown ids, receives, frees of good and bad offsets, poll),
 * each result checked against a model of the channels, their queues and
 * their first-fit buffer space; received bytes are checked too.
 */
#define FUZZ_FILES	4
#define FUZZ_MSGS	512

struct fuzz_msg {
	size_t first, count, len;
	unsigned int seq;
};

struct fuzz_chan {
	int fd;			/* -1: slot free */
	__u32 id;
	bool ever_mapped;	/* the channel's one mapping was made */
	unsigned char *map;	/* NULL once unmapped */
	size_t pages;		/* of its mapping */
	int prot;
	struct fuzz_msg queue[FUZZ_MSGS], received[FUZZ_MSGS];
	int nqueue, nreceived;
};

static struct fuzz_chan chans[FUZZ_FILES];
static __u32 closed_ids[16];
static unsigned int nclosed, fuzz_seq;

/* The model of the allocator: the first gap of @count pages, or -1. */
static long model_alloc(struct fuzz_chan *c, size_t count)
{
	size_t first = 0;
	bool moved = true;
	int i;

	/* Ranges are not kept sorted here: look for a gap the slow way. */
	while (moved) {
		moved = false;
		for (i = 0; i < c->nqueue + c->nreceived; i++) {
			struct fuzz_msg *m = i < c->nqueue ? &c->queue[i] :
					     &c->received[i - c->nqueue];

			if (m->first < first + count && first < m->first + m->count) {
				first = m->first + m->count;
				moved = true;
			}
		}
	}
	return first + count <= c->pages ? (long)first : -1;
}

static int fuzz_expect(long ret, int want, const char *what, unsigned int op)
{
	int err = ret == -1 ? errno : 0;

	if (err == want)
		return 0;
	ksft_print_msg("op %u: %s: %s, the model says %s\n", op, what, errname(err),
		       errname(want));
	return FAIL;
}

static int run_fuzz(unsigned int seed, unsigned int ops)
{
	static unsigned char buf[4 * 65536];
	unsigned int r = seed, op;
	unsigned char *hole;
	int i;

	hole = mmap(NULL, 2 * psz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (CHECK(hole != MAP_FAILED, "mmap"))
		return FAIL;
	if (CHECK_OK(munmap(hole + psz, psz)))
		return FAIL;
	for (i = 0; i < FUZZ_FILES; i++)
		chans[i].fd = -1;
	ksft_print_msg("ipc fuzz: seed %u, %u operations\n", seed, ops);

	for (op = 0; op < ops; op++) {
		struct fuzz_chan *c = &chans[rand_r(&r) % FUZZ_FILES];
		int want = 0;
		long ret;

		switch (rand_r(&r) % 10) {
		case 0:	/* open, or close */
			if (c->fd < 0) {
				c->fd = open(DEV_PATH, O_RDWR | O_NONBLOCK);
				if (CHECK(c->fd >= 0, "op %u: open: %s", op, strerror(errno)))
					return FAIL;
				c->id = get_id(c->fd);
				c->ever_mapped = false;
				c->map = NULL;
				c->nqueue = 0;
				c->nreceived = 0;
				break;
			}
			if (rand_r(&r) % 3)
				break;
			close(c->fd);
			if (c->map)
				munmap(c->map, c->pages * psz);
			closed_ids[nclosed++ % 16] = c->id;
			c->fd = -1;
			break;
		case 1: {	/* mmap */
			size_t pages = rand_r(&r) % (npages + 3);
			static const int prots[] = { PROT_READ, PROT_READ, PROT_NONE,
				PROT_READ | PROT_WRITE, PROT_WRITE, PROT_READ | PROT_EXEC };
			int prot = prots[rand_r(&r) % 6];
			off_t off = rand_r(&r) % 8 ? 0 : psz;
			void *p;

			if (c->fd < 0)
				break;
			if (!pages || off || pages > npages)
				want = EINVAL;
			else if (prot & PROT_WRITE)
				want = EPERM;
			else if (prot & PROT_EXEC)
				want = EINVAL;
			else if (c->ever_mapped)
				want = EBUSY;
			errno = 0;
			p = mmap(NULL, pages * psz, prot, MAP_SHARED, c->fd, off);
			if (fuzz_expect(p == MAP_FAILED ? -1 : 0, want, "mmap", op))
				return FAIL;
			if (p != MAP_FAILED) {
				c->ever_mapped = true;
				c->map = p;
				c->pages = pages;
				c->prot = prot;
			}
			break;
		}
		case 2:	/* munmap, or mprotect */
			if (c->fd < 0 || !c->map)
				break;
			if (rand_r(&r) % 2) {
				ret = mprotect(c->map, psz, PROT_READ | PROT_WRITE);
				if (fuzz_expect(ret, EACCES, "mprotect(PROT_WRITE)", op))
					return FAIL;
				break;
			}
			if (CHECK_OK(munmap(c->map, c->pages * psz)))
				return FAIL;
			c->map = NULL;
			break;
		case 3: case 4: case 5: {	/* send */
			struct fuzz_chan *t = &chans[rand_r(&r) % FUZZ_FILES];
			size_t len, k = rand_r(&r) % 16;
			const void *data = buf;
			__u32 id = t->id;
			long first = -1;
			bool bad = false;

			if (c->fd < 0)
				break;
			len = k == 0 ? 0 : k == 1 ? npages * psz + 1 :
			      k < 8 ? 1 + (size_t)rand_r(&r) % 64 : 1 + rand_r(&r) % (3 * psz);
			if (t->fd < 0 || rand_r(&r) % 16 == 0)
				id = 0;
			if ((t->fd < 0 || id != t->id) && nclosed && rand_r(&r) % 2)
				id = closed_ids[rand_r(&r) % (nclosed < 16 ? nclosed : 16)];
			if (rand_r(&r) % 16 == 0) {
				/* Faults: NULL, or runs into the unmapped page. */
				data = rand_r(&r) % 2 ? NULL : hole + psz - 1;
				bad = len > 1 || !data;
			}
			if (!len)
				want = EINVAL;
			else if (t->fd < 0 || id != t->id)
				want = ENOENT;
			else if (!t->ever_mapped)
				want = ESRCH;
			else if ((len + psz - 1) / psz > t->pages)
				want = EINVAL;
			else if (model_alloc(t, (len + psz - 1) / psz) < 0)
				want = ENOSPC;
			else if (bad)
				want = EFAULT;
			else if (!t->map)
				want = ESRCH;
			if (data == buf)
				fill(buf, 0, fuzz_seq, len < sizeof(buf) ? len : 0);
			else if (!bad)	/* the last byte before the hole */
				fill(hole + psz - 1, 0, fuzz_seq, 1);
			ret = do_send(c->fd, id, data, len);
			if (fuzz_expect(ret, want, "SEND", op))
				return FAIL;
			if (!ret) {
				struct fuzz_msg *m;

				first = model_alloc(t, (len + psz - 1) / psz);
				m = &t->queue[t->nqueue++];
				if (CHECK(t->nqueue < FUZZ_MSGS, "model queue full"))
					return FAIL;
				m->first = first;
				m->count = (len + psz - 1) / psz;
				m->len = len;
				m->seq = fuzz_seq;
			}
			fuzz_seq++;
			break;
		}
		case 6: case 7: {	/* receive */
			struct rust_ipc_msg m;

			if (c->fd < 0)
				break;
			ret = do_recv(c->fd, &m);
			if (fuzz_expect(ret, c->nqueue ? 0 : EAGAIN, "RECV", op))
				return FAIL;
			if (ret)
				break;
			if (CHECK(m.offset == c->queue[0].first * psz && m.len == c->queue[0].len,
				  "op %u: RECV: %llu at %llu, the model says %zu at %zu", op,
				  (unsigned long long)m.len, (unsigned long long)m.offset,
				  c->queue[0].len, c->queue[0].first * psz))
				return FAIL;
			if (c->map && (c->prot & PROT_READ) &&
			    check_msg(c->map + m.offset, 0, c->queue[0].seq, m.len))
				return FAIL;
			c->received[c->nreceived++] = c->queue[0];
			memmove(c->queue, c->queue + 1, --c->nqueue * sizeof(c->queue[0]));
			break;
		}
		case 8: {	/* free */
			__u64 off;
			int j = -1;

			if (c->fd < 0)
				break;
			if (c->nreceived && rand_r(&r) % 4) {
				j = rand_r(&r) % c->nreceived;
				off = c->received[j].first * psz;
			} else {
				off = (rand_r(&r) % 8) * psz + rand_r(&r) % 2;
				if (rand_r(&r) % 2)
					off = (__u64)-1;
				for (i = 0; i < c->nreceived; i++)
					if (c->received[i].first * psz == off)
						j = i;
			}
			ret = do_free(c->fd, off);
			if (fuzz_expect(ret, j < 0 ? EINVAL : 0, "FREE", op))
				return FAIL;
			if (j >= 0) {
				size_t first = c->received[j].first;

				c->received[j] = c->received[--c->nreceived];
				if (c->map && (c->prot & PROT_READ) && rand_r(&r) % 32 == 0) {
					int sig = touch_signal(c->map + first * psz);

					if (CHECK(sig == SIGBUS, "op %u: a freed message: %s", op,
						  sig ? signame(sig) : "no signal"))
						return FAIL;
				}
			}
			break;
		}
		case 9: {	/* poll */
			struct pollfd pfd = { .fd = c->fd, .events = POLLIN };

			if (c->fd < 0)
				break;
			ret = poll(&pfd, 1, 0);
			if (CHECK(ret == (c->nqueue ? 1 : 0), "op %u: poll: %ld, %d queued",
				  op, ret, c->nqueue))
				return FAIL;
			break;
		}
		}
	}
	for (i = 0; i < FUZZ_FILES; i++)
		if (chans[i].fd >= 0)
			close(chans[i].fd);
	ksft_print_msg("ipc fuzz: %u operations, %u sends, as the model says\n", ops, fuzz_seq);
	return 0;
}

struct test_case {
	const char *name;
	int (*fn)(void);
};

static const struct test_case cases[] = {
	{ "ipc_ids_are_distinct", test_ids_are_distinct },
	{ "ipc_mmap_rules", test_mmap_rules },
	{ "ipc_no_page_at_mmap", test_no_page_at_mmap },
	{ "ipc_send_recv_free", test_send_recv_free },
	{ "ipc_send_errors", test_send_errors },
	{ "ipc_enospc_then_recovery", test_enospc_then_recovery },
	{ "ipc_recv_blocks_and_eintr", test_recv_blocks_and_eintr },
	{ "ipc_poll", test_poll },
	{ "ipc_foreign_mapping", test_foreign_mapping },
	{ "ipc_mapping_stays_put", test_mapping_stays_put },
	{ "ipc_receiver_process_gone", test_receiver_process_gone },
	{ "ipc_two_processes_10000", test_two_processes_10000 },
	{ "ipc_four_senders", test_four_senders },
	{ "ipc_receiver_exits_midstream", test_receiver_exits_midstream },
};

static void run_case(const struct test_case *tc)
{
	int status;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		ksft_test_result_fail("%s\n", tc->name);
		return;
	}
	if (!pid) {
		alarm(CASE_TIMEOUT);
		_exit(tc->fn() ? KSFT_FAIL : KSFT_PASS);
	}
	if (waitpid(pid, &status, 0) != pid) {
		ksft_test_result_fail("%s\n", tc->name);
		return;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == KSFT_PASS) {
		ksft_test_result_pass("%s\n", tc->name);
		return;
	}
	if (WIFSIGNALED(status))
		ksft_print_msg("case process killed by %s\n", signame(WTERMSIG(status)));
	ksft_test_result_fail("%s\n", tc->name);
}

int main(int argc, char **argv)
{
	struct rlimit rl = { 0, 0 };
	int persona;
	size_t c;

	psz = sysconf(_SC_PAGESIZE);
	if (argc == 3 && !strcmp(argv[1], "--stress"))
		return run_stress(strtoul(argv[2], NULL, 10)) ? KSFT_FAIL : KSFT_PASS;
	if (argc == 4 && !strcmp(argv[1], "--fuzz"))
		return run_fuzz(strtoul(argv[2], NULL, 10), strtoul(argv[3], NULL, 10)) ?
		       KSFT_FAIL : KSFT_PASS;
	if (argc == 3 && !strcmp(argv[1], "--pages"))
		npages = strtoul(argv[2], NULL, 10);
	else if (argc != 1)
		ksft_exit_fail_msg("usage: %s [--pages N | --stress OPS | --fuzz SEED OPS]\n",
				   argv[0]);
	setrlimit(RLIMIT_CORE, &rl);
	persona = personality(0xffffffff);
	if (persona != -1 && (persona & READ_IMPLIES_EXEC))
		personality(persona & ~READ_IMPLIES_EXEC);

	ksft_print_header();
	if (access(DEV_PATH, F_OK))
		ksft_exit_fail_msg("%s: %s (CONFIG_SAMPLE_RUST_IPC_BUFFER)\n",
				   DEV_PATH, strerror(errno));
	ksft_print_msg("page size %zu, buffers of up to %zu pages\n", psz, npages);
	ksft_set_plan(ARRAY_SIZE(cases));
	for (c = 0; c < ARRAY_SIZE(cases); c++)
		run_case(&cases[c]);
	ksft_finished();
}
