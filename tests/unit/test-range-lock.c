// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Range lock tests: who is granted at once, who waits, and in which order
 * waiters are granted when holders release.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>

#include "mpathfs/range-lock.h"
#include "mpathfs/util.h"

struct entry {
	struct mp_range r;
	char name;
	unsigned grants;	/* grant callbacks seen */
};

static struct mp_range_lock rl;
static char order[64];		/* names of the entries granted by callback, in order */
static size_t nr_order;

static void setup(void)
{
	mp_range_lock_init(&rl);
	memset(order, 0, sizeof(order));
	nr_order = 0;
}

static void teardown(void)
{
	mp_range_lock_destroy(&rl);
}

static void on_grant(struct mp_range *r)
{
	struct entry *e = mp_container_of(r, struct entry, r);

	e->grants++;
	cr_assert(r->granted, "grant callback for %c before granted is set", e->name);
	if (nr_order < sizeof(order) - 1)
		order[nr_order++] = e->name;
}

static bool acquire(struct entry *e, char name, uint64_t start, uint64_t end)
{
	memset(e, 0, sizeof(*e));
	e->name = name;
	return mp_range_acquire(&rl, &e->r, start, end, on_grant);
}

TestSuite(range_lock, .init = setup, .fini = teardown, .timeout = 10);

Test(range_lock, free_range_is_granted_at_once_without_callback)
{
	struct entry a;

	cr_assert(acquire(&a, 'a', 0, 4096));
	cr_assert(a.r.granted);
	cr_assert_eq(a.grants, 0);
	cr_assert_eq(rl.nr_entries, 1);
	mp_range_release(&rl, &a.r);
	cr_assert_eq(rl.nr_entries, 0);
	cr_assert_str_eq(order, "");
	/* the same range again, now free */
	cr_assert(acquire(&a, 'a', 0, 4096));
	mp_range_release(&rl, &a.r);
}

/* One holder of [100, 200); does a second range overlap it? */
struct overlap_case {
	uint64_t start, end;
	bool granted;
};

ParameterizedTestParameters(range_lock, overlap_table)
{
	static struct overlap_case cases[] = {
		{ 0, 100, true },	/* ends where the holder starts */
		{ 200, 300, true },	/* starts where the holder ends */
		{ 0, 50, true },
		{ 500, 600, true },
		{ 0, 101, false },	/* one byte over the start */
		{ 199, 300, false },	/* one byte over the end */
		{ 100, 200, false },	/* identical */
		{ 120, 130, false },	/* inside */
		{ 0, 1000, false },	/* around */
		{ 150, 250, false },
	};

	return cr_make_param_array(struct overlap_case, cases, MP_ARRAY_SIZE(cases));
}

ParameterizedTest(struct overlap_case *c, range_lock, overlap_table)
{
	struct entry a, b;

	cr_assert(acquire(&a, 'a', 100, 200));
	cr_assert_eq(acquire(&b, 'b', c->start, c->end), c->granted,
		     "[%llu, %llu) against [100, 200)", (unsigned long long)c->start,
		     (unsigned long long)c->end);
	mp_range_release(&rl, &a.r);
	/* a waiter is granted by the release; a holder is untouched */
	cr_assert_eq(b.grants, c->granted ? 0u : 1u);
	cr_assert(b.r.granted);
	mp_range_release(&rl, &b.r);
	cr_assert_eq(rl.nr_entries, 0);
}

Test(range_lock, non_overlapping_ranges_are_held_concurrently)
{
	struct entry e[4];

	cr_assert(acquire(&e[0], 'a', 0, 10));
	cr_assert(acquire(&e[1], 'b', 10, 20));
	cr_assert(acquire(&e[2], 'c', 100, 200));
	cr_assert(acquire(&e[3], 'd', 20, 100));
	cr_assert_eq(rl.nr_entries, 4);
	/* release out of order: nobody is waiting, nobody is called */
	mp_range_release(&rl, &e[2].r);
	mp_range_release(&rl, &e[0].r);
	mp_range_release(&rl, &e[3].r);
	mp_range_release(&rl, &e[1].r);
	cr_assert_str_eq(order, "");
	cr_assert_eq(rl.nr_entries, 0);
}

Test(range_lock, waiter_is_granted_once_on_release)
{
	struct entry a, b;

	cr_assert(acquire(&a, 'a', 0, 100));
	cr_assert_not(acquire(&b, 'b', 50, 150));
	cr_assert_not(b.r.granted);
	cr_assert_eq(b.grants, 0);
	mp_range_release(&rl, &a.r);
	cr_assert_eq(b.grants, 1);
	cr_assert_str_eq(order, "b");
	mp_range_release(&rl, &b.r);
	cr_assert_eq(b.grants, 1);
}

Test(range_lock, overlapping_waiters_are_granted_in_arrival_order)
{
	struct entry a, b, c, d;

	cr_assert(acquire(&a, 'a', 0, 100));
	cr_assert_not(acquire(&b, 'b', 0, 10));
	cr_assert_not(acquire(&c, 'c', 5, 10));
	cr_assert_not(acquire(&d, 'd', 0, 100));
	mp_range_release(&rl, &a.r);
	cr_assert_str_eq(order, "b");
	cr_assert_not(c.r.granted);
	mp_range_release(&rl, &b.r);
	cr_assert_str_eq(order, "bc");
	cr_assert_not(d.r.granted);
	mp_range_release(&rl, &c.r);
	cr_assert_str_eq(order, "bcd");
	mp_range_release(&rl, &d.r);
	cr_assert_eq(rl.nr_entries, 0);
}

Test(range_lock, waiter_behind_an_overlapping_waiter_waits)
{
	struct entry a, b, c;

	cr_assert(acquire(&a, 'a', 0, 10));
	cr_assert_not(acquire(&b, 'b', 5, 20));
	/* c does not overlap the holder, but does overlap the earlier waiter */
	cr_assert_not(acquire(&c, 'c', 15, 25));
	mp_range_release(&rl, &a.r);
	cr_assert_str_eq(order, "b");
	cr_assert_not(c.r.granted);
	mp_range_release(&rl, &b.r);
	cr_assert_str_eq(order, "bc");
	mp_range_release(&rl, &c.r);
}

Test(range_lock, later_non_overlapping_range_is_not_held_up_by_waiters)
{
	struct entry a, b, c;

	cr_assert(acquire(&a, 'a', 0, 10));
	cr_assert_not(acquire(&b, 'b', 5, 20));
	cr_assert(acquire(&c, 'c', 20, 30));
	mp_range_release(&rl, &c.r);
	cr_assert_str_eq(order, "");
	mp_range_release(&rl, &a.r);
	cr_assert_str_eq(order, "b");
	mp_range_release(&rl, &b.r);
}

Test(range_lock, release_grants_every_waiter_it_unblocks_in_order)
{
	struct entry a, b, c, d, e;

	cr_assert(acquire(&a, 'a', 0, 100));
	cr_assert_not(acquire(&b, 'b', 0, 10));
	cr_assert_not(acquire(&c, 'c', 20, 30));
	cr_assert_not(acquire(&d, 'd', 50, 60));
	cr_assert_not(acquire(&e, 'e', 55, 70));	/* behind d */
	mp_range_release(&rl, &a.r);
	cr_assert_str_eq(order, "bcd");
	cr_assert_not(e.r.granted);
	mp_range_release(&rl, &b.r);
	mp_range_release(&rl, &c.r);
	cr_assert_str_eq(order, "bcd");
	mp_range_release(&rl, &d.r);
	cr_assert_str_eq(order, "bcde");
	mp_range_release(&rl, &e.r);
	cr_assert_eq(rl.nr_entries, 0);
}

Test(range_lock, waiter_blocked_by_two_holders_needs_both_released)
{
	struct entry a, b, c;

	cr_assert(acquire(&a, 'a', 0, 10));
	cr_assert(acquire(&b, 'b', 10, 20));
	cr_assert_not(acquire(&c, 'c', 5, 15));
	mp_range_release(&rl, &b.r);
	cr_assert_not(c.r.granted);
	cr_assert_str_eq(order, "");
	mp_range_release(&rl, &a.r);
	cr_assert_str_eq(order, "c");
	mp_range_release(&rl, &c.r);
}

/* Grant callbacks run without the lock held: they may release and acquire. */
static struct entry chain[4];

static void release_in_grant(struct mp_range *r)
{
	struct entry *e = mp_container_of(r, struct entry, r);

	on_grant(r);
	mp_range_release(&rl, r);
	if (e == &chain[1])
		cr_assert(mp_range_acquire(&rl, &chain[3].r, 1000, 2000, on_grant));
}

Test(range_lock, grant_callback_may_release_and_acquire)
{
	memset(chain, 0, sizeof(chain));
	chain[0].name = 'a';
	chain[1].name = 'b';
	chain[2].name = 'c';
	chain[3].name = 'd';
	cr_assert(mp_range_acquire(&rl, &chain[0].r, 0, 100, on_grant));
	cr_assert_not(mp_range_acquire(&rl, &chain[1].r, 0, 100, release_in_grant));
	cr_assert_not(mp_range_acquire(&rl, &chain[2].r, 0, 100, release_in_grant));
	mp_range_release(&rl, &chain[0].r);
	cr_assert_str_eq(order, "bc");
	cr_assert(chain[3].r.granted);
	cr_assert_eq(rl.nr_entries, 1);
	mp_range_release(&rl, &chain[3].r);
	cr_assert_eq(rl.nr_entries, 0);
}

/*
 * The window between mp_range_acquire() dropping the lock and returning:
 * another thread's release may grant the new entry (and run its grant
 * callback) right there. The link wraps pthread_mutex_unlock
 * (-Wl,--wrap=pthread_mutex_unlock, see meson.build) so a test can run a
 * hook at that exact point, in place of the other thread.
 */
int __real_pthread_mutex_unlock(pthread_mutex_t *m);
int __wrap_pthread_mutex_unlock(pthread_mutex_t *m);

/*
 * One shot, after the next unlock of rl.mu. Atomic: every thread's unlocks
 * come through the wrapper (the workers' of the threaded test too), so a
 * plain variable armed by one thread and read by another would be a race.
 */
static _Atomic(void (*)(void)) after_unlock;

int __wrap_pthread_mutex_unlock(pthread_mutex_t *m)
{
	int r = __real_pthread_mutex_unlock(m);

	if (m == &rl.mu && atomic_load(&after_unlock)) {
		void (*hook)(void) = atomic_exchange(&after_unlock, NULL);

		if (hook)
			hook();
	}
	return r;
}

static struct entry race_holder, race_waiter;

static void release_holder(void)
{
	mp_range_release(&rl, &race_holder.r);
}

/*
 * An entry is granted exactly once: either acquire returns true (and the
 * callback is never called) or it returns false and the callback is called.
 * A release that lands just after acquire unlocked must not make it both.
 */
Test(range_lock, acquire_racing_with_release_grants_exactly_once)
{
	bool now;

	cr_assert(acquire(&race_holder, 'h', 0, 100));
	atomic_store(&after_unlock, release_holder);
	now = acquire(&race_waiter, 'w', 50, 150);
	cr_assert_null(atomic_load(&after_unlock), "the hook did not run");
	cr_assert(race_waiter.r.granted);
	cr_assert_eq((now ? 1 : 0) + race_waiter.grants, 1,
		     "acquire returned %s and the grant callback ran %u time(s): "
		     "the caller starts the request twice",
		     now ? "true" : "false", race_waiter.grants);
	mp_range_release(&rl, &race_waiter.r);
	cr_assert_eq(rl.nr_entries, 0);
}

/*
 * Threads: each takes overlapping ranges many times and checks that nobody
 * else holds any byte of its range meanwhile.
 */
#define NR_THREADS 4
#define NR_ROUNDS 2000
#define SPAN 64

struct worker {
	struct mp_range r;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool granted;
	unsigned id;
};

static unsigned owner[SPAN];	/* [atomic] holder id + 1 of each unit, or 0 */
static unsigned clashes;	/* [atomic] */

static void worker_grant(struct mp_range *r)
{
	struct worker *w = mp_container_of(r, struct worker, r);

	pthread_mutex_lock(&w->mu);
	w->granted = true;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	unsigned seed = w->id * 7919u + 1, i, k;

	for (i = 0; i < NR_ROUNDS; i++) {
		unsigned start, len;

		seed = seed * 1103515245u + 12345u;
		start = (seed >> 8) % SPAN;
		len = 1 + (seed >> 20) % (SPAN - start);
		w->granted = false;
		if (!mp_range_acquire(&rl, &w->r, start, start + len, worker_grant)) {
			pthread_mutex_lock(&w->mu);
			while (!w->granted)
				pthread_cond_wait(&w->cv, &w->mu);
			pthread_mutex_unlock(&w->mu);
		}
		for (k = start; k < start + len; k++) {
			unsigned zero = 0;

			if (!__atomic_compare_exchange_n(&owner[k], &zero, w->id + 1, false,
							 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
				__atomic_add_fetch(&clashes, 1, __ATOMIC_RELAXED);
		}
		for (k = start; k < start + len; k++)
			__atomic_store_n(&owner[k], 0, __ATOMIC_RELEASE);
		mp_range_release(&rl, &w->r);
	}
	return NULL;
}

Test(range_lock, threads_never_hold_overlapping_ranges, .timeout = 60)
{
	struct worker w[NR_THREADS];
	pthread_t t[NR_THREADS];
	unsigned i;

	memset(owner, 0, sizeof(owner));
	clashes = 0;
	for (i = 0; i < NR_THREADS; i++) {
		memset(&w[i], 0, sizeof(w[i]));
		w[i].id = i;
		pthread_mutex_init(&w[i].mu, NULL);
		pthread_cond_init(&w[i].cv, NULL);
		cr_assert_eq(pthread_create(&t[i], NULL, worker_main, &w[i]), 0);
	}
	for (i = 0; i < NR_THREADS; i++) {
		pthread_join(t[i], NULL);
		pthread_mutex_destroy(&w[i].mu);
		pthread_cond_destroy(&w[i].cv);
	}
	cr_assert_eq(clashes, 0);
	cr_assert_eq(rl.nr_entries, 0);
}
