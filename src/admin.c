// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The admin thread. One loop, woken by time or by the core (a new
 * deadline): run the path monitor, expire hung I/O, apply time-driven
 * policy, then sleep until the earliest next piece of work.
 *
 * Locking: a->mu (leaf) protects stop and woken; everything else is called
 * without it.
 */
#include <errno.h>
#include <stdio.h>
#include <time.h>

#include "mpathfs/admin.h"
#include "mpathfs/log.h"
#include "mpathfs/notify.h"
#include "mpathfs/request.h"
#include "mpathfs/util.h"

/* Tell systemd (if it runs us) how many paths serve, when that changes. */
static void report_status(struct mp_admin *a)
{
	struct mp_core *c = &a->dev->core;
	unsigned usable, total, queued;

	mp_core_lock(c);
	usable = c->nr_valid_paths;
	total = c->nr_paths;
	queued = c->nr_queued;
	mp_core_unlock(c);
	if (usable == a->reported_usable && total == a->reported_total)
		return;
	a->reported_usable = usable;
	a->reported_total = total;
	mp_sd_notify("STATUS=%u of %u paths usable%s", usable, total,
		     usable ? "" : queued ? ", I/O queued" : ", no path");
}

static void *admin_main(void *arg)
{
	struct mp_admin *a = arg;
	struct mp_core *core = &a->dev->core;

	pthread_mutex_lock(&a->mu);
	while (!a->stop) {
		uint64_t now, wake, d;
		struct timespec ts;
		struct mp_path_dev idle;

		if (a->params_pending) {
			mp_monitor_set_params(&a->mon, &a->params);
			a->params_pending = false;
		}
		pthread_mutex_unlock(&a->mu);
		now = mp_now_ns();
		mp_monitor_step(&a->mon, now);
		/* removed paths: their fds go once nothing can use them (after the sync) */
		while (mp_core_take_idle_removed(core, &idle))
			a->dev->engine->ops->close_path(a->dev->engine, &idle);
		mp_dev_expire_io(a->dev, now);
		mp_core_tick(core, now);
		mp_hwhandler_step(&a->hw, now);
		report_status(a);

		wake = mp_monitor_next_wake(&a->mon, now);
		d = mp_hwhandler_next_wake(&a->hw, now);
		if (d < wake)
			wake = d;
		d = mp_dev_next_expiry(a->dev, now);
		if (d < wake)
			wake = d;
		d = mp_core_next_deadline(core);
		if (d && d < wake)
			wake = d;
		ts.tv_sec = (time_t)(wake / 1000000000ull);
		ts.tv_nsec = (long)(wake % 1000000000ull);
		pthread_mutex_lock(&a->mu);
		while (!a->stop && !a->woken) {
			if (pthread_cond_timedwait(&a->cv, &a->mu, &ts) == ETIMEDOUT)
				break;
		}
		a->woken = false;
	}
	pthread_mutex_unlock(&a->mu);
	return NULL;
}

int mp_admin_start(struct mp_admin *a, struct mp_dev *dev, const struct mp_config *cfg,
		   char *err, size_t errlen)
{
	const struct mp_checker_ops *ops = mp_checker_find(mp_checker_name(cfg->path_checker));
	pthread_condattr_t attr;
	int r;

	a->dev = dev;
	a->stop = a->woken = a->started = false;
	a->reported_usable = a->reported_total = 0;
	r = mp_monitor_init(&a->mon, &dev->core, cfg, ops, err, errlen);
	if (r < 0)
		return r;
	mp_hwhandler_init(&a->hw, &dev->core, cfg->checker_timeout * 1000);
	pthread_mutex_init(&a->mu, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&a->cv, &attr);
	pthread_condattr_destroy(&attr);
	r = -pthread_create(&a->thread, NULL, admin_main, a);
	if (r < 0) {
		snprintf(err, errlen, "cannot start the admin thread: %s", mp_errstr(r));
		pthread_cond_destroy(&a->cv);
		pthread_mutex_destroy(&a->mu);
		mp_monitor_destroy(&a->mon);
		return r;
	}
	a->started = true;
	return 0;
}

void mp_admin_set_params(struct mp_admin *a, const struct mp_config *cfg)
{
	pthread_mutex_lock(&a->mu);
	a->params.poll_ns = (uint64_t)cfg->polling_interval * 1000000000ull;
	a->params.max_poll_ns = (uint64_t)cfg->max_polling_interval * 1000000000ull;
	a->params.flap_threshold = cfg->flap_threshold;
	a->params.flap_window_ns = (uint64_t)cfg->flap_window * 1000000000ull;
	a->params.flap_holdoff_ns = (uint64_t)cfg->flap_holdoff * 1000000000ull;
	a->params.timeout_ms = cfg->checker_timeout * 1000;
	a->params_pending = true;
	a->woken = true;
	pthread_cond_signal(&a->cv);
	pthread_mutex_unlock(&a->mu);
}

void mp_admin_kick(void *arg)
{
	struct mp_admin *a = arg;

	pthread_mutex_lock(&a->mu);
	a->woken = true;
	pthread_cond_signal(&a->cv);
	pthread_mutex_unlock(&a->mu);
}

void mp_admin_stop(struct mp_admin *a)
{
	if (!a->started)
		return;
	pthread_mutex_lock(&a->mu);
	a->stop = true;
	pthread_cond_signal(&a->cv);
	pthread_mutex_unlock(&a->mu);
	pthread_join(a->thread, NULL);
	pthread_cond_destroy(&a->cv);
	pthread_mutex_destroy(&a->mu);
	mp_hwhandler_destroy(&a->hw);
	mp_monitor_destroy(&a->mon);
	a->started = false;
}
