// SPDX-License-Identifier: GPL-2.0
/*
 * A seeded fuzzer of the Rust sample misc device
 * (samples/rust/rust_misc_device.rs): random open/close, mmap (offsets,
 * lengths, protections and flags, good and bad), munmap (also in the middle
 * of a mapping), mremap, mprotect, ioctls (the device's own, with random
 * ranges for ZAP and INSERT, and garbage numbers and arguments, bad
 * pointers among them, pointers into the device's own mappings too) and
 * loads and stores through the mappings.
 *
 * It keeps a model of its file descriptors, of the files' buffers and of
 * every page it has mapped (which file page, protection, whether its page
 * table entry is present, which VMA it belongs to), and checks that every
 * call returns exactly what the device's UAPI header and the mm core
 * allow, and that every access reads the data the model holds or raises
 * the signal it predicts.  The first difference fails the run.
 *
 * The same seed gives the same sequence of operations: boot with
 * "norandmaps" and the addresses are the same too.
 *
 * Usage: rust_misc_device_fuzz [--seed N] [--ops N] [--pages N] [--verbose]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
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

#include <linux/fiemap.h>
#include <linux/fs.h>
#include <linux/rust_misc_device.h>

#include "kselftest.h"
#include "rust_misc_device_names.h"

#ifndef MAP_SYNC
#define MAP_SYNC	0x080000
#endif
#ifndef MAP_SHARED_VALIDATE
#define MAP_SHARED_VALIDATE 0x03
#endif
#ifndef MREMAP_DONTUNMAP
#define MREMAP_DONTUNMAP 4
#endif

#define MAX_BUF_PAGES	64	/* largest --pages */
#define MAX_FILES	8	/* files alive at once (open or mapped) */
#define MAX_FDS		4	/* open file descriptors at once */
#define MAX_PAGES	256	/* pages mapped at once */
#define ARENA_PAGES	256	/* the reservation mremap moves into */
/* A file descriptor that is never open. */
#define BAD_FD		1000
/* An address no process can map. */
#define KERNEL_ADDR	0xffff888000000000UL

static size_t psz;
static size_t npages = RUST_MISC_DEV_PAGES_DEFAULT;
static bool verbose;

/* The model. */
struct mfile {
	bool used;
	int nfds;		/* descriptors open on it */
	int nmapped;		/* pages mapped of it */
	int mode;		/* O_RDONLY, O_WRONLY or O_RDWR */
	int value;		/* RUST_MISC_DEV_GET_VALUE */
};

static struct mfile files[MAX_FILES];
static unsigned char data[MAX_FILES][MAX_BUF_PAGES * 4096];

static struct {
	int fd;			/* -1 if the slot is free */
	int file;
} fds[MAX_FDS];

/*
 * A mapped page.  A VMA is a run of pages at consecutive addresses with
 * the same @vma: mappings of the device never merge.
 */
struct mpage {
	unsigned long addr;
	int file;
	size_t idx;		/* page of the file's buffer */
	int prot;
	bool maywrite;
	bool present;		/* its page table entry */
	unsigned int vma;
};

static struct mpage pages[MAX_PAGES];
static int npg;
static unsigned int next_vma = 1;

static unsigned long arena;
static bool reserved[ARENA_PAGES];	/* still the PROT_NONE reservation */

/* The operations, and what they returned. */
enum op {
	OP_OPEN, OP_CLOSE, OP_MMAP, OP_MUNMAP, OP_MREMAP, OP_MPROTECT,
	OP_ZAP, OP_INSERT, OP_GET, OP_SET, OP_HELLO, OP_GARBAGE,
	OP_READ, OP_WRITE, OP_VERIFY, OP_MAPPINGS, NR_OPS
};

static const char *const op_names[NR_OPS] = {
	"open", "close", "mmap", "munmap", "mremap", "mprotect", "zap",
	"insert", "get_value", "set_value", "hello", "garbage_ioctl",
	"load", "store", "verify_page", "get_mappings",
};

/* Weights of the operations, out of their sum. */
static const int op_weight[NR_OPS] = {
	4, 3, 12, 7, 6, 5, 12, 12, 4, 4, 1, 6, 9, 9, 2, 3,
};

static unsigned long op_count[NR_OPS];
static unsigned long op_ok[NR_OPS];
static unsigned long op_sig;
static unsigned long op_errs;
static unsigned long err_count[256];	/* by errno, 0 for success */

static unsigned long long seed;
static unsigned long cur_op;

/* xorshift64*: small, and the same on every machine. */
static uint64_t rng_state;

static uint64_t rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

/* A number in [0, n). */
static unsigned long below(unsigned long n)
{
	return n ? rnd() % n : 0;
}

/* True with a probability of @pct percent. */
static bool chance(unsigned int pct)
{
	return below(100) < pct;
}

static __printf(1, 2) void trace(const char *fmt, ...)
{
	va_list ap;

	if (!verbose)
		return;
	va_start(ap, fmt);
	printf("# %lu: ", cur_op);
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
}

/* Report the first difference from the model, and end the run. */
static __printf(1, 2) void mismatch(const char *fmt, ...)
{
	char what[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	ksft_print_msg("operation %lu of seed %llu: %s\n", cur_op, seed, what);
	ksft_print_msg("replay, on a boot with norandmaps:\n");
	ksft_print_msg("  rust_misc_device_fuzz --seed %llu --ops %lu --verbose\n",
		       seed, cur_op + 1);
	ksft_test_result_fail("fuzz\n");
	ksft_finished();
	exit(KSFT_FAIL);
}

/*
 * Check a call that returns -1 and sets errno on failure: @failed, @err
 * (its errno) against @want (0 for success).
 */
static void expect(enum op op, bool failed, int err, int want, const char *what)
{
	int got = failed ? err : 0;

	trace("%s: %s (%s expected)", what, errname(got), errname(want));
	if (got != want)
		mismatch("%s: got %s, expected %s", what, errname(got),
			 errname(want));
	if (!want)
		op_ok[op]++;
	else
		op_errs++;
	err_count[want < 256 ? want : 255]++;
}

/* The call is made before errno is read: C leaves the order of arguments open. */
#define EXPECT(op, failed, want, what) do {				\
	bool failed_ = (failed);					\
									\
	expect(op, failed_, errno, want, what);				\
} while (0)

/* The model's pages, files and VMAs. */

static struct mpage *page_at(unsigned long addr)
{
	int i;

	for (i = 0; i < npg; i++)
		if (pages[i].addr == addr)
			return &pages[i];
	return NULL;
}

static bool in_arena(unsigned long addr)
{
	return addr >= arena && addr < arena + ARENA_PAGES * psz;
}

/* The page at @addr is the fuzzer's: a mapping of the device, or in the arena. */
static bool ours(unsigned long addr)
{
	return in_arena(addr) || page_at(addr);
}

/* The bounds [*start, *end) of the VMA of mapped page @p. */
static void vma_bounds(const struct mpage *p, unsigned long *start,
		       unsigned long *end)
{
	struct mpage *q;

	*start = p->addr;
	while ((q = page_at(*start - psz)) && q->vma == p->vma)
		*start -= psz;
	*end = p->addr + psz;
	while ((q = page_at(*end)) && q->vma == p->vma)
		*end += psz;
}

static void put_file(int f)
{
	if (!files[f].nfds && !files[f].nmapped)
		files[f].used = false;
}

static void drop_page(struct mpage *p)
{
	int f = p->file;

	files[f].nmapped--;
	*p = pages[--npg];
	put_file(f);
}

/* munmap() of [start, end) in the model: pages go, VMAs split. */
static void unmap_range(unsigned long start, unsigned long end)
{
	unsigned long a;
	struct mpage *p;

	for (a = start; a < end; a += psz) {
		p = page_at(a);
		if (p)
			drop_page(p);
		if (in_arena(a))
			reserved[(a - arena) / psz] = false;
	}
}

/* Give [start, end), part of one VMA, a VMA of its own (a split). */
static void split_off(unsigned long start, unsigned long end)
{
	unsigned int v = next_vma++;
	unsigned long a;

	for (a = start; a < end; a += psz)
		page_at(a)->vma = v;
	/* The part after it keeps the old number: it is no longer contiguous. */
}

/* A random mapped page, or NULL if there is none. */
static struct mpage *any_page(void)
{
	return npg ? &pages[below(npg)] : NULL;
}

/* A random open descriptor slot, or -1. */
static int any_fd(void)
{
	int i, n = 0, pick;

	for (i = 0; i < MAX_FDS; i++)
		n += fds[i].fd >= 0;
	if (!n)
		return -1;
	pick = below(n);
	for (i = 0; i < MAX_FDS; i++)
		if (fds[i].fd >= 0 && !pick--)
			return i;
	return -1;
}

/* The fd to use for an ioctl or mmap: mostly an open one, sometimes a bad one. */
static int pick_fd(int *file)
{
	int s = any_fd();

	if (s < 0 || chance(3)) {
		*file = -1;
		return BAD_FD;
	}
	*file = fds[s].file;
	return fds[s].fd;
}

/* Loads and stores that may fault. */

static sigjmp_buf fault_jmp;

/* The signal number is what sigsetjmp() returns the second time. */
static void on_fault(int sig)
{
	siglongjmp(fault_jmp, sig);
}

/* The signal a load (or a store, @write) at mapped page @p raises, or 0. */
static int access_signal(const struct mpage *p, bool write)
{
	if (!(p->prot & PROT_READ) || (write && !(p->prot & PROT_WRITE)))
		return SIGSEGV;
	if (!p->present)
		return SIGBUS;
	return 0;
}

/* A load or a store that the compiler may neither drop nor move. */
static int do_load(unsigned char *addr, unsigned char *val)
{
	int sig = sigsetjmp(fault_jmp, 1);

	if (sig)
		return sig;
	*val = __atomic_load_n(addr, __ATOMIC_RELAXED);
	return 0;
}

static int do_store(unsigned char *addr, unsigned char val)
{
	int sig = sigsetjmp(fault_jmp, 1);

	if (sig)
		return sig;
	__atomic_store_n(addr, val, __ATOMIC_RELAXED);
	return 0;
}

static void op_load(void)
{
	struct mpage *p = any_page();
	size_t off = below(psz);
	unsigned char val = 0, want;
	int sig, want_sig;

	if (!p)
		return;
	want_sig = access_signal(p, false);
	want = data[p->file][p->idx * psz + off];
	sig = do_load((unsigned char *)p->addr + off, &val);
	trace("load %#lx: %s, %#x", p->addr + off, signame(sig), val);
	if (sig != want_sig)
		mismatch("load at %#lx (file page %zu, prot %#x, %s): %s, expected %s",
			 p->addr + off, p->idx, p->prot,
			 p->present ? "present" : "zapped", signame(sig),
			 signame(want_sig));
	if (!sig && val != want)
		mismatch("load at %#lx (file page %zu offset %zu): %#x, expected %#x",
			 p->addr + off, p->idx, off, val, want);
	if (sig)
		op_sig++;
	else
		op_ok[OP_READ]++;
}

static void op_store(void)
{
	struct mpage *p = any_page();
	size_t off = below(psz);
	unsigned char val = rnd();
	int sig, want_sig;

	if (!p)
		return;
	want_sig = access_signal(p, true);
	sig = do_store((unsigned char *)p->addr + off, val);
	trace("store %#lx = %#x: %s", p->addr + off, val, signame(sig));
	if (sig != want_sig)
		mismatch("store at %#lx (file page %zu, prot %#x, %s): %s, expected %s",
			 p->addr + off, p->idx, p->prot,
			 p->present ? "present" : "zapped", signame(sig),
			 signame(want_sig));
	if (sig) {
		op_sig++;
		return;
	}
	data[p->file][p->idx * psz + off] = val;
	op_ok[OP_WRITE]++;
}

/* A whole readable page against the model. */
static void op_verify(void)
{
	struct mpage *p = any_page();
	const unsigned char *want;
	size_t i;

	if (!p || access_signal(p, false))
		return;
	want = &data[p->file][p->idx * psz];
	for (i = 0; i < psz; i++)
		if (((unsigned char *)p->addr)[i] != want[i])
			mismatch("page at %#lx (file page %zu), byte %zu: %#x, expected %#x",
				 p->addr, p->idx, i, ((unsigned char *)p->addr)[i],
				 want[i]);
	op_ok[OP_VERIFY]++;
}

/* open and close */

static void op_open(void)
{
	static const int modes[] = { O_RDWR, O_RDWR, O_RDWR, O_RDWR, O_RDWR,
				     O_RDWR, O_RDONLY, O_RDONLY, O_WRONLY };
	int s, f, fd, mode = modes[below(ARRAY_SIZE(modes))];
	size_t i;

	for (s = 0; s < MAX_FDS && fds[s].fd >= 0; s++)
		;
	for (f = 0; f < MAX_FILES && files[f].used; f++)
		;
	if (s == MAX_FDS || f == MAX_FILES)
		return;
	fd = open(RUST_MISC_DEV_PATH, mode | O_CLOEXEC);
	EXPECT(OP_OPEN, fd < 0, 0, "open");
	fds[s].fd = fd;
	fds[s].file = f;
	files[f] = (struct mfile){ .used = true, .nfds = 1, .mode = mode };
	for (i = 0; i < npages; i++)
		memset(&data[f][i * psz], (i + 1) & 0xff, psz);
}

static void op_close(void)
{
	int s = any_fd(), f;

	if (s < 0)
		return;
	f = fds[s].file;
	EXPECT(OP_CLOSE, close(fds[s].fd), 0, "close");
	fds[s].fd = -1;
	files[f].nfds--;
	put_file(f);
}

/* mmap */

static const char *prot_str(int prot)
{
	static char buf[8];

	snprintf(buf, sizeof(buf), "%s%s%s%s", prot ? "" : "NONE",
		 prot & PROT_READ ? "R" : "", prot & PROT_WRITE ? "W" : "",
		 prot & PROT_EXEC ? "X" : "");
	return buf;
}

/*
 * What mmap() of the device must return (0 or -errno): the mm core's checks
 * in their order, then the driver's.
 */
static int mmap_want(int file, unsigned long off, unsigned long len, int prot,
		     int flags)
{
	unsigned long alen = (len + psz - 1) & ~(psz - 1);
	unsigned long pgoff = off / psz;
	int mode;

	if (off % psz)
		return -EINVAL;
	if (file < 0)
		return -EBADF;
	if (flags & MAP_HUGETLB)
		return -EINVAL;
	if (!len)
		return -EINVAL;
	if (!alen)
		return -ENOMEM;
	if (pgoff + alen / psz < pgoff)
		return -EOVERFLOW;
	if (alen > (1UL << 47) - psz)	/* more than TASK_SIZE */
		return -ENOMEM;
	/* file_mmap_ok() of a character device: ULONG_MAX bytes at most. */
	if (pgoff > (~0UL - alen) / psz)
		return -EOVERFLOW;
	mode = files[file].mode;
	switch (flags & MAP_TYPE) {
	case MAP_SHARED:
		flags &= ~MAP_SYNC;
		fallthrough;
	case MAP_SHARED_VALIDATE:
		if (flags & MAP_SYNC)
			return -EOPNOTSUPP;
		if ((prot & PROT_WRITE) && mode == O_RDONLY)
			return -EACCES;
		fallthrough;
	case MAP_PRIVATE:
		if (mode == O_WRONLY)
			return -EACCES;
		break;
	default:
		return -EINVAL;
	}
	/*
	 * mmap_region(): a private writable mapping is charged, and this one
	 * is larger than the guest's memory.
	 */
	if ((flags & MAP_TYPE) == MAP_PRIVATE && (prot & PROT_WRITE) &&
	    alen >= 1UL << 40)
		return -ENOMEM;
	/* The driver: shared only, never executable, inside the buffer. */
	if ((flags & MAP_TYPE) == MAP_PRIVATE || (prot & PROT_EXEC))
		return -EINVAL;
	if (pgoff + alen / psz > npages)
		return -EINVAL;
	return 0;
}

static void op_mmap(void)
{
	static const int prots[] = { PROT_READ, PROT_READ | PROT_WRITE,
				     PROT_READ | PROT_WRITE, PROT_READ | PROT_WRITE,
				     PROT_READ, PROT_READ | PROT_WRITE, PROT_READ,
				     PROT_NONE, PROT_READ | PROT_EXEC, PROT_EXEC };
	int prot = prots[below(ARRAY_SIZE(prots))];
	unsigned long off, len, n, i;
	int file, fd, flags, want, k;
	char what[160];
	void *ret;

	fd = pick_fd(&file);
	/* The offset: mostly in or just past the buffer, sometimes absurd. */
	k = below(100);
	if (k < 85)
		off = below(npages + 1) * psz;
	else if (k < 90)
		off = below(npages) * psz + 1 + below(psz - 1);
	else if (k < 95)
		off = (1UL << below(64)) & ~(psz - 1);
	else
		off = ~0UL - (below(4) + 1) * psz + 1;
	/* The length: mostly a few pages, not always whole ones. */
	k = below(100);
	if (k < 60)	/* inside the buffer, if the offset is */
		len = (below(npages > off / psz ? npages - off / psz : 1) + 1) * psz -
		      (chance(30) ? below(psz) : 0);
	else if (k < 85)
		len = (below(npages + 1) + 1) * psz - (chance(30) ? below(psz) : 0);
	else if (k < 90)
		len = 0;
	else if (k < 92)
		len = 1UL << (40 + below(6));	/* fits in the address space */
	else if (k < 95)
		len = 1UL << (49 + below(15));	/* does not */
	else
		len = ~0UL - below(psz);
	k = below(100);
	if (k < 80)
		flags = MAP_SHARED;
	else if (k < 86)
		flags = MAP_PRIVATE;
	else if (k < 90)
		flags = MAP_SHARED_VALIDATE;
	else if (k < 93)
		flags = MAP_SHARED_VALIDATE | MAP_SYNC;
	else if (k < 95)
		flags = MAP_SHARED | MAP_SYNC;
	else if (k < 98)
		flags = 0;
	else
		flags = MAP_SHARED | MAP_HUGETLB;

	want = -mmap_want(file, off, len, prot, flags);
	n = (len + psz - 1) / psz;
	if (!want && npg + n > MAX_PAGES)
		return;
	snprintf(what, sizeof(what), "mmap(len %#lx, %s, flags %#x, fd %d, offset %#lx)",
		 len, prot_str(prot), flags, fd, off);
	ret = mmap(NULL, len, prot, flags, fd, off);
	EXPECT(OP_MMAP, ret == MAP_FAILED, want, what);
	if (want)
		return;
	for (i = 0; i < n; i++) {
		unsigned long a = (unsigned long)ret + i * psz;

		if (page_at(a) || (in_arena(a) && reserved[(a - arena) / psz]))
			mismatch("%s = %p: that range was mapped already", what, ret);
	}
	for (i = 0; i < n; i++) {
		pages[npg++] = (struct mpage){
			.addr = (unsigned long)ret + i * psz,
			.file = file,
			.idx = off / psz + i,
			.prot = prot,
			.maywrite = (prot & PROT_WRITE) != 0,
			.present = true,
			.vma = next_vma,
		};
		files[file].nmapped++;
	}
	next_vma++;
}

/*
 * A range of the fuzzer's own pages starting at a mapped page (or an arena
 * page), at most @max pages long: what munmap and mremap may touch.
 */
static bool own_range(unsigned long *start, unsigned long *len, unsigned long max)
{
	struct mpage *p = any_page();
	unsigned long n = 1 + below(max), i;

	if (p && !chance(10))
		*start = p->addr;
	else
		*start = arena + below(ARENA_PAGES) * psz;
	for (i = 0; i < n && ours(*start + i * psz); i++)
		;
	*len = i * psz;
	return i > 0;
}

static void op_munmap(void)
{
	unsigned long start, len;
	char what[96];
	int want = 0;

	if (!own_range(&start, &len, npages + 4))
		return;
	if (chance(5)) {
		start += 1 + below(psz - 1);
		want = EINVAL;
	} else if (chance(5)) {
		len = 0;
		want = EINVAL;
	} else if (chance(20)) {
		len -= below(psz);	/* rounded up to whole pages */
	}
	snprintf(what, sizeof(what), "munmap(%#lx, %#lx)", start, len);
	EXPECT(OP_MUNMAP, munmap((void *)start, len), want, what);
	if (!want)
		unmap_range(start, start + ((len + psz - 1) & ~(psz - 1)));
}

/* A sub-range [*start, *start + *len) of the VMA of a random page. */
static struct mpage *vma_range(unsigned long *start, unsigned long *len)
{
	struct mpage *p = any_page();
	unsigned long vs, ve, n;

	if (!p)
		return NULL;
	vma_bounds(p, &vs, &ve);
	n = (ve - vs) / psz;
	*start = vs + below(n) * psz;
	*len = (1 + below((ve - *start) / psz)) * psz;
	return page_at(*start);
}

static void op_mremap(void)
{
	unsigned long start, len, target, i, nlen;
	struct mpage *p = vma_range(&start, &len);
	char what[128];
	int k = below(100), want;
	void *ret;

	if (!p)
		return;
	if (k < 50) {
		/* Move into the arena: what is there is unmapped first. */
		target = arena + below(ARENA_PAGES - len / psz + 1) * psz;
		want = start + len > target && target + len > start ? EINVAL : 0;
		snprintf(what, sizeof(what), "mremap(%#lx, %#lx, MAYMOVE|FIXED to %#lx)",
			 start, len, target);
		ret = mremap((void *)start, len, len, MREMAP_MAYMOVE | MREMAP_FIXED,
			     (void *)target);
		EXPECT(OP_MREMAP, ret == MAP_FAILED, want, what);
		if (want)
			return;
		if (ret != (void *)target)
			mismatch("%s returned %p", what, ret);
		unmap_range(target, target + len);
		for (i = 0; i < len; i += psz) {
			p = page_at(start + i);
			p->addr = target + i;
			p->vma = next_vma;
		}
		next_vma++;
	} else if (k < 65) {
		/* Shrink in place: the tail goes. */
		if (len < 2 * psz)
			return;
		nlen = (1 + below(len / psz - 1)) * psz;
		snprintf(what, sizeof(what), "mremap(%#lx, %#lx, %#lx)", start, len, nlen);
		ret = mremap((void *)start, len, nlen, 0);
		EXPECT(OP_MREMAP, ret == MAP_FAILED, 0, what);
		if (ret != (void *)start)
			mismatch("%s returned %p", what, ret);
		unmap_range(start + nlen, start + len);
	} else if (k < 80) {
		/* Grow, in place or moving: VM_DONTEXPAND forbids it. */
		nlen = len + (1 + below(4)) * psz;
		snprintf(what, sizeof(what), "mremap(%#lx, %#lx, %#lx, MAYMOVE)",
			 start, len, nlen);
		ret = mremap((void *)start, len, nlen, chance(50) ? MREMAP_MAYMOVE : 0);
		EXPECT(OP_MREMAP, ret == MAP_FAILED, EFAULT, what);
	} else if (k < 85) {
		/* MREMAP_DONTUNMAP: refused for a VM_DONTEXPAND mapping. */
		snprintf(what, sizeof(what), "mremap(%#lx, %#lx, DONTUNMAP)", start, len);
		ret = mremap((void *)start, len, len, MREMAP_MAYMOVE | MREMAP_DONTUNMAP,
			     NULL);
		EXPECT(OP_MREMAP, ret == MAP_FAILED, EINVAL, what);
	} else if (k < 90) {
		/* Moving a range that runs past the end of the VMA. */
		unsigned long vs, ve;

		vma_bounds(p, &vs, &ve);
		nlen = ve - start + psz;
		snprintf(what, sizeof(what), "mremap(%#lx, %#lx past the VMA's end)",
			 start, nlen);
		target = chance(50) ? arena : arena + psz;
		ret = mremap((void *)start, nlen, nlen, MREMAP_MAYMOVE | MREMAP_FIXED,
			     (void *)target);
		/* Unless they overlap, the target is unmapped before the check. */
		want = start + nlen > target && target + nlen > start ? EINVAL : EFAULT;
		EXPECT(OP_MREMAP, ret == MAP_FAILED, want, what);
		if (want == EFAULT)
			unmap_range(target, target + nlen);
	} else {
		/* Malformed: unaligned, bad flags, FIXED without MAYMOVE, no length. */
		static const struct { int flags; int bad; } bad[] = {
			{ MREMAP_MAYMOVE, 1 }, { 0x10, 0 }, { MREMAP_FIXED, 0 },
			{ MREMAP_MAYMOVE, 2 },
		};
		int b = below(ARRAY_SIZE(bad));

		snprintf(what, sizeof(what), "mremap(%#lx, %#lx, malformed %d)", start, len, b);
		ret = mremap((void *)(start + (bad[b].bad == 1 ? 1 + below(psz - 1) : 0)),
			     len, bad[b].bad == 2 ? 0 : len, bad[b].flags, (void *)arena);
		EXPECT(OP_MREMAP, ret == MAP_FAILED, EINVAL, what);
	}
}

static void op_mprotect(void)
{
	static const int prots[] = { PROT_READ, PROT_READ | PROT_WRITE, PROT_NONE,
				     PROT_READ | PROT_EXEC };
	int prot = prots[below(ARRAY_SIZE(prots))], want = 0;
	unsigned long start, len, a;
	struct mpage *p = vma_range(&start, &len);
	char what[96];
	int k = below(100);

	if (!p)
		return;
	if (k < 5) {
		start += 1 + below(psz - 1);
		want = EINVAL;
	} else if (k < 10) {
		/* A hole of the arena: no VMA there. */
		start = arena + below(ARENA_PAGES) * psz;
		len = psz;
		if (ours(start) && (page_at(start) || reserved[(start - arena) / psz]))
			return;
		want = ENOMEM;
	} else if ((prot & PROT_EXEC) || ((prot & PROT_WRITE) && !p->maywrite)) {
		want = EACCES;	/* the driver cleared VM_MAYEXEC, VM_MAYWRITE */
	}
	snprintf(what, sizeof(what), "mprotect(%#lx, %#lx, %s)", start, len, prot_str(prot));
	EXPECT(OP_MPROTECT, mprotect((void *)start, len, prot), want, what);
	if (want || p->prot == prot)
		return;
	/* A VMA of its own, with the new protection. */
	split_off(start, start + len);
	for (a = start; a < start + len; a += psz)
		page_at(a)->prot = prot;
}

/* The whole VMA of a random page goes: keeps the number of pages down. */
static void unmap_a_vma(void)
{
	unsigned long vs, ve;
	char what[64];

	vma_bounds(any_page(), &vs, &ve);
	snprintf(what, sizeof(what), "munmap(%#lx, %#lx)", vs, ve - vs);
	op_count[OP_MUNMAP]++;
	EXPECT(OP_MUNMAP, munmap((void *)vs, ve - vs), 0, what);
	unmap_range(vs, ve);
}

/* ioctls */

/*
 * Where an ioctl's argument points: its own memory (@buf), nowhere, the
 * kernel, or a page of a mapping of the device (whose content the model
 * knows).  Sets *@src to the model's mapped page if it is one, and
 * *@readable / *@writable to whether copy_from_user / copy_to_user can use
 * it.
 */
static unsigned long pick_arg(void *buf, size_t size, struct mpage **src,
			      bool *readable, bool *writable)
{
	struct mpage *p;
	int k = below(100);

	*src = NULL;
	*readable = *writable = false;
	if (k < 80 || !npg) {
		*readable = *writable = true;
		return (unsigned long)buf;
	}
	if (k < 85)
		return 0;
	if (k < 88)
		return KERNEL_ADDR + below(1UL << 30);
	if (k < 90) {
		/* The arena: the reservation, a hole, or a device page moved there. */
		unsigned long a = arena + below(ARENA_PAGES) * psz;

		p = page_at(a);
		if (!p)
			return a;
	} else {
		p = any_page();
	}
	*src = p;
	*readable = !access_signal(p, false);
	*writable = !access_signal(p, true);
	return p->addr + below(psz / size) * size;
}

/* The bytes the device reads at @arg, a readable device page or @buf. */
static void arg_bytes(unsigned long arg, struct mpage *src, void *out, size_t size)
{
	if (src)
		memcpy(out, &data[src->file][src->idx * psz + (arg - src->addr)], size);
	else
		memcpy(out, (void *)arg, size);
}

/*
 * The result (0 or -errno) of ZAP or INSERT of @r on @file, as the UAPI
 * header has it; with @apply, the model follows.
 */
static int range_want(unsigned long cmd, int file, const struct rust_misc_dev_range *r,
		      bool apply)
{
	unsigned long addr = r->addr, len = r->len, end, vs, ve, a;
	struct mpage *p;

	if (!len || addr % psz || len % psz || addr + len < addr)
		return -EINVAL;
	end = addr + len;
	p = page_at(addr);
	if (!p || p->file != file)
		return -EINVAL;
	vma_bounds(p, &vs, &ve);
	if (end > ve)
		return -EINVAL;
	for (a = addr; a < end; a += psz) {
		p = page_at(a);
		if (cmd == RUST_MISC_DEV_INSERT && p->present)
			return -EBUSY;
		if (apply)
			p->present = cmd == RUST_MISC_DEV_INSERT;
	}
	return 0;
}

static void op_range(unsigned long cmd)
{
	enum op op = cmd == RUST_MISC_DEV_ZAP ? OP_ZAP : OP_INSERT;
	struct rust_misc_dev_range r = { 0 }, seen = { 0 };
	unsigned long start, len, arg;
	bool readable, writable;
	struct mpage *src, *p;
	int file, fd, want, k, ret;
	char what[160];

	fd = pick_fd(&file);
	k = below(100);
	p = vma_range(&start, &len);
	if (!p) {
		start = arena;
		len = psz;
	} else if (chance(70)) {
		/* Mostly the descriptor of the file that VMA maps, if it is open. */
		int s;

		for (s = 0; s < MAX_FDS; s++)
			if (fds[s].fd >= 0 && fds[s].file == p->file) {
				fd = fds[s].fd;
				file = p->file;
			}
	}
	if (k < 70) {
		r.addr = start;
		r.len = len;
	} else if (k < 78) {
		/* Past the end of the VMA, into whatever follows it. */
		r.addr = start;
		r.len = len + (1 + below(3)) * psz;
	} else if (k < 82) {
		r.addr = start + 1 + below(psz - 1);
		r.len = len;
	} else if (k < 86) {
		r.addr = start;
		r.len = len - 1 - below(psz - 1);
	} else if (k < 89) {
		r.addr = start;
		r.len = 0;
	} else if (k < 92) {
		r.addr = -psz;
		r.len = 2 * psz;
	} else if (k < 95) {
		r.addr = arena + below(ARENA_PAGES) * psz;
		r.len = psz;
	} else {
		r.addr = rnd();
		r.len = rnd();
	}
	arg = pick_arg(&r, sizeof(r), &src, &readable, &writable);
	if (file < 0) {
		want = EBADF;
	} else if (!readable) {
		want = EFAULT;
	} else {
		arg_bytes(arg, src, &seen, sizeof(seen));
		want = -range_want(cmd, file, &seen, false);
	}
	snprintf(what, sizeof(what), "%s(fd %d, {%#llx, %#llx} at %#lx)",
		 op == OP_ZAP ? "ZAP" : "INSERT", fd,
		 (unsigned long long)(readable ? seen.addr : r.addr),
		 (unsigned long long)(readable ? seen.len : r.len), arg);
	ret = ioctl(fd, cmd, arg);
	if (ret != 0 && ret != -1)
		mismatch("%s returned %d", what, ret);
	/* INSERT that stops with EBUSY keeps the pages before the busy one. */
	if (!want || want == EBUSY)
		range_want(cmd, file, &seen, true);
	EXPECT(op, ret == -1, want, what);
}

static void op_value(unsigned long cmd)
{
	enum op op = cmd == RUST_MISC_DEV_GET_VALUE ? OP_GET : OP_SET;
	bool readable, writable;
	struct mpage *src;
	int file, fd, want, v = rnd(), got = 0, ret;
	unsigned long arg;
	char what[96];

	fd = pick_fd(&file);
	arg = pick_arg(&v, sizeof(v), &src, &readable, &writable);
	if (file < 0)
		want = EBADF;
	else if (op == OP_GET ? !writable : !readable)
		want = EFAULT;
	else
		want = 0;
	snprintf(what, sizeof(what), "%s(fd %d, %#lx)",
		 op == OP_GET ? "GET_VALUE" : "SET_VALUE", fd, arg);
	if (op == OP_SET && !want)
		arg_bytes(arg, src, &v, sizeof(v));
	ret = ioctl(fd, cmd, arg);
	if (ret != 0 && ret != -1)
		mismatch("%s returned %d", what, ret);
	EXPECT(op, ret == -1, want, what);
	if (want)
		return;
	if (op == OP_SET) {
		files[file].value = v;
		return;
	}
	if (src) {
		memcpy(&data[src->file][src->idx * psz + (arg - src->addr)],
		       &files[file].value, sizeof(int));
		memcpy(&got, (void *)arg, sizeof(got));
	} else {
		got = v;
	}
	if (got != files[file].value)
		mismatch("%s read %d, expected %d", what, got, files[file].value);
}

/* The VMAs of the model that map @file: the runs of pages of one VMA id. */
static int model_mappings(int file)
{
	struct mpage *q;
	int i, n = 0;

	for (i = 0; i < npg; i++) {
		if (pages[i].file != file)
			continue;
		q = page_at(pages[i].addr - psz);
		if (!q || q->vma != pages[i].vma)
			n++;
	}
	return n;
}

static void op_mappings(void)
{
	bool readable, writable;
	struct mpage *src;
	int file, fd, want, v = rnd(), got, ret;
	unsigned long arg;
	char what[96];

	fd = pick_fd(&file);
	arg = pick_arg(&v, sizeof(v), &src, &readable, &writable);
	want = file < 0 ? EBADF : !writable ? EFAULT : 0;
	snprintf(what, sizeof(what), "GET_MAPPINGS(fd %d, %#lx)", fd, arg);
	ret = ioctl(fd, RUST_MISC_DEV_GET_MAPPINGS, arg);
	if (ret != 0 && ret != -1)
		mismatch("%s returned %d", what, ret);
	EXPECT(OP_MAPPINGS, ret == -1, want, what);
	if (want)
		return;
	if (src) {
		got = model_mappings(file);
		memcpy(&data[src->file][src->idx * psz + (arg - src->addr)],
		       &got, sizeof(int));
		memcpy(&got, (void *)arg, sizeof(got));
	} else {
		got = v;
	}
	if (got != model_mappings(file))
		mismatch("%s read %d, expected %d", what, got, model_mappings(file));
}

static void op_hello(void)
{
	int file, fd = pick_fd(&file);
	int ret = ioctl(fd, RUST_MISC_DEV_HELLO, rnd());

	EXPECT(OP_HELLO, ret == -1, file < 0 ? EBADF : 0, "HELLO");
}

/* The commands the VFS handles itself, before the driver sees them. */
static bool vfs_cmd(unsigned int cmd)
{
	static const unsigned int vfs[] = {
		FIOCLEX, FIONCLEX, FIONBIO, FIOASYNC, FIOQSIZE, FIFREEZE, FITHAW,
		FS_IOC_FIEMAP, FIGETBSZ, FICLONE, FICLONERANGE, FIDEDUPERANGE,
		FIONREAD, FS_IOC_GETFLAGS, FS_IOC_SETFLAGS, FS_IOC_FSGETXATTR,
		FS_IOC_FSSETXATTR, FS_IOC_GETFSUUID, FS_IOC_GETFSSYSFSPATH,
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(vfs); i++)
		if (cmd == vfs[i])
			return true;
	return false;
}

static bool device_cmd(unsigned int cmd)
{
	return cmd == RUST_MISC_DEV_HELLO || cmd == RUST_MISC_DEV_GET_VALUE ||
	       cmd == RUST_MISC_DEV_SET_VALUE || cmd == RUST_MISC_DEV_ZAP ||
	       cmd == RUST_MISC_DEV_INSERT || cmd == RUST_MISC_DEV_GET_MAPPINGS;
}

/*
 * A number the device does not know: its ioctls with another size or
 * direction, its magic with other numbers, or anything.
 */
static void op_garbage(void)
{
	unsigned int cmd;
	unsigned long arg = chance(50) ? rnd() : 0;
	char what[64];
	int file, fd;

	do {
		switch (below(3)) {
		case 0:
			cmd = _IOC(below(4), RUST_MISC_DEV_IOC_MAGIC,
				   0x80 + below(6), below(1 << _IOC_SIZEBITS));
			break;
		case 1:
			cmd = _IOC(below(4), RUST_MISC_DEV_IOC_MAGIC, below(256),
				   below(64));
			break;
		default:
			cmd = rnd();
		}
	} while (vfs_cmd(cmd) || device_cmd(cmd));
	fd = pick_fd(&file);
	snprintf(what, sizeof(what), "ioctl(fd %d, %#x, %#lx)", fd, cmd, arg);
	EXPECT(OP_GARBAGE, ioctl(fd, cmd, arg) == -1, file < 0 ? EBADF : ENOTTY, what);
}

static void op_zap(void)
{
	op_range(RUST_MISC_DEV_ZAP);
}

static void op_insert(void)
{
	op_range(RUST_MISC_DEV_INSERT);
}

static void op_get(void)
{
	op_value(RUST_MISC_DEV_GET_VALUE);
}

static void op_set(void)
{
	op_value(RUST_MISC_DEV_SET_VALUE);
}

static void (*const op_fn[NR_OPS])(void) = {
	[OP_OPEN] = op_open,		[OP_CLOSE] = op_close,
	[OP_MMAP] = op_mmap,		[OP_MUNMAP] = op_munmap,
	[OP_MREMAP] = op_mremap,	[OP_MPROTECT] = op_mprotect,
	[OP_ZAP] = op_zap,		[OP_INSERT] = op_insert,
	[OP_GET] = op_get,		[OP_SET] = op_set,
	[OP_HELLO] = op_hello,		[OP_GARBAGE] = op_garbage,
	[OP_READ] = op_load,		[OP_WRITE] = op_store,
	[OP_VERIFY] = op_verify,	[OP_MAPPINGS] = op_mappings,
};

static void print_usage(const char *prog)
{
	fprintf(stderr, "usage: %s [--seed N] [--ops N] [--pages N] [--verbose]\n"
		"  --seed N   the run to make (default: from the clock); printed, so that it can be replayed\n"
		"  --ops N    number of operations (default 100000)\n"
		"  --pages N  buffer size in pages of the rust_misc_device module (default %d, at most %d)\n"
		"  --verbose  print every operation\n",
		prog, RUST_MISC_DEV_PAGES_DEFAULT, MAX_BUF_PAGES);
	exit(KSFT_FAIL);
}

static unsigned long long number(const char *prog, const char *s)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || !*s || *end)
		print_usage(prog);
	return v;
}

int main(int argc, char **argv)
{
	unsigned long ops = 100000, total = 0, i;
	struct sigaction sa = { .sa_handler = on_fault };
	int persona, a, o, w, sum = 0;

	seed = time(NULL);
	for (a = 1; a < argc; a++) {
		if (!strcmp(argv[a], "--verbose"))
			verbose = true;
		else if (a + 1 < argc && !strcmp(argv[a], "--seed"))
			seed = number(argv[0], argv[++a]);
		else if (a + 1 < argc && !strcmp(argv[a], "--ops"))
			ops = number(argv[0], argv[++a]);
		else if (a + 1 < argc && !strcmp(argv[a], "--pages"))
			npages = number(argv[0], argv[++a]);
		else
			print_usage(argv[0]);
	}
	if (!npages || npages > MAX_BUF_PAGES)
		print_usage(argv[0]);

	psz = sysconf(_SC_PAGESIZE);
	if (psz != 4096)
		ksft_exit_fail_msg("page size %zu: the model assumes 4096\n", psz);
	/* PROT_READ must not imply PROT_EXEC, the device refuses exec. */
	persona = personality(0xffffffff);
	if (persona != -1 && (persona & READ_IMPLIES_EXEC))
		personality(persona & ~READ_IMPLIES_EXEC);
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSEGV, &sa, NULL) || sigaction(SIGBUS, &sa, NULL))
		ksft_exit_fail_msg("sigaction: %s\n", strerror(errno));

	ksft_print_header();
	ksft_set_plan(1);
	if (access(RUST_MISC_DEV_PATH, F_OK))
		ksft_exit_fail_msg("%s: %s\n", RUST_MISC_DEV_PATH, strerror(errno));
	ksft_print_msg("seed %llu, %lu operations, buffer of %zu pages\n", seed, ops, npages);
	fflush(stdout);

	/* The seed 0 is a fixed point of xorshift: mix it first. */
	rng_state = seed * 0x9e3779b97f4a7c15ULL + 0x632be59bd9b4e019ULL;
	for (i = 0; i < MAX_FDS; i++)
		fds[i].fd = -1;
	arena = (unsigned long)mmap(NULL, ARENA_PAGES * psz, PROT_NONE,
				    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (arena == (unsigned long)MAP_FAILED)
		ksft_exit_fail_msg("reserving the arena: %s\n", strerror(errno));
	memset(reserved, true, sizeof(reserved));

	for (o = 0; o < NR_OPS; o++)
		sum += op_weight[o];
	for (cur_op = 0; cur_op < ops; cur_op++) {
		w = below(sum);
		for (o = 0; w >= op_weight[o]; o++)
			w -= op_weight[o];
		op_count[o]++;
		op_fn[o]();
		if (npg > MAX_PAGES / 2 && chance(20))
			unmap_a_vma();
	}

	/* Every page that is still mapped holds what the model says. */
	for (i = 0; i < (unsigned long)npg; i++)
		if (!access_signal(&pages[i], false) &&
		    memcmp((void *)pages[i].addr, &data[pages[i].file][pages[i].idx * psz], psz))
			mismatch("at the end, page at %#lx (file page %zu) differs from the model",
				 pages[i].addr, pages[i].idx);
	/* Leave nothing behind: the job counts the free pages next. */
	while (npg) {
		unsigned long vs, ve;

		vma_bounds(&pages[0], &vs, &ve);
		if (munmap((void *)vs, ve - vs))
			mismatch("munmap at the end: %s", strerror(errno));
		unmap_range(vs, ve);
	}
	for (i = 0; i < MAX_FDS; i++)
		if (fds[i].fd >= 0 && close(fds[i].fd))
			mismatch("close at the end: %s", strerror(errno));
	munmap((void *)arena, ARENA_PAGES * psz);

	for (o = 0; o < NR_OPS; o++) {
		total += op_ok[o];
		ksft_print_msg("%-14s %6lu done, %6lu succeeded\n", op_names[o],
			       op_count[o], op_ok[o]);
	}
	ksft_print_msg("%lu ops: %lu succeeded, %lu failed as expected, %lu signals as expected\n",
		       ops, total, op_errs, op_sig);
	ksft_print_msg("results of the calls:");
	for (o = 0; o < 256; o++)
		if (err_count[o])
			printf(" %s %lu", errname(o), err_count[o]);
	printf("\n");
	ksft_test_result_pass("fuzz: %lu operations of seed %llu as the model says\n", ops, seed);
	ksft_finished();
}
