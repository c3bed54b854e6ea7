/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The admin thread: wakes every polling interval (or at the core's next
 * deadline) and applies time-driven policy through the core.
 *
 * Locking: a->mu protects stop and the wake flag; it is a leaf and is
 * never held while calling into the core.
 */
#ifndef MPATHFS_ADMIN_H
#define MPATHFS_ADMIN_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

struct mp_core;

struct mp_admin {
	struct mp_core *core;
	uint64_t interval_ns;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool stop, woken, started;
};

int mp_admin_start(struct mp_admin *a, struct mp_core *core, unsigned interval_s);
/* Wake the thread so it re-reads the core's deadlines. */
void mp_admin_kick(void *arg);
void mp_admin_stop(struct mp_admin *a);

#endif
