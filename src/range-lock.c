// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Byte-range lock. Entries sit in one list in arrival order; an entry holds
 * its range when no earlier entry overlaps it. Keeping waiters in the list
 * (rather than retrying them) makes overlapping writes complete in the
 * order they arrived and stops a stream of small writes starving a big one.
 * The list is short (bounded by requests in flight), so scans are cheap.
 *
 * Locking: rl->mu, a leaf; grant callbacks run after it is dropped.
 */
#include <stddef.h>

#include "mpathfs/range-lock.h"

void mp_range_lock_init(struct mp_range_lock *rl)
{
	pthread_mutex_init(&rl->mu, NULL);
	rl->head.next = rl->head.prev = &rl->head;
	rl->nr_entries = 0;
}

void mp_range_lock_destroy(struct mp_range_lock *rl)
{
	pthread_mutex_destroy(&rl->mu);
}

static bool overlaps(const struct mp_range *a, const struct mp_range *b)
{
	return a->start < b->end && b->start < a->end;
}

/* Is r blocked by an entry that arrived before it? */
static bool blocked(struct mp_range_lock *rl, struct mp_range *r)
{
	struct mp_range *e;

	for (e = rl->head.next; e != r; e = e->next)
		if (overlaps(e, r))
			return true;
	return false;
}

bool mp_range_acquire(struct mp_range_lock *rl, struct mp_range *r,
		      uint64_t start, uint64_t end, void (*grant)(struct mp_range *))
{
	bool granted;

	r->start = start;
	r->end = end;
	r->grant = grant;
	pthread_mutex_lock(&rl->mu);
	r->prev = rl->head.prev;
	r->next = &rl->head;
	rl->head.prev->next = r;
	rl->head.prev = r;
	rl->nr_entries++;
	granted = r->granted = !blocked(rl, r);
	pthread_mutex_unlock(&rl->mu);
	/* not r->granted: once unlocked, a release may grant r (and say so) */
	return granted;
}

void mp_range_release(struct mp_range_lock *rl, struct mp_range *r)
{
	struct mp_range *e, *ready = NULL, **tail = &ready;

	pthread_mutex_lock(&rl->mu);
	r->prev->next = r->next;
	r->next->prev = r->prev;
	rl->nr_entries--;
	/* only later overlapping waiters can have been waiting for r */
	for (e = r->next; e != &rl->head; e = e->next) {
		if (e->granted || !overlaps(e, r) || blocked(rl, e))
			continue;
		e->granted = true;
		*tail = e;
		tail = &e->grant_next;
	}
	*tail = NULL;
	pthread_mutex_unlock(&rl->mu);
	while (ready) {
		struct mp_range *next = ready->grant_next;

		ready->grant(ready);
		ready = next;
	}
}
