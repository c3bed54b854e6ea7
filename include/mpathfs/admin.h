/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The admin thread: runs the path monitor (checkers, damping), expires
 * hung I/O, and applies the core's time-driven policy (no_path_retry,
 * deferred failback). It sleeps until the earliest of these has work.
 *
 * Locking: a->mu protects stop, woken and the pending params; a leaf, never held while
 * calling into the core, the monitor or the device.
 */
#ifndef MPATHFS_ADMIN_H
#define MPATHFS_ADMIN_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "mpathfs/hwhandler.h"
#include "mpathfs/path-monitor.h"

struct mp_dev;

struct mp_admin {
	struct mp_dev *dev;
	struct mp_monitor mon;
	struct mp_hwhandler hw;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool stop, woken, started;
	bool params_pending;		/* a reload left new monitor settings */
	unsigned reported_usable, reported_total;	/* last STATUS= sent */
	struct mp_monitor params;	/* only its settings are used */
};

/* Set up the checkers and start the thread; err says why it could not. */
int mp_admin_start(struct mp_admin *a, struct mp_dev *dev, const struct mp_config *cfg,
		   char *err, size_t errlen);
/* Reload: the monitor's intervals, timeouts and damping, applied by the thread. */
void mp_admin_set_params(struct mp_admin *a, const struct mp_config *cfg);
/* Wake the thread so it re-reads the core's deadlines. */
void mp_admin_kick(void *arg);
void mp_admin_stop(struct mp_admin *a);

#endif
