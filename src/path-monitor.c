// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The path monitor (see path-monitor.h): multipathd's checker loop.
 *
 * Damping: every failure of a path (by checker, I/O error or timeout) is
 * timestamped from the core's fail_count. A failed path whose check
 * passes while it has failed flap_threshold times within flap_window is
 * not reinstated: it is "delayed" until it has passed every check for
 * flap_holdoff, and any failed check in that time starts the wait again.
 * A path failed by command is left to the administrator.
 *
 * A check that passes after its path failed (by I/O error or time-out)
 * while it ran saw the path before that failure: it reinstates nothing,
 * and a fresh check starts right after (PENDING_POLL_NS).
 *
 * Locking: none of its own (admin thread only); core state through core.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mpathfs/log.h"
#include "mpathfs/path-monitor.h"

#define PENDING_POLL_NS (20 * 1000000ull)

/* Set up one watch; on error its reason goes into err. */
static int watch_init(struct mp_monitor *m, struct mp_path_watch *w, struct mp_path *p,
		      char *err, size_t errlen)
{
	int r;

	memset(w, 0, sizeof(*w));
	w->path = p;
	w->ck.ops = m->ck_ops;
	w->ck.dev = &p->dev;
	w->ck.device = p->device;
	w->ck.timeout_ms = m->timeout_ms;
	w->interval_ns = m->poll_ns;
	r = m->ck_ops->init(&w->ck);
	if (r < 0) {
		snprintf(err, errlen, "path %s: %s", p->name, w->ck.msg[0] ? w->ck.msg : mp_errstr(r));
		return r;
	}
	w->ck_ok = true;
	w->pr.ops = m->pr_ops;
	w->pr.dev = &p->dev;
	w->pr.device = p->device;
	w->pr.timeout_ms = m->timeout_ms;
	r = m->pr_ops->init(&w->pr);
	if (r < 0) {
		snprintf(err, errlen, "path %s: %s", p->name, w->pr.msg[0] ? w->pr.msg : mp_errstr(r));
		w->ck.ops->destroy(&w->ck);
		w->ck_ok = false;
		return r;
	}
	w->pr_ok = true;
	return 0;
}

static void watch_destroy(struct mp_path_watch *w)
{
	if (w->ck_ok)
		w->ck.ops->destroy(&w->ck);
	if (w->pr_ok)
		w->pr.ops->destroy(&w->pr);
	w->ck_ok = w->pr_ok = false;
}

int mp_monitor_init(struct mp_monitor *m, struct mp_core *core,
		    const struct mp_config *cfg, const struct mp_checker_ops *ops,
		    char *err, size_t errlen)
{
	unsigned i;
	int r;

	memset(m, 0, sizeof(*m));
	m->core = core;
	m->poll_ns = (uint64_t)cfg->polling_interval * 1000000000ull;
	m->max_poll_ns = (uint64_t)cfg->max_polling_interval * 1000000000ull;
	m->flap_threshold = cfg->flap_threshold;
	m->flap_window_ns = (uint64_t)cfg->flap_window * 1000000000ull;
	m->flap_holdoff_ns = (uint64_t)cfg->flap_holdoff * 1000000000ull;
	m->ghost_usable = cfg->hardware_handler == MP_HW_HANDLER_ALUA;
	m->ck_ops = ops;
	m->pr_ops = mp_prio_find(mp_prio_name(cfg->prio));
	m->timeout_ms = cfg->checker_timeout * 1000;
	m->watch = calloc(MP_MAX_PATHS, sizeof(*m->watch));
	if (!m->watch) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	mp_core_lock(core);
	m->generation = core->generation;
	mp_core_unlock(core);
	for (i = 0; i < core->nr_paths; i++) {
		r = watch_init(m, &m->watch[i], core->paths[i], err, errlen);
		if (r < 0) {
			mp_monitor_destroy(m);
			return r;
		}
		m->nr_watch++;
	}
	return 0;
}

void mp_monitor_destroy(struct mp_monitor *m)
{
	for (unsigned i = 0; i < m->nr_watch; i++)
		watch_destroy(&m->watch[i]);
	free(m->watch);
	m->watch = NULL;
	m->nr_watch = 0;
}

void mp_monitor_set_params(struct mp_monitor *m, const struct mp_monitor *p)
{
	m->poll_ns = p->poll_ns;
	m->max_poll_ns = p->max_poll_ns;
	m->flap_threshold = p->flap_threshold;
	m->flap_window_ns = p->flap_window_ns;
	m->flap_holdoff_ns = p->flap_holdoff_ns;
	m->timeout_ms = p->timeout_ms;
	for (unsigned i = 0; i < m->nr_watch; i++) {
		struct mp_path_watch *w = &m->watch[i];

		w->ck.timeout_ms = w->pr.timeout_ms = p->timeout_ms;
		if (w->interval_ns > m->max_poll_ns)
			w->interval_ns = m->max_poll_ns;
		if (w->interval_ns < m->poll_ns)
			w->interval_ns = m->poll_ns;
	}
}

void mp_monitor_sync(struct mp_monitor *m)
{
	struct mp_path *paths[MP_MAX_PATHS];
	unsigned n, i, j;
	char err[200];

	mp_core_lock(m->core);
	if (m->generation == m->core->generation) {
		mp_core_unlock(m->core);
		return;
	}
	m->generation = m->core->generation;
	n = m->core->nr_paths;
	memcpy(paths, m->core->paths, n * sizeof(*paths));
	mp_core_unlock(m->core);

	/* watches of removed paths go; the rest close up */
	for (i = 0; i < m->nr_watch;) {
		for (j = 0; j < n && paths[j] != m->watch[i].path; j++)
			;
		if (j < n) {
			i++;
			continue;
		}
		watch_destroy(&m->watch[i]);
		memmove(&m->watch[i], &m->watch[i + 1], (m->nr_watch - i - 1) * sizeof(*m->watch));
		m->nr_watch--;
	}
	/* new paths get a watch, checked at once */
	for (j = 0; j < n; j++) {
		for (i = 0; i < m->nr_watch && m->watch[i].path != paths[j]; i++)
			;
		if (i < m->nr_watch)
			continue;
		if (watch_init(m, &m->watch[m->nr_watch], paths[j], err, sizeof(err)) < 0) {
			mp_warn("%s: it is not checked", err);
			continue;
		}
		m->nr_watch++;
	}
}

static void record_failures(struct mp_path_watch *w, unsigned fail_count, uint64_t now)
{
	while (w->seen_fail_count != fail_count) {
		w->seen_fail_count++;
		w->fails[w->fail_head] = now;
		w->fail_head = (w->fail_head + 1) % MP_FLAP_MAX;
		if (w->nr_fails < MP_FLAP_MAX)
			w->nr_fails++;
	}
}

static bool flapping(const struct mp_monitor *m, const struct mp_path_watch *w, uint64_t now)
{
	unsigned i, n = 0;

	if (!m->flap_threshold)
		return false;
	for (i = 0; i < w->nr_fails; i++) {
		uint64_t t = w->fails[(w->fail_head + MP_FLAP_MAX - 1 - i) % MP_FLAP_MAX];

		if (now - t <= m->flap_window_ns)
			n++;
	}
	return n >= m->flap_threshold;
}

/* Trouble anywhere: look at every path often again. */
static void reset_backoff(struct mp_monitor *m, uint64_t now)
{
	for (unsigned i = 0; i < m->nr_watch; i++) {
		struct mp_path_watch *w = &m->watch[i];

		w->interval_ns = m->poll_ns;
		if (!w->checking && w->next_check_ns > now + m->poll_ns)
			w->next_check_ns = now + m->poll_ns;
	}
}

static void passed(struct mp_monitor *m, struct mp_path_watch *w,
		   const struct mp_core_path_view *v, enum mp_check_state s, uint64_t now)
{
	struct mp_path *p = w->path;
	char reason[200];

	if (v->active || v->admin_failed) {
		mp_core_set_check_state(m->core, p, s);
		if (v->active && w->interval_ns < m->max_poll_ns) {
			w->interval_ns *= 2;
			if (w->interval_ns > m->max_poll_ns)
				w->interval_ns = m->max_poll_ns;
		}
		return;
	}
	if (!w->delayed_until_ns && (w->damped || flapping(m, w, now))) {
		w->delayed_until_ns = now + m->flap_holdoff_ns;
		mp_notice("path %s (%s) is flapping (%u failures within %llu s): held out for %llu s",
			  p->name, p->device, m->flap_threshold,
			  (unsigned long long)(m->flap_window_ns / 1000000000ull),
			  (unsigned long long)(m->flap_holdoff_ns / 1000000000ull));
		mp_core_lock(m->core);
		mp_events_emit(m->core->events, MP_EV_PATH_DELAYED, p->name, p->group->name,
			       "flapping: held out for %llu s",
			       (unsigned long long)(m->flap_holdoff_ns / 1000000000ull));
		mp_core_unlock(m->core);
	}
	if (w->delayed_until_ns && now < w->delayed_until_ns) {
		mp_core_set_check_state(m->core, p, MP_CHECK_DELAYED);
		return;
	}
	if (w->delayed_until_ns || w->damped)
		w->nr_fails = 0;	/* it served its time: start counting afresh */
	w->delayed_until_ns = 0;
	w->damped = false;
	snprintf(reason, sizeof(reason), "checker: %s", w->ck.msg);
	mp_core_set_check_state(m->core, p, s);
	mp_core_reinstate_path_checked(m->core, p, reason);
}

static void failed(struct mp_monitor *m, struct mp_path_watch *w,
		   const struct mp_core_path_view *v, enum mp_check_state s, uint64_t now)
{
	char reason[200];

	mp_core_set_check_state(m->core, w->path, s);
	/* held out and failed again: the wait starts over at the next pass */
	if (w->delayed_until_ns)
		w->damped = true;
	w->delayed_until_ns = 0;
	if (v->active) {
		snprintf(reason, sizeof(reason), "checker %s: %s", mp_check_state_name(s),
			 w->ck.msg);
		mp_core_fail_path(m->core, w->path, reason);
	}
	reset_backoff(m, now);
}

static void prioritize(struct mp_monitor *m, struct mp_path_watch *w, uint64_t now_ns);

/* Timestamp failures since the last look; a command's failures don't count. */
static void account(struct mp_monitor *m, struct mp_path_watch *w, uint64_t now,
		    struct mp_core_path_view *v)
{
	mp_core_path_view(m->core, w->path, v);
	record_failures(w, v->fail_count - v->admin_fail_count, now);
}

static void finished(struct mp_monitor *m, struct mp_path_watch *w,
		     enum mp_check_state s, uint64_t now)
{
	struct mp_core_path_view v;
	bool pass = s == MP_CHECK_READY || (s == MP_CHECK_GHOST && m->ghost_usable);

	account(m, w, now, &v);
	if (pass && !v.active && v.fail_count != w->check_fail_count) {
		w->next_check_ns = now + PENDING_POLL_NS;
		return;
	}
	/* a standby path serves once activated, when there is a handler to do it */
	if (pass)
		passed(m, w, &v, s, now);
	else
		failed(m, w, &v, s, now);
	account(m, w, now, &v);
	/* a static prioritizer has nothing to learn */
	if (w->pr_ok && w->pr.ops->dynamic && !w->prioritizing) {
		w->pr.ops->start(&w->pr, now);
		w->prioritizing = true;
		prioritize(m, w, now);
	}
	w->next_check_ns = now + (v.active ? w->interval_ns : m->poll_ns);
}

/* Collect a prioritizer's answer, if it has one. */
static void prioritize(struct mp_monitor *m, struct mp_path_watch *w, uint64_t now_ns)
{
	int prio, alua_state, r;

	r = w->pr.ops->poll(&w->pr, now_ns, &prio, &alua_state);
	if (r == -EINPROGRESS)
		return;
	w->prioritizing = false;
	if (r < 0) {
		mp_debug("path %s: no priority: %s", w->path->name, w->pr.msg);
		return;
	}
	mp_core_set_path_prio(m->core, w->path, prio, alua_state);
}

void mp_monitor_step(struct mp_monitor *m, uint64_t now_ns)
{
	mp_monitor_sync(m);
	for (unsigned i = 0; i < m->nr_watch; i++) {
		struct mp_path_watch *w = &m->watch[i];
		enum mp_check_state s;

		if (w->prioritizing)
			prioritize(m, w, now_ns);

		if (!w->checking) {
			struct mp_core_path_view v;

			/* a path that failed between checks (I/O error) is looked at soon */
			mp_core_path_view(m->core, w->path, &v);
			if (!v.active && w->next_check_ns > now_ns + m->poll_ns)
				w->next_check_ns = now_ns + m->poll_ns;
			if (now_ns < w->next_check_ns)
				continue;
			w->ck.ops->start(&w->ck, now_ns);
			w->checking = true;
			w->check_fail_count = v.fail_count;
		}
		s = w->ck.ops->poll(&w->ck, now_ns);
		if (s == MP_CHECK_PENDING)
			continue;
		w->checking = false;
		finished(m, w, s, now_ns);
	}
}

uint64_t mp_monitor_next_wake(struct mp_monitor *m, uint64_t now_ns)
{
	uint64_t wake = UINT64_MAX;

	for (unsigned i = 0; i < m->nr_watch; i++) {
		struct mp_path_watch *w = &m->watch[i];
		uint64_t t = w->checking || w->prioritizing ? now_ns + PENDING_POLL_NS :
			     w->next_check_ns;

		if (t < wake)
			wake = t;
	}
	return wake;
}
