/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Byte-range lock that serialises overlapping writes (and read-modify-write
 * cycles) in arrival order, without blocking the caller: a waiter is granted
 * through its callback when every earlier overlapping holder has released.
 *
 * Locking: rl->mu protects the list; it is a leaf lock and grant callbacks
 * run after it is dropped.
 */
#ifndef MPATHFS_RANGE_LOCK_H
#define MPATHFS_RANGE_LOCK_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

struct mp_range {
	struct mp_range *prev, *next;
	uint64_t start, end;		/* [start, end) */
	bool granted;
	void (*grant)(struct mp_range *r);
	struct mp_range *grant_next;	/* private: grants collected by release */
};

struct mp_range_lock {
	pthread_mutex_t mu;
	struct mp_range head;		/* list sentinel, arrival order */
	unsigned nr_entries;
};

void mp_range_lock_init(struct mp_range_lock *rl);
void mp_range_lock_destroy(struct mp_range_lock *rl);

/*
 * Ask for [start, end). Returns true if granted at once (grant is not
 * called); false if it waits, and r->grant(r) will be called later.
 */
bool mp_range_acquire(struct mp_range_lock *rl, struct mp_range *r,
		      uint64_t start, uint64_t end, void (*grant)(struct mp_range *));
void mp_range_release(struct mp_range_lock *rl, struct mp_range *r);

#endif
