// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Failover, as md multipath does it: all I/O goes to the first usable path
 * in the order the paths were added; the others stand by. Spreading no load
 * keeps one path's caches warm and suits storage that serves a LUN well
 * through one port only. When that path fails the next one in order takes
 * over, and when it is reinstated it takes the I/O back.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#include "mpathfs/path.h"
#include "mpathfs/selector.h"

struct fo_path {
	struct fo_path *next;		/* add order */
	struct mp_path *path;
	bool failed;
};

struct fo_selector {
	struct fo_path *head, *tail;
};

static int fo_create(struct mp_selector *ps)
{
	struct fo_selector *s = calloc(1, sizeof(*s));

	if (!s)
		return -ENOMEM;
	ps->ctx = s;
	return 0;
}

static void fo_destroy(struct mp_selector *ps)
{
	struct fo_selector *s = ps->ctx;
	struct fo_path *pp, *next;

	for (pp = s->head; pp; pp = next) {
		next = pp->next;
		free(pp);
	}
	free(s);
	ps->ctx = NULL;
}

static int fo_add_path(struct mp_selector *ps, struct mp_path *p, unsigned weight)
{
	struct fo_selector *s = ps->ctx;
	struct fo_path *pp = calloc(1, sizeof(*pp));

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

static void fo_remove_path(struct mp_selector *ps, struct mp_path *p)
{
	struct fo_selector *s = ps->ctx;
	struct fo_path *pp = p->ps_ctx, *prev = NULL, **link = &s->head;

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

static void fo_fail_path(struct mp_selector *ps, struct mp_path *p)
{
	struct fo_path *pp = p->ps_ctx;

	(void)ps;
	if (pp)
		pp->failed = true;
}

static void fo_reinstate_path(struct mp_selector *ps, struct mp_path *p)
{
	struct fo_path *pp = p->ps_ctx;

	(void)ps;
	if (pp)
		pp->failed = false;
}

static struct mp_path *fo_select_path(struct mp_selector *ps, size_t nr_bytes,
				      unsigned *repeat)
{
	struct fo_selector *s = ps->ctx;
	struct fo_path *pp;

	(void)nr_bytes;
	for (pp = s->head; pp; pp = pp->next) {
		if (!pp->failed) {
			*repeat = ps->rr_min_io ? ps->rr_min_io : 1;
			return pp->path;
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
	.create = fo_create,
	.destroy = fo_destroy,
	.add_path = fo_add_path,
	.remove_path = fo_remove_path,
	.fail_path = fo_fail_path,
	.reinstate_path = fo_reinstate_path,
	.select_path = fo_select_path,
	.path_status = fo_path_status,
};
