// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The libaio I/O engine. Reads, writes and flushes (IOCB_CMD_FDSYNC) go
 * through one kernel AIO context on O_DIRECT fds; completion threads reap
 * events and call io->done, which is where the FUSE reply is sent, so no
 * FUSE worker waits for path I/O. Discard and write-zeroes have no AIO
 * form: a worker thread runs them (BLKDISCARD/BLKZEROOUT on block devices,
 * fallocate on regular files) and completes them the same way.
 *
 * Locking: e->mu protects the overflow list (iocbs the kernel refused with
 * EAGAIN, resubmitted after the next reap) and the blocking-op queue. It is
 * a leaf; done callbacks run without it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <libaio.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "mpathfs/io-engine.h"
#include "mpathfs/log.h"

/*
 * ThreadSanitizer cannot see the one ordering the kernel gives us: a thread
 * fills an I/O (its mp_eio, the request segment behind it) and submits it,
 * and a reaper thread only gets it back from io_getevents() after that.
 * Without the edge every field handed over that way is reported as a race.
 * So, in TSan builds only, submission releases on the iocb's address and
 * reaping acquires on it: exactly the kernel's edge, nothing more (a race
 * between two submitters, or after the completion, is still reported).
 * gcc says __SANITIZE_THREAD__, clang __has_feature(thread_sanitizer).
 */
#if defined(__SANITIZE_THREAD__)
#define MP_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define MP_TSAN 1
#endif
#endif
#ifdef MP_TSAN
#include <sanitizer/tsan_interface.h>
#define tsan_release(addr) __tsan_release(addr)
#define tsan_acquire(addr) __tsan_acquire(addr)
#else
#define tsan_release(addr) ((void)(addr))
#define tsan_acquire(addr) ((void)(addr))
#endif

#define AIO_REAP_BATCH 128
#define AIO_COMPLETION_THREADS 2

struct aio_priv {
	struct iocb iocb;
	struct mp_eio *next;		/* overflow or blocking-op queue link */
};

_Static_assert(sizeof(struct aio_priv) <= sizeof(((struct mp_eio *)0)->priv),
	       "mp_eio.priv too small for the aio engine");

struct aio_engine {
	io_context_t ctx;
	bool ctx_ready;
	bool stop;			/* [atomic] */
	pthread_t reapers[AIO_COMPLETION_THREADS];
	unsigned nr_reapers;
	pthread_t blocker;
	bool blocker_started;

	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct mp_eio *overflow, **overflow_tail;
	struct mp_eio *blocking, **blocking_tail;
};

static struct aio_priv *priv_of(struct mp_eio *io)
{
	return (struct aio_priv *)io->priv;
}

static void push(struct mp_eio ***tail, struct mp_eio *io)
{
	priv_of(io)->next = NULL;
	**tail = io;
	*tail = &priv_of(io)->next;
}

static int aio_open_path(struct mp_engine *e, const char *device,
			 struct mp_path_dev *dev)
{
	struct stat st;
	int fd, r;

	(void)e;
	if (stat(device, &st) < 0)
		return -errno;
	if (!S_ISBLK(st.st_mode) && !S_ISREG(st.st_mode))
		return -ENOTBLK;
	/* O_EXCL on a block device keeps it from being mounted under us */
	fd = open(device, O_RDWR | O_DIRECT | O_CLOEXEC |
		  (S_ISBLK(st.st_mode) ? O_EXCL : 0));
	if (fd < 0)
		return -errno;
	memset(dev, 0, sizeof(*dev));
	dev->fd = fd;
	dev->is_blockdev = S_ISBLK(st.st_mode);
	if (dev->is_blockdev) {
		int lbs = 0;

		if (ioctl(fd, BLKGETSIZE64, &dev->size) < 0 ||
		    ioctl(fd, BLKSSZGET, &lbs) < 0 || lbs <= 0) {
			r = errno ? -errno : -EINVAL;
			close(fd);
			return r;
		}
		dev->lbs = (unsigned)lbs;
		dev->major = major(st.st_rdev);
		dev->minor = minor(st.st_rdev);
	} else {
		dev->size = (uint64_t)st.st_size;
		/* page alignment satisfies O_DIRECT on every local filesystem */
		dev->lbs = 4096;
	}
	return 0;
}

static int aio_get_size(struct mp_engine *e, const struct mp_path_dev *dev, uint64_t *size)
{
	struct stat st;

	(void)e;
	if (dev->is_blockdev)
		return ioctl(dev->fd, BLKGETSIZE64, size) < 0 ? -errno : 0;
	if (fstat(dev->fd, &st) < 0)
		return -errno;
	*size = (uint64_t)st.st_size;
	return 0;
}

static void aio_close_path(struct mp_engine *e, struct mp_path_dev *dev)
{
	(void)e;
	if (dev->fd >= 0)
		close(dev->fd);
	dev->fd = -1;
}

static int submit_one(struct aio_engine *a, struct mp_eio *io)
{
	struct iocb *cb = &priv_of(io)->iocb;
	int r;

	switch (io->op) {
	case MP_IO_READ:
		io_prep_pread(cb, io->dev->fd, io->buf, io->len, (long long)io->off);
		break;
	case MP_IO_WRITE:
		io_prep_pwrite(cb, io->dev->fd, io->buf, io->len, (long long)io->off);
		break;
	case MP_IO_FLUSH:
		io_prep_fdsync(cb, io->dev->fd);
		break;
	default:
		return -EINVAL;
	}
	cb->data = io;
	tsan_release(cb);
	/* libaio returns -errno itself */
	r = io_submit(a->ctx, 1, &cb);
	if (r == 1)
		return 0;
	return r < 0 ? r : -EIO;
}

static int aio_submit(struct mp_engine *e, struct mp_eio *io)
{
	struct aio_engine *a = e->priv;
	int r;

	if (io->op == MP_IO_DISCARD || io->op == MP_IO_ZEROOUT) {
		pthread_mutex_lock(&a->mu);
		push(&a->blocking_tail, io);
		pthread_cond_signal(&a->cv);
		pthread_mutex_unlock(&a->mu);
		return 0;
	}
	r = submit_one(a, io);
	if (r == -EAGAIN) {
		/* the ring is full: retry after the next reap frees slots */
		pthread_mutex_lock(&a->mu);
		push(&a->overflow_tail, io);
		pthread_mutex_unlock(&a->mu);
		return 0;
	}
	return r;
}

static void retry_overflow(struct aio_engine *a)
{
	struct mp_eio *io;

	for (;;) {
		int r;

		pthread_mutex_lock(&a->mu);
		io = a->overflow;
		if (io) {
			a->overflow = priv_of(io)->next;
			if (!a->overflow)
				a->overflow_tail = &a->overflow;
		}
		pthread_mutex_unlock(&a->mu);
		if (!io)
			return;
		r = submit_one(a, io);
		if (r == -EAGAIN) {
			pthread_mutex_lock(&a->mu);
			priv_of(io)->next = a->overflow;
			a->overflow = io;
			if (a->overflow_tail == &a->overflow)
				a->overflow_tail = &priv_of(io)->next;
			pthread_mutex_unlock(&a->mu);
			return;
		}
		if (r < 0)
			io->done(io, r);
	}
}

static void *reaper(void *arg)
{
	struct aio_engine *a = arg;
	struct io_event ev[AIO_REAP_BATCH];

	while (!__atomic_load_n(&a->stop, __ATOMIC_ACQUIRE)) {
		struct timespec ts = { .tv_sec = 0, .tv_nsec = 100 * 1000000 };
		int n = io_getevents(a->ctx, 1, AIO_REAP_BATCH, ev, &ts);

		if (n < 0) {
			if (n == -EINTR)
				continue;
			mp_err("io_getevents: %s", mp_errstr(n));
			break;
		}
		for (int i = 0; i < n; i++) {
			struct mp_eio *io = ev[i].data;

			tsan_acquire(ev[i].obj);
			io->done(io, (long)ev[i].res);
		}
		retry_overflow(a);
	}
	return NULL;
}

static long run_blocking(struct mp_eio *io)
{
	const struct mp_path_dev *d = io->dev;
	uint64_t range[2] = { io->off, io->len };
	int mode;

	if (d->is_blockdev) {
		unsigned long req = io->op == MP_IO_DISCARD ? BLKDISCARD : BLKZEROOUT;

		if (ioctl(d->fd, req, range) < 0)
			return -errno;
		return (long)io->len;
	}
	mode = FALLOC_FL_KEEP_SIZE |
	       (io->op == MP_IO_DISCARD ? FALLOC_FL_PUNCH_HOLE : FALLOC_FL_ZERO_RANGE);
	if (fallocate(d->fd, mode, (off_t)io->off, (off_t)io->len) < 0)
		return -errno;
	return (long)io->len;
}

static void *blocker(void *arg)
{
	struct aio_engine *a = arg;

	pthread_mutex_lock(&a->mu);
	for (;;) {
		struct mp_eio *io;

		while (!a->blocking && !a->stop)
			pthread_cond_wait(&a->cv, &a->mu);
		io = a->blocking;
		if (!io)
			break;
		a->blocking = priv_of(io)->next;
		if (!a->blocking)
			a->blocking_tail = &a->blocking;
		pthread_mutex_unlock(&a->mu);
		io->done(io, run_blocking(io));
		pthread_mutex_lock(&a->mu);
	}
	pthread_mutex_unlock(&a->mu);
	return NULL;
}

static void aio_destroy(struct mp_engine *e)
{
	struct aio_engine *a = e->priv;

	if (!a)
		return;
	pthread_mutex_lock(&a->mu);
	__atomic_store_n(&a->stop, true, __ATOMIC_RELEASE);
	pthread_cond_broadcast(&a->cv);
	pthread_mutex_unlock(&a->mu);
	for (unsigned i = 0; i < a->nr_reapers; i++)
		pthread_join(a->reapers[i], NULL);
	if (a->blocker_started)
		pthread_join(a->blocker, NULL);
	if (a->ctx_ready)
		io_destroy(a->ctx);
	pthread_cond_destroy(&a->cv);
	pthread_mutex_destroy(&a->mu);
	free(a);
	e->priv = NULL;
}

static int aio_start(struct mp_engine *e, unsigned depth)
{
	struct aio_engine *a = e->priv;
	int r;

	r = io_setup((int)depth, &a->ctx);
	if (r < 0)
		return r;
	a->ctx_ready = true;
	for (unsigned i = 0; i < AIO_COMPLETION_THREADS; i++) {
		r = -pthread_create(&a->reapers[i], NULL, reaper, a);
		if (r < 0)
			return r;
		a->nr_reapers++;
	}
	r = -pthread_create(&a->blocker, NULL, blocker, a);
	if (r < 0)
		return r;
	a->blocker_started = true;
	return 0;
}

static const struct mp_engine_ops aio_ops = {
	.name = "libaio",
	.open_path = aio_open_path,
	.close_path = aio_close_path,
	.get_size = aio_get_size,
	.start = aio_start,
	.submit = aio_submit,
	.destroy = aio_destroy,
};

int mp_engine_aio_create(struct mp_engine *e)
{
	struct aio_engine *a = calloc(1, sizeof(*a));

	if (!a)
		return -ENOMEM;
	pthread_mutex_init(&a->mu, NULL);
	pthread_cond_init(&a->cv, NULL);
	a->overflow_tail = &a->overflow;
	a->blocking_tail = &a->blocking;
	e->ops = &aio_ops;
	e->priv = a;
	return 0;
}
