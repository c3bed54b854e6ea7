// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * aioq: put N 4 KiB O_DIRECT I/Os (reads and writes alternating, distinct
 * aligned offsets) in flight on FILE at once and wait for them all, for the
 * memory scenario of contrib/bench/run.sh.
 *
 *   aioq aio FILE N [read]       one libaio context, io_submit in batches of 64
 *   aioq threads FILE N [read]   N threads, each one synchronous pread/pwrite
 *
 * With "read" every I/O is a read (see below why that matters).
 *
 * Progress goes to stdout, one line per step ("submitted K" / "started K",
 * then "done N errors E"), so the caller can tell how many are out.
 *
 * Why two modes: FUSE sends asynchronous direct I/O as background
 * requests, of which the kernel lets at most max_background into the
 * daemon; past that io_submit() itself blocks in the kernel. Synchronous
 * I/O is not background and is not capped, so N threads put N reads into
 * the daemon; synchronous direct writes, though, hold the inode lock in
 * the kernel for their whole duration (no parallel_direct_writes in
 * libfuse 3.14), so only one of them at a time reaches the daemon.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <libaio.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define BS 4096

static int fd;
static long nblocks;
static int errors;
static int reads_only;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

static off_t offset_of(long i)
{
	/* a prime stride: distinct blocks for i < nblocks */
	return (off_t)((i * 7919L) % nblocks) * BS;
}

static void *one(void *arg)
{
	long i = (long)arg;
	void *buf;
	ssize_t n;

	if (posix_memalign(&buf, BS, BS))
		return NULL;
	memset(buf, (int)(i & 0xff), BS);
	n = ((i & 1) && !reads_only) ? pwrite(fd, buf, BS, offset_of(i)) : pread(fd, buf, BS, offset_of(i));
	if (n != BS) {
		pthread_mutex_lock(&mu);
		errors++;
		pthread_mutex_unlock(&mu);
	}
	free(buf);
	return NULL;
}

static int run_threads(long n)
{
	pthread_t *th = calloc((size_t)n, sizeof(*th));
	pthread_attr_t at;
	long i, started = 0;

	if (!th)
		return 1;
	pthread_attr_init(&at);
	pthread_attr_setstacksize(&at, 64 * 1024);
	for (i = 0; i < n; i++) {
		if (pthread_create(&th[i], &at, one, (void *)i)) {
			fprintf(stderr, "aioq: pthread_create failed after %ld threads\n", i);
			break;
		}
		started++;
		if (started % 500 == 0 || started == n)
			printf("started %ld\n", started);
	}
	for (i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	printf("done %ld errors %d\n", started, errors);
	free(th);
	return errors || started != n;
}

static int run_aio(long n)
{
	io_context_t ctx = 0;
	struct iocb *cbs = calloc((size_t)n, sizeof(*cbs));
	struct iocb **ptrs = calloc((size_t)n, sizeof(*ptrs));
	struct io_event *ev = calloc(256, sizeof(*ev));
	char *bufs;
	long i, sent = 0, got = 0;
	int r;

	if (!cbs || !ptrs || !ev || posix_memalign((void **)&bufs, BS, (size_t)n * BS))
		return 1;
	memset(bufs, 0x5a, (size_t)n * BS);
	r = io_setup((int)n, &ctx);
	if (r < 0) {
		fprintf(stderr, "aioq: io_setup(%ld): %s (raise fs.aio-max-nr?)\n", n, strerror(-r));
		return 1;
	}
	for (i = 0; i < n; i++) {
		if ((i & 1) && !reads_only)
			io_prep_pwrite(&cbs[i], fd, bufs + i * BS, BS, offset_of(i));
		else
			io_prep_pread(&cbs[i], fd, bufs + i * BS, BS, offset_of(i));
		ptrs[i] = &cbs[i];
	}
	while (sent < n) {
		long batch = n - sent < 64 ? n - sent : 64;

		r = io_submit(ctx, batch, ptrs + sent);
		if (r <= 0) {
			fprintf(stderr, "aioq: io_submit: %s\n", strerror(-r));
			break;
		}
		sent += r;
		printf("submitted %ld\n", sent);
	}
	while (got < sent) {
		r = io_getevents(ctx, 1, 256, ev, NULL);
		if (r < 0) {
			if (r == -EINTR)
				continue;
			break;
		}
		for (int k = 0; k < r; k++)
			if (ev[k].res != BS)
				errors++;
		got += r;
	}
	printf("done %ld errors %d\n", got, errors);
	io_destroy(ctx);
	return errors || sent != n;
}

int main(int argc, char **argv)
{
	struct stat st;
	long n;

	if (argc < 4 || argc > 5 || (strcmp(argv[1], "aio") && strcmp(argv[1], "threads")) ||
	    (argc == 5 && strcmp(argv[4], "read"))) {
		fprintf(stderr, "usage: aioq aio|threads FILE N [read]\n");
		return 2;
	}
	reads_only = argc == 5;
	setvbuf(stdout, NULL, _IOLBF, 0);
	n = atol(argv[3]);
	fd = open(argv[2], O_RDWR | O_DIRECT);
	if (fd < 0 || fstat(fd, &st) < 0 || n <= 0) {
		perror(argv[2]);
		return 1;
	}
	nblocks = st.st_size / BS;
	if (nblocks < n) {
		fprintf(stderr, "aioq: %s is too small for %ld distinct blocks\n", argv[2], n);
		return 1;
	}
	return !strcmp(argv[1], "aio") ? run_aio(n) : run_threads(n);
}
