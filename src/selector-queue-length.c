// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Queue-length, after dm-ps-queue-length.c.
 *
 * The number of I/Os a path has in flight (counted here by start_io and
 * end_io) is the cheapest sign of how busy it is: a path that completes
 * faster drains its queue faster and so is chosen more often, with no
 * notion of weight or I/O size. The usable path with the fewest I/Os in
 * flight wins; among equals the earliest added wins, which keeps the choice
 * deterministic (the winner's count then rises, so equals still alternate).
 */
#include <stddef.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

#include "mpathfs/path.h"
#include "mpathfs/selector-list.h"
#include "mpathfs/selector.h"

struct ql_path {
	struct mp_ps_entry entry;	/* first: see selector-list.h */
	uint64_t in_flight;
};
_Static_assert(offsetof(struct ql_path, entry) == 0, "selector-list.h needs it first");

static int ql_add_path(struct mp_selector *ps, struct mp_path *p, unsigned weight)
{
	(void)weight;
	return mp_ps_add(ps, p, sizeof(struct ql_path)) ? 0 : -ENOMEM;
}

static struct mp_path *ql_select_path(struct mp_selector *ps, size_t nr_bytes,
				      unsigned *repeat)
{
	struct mp_ps_list *l = ps->ctx;
	struct ql_path *pp, *best = NULL;

	(void)nr_bytes;
	for (pp = (void *)l->head; pp; pp = (void *)pp->entry.next) {
		if (pp->entry.failed)
			continue;
		if (!best || pp->in_flight < best->in_flight)
			best = pp;
		if (!best->in_flight)
			break;
	}
	if (!best)
		return NULL;
	*repeat = ps->rr_min_io ? ps->rr_min_io : 1;
	return best->entry.path;
}

static void ql_start_io(struct mp_selector *ps, struct mp_path *p, size_t nr_bytes)
{
	struct ql_path *pp = p->ps_ctx;

	(void)ps;
	(void)nr_bytes;
	if (pp)
		pp->in_flight++;
}

static void ql_end_io(struct mp_selector *ps, struct mp_path *p, size_t nr_bytes,
		      uint64_t latency_ns)
{
	struct ql_path *pp = p->ps_ctx;

	(void)ps;
	(void)nr_bytes;
	(void)latency_ns;
	if (pp && pp->in_flight)
		pp->in_flight--;
}

static int ql_path_status(struct mp_selector *ps, struct mp_path *p, int info,
			  char *buf, size_t size)
{
	struct ql_path *pp = p->ps_ctx;

	if (info)
		return snprintf(buf, size, "%" PRIu64 " ", pp->in_flight);
	return snprintf(buf, size, "%u ", ps->rr_min_io);
}

const struct mp_selector_ops mp_selector_queue_length = {
	.name = "queue-length",
	.info_args = 1,
	.table_args = 1,
	.create = mp_ps_create,
	.destroy = mp_ps_destroy,
	.add_path = ql_add_path,
	.remove_path = mp_ps_remove_path,
	.fail_path = mp_ps_fail_path,
	.reinstate_path = mp_ps_reinstate_path,
	.select_path = ql_select_path,
	.start_io = ql_start_io,
	.end_io = ql_end_io,
	.path_status = ql_path_status,
};
