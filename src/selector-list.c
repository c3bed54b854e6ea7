// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The per-path list shared by the path selectors (see selector-list.h), so
 * that each selector file holds only its own choice of path. Like every
 * selector op, all of this runs under the core lock.
 */
#include <stddef.h>
#include <errno.h>
#include <stdlib.h>

#include "mpathfs/path.h"
#include "mpathfs/selector-list.h"

int mp_ps_create_sized(struct mp_selector *ps, size_t ctx_size)
{
	void *ctx = calloc(1, ctx_size);

	if (!ctx)
		return -ENOMEM;
	ps->ctx = ctx;
	return 0;
}

int mp_ps_create(struct mp_selector *ps)
{
	return mp_ps_create_sized(ps, sizeof(struct mp_ps_list));
}

void mp_ps_destroy(struct mp_selector *ps)
{
	struct mp_ps_list *l = ps->ctx;
	struct mp_ps_entry *e, *next;

	for (e = l->head; e; e = next) {
		next = e->next;
		free(e);
	}
	free(l);
	ps->ctx = NULL;
}

void *mp_ps_add(struct mp_selector *ps, struct mp_path *p, size_t entry_size)
{
	struct mp_ps_list *l = ps->ctx;
	struct mp_ps_entry *e = calloc(1, entry_size);

	if (!e)
		return NULL;
	e->path = p;
	if (l->tail)
		l->tail->next = e;
	else
		l->head = e;
	l->tail = e;
	p->ps_ctx = e;
	return e;
}

struct mp_ps_entry *mp_ps_remove(struct mp_selector *ps, struct mp_path *p)
{
	struct mp_ps_list *l = ps->ctx;
	struct mp_ps_entry *e = p->ps_ctx, *prev = NULL, **link = &l->head;

	if (!e)
		return NULL;
	while (*link != e) {
		prev = *link;
		link = &prev->next;
	}
	*link = e->next;
	if (l->tail == e)
		l->tail = prev;
	p->ps_ctx = NULL;
	free(e);
	return prev;
}

void mp_ps_remove_path(struct mp_selector *ps, struct mp_path *p)
{
	mp_ps_remove(ps, p);
}

void mp_ps_fail_path(struct mp_selector *ps, struct mp_path *p)
{
	struct mp_ps_entry *e = p->ps_ctx;

	(void)ps;
	if (e)
		e->failed = true;
}

void mp_ps_reinstate_path(struct mp_selector *ps, struct mp_path *p)
{
	struct mp_ps_entry *e = p->ps_ctx;

	(void)ps;
	if (e)
		e->failed = false;
}
