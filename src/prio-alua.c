// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The alua prioritizer: REPORT TARGET PORT GROUPS on the path, and the
 * state of the path's own port group (VPD 0x83) sets its priority:
 * active/optimized 50, active/non-optimized 10, standby 1, anything else
 * 0. RTPG blocks for up to its timeout, so it runs in a helper thread.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "mpathfs/check-thread.h"
#include "mpathfs/prio.h"
#include "mpathfs/scsi.h"

struct alua_arg {
	int fd;
	int tpg;
	unsigned timeout_ms;
};

int mp_prio_of_alua_state(int s)
{
	switch (s) {
	case MP_ALUA_AO:
		return MP_PRIO_AO;
	case MP_ALUA_ANO:
		return MP_PRIO_ANO;
	case MP_ALUA_STANDBY:
		return MP_PRIO_STANDBY;
	default:
		return MP_PRIO_UNAVAILABLE;
	}
}

/* Runs in the helper thread: value is the ALUA state of the path's group. */
static enum mp_check_state alua_query(void *arg, int *value, char *msg, size_t msglen)
{
	struct alua_arg *a = arg;
	struct mp_rtpg_group g[MP_RTPG_MAX_GROUPS];
	int n, i;

	if (mp_scsi_rtpg(a->fd, a->timeout_ms, g, MP_RTPG_MAX_GROUPS, &n, msg, msglen) < 0)
		return MP_CHECK_FAULTY;
	for (i = 0; i < n; i++) {
		if (g[i].tpg == a->tpg) {
			*value = (int)g[i].state;
			snprintf(msg, msglen, "port group %d is %s", a->tpg,
				 mp_alua_state_name(g[i].state));
			return MP_CHECK_READY;
		}
	}
	snprintf(msg, msglen, "port group %d is not in the RTPG reply", a->tpg);
	return MP_CHECK_FAULTY;
}

static int alua_init(struct mp_prio *pr)
{
	struct alua_arg *a;

	if (pr->dev->tpg < 0) {
		snprintf(pr->msg, sizeof(pr->msg), "'%s' reports no ALUA target port group; "
			 "prio = alua needs one", pr->device);
		return -EINVAL;
	}
	a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	a->fd = pr->dev->fd;
	a->tpg = pr->dev->tpg;
	a->timeout_ms = pr->timeout_ms;
	pr->ctx = mp_check_thread_new_value(alua_query, a, free);
	return pr->ctx ? 0 : -ENOMEM;
}

static void alua_destroy(struct mp_prio *pr)
{
	mp_check_thread_destroy(pr->ctx);
	pr->ctx = NULL;
}

static void alua_start(struct mp_prio *pr, uint64_t now_ns)
{
	mp_check_thread_start(pr->ctx, now_ns);
}

static int alua_poll(struct mp_prio *pr, uint64_t now_ns, int *prio, int *alua_state)
{
	int state = -1;
	enum mp_check_state s = mp_check_thread_poll_value(pr->ctx, now_ns, pr->timeout_ms,
							   &state, pr->msg, sizeof(pr->msg));

	if (s == MP_CHECK_PENDING)
		return -EINPROGRESS;
	if (s != MP_CHECK_READY)
		return -EIO;
	*alua_state = state;
	*prio = mp_prio_of_alua_state(state);
	return 0;
}

const struct mp_prio_ops mp_prio_alua = {
	.name = "alua",
	.dynamic = true,
	.init = alua_init,
	.destroy = alua_destroy,
	.start = alua_start,
	.poll = alua_poll,
};
