// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The core state machine: paths, priority groups, group choice, failback,
 * and what happens to I/O when no path is usable. dm-mpath.c's
 * choose_pgpath() is the model: keep the current group until it has no
 * usable path, then walk the groups best first, skipping bypassed groups on
 * the first pass and trying only them on the second.
 *
 * Locking: core->lock protects every [core] field of paths and groups, the
 * group choice and the queue; events are emitted under it (core.lock ->
 * events.mu). Queued I/O is detached under the
 * lock and resumed after it is dropped, because resuming submits I/O.
 * Selector ops run under the lock.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mpathfs/core.h"
#include "mpathfs/log.h"
#include "mpathfs/prio.h"
#include "mpathfs/util.h"

void mp_core_lock(struct mp_core *c)
{
	pthread_mutex_lock(&c->lock);
}

void mp_core_unlock(struct mp_core *c)
{
	pthread_mutex_unlock(&c->lock);
}

/* Strictly better group to use: higher priority, then earlier in config. */
static bool group_better(const struct mp_group *a, const struct mp_group *b)
{
	if (a->priority != b->priority)
		return a->priority > b->priority;
	return a->num < b->num;
}

/*
 * The n-th group in walk order (best first). Groups are few (<= 32), so a
 * selection scan beats keeping a sorted copy in step with priority changes.
 */
static struct mp_group *group_by_rank(struct mp_core *c, unsigned rank)
{
	struct mp_group *prev = NULL, *best;
	unsigned r, i;

	for (r = 0; r <= rank; r++) {
		best = NULL;
		for (i = 0; i < c->nr_groups; i++) {
			struct mp_group *g = c->groups[i];

			if (prev && !group_better(prev, g))
				continue;
			if (!best || group_better(g, best))
				best = g;
		}
		if (!best)
			return NULL;
		prev = best;
	}
	return prev;
}

/* Does I/O to g need an explicit ALUA activation first? */
static bool needs_pg_init(const struct mp_core *c, const struct mp_group *g)
{
	bool known = false;

	if (!c->hw_alua)
		return false;
	for (unsigned i = 0; i < g->nr_paths; i++) {
		const struct mp_path *p = g->paths[i];

		if (!p->active || p->alua_state < 0)
			continue;
		if (p->alua_state == 0x0 || p->alua_state == 0x1)
			return false;
		known = true;
	}
	return known;
}

static struct mp_path *choose_in_group(struct mp_core *c, struct mp_group *g,
				       size_t nr_bytes)
{
	struct mp_path *p;
	unsigned repeat = 1;

	if (!g->nr_active)
		return NULL;
	if (needs_pg_init(c, g)) {
		/* as dm with a hardware handler: hold all I/O until it is active */
		if (!c->pg_init_group) {
			c->pg_init_group = g;
			c->pg_init_tries = 0;
			c->pg_init_retry_ns = 0;
			mp_notice("group %u (%s) is standby: activating it (pg_init)", g->num, g->name);
			mp_events_emit(c->events, MP_EV_PG_INIT, NULL, g->name,
				       "standby group: activating (queueing I/O)");
		}
		return NULL;
	}
	p = g->ps.ops->select_path(&g->ps, nr_bytes, &repeat);
	if (!p)
		return NULL;
	if (c->last_pg != g) {
		/* the first choice is not a switch; any later change of group is */
		if (c->last_pg)
			c->nr_group_switches++;
		mp_notice("group %u (%s) is now active", g->num, g->name);
		mp_events_emit(c->events, MP_EV_GROUP_SWITCH, NULL, g->name,
			       "group %u is now active", g->num);
		c->last_pg = g;
	}
	c->current_pg = g;
	c->current_path = p;
	c->repeat_left = repeat ? repeat - 1 : 0;
	return p;
}

static struct mp_path *choose_path(struct mp_core *c, size_t nr_bytes)
{
	struct mp_path *p;
	unsigned pass, rank;

	if (!c->nr_valid_paths)
		return NULL;

	p = c->current_path;
	if (p && c->repeat_left && p->active && !c->next_pg) {
		c->repeat_left--;
		return p;
	}

	if (c->next_pg) {
		struct mp_group *g = c->next_pg;

		c->next_pg = NULL;
		p = choose_in_group(c, g, nr_bytes);
		if (p || c->pg_init_group)
			return p;
	}

	if (c->current_pg) {
		p = choose_in_group(c, c->current_pg, nr_bytes);
		if (p || c->pg_init_group)
			return p;
	}

	for (pass = 0; pass < 2; pass++) {
		struct mp_group *g;

		for (rank = 0; (g = group_by_rank(c, rank)); rank++) {
			if (g->bypassed != (pass == 1))
				continue;
			p = choose_in_group(c, g, nr_bytes);
			if (p || c->pg_init_group)
				return p;
		}
	}
	c->current_pg = NULL;
	c->current_path = NULL;
	return NULL;
}

/* The group failback would pick now: best non-bypassed group with a path. */
static struct mp_group *failback_target(struct mp_core *c)
{
	struct mp_group *g;
	unsigned rank;

	for (rank = 0; (g = group_by_rank(c, rank)); rank++)
		if (!g->bypassed && g->nr_active)
			return g;
	return NULL;
}

static void failback_now(struct mp_core *c)
{
	struct mp_group *g = failback_target(c);

	if (!g || g == c->current_pg)
		return;
	mp_notice("failback to group %u (%s)", g->num, g->name);
	c->next_pg = g;
	c->current_path = NULL;
}

static bool queueing(const struct mp_core *c)
{
	return c->queue_if_no_path && !c->shutting_down;
}

/* Detach the queue; the caller resumes it after unlocking. */
static struct mp_qentry *take_queue(struct mp_core *c)
{
	struct mp_qentry *q = c->q_head;

	c->q_head = NULL;
	c->q_tail = &c->q_head;
	c->nr_queued = 0;
	return q;
}

static void resume_queue(struct mp_qentry *q, int err)
{
	while (q) {
		struct mp_qentry *next = q->next;

		q->next = NULL;
		q->resume(q, err);
		q = next;
	}
}

static void kick(struct mp_core *c)
{
	if (c->kick)
		c->kick(c->kick_arg);
}

int mp_core_init(struct mp_core *c, const struct mp_config *cfg,
		 const struct mp_path_dev *devs, char *err, size_t errlen)
{
	unsigned i;
	int r = -ENOMEM;

	memset(c, 0, sizeof(*c));
	pthread_mutex_init(&c->lock, NULL);
	c->q_tail = &c->q_head;
	c->no_path_retry = cfg->no_path_retry;
	c->queue_if_no_path = cfg->no_path_retry != MP_NO_PATH_RETRY_FAIL;
	c->polling_interval_ns = (uint64_t)cfg->polling_interval * 1000000000ull;
	c->failback = cfg->failback;
	c->dynamic_prio = cfg->prio != MP_PRIO_CONST;
	c->hw_alua = cfg->hardware_handler == MP_HW_HANDLER_ALUA;
	c->pg_init_retries = cfg->pg_init_retries;
	c->pg_init_delay_ns = (uint64_t)cfg->pg_init_delay_msecs * 1000000ull;

	/* full size from the start: add_path never moves what others point into */
	c->groups = calloc(MP_MAX_GROUPS, sizeof(*c->groups));
	c->paths = calloc(MP_MAX_PATHS, sizeof(*c->paths));
	if (!c->groups || !c->paths)
		goto fail;

	for (i = 0; i < cfg->nr_groups; i++) {
		const struct mp_config_group *cg = &cfg->groups[i];
		const char *sel = cg->selector[0] ? cg->selector : cfg->path_selector;
		struct mp_group *g = calloc(1, sizeof(*g));

		if (!g)
			goto fail;
		c->groups[c->nr_groups++] = g;
		snprintf(g->name, sizeof(g->name), "%s", cg->name);
		g->num = i + 1;
		g->priority = g->config_priority = cg->priority;
		g->ps.ops = mp_selector_find(sel);
		g->ps.rr_min_io = cfg->rr_min_io;
		if (!g->ps.ops) {
			snprintf(err, errlen, "group %s: unknown selector '%s'", g->name, sel);
			r = -EINVAL;
			goto fail;
		}
		r = g->ps.ops->create(&g->ps);
		if (r < 0) {
			g->ps.ops = NULL;
			goto fail;
		}
		g->paths = calloc(MP_MAX_PATHS, sizeof(*g->paths));
		if (!g->paths) {
			r = -ENOMEM;
			goto fail;
		}
	}

	for (i = 0; i < cfg->nr_paths; i++) {
		const struct mp_config_path *cp = &cfg->paths[i];
		int gi = mp_config_group_index(cfg, cp->group[0] ? cp->group : "default");
		struct mp_path *p = calloc(1, sizeof(*p));
		struct mp_group *g;

		if (!p) {
			r = -ENOMEM;
			goto fail;
		}
		c->paths[c->nr_paths++] = p;
		if (gi < 0) {
			snprintf(err, errlen, "path %s: no group '%s'", cp->name, cp->group);
			r = -EINVAL;
			goto fail;
		}
		g = c->groups[gi];
		snprintf(p->name, sizeof(p->name), "%s", cp->name);
		snprintf(p->device, sizeof(p->device), "%s", cp->device);
		p->weight = cp->weight;
		p->dev = devs[i];
		p->group = g;
		p->alua_state = -1;
		r = g->ps.ops->add_path(&g->ps, p, p->weight);
		if (r < 0)
			goto fail;
		g->paths[g->nr_paths++] = p;
		p->active = true;
		g->nr_active++;
		c->nr_valid_paths++;
	}
	return 0;

fail:
	if (r == -ENOMEM)
		snprintf(err, errlen, "out of memory");
	mp_core_destroy(c);
	return r;
}

void mp_core_destroy(struct mp_core *c)
{
	unsigned i, j;

	for (i = 0; i < c->nr_groups; i++) {
		struct mp_group *g = c->groups[i];

		if (g->ps.ops) {
			for (j = 0; j < g->nr_paths; j++)
				g->ps.ops->remove_path(&g->ps, g->paths[j]);
			g->ps.ops->destroy(&g->ps);
		}
		free(g->paths);
		free(g);
	}
	for (i = 0; i < c->nr_paths; i++)
		free(c->paths[i]);
	while (c->graveyard) {
		struct mp_grave *gr = c->graveyard;

		c->graveyard = gr->next;
		if (gr->group) {
			free(gr->group->paths);
			free(gr->group);
		}
		free(gr->path);
		free(gr);
	}
	free(c->groups);
	free(c->paths);
	c->groups = NULL;
	c->paths = NULL;
	c->nr_groups = c->nr_paths = 0;
	pthread_mutex_destroy(&c->lock);
}

int mp_core_map_io(struct mp_core *c, size_t nr_bytes, struct mp_qentry *qe,
		   struct mp_path **out)
{
	struct mp_path *p;

	mp_core_lock(c);
	p = c->pg_init_group ? NULL : choose_path(c, nr_bytes);
	if (!p && c->pg_init_group && !c->shutting_down) {
		bool first = !c->nr_queued;

		qe->next = NULL;
		*c->q_tail = qe;
		c->q_tail = &qe->next;
		c->nr_queued++;
		mp_core_unlock(c);
		if (first)
			kick(c);
		return 1;
	}
	if (p) {
		p->inflight_ios++;
		p->inflight_bytes += nr_bytes;
		if (p->group->ps.ops->start_io)
			p->group->ps.ops->start_io(&p->group->ps, p, nr_bytes);
		mp_core_unlock(c);
		*out = p;
		return 0;
	}
	if (queueing(c)) {
		qe->next = NULL;
		*c->q_tail = qe;
		c->q_tail = &qe->next;
		c->nr_queued++;
		mp_core_unlock(c);
		return 1;
	}
	mp_core_unlock(c);
	return -EIO;
}

/* Powers of ten with 2.5 and 5 between, 100 us to 10 s: storage latencies. */
const uint64_t mp_lat_bounds_ns[MP_LAT_BUCKETS] = {
	100000, 250000, 500000, 1000000, 2500000, 5000000, 10000000, 25000000,
	50000000, 100000000, 250000000, 500000000, 1000000000, 2500000000,
	5000000000, 10000000000,
};

void mp_core_end_io(struct mp_core *c, struct mp_path *p, size_t nr_bytes,
		    uint64_t latency_ns)
{
	unsigned b = 0;

	while (b < MP_LAT_BUCKETS && latency_ns > mp_lat_bounds_ns[b])
		b++;
	mp_core_lock(c);
	p->lat_hist[b]++;
	p->lat_sum_ns += latency_ns;
	p->inflight_ios--;
	p->inflight_bytes -= nr_bytes;
	if (p->group->ps.ops->end_io)
		p->group->ps.ops->end_io(&p->group->ps, p, nr_bytes, latency_ns);
	mp_core_unlock(c);
}

/*
 * As dm-mpath's noretry_error(): errors that the storage itself returns
 * (medium, target, space, protection, unsupported, invalid request) go back
 * to the caller; any other error is the path's.
 */
bool mp_core_is_path_error(int err)
{
	switch (-err) {
	case ENODATA:
	case EREMOTEIO:
	case ENOSPC:
	case EDQUOT:
	case EILSEQ:
	case EOPNOTSUPP:
	case EINVAL:
	case EFBIG:
		return false;
	default:
		return true;
	}
}

int mp_core_fail_path(struct mp_core *c, struct mp_path *p, const char *reason)
{
	struct mp_group *g = p->group;
	struct mp_qentry *q = NULL;

	mp_core_lock(c);
	if (!p->active) {
		mp_core_unlock(c);
		return -EALREADY;
	}
	p->active = false;
	p->fail_count++;
	g->nr_active--;
	c->nr_valid_paths--;
	c->nr_path_failures++;
	g->ps.ops->fail_path(&g->ps, p);
	if (c->current_path == p)
		c->current_path = NULL;
	if (!g->nr_active && c->current_pg == g)
		c->current_pg = NULL;
	mp_notice("path %s (%s) failed: %s; %u of %u paths usable, fail_count %u",
		  p->name, p->device, reason, c->nr_valid_paths, c->nr_paths,
		  p->fail_count);
	mp_events_emit(c->events, MP_EV_PATH_FAILED, p->name, g->name, "%s", reason);
	if (!c->nr_valid_paths) {
		if (c->no_path_retry > 0 && c->queue_if_no_path) {
			c->no_path_deadline_ns = mp_now_ns() +
				(uint64_t)c->no_path_retry * c->polling_interval_ns;
			mp_notice("no usable path: queueing I/O for %d checker intervals",
				  c->no_path_retry);
			mp_events_emit(c->events, MP_EV_NO_PATH, NULL, NULL,
				       "queueing I/O for %d checker intervals", c->no_path_retry);
		} else if (queueing(c)) {
			mp_notice("no usable path: queueing I/O until a path returns");
			mp_events_emit(c->events, MP_EV_NO_PATH, NULL, NULL,
				       "queueing I/O until a path returns");
		} else {
			mp_notice("no usable path: failing I/O");
			mp_events_emit(c->events, MP_EV_NO_PATH, NULL, NULL, "failing I/O");
			q = take_queue(c);
		}
	}
	mp_core_unlock(c);
	resume_queue(q, -EIO);
	/* the admin thread checks a failed path soon, and may have a deadline */
	kick(c);
	return 0;
}

static int reinstate(struct mp_core *c, struct mp_path *p, const char *reason,
		     bool by_checker)
{
	struct mp_group *g = p->group;
	struct mp_qentry *q;
	bool first_in_group, kicked = false, was_queueing = false;

	mp_core_lock(c);
	if (p->removed) {
		mp_core_unlock(c);
		return -ENOENT;
	}
	if (by_checker && p->admin_failed) {
		mp_core_unlock(c);
		return -EPERM;
	}
	p->admin_failed = false;
	if (p->active) {
		mp_core_unlock(c);
		return -EALREADY;
	}
	p->active = true;
	first_in_group = g->nr_active++ == 0;
	if (!c->nr_valid_paths++) {
		/* the map held I/O for want of a path: that ends here */
		was_queueing = queueing(c);
		/* a path is back: no_path_retry's count starts again next time */
		c->no_path_deadline_ns = 0;
		/* queueing comes back with a path, unless a command turned it off */
		if (c->no_path_retry > 0 && !c->admin_no_queue)
			c->queue_if_no_path = true;
	}
	g->ps.ops->reinstate_path(&g->ps, p);
	mp_notice("path %s (%s) reinstated: %s; %u of %u paths usable",
		  p->name, p->device, reason, c->nr_valid_paths, c->nr_paths);
	mp_events_emit(c->events, MP_EV_PATH_REINSTATED, p->name, g->name, "%s", reason);
	if (was_queueing)
		mp_events_emit(c->events, MP_EV_QUEUEING, p->name, g->name,
			       "queueing ended: %u queued I/O resumed", c->nr_queued);

	if (c->current_pg && c->current_pg != g && group_better(g, c->current_pg) &&
	    !g->bypassed) {
		if (c->failback == MP_FAILBACK_IMMEDIATE || c->failback == 0 ||
		    (c->failback == MP_FAILBACK_FOLLOWOVER && first_in_group)) {
			failback_now(c);
		} else if (c->failback > 0 && !c->failback_deadline_ns) {
			c->failback_deadline_ns = mp_now_ns() +
				(uint64_t)c->failback * 1000000000ull;
			kicked = true;
		}
	}
	q = take_queue(c);
	mp_core_unlock(c);
	resume_queue(q, 0);
	if (kicked)
		kick(c);
	return 0;
}

int mp_core_reinstate_path(struct mp_core *c, struct mp_path *p, const char *reason)
{
	return reinstate(c, p, reason, false);
}

int mp_core_reinstate_path_checked(struct mp_core *c, struct mp_path *p, const char *reason)
{
	return reinstate(c, p, reason, true);
}

int mp_core_fail_path_admin(struct mp_core *c, struct mp_path *p)
{
	mp_core_lock(c);
	p->admin_failed = true;
	/* counted before the failure, so no one sees one that is not yet marked */
	if (p->active)
		p->admin_fail_count++;
	mp_core_unlock(c);
	return mp_core_fail_path(c, p, "failed by administrator");
}

void mp_core_set_check_state(struct mp_core *c, struct mp_path *p, enum mp_check_state s)
{
	mp_core_lock(c);
	p->check_state = s;
	mp_core_unlock(c);
}

void mp_core_set_path_prio(struct mp_core *c, struct mp_path *p, int prio, int alua_state)
{
	struct mp_group *g = p->group, *best;
	int gprio = -1;

	mp_core_lock(c);
	if (p->prio != prio || p->alua_state != alua_state)
		mp_info("path %s: priority %d", p->name, prio);
	p->prio = prio;
	p->alua_state = alua_state;
	if (c->dynamic_prio) {
		for (unsigned i = 0; i < g->nr_paths; i++)
			if (g->paths[i]->prio > gprio)
				gprio = g->paths[i]->prio;
		if (gprio != g->priority) {
			mp_notice("group %u (%s): priority %d -> %d", g->num, g->name,
				  g->priority, gprio);
			mp_events_emit(c->events, MP_EV_PRIORITY, p->name, g->name,
				       "group priority %d -> %d", g->priority, gprio);
		}
		g->priority = gprio;
		/* a group that is no longer the best one gives way at once */
		best = failback_target(c);
		if (best && c->current_pg && best != c->current_pg &&
		    group_better(best, c->current_pg) && best->priority > c->current_pg->priority)
			failback_now(c);
	}
	mp_core_unlock(c);
}

struct mp_group *mp_core_pg_init_begin(struct mp_core *c, uint64_t now_ns)
{
	struct mp_group *g = NULL;

	mp_core_lock(c);
	if (c->pg_init_group && !c->pg_init_running && now_ns >= c->pg_init_retry_ns) {
		g = c->pg_init_group;
		c->pg_init_running = true;
	}
	mp_core_unlock(c);
	return g;
}

void mp_core_pg_init_end(struct mp_core *c, struct mp_group *g, bool ok, const char *msg,
			 uint64_t now_ns)
{
	struct mp_qentry *q = NULL;
	bool give_up = false;

	mp_core_lock(c);
	c->pg_init_running = false;
	if (ok) {
		/*
		 * Active/optimized now: say so at once, or the next priority
		 * report of another group would see this one still at standby
		 * and move the I/O straight back.
		 */
		for (unsigned i = 0; i < g->nr_paths; i++) {
			if (g->paths[i]->alua_state >= 0) {
				g->paths[i]->alua_state = 0x0;
				g->paths[i]->prio = MP_PRIO_AO;
			}
		}
		if (c->dynamic_prio && g->priority < MP_PRIO_AO)
			g->priority = MP_PRIO_AO;
		c->pg_init_count++;
		c->pg_init_group = NULL;
		c->current_pg = g;
		c->current_path = NULL;
		mp_notice("group %u (%s) activated: %s", g->num, g->name, msg);
		mp_events_emit(c->events, MP_EV_PG_INIT, NULL, g->name, "activated: %s", msg);
		q = take_queue(c);
	} else if (c->pg_init_tries++ < c->pg_init_retries) {
		c->pg_init_retry_ns = now_ns + c->pg_init_delay_ns;
		mp_warn("group %u (%s): activation failed (%s); retry %u of %u", g->num,
			g->name, msg, c->pg_init_tries, c->pg_init_retries);
	} else {
		c->pg_init_group = NULL;
		give_up = true;
		mp_warn("group %u (%s): activation failed (%s); failing its paths", g->num,
			g->name, msg);
		mp_events_emit(c->events, MP_EV_PG_INIT_FAILED, NULL, g->name, "%s", msg);
	}
	mp_core_unlock(c);
	if (give_up) {
		char reason[200];

		snprintf(reason, sizeof(reason), "pg_init failed: %s", msg);
		for (unsigned i = 0; i < g->nr_paths; i++)
			mp_core_fail_path(c, g->paths[i], reason);
		mp_core_lock(c);
		q = take_queue(c);
		mp_core_unlock(c);
	}
	resume_queue(q, 0);
}

void mp_core_path_view(struct mp_core *c, struct mp_path *p, struct mp_core_path_view *v)
{
	mp_core_lock(c);
	v->active = p->active;
	v->admin_failed = p->admin_failed;
	v->fail_count = p->fail_count;
	v->admin_fail_count = p->admin_fail_count;
	mp_core_unlock(c);
}

int mp_core_bypass_group(struct mp_core *c, struct mp_group *g, bool bypass)
{
	mp_core_lock(c);
	if (g->bypassed == bypass) {
		mp_core_unlock(c);
		return -EALREADY;
	}
	g->bypassed = bypass;
	/* as dm's bypass_pg(): either way, the next I/O chooses the group afresh */
	c->current_pg = NULL;
	c->current_path = NULL;
	mp_notice("group %u (%s) %s", g->num, g->name, bypass ? "disabled" : "enabled");
	mp_events_emit(c->events, bypass ? MP_EV_GROUP_BYPASS : MP_EV_GROUP_ENABLE, NULL,
		       g->name, "by command");
	mp_core_unlock(c);
	return 0;
}

int mp_core_switch_group(struct mp_core *c, struct mp_group *g)
{
	mp_core_lock(c);
	c->next_pg = g;
	c->current_path = NULL;
	/* dm clears bypass on every group when switching */
	for (unsigned i = 0; i < c->nr_groups; i++)
		c->groups[i]->bypassed = false;
	mp_notice("switching to group %u (%s)", g->num, g->name);
	mp_core_unlock(c);
	return 0;
}

void mp_core_set_queue_if_no_path(struct mp_core *c, bool queue)
{
	struct mp_qentry *q = NULL;

	mp_core_lock(c);
	c->queue_if_no_path = queue;
	c->admin_no_queue = !queue;
	c->no_path_deadline_ns = 0;
	if (!queue && !c->nr_valid_paths)
		q = take_queue(c);
	mp_notice("%s", queue ? "queue_if_no_path" : "fail_if_no_path");
	mp_events_emit(c->events, MP_EV_QUEUEING, NULL, NULL, "%s by command",
		       queue ? "queue_if_no_path" : "fail_if_no_path");
	mp_core_unlock(c);
	resume_queue(q, -EIO);
}

void mp_core_tick(struct mp_core *c, uint64_t now_ns)
{
	struct mp_qentry *q = NULL;

	mp_core_lock(c);
	if (c->no_path_deadline_ns && now_ns >= c->no_path_deadline_ns) {
		c->no_path_deadline_ns = 0;
		if (!c->nr_valid_paths) {
			c->queue_if_no_path = false;
			mp_notice("no_path_retry %d intervals expired: failing %u queued I/O",
				  c->no_path_retry, c->nr_queued);
			mp_events_emit(c->events, MP_EV_NO_PATH_RETRY_EXPIRED, NULL, NULL,
				       "%d intervals: failing %u queued I/O", c->no_path_retry,
				       c->nr_queued);
			q = take_queue(c);
		}
	}
	if (c->failback_deadline_ns && now_ns >= c->failback_deadline_ns) {
		c->failback_deadline_ns = 0;
		failback_now(c);
	}
	mp_core_unlock(c);
	resume_queue(q, -EIO);
}

uint64_t mp_core_next_deadline(struct mp_core *c)
{
	uint64_t a, b;

	mp_core_lock(c);
	a = c->no_path_deadline_ns;
	b = c->failback_deadline_ns;
	if (!a || (b && b < a))
		a = b;
	/* a pending activation (or its next retry) is work for the admin thread */
	if (c->pg_init_group && !c->pg_init_running) {
		b = c->pg_init_retry_ns ? c->pg_init_retry_ns : 1;
		if (!a || b < a)
			a = b;
	}
	mp_core_unlock(c);
	return a;
}

void mp_core_shutdown(struct mp_core *c)
{
	struct mp_qentry *q;

	mp_core_lock(c);
	c->shutting_down = true;
	q = take_queue(c);
	mp_core_unlock(c);
	resume_queue(q, -EIO);
}

/* A new group at the end of the config order, or NULL (err says why). */
static struct mp_group *new_group(struct mp_core *c, const char *name, int priority,
				  const struct mp_selector_ops *ops, unsigned rr_min_io,
				  char *err, size_t errlen)
{
	struct mp_group *g;

	if (c->nr_groups == MP_MAX_GROUPS) {
		snprintf(err, errlen, "too many groups (at most %d)", MP_MAX_GROUPS);
		return NULL;
	}
	g = calloc(1, sizeof(*g));
	if (g)
		g->paths = calloc(MP_MAX_PATHS, sizeof(*g->paths));
	if (!g || !g->paths) {
		free(g);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	snprintf(g->name, sizeof(g->name), "%s", name);
	g->num = c->nr_groups + 1;
	g->priority = g->config_priority = priority;
	g->ps.ops = ops;
	g->ps.rr_min_io = rr_min_io;
	if (ops->create(&g->ps) < 0) {
		free(g->paths);
		free(g);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	c->groups[c->nr_groups++] = g;
	c->generation++;
	return g;
}

int mp_core_add_path(struct mp_core *c, const char *name, const char *device, unsigned weight,
		     const struct mp_path_dev *dev, const char *group, int group_priority,
		     const struct mp_selector_ops *ops, unsigned rr_min_io,
		     char *err, size_t errlen)
{
	struct mp_qentry *q;
	struct mp_group *g = NULL;
	struct mp_path *p;
	bool was_queueing;
	unsigned i;

	mp_core_lock(c);
	for (i = 0; i < c->nr_paths; i++) {
		if (!strcmp(c->paths[i]->name, name)) {
			snprintf(err, errlen, "there is already a path '%s' (device %s)", name,
				 c->paths[i]->device);
			goto fail;
		}
		if (!strcmp(c->paths[i]->device, device)) {
			snprintf(err, errlen, "device '%s' is already path '%s'", device,
				 c->paths[i]->name);
			goto fail;
		}
	}
	if (c->nr_paths == MP_MAX_PATHS) {
		snprintf(err, errlen, "too many paths (at most %d)", MP_MAX_PATHS);
		goto fail;
	}
	for (i = 0; i < c->nr_groups; i++)
		if (!strcmp(c->groups[i]->name, group))
			g = c->groups[i];
	if (!g)
		g = new_group(c, group, group_priority, ops, rr_min_io, err, errlen);
	if (!g)
		goto fail;
	p = calloc(1, sizeof(*p));
	if (!p) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	snprintf(p->name, sizeof(p->name), "%s", name);
	snprintf(p->device, sizeof(p->device), "%s", device);
	p->weight = weight;
	p->dev = *dev;
	p->group = g;
	p->alua_state = -1;
	if (g->ps.ops->add_path(&g->ps, p, weight) < 0) {
		free(p);
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	g->paths[g->nr_paths++] = p;
	c->paths[c->nr_paths++] = p;
	p->active = true;
	g->nr_active++;
	was_queueing = !c->nr_valid_paths++ && queueing(c);
	c->no_path_deadline_ns = 0;
	c->generation++;
	mp_notice("path %s (%s) added to group %u (%s)", name, device, g->num, g->name);
	mp_events_emit(c->events, MP_EV_PATH_ADDED, name, g->name, "device %s", device);
	if (was_queueing)
		mp_events_emit(c->events, MP_EV_QUEUEING, name, g->name,
			       "queueing ended: %u queued I/O resumed", c->nr_queued);
	q = take_queue(c);
	mp_core_unlock(c);
	resume_queue(q, 0);
	kick(c);
	return 0;
fail:
	mp_core_unlock(c);
	return -EINVAL;
}

/* Keep a removed struct until the end: I/O in flight may still point at it. */
static void bury(struct mp_core *c, struct mp_path *p, struct mp_group *g)
{
	struct mp_grave *gr = calloc(1, sizeof(*gr));

	if (!gr) {
		/* better a leak than a use after free */
		mp_warn("out of memory: a removed path stays allocated");
		return;
	}
	gr->path = p;
	gr->group = g;
	gr->next = c->graveyard;
	c->graveyard = gr;
}

static void remove_from(struct mp_path **arr, unsigned *n, struct mp_path *p)
{
	for (unsigned i = 0; i < *n; i++) {
		if (arr[i] == p) {
			memmove(&arr[i], &arr[i + 1], (*n - i - 1) * sizeof(*arr));
			(*n)--;
			return;
		}
	}
}

int mp_core_remove_path(struct mp_core *c, struct mp_path *p, char *err, size_t errlen)
{
	struct mp_group *g = p->group;
	unsigned i;

	mp_core_lock(c);
	if (p->active && c->nr_valid_paths == 1) {
		mp_core_unlock(c);
		snprintf(err, errlen, "path %s is the last usable path", p->name);
		return -EBUSY;
	}
	mp_core_unlock(c);
	/* first out of service, so the queue and the selectors see a failure */
	mp_core_fail_path(c, p, "removed");
	mp_core_lock(c);
	g->ps.ops->remove_path(&g->ps, p);
	remove_from(g->paths, &g->nr_paths, p);
	remove_from(c->paths, &c->nr_paths, p);
	if (c->current_path == p)
		c->current_path = NULL;
	p->removed = true;
	bury(c, p, NULL);
	if (!g->nr_paths) {
		/* an empty group goes too; the rest keep their order, renumbered */
		for (i = 0; i < c->nr_groups; i++) {
			if (c->groups[i] == g) {
				memmove(&c->groups[i], &c->groups[i + 1],
					(c->nr_groups - i - 1) * sizeof(*c->groups));
				c->nr_groups--;
				break;
			}
		}
		for (i = 0; i < c->nr_groups; i++)
			c->groups[i]->num = i + 1;
		if (c->current_pg == g)
			c->current_pg = NULL;
		if (c->next_pg == g)
			c->next_pg = NULL;
		if (c->last_pg == g)
			c->last_pg = NULL;
		if (c->pg_init_group == g)
			c->pg_init_group = NULL;
		g->ps.ops->destroy(&g->ps);
		g->ps.ops = NULL;
		bury(c, NULL, g);
	}
	c->generation++;
	mp_notice("path %s (%s) removed", p->name, p->device);
	mp_events_emit(c->events, MP_EV_PATH_REMOVED, p->name, g->name, "by command");
	mp_core_unlock(c);
	kick(c);
	return 0;
}

/* Give g a fresh selector of ops holding its paths, failed ones as failed. */
static int reselect(struct mp_group *g, const struct mp_selector_ops *ops, unsigned rr_min_io)
{
	unsigned i;
	int r;

	g->ps.ops = ops;
	g->ps.ctx = NULL;
	g->ps.rr_min_io = rr_min_io;
	r = ops->create(&g->ps);
	for (i = 0; i < g->nr_paths && r == 0; i++) {
		r = ops->add_path(&g->ps, g->paths[i], g->paths[i]->weight);
		if (r == 0 && !g->paths[i]->active)
			ops->fail_path(&g->ps, g->paths[i]);
	}
	return r;
}

int mp_core_update_group(struct mp_core *c, const char *name, int priority,
			 const struct mp_selector_ops *ops, unsigned rr_min_io)
{
	const struct mp_selector_ops *old;
	struct mp_group *g = NULL;
	unsigned i;
	int r = 0;

	mp_core_lock(c);
	for (i = 0; i < c->nr_groups; i++)
		if (!strcmp(c->groups[i]->name, name))
			g = c->groups[i];
	if (!g) {
		r = -ENOENT;
		goto out;
	}
	g->config_priority = priority;
	if (!c->dynamic_prio)
		g->priority = priority;
	g->ps.rr_min_io = rr_min_io;
	if (g->ps.ops == ops)
		goto out;
	/* per-path selector state lives in the paths: the old one lets go first */
	old = g->ps.ops;
	for (i = 0; i < g->nr_paths; i++)
		old->remove_path(&g->ps, g->paths[i]);
	old->destroy(&g->ps);
	r = reselect(g, ops, rr_min_io);
	if (r < 0 && reselect(g, old, rr_min_io) < 0)
		mp_err("group %s: no memory for a selector: its paths get no I/O", g->name);
	if (c->current_pg == g)
		c->current_path = NULL;
	if (r == 0)
		mp_notice("group %u (%s): selector %s", g->num, g->name, ops->name);
out:
	mp_core_unlock(c);
	return r;
}

void mp_core_set_params(struct mp_core *c, const struct mp_config *cfg)
{
	mp_core_lock(c);
	c->no_path_retry = cfg->no_path_retry;
	if (!c->admin_no_queue)
		c->queue_if_no_path = cfg->no_path_retry != MP_NO_PATH_RETRY_FAIL;
	c->polling_interval_ns = (uint64_t)cfg->polling_interval * 1000000000ull;
	c->failback = cfg->failback;
	c->pg_init_retries = cfg->pg_init_retries;
	c->pg_init_delay_ns = (uint64_t)cfg->pg_init_delay_msecs * 1000000ull;
	mp_core_unlock(c);
}

bool mp_core_take_idle_removed(struct mp_core *c, struct mp_path_dev *out)
{
	bool found = false;

	mp_core_lock(c);
	for (struct mp_grave *gr = c->graveyard; gr && !found; gr = gr->next) {
		struct mp_path *p = gr->path;

		if (p && p->dev.fd >= 0 && !p->inflight_ios) {
			*out = p->dev;
			p->dev.fd = -1;
			found = true;
		}
	}
	mp_core_unlock(c);
	return found;
}

struct mp_path *mp_core_find_path(struct mp_core *c, const char *key)
{
	struct mp_path *p = NULL;
	unsigned i;

	mp_core_lock(c);
	for (i = 0; i < c->nr_paths && !p; i++)
		if (!strcmp(c->paths[i]->name, key))
			p = c->paths[i];
	for (i = 0; i < c->nr_paths && !p; i++)
		if (!strcmp(c->paths[i]->device, key))
			p = c->paths[i];
	mp_core_unlock(c);
	return p;
}

struct mp_group *mp_core_find_group(struct mp_core *c, const char *key)
{
	struct mp_group *g = NULL;
	unsigned long long n;
	unsigned i;

	mp_core_lock(c);
	if (mp_parse_uint(key, 1, c->nr_groups, &n) == 0)
		g = c->groups[n - 1];
	for (i = 0; i < c->nr_groups && !g; i++)
		if (!strcmp(c->groups[i]->name, key))
			g = c->groups[i];
	mp_core_unlock(c);
	return g;
}
