// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The readsector0 checker: a synchronous read of the first block, as
 * multipath-tools' readsector0, run in a helper thread (check-thread.c)
 * because a synchronous read can block for as long as the path hangs.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "mpathfs/check-thread.h"
#include "mpathfs/checker.h"
#include "mpathfs/log.h"

struct rs0_arg {
	int fd;
	size_t len;
	void *buf;
};

static enum mp_check_state rs0_read(void *arg, char *msg, size_t msglen)
{
	struct rs0_arg *a = arg;
	ssize_t n = pread(a->fd, a->buf, a->len, 0);

	if (n == (ssize_t)a->len) {
		snprintf(msg, msglen, "read of block 0 succeeded");
		return MP_CHECK_READY;
	}
	snprintf(msg, msglen, "read of block 0 failed: %s",
		 n < 0 ? mp_errstr(-errno) : "short read");
	return MP_CHECK_FAULTY;
}

static void rs0_free(void *arg)
{
	struct rs0_arg *a = arg;

	free(a->buf);
	free(a);
}

static int rs0_init(struct mp_checker *ck)
{
	struct rs0_arg *a = calloc(1, sizeof(*a));

	if (!a)
		return -ENOMEM;
	a->fd = ck->dev->fd;	/* O_DIRECT: the read reaches the path */
	a->len = ck->dev->lbs;
	if (posix_memalign(&a->buf, 4096, a->len < 4096 ? 4096 : a->len)) {
		free(a);
		return -ENOMEM;
	}
	ck->ctx = mp_check_thread_new(rs0_read, a, rs0_free);
	return ck->ctx ? 0 : -ENOMEM;
}

static void rs0_destroy(struct mp_checker *ck)
{
	mp_check_thread_destroy(ck->ctx);
	ck->ctx = NULL;
}

static void rs0_start(struct mp_checker *ck, uint64_t now_ns)
{
	mp_check_thread_start(ck->ctx, now_ns);
}

static enum mp_check_state rs0_poll(struct mp_checker *ck, uint64_t now_ns)
{
	return mp_check_thread_poll(ck->ctx, now_ns, ck->timeout_ms, ck->msg, sizeof(ck->msg));
}

const struct mp_checker_ops mp_checker_readsector0 = {
	.name = "readsector0",
	.init = rs0_init,
	.destroy = rs0_destroy,
	.start = rs0_start,
	.poll = rs0_poll,
};
