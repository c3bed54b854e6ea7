// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The none checker: every path is always ready. Paths then fail only on
 * I/O errors and timeouts and come back only by reinstate_path, as with
 * dm-multipath and no multipathd.
 */
#include <stdio.h>

#include "mpathfs/checker.h"

static int none_init(struct mp_checker *ck)
{
	snprintf(ck->msg, sizeof(ck->msg), "not checked (path_checker = none)");
	return 0;
}

static void none_destroy(struct mp_checker *ck)
{
	(void)ck;
}

static void none_start(struct mp_checker *ck, uint64_t now_ns)
{
	(void)ck;
	(void)now_ns;
}

static enum mp_check_state none_poll(struct mp_checker *ck, uint64_t now_ns)
{
	(void)ck;
	(void)now_ns;
	return MP_CHECK_READY;
}

const struct mp_checker_ops mp_checker_none = {
	.name = "none",
	.init = none_init,
	.destroy = none_destroy,
	.start = none_start,
	.poll = none_poll,
};
