/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The path monitor: multipathd's checker loop. It runs each path's checker
 * on its own schedule (polling_interval, doubling to max_polling_interval
 * while all is well, back to polling_interval on any failure; failed paths
 * every polling_interval), fails paths whose check fails or times out,
 * reinstates those that pass, and holds flapping paths out (damping).
 * Every change goes through the core. Time is passed in, so unit tests
 * drive it with fake checkers and a fake clock.
 *
 * Locking: a monitor is used by the admin thread alone; it takes the core
 * lock only through core functions.
 */
#ifndef MPATHFS_PATH_MONITOR_H
#define MPATHFS_PATH_MONITOR_H

#include <stdbool.h>
#include <stdint.h>

#include "mpathfs/checker.h"
#include "mpathfs/config.h"
#include "mpathfs/core.h"
#include "mpathfs/prio.h"

#define MP_FLAP_MAX 100

struct mp_path_watch {
	struct mp_path *path;
	struct mp_checker ck;
	bool ck_ok;			/* init succeeded */
	bool checking;
	unsigned check_fail_count;	/* the path's fail_count when the check began */
	struct mp_prio pr;
	bool pr_ok;			/* prioritizer init succeeded */
	bool prioritizing;
	uint64_t next_check_ns;
	uint64_t interval_ns;		/* current, with back-off */
	unsigned seen_fail_count;	/* failures not by command, last looked at */
	uint64_t fails[MP_FLAP_MAX];	/* times of recent failures, ring */
	unsigned nr_fails, fail_head;
	uint64_t delayed_until_ns;	/* 0: not held out */
	bool damped;			/* held out, then failed: hold out again */
};

struct mp_monitor {
	struct mp_core *core;
	struct mp_path_watch *watch;
	unsigned nr_watch;
	uint64_t poll_ns, max_poll_ns;
	unsigned flap_threshold;
	uint64_t flap_window_ns, flap_holdoff_ns;
	bool ghost_usable;		/* standby paths can be activated (ALUA handler) */
	const struct mp_checker_ops *ck_ops;
	const struct mp_prio_ops *pr_ops;
	unsigned timeout_ms;
	uint64_t generation;		/* of the core's path set we watch */
};

/*
 * Set up a watch per core path with the checker and prioritizer of cfg.
 * On error writes "path NAME: reason" into err.
 */
int mp_monitor_init(struct mp_monitor *m, struct mp_core *core,
		    const struct mp_config *cfg, const struct mp_checker_ops *ops,
		    char *err, size_t errlen);
void mp_monitor_destroy(struct mp_monitor *m);

/* Take the intervals, timeouts and damping of p (a reload). */
void mp_monitor_set_params(struct mp_monitor *m, const struct mp_monitor *p);
/* Follow paths added to and removed from the core. */
void mp_monitor_sync(struct mp_monitor *m);

/* Start due checks, collect finished ones, act on them. */
void mp_monitor_step(struct mp_monitor *m, uint64_t now_ns);
/* When step() next has work: soon while checks are pending. */
uint64_t mp_monitor_next_wake(struct mp_monitor *m, uint64_t now_ns);

#endif
