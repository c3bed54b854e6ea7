// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The path_latency prioritizer: time an O_DIRECT read of block 0 and give
 * faster paths a higher priority, in steps wide enough that noise does not
 * move a path between groups: under 1 ms 50, under 5 ms 40, under 20 ms 30,
 * under 100 ms 20, slower 10. The read blocks, so it runs in a helper
 * thread.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "mpathfs/check-thread.h"
#include "mpathfs/log.h"
#include "mpathfs/prio.h"
#include "mpathfs/util.h"

struct lat_arg {
	int fd;
	size_t len;
	void *buf;
};

static int latency_prio(uint64_t us)
{
	if (us < 1000)
		return 50;
	if (us < 5000)
		return 40;
	if (us < 20000)
		return 30;
	if (us < 100000)
		return 20;
	return 10;
}

static enum mp_check_state lat_measure(void *arg, int *value, char *msg, size_t msglen)
{
	struct lat_arg *a = arg;
	uint64_t t0 = mp_now_ns(), us;
	ssize_t n = pread(a->fd, a->buf, a->len, 0);

	if (n != (ssize_t)a->len) {
		snprintf(msg, msglen, "read of block 0 failed: %s",
			 n < 0 ? mp_errstr(-errno) : "short read");
		return MP_CHECK_FAULTY;
	}
	us = (mp_now_ns() - t0) / 1000;
	*value = (int)(us > 0x7fffffff ? 0x7fffffff : us);
	snprintf(msg, msglen, "read of block 0 took %llu us", (unsigned long long)us);
	return MP_CHECK_READY;
}

static void lat_free(void *arg)
{
	struct lat_arg *a = arg;

	free(a->buf);
	free(a);
}

static int lat_init(struct mp_prio *pr)
{
	struct lat_arg *a = calloc(1, sizeof(*a));

	if (!a)
		return -ENOMEM;
	a->fd = pr->dev->fd;
	a->len = pr->dev->lbs;
	if (posix_memalign(&a->buf, 4096, a->len < 4096 ? 4096 : a->len)) {
		free(a);
		return -ENOMEM;
	}
	pr->ctx = mp_check_thread_new_value(lat_measure, a, lat_free);
	return pr->ctx ? 0 : -ENOMEM;
}

static void lat_destroy(struct mp_prio *pr)
{
	mp_check_thread_destroy(pr->ctx);
	pr->ctx = NULL;
}

static void lat_start(struct mp_prio *pr, uint64_t now_ns)
{
	mp_check_thread_start(pr->ctx, now_ns);
}

static int lat_poll(struct mp_prio *pr, uint64_t now_ns, int *prio, int *alua_state)
{
	int us = 0;
	enum mp_check_state s = mp_check_thread_poll_value(pr->ctx, now_ns, pr->timeout_ms,
							   &us, pr->msg, sizeof(pr->msg));

	if (s == MP_CHECK_PENDING)
		return -EINPROGRESS;
	if (s != MP_CHECK_READY)
		return -EIO;
	*prio = latency_prio((uint64_t)us);
	*alua_state = -1;
	return 0;
}

const struct mp_prio_ops mp_prio_path_latency = {
	.name = "path_latency",
	.dynamic = true,
	.init = lat_init,
	.destroy = lat_destroy,
	.start = lat_start,
	.poll = lat_poll,
};
