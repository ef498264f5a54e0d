// SPDX-License-Identifier: GPL-2.0
/*
 * Benchmark of mmap() + munmap() of the Rust sample misc device against its
 * C twin (samples/rust/c_misc_device.c), whose mmap hooks both insert every
 * page of the mapping right away.
 *
 * For each size, each round times about 200 ms of mmap() + munmap() pairs
 * of that many pages on each driver, the drivers interleaved (which goes
 * first alternates between rounds), and the median over the rounds of each
 * driver is printed, in nanoseconds per pair, as one line:
 *
 *   bench: size 256 c 123456 rust 124000
 *
 * Whether the Rust sample inserts one page at a time or in batches is its
 * module parameter per_page, set on the kernel command line.
 *
 * Usage: rust_misc_device_bench [--rounds N] [--sizes N,N,...]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>

#include <linux/rust_misc_device.h>

#include "kselftest.h"

#define C_MISC_DEV_PATH	"/dev/c-misc-device"
#define MAX_ROUNDS	101
#define MAX_SIZES	8

static size_t psz;

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Nanoseconds for one mmap() + munmap() of @n pages of @fd, over @reps. */
static long long time_pairs(int fd, size_t n, int reps, const char *name)
{
	long long start = now_ns();
	int i;

	for (i = 0; i < reps; i++) {
		void *p = mmap(NULL, n * psz, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

		if (p == MAP_FAILED)
			ksft_exit_fail_msg("%s: mmap of %zu pages: %s\n", name, n,
					   strerror(errno));
		if (munmap(p, n * psz))
			ksft_exit_fail_msg("%s: munmap: %s\n", name, strerror(errno));
	}
	return (now_ns() - start) / reps;
}

static int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return x < y ? -1 : x > y;
}

static long long median(long long *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_ll);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void print_usage(const char *prog)
{
	fprintf(stderr, "usage: %s [--rounds N] [--sizes N,N,...]\n"
		"  --rounds N   rounds per size, at most %d (default 15)\n"
		"  --sizes ...  mapping sizes in pages, at most %d (default 1,16,256,4096)\n",
		prog, MAX_ROUNDS, MAX_SIZES);
	exit(KSFT_FAIL);
}

int main(int argc, char **argv)
{
	static long long t[2][MAX_ROUNDS];
	const char *names[2] = { "c", "rust" };
	size_t sizes[MAX_SIZES] = { 1, 16, 256, 4096 };
	int nsizes = 4, rounds = 15, fds[2], a, s, r, d;
	char *arg, *end;

	for (a = 1; a < argc; a++) {
		if (a + 1 < argc && !strcmp(argv[a], "--rounds")) {
			rounds = strtol(argv[++a], &end, 10);
			if (*end || rounds < 1 || rounds > MAX_ROUNDS)
				print_usage(argv[0]);
		} else if (a + 1 < argc && !strcmp(argv[a], "--sizes")) {
			nsizes = 0;
			for (arg = strtok(argv[++a], ","); arg; arg = strtok(NULL, ",")) {
				if (nsizes == MAX_SIZES)
					print_usage(argv[0]);
				sizes[nsizes++] = strtoul(arg, &end, 10);
				if (*end || !sizes[nsizes - 1])
					print_usage(argv[0]);
			}
			if (!nsizes)
				print_usage(argv[0]);
		} else {
			print_usage(argv[0]);
		}
	}
	psz = sysconf(_SC_PAGESIZE);

	ksft_print_header();
	ksft_set_plan(1);
	fds[0] = open(C_MISC_DEV_PATH, O_RDWR);
	fds[1] = open(RUST_MISC_DEV_PATH, O_RDWR);
	if (fds[0] < 0 || fds[1] < 0)
		ksft_exit_fail_msg("open %s and %s: %s\n", C_MISC_DEV_PATH,
				   RUST_MISC_DEV_PATH, strerror(errno));
	ksft_print_msg("%d rounds, the drivers interleaved in each\n", rounds);

	for (s = 0; s < nsizes; s++) {
		int reps = 1;

		/* One pair each first, untimed: page tables, caches. */
		for (d = 0; d < 2; d++)
			time_pairs(fds[d], sizes[s], 1, names[d]);
		/*
		 * Enough pairs that a measurement takes about 200 ms: time
		 * under TCG advances in steps of a few milliseconds.
		 */
		while (time_pairs(fds[0], sizes[s], reps, names[0]) * reps < 50000000LL)
			reps *= 2;
		reps *= 4;
		for (r = 0; r < rounds; r++)
			for (d = 0; d < 2; d++) {
				int which = (d + r) % 2;

				t[which][r] = time_pairs(fds[which], sizes[s], reps,
							 names[which]);
			}
		printf("bench: size %zu c %lld rust %lld\n", sizes[s],
		       median(t[0], rounds), median(t[1], rounds));
		fflush(stdout);
	}
	close(fds[0]);
	close(fds[1]);
	ksft_test_result_pass("bench\n");
	ksft_finished();
}
