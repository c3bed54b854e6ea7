/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The list of paths every selector keeps, in the order they were added,
 * each marked failed or not: one copy of that bookkeeping instead of one per
 * selector. A selector embeds struct mp_ps_entry as the first member of its
 * per-path struct (p->ps_ctx points to it) and struct mp_ps_list as the
 * first member of its context (ps->ctx), or uses them bare when it needs
 * nothing more; the generic ops below then go straight into its ops table.
 *
 * Locking: like every selector op, these run under the core lock.
 */
#ifndef MPATHFS_SELECTOR_LIST_H
#define MPATHFS_SELECTOR_LIST_H

#include <stdbool.h>
#include <stddef.h>

#include "mpathfs/selector.h"

struct mp_ps_entry {
	struct mp_ps_entry *next;	/* add order */
	struct mp_path *path;
	bool failed;
};

struct mp_ps_list {
	struct mp_ps_entry *head, *tail;
};

/* Set ps->ctx to a zeroed context of ctx_size bytes, list first; 0 or -ENOMEM. */
int mp_ps_create_sized(struct mp_selector *ps, size_t ctx_size);

/*
 * Append a zeroed per-path struct of entry_size bytes for p, usable, and
 * point p->ps_ctx at it. Returns it, or NULL if out of memory.
 */
void *mp_ps_add(struct mp_selector *ps, struct mp_path *p, size_t entry_size);

/*
 * Unlink and free p's entry and clear p->ps_ctx; nothing if p has none (a
 * removed path). Returns the entry that was before it, NULL if it was first
 * or absent.
 */
struct mp_ps_entry *mp_ps_remove(struct mp_selector *ps, struct mp_path *p);

/* Ops for a selector that needs nothing more; mp_ps_create's context is a bare list. */
int mp_ps_create(struct mp_selector *ps);
void mp_ps_destroy(struct mp_selector *ps);
void mp_ps_remove_path(struct mp_selector *ps, struct mp_path *p);
void mp_ps_fail_path(struct mp_selector *ps, struct mp_path *p);
void mp_ps_reinstate_path(struct mp_selector *ps, struct mp_path *p);

#endif
