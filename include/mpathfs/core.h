/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The core state machine: the only owner of path and group state
 * (dm-multipath semantics). Everything that changes a path's or a group's
 * state goes through these functions.
 *
 * Locking: one mutex, core->lock, protects every [core] field of paths,
 * groups and the queue. Only the event ring's lock is taken under it
 * (core.lock -> events.mu); queued I/O is resumed after it is dropped.
 */
#ifndef MPATHFS_CORE_H
#define MPATHFS_CORE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mpathfs/config.h"
#include "mpathfs/events.h"
#include "mpathfs/path.h"

/* An I/O parked while no path is usable; resumed with 0 (map again) or -EIO. */
struct mp_qentry {
	struct mp_qentry *next;
	void (*resume)(struct mp_qentry *qe, int err);
};

/* Removed paths and groups, kept until the end (see mp_core_remove_path). */
struct mp_grave {
	struct mp_grave *next;
	struct mp_path *path;
	struct mp_group *group;
};

struct mp_core {
	pthread_mutex_t lock;
	uint64_t generation;		/* bumped when paths or groups come or go */
	struct mp_grave *graveyard;

	struct mp_group **groups;	/* config order: groups[i]->num == i + 1 */
	unsigned nr_groups;
	struct mp_path **paths;		/* config order */
	unsigned nr_paths;

	struct mp_group *current_pg;
	struct mp_group *last_pg;	/* the group I/O last went to */
	struct mp_group *next_pg;	/* set by switch_group */
	struct mp_path *current_path;
	unsigned repeat_left;
	unsigned nr_valid_paths;

	int no_path_retry;		/* config value */
	bool queue_if_no_path;		/* in force now */
	bool admin_no_queue;		/* fail_if_no_path by command: sticks */
	uint64_t no_path_deadline_ns;	/* no_path_retry N: 0 = none pending */
	uint64_t failback_deadline_ns;	/* failback N seconds: 0 = none pending */
	uint64_t polling_interval_ns;
	int failback;
	bool shutting_down;

	struct mp_qentry *q_head, **q_tail;
	unsigned nr_queued;

	bool dynamic_prio;		/* group priority = best path prio */
	bool hw_alua;			/* activate standby groups with STPG */
	struct mp_group *pg_init_group;	/* being activated: I/O queues meanwhile */
	bool pg_init_running;
	unsigned pg_init_tries;
	unsigned pg_init_retries;
	uint64_t pg_init_delay_ns;
	uint64_t pg_init_retry_ns;	/* not before this */
	unsigned pg_init_count;
	uint64_t nr_group_switches;
	uint64_t nr_path_failures;

	struct mp_events *events;	/* NULL: no event file */

	/* Called (without the lock) when a deadline appears: wakes the admin thread. */
	void (*kick)(void *arg);
	void *kick_arg;
};

/*
 * Build groups and paths from cfg. devs[i] is the opened device of
 * cfg->paths[i] (ownership of the fds stays with the caller).
 */
int mp_core_init(struct mp_core *c, const struct mp_config *cfg,
		 const struct mp_path_dev *devs, char *err, size_t errlen);
void mp_core_destroy(struct mp_core *c);

void mp_core_lock(struct mp_core *c);
void mp_core_unlock(struct mp_core *c);

/*
 * Choose a path for an I/O of nr_bytes. Returns 0 with *out set and the I/O
 * accounted as started; 1 if no path is usable and the I/O was queued (qe
 * will be resumed); -EIO if it must fail now.
 */
int mp_core_map_io(struct mp_core *c, size_t nr_bytes, struct mp_qentry *qe,
		   struct mp_path **out);

/* The I/O started by mp_core_map_io() ended (successfully or not). */
void mp_core_end_io(struct mp_core *c, struct mp_path *p, size_t nr_bytes,
		    uint64_t latency_ns);

/* Is err a path error (fail the path, re-drive) rather than the storage's? */
bool mp_core_is_path_error(int err);

/* Admin operations; return 0 or -errno (-EALREADY if nothing changed). */
int mp_core_fail_path(struct mp_core *c, struct mp_path *p, const char *reason);
int mp_core_reinstate_path(struct mp_core *c, struct mp_path *p, const char *reason);
int mp_core_bypass_group(struct mp_core *c, struct mp_group *g, bool bypass);
int mp_core_switch_group(struct mp_core *c, struct mp_group *g);
void mp_core_set_queue_if_no_path(struct mp_core *c, bool queue);

/* As mp_core_fail_path(), and the checker leaves the path failed. */
int mp_core_fail_path_admin(struct mp_core *c, struct mp_path *p);
/* Reinstate for a passed check: -EPERM if an administrator failed it. */
int mp_core_reinstate_path_checked(struct mp_core *c, struct mp_path *p, const char *reason);
void mp_core_set_check_state(struct mp_core *c, struct mp_path *p, enum mp_check_state s);

/*
 * A prioritizer's verdict on p (alua_state -1 if none). With a dynamic
 * prioritizer the group's priority follows its best path, and I/O leaves a
 * group that is no longer the best one with a usable path.
 */
void mp_core_set_path_prio(struct mp_core *c, struct mp_path *p, int prio, int alua_state);

/* The group to activate (pg_init) now, or NULL; marks it running. */
struct mp_group *mp_core_pg_init_begin(struct mp_core *c, uint64_t now_ns);
/* The activation ended; retried per pg_init_retries, then the group's paths fail. */
void mp_core_pg_init_end(struct mp_core *c, struct mp_group *g, bool ok, const char *msg,
			 uint64_t now_ns);

/* A consistent look at one path's [core] state. */
struct mp_core_path_view {
	bool active;
	bool admin_failed;
	unsigned fail_count;
	unsigned admin_fail_count;	/* of fail_count, by command */
};
void mp_core_path_view(struct mp_core *c, struct mp_path *p, struct mp_core_path_view *v);

/* Apply time-driven policy (no_path_retry N, deferred failback). */
void mp_core_tick(struct mp_core *c, uint64_t now_ns);
/* Earliest time mp_core_tick() has work, or 0 for none. */
uint64_t mp_core_next_deadline(struct mp_core *c);

/* Stop queueing: fail every queued and future no-path I/O. */
void mp_core_shutdown(struct mp_core *c);

/*
 * Add a path (its device opened and checked by the caller) to the named
 * group, made at the end of the config order if new. The path starts
 * usable and releases queued I/O. 0, or -EINVAL with err set.
 */
int mp_core_add_path(struct mp_core *c, const char *name, const char *device, unsigned weight,
		     const struct mp_path_dev *dev, const char *group, int group_priority,
		     const struct mp_selector_ops *ops, unsigned rr_min_io,
		     char *err, size_t errlen);
/*
 * Take a path out of the map (refused with -EBUSY if it is the last usable
 * one). Its struct stays allocated until mp_core_destroy(), because I/O in
 * flight may still point at it; the caller closes its device when idle. A
 * group left empty goes too.
 */
int mp_core_remove_path(struct mp_core *c, struct mp_path *p, char *err, size_t errlen);

/*
 * A removed path's device that no I/O uses any more, for the caller to
 * close (the core forgets the fd); false when there is none.
 */
bool mp_core_take_idle_removed(struct mp_core *c, struct mp_path_dev *out);
/* Reload: a group's priority and selector; -ENOENT if there is no such group. */
int mp_core_update_group(struct mp_core *c, const char *name, int priority,
			 const struct mp_selector_ops *ops, unsigned rr_min_io);
/* Reload: the map-wide policies of cfg (queueing, failback, pg_init). */
void mp_core_set_params(struct mp_core *c, const struct mp_config *cfg);

/* Lookups by name or device (path), by number or name (group); NULL if none. */
struct mp_path *mp_core_find_path(struct mp_core *c, const char *key);
struct mp_group *mp_core_find_group(struct mp_core *c, const char *key);

#endif
