// SPDX-License-Identifier: GPL-2.0
/*
 * Concurrent stress test of the Rust sample misc device
 * (samples/rust/rust_misc_device.rs).
 *
 * rust_misc_device_test checks each rule of the device once, in a single
 * thread.  This program checks that the rules still hold when many tasks
 * use the device at once, which is where the locking of the driver and of
 * the kernel::mm abstractions under it (the mmap lock, the per-VMA lock, the
 * file's pages, the lookup of the caller's VMA by ZAP and INSERT) is
 * exercised.  Two cases run at the same time:
 *
 *  1. "shared file, N threads": one process opens the device once and N
 *     threads work on that one file descriptor: same file, same mm.
 *  2. "separate files, N processes": N processes, each with its own file.
 *
 * Each worker does --ops operations picked at random: mmap (sometimes an
 * invalid one), writes into pages through its mappings, reads that verify
 * them, ZAP and INSERT of random ranges (fully zapped: 0, partly present:
 * EBUSY with exactly the pages before the first present one inserted,
 * crossing the hole of a partial munmap or the end of the mapping: EINVAL),
 * munmap of a whole mapping, of its head or tail or of a range in its
 * middle (which splits the VMA), mremap (a move to a reservation of the
 * worker's own, a shrink, and a grow that VM_DONTEXPAND makes fail with
 * EFAULT), fork (the child has the file but not the mapping, VM_DONTCOPY),
 * a mapping of a file of its own that outlives the close of its fd, and a
 * deliberate access to a zapped page that must raise SIGBUS at exactly that
 * address.
 *
 * Each worker keeps an exact model of its mappings: address, file page,
 * protection, and whether each page has a PTE (mincore() must agree after
 * every operation).  Every system call's result is checked against it:
 * return value, errno, signal.  In the shared file, worker t owns the
 * buffer pages p with p % N == t and only writes those; it checks the last
 * value it wrote to each of them on every read through any of its mappings,
 * so a write lost by a ZAP/INSERT, an mremap or a split shows.  Once all
 * threads are done, the whole shared buffer must hold each owner's last
 * values (the initial pattern where nothing was written).  A worker in its
 * own process owns all pages of its file.
 *
 * munmap(), mremap(), ZAP and INSERT are only ever issued on the worker's
 * own mappings (a range that crosses a hole or the end of a mapping starts
 * inside the worker's mapping, so it is EINVAL whatever follows it), so the
 * workers of the shared process cannot touch each other's memory.  Only a
 * worker alone in its mm also checks that what it unmapped is gone
 * (mincore() is ENOMEM, ZAP EINVAL), and may start a range in a hole.
 *
 * The first failure of a worker is printed with the operation, the
 * addresses, what was expected and what happened, and the worker's model;
 * the other workers of that case then stop.  A case that has not ended
 * after --timeout seconds fails, and its processes are killed.
 *
 * Usage: rust_misc_device_stress [--ops N] [--workers N] [--seed N]
 *				  [--pages N] [--timeout S]
 *   --ops N	 operations per worker (default 10000)
 *   --workers N threads of case 1 and processes of case 2 (default 4)
 *   --seed N	 seed of the random choices (default: from the time).
 *		 Worker w of case 1 uses seed + w, worker w of case 2 seed +
 *		 N + w: a failure repeats as far as it does not depend on how
 *		 the workers interleave.
 *   --pages N	 the buffer size, in pages, of the module (default 16)
 *   --timeout S seconds both cases together may take (default 200)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
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
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <linux/rust_misc_device.h>

#include "kselftest.h"
#include "rust_misc_device_names.h"

#define MAX_PAGES	64	/* largest --pages: a present bitmap is a u64 */
#define MAX_MAPS	8	/* live mappings of a worker */
#define MAX_WORKERS	64
#define DEFAULT_OPS	10000
#define DEFAULT_WORKERS	4
#define DEFAULT_TIMEOUT	200
/* Seconds a child of the fork operation may live. */
#define CHILD_TIMEOUT	30

#define FAIL		(-1)

enum { CASE_SHARED, CASE_SEPARATE, NR_CASES };

enum op {
	OP_MMAP, OP_WRITE, OP_READ, OP_ZAP, OP_INSERT, OP_MUNMAP, OP_MREMAP,
	OP_FORK, OP_CLOSE, OP_SIGBUS, NR_OPS
};

static const char * const op_names[NR_OPS] = {
	"mmap", "write", "read", "zap", "insert", "munmap", "mremap", "fork",
	"close", "sigbus",
};

/* How often each operation is picked, out of 100. */
static const unsigned int op_weights[NR_OPS] = {
	[OP_MMAP] = 14, [OP_WRITE] = 15, [OP_READ] = 18, [OP_ZAP] = 13,
	[OP_INSERT] = 15, [OP_MUNMAP] = 10, [OP_MREMAP] = 9, [OP_FORK] = 1,
	[OP_CLOSE] = 3, [OP_SIGBUS] = 2,
};

/* The outcomes counted inside the operations, to show each one happened. */
enum sub {
	SUB_MMAP_EINVAL, SUB_MPROTECT_EACCES, SUB_ZAP_HOLE, SUB_ZAP_END,
	SUB_INSERT_OK, SUB_INSERT_EBUSY, SUB_INSERT_HOLE, SUB_INSERT_END,
	SUB_MUNMAP_WHOLE, SUB_MUNMAP_SPLIT, SUB_MUNMAP_PART, SUB_MREMAP_MOVE,
	SUB_MREMAP_GROW, SUB_MREMAP_SHRINK, SUB_SIGBUS_WRITE, SUB_WRONG_FILE,
	NR_SUBS
};

static const char * const sub_names[NR_SUBS] = {
	"mmap EINVAL", "mprotect EACCES", "zap EINVAL (hole)",
	"zap EINVAL (past end)", "insert 0", "insert EBUSY",
	"insert EINVAL (hole)", "insert EINVAL (past end)", "munmap whole",
	"munmap split", "munmap head/tail", "mremap move",
	"mremap grow EFAULT", "mremap shrink", "sigbus on write",
	"other file EINVAL",
};

/* What a worker reports, in memory shared by all processes. */
struct result {
	unsigned long count[NR_OPS];
	unsigned long long ns[NR_OPS];
	unsigned long sub[NR_SUBS];
	unsigned long progress;		/* operations done */
	int cur_op;			/* the one running */
	int done;			/* the worker returned */
	int failed;
};

struct shared {
	int stop[NR_CASES];		/* a worker of the case failed */
	struct result res[NR_CASES][MAX_WORKERS];
};

/* One mapping of the device's file, as a worker's model has it. */
struct map {
	bool used;
	bool writable;
	char *addr;
	unsigned int n;			/* length in pages */
	unsigned int pgoff;		/* buffer page mapped at addr */
	uint64_t present;		/* bit i: page i has its PTE */
	unsigned int gen;		/* tells apart the users of a slot */
	/* After a split: the hole [hole_start, hole_end), the right piece. */
	int next;
	unsigned int next_gen;
	char *hole_start, *hole_end;
};

struct worker {
	int kase;
	int id;				/* in its case */
	int gid;			/* id + kase * N: its seed is seed + gid */
	int fd;
	int nown;			/* page p is ours if p % nown == id */
	int value;			/* what GET_VALUE gives on fd */
	bool alone;			/* no other thread in our mm */
	uint64_t rng;
	struct map maps[MAX_MAPS];
	unsigned int nmaps, gen;
	uint32_t val[MAX_PAGES];	/* last value written to an owned page */
	bool written[MAX_PAGES];
	struct result *res;
	unsigned long opno;
	int op;
	/*
	 * What the SIGBUS/SIGSEGV handler of our thread is told (probing,
	 * in_loop) and tells (sig, sig_code, sig_addr), with __atomic
	 * accesses and signal fences, as it runs in between.
	 */
	sigjmp_buf probe_jb, fatal_jb;
	int probing, in_loop;
	int sig, sig_code;
	void *sig_addr;
};

static size_t psz;
static unsigned int npages = RUST_MISC_DEV_PAGES_DEFAULT;
static unsigned long nops = DEFAULT_OPS;
static int nworkers = DEFAULT_WORKERS;
static unsigned long long seed;
static unsigned int timeout_s = DEFAULT_TIMEOUT;
static struct shared *shm;
static struct worker workers[MAX_WORKERS];
static char case_names[NR_CASES][64];

static __thread struct worker *cur;

/* Helpers: names and messages. */

static bool owns(const struct worker *w, unsigned int page)
{
	return (int)(page % w->nown) == w->id % w->nown;
}

/* Page @i of mapping @m, as "map 2 (0x7f..., its page 3 = file page 5)". */
static const char *where(const struct worker *w, const struct map *m,
			 unsigned int i)
{
	static __thread char buf[128];

	snprintf(buf, sizeof(buf),
		 "map %d (%p, its page %u = file page %u%s)",
		 (int)(m - w->maps), m->addr, i, m->pgoff + i,
		 w->nown > 1 && !owns(w, m->pgoff + i) ? ", not ours" : "");
	return buf;
}

/* Append the worker's model to the report in @buf, which holds @len bytes. */
static int dump_model(const struct worker *w, char *buf, int len, int size)
{
	char bits[MAX_PAGES + 1];
	unsigned int i, j;

	for (i = 0; i < MAX_MAPS && len < size; i++) {
		const struct map *m = &w->maps[i];

		if (!m->used)
			continue;
		for (j = 0; j < m->n; j++)
			bits[j] = m->present >> j & 1 ? 'P' : '-';
		bits[m->n] = '\0';
		len += snprintf(buf + len, size - len,
				"#   model: map %u: %p-%p, file pages %u-%u, %s, PTEs %s\n",
				i, m->addr, m->addr + m->n * psz, m->pgoff,
				m->pgoff + m->n - 1, m->writable ? "RW" : "R",
				bits);
	}
	return len;
}

/*
 * Report the first failure of a worker, with its model, and make the other
 * workers of its case stop.  The report is one write(), so that the reports
 * of workers in other processes do not cut into it.  Returns FAIL.
 */
static __printf(2, 3) int fail(struct worker *w, const char *fmt, ...)
{
	char buf[4096];
	va_list ap;
	int len;

	len = snprintf(buf, sizeof(buf), "# %s, worker %d, op %lu of %lu (%s): ",
		       case_names[w->kase], w->id, w->opno + 1, nops,
		       op_names[w->op]);
	va_start(ap, fmt);
	len += vsnprintf(buf + len, sizeof(buf) - len, fmt, ap);
	va_end(ap);
	if (len < (int)sizeof(buf))
		len += snprintf(buf + len, sizeof(buf) - len, "\n");
	len = dump_model(w, buf, len, sizeof(buf));
	if (len >= (int)sizeof(buf)) {
		len = sizeof(buf);
		buf[len - 1] = '\n';
	}
	fflush(stdout);
	if (write(STDOUT_FILENO, buf, len) < 0)
		perror("write");
	__atomic_store_n(&w->res->failed, 1, __ATOMIC_RELAXED);
	__atomic_store_n(&shm->stop[w->kase], 1, __ATOMIC_RELAXED);
	return FAIL;
}

/*
 * Check the outcome of a call: @failed tells whether it returned its error
 * value, @err is its errno, @want 0 if success was expected, else the errno
 * expected.
 */
static __printf(5, 6) int check(struct worker *w, bool failed, int err,
				int want, const char *fmt, ...)
{
	char what[256];
	va_list ap;

	if (failed ? err == want : !want)
		return 0;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return fail(w, "%s: expected %s, got %s", what, errname(want),
		    failed ? errname(err) : "success");
}

/* Helpers: randomness, time. */

static uint64_t rnd64(struct worker *w)
{
	uint64_t z = (w->rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* A number in [0, n). */
static unsigned int rnd(struct worker *w, unsigned int n)
{
	return n ? rnd64(w) % n : 0;
}

static unsigned long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* Helpers: page contents. */

/*
 * Word j of a page holds base + step * j: the initial pattern of buffer page
 * p is the byte (p + 1) & 0xff everywhere (step 0), a page we wrote value v
 * into holds v + j.
 */
static uint32_t pattern_word(unsigned int page)
{
	return ((page + 1) & 0xff) * 0x01010101U;
}

static void page_expect(const struct worker *w, unsigned int page,
			uint32_t *base, uint32_t *step)
{
	if (w->written[page]) {
		*base = w->val[page];
		*step = 1;
	} else {
		*base = pattern_word(page);
		*step = 0;
	}
}

/* A value to write: never a pattern word, so never the initial content. */
static uint32_t new_value(struct worker *w)
{
	uint32_t v = rnd64(w);

	if (v == (v & 0xff) * 0x01010101U)
		v ^= 0x100;
	return v;
}

static void fill_page(char *addr, uint32_t v)
{
	uint32_t *p = (uint32_t *)addr;
	size_t j;

	for (j = 0; j < psz / 4; j++)
		p[j] = v + j;
}

/* The first word of the page at @addr that is not base + step * j, or -1. */
static long mismatch(const char *addr, uint32_t base, uint32_t step,
		     uint32_t *got)
{
	const uint32_t *p = (const uint32_t *)addr;
	size_t j;

	for (j = 0; j < psz / 4; j++) {
		if (p[j] != base + step * j) {
			*got = p[j];
			return j;
		}
	}
	return -1;
}

/* Verify page @i of mapping @m, which must be present, against the model. */
static int verify_page(struct worker *w, const struct map *m, unsigned int i,
		       const char *what)
{
	uint32_t base, step, got;
	long j;

	page_expect(w, m->pgoff + i, &base, &step);
	j = mismatch(m->addr + i * psz, base, step, &got);
	if (j < 0)
		return 0;
	return fail(w, "%s: %s: word %ld is %#x, expected %#x (%s)", what,
		    where(w, m, i), j, got, base + step * (uint32_t)j,
		    w->written[m->pgoff + i] ? "the value we wrote last" :
		    "the initial pattern, we never wrote it");
}

/* Verify the present pages of @m that are ours, touch the others. */
static int verify_map(struct worker *w, const struct map *m, const char *what)
{
	unsigned int i;

	for (i = 0; i < m->n; i++) {
		if (!(m->present >> i & 1))
			continue;
		if (owns(w, m->pgoff + i)) {
			if (verify_page(w, m, i, what))
				return FAIL;
		} else {
			(void)__atomic_load_n(m->addr + i * psz + psz - 1,
					      __ATOMIC_RELAXED);
		}
	}
	return 0;
}

/* Helpers: the model of the mappings. */

static uint64_t bits(unsigned int from, unsigned int n)
{
	uint64_t b = n >= 64 ? ~0ULL : (1ULL << n) - 1;

	return b << from;
}

static struct map *new_map(struct worker *w)
{
	unsigned int i;

	for (i = 0; i < MAX_MAPS; i++) {
		struct map *m = &w->maps[i];

		if (!m->used) {
			memset(m, 0, sizeof(*m));
			m->used = true;
			m->gen = ++w->gen;
			m->next = -1;
			w->nmaps++;
			return m;
		}
	}
	return NULL;
}

static void drop_map(struct worker *w, struct map *m)
{
	m->used = false;
	w->nmaps--;
}

/* A random live mapping, or NULL. */
static struct map *any_map(struct worker *w)
{
	unsigned int i, k = 0;
	struct map *pick = NULL;

	for (i = 0; i < MAX_MAPS; i++)
		if (w->maps[i].used && !rnd(w, ++k))
			pick = &w->maps[i];
	return pick;
}

/* The right piece of the split @m, if both are still as the split left them. */
static struct map *hole_next(struct worker *w, struct map *m)
{
	struct map *r;

	if (m->next < 0)
		return NULL;
	r = &w->maps[m->next];
	if (!r->used || r->gen != m->next_gen || r->addr != m->hole_end ||
	    m->addr + m->n * psz != m->hole_start)
		return NULL;
	return r;
}

/*
 * A mapping for an EINVAL range: one whose split is still intact if there
 * is one (most of them are undone soon), else any.
 */
static struct map *bad_range_map(struct worker *w)
{
	unsigned int i, k = 0;
	struct map *pick = NULL;

	for (i = 0; i < MAX_MAPS; i++)
		if (w->maps[i].used && hole_next(w, &w->maps[i]) &&
		    !rnd(w, ++k))
			pick = &w->maps[i];
	return pick && rnd(w, 4) ? pick : any_map(w);
}

/* Check with mincore() that the PTEs of @m are as the model says. */
static int check_ptes(struct worker *w, const struct map *m, const char *what)
{
	unsigned char vec[MAX_PAGES];
	unsigned int i;

	if (mincore(m->addr, m->n * psz, vec))
		return fail(w, "%s: mincore(%p, %u pages) of map %d: %s", what,
			    m->addr, m->n, (int)(m - w->maps),
			    errname(errno));
	for (i = 0; i < m->n; i++) {
		bool want = m->present >> i & 1;

		if ((vec[i] & 1) != want)
			return fail(w, "%s: %s is %s, expected %s", what,
				    where(w, m, i),
				    vec[i] & 1 ? "present" : "not present",
				    want ? "present" : "not present (zapped)");
	}
	return 0;
}

static int check_all_ptes(struct worker *w, const char *what)
{
	unsigned int i;

	for (i = 0; i < MAX_MAPS; i++)
		if (w->maps[i].used && check_ptes(w, &w->maps[i], what))
			return FAIL;
	return 0;
}

/*
 * Only when we are alone in our mm, where nothing else can map there: check
 * that nothing is mapped at @addr, and that ZAP of it is EINVAL.
 */
static int check_gone(struct worker *w, char *addr, unsigned int n,
		      const char *what)
{
	struct rust_misc_dev_range r = { (uintptr_t)addr, n * psz };
	unsigned char vec[MAX_PAGES];
	int ret;

	if (!w->alone)
		return 0;
	ret = mincore(addr, n * psz, vec);
	if (check(w, ret, errno, ENOMEM, "mincore(%p, %u pages) %s", addr, n,
		  what))
		return FAIL;
	ret = ioctl(w->fd, RUST_MISC_DEV_ZAP, &r);
	return check(w, ret, errno, EINVAL, "ZAP {%p, %u pages} %s", addr, n,
		     what);
}

/* ZAP or INSERT on @n pages at @addr through @fd, expecting @want. */
static int range_ioctl(struct worker *w, int fd, unsigned long cmd, char *addr,
		       unsigned int n, int want, const char *what)
{
	struct rust_misc_dev_range r = { (uintptr_t)addr, n * psz };
	int ret = ioctl(fd, cmd, &r);
	int err = errno;

	if (ret != 0 && ret != -1)
		return fail(w, "%s {addr %p, len %u page%s} (%s): returned %d",
			    cmd == RUST_MISC_DEV_ZAP ? "ZAP" : "INSERT", addr,
			    n, n == 1 ? "" : "s", what, ret);
	return check(w, ret == -1, err, want, "%s {addr %p, len %u page%s} (%s)",
		     cmd == RUST_MISC_DEV_ZAP ? "ZAP" : "INSERT", addr, n,
		     n == 1 ? "" : "s", what);
}

/*
 * A range that is EINVAL: from a page of @m to past its end, either into
 * the right piece of its split (@hole, if there is one) or a few pages past
 * its end, whatever is there.  When alone, it may start in the hole.
 */
static void bad_range(struct worker *w, struct map *m, bool *hole,
		      char **addr, unsigned int *n)
{
	struct map *r = hole_next(w, m);
	char *end;

	*addr = m->addr + rnd(w, m->n) * psz;
	if (r) {
		char *mend = m->addr + m->n * psz;

		if (w->alone && !rnd(w, 3))
			*addr = mend + rnd(w, (m->hole_end - mend) / psz) * psz;
		end = r->addr + (1 + rnd(w, r->n)) * psz;
	} else {
		end = m->addr + (m->n + 1 + rnd(w, 3)) * psz;
	}
	*hole = r;
	*n = (end - *addr) / psz;
}

/* The operations.  Each returns 0, or FAIL once it has reported why. */

static int op_mmap(struct worker *w)
{
	unsigned int off, n, i;
	bool writable;
	struct map *m;
	int prot, ret;
	char *p;

	if (!rnd(w, 12)) {
		/* Past the end of the buffer, or private: EINVAL. */
		bool priv = rnd(w, 2);
		int flags = priv ? MAP_PRIVATE : MAP_SHARED;

		off = rnd(w, npages);
		n = priv ? 1 + rnd(w, npages - off) :
			npages - off + 1 + rnd(w, 2);
		p = mmap(NULL, n * psz, PROT_READ | PROT_WRITE, flags, w->fd,
			 off * psz);
		if (p != MAP_FAILED) {
			munmap(p, n * psz);
			return fail(w,
				    "mmap(%s, file pages %u-%u) of a %u-page buffer: expected EINVAL, got %p",
				    priv ? "MAP_PRIVATE" : "MAP_SHARED", off,
				    off + n - 1, npages, p);
		}
		w->res->sub[SUB_MMAP_EINVAL]++;
		return check(w, true, errno, EINVAL,
			     "mmap(%s, file pages %u-%u) of a %u-page buffer",
			     priv ? "MAP_PRIVATE" : "MAP_SHARED", off,
			     off + n - 1, npages);
	}

	off = rnd(w, npages);
	n = 1 + rnd(w, npages - off);
	writable = rnd(w, 5);
	prot = writable ? PROT_READ | PROT_WRITE : PROT_READ;
	p = mmap(NULL, n * psz, prot, MAP_SHARED, w->fd, off * psz);
	if (p == MAP_FAILED)
		return fail(w, "mmap(%s, MAP_SHARED, file pages %u-%u): %s",
			    writable ? "RW" : "R", off, off + n - 1,
			    errname(errno));
	for (i = 0; i < MAX_MAPS; i++) {
		struct map *o = &w->maps[i];

		if (o->used && p < o->addr + o->n * psz &&
		    o->addr < p + n * psz)
			return fail(w,
				    "mmap(file pages %u-%u) returned %p, which overlaps our live map %u",
				    off, off + n - 1, p, i);
	}
	m = new_map(w);
	m->addr = p;
	m->n = n;
	m->pgoff = off;
	m->writable = writable;
	m->present = bits(0, n);
	if (check_ptes(w, m, "fresh mapping: mmap inserts every page"))
		return FAIL;
	i = rnd(w, n);
	if (owns(w, off + i) && verify_page(w, m, i, "fresh mapping"))
		return FAIL;
	if (!writable && !rnd(w, 4)) {
		ret = mprotect(p, n * psz, PROT_READ | PROT_WRITE);
		if (check(w, ret, errno, EACCES,
			  "mprotect(RW) of read-only map %d (%p)",
			  (int)(m - w->maps), p))
			return FAIL;
		w->res->sub[SUB_MPROTECT_EACCES]++;
	}
	return 0;
}

static int op_write(struct worker *w)
{
	struct map *pick = NULL;
	unsigned int i, j, k = 0, pi = 0;
	uint32_t v;

	/* A present page of ours in a writable mapping, at random. */
	for (i = 0; i < MAX_MAPS; i++) {
		struct map *m = &w->maps[i];

		if (!m->used || !m->writable)
			continue;
		for (j = 0; j < m->n; j++) {
			if ((m->present >> j & 1) && owns(w, m->pgoff + j) &&
			    !rnd(w, ++k)) {
				pick = m;
				pi = j;
			}
		}
	}
	if (!pick)
		return fail(w, "no page to write (the op should not be picked)");
	v = new_value(w);
	fill_page(pick->addr + pi * psz, v);
	w->val[pick->pgoff + pi] = v;
	w->written[pick->pgoff + pi] = true;
	return 0;
}

static int op_read(struct worker *w)
{
	struct map *m = any_map(w);

	if (check_ptes(w, m, "before the read"))
		return FAIL;
	return verify_map(w, m, "read");
}

/*
 * ZAP or INSERT (@cmd) of a range across the hole of a split or past the
 * end of a mapping: EINVAL, and no page table entry of the mapping, or of
 * the one after the hole, changes.  Counted as @sub_hole or @sub_end.
 */
static int refused_range(struct worker *w, unsigned long cmd, int sub_hole,
			 int sub_end, const char *unchanged)
{
	struct map *m = bad_range_map(w), *right;
	unsigned int n;
	bool hole;
	char *addr;

	bad_range(w, m, &hole, &addr, &n);
	if (range_ioctl(w, w->fd, cmd, addr, n, EINVAL,
			hole ? "across the hole of a split" :
			"past the end of the mapping"))
		return FAIL;
	w->res->sub[hole ? sub_hole : sub_end]++;
	right = hole_next(w, m);
	if (check_ptes(w, m, unchanged) ||
	    (right && check_ptes(w, right, unchanged)))
		return FAIL;
	return 0;
}

static int op_zap(struct worker *w)
{
	struct map *m = any_map(w);
	unsigned int a, n;

	if (!rnd(w, 10))
		return refused_range(w, RUST_MISC_DEV_ZAP, SUB_ZAP_HOLE, SUB_ZAP_END,
				     "nothing zapped by the refused ZAP");
	a = rnd(w, m->n);
	n = 1 + rnd(w, m->n - a);
	if (range_ioctl(w, w->fd, RUST_MISC_DEV_ZAP, m->addr + a * psz, n, 0,
			"inside our mapping"))
		return FAIL;
	m->present &= ~bits(a, n);
	return check_ptes(w, m, "after ZAP");
}

/* A random zapped page, as a mapping and a page of it; false if none. */
static bool any_zapped(struct worker *w, struct map **pm, unsigned int *pi)
{
	unsigned int i, j, k = 0;

	for (i = 0; i < MAX_MAPS; i++) {
		struct map *m = &w->maps[i];

		if (!m->used)
			continue;
		for (j = 0; j < m->n; j++) {
			if (!(m->present >> j & 1) && !rnd(w, ++k)) {
				*pm = m;
				*pi = j;
			}
		}
	}
	return k;
}

static int op_insert(struct worker *w)
{
	unsigned int r = rnd(w, 100), a, n, i, z;
	uint64_t newly = 0;
	struct map *m;
	int want = 0;

	if (r < 15)
		return refused_range(w, RUST_MISC_DEV_INSERT, SUB_INSERT_HOLE,
				     SUB_INSERT_END,
				     "nothing inserted by the refused INSERT");
	if (r < 60 && any_zapped(w, &m, &z)) {
		/* Inside the run of zapped pages around page z. */
		unsigned int lo = z, hi = z + 1;

		while (lo > 0 && !(m->present >> (lo - 1) & 1))
			lo--;
		while (hi < m->n && !(m->present >> hi & 1))
			hi++;
		a = lo + rnd(w, z - lo + 1);
		n = z + 1 - a + rnd(w, hi - z);
	} else {
		m = any_map(w);
		a = rnd(w, m->n);
		n = 1 + rnd(w, m->n - a);
	}
	/* Page by page from the start, up to the first one still mapped. */
	for (i = a; i < a + n; i++) {
		if (m->present >> i & 1) {
			want = EBUSY;
			break;
		}
		newly |= 1ULL << i;
	}
	if (range_ioctl(w, w->fd, RUST_MISC_DEV_INSERT, m->addr + a * psz, n,
			want, want ? "a page of it is mapped" :
			"all of it zapped"))
		return FAIL;
	w->res->sub[want ? SUB_INSERT_EBUSY : SUB_INSERT_OK]++;
	m->present |= newly;
	if (check_ptes(w, m, want ? "after the EBUSY INSERT" : "after INSERT"))
		return FAIL;
	for (i = a; i < a + n; i++)
		if ((newly >> i & 1) && owns(w, m->pgoff + i) &&
		    verify_page(w, m, i, "page put back by INSERT"))
			return FAIL;
	return 0;
}

static int op_munmap(struct worker *w)
{
	struct map *m = any_map(w), *rm;
	unsigned int r = rnd(w, 10), h, k, n = m->n;
	char *addr = m->addr;
	int ret;

	if (n >= 3 && r < 4 && w->nmaps < MAX_MAPS) {
		/* Pages [0, h) stay, [h, h + k) go, [h + k, n) stay. */
		h = 1 + rnd(w, n - 2);
		k = 1 + rnd(w, n - h - 1);
		ret = munmap(addr + h * psz, k * psz);
		if (check(w, ret, errno, 0,
			  "munmap(%p, %u pages) in the middle of map %d (%p, %u pages)",
			  addr + h * psz, k, (int)(m - w->maps), addr, n))
			return FAIL;
		w->res->sub[SUB_MUNMAP_SPLIT]++;
		rm = new_map(w);
		rm->addr = addr + (h + k) * psz;
		rm->n = n - h - k;
		rm->pgoff = m->pgoff + h + k;
		rm->writable = m->writable;
		rm->present = m->present >> (h + k);
		m->n = h;
		m->present &= bits(0, h);
		m->next = rm - w->maps;
		m->next_gen = rm->gen;
		m->hole_start = addr + h * psz;
		m->hole_end = rm->addr;
		if (check_ptes(w, m, "left piece of the split") ||
		    check_ptes(w, rm, "right piece of the split"))
			return FAIL;
		return check_gone(w, addr + h * psz, k, "hole of the split");
	}
	if (n >= 2 && r < 6) {
		bool head = rnd(w, 2);

		k = 1 + rnd(w, n - 1);
		ret = munmap(head ? addr : addr + (n - k) * psz, k * psz);
		if (check(w, ret, errno, 0,
			  "munmap(%s %u pages of map %d (%p, %u pages))",
			  head ? "first" : "last", k, (int)(m - w->maps),
			  addr, n))
			return FAIL;
		w->res->sub[SUB_MUNMAP_PART]++;
		m->n -= k;
		if (head) {
			m->addr += k * psz;
			m->pgoff += k;
			m->present >>= k;
		} else {
			m->present &= bits(0, m->n);
		}
		if (check_ptes(w, m, "what the partial munmap left"))
			return FAIL;
		return check_gone(w, head ? addr : addr + (n - k) * psz, k,
				  "after the partial munmap");
	}
	ret = munmap(addr, n * psz);
	if (check(w, ret, errno, 0, "munmap(%p, %u pages) of map %d", addr, n,
		  (int)(m - w->maps)))
		return FAIL;
	w->res->sub[SUB_MUNMAP_WHOLE]++;
	drop_map(w, m);
	return check_gone(w, addr, n, "after munmap");
}

static int op_mremap(struct worker *w)
{
	struct map *m = any_map(w);
	unsigned int r = rnd(w, 10), k, n = m->n;
	size_t len = n * psz;
	char *addr = m->addr, *res, *q;
	int flags, err;

	if (r < 5) {
		/*
		 * A move: the same size with MREMAP_MAYMOVE alone stays in
		 * place, so move onto a reservation the kernel placed.
		 */
		res = mmap(NULL, len, PROT_NONE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (res == MAP_FAILED)
			return fail(w, "reserving %u pages: %s", n,
				    errname(errno));
		q = mremap(addr, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, res);
		err = errno;
		if (q != res) {
			munmap(res, len);
			if (q == MAP_FAILED)
				return fail(w,
					    "mremap(map %d at %p, %u pages, MREMAP_MAYMOVE|MREMAP_FIXED to %p): %s",
					    (int)(m - w->maps), addr, n, res,
					    errname(err));
			return fail(w, "mremap(map %d at %p, MREMAP_FIXED to %p) returned %p",
				    (int)(m - w->maps), addr, res, q);
		}
		w->res->sub[SUB_MREMAP_MOVE]++;
		m->addr = q;
		if (check_ptes(w, m, "moved mapping: the PTEs move with it") ||
		    verify_map(w, m, "moved mapping: the data moves with it"))
			return FAIL;
		return check_gone(w, addr, n, "old place of the moved mapping");
	}
	if (r < 8 || n == 1) {
		k = 1 + rnd(w, 3);
		flags = rnd(w, 2) ? MREMAP_MAYMOVE : 0;
		q = mremap(addr, len, len + k * psz, flags);
		err = errno;
		if (q != MAP_FAILED)
			return fail(w,
				    "mremap(map %d at %p, %u -> %u pages%s): VM_DONTEXPAND, expected EFAULT, got %p",
				    (int)(m - w->maps), addr, n, n + k,
				    flags ? ", MREMAP_MAYMOVE" : "", q);
		if (check(w, true, err, EFAULT,
			  "mremap(map %d at %p, %u -> %u pages%s), VM_DONTEXPAND",
			  (int)(m - w->maps), addr, n, n + k,
			  flags ? ", MREMAP_MAYMOVE" : ""))
			return FAIL;
		w->res->sub[SUB_MREMAP_GROW]++;
		return check_ptes(w, m, "after the refused grow");
	}
	k = 1 + rnd(w, n - 1);
	q = mremap(addr, len, len - k * psz, 0);
	err = errno;
	if (q != addr)
		return fail(w, "mremap(map %d at %p, %u -> %u pages): expected %p, got %p (%s)",
			    (int)(m - w->maps), addr, n, n - k, addr, q,
			    q == MAP_FAILED ? errname(err) : "moved");
	w->res->sub[SUB_MREMAP_SHRINK]++;
	m->n -= k;
	m->present &= bits(0, m->n);
	if (check_ptes(w, m, "after the shrink"))
		return FAIL;
	return check_gone(w, addr + m->n * psz, k, "cut off by the shrink");
}

/* The child of op_fork(): no stdio, no model changes, only _exit(). */
static __printf(2, 3) void child_fail(struct worker *w, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;

	n = snprintf(buf, sizeof(buf), "# %s, worker %d, op %lu of %lu (fork), in the child: ",
		     case_names[w->kase], w->id, w->opno + 1, nops);
	va_start(ap, fmt);
	n += vsnprintf(buf + n, sizeof(buf) - n - 1, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(buf) - 2)
		n = sizeof(buf) - 2;
	buf[n++] = '\n';
	if (write(STDOUT_FILENO, buf, n) < 0)
		_exit(KSFT_FAIL);
	_exit(KSFT_FAIL);
}

static void fork_child(struct worker *w, int wpage, uint32_t wval)
{
	unsigned char vec;
	unsigned int i, p;
	uint32_t base, step, got;
	int ret, val = 0x5a5a5a5a;
	long j;
	char *q;

	signal(SIGBUS, SIG_DFL);
	signal(SIGSEGV, SIG_DFL);
	signal(SIGALRM, SIG_DFL);
	cur = NULL;
	alarm(CHILD_TIMEOUT);

	ret = ioctl(w->fd, RUST_MISC_DEV_GET_VALUE, &val);
	if (ret || val != w->value)
		child_fail(w,
			   "GET_VALUE on the inherited fd returned %d (%s), value %d, expected 0 and %d",
			   ret, ret ? errname(errno) : "success", val,
			   w->value);
	for (i = 0; i < MAX_MAPS; i++) {
		struct rust_misc_dev_range r;
		struct map *m = &w->maps[i];

		if (!m->used)
			continue;
		/* VM_DONTCOPY: the child has nothing there. */
		r.addr = (uintptr_t)m->addr;
		r.len = m->n * psz;
		ret = ioctl(w->fd, RUST_MISC_DEV_ZAP, &r);
		if (ret != -1 || errno != EINVAL)
			child_fail(w,
				   "ZAP {%p, %u pages} of the parent's map %u: expected EINVAL, got %s",
				   m->addr, m->n, i,
				   ret ? errname(errno) : "success");
		r.len = psz;
		ret = ioctl(w->fd, RUST_MISC_DEV_INSERT, &r);
		if (ret != -1 || errno != EINVAL)
			child_fail(w,
				   "INSERT {%p, 1 page} of the parent's map %u: expected EINVAL, got %s",
				   m->addr, i, ret ? errname(errno) : "success");
		ret = mincore(m->addr, psz, &vec);
		if (ret != -1 || errno != ENOMEM)
			child_fail(w,
				   "mincore(%p) of the parent's map %u: expected ENOMEM (not copied), got %s",
				   m->addr, i, ret ? errname(errno) : "success");
	}
	/* Our own mapping of the inherited file shows the parent's data. */
	q = mmap(NULL, npages * psz, PROT_READ | PROT_WRITE, MAP_SHARED, w->fd,
		 0);
	if (q == MAP_FAILED)
		child_fail(w, "mmap of the whole buffer: %s", errname(errno));
	for (p = 0; p < npages; p++) {
		if (!owns(w, p))
			continue;
		page_expect(w, p, &base, &step);
		j = mismatch(q + p * psz, base, step, &got);
		if (j >= 0)
			child_fail(w, "file page %u: word %ld is %#x, expected %#x",
				   p, j, got, base + step * (uint32_t)j);
	}
	if (wpage >= 0)
		fill_page(q + wpage * psz, wval);
	if (munmap(q, npages * psz))
		child_fail(w, "munmap: %s", errname(errno));
	_exit(KSFT_PASS);
}

static int op_fork(struct worker *w)
{
	unsigned int p, k = 0, i;
	int wpage = -1, status;
	uint32_t wval;
	pid_t pid, got;

	/* The child writes a page of ours, which we then must see. */
	for (p = 0; p < npages; p++)
		if (owns(w, p) && !rnd(w, ++k))
			wpage = p;
	wval = new_value(w);

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return fail(w, "fork: %s", errname(errno));
	if (!pid)
		fork_child(w, wpage, wval);
	do {
		got = waitpid(pid, &status, 0);
	} while (got < 0 && errno == EINTR);
	if (got != pid)
		return fail(w, "waitpid(%d): %s", pid, errname(errno));
	if (!WIFEXITED(status) || WEXITSTATUS(status) != KSFT_PASS) {
		if (WIFSIGNALED(status))
			return fail(w, "the child died of %s",
				    signame(WTERMSIG(status)));
		return fail(w, "the child ended with wait status %#x%s",
			    status, WIFEXITED(status) &&
			    WEXITSTATUS(status) == KSFT_FAIL ?
			    " (it said why above)" : "");
	}
	if (wpage >= 0) {
		w->val[wpage] = wval;
		w->written[wpage] = true;
	}
	if (check_all_ptes(w, "our mappings after the fork"))
		return FAIL;
	for (i = 0; i < MAX_MAPS; i++) {
		struct map *m = &w->maps[i];
		unsigned int j = wpage - m->pgoff;

		if (wpage >= 0 && m->used && (unsigned int)wpage >= m->pgoff &&
		    j < m->n && (m->present >> j & 1) &&
		    verify_page(w, m, j, "page the child wrote"))
			return FAIL;
	}
	return 0;
}

static int op_close(struct worker *w)
{
	unsigned int off, n, i;
	uint32_t vals[MAX_PAGES], base, step, got;
	struct map *m;
	int fd, ret;
	char *q;
	long j;

	fd = open(RUST_MISC_DEV_PATH, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return fail(w, "open(%s): %s", RUST_MISC_DEV_PATH,
			    errname(errno));
	off = rnd(w, npages);
	n = 1 + rnd(w, npages - off);
	q = mmap(NULL, n * psz, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		 off * psz);
	if (q == MAP_FAILED) {
		fail(w, "mmap(file pages %u-%u) of a file of our own: %s",
		     off, off + n - 1, errname(errno));
		close(fd);
		return FAIL;
	}
	for (i = 0; i < n; i++) {
		vals[i] = rnd(w, 2) ? new_value(w) : 0;
		if (vals[i])
			fill_page(q + i * psz, vals[i]);
	}

	m = w->nmaps ? any_map(w) : NULL;
	if (m && !rnd(w, 2)) {
		/* Neither file's ioctls reach the other file's mapping. */
		if (range_ioctl(w, fd, RUST_MISC_DEV_ZAP, m->addr, m->n, EINVAL,
				"our mapping of the shared/own file, through another file") ||
		    range_ioctl(w, w->fd, RUST_MISC_DEV_ZAP, q, n, EINVAL,
				"mapping of another file") ||
		    range_ioctl(w, w->fd, RUST_MISC_DEV_INSERT, q, 1, EINVAL,
				"mapping of another file") ||
		    check_ptes(w, m, "after ZAP through another file"))
			goto out;
		w->res->sub[SUB_WRONG_FILE]++;
	}

	ret = close(fd);
	fd = -1;
	if (check(w, ret, errno, 0, "close of the file of our own"))
		goto out;
	/* The mapping holds the file: its pages are still there. */
	for (i = 0; i < n; i++) {
		if (vals[i]) {
			base = vals[i];
			step = 1;
		} else {
			base = pattern_word(off + i);
			step = 0;
		}
		j = mismatch(q + i * psz, base, step, &got);
		if (j >= 0) {
			fail(w,
			     "mapping %p of a closed file, file page %u: word %ld is %#x, expected %#x",
			     q, off + i, j, got, base + step * (uint32_t)j);
			goto out;
		}
	}
	ret = munmap(q, n * psz);
	return check(w, ret, errno, 0, "munmap of the mapping of a closed file");
out:
	if (fd >= 0)
		close(fd);
	munmap(q, n * psz);
	return FAIL;
}

/* Access @addr with the handler armed; returns the signal it got, or 0. */
static int probe(struct worker *w, char *addr, bool write)
{
	__atomic_store_n(&w->sig, 0, __ATOMIC_RELAXED);
	if (!sigsetjmp(w->probe_jb, 1)) {
		__atomic_store_n(&w->probing, 1, __ATOMIC_RELAXED);
		__atomic_signal_fence(__ATOMIC_SEQ_CST);
		if (write)
			__atomic_store_n(addr, 0x5a, __ATOMIC_RELAXED);
		else
			(void)__atomic_load_n(addr, __ATOMIC_RELAXED);
		__atomic_signal_fence(__ATOMIC_SEQ_CST);
		__atomic_store_n(&w->probing, 0, __ATOMIC_RELAXED);
	}
	return __atomic_load_n(&w->sig, __ATOMIC_RELAXED);
}

static int op_sigbus(struct worker *w)
{
	struct map *m;
	unsigned int i;
	bool write;
	char *addr;
	int sig;

	if (!any_zapped(w, &m, &i)) {
		m = any_map(w);
		i = rnd(w, m->n);
		if (range_ioctl(w, w->fd, RUST_MISC_DEV_ZAP, m->addr + i * psz,
				1, 0, "a page to touch"))
			return FAIL;
		m->present &= ~(1ULL << i);
	}
	write = m->writable && !rnd(w, 3);
	addr = m->addr + i * psz + rnd(w, psz / 8) * 8;
	sig = probe(w, addr, write);
	if (sig != SIGBUS || w->sig_addr != addr || w->sig_code != BUS_ADRERR)
		return fail(w,
			    "%s of %p in zapped %s: expected SIGBUS (BUS_ADRERR) there, got %s (si_code %d) at %p",
			    write ? "write" : "read", addr, where(w, m, i),
			    signame(sig), sig ? w->sig_code : 0,
			    sig ? w->sig_addr : NULL);
	if (write)
		w->res->sub[SUB_SIGBUS_WRITE]++;
	return check_ptes(w, m, "after the SIGBUS");
}

/*
 * The SIGBUS and SIGSEGV handler.  A probe gets its signal back; any other
 * fault of a worker fails the worker; anything else kills the process.
 */
static void on_fault(int sig, siginfo_t *si, void *uc)
{
	struct worker *w = cur;

	(void)uc;
	if (w && __atomic_load_n(&w->probing, __ATOMIC_RELAXED)) {
		__atomic_store_n(&w->probing, 0, __ATOMIC_RELAXED);
		__atomic_store_n(&w->sig_code, si->si_code, __ATOMIC_RELAXED);
		__atomic_store_n(&w->sig_addr, si->si_addr, __ATOMIC_RELAXED);
		__atomic_store_n(&w->sig, sig, __ATOMIC_RELAXED);
		siglongjmp(w->probe_jb, 1);
	}
	if (w && __atomic_load_n(&w->in_loop, __ATOMIC_RELAXED)) {
		__atomic_store_n(&w->in_loop, 0, __ATOMIC_RELAXED);
		__atomic_store_n(&w->sig_code, si->si_code, __ATOMIC_RELAXED);
		__atomic_store_n(&w->sig_addr, si->si_addr, __ATOMIC_RELAXED);
		__atomic_store_n(&w->sig, sig, __ATOMIC_RELAXED);
		siglongjmp(w->fatal_jb, 1);
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

/* Which operation to do, given what the worker has. */
static enum op pick_op(struct worker *w)
{
	unsigned int r = rnd(w, 100), i, j;
	enum op op = 0;

	while (r >= op_weights[op])
		r -= op_weights[op++];

	if (op == OP_WRITE) {
		bool any = false;

		for (i = 0; i < MAX_MAPS && !any; i++) {
			struct map *m = &w->maps[i];

			if (!m->used || !m->writable)
				continue;
			for (j = 0; j < m->n && !any; j++)
				any = (m->present >> j & 1) &&
				      owns(w, m->pgoff + j);
		}
		if (!any)
			op = OP_MMAP;
	}
	if (!w->nmaps && op != OP_FORK && op != OP_CLOSE)
		op = OP_MMAP;
	if (op == OP_MMAP && w->nmaps == MAX_MAPS)
		op = OP_MUNMAP;
	return op;
}

static int run_op(struct worker *w, enum op op)
{
	switch (op) {
	case OP_MMAP:	return op_mmap(w);
	case OP_WRITE:	return op_write(w);
	case OP_READ:	return op_read(w);
	case OP_ZAP:	return op_zap(w);
	case OP_INSERT:	return op_insert(w);
	case OP_MUNMAP:	return op_munmap(w);
	case OP_MREMAP:	return op_mremap(w);
	case OP_FORK:	return op_fork(w);
	case OP_CLOSE:	return op_close(w);
	case OP_SIGBUS:	return op_sigbus(w);
	default:	return fail(w, "unknown op %d", op);
	}
}

/* Where @addr is in our model, for a report of an unexpected fault. */
static const char *model_of(struct worker *w, char *addr)
{
	static __thread char buf[160];
	unsigned int i;

	for (i = 0; i < MAX_MAPS; i++) {
		struct map *m = &w->maps[i];

		if (m->used && addr >= m->addr && addr < m->addr + m->n * psz) {
			unsigned int pg = (addr - m->addr) / psz;

			snprintf(buf, sizeof(buf), "in %s, which the model has %s",
				 where(w, m, pg), m->present >> pg & 1 ?
				 "present" : "zapped");
			return buf;
		}
	}
	return "outside our mappings";
}

/* The operations of a worker; the caller has set up its fault handling. */
static int worker_loop(struct worker *w)
{
	unsigned long long t;
	int ret;

	for (w->opno = 0; w->opno < nops; w->opno++) {
		if (__atomic_load_n(&shm->stop[w->kase], __ATOMIC_RELAXED))
			break;
		w->op = pick_op(w);
		__atomic_store_n(&w->res->cur_op, w->op, __ATOMIC_RELAXED);
		t = now_ns();
		ret = run_op(w, w->op);
		w->res->ns[w->op] += now_ns() - t;
		w->res->count[w->op]++;
		__atomic_store_n(&w->res->progress, w->opno + 1,
				 __ATOMIC_RELAXED);
		if (ret)
			return FAIL;
	}
	return 0;
}

static int worker_run(struct worker *w)
{
	unsigned int i;
	int ret;

	cur = w;
	w->rng = seed + w->gid;
	/* A fault outside probe() comes back here. */
	if (sigsetjmp(w->fatal_jb, 1))
		return fail(w, "unexpected %s (si_code %d) at %p, %s",
			    signame(w->sig), w->sig_code, w->sig_addr,
			    model_of(w, w->sig_addr));
	__atomic_store_n(&w->in_loop, 1, __ATOMIC_RELAXED);
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	ret = worker_loop(w);
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	__atomic_store_n(&w->in_loop, 0, __ATOMIC_RELAXED);
	if (ret)
		return FAIL;
	w->op = OP_MUNMAP;
	for (i = 0; i < MAX_MAPS; i++) {
		struct map *m = &w->maps[i];

		if (!m->used)
			continue;
		ret = munmap(m->addr, m->n * psz);
		if (check(w, ret, errno, 0,
			  "munmap(%p, %u pages) of map %u at the end",
			  m->addr, m->n, i))
			return FAIL;
		m->used = false;
	}
	w->nmaps = 0;
	return 0;
}

/*
 * Map the whole buffer of @fd and check that page p holds the last value
 * its owner, worker @first + p % @nown, wrote to it, or the initial pattern.
 */
static int final_check(int fd, struct worker *first, int nown,
		       const char *name)
{
	uint32_t base, step, got;
	unsigned int p;
	int ret = 0;
	long j;
	char *q;

	q = mmap(NULL, npages * psz, PROT_READ, MAP_SHARED, fd, 0);
	if (q == MAP_FAILED) {
		ksft_print_msg("%s: final check: mmap of the whole buffer: %s\n",
			       name, errname(errno));
		return FAIL;
	}
	for (p = 0; p < npages && !ret; p++) {
		struct worker *o = &first[p % nown];

		page_expect(o, p, &base, &step);
		j = mismatch(q + p * psz, base, step, &got);
		if (j >= 0) {
			ksft_print_msg("%s: final check: file page %u (worker %d's) differs:\n",
				       name, p, o->id);
			ksft_print_msg("word %ld is %#x, expected %#x (%s)\n", j, got,
				       base + step * (uint32_t)j,
				       o->written[p] ? "its last write" :
				       "the initial pattern");
			ret = FAIL;
		}
	}
	munmap(q, npages * psz);
	return ret;
}

static int dev_open(const char *name)
{
	int fd = open(RUST_MISC_DEV_PATH, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		ksft_print_msg("%s: open(%s): %s\n", name, RUST_MISC_DEV_PATH,
			       errname(errno));
	return fd;
}

static void *shared_thread(void *arg)
{
	struct worker *w = arg;

	if (worker_run(w))
		__atomic_store_n(&w->res->failed, 1, __ATOMIC_RELAXED);
	__atomic_store_n(&w->res->done, 1, __ATOMIC_RELAXED);
	return NULL;
}

/* Case 1, in a process of its own: N threads on one file. */
static int run_shared(void)
{
	const char *name = case_names[CASE_SHARED];
	pthread_t threads[MAX_WORKERS];
	int fd, t, err, val = -1, ret = 0;

	fd = dev_open(name);
	if (fd < 0)
		return FAIL;
	for (t = 0; t < nworkers; t++) {
		struct worker *w = &workers[t];

		w->kase = CASE_SHARED;
		w->id = t;
		w->gid = t;
		w->fd = fd;
		w->nown = nworkers;
		w->value = 0;
		w->alone = nworkers == 1;
		w->res = &shm->res[CASE_SHARED][t];
		err = pthread_create(&threads[t], NULL, shared_thread, w);
		if (err) {
			ksft_print_msg("%s: pthread_create: %s\n", name,
				       strerror(err));
			__atomic_store_n(&shm->stop[CASE_SHARED], 1,
					 __ATOMIC_RELAXED);
			nworkers = t;
			ret = FAIL;
			break;
		}
	}
	for (t = 0; t < nworkers; t++) {
		pthread_join(threads[t], NULL);
		if (shm->res[CASE_SHARED][t].failed)
			ret = FAIL;
	}
	if (ret)
		return FAIL;
	if (final_check(fd, workers, nworkers, name))
		return FAIL;
	if (ioctl(fd, RUST_MISC_DEV_GET_VALUE, &val) || val) {
		ksft_print_msg("%s: GET_VALUE at the end: %s, value %d, expected 0\n",
			       name, errname(errno), val);
		return FAIL;
	}
	return close(fd) ? FAIL : 0;
}

/* A worker of case 2, in a process of its own, on a file of its own. */
static int run_separate(int id)
{
	struct worker *w = &workers[id];
	const char *name = case_names[CASE_SEPARATE];
	int fd;

	fd = dev_open(name);
	if (fd < 0)
		return FAIL;
	w->kase = CASE_SEPARATE;
	w->id = id;
	w->gid = nworkers + id;
	w->fd = fd;
	w->nown = 1;
	w->value = 1000 + id;
	w->alone = true;
	w->res = &shm->res[CASE_SEPARATE][id];
	if (ioctl(fd, RUST_MISC_DEV_SET_VALUE, &w->value)) {
		ksft_print_msg("%s, worker %d: SET_VALUE: %s\n", name, id,
			       errname(errno));
		return FAIL;
	}
	if (worker_run(w))
		return FAIL;
	if (final_check(fd, w, 1, name))
		return FAIL;
	return close(fd) ? FAIL : 0;
}

/* Run @fn(@arg) in a child process; returns its pid. */
static pid_t spawn(int (*fn)(int), int arg)
{
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		ksft_exit_fail_msg("fork: %s\n", strerror(errno));
	if (!pid) {
		int ret = fn(arg);

		fflush(stdout);
		_exit(ret ? KSFT_FAIL : KSFT_PASS);
	}
	return pid;
}

static int run_shared_arg(int arg)
{
	(void)arg;
	return run_shared();
}

static int timed_out;

static void on_alarm(int sig)
{
	(void)sig;
	__atomic_store_n(&timed_out, 1, __ATOMIC_RELAXED);
}

/* Print what the workers of case @k did. */
static void summary(int k, double secs)
{
	unsigned long count[NR_OPS] = { 0 }, sub[NR_SUBS] = { 0 }, total = 0;
	unsigned long long ns[NR_OPS] = { 0 };
	char line[1024];
	int w, i, len;

	for (w = 0; w < nworkers; w++) {
		struct result *r = &shm->res[k][w];

		for (i = 0; i < NR_OPS; i++) {
			count[i] += r->count[i];
			ns[i] += r->ns[i];
			total += r->count[i];
		}
		for (i = 0; i < NR_SUBS; i++)
			sub[i] += r->sub[i];
	}
	len = snprintf(line, sizeof(line), "%lu ops in %.1f s:", total, secs);
	for (i = 0; i < NR_OPS; i++)
		len += snprintf(line + len, sizeof(line) - len, "%s %s %lu",
				i ? "," : "", op_names[i], count[i]);
	ksft_print_msg("%s: %s\n", case_names[k], line);
	len = 0;
	for (i = 0; i < NR_SUBS; i++)
		len += snprintf(line + len, sizeof(line) - len, "%s %s %lu",
				i ? "," : "", sub_names[i], sub[i]);
	ksft_print_msg("%s: outcomes:%s\n", case_names[k], line);
	len = 0;
	for (i = 0; i < NR_OPS; i++)
		len += snprintf(line + len, sizeof(line) - len, "%s %s %.2f",
				i ? "," : "", op_names[i], ns[i] / 1e9);
	ksft_print_msg("%s: seconds in each op, all workers:%s\n",
		       case_names[k], line);
}

/*
 * The module has no sysfs file for its "pages" parameter: check that the
 * buffer has exactly --pages pages, or every worker would fail.
 */
static void check_buffer_size(void)
{
	int fd = open(RUST_MISC_DEV_PATH, O_RDWR | O_CLOEXEC);
	void *p, *q;

	if (fd < 0)
		ksft_exit_fail_msg("open(%s): %s\n", RUST_MISC_DEV_PATH,
				   strerror(errno));
	p = mmap(NULL, npages * psz, PROT_READ, MAP_SHARED, fd, 0);
	q = mmap(NULL, (npages + 1) * psz, PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED || q != MAP_FAILED)
		ksft_exit_fail_msg("the buffer of the device is not %u pages: %s\n",
				   npages, "pass the module's \"pages\" with --pages");
	munmap(p, npages * psz);
	close(fd);
}

static void print_usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s [--ops N] [--workers N] [--seed N] [--pages N] [--timeout S]\n"
		"  --ops N      operations per worker (default %d)\n"
		"  --workers N  threads on one file, and processes on files of their own (default %d, at most %d)\n"
		"  --seed N     seed of the random choices (default: from the time)\n"
		"  --pages N    buffer size in pages the module has (default %d, at most %d)\n"
		"  --timeout S  seconds both cases may take together (default %d)\n",
		prog, DEFAULT_OPS, DEFAULT_WORKERS, MAX_WORKERS,
		RUST_MISC_DEV_PAGES_DEFAULT, MAX_PAGES, DEFAULT_TIMEOUT);
	exit(KSFT_FAIL);
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_sigaction = on_fault,
				.sa_flags = SA_SIGINFO };
	struct sigaction alrm = { .sa_handler = on_alarm };
	pid_t pid_shared, pid_sep[MAX_WORKERS], pid;
	int status_shared = -1, status_sep[MAX_WORKERS];
	double start, end[NR_CASES] = { 0 };
	struct rlimit rl = { 0, 0 };
	const char *threads, *processes;
	bool have_seed = false;
	int i, k, pending, status;

	for (i = 1; i < argc; i++) {
		unsigned long long v;
		const char *opt = argv[i];
		char *e;

		if (i + 1 >= argc || strncmp(opt, "--", 2))
			print_usage(argv[0]);
		errno = 0;
		v = strtoull(argv[++i], &e, 0);
		if (errno || !*argv[i] || *e)
			print_usage(argv[0]);
		if (!strcmp(opt, "--ops") && v > 0 && v <= 1UL << 30) {
			nops = v;
		} else if (!strcmp(opt, "--workers") && v > 0 &&
			   v <= MAX_WORKERS) {
			nworkers = v;
		} else if (!strcmp(opt, "--seed")) {
			seed = v;
			have_seed = true;
		} else if (!strcmp(opt, "--pages") && v > 0 && v <= MAX_PAGES) {
			npages = v;
		} else if (!strcmp(opt, "--timeout") && v > 0 && v < 100000) {
			timeout_s = v;
		} else {
			print_usage(argv[0]);
		}
	}
	if (!have_seed)
		seed = time(NULL);

	psz = sysconf(_SC_PAGESIZE);
	setvbuf(stdout, NULL, _IOLBF, 0);
	setrlimit(RLIMIT_CORE, &rl);
	threads = nworkers == 1 ? "thread" : "threads";
	processes = nworkers == 1 ? "process" : "processes";
	snprintf(case_names[CASE_SHARED], sizeof(case_names[0]),
		 "shared file, %d %s", nworkers, threads);
	snprintf(case_names[CASE_SEPARATE], sizeof(case_names[0]),
		 "separate files, %d %s", nworkers, processes);

	ksft_print_header();
	if (access(RUST_MISC_DEV_PATH, F_OK))
		ksft_exit_fail_msg("%s: %s; is the rust_misc_device module loaded (%s)?\n",
				   RUST_MISC_DEV_PATH, strerror(errno),
				   "CONFIG_SAMPLE_RUST_MISC_DEVICE");
	ksft_set_plan(NR_CASES);
	ksft_print_msg("page size %zu, buffer of %u pages\n", psz, npages);
	ksft_print_msg("%d workers x %lu ops in each case, timeout %u s\n",
		       nworkers, nops, timeout_s);
	ksft_print_msg("seed %llu (--seed %llu repeats it)\n", seed, seed);
	ksft_print_msg("worker w of case 1 uses seed + w, of case 2 seed + %d + w\n",
		       nworkers);

	check_buffer_size();

	shm = mmap(NULL, sizeof(*shm), PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shm == MAP_FAILED)
		ksft_exit_fail_msg("mmap of the results: %s\n", strerror(errno));
	if (sigaction(SIGBUS, &sa, NULL) || sigaction(SIGSEGV, &sa, NULL) ||
	    sigaction(SIGALRM, &alrm, NULL))
		ksft_exit_fail_msg("sigaction: %s\n", strerror(errno));

	/* Both cases at once. */
	start = now_ns() / 1e9;
	pid_shared = spawn(run_shared_arg, 0);
	for (i = 0; i < nworkers; i++) {
		pid_sep[i] = spawn(run_separate, i);
		status_sep[i] = -1;
	}
	pending = nworkers + 1;
	alarm(timeout_s);
	while (pending && !__atomic_load_n(&timed_out, __ATOMIC_RELAXED)) {
		pid = waitpid(-1, &status, 0);
		if (pid < 0) {
			if (errno == EINTR)
				continue;
			ksft_print_msg("waitpid: %s\n", strerror(errno));
			break;
		}
		if (pid == pid_shared) {
			status_shared = status;
			end[CASE_SHARED] = now_ns() / 1e9 - start;
			pending--;
		}
		for (i = 0; i < nworkers; i++) {
			if (pid == pid_sep[i]) {
				status_sep[i] = status;
				end[CASE_SEPARATE] = now_ns() / 1e9 - start;
				pending--;
			}
		}
	}
	alarm(0);

	if (pending) {
		ksft_print_msg("not done after %u s: killing what is left\n",
			       timeout_s);
		/* The time of the unfinished cases: until now. */
		if (status_shared == -1)
			end[CASE_SHARED] = now_ns() / 1e9 - start;
		for (i = 0; i < nworkers; i++)
			if (status_sep[i] == -1)
				end[CASE_SEPARATE] = now_ns() / 1e9 - start;
		for (k = 0; k < NR_CASES; k++) {
			for (i = 0; i < nworkers; i++) {
				struct result *r = &shm->res[k][i];

				if (r->done || (k == CASE_SEPARATE &&
						status_sep[i] != -1))
					continue;
				ksft_print_msg("%s, worker %d: %lu/%lu ops done, in op %lu (%s)\n",
					       case_names[k], i, r->progress,
					       nops, r->progress + 1,
					       op_names[r->cur_op]);
			}
		}
		if (status_shared == -1)
			kill(pid_shared, SIGKILL);
		for (i = 0; i < nworkers; i++)
			if (status_sep[i] == -1)
				kill(pid_sep[i], SIGKILL);
		/* Reap them if they go: a task stuck in the kernel may not. */
		start = now_ns() / 1e9;
		while (pending && now_ns() / 1e9 - start < 5) {
			pid = waitpid(-1, &status, WNOHANG);
			if (pid > 0)
				pending--;
			else
				usleep(10000);
		}
		if (pending)
			ksft_print_msg("%d process(es) left after SIGKILL (stuck in the kernel?)\n",
				       pending);
	}

	/* Case 1. */
	summary(CASE_SHARED, end[CASE_SHARED]);
	if (status_shared != -1 && !WIFEXITED(status_shared))
		ksft_print_msg("%s: the process died of %s\n",
			       case_names[CASE_SHARED],
			       signame(WTERMSIG(status_shared)));
	ksft_test_result(status_shared != -1 && WIFEXITED(status_shared) &&
			 WEXITSTATUS(status_shared) == KSFT_PASS,
			 "%s\n", case_names[CASE_SHARED]);

	/* Case 2. */
	summary(CASE_SEPARATE, end[CASE_SEPARATE]);
	k = 1;
	for (i = 0; i < nworkers; i++) {
		if (status_sep[i] == -1) {
			k = 0;
			continue;
		}
		if (!WIFEXITED(status_sep[i]))
			ksft_print_msg("%s, worker %d: the process died of %s\n",
				       case_names[CASE_SEPARATE], i,
				       signame(WTERMSIG(status_sep[i])));
		if (!WIFEXITED(status_sep[i]) ||
		    WEXITSTATUS(status_sep[i]) != KSFT_PASS)
			k = 0;
	}
	ksft_test_result(k, "%s\n", case_names[CASE_SEPARATE]);
	ksft_finished();
}
