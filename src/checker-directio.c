// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The directio checker: an asynchronous O_DIRECT read of the first block,
 * through the path's own O_DIRECT fd but a kernel AIO context of its own,
 * so a check never queues behind (or is reaped by) user I/O. A read that
 * is still in flight at checker_timeout is reported TIMEOUT and left to
 * finish: its buffer belongs to the kernel until then.
 */
#include <errno.h>
#include <libaio.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mpathfs/checker.h"
#include "mpathfs/log.h"

struct dio_ctx {
	io_context_t ioctx;
	struct iocb cb;
	void *buf;
	size_t len;
	bool inflight;
	uint64_t started_ns;
	enum mp_check_state result;	/* when not in flight */
};

static int dio_init(struct mp_checker *ck)
{
	struct dio_ctx *d = calloc(1, sizeof(*d));
	int r;

	if (!d)
		return -ENOMEM;
	d->len = ck->dev->lbs;
	if (posix_memalign(&d->buf, 4096, d->len < 4096 ? 4096 : d->len)) {
		free(d);
		return -ENOMEM;
	}
	r = io_setup(1, &d->ioctx);
	if (r < 0) {
		snprintf(ck->msg, sizeof(ck->msg), "io_setup: %s", mp_errstr(r));
		free(d->buf);
		free(d);
		return r;
	}
	ck->ctx = d;
	return 0;
}

static void dio_free(struct dio_ctx *d)
{
	io_destroy(d->ioctx);
	free(d->buf);
	free(d);
}

/* Waits out a read the kernel still owns, then frees what it used. */
static void *dio_orphan_main(void *arg)
{
	struct dio_ctx *d = arg;
	struct io_event ev;

	while (io_getevents(d->ioctx, 1, 1, &ev, NULL) == -EINTR)
		;
	dio_free(d);
	return NULL;
}

static void dio_destroy(struct mp_checker *ck)
{
	struct dio_ctx *d = ck->ctx;
	pthread_t t;

	if (!d)
		return;
	ck->ctx = NULL;
	if (!d->inflight) {
		dio_free(d);
		return;
	}
	if (pthread_create(&t, NULL, dio_orphan_main, d) == 0)
		pthread_detach(t);
	/* else: leak rather than free memory the kernel may still write */
}

static void dio_start(struct mp_checker *ck, uint64_t now_ns)
{
	struct dio_ctx *d = ck->ctx;
	struct iocb *cbs[1] = { &d->cb };
	int r;

	if (d->inflight)
		return;		/* the last read never came back: keep waiting for it */
	io_prep_pread(&d->cb, ck->dev->fd, d->buf, d->len, 0);
	d->started_ns = now_ns;
	r = io_submit(d->ioctx, 1, cbs);
	if (r == 1) {
		d->inflight = true;
		return;
	}
	d->result = MP_CHECK_FAULTY;
	snprintf(ck->msg, sizeof(ck->msg), "cannot submit read: %s",
		 mp_errstr(r < 0 ? r : -EIO));
}

static enum mp_check_state dio_poll(struct mp_checker *ck, uint64_t now_ns)
{
	struct dio_ctx *d = ck->ctx;
	struct timespec zero = { 0, 0 };
	struct io_event ev;
	long res;

	if (!d->inflight)
		return d->result;
	if (io_getevents(d->ioctx, 0, 1, &ev, &zero) == 1) {
		d->inflight = false;
		res = (long)ev.res;
		if (res == (long)d->len) {
			d->result = MP_CHECK_READY;
			snprintf(ck->msg, sizeof(ck->msg), "read of block 0 succeeded");
		} else {
			d->result = MP_CHECK_FAULTY;
			snprintf(ck->msg, sizeof(ck->msg), "read of block 0 failed: %s",
				 res < 0 ? mp_errstr((int)res) : "short read");
		}
		return d->result;
	}
	if (now_ns - d->started_ns >= (uint64_t)ck->timeout_ms * 1000000ull) {
		snprintf(ck->msg, sizeof(ck->msg), "read of block 0: no answer within %u ms",
			 ck->timeout_ms);
		return MP_CHECK_TIMEOUT;
	}
	return MP_CHECK_PENDING;
}

const struct mp_checker_ops mp_checker_directio = {
	.name = "directio",
	.init = dio_init,
	.destroy = dio_destroy,
	.start = dio_start,
	.poll = dio_poll,
};
