// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A helper thread per checker for checks that can only block (see
 * check-thread.h). The admin thread never waits on it: it asks, then polls,
 * and a check still blocked after checker_timeout is reported as TIMEOUT
 * while the thread stays stuck in the call. A new check is not started on
 * top of a stuck one, so a hung path costs one thread, not one per interval.
 *
 * Locking: t->mu, a leaf, protects the request/result fields and the
 * abandoned flag; fn runs without it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mpathfs/check-thread.h"

struct mp_check_thread {
	mp_check_fn fn;
	mp_check_value_fn vfn;		/* instead of fn */
	void *arg;
	void (*free_arg)(void *arg);
	pthread_t tid;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool requested;		/* a check is wanted */
	bool running;		/* fn is running */
	bool done;		/* result holds a fresh answer */
	bool stop;		/* destroy() was called */
	uint64_t started_ns;
	enum mp_check_state result;
	int value;
	char msg[160];
};

static void release(struct mp_check_thread *t)
{
	if (t->free_arg)
		t->free_arg(t->arg);
	pthread_cond_destroy(&t->cv);
	pthread_mutex_destroy(&t->mu);
	free(t);
}

static void *check_main(void *arg)
{
	struct mp_check_thread *t = arg;

	pthread_mutex_lock(&t->mu);
	for (;;) {
		enum mp_check_state s;
		char msg[sizeof(t->msg)];
		int value = 0;

		while (!t->requested && !t->stop)
			pthread_cond_wait(&t->cv, &t->mu);
		if (t->stop)
			break;
		t->requested = false;
		t->running = true;
		pthread_mutex_unlock(&t->mu);
		msg[0] = '\0';
		s = t->vfn ? t->vfn(t->arg, &value, msg, sizeof(msg)) :
			     t->fn(t->arg, msg, sizeof(msg));
		pthread_mutex_lock(&t->mu);
		t->running = false;
		t->done = true;
		t->result = s;
		t->value = value;
		memcpy(t->msg, msg, sizeof(msg));
	}
	pthread_mutex_unlock(&t->mu);
	/* detached by destroy(): the last one out frees */
	release(t);
	return NULL;
}

static struct mp_check_thread *create(mp_check_fn fn, mp_check_value_fn vfn, void *arg,
				      void (*free_arg)(void *arg))
{
	struct mp_check_thread *t = calloc(1, sizeof(*t));

	if (!t) {
		if (free_arg)
			free_arg(arg);
		return NULL;
	}
	t->fn = fn;
	t->vfn = vfn;
	t->arg = arg;
	t->free_arg = free_arg;
	pthread_mutex_init(&t->mu, NULL);
	pthread_cond_init(&t->cv, NULL);
	if (pthread_create(&t->tid, NULL, check_main, t) != 0) {
		release(t);
		return NULL;
	}
	return t;
}

struct mp_check_thread *mp_check_thread_new(mp_check_fn fn, void *arg,
					    void (*free_arg)(void *arg))
{
	return create(fn, NULL, arg, free_arg);
}

struct mp_check_thread *mp_check_thread_new_value(mp_check_value_fn fn, void *arg,
						  void (*free_arg)(void *arg))
{
	return create(NULL, fn, arg, free_arg);
}

void mp_check_thread_start(struct mp_check_thread *t, uint64_t now_ns)
{
	pthread_mutex_lock(&t->mu);
	if (!t->running && !t->requested) {
		t->requested = true;
		t->done = false;
		t->started_ns = now_ns;
		pthread_cond_signal(&t->cv);
	}
	pthread_mutex_unlock(&t->mu);
}

enum mp_check_state mp_check_thread_poll(struct mp_check_thread *t, uint64_t now_ns,
					 unsigned timeout_ms, char *msg, size_t msglen)
{
	int value;

	return mp_check_thread_poll_value(t, now_ns, timeout_ms, &value, msg, msglen);
}

enum mp_check_state mp_check_thread_poll_value(struct mp_check_thread *t, uint64_t now_ns,
					       unsigned timeout_ms, int *value,
					       char *msg, size_t msglen)
{
	enum mp_check_state s = MP_CHECK_PENDING;

	pthread_mutex_lock(&t->mu);
	if (t->done) {
		s = t->result;
		*value = t->value;
		snprintf(msg, msglen, "%s", t->msg);
	} else if (now_ns - t->started_ns >= (uint64_t)timeout_ms * 1000000ull) {
		s = MP_CHECK_TIMEOUT;
		snprintf(msg, msglen, "no answer within %u ms", timeout_ms);
	}
	pthread_mutex_unlock(&t->mu);
	return s;
}

void mp_check_thread_destroy(struct mp_check_thread *t)
{
	pthread_t tid;

	if (!t)
		return;
	pthread_mutex_lock(&t->mu);
	tid = t->tid;
	t->stop = true;
	pthread_cond_signal(&t->cv);
	pthread_mutex_unlock(&t->mu);
	/* t may be gone already: the thread frees everything itself on its way out */
	pthread_detach(tid);
}
