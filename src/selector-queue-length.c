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
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "mpathfs/path.h"
#include "mpathfs/selector.h"

struct ql_path {
	struct ql_path *next;		/* add order */
	struct mp_path *path;
	uint64_t in_flight;
	bool failed;
};

struct ql_selector {
	struct ql_path *head, *tail;
};

static int ql_create(struct mp_selector *ps)
{
	struct ql_selector *s = calloc(1, sizeof(*s));

	if (!s)
		return -ENOMEM;
	ps->ctx = s;
	return 0;
}

static void ql_destroy(struct mp_selector *ps)
{
	struct ql_selector *s = ps->ctx;
	struct ql_path *pp, *next;

	for (pp = s->head; pp; pp = next) {
		next = pp->next;
		free(pp);
	}
	free(s);
	ps->ctx = NULL;
}

static int ql_add_path(struct mp_selector *ps, struct mp_path *p, unsigned weight)
{
	struct ql_selector *s = ps->ctx;
	struct ql_path *pp = calloc(1, sizeof(*pp));

	(void)weight;
	if (!pp)
		return -ENOMEM;
	pp->path = p;
	if (s->tail)
		s->tail->next = pp;
	else
		s->head = pp;
	s->tail = pp;
	p->ps_ctx = pp;
	return 0;
}

static void ql_remove_path(struct mp_selector *ps, struct mp_path *p)
{
	struct ql_selector *s = ps->ctx;
	struct ql_path *pp = p->ps_ctx, *prev = NULL, **link = &s->head;

	if (!pp)
		return;
	while (*link != pp) {
		prev = *link;
		link = &prev->next;
	}
	*link = pp->next;
	if (s->tail == pp)
		s->tail = prev;
	p->ps_ctx = NULL;
	free(pp);
}

static void ql_fail_path(struct mp_selector *ps, struct mp_path *p)
{
	struct ql_path *pp = p->ps_ctx;

	(void)ps;
	if (pp)
		pp->failed = true;
}

static void ql_reinstate_path(struct mp_selector *ps, struct mp_path *p)
{
	struct ql_path *pp = p->ps_ctx;

	(void)ps;
	if (pp)
		pp->failed = false;
}

static struct mp_path *ql_select_path(struct mp_selector *ps, size_t nr_bytes,
				      unsigned *repeat)
{
	struct ql_selector *s = ps->ctx;
	struct ql_path *pp, *best = NULL;

	(void)nr_bytes;
	for (pp = s->head; pp; pp = pp->next) {
		if (pp->failed)
			continue;
		if (!best || pp->in_flight < best->in_flight)
			best = pp;
		if (!best->in_flight)
			break;
	}
	if (!best)
		return NULL;
	*repeat = ps->rr_min_io ? ps->rr_min_io : 1;
	return best->path;
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
	.create = ql_create,
	.destroy = ql_destroy,
	.add_path = ql_add_path,
	.remove_path = ql_remove_path,
	.fail_path = ql_fail_path,
	.reinstate_path = ql_reinstate_path,
	.select_path = ql_select_path,
	.start_io = ql_start_io,
	.end_io = ql_end_io,
	.path_status = ql_path_status,
};
