// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The tur checker: SCSI TEST UNIT READY through sg_pt (scsi.c), retried once
 * after a UNIT ATTENTION. SG_IO blocks for up to its timeout, so it runs in
 * a helper thread (check-thread.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "mpathfs/check-thread.h"
#include "mpathfs/checker.h"
#include "mpathfs/scsi.h"

struct tur_arg {
	int fd;
	unsigned timeout_ms;
};

static int tur_issue(void *arg, struct mp_scsi_result *res)
{
	struct tur_arg *a = arg;

	return mp_scsi_tur(a->fd, a->timeout_ms, res);
}

static enum mp_check_state tur_run(void *arg, char *msg, size_t msglen)
{
	return mp_tur_check(tur_issue, arg, msg, msglen);
}

static int tur_init(struct mp_checker *ck)
{
	struct tur_arg *a;
	int r = mp_scsi_probe(ck->dev->fd);

	if (r < 0) {
		snprintf(ck->msg, sizeof(ck->msg), "'%s' is not a SCSI device; "
			 "path_checker = tur needs one", ck->device);
		return r;
	}
	a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	a->fd = ck->dev->fd;
	a->timeout_ms = ck->timeout_ms;
	ck->ctx = mp_check_thread_new(tur_run, a, free);
	return ck->ctx ? 0 : -ENOMEM;
}

static void tur_destroy(struct mp_checker *ck)
{
	mp_check_thread_destroy(ck->ctx);
	ck->ctx = NULL;
}

static void tur_start(struct mp_checker *ck, uint64_t now_ns)
{
	mp_check_thread_start(ck->ctx, now_ns);
}

static enum mp_check_state tur_poll(struct mp_checker *ck, uint64_t now_ns)
{
	/* sg's own timeout ends the call; ours reports the path meanwhile */
	return mp_check_thread_poll(ck->ctx, now_ns, ck->timeout_ms, ck->msg, sizeof(ck->msg));
}

const struct mp_checker_ops mp_checker_tur = {
	.name = "tur",
	.init = tur_init,
	.destroy = tur_destroy,
	.start = tur_start,
	.poll = tur_poll,
};
