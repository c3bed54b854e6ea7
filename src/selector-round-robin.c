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
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "mpathfs/path.h"
#include "mpathfs/selector.h"

struct rr_path {
	struct rr_path *next;		/* add order */
	struct mp_path *path;
	unsigned weight;
	bool failed;
};

struct rr_selector {
	struct rr_path *head, *tail;
	struct rr_path *last;		/* last chosen; NULL: start at head */
};

static int rr_create(struct mp_selector *ps)
{
	struct rr_selector *s = calloc(1, sizeof(*s));

	if (!s)
		return -ENOMEM;
	ps->ctx = s;
	return 0;
}

static void rr_destroy(struct mp_selector *ps)
{
	struct rr_selector *s = ps->ctx;
	struct rr_path *pp, *next;

	for (pp = s->head; pp; pp = next) {
		next = pp->next;
		free(pp);
	}
	free(s);
	ps->ctx = NULL;
}

static int rr_add_path(struct mp_selector *ps, struct mp_path *p, unsigned weight)
{
	struct rr_selector *s = ps->ctx;
	struct rr_path *pp = calloc(1, sizeof(*pp));

	if (!pp)
		return -ENOMEM;
	pp->path = p;
	pp->weight = weight;
	if (s->tail)
		s->tail->next = pp;
	else
		s->head = pp;
	s->tail = pp;
	p->ps_ctx = pp;
	return 0;
}

static void rr_remove_path(struct mp_selector *ps, struct mp_path *p)
{
	struct rr_selector *s = ps->ctx;
	struct rr_path *pp = p->ps_ctx, *prev = NULL, **link = &s->head;

	if (!pp)
		return;
	while (*link != pp) {
		prev = *link;
		link = &prev->next;
	}
	*link = pp->next;
	if (s->tail == pp)
		s->tail = prev;
	/* the cycle goes on with the removed path's successor */
	if (s->last == pp)
		s->last = prev;
	p->ps_ctx = NULL;
	free(pp);
}

static void rr_fail_path(struct mp_selector *ps, struct mp_path *p)
{
	struct rr_path *pp = p->ps_ctx;

	(void)ps;
	if (pp)
		pp->failed = true;
}

static void rr_reinstate_path(struct mp_selector *ps, struct mp_path *p)
{
	struct rr_path *pp = p->ps_ctx;

	(void)ps;
	if (pp)
		pp->failed = false;
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
	struct rr_path *start = s->last && s->last->next ? s->last->next : s->head;
	struct rr_path *pp = start;

	do {
		if (!pp->failed && (pp->weight || !weighted))
			return pp;
		pp = pp->next ? pp->next : s->head;
	} while (pp != start);
	return NULL;
}

static struct mp_path *rr_select_path(struct mp_selector *ps, size_t nr_bytes,
				      unsigned *repeat)
{
	struct rr_selector *s = ps->ctx;
	struct rr_path *pp;

	(void)nr_bytes;
	if (!s->head)
		return NULL;
	pp = rr_next(s, true);
	if (!pp)
		pp = rr_next(s, false);
	if (!pp)
		return NULL;
	s->last = pp;
	*repeat = rr_repeat(ps, pp);
	return pp->path;
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
	.destroy = rr_destroy,
	.add_path = rr_add_path,
	.remove_path = rr_remove_path,
	.fail_path = rr_fail_path,
	.reinstate_path = rr_reinstate_path,
	.select_path = rr_select_path,
	.path_status = rr_path_status,
};
