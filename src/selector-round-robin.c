// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Weighted round-robin, after dm-ps-round-robin.c.
 *
 * Paths are visited in the order they were added, cyclically, starting after
 * the last one chosen. Weight is relative throughput, so a path's turn lasts
 * rr_min_io * weight I/Os: over one cycle every usable path gets a share of
 * the I/O proportional to its weight. A path of weight 0 has no share; it is
 * taken (for rr_min_io I/Os) only when no usable path has a weight, as
 * service-time does. Failed paths keep their place in the cycle and are
 * skipped, so a reinstated path rejoins where it was.
 */
#include <stddef.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>

#include "mpathfs/path.h"
#include "mpathfs/selector-list.h"
#include "mpathfs/selector.h"

struct rr_path {
	struct mp_ps_entry entry;	/* first: see selector-list.h */
	unsigned weight;
};
_Static_assert(offsetof(struct rr_path, entry) == 0, "selector-list.h needs it first");

struct rr_selector {
	struct mp_ps_list list;		/* first: see selector-list.h */
	struct mp_ps_entry *last;	/* last chosen; NULL: start at head */
};
_Static_assert(offsetof(struct rr_selector, list) == 0, "selector-list.h needs it first");

static int rr_create(struct mp_selector *ps)
{
	return mp_ps_create_sized(ps, sizeof(struct rr_selector));
}

static int rr_add_path(struct mp_selector *ps, struct mp_path *p, unsigned weight)
{
	struct rr_path *pp = mp_ps_add(ps, p, sizeof(*pp));

	if (!pp)
		return -ENOMEM;
	pp->weight = weight;
	return 0;
}

static void rr_remove_path(struct mp_selector *ps, struct mp_path *p)
{
	struct rr_selector *s = ps->ctx;
	bool was_last = p->ps_ctx && p->ps_ctx == s->last;
	struct mp_ps_entry *prev = mp_ps_remove(ps, p);

	/* the cycle goes on with the removed path's successor */
	if (was_last)
		s->last = prev;
}

static unsigned rr_repeat(const struct mp_selector *ps, const struct rr_path *pp)
{
	unsigned min_io = ps->rr_min_io ? ps->rr_min_io : 1;
	unsigned weight = pp->weight ? pp->weight : 1;

	if (min_io > UINT_MAX / weight)
		return UINT_MAX;
	return min_io * weight;
}

/* Next usable path after s->last, cyclically; with weight > 0 if weighted. */
static struct rr_path *rr_next(struct rr_selector *s, bool weighted)
{
	struct mp_ps_entry *start = s->last && s->last->next ? s->last->next : s->list.head;
	struct mp_ps_entry *e = start;

	do {
		struct rr_path *pp = (struct rr_path *)e;

		if (!e->failed && (pp->weight || !weighted))
			return pp;
		e = e->next ? e->next : s->list.head;
	} while (e != start);
	return NULL;
}

static struct mp_path *rr_select_path(struct mp_selector *ps, size_t nr_bytes,
				      unsigned *repeat)
{
	struct rr_selector *s = ps->ctx;
	struct rr_path *pp;

	(void)nr_bytes;
	if (!s->list.head)
		return NULL;
	pp = rr_next(s, true);
	if (!pp)
		pp = rr_next(s, false);
	if (!pp)
		return NULL;
	s->last = &pp->entry;
	*repeat = rr_repeat(ps, pp);
	return pp->entry.path;
}

static int rr_path_status(struct mp_selector *ps, struct mp_path *p, int info,
			  char *buf, size_t size)
{
	if (info) {
		if (size)
			buf[0] = '\0';
		return 0;
	}
	return snprintf(buf, size, "%u ", rr_repeat(ps, p->ps_ctx));
}

const struct mp_selector_ops mp_selector_round_robin = {
	.name = "round-robin",
	.info_args = 0,
	.table_args = 1,
	.create = rr_create,
	.destroy = mp_ps_destroy,
	.add_path = rr_add_path,
	.remove_path = rr_remove_path,
	.fail_path = mp_ps_fail_path,
	.reinstate_path = mp_ps_reinstate_path,
	.select_path = rr_select_path,
	.path_status = rr_path_status,
};
