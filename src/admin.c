// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The admin thread. It sleeps until the next polling interval or the
 * core's next deadline (no_path_retry expiry, deferred failback), whichever
 * comes first, and applies time-driven policy through the core. The core
 * kicks it when a new deadline appears so it never oversleeps one.
 *
 * Locking: a->mu (leaf) protects stop and woken; the core is called
 * without it.
 */
#include <errno.h>
#include <time.h>

#include "mpathfs/admin.h"
#include "mpathfs/core.h"
#include "mpathfs/util.h"

static void deadline_to_timespec(uint64_t mono_ns, struct timespec *ts)
{
	ts->tv_sec = (time_t)(mono_ns / 1000000000ull);
	ts->tv_nsec = (long)(mono_ns % 1000000000ull);
}

static void *admin_main(void *arg)
{
	struct mp_admin *a = arg;
	uint64_t next_poll = mp_now_ns() + a->interval_ns;

	pthread_mutex_lock(&a->mu);
	while (!a->stop) {
		uint64_t now, wake, d;
		struct timespec ts;

		pthread_mutex_unlock(&a->mu);
		now = mp_now_ns();
		mp_core_tick(a->core, now);
		if (now >= next_poll)
			next_poll = now + a->interval_ns;
		wake = next_poll;
		d = mp_core_next_deadline(a->core);
		if (d && d < wake)
			wake = d;
		deadline_to_timespec(wake, &ts);
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

int mp_admin_start(struct mp_admin *a, struct mp_core *core, unsigned interval_s)
{
	pthread_condattr_t attr;
	int r;

	a->core = core;
	a->interval_ns = (uint64_t)interval_s * 1000000000ull;
	a->stop = a->woken = a->started = false;
	pthread_mutex_init(&a->mu, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&a->cv, &attr);
	pthread_condattr_destroy(&attr);
	r = -pthread_create(&a->thread, NULL, admin_main, a);
	if (r < 0) {
		pthread_cond_destroy(&a->cv);
		pthread_mutex_destroy(&a->mu);
		return r;
	}
	a->started = true;
	return 0;
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
	a->started = false;
}
