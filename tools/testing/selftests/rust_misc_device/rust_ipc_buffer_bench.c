// SPDX-License-Identifier: GPL-2.0
/*
 * Benchmark of the Rust IPC buffer sample (samples/rust/rust_ipc_buffer.rs)
 * against a pipe: a sender process sends messages of one size to a receiver
 * process, which reads every byte of each.  Through the device the bytes
 * are copied once, from the sender into pages mapped in the receiver, which
 * reads them in place and frees the message; through the pipe they are
 * copied twice, into the pipe and out of it into the receiver's buffer.
 *
 * For each size, each round times COUNT messages each way, the two
 * interleaved (which goes first alternates); it prints the medians:
 *   bench: ipc size N count C ipc NS pipe NS
 * with NS the nanoseconds per message.
 *
 * Usage: rust_ipc_buffer_bench [--rounds N]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include <linux/rust_ipc_buffer.h>

#include "kselftest.h"

#define DEV_PATH	"/dev/rust-ipc-buffer"
#define MAX_ROUNDS	101
#define BUF_PAGES	256

static const struct { size_t size, count; } sizes[] = {
	{ 64, 4000 }, { 4096, 2000 }, { 65536, 300 },
};

static unsigned char msg[65536], rbuf[65536];
/* What the receivers read adds up to this, printed at the end: no read is dropped. */
static uint64_t sink;

static void die(const char *what)
{
	fprintf(stderr, "bench: %s: %s\n", what, strerror(errno));
	exit(1);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* What the receiver does with every byte: add them up, a word at a time. */
static uint64_t consume(const unsigned char *p, size_t len)
{
	uint64_t sum = 0, w;
	size_t i;

	for (i = 0; i + 8 <= len; i += 8) {
		memcpy(&w, p + i, 8);
		sum += w;
	}
	for (; i < len; i++)
		sum += p[i];
	return sum;
}

static void wait_child(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status))
		die("a sender failed");
}

/* Nanoseconds per message of @count messages of @size through the device. */
static double run_ipc(size_t size, size_t count)
{
	int rx = open(DEV_PATH, O_RDWR), tx;
	unsigned char *p;
	double start, end;
	__u32 id;
	pid_t pid;
	size_t i;

	if (rx < 0 || ioctl(rx, RUST_IPC_BUFFER_GET_ID, &id))
		die("open " DEV_PATH);
	p = mmap(NULL, BUF_PAGES * 4096, PROT_READ, MAP_SHARED, rx, 0);
	if (p == MAP_FAILED)
		die("mmap");
	start = now();
	pid = fork();
	if (!pid) {
		struct rust_ipc_send s = { .id = id, .len = size,
					   .data = (__u64)(uintptr_t)msg };

		tx = open(DEV_PATH, O_RDWR);
		for (i = 0; i < count; i++)
			while (ioctl(tx, RUST_IPC_BUFFER_SEND, &s))
				if (errno == ENOSPC)
					sched_yield();
				else
					_exit(1);
		_exit(0);
	}
	for (i = 0; i < count; i++) {
		struct rust_ipc_msg m;

		if (ioctl(rx, RUST_IPC_BUFFER_RECV, &m))
			die("RECV");
		sink += consume(p + m.offset, m.len);
		if (ioctl(rx, RUST_IPC_BUFFER_FREE, &m.offset))
			die("FREE");
	}
	end = now();
	wait_child(pid);
	munmap(p, BUF_PAGES * 4096);
	close(rx);
	return (end - start) / count;
}

/* The same through a pipe: written by the sender, read into a buffer. */
static double run_pipe(size_t size, size_t count)
{
	double start, end;
	int fds[2];
	pid_t pid;
	size_t i;

	if (pipe(fds))
		die("pipe");
	start = now();
	pid = fork();
	if (!pid) {
		close(fds[0]);
		for (i = 0; i < count; i++)
			if (write(fds[1], msg, size) != (ssize_t)size)
				_exit(1);
		_exit(0);
	}
	close(fds[1]);
	for (i = 0; i < count; i++) {
		size_t got = 0;

		while (got < size) {
			ssize_t n = read(fds[0], rbuf + got, size - got);

			if (n <= 0)
				die("read");
			got += n;
		}
		sink += consume(rbuf, size);
	}
	end = now();
	wait_child(pid);
	close(fds[0]);
	return (end - start) / count;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	double ipc[MAX_ROUNDS], pip[MAX_ROUNDS];
	int rounds = 5, r;
	size_t s;

	if (argc == 3 && !strcmp(argv[1], "--rounds"))
		rounds = atoi(argv[2]);
	if (rounds < 1 || rounds > MAX_ROUNDS || (argc != 1 && argc != 3)) {
		fprintf(stderr, "usage: %s [--rounds N], N from 1 to %d\n", argv[0], MAX_ROUNDS);
		return 1;
	}
	memset(msg, 0xa5, sizeof(msg));
	for (s = 0; s < ARRAY_SIZE(sizes); s++) {
		for (r = 0; r < rounds; r++) {
			if (r % 2) {
				pip[r] = run_pipe(sizes[s].size, sizes[s].count);
				ipc[r] = run_ipc(sizes[s].size, sizes[s].count);
			} else {
				ipc[r] = run_ipc(sizes[s].size, sizes[s].count);
				pip[r] = run_pipe(sizes[s].size, sizes[s].count);
			}
		}
		qsort(ipc, rounds, sizeof(double), cmp);
		qsort(pip, rounds, sizeof(double), cmp);
		printf("bench: ipc size %zu count %zu ipc %.0f pipe %.0f\n", sizes[s].size,
		       sizes[s].count, ipc[rounds / 2], pip[rounds / 2]);
		fflush(stdout);
	}
	printf("bench: checksum %llu\n", (unsigned long long)sink);
	return 0;
}
