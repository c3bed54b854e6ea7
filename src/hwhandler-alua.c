// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The ALUA hardware handler (see hwhandler.h). Only the group being
 * activated is named in the STPG: a target applies exactly the descriptors
 * it is sent, so naming others would change their states too.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "mpathfs/check-thread.h"
#include "mpathfs/hwhandler.h"
#include "mpathfs/log.h"
#include "mpathfs/scsi.h"

#define ACTIVATION_POLL_NS (20 * 1000000ull)

struct stpg_arg {
	int fd;
	int tpg;
	unsigned timeout_ms;
};

static enum mp_check_state stpg_run(void *arg, int *value, char *msg, size_t msglen)
{
	struct stpg_arg *a = arg;
	int r = mp_scsi_stpg(a->fd, a->timeout_ms, a->tpg, msg, msglen);

	*value = r;
	if (r < 0)
		return MP_CHECK_FAULTY;
	snprintf(msg, msglen, "SET TARGET PORT GROUPS made port group %d active/optimized",
		 a->tpg);
	return MP_CHECK_READY;
}

void mp_hwhandler_init(struct mp_hwhandler *h, struct mp_core *core, unsigned timeout_ms)
{
	h->core = core;
	h->timeout_ms = timeout_ms;
	h->group = NULL;
	h->thread = NULL;
}

static void start(struct mp_hwhandler *h, struct mp_group *g, uint64_t now_ns)
{
	struct stpg_arg *a = calloc(1, sizeof(*a));
	struct mp_path *p = NULL;

	mp_core_lock(h->core);
	for (unsigned i = 0; i < g->nr_paths && !p; i++)
		if (g->paths[i]->active && g->paths[i]->dev.tpg >= 0)
			p = g->paths[i];
	mp_core_unlock(h->core);
	if (!a || !p) {
		free(a);
		mp_core_pg_init_end(h->core, g, false, p ? "out of memory" :
				    "no usable path with a port group", now_ns);
		return;
	}
	a->fd = p->dev.fd;
	a->tpg = p->dev.tpg;
	a->timeout_ms = h->timeout_ms;
	h->thread = mp_check_thread_new_value(stpg_run, a, free);
	if (!h->thread) {
		mp_core_pg_init_end(h->core, g, false, "out of memory", now_ns);
		return;
	}
	h->group = g;
	h->started_ns = now_ns;
	mp_info("group %u (%s): sending STPG through path %s", g->num, g->name, p->name);
	mp_check_thread_start(h->thread, now_ns);
}

void mp_hwhandler_step(struct mp_hwhandler *h, uint64_t now_ns)
{
	enum mp_check_state s;
	char msg[160];
	int value = 0;

	if (!h->group) {
		struct mp_group *g = mp_core_pg_init_begin(h->core, now_ns);

		if (g)
			start(h, g, now_ns);
		return;
	}
	s = mp_check_thread_poll_value(h->thread, now_ns, h->timeout_ms, &value, msg,
				       sizeof(msg));
	if (s == MP_CHECK_PENDING)
		return;
	mp_check_thread_destroy(h->thread);
	h->thread = NULL;
	mp_core_pg_init_end(h->core, h->group, s == MP_CHECK_READY, msg, now_ns);
	h->group = NULL;
}

uint64_t mp_hwhandler_next_wake(struct mp_hwhandler *h, uint64_t now_ns)
{
	return h->group ? now_ns + ACTIVATION_POLL_NS : UINT64_MAX;
}

void mp_hwhandler_destroy(struct mp_hwhandler *h)
{
	mp_check_thread_destroy(h->thread);
	h->thread = NULL;
	h->group = NULL;
}
