// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Failover, as md multipath does it: all I/O goes to the first usable path
 * in the order the paths were added; the others stand by. Spreading no load
 * keeps one path's caches warm and suits storage that serves a LUN well
 * through one port only. When that path fails the next one in order takes
 * over, and when it is reinstated it takes the I/O back.
 */
#include <stddef.h>
#include <errno.h>

#include "mpathfs/path.h"
#include "mpathfs/selector-list.h"
#include "mpathfs/selector.h"

static int fo_add_path(struct mp_selector *ps, struct mp_path *p, unsigned weight)
{
	(void)weight;
	return mp_ps_add(ps, p, sizeof(struct mp_ps_entry)) ? 0 : -ENOMEM;
}

static struct mp_path *fo_select_path(struct mp_selector *ps, size_t nr_bytes,
				      unsigned *repeat)
{
	struct mp_ps_list *l = ps->ctx;
	struct mp_ps_entry *e;

	(void)nr_bytes;
	for (e = l->head; e; e = e->next) {
		if (!e->failed) {
			*repeat = ps->rr_min_io ? ps->rr_min_io : 1;
			return e->path;
		}
	}
	return NULL;
}

static int fo_path_status(struct mp_selector *ps, struct mp_path *p, int info,
			  char *buf, size_t size)
{
	(void)ps;
	(void)p;
	(void)info;
	if (size)
		buf[0] = '\0';
	return 0;
}

const struct mp_selector_ops mp_selector_failover = {
	.name = "failover",
	.info_args = 0,
	.table_args = 0,
	.create = mp_ps_create,
	.destroy = mp_ps_destroy,
	.add_path = fo_add_path,
	.remove_path = mp_ps_remove_path,
	.fail_path = mp_ps_fail_path,
	.reinstate_path = mp_ps_reinstate_path,
	.select_path = fo_select_path,
	.path_status = fo_path_status,
};
