// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Path monitor tests: the checker loop of path-monitor.c driven by a fake
 * checker and a fake clock, on a real core (core.c) built in code.
 *
 * The fake checker plays a script per path: every start() takes the next
 * entry, a result (ready, faulty, timeout, ghost, ...) that poll() reports
 * after a given number of PENDING answers; with the script used up, every
 * check gives the path's default result. It records when each check was
 * started, so the schedule the monitor keeps can be compared exactly.
 *
 * Time: the fake clock is T(s) = t0 + s seconds, where t0 is mp_now_ns()
 * when the rig starts. The core stamps its own deadlines (no_path_retry N,
 * failback N) with mp_now_ns(), so those tests read the deadline back with
 * mp_core_next_deadline() and bracket it with mp_now_ns() taken around the
 * step that caused it.
 *
 * Paths are a, b, c, d (devices dev-a ...), fd -1; groups use the failover
 * selector, so the path an I/O maps to also names its group. Damping is off
 * (flap_threshold = 0) unless a test turns it on.
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mpathfs/checker.h"
#include "mpathfs/config.h"
#include "mpathfs/core.h"
#include "mpathfs/log.h"
#include "mpathfs/path-monitor.h"
#include "mpathfs/util.h"

#define SEC 1000000000ull
#define MS 1000000ull
#define MAXP 4
#define MAXSCRIPT 64
#define MAXSTARTS 4096
#define FOREVER UINT_MAX

/* ---- the fake checker --------------------------------------------------- */

struct check {
	enum mp_check_state state;
	unsigned pending;	/* PENDING answers before the result */
};

struct fake_ck {
	struct check script[MAXSCRIPT];
	unsigned nr, pos;
	enum mp_check_state dflt;
	int init_err;

	bool running;
	struct check cur;
	unsigned inits, destroys, starts, polls;
	unsigned timeout_ms;		/* as init() saw the checker */
	const struct mp_path_dev *dev;
	unsigned bad_calls;	/* start while running, poll while idle */
	uint64_t start_ns[MAXSTARTS];
};

static struct fake_ck fck[MAXP];

static struct fake_ck *fck_of(struct mp_checker *ck)
{
	return ck->ctx;
}

static int fake_init(struct mp_checker *ck)
{
	unsigned i;

	/* devices are "dev-a", "dev-b", ... */
	cr_assert(strlen(ck->device) == 5 && !strncmp(ck->device, "dev-", 4),
		  "unexpected device '%s'", ck->device);
	i = (unsigned)(ck->device[4] - 'a');
	cr_assert_lt(i, MAXP);
	fck[i].inits++;
	fck[i].timeout_ms = ck->timeout_ms;
	fck[i].dev = ck->dev;
	if (fck[i].init_err) {
		snprintf(ck->msg, sizeof(ck->msg), "scripted init failure");
		return fck[i].init_err;
	}
	ck->ctx = &fck[i];
	return 0;
}

static void fake_destroy(struct mp_checker *ck)
{
	fck_of(ck)->destroys++;
}

static void fake_start(struct mp_checker *ck, uint64_t now)
{
	struct fake_ck *f = fck_of(ck);

	if (f->running) {
		f->bad_calls++;
		return;
	}
	if (f->starts < MAXSTARTS)
		f->start_ns[f->starts] = now;
	f->starts++;
	f->running = true;
	if (f->pos < f->nr)
		f->cur = f->script[f->pos++];
	else
		f->cur = (struct check){ f->dflt, 0 };
}

static enum mp_check_state fake_poll(struct mp_checker *ck, uint64_t now)
{
	struct fake_ck *f = fck_of(ck);

	(void)now;
	f->polls++;
	if (!f->running) {
		f->bad_calls++;
		return MP_CHECK_FAULTY;
	}
	if (f->cur.pending) {
		if (f->cur.pending != FOREVER)
			f->cur.pending--;
		return MP_CHECK_PENDING;
	}
	f->running = false;
	snprintf(ck->msg, sizeof(ck->msg), "scripted %s", mp_check_state_name(f->cur.state));
	return f->cur.state;
}

static const struct mp_checker_ops fake_ops = {
	.name = "fake",
	.init = fake_init,
	.destroy = fake_destroy,
	.start = fake_start,
	.poll = fake_poll,
};

/* Append checks to path i's script. */
static void script(unsigned i, const struct check *c, unsigned n)
{
	for (unsigned k = 0; k < n; k++) {
		cr_assert_lt(fck[i].nr, MAXSCRIPT);
		fck[i].script[fck[i].nr++] = c[k];
	}
}

/* Script path i with a string of results, one letter per check: R ready, F faulty, T timeout, G ghost. */
static void script_str(unsigned i, const char *s)
{
	for (; *s; s++) {
		struct check c = { MP_CHECK_READY, 0 };

		switch (*s) {
		case 'R': c.state = MP_CHECK_READY; break;
		case 'F': c.state = MP_CHECK_FAULTY; break;
		case 'T': c.state = MP_CHECK_TIMEOUT; break;
		case 'G': c.state = MP_CHECK_GHOST; break;
		default: cr_assert_fail("bad script letter '%c'", *s);
		}
		script(i, &c, 1);
	}
}

/* ---- the rig ------------------------------------------------------------ */

static struct {
	struct mp_config cfg;
	struct mp_config_group groups[2];
	struct mp_config_path paths[MAXP];
	struct mp_path_dev devs[MAXP];
	struct mp_core core;
	struct mp_monitor mon;
	bool core_up, mon_up;
	uint64_t t0, now;
	bool stepped;
	uint64_t last_step;
	FILE *saved_stderr, *log;
	char *logbuf;
	size_t loglen;
} rig;

static struct mp_core *core(void)
{
	return &rig.core;
}

static struct mp_path *path(unsigned i)
{
	return rig.core.paths[i];
}

static struct mp_path_watch *watch(unsigned i)
{
	return &rig.mon.watch[i];
}

static uint64_t T(uint64_t s)
{
	return rig.t0 + s * SEC;
}

/*
 * nr_paths paths; groups[i] is the group index (0 or 1) of path i. Group 0
 * "best" has priority 50, group 1 "other" priority 10.
 */
static void rig_config(unsigned nr_paths, const char *groups)
{
	unsigned i, nr_groups = 1;

	memset(&rig, 0, sizeof(rig));
	memset(fck, 0, sizeof(fck));
	mp_config_defaults(&rig.cfg);
	snprintf(rig.cfg.path_selector, MP_NAME_MAX, "failover");
	rig.cfg.polling_interval = 5;
	rig.cfg.max_polling_interval = 20;
	rig.cfg.flap_threshold = 0;
	rig.cfg.groups = rig.groups;
	rig.cfg.paths = rig.paths;
	rig.cfg.nr_paths = nr_paths;
	for (i = 0; i < nr_paths; i++) {
		unsigned g = groups ? (unsigned)(groups[i] - '0') : 0;

		cr_assert_lt(g, 2);
		if (g + 1 > nr_groups)
			nr_groups = g + 1;
		snprintf(rig.paths[i].name, MP_NAME_MAX, "%c", 'a' + i);
		snprintf(rig.paths[i].device, MP_DEV_MAX, "dev-%c", 'a' + i);
		snprintf(rig.paths[i].group, MP_NAME_MAX, "%s", g ? "other" : "best");
		rig.paths[i].weight = 1;
		rig.devs[i] = (struct mp_path_dev){ .fd = -1, .lbs = 512, .size = 1 << 20 };
		fck[i].dflt = MP_CHECK_READY;
	}
	rig.cfg.nr_groups = nr_groups;
	snprintf(rig.groups[0].name, MP_NAME_MAX, "best");
	rig.groups[0].priority = 50;
	snprintf(rig.groups[1].name, MP_NAME_MAX, "other");
	rig.groups[1].priority = 10;
}

static void log_capture(void)
{
	/* mp_log() writes to stderr: keep its lines to look for reasons */
	rig.log = open_memstream(&rig.logbuf, &rig.loglen);
	cr_assert_not_null(rig.log);
	rig.saved_stderr = stderr;
	stderr = rig.log;
	mp_log_set_level(LOG_INFO);
}

static void log_release(void)
{
	if (!rig.log)
		return;
	stderr = rig.saved_stderr;
	fclose(rig.log);
	rig.log = NULL;
	free(rig.logbuf);
	rig.logbuf = NULL;
}

static bool log_has(const char *s)
{
	fflush(rig.log);
	return rig.logbuf && strstr(rig.logbuf, s);
}

static void assert_log_has(const char *s)
{
	fflush(rig.log);
	cr_assert(log_has(s), "log lacks \"%s\"; log:\n%s", s, rig.logbuf ? rig.logbuf : "");
}

static void rig_start(void)
{
	char err[MP_ERRMSG_MAX] = "";

	log_capture();
	cr_assert_eq(mp_core_init(&rig.core, &rig.cfg, rig.devs, err, sizeof(err)), 0, "%s", err);
	rig.core_up = true;
	cr_assert_eq(mp_monitor_init(&rig.mon, &rig.core, &rig.cfg, &fake_ops, err, sizeof(err)),
		     0, "%s", err);
	rig.mon_up = true;
	rig.t0 = mp_now_ns();
	rig.now = rig.t0;
}

static void rig_fini(void)
{
	if (rig.mon_up)
		mp_monitor_destroy(&rig.mon);
	if (rig.core_up) {
		mp_core_shutdown(&rig.core);
		mp_core_destroy(&rig.core);
	}
	rig.mon_up = rig.core_up = false;
	log_release();
}

TestSuite(monitor, .fini = rig_fini, .timeout = 30);

/* One step of the monitor at T(s). */
static void step(uint64_t s)
{
	rig.now = T(s);
	mp_monitor_step(&rig.mon, rig.now);
	rig.stepped = true;
	rig.last_step = rig.now;
}

/* Step the monitor at every time it asks to be woken, up to and including until. */
static void drive(uint64_t until)
{
	unsigned n = 0;

	for (;;) {
		uint64_t w = mp_monitor_next_wake(&rig.mon, rig.now);

		if (w > until)
			break;
		if (w < rig.now)
			w = rig.now;	/* overdue: run now */
		cr_assert(!rig.stepped || w > rig.last_step,
			  "next_wake asks for %lld ms after t0, when the monitor just ran",
			  (long long)(w - rig.t0) / (long long)MS);
		rig.now = w;
		mp_monitor_step(&rig.mon, w);
		rig.stepped = true;
		rig.last_step = w;
		cr_assert_lt(++n, 100000, "the monitor never sleeps");
	}
	rig.now = until;
}

/* Path i's check start times, in seconds after t0 ("0 10 30"), ms where not whole. */
static const char *starts(unsigned i)
{
	static char buf[MAXP][2048];
	size_t len = 0;

	buf[i][0] = '\0';
	for (unsigned k = 0; k < fck[i].starts && k < MAXSTARTS; k++) {
		uint64_t d = fck[i].start_ns[k] - rig.t0;

		if (d % SEC == 0)
			len += (size_t)snprintf(buf[i] + len, sizeof(buf[i]) - len, "%s%llu",
						k ? " " : "", (unsigned long long)(d / SEC));
		else
			len += (size_t)snprintf(buf[i] + len, sizeof(buf[i]) - len, "%s%llums",
						k ? " " : "", (unsigned long long)(d / MS));
		cr_assert_lt(len, sizeof(buf[i]));
	}
	return buf[i];
}

static void assert_starts(unsigned i, const char *expect)
{
	cr_assert_str_eq(starts(i), expect, "path %c checked at \"%s\", expected \"%s\"",
			 'a' + i, starts(i), expect);
}

static void no_bad_calls(void)
{
	for (unsigned i = 0; i < MAXP; i++)
		cr_assert_eq(fck[i].bad_calls, 0, "path %c: start while running or poll while idle",
			     'a' + i);
}

struct pview {
	bool active, admin_failed;
	unsigned fail_count;
	enum mp_check_state cs;
};

static struct pview view(unsigned i)
{
	struct mp_core_path_view v;
	struct pview r;

	mp_core_path_view(core(), path(i), &v);
	mp_core_lock(core());
	r.cs = path(i)->check_state;
	mp_core_unlock(core());
	r.active = v.active;
	r.admin_failed = v.admin_failed;
	r.fail_count = v.fail_count;
	return r;
}

static void assert_path(unsigned i, bool active, enum mp_check_state cs)
{
	struct pview v = view(i);

	cr_assert_eq(v.active, active, "path %c: active %d, expected %d", 'a' + i, v.active,
		     active);
	cr_assert_eq(v.cs, cs, "path %c: check state %s, expected %s", 'a' + i,
		     mp_check_state_name(v.cs), mp_check_state_name(cs));
}

static void ignore_resume(struct mp_qentry *qe, int err)
{
	(void)qe;
	(void)err;
}

/* Map one I/O and end it at once; the name of the path it went to, or "-" if it failed. */
static const char *map_one(void)
{
	static char name[MP_NAME_MAX];
	static struct mp_qentry qe = { .resume = ignore_resume };
	struct mp_path *p = NULL;
	int r = mp_core_map_io(core(), 4096, &qe, &p);

	if (r == 0) {
		snprintf(name, sizeof(name), "%s", p->name);
		mp_core_end_io(core(), p, 4096, 1000);
		return name;
	}
	cr_assert_neq(r, 1, "a test I/O was queued on the stack");
	return "-";
}

/* ---- back-off schedule -------------------------------------------------- */

struct backoff_case {
	unsigned poll, max;
	uint64_t until;
	char expect[128];
};

static struct backoff_case backoff_cases[] = {
	{ 5, 20, 100, "0 10 30 50 70 90" },
	{ 1, 8, 40, "0 2 6 14 22 30 38" },
	{ 5, 5, 20, "0 5 10 15 20" },
	{ 4, 30, 140, "0 8 24 54 84 114" },
	{ 3, 20, 60, "0 6 18 38 58" },
	{ 2, 16, 60, "0 4 12 28 44 60" },
};

ParameterizedTestParameters(monitor, backoff_schedule)
{
	return cr_make_param_array(struct backoff_case, backoff_cases,
				   MP_ARRAY_SIZE(backoff_cases));
}

/* While a path stays ready its interval doubles from polling_interval to the maximum. */
ParameterizedTest(struct backoff_case *tc, monitor, backoff_schedule)
{
	rig_config(1, NULL);
	rig.cfg.polling_interval = tc->poll;
	rig.cfg.max_polling_interval = tc->max;
	rig_start();
	cr_assert_leq(mp_monitor_next_wake(&rig.mon, rig.now), rig.now,
		      "the first check is due at once");
	drive(T(tc->until));
	assert_starts(0, tc->expect);
	cr_assert_eq(watch(0)->interval_ns, (uint64_t)tc->max * SEC);
	cr_assert_eq(mp_monitor_next_wake(&rig.mon, rig.now),
		     fck[0].start_ns[fck[0].starts - 1] + (uint64_t)tc->max * SEC);
	assert_path(0, true, MP_CHECK_READY);
	cr_assert_eq(view(0).fail_count, 0);
	no_bad_calls();
}

/* A failed check anywhere brings every path back to polling_interval. */
Test(monitor, any_failure_resets_every_path)
{
	rig_config(3, NULL);
	script_str(2, "RRRRF");		/* c fails its check at 70 */
	rig_start();
	drive(T(69));
	for (unsigned i = 0; i < 3; i++) {
		assert_starts(i, "0 10 30 50");
		cr_assert_eq(watch(i)->interval_ns, 20 * SEC);
	}
	step(70);
	assert_path(2, false, MP_CHECK_FAULTY);
	for (unsigned i = 0; i < 3; i++) {
		cr_assert_eq(watch(i)->interval_ns, 5 * SEC, "path %c", 'a' + i);
		cr_assert_eq(watch(i)->next_check_ns, T(75), "path %c next check at %llu ms",
			     'a' + i, (unsigned long long)((watch(i)->next_check_ns - rig.t0) / MS));
	}
	cr_assert_eq(mp_monitor_next_wake(&rig.mon, T(70)), T(75));
	drive(T(110));
	/* a and b back off again; c was reinstated at 75 and starts over */
	assert_starts(0, "0 10 30 50 70 75 85 105");
	assert_starts(1, "0 10 30 50 70 75 85 105");
	assert_starts(2, "0 10 30 50 70 75 80 90 110");
	assert_path(2, true, MP_CHECK_READY);
	no_bad_calls();
}

/* A path that stays failed is checked every polling_interval, never backed off. */
Test(monitor, failed_path_checked_every_polling_interval)
{
	rig_config(2, NULL);
	fck[1].dflt = MP_CHECK_FAULTY;
	rig_start();
	drive(T(60));
	assert_starts(1, "0 5 10 15 20 25 30 35 40 45 50 55 60");
	assert_starts(0, "0 5 10 15 20 25 30 35 40 45 50 55 60");
	assert_path(1, false, MP_CHECK_FAULTY);
	cr_assert_eq(view(1).fail_count, 1, "a failed path is not failed again");
	cr_assert_eq(core()->nr_valid_paths, 1);
	no_bad_calls();
}

/*
 * A path the I/O path fails (mp_core_fail_path, not the checker) is a failed
 * path too: as multipathd pulls the next check of a path the kernel failed
 * in to polling_interval, it must be checked within polling_interval, not
 * at the end of its backed-off interval.
 */
Test(monitor, path_failed_by_io_checked_within_polling_interval)
{
	rig_config(2, NULL);
	rig_start();
	drive(T(31));
	assert_starts(0, "0 10 30");
	cr_assert_eq(watch(0)->next_check_ns, T(50));
	cr_assert_eq(mp_core_fail_path(core(), path(0), "I/O error: Input/output error"), 0);
	step(31);
	cr_assert_leq(mp_monitor_next_wake(&rig.mon, T(31)), T(36),
		      "next wake %llu s after t0: the failed path waits for its backed-off check",
		      (unsigned long long)((mp_monitor_next_wake(&rig.mon, T(31)) - rig.t0) / SEC));
	drive(T(36));
	cr_assert_eq(fck[0].starts, 4, "path a checked at \"%s\": not within polling_interval "
		     "of its failure at 31", starts(0));
	assert_path(0, true, MP_CHECK_READY);
}

/* ---- failing and passing checks ----------------------------------------- */

struct fail_case {
	char letter;
	enum mp_check_state state;
	char reason[96];
};

static struct fail_case fail_cases[] = {
	{ 'F', MP_CHECK_FAULTY, "path a (dev-a) failed: checker faulty: scripted faulty" },
	{ 'T', MP_CHECK_TIMEOUT, "path a (dev-a) failed: checker timeout: scripted timeout" },
	{ 'G', MP_CHECK_GHOST, "path a (dev-a) failed: checker ghost: scripted ghost" },
};

ParameterizedTestParameters(monitor, failing_check_fails_path)
{
	return cr_make_param_array(struct fail_case, fail_cases, MP_ARRAY_SIZE(fail_cases));
}

/* FAULTY, TIMEOUT and GHOST fail the path with a reason; READY reinstates it. */
ParameterizedTest(struct fail_case *tc, monitor, failing_check_fails_path)
{
	char s[2] = { tc->letter, 0 };

	rig_config(2, NULL);
	script_str(0, s);
	script_str(0, "R");
	rig_start();
	step(0);
	assert_path(0, false, tc->state);
	assert_path(1, true, MP_CHECK_READY);
	cr_assert_eq(view(0).fail_count, 1);
	cr_assert_eq(core()->nr_valid_paths, 1);
	cr_assert_eq(core()->nr_path_failures, 1);
	assert_log_has(tc->reason);
	cr_assert_str_eq(map_one(), "b");
	cr_assert_eq(watch(0)->next_check_ns, T(5));

	step(5);
	assert_path(0, true, MP_CHECK_READY);
	cr_assert_eq(view(0).fail_count, 1);
	cr_assert_eq(core()->nr_valid_paths, 2);
	assert_log_has("path a (dev-a) reinstated: checker: scripted ready");
	cr_assert_str_eq(map_one(), "a");
	no_bad_calls();
}

/* A passing check reinstates a path that I/O failed. */
Test(monitor, passing_check_reinstates_path_failed_by_io)
{
	rig_config(2, NULL);
	rig_start();
	step(0);
	cr_assert_eq(mp_core_fail_path(core(), path(0), "I/O error: test"), 0);
	cr_assert_str_eq(map_one(), "b");
	drive(T(10));
	assert_starts(0, "0 10");
	assert_path(0, true, MP_CHECK_READY);
	cr_assert_str_eq(map_one(), "a");
}

/* ---- a pass older than the failure ---------------------------------------- */

struct stale_case {
	char during;		/* how the path fails while its check runs: I/O error, Admin */
	char fresh;		/* the result of the check that follows: R or F */
	bool active;		/* after it */
	enum mp_check_state cs;
};

static struct stale_case stale_cases[] = {
	{ 'I', 'R', true, MP_CHECK_READY },
	{ 'I', 'F', false, MP_CHECK_FAULTY },
	{ 'A', 'R', false, MP_CHECK_READY },
};

ParameterizedTestParameters(monitor, pass_older_than_failure_reinstates_nothing)
{
	return cr_make_param_array(struct stale_case, stale_cases, MP_ARRAY_SIZE(stale_cases));
}

static void step_ms(uint64_t ms)
{
	rig.now = rig.t0 + ms * MS;
	mp_monitor_step(&rig.mon, rig.now);
	rig.stepped = true;
	rig.last_step = rig.now;
}

/*
 * A check under way when its path fails (the I/O that failed it was sent
 * after the check's read) passes: it saw the path before the failure, so
 * the path stays failed and a fresh check, 20 ms later, decides.
 */
ParameterizedTest(struct stale_case *tc, monitor, pass_older_than_failure_reinstates_nothing)
{
	struct check slow_pass = { MP_CHECK_READY, 2 };
	char fresh[2] = { tc->fresh, 0 };

	rig_config(2, NULL);
	script(0, &slow_pass, 1);
	script_str(0, fresh);
	rig_start();
	step_ms(0);
	cr_assert(watch(0)->checking);
	if (tc->during == 'I')
		cr_assert_eq(mp_core_fail_path(core(), path(0), "I/O error: test"), 0);
	else
		cr_assert_eq(mp_core_fail_path_admin(core(), path(0)), 0);
	step_ms(20);
	cr_assert(watch(0)->checking);
	step_ms(40);
	cr_assert_not(watch(0)->checking);
	assert_path(0, false, MP_CHECK_READY);
	cr_assert_not(log_has("reinstated"), "a pass older than the failure reinstated the path");
	cr_assert_eq(watch(0)->next_check_ns, rig.t0 + 60 * MS);
	cr_assert_str_eq(map_one(), "b");

	step_ms(60);
	assert_starts(0, "0 60ms");
	assert_path(0, tc->active, tc->cs);
	cr_assert_eq(view(0).fail_count, 1);
	cr_assert_str_eq(map_one(), tc->active ? "a" : "b");
	no_bad_calls();
}

/* A path failed by the administrator stays failed; its check state still follows the checker. */
Test(monitor, admin_failed_path_never_reinstated)
{
	rig_config(2, NULL);
	script_str(0, "RFRRR");
	rig_start();
	cr_assert_eq(mp_core_fail_path_admin(core(), path(0)), 0);
	step(0);
	assert_path(0, false, MP_CHECK_READY);
	cr_assert(view(0).admin_failed);
	step(5);
	assert_path(0, false, MP_CHECK_FAULTY);
	step(10);
	assert_path(0, false, MP_CHECK_READY);
	drive(T(60));
	assert_path(0, false, MP_CHECK_READY);
	cr_assert_eq(view(0).fail_count, 1);
	cr_assert(view(0).admin_failed);
	/* a failed path is checked every polling_interval */
	assert_starts(0, "0 5 10 15 20 25 30 35 40 45 50 55 60");
	cr_assert_str_eq(map_one(), "b");

	/* the administrator brings it back; from then on the checker rules again */
	cr_assert_eq(mp_core_reinstate_path(core(), path(0), "command"), 0);
	fck[0].dflt = MP_CHECK_FAULTY;
	drive(T(65));
	assert_path(0, false, MP_CHECK_FAULTY);
	cr_assert_not(view(0).admin_failed);
	fck[0].dflt = MP_CHECK_READY;
	drive(T(70));
	assert_path(0, true, MP_CHECK_READY);
	no_bad_calls();
}

/* ---- pending checks ----------------------------------------------------- */

/* A check that never answers holds up no other path's checks. */
Test(monitor, pending_check_does_not_block_others)
{
	struct check stuck = { MP_CHECK_READY, FOREVER };

	rig_config(3, NULL);
	script(1, &stuck, 1);
	rig_start();
	step(0);
	cr_assert(watch(1)->checking);
	/* a and c are next due at 10: until then only the pending check sets the wake-up */
	for (uint64_t now = T(0); now < T(10); now += 700 * MS) {
		uint64_t w = mp_monitor_next_wake(&rig.mon, now);

		cr_assert_gt(w, now);
		cr_assert_leq(w, now + 100 * MS, "next wake %llu ms away while a check is pending",
			      (unsigned long long)((w - now) / MS));
	}
	drive(T(100));
	assert_starts(0, "0 10 30 50 70 90");
	assert_starts(2, "0 10 30 50 70 90");
	cr_assert_eq(fck[1].starts, 1, "a second check started on top of a pending one");
	cr_assert_gt(fck[1].polls, 100);
	assert_path(1, true, MP_CHECK_READY);	/* no answer is no verdict */
	no_bad_calls();
}

/* A check pending for some polls is acted on when it answers; the next is due from then. */
Test(monitor, pending_check_result_applied_when_it_comes)
{
	struct check slow_fail = { MP_CHECK_FAULTY, 3 };

	rig_config(2, NULL);
	script(0, &slow_fail, 1);
	rig_start();
	step(0);
	step(1);
	step(2);
	assert_path(0, true, MP_CHECK_READY);
	cr_assert_eq(fck[0].polls, 3);
	step(3);
	cr_assert_eq(fck[0].polls, 4);
	assert_path(0, false, MP_CHECK_FAULTY);
	cr_assert_eq(watch(0)->next_check_ns, T(8));
	cr_assert_eq(fck[0].starts, 1);
	/* b passed at 0 (next at 10), then a's failure pulled it in to 3 + 5 */
	cr_assert_eq(watch(1)->next_check_ns, T(8));
	drive(T(8));
	assert_starts(0, "0 8");
	assert_starts(1, "0 8");
	assert_path(0, true, MP_CHECK_READY);
	no_bad_calls();
}

/* ---- flap damping ------------------------------------------------------- */

struct flap_step {
	uint64_t t;
	char check;		/* R or F */
	bool active;
	enum mp_check_state cs;
};

static void flap_config(unsigned threshold, unsigned window, unsigned holdoff)
{
	rig_config(2, NULL);
	rig.cfg.flap_threshold = threshold;
	rig.cfg.flap_window = window;
	rig.cfg.flap_holdoff = holdoff;
}

/* Step through a table: path a's check at each t gives check; then its state. */
static void run_flap(const struct flap_step *s, unsigned n)
{
	for (unsigned k = 0; k < n; k++) {
		char c[2] = { s[k].check, 0 };

		script_str(0, c);
	}
	rig_start();
	for (unsigned k = 0; k < n; k++) {
		struct pview v;

		/* the check is due exactly then, and no earlier */
		cr_assert_eq(watch(0)->next_check_ns, k ? T(s[k].t) : 0,
			     "step %u: path a's next check at %lld ms, expected at %llu s", k,
			     (long long)(watch(0)->next_check_ns - rig.t0) / (long long)MS,
			     (unsigned long long)s[k].t);
		step(s[k].t);
		v = view(0);
		cr_assert_eq(v.active, s[k].active, "t=%llu (%c): active %d, expected %d",
			     (unsigned long long)s[k].t, s[k].check, v.active, s[k].active);
		cr_assert_eq(v.cs, s[k].cs, "t=%llu (%c): state %s, expected %s",
			     (unsigned long long)s[k].t, s[k].check, mp_check_state_name(v.cs),
			     mp_check_state_name(s[k].cs));
	}
	cr_assert_eq(fck[0].starts, n);
	no_bad_calls();
}

#define A true
#define X false
#define RD MP_CHECK_READY
#define FY MP_CHECK_FAULTY
#define DL MP_CHECK_DELAYED

/* Three failures within the window: a passing check is held out (DELAYED) for holdoff. */
Test(monitor, flapping_path_held_out_for_holdoff)
{
	static const struct flap_step s[] = {
		{ 0, 'F', X, FY }, { 5, 'R', A, RD },
		{ 10, 'F', X, FY }, { 15, 'R', A, RD },
		{ 20, 'F', X, FY },
		{ 25, 'R', X, DL },	/* third failure within 60 s: held out until 55 */
		{ 30, 'R', X, DL }, { 35, 'R', X, DL }, { 40, 'R', X, DL },
		{ 45, 'R', X, DL }, { 50, 'R', X, DL },
		{ 55, 'R', A, RD },	/* 30 s of passing checks */
		{ 60, 'R', A, RD },
	};

	flap_config(3, 60, 30);
	run_flap(s, MP_ARRAY_SIZE(s));
	cr_assert_eq(view(0).fail_count, 3);
	assert_log_has("path a (dev-a) is flapping");
}

/* A failed check while held out starts the holdoff again. */
Test(monitor, failed_check_during_holdoff_restarts_wait)
{
	static const struct flap_step s[] = {
		{ 0, 'F', X, FY }, { 5, 'R', A, RD },
		{ 10, 'F', X, FY }, { 15, 'R', A, RD },
		{ 20, 'F', X, FY },
		{ 25, 'R', X, DL }, { 30, 'R', X, DL },
		{ 35, 'F', X, FY },	/* during holdoff */
		{ 40, 'R', X, DL },	/* the wait starts again: until 70 */
		{ 45, 'R', X, DL }, { 50, 'R', X, DL }, { 55, 'R', X, DL },
		{ 60, 'R', X, DL }, { 65, 'R', X, DL },
		{ 70, 'R', A, RD },
	};

	flap_config(3, 60, 30);
	run_flap(s, MP_ARRAY_SIZE(s));
}

/*
 * The same with a holdoff longer than the window: the failures that made
 * the path flap have left the window when the failed check in the holdoff
 * comes, but that check must still start the wait again (path-monitor.c:
 * "any failed check in that time starts the wait again").
 */
Test(monitor, failed_check_during_long_holdoff_restarts_wait)
{
	static const struct flap_step s[] = {
		{ 0, 'F', X, FY }, { 5, 'R', A, RD },
		{ 10, 'F', X, FY }, { 15, 'R', A, RD },
		{ 20, 'F', X, FY },
		{ 25, 'R', X, DL },	/* held out until 85 */
		{ 30, 'R', X, DL }, { 35, 'R', X, DL }, { 40, 'R', X, DL },
		{ 45, 'R', X, DL }, { 50, 'R', X, DL }, { 55, 'R', X, DL },
		{ 60, 'F', X, FY },	/* during holdoff */
		{ 65, 'R', X, DL },	/* the wait starts again: until 125 */
		{ 70, 'R', X, DL },
	};

	flap_config(3, 30, 60);
	run_flap(s, MP_ARRAY_SIZE(s));
}

/* flap_threshold = 0: no damping however often a path fails. */
Test(monitor, flap_threshold_zero_disables_damping)
{
	static const struct flap_step s[] = {
		{ 0, 'F', X, FY }, { 5, 'R', A, RD },
		{ 10, 'F', X, FY }, { 15, 'R', A, RD },
		{ 20, 'F', X, FY }, { 25, 'R', A, RD },
		{ 30, 'F', X, FY }, { 35, 'R', A, RD },
		{ 40, 'F', X, FY }, { 45, 'R', A, RD },
	};

	flap_config(0, 60, 30);
	run_flap(s, MP_ARRAY_SIZE(s));
	cr_assert_not(log_has("flapping"));
}

/* Failures older than the window do not count. */
Test(monitor, failures_outside_window_do_not_count)
{
	static const struct flap_step s[] = {
		{ 0, 'F', X, FY }, { 5, 'R', A, RD },
		{ 10, 'F', X, FY }, { 15, 'R', A, RD },
		{ 20, 'R', A, RD }, { 30, 'R', A, RD }, { 50, 'R', A, RD },
		{ 70, 'F', X, FY },
		{ 75, 'R', A, RD },	/* 0 and 10 are out of the 60 s window */
	};

	flap_config(3, 60, 30);
	run_flap(s, MP_ARRAY_SIZE(s));
}

/* Failures from I/O (the core's fail_path, as request.c calls it) count toward damping. */
Test(monitor, io_failures_count_toward_damping)
{
	flap_config(3, 60, 30);
	rig_start();
	step(0);
	cr_assert_eq(watch(0)->next_check_ns, T(10));
	cr_assert_eq(mp_core_fail_path(core(), path(0), "I/O error: test"), 0);
	step(10);
	assert_path(0, true, MP_CHECK_READY);
	cr_assert_eq(watch(0)->next_check_ns, T(20));
	cr_assert_eq(mp_core_fail_path(core(), path(0), "I/O error: test"), 0);
	step(20);
	assert_path(0, true, MP_CHECK_READY);
	cr_assert_eq(mp_core_fail_path(core(), path(0), "I/O error: test"), 0);
	cr_assert_eq(watch(0)->next_check_ns, T(30));
	step(30);
	assert_path(0, false, MP_CHECK_DELAYED);	/* third failure: held out until 60 */
	drive(T(59));
	assert_path(0, false, MP_CHECK_DELAYED);
	assert_starts(0, "0 10 20 30 35 40 45 50 55");
	drive(T(60));
	assert_path(0, true, MP_CHECK_READY);
	cr_assert_eq(view(0).fail_count, 3);
	no_bad_calls();
}

/*
 * Failures by command do not count toward damping (path-monitor.c: "a
 * command's failures don't count"), also when the administrator fails and
 * reinstates the path between two checks.
 */
Test(monitor, command_failures_do_not_count_toward_damping)
{
	flap_config(3, 60, 30);
	script_str(0, "RFR");
	rig_start();
	step(0);
	for (int k = 0; k < 2; k++) {
		cr_assert_eq(mp_core_fail_path_admin(core(), path(0)), 0);
		cr_assert_eq(mp_core_reinstate_path(core(), path(0), "command"), 0);
	}
	cr_assert_eq(view(0).fail_count, 2);
	drive(T(10));
	assert_path(0, false, MP_CHECK_FAULTY);		/* the first checker failure */
	drive(T(15));
	assert_starts(0, "0 10 15");
	assert_path(0, true, MP_CHECK_READY);
}

/* ---- failback through the monitor --------------------------------------- */

struct failback_case {
	int failback;
	char after_reinstate[8];	/* where the next I/O goes */
};

static struct failback_case failback_cases[] = {
	{ MP_FAILBACK_IMMEDIATE, "a" },
	{ MP_FAILBACK_MANUAL, "b" },
	{ MP_FAILBACK_FOLLOWOVER, "a" },	/* a is the first of its group back */
	{ 0, "a" },				/* 0 s of deferral is immediate */
	{ 10, "b" },				/* until 10 s have passed */
};

ParameterizedTestParameters(monitor, failback_after_checker_reinstates)
{
	return cr_make_param_array(struct failback_case, failback_cases,
				   MP_ARRAY_SIZE(failback_cases));
}

/* Group best (a, priority 50) and other (b, 10): a fails and comes back by the checker. */
ParameterizedTest(struct failback_case *tc, monitor, failback_after_checker_reinstates)
{
	uint64_t before, after, d;

	rig_config(2, "01");
	rig.cfg.failback = tc->failback;
	script_str(0, "FR");
	rig_start();
	cr_assert_str_eq(map_one(), "a");
	step(0);
	assert_path(0, false, MP_CHECK_FAULTY);
	cr_assert_str_eq(map_one(), "b");
	cr_assert_str_eq(map_one(), "b");
	cr_assert_eq(mp_core_next_deadline(core()), 0);
	before = mp_now_ns();
	step(5);
	after = mp_now_ns();
	assert_path(0, true, MP_CHECK_READY);
	cr_assert_str_eq(map_one(), tc->after_reinstate, "failback %d", tc->failback);
	cr_assert_str_eq(map_one(), tc->after_reinstate, "failback %d", tc->failback);

	d = mp_core_next_deadline(core());
	if (tc->failback <= 0) {
		cr_assert_eq(d, 0);
		mp_core_tick(core(), after + 3600 * SEC);
		cr_assert_str_eq(map_one(), tc->after_reinstate, "failback %d", tc->failback);
		return;
	}
	/* deferred: exactly failback seconds after the reinstatement */
	cr_assert_geq(d, before + (uint64_t)tc->failback * SEC);
	cr_assert_leq(d, after + (uint64_t)tc->failback * SEC);
	mp_core_tick(core(), d - 1);
	cr_assert_str_eq(map_one(), "b");
	cr_assert_eq(mp_core_next_deadline(core()), d);
	mp_core_tick(core(), d);
	cr_assert_str_eq(map_one(), "a");
	cr_assert_eq(mp_core_next_deadline(core()), 0);
}

struct followover_case {
	int failback;
	char after_reinstate[8];
};

static struct followover_case followover_cases[] = {
	{ MP_FAILBACK_FOLLOWOVER, "c" },	/* a was up: b is not the first back */
	{ MP_FAILBACK_IMMEDIATE, "a" },
	{ MP_FAILBACK_MANUAL, "c" },
};

ParameterizedTestParameters(monitor, failback_when_group_was_not_down)
{
	return cr_make_param_array(struct followover_case, followover_cases,
				   MP_ARRAY_SIZE(followover_cases));
}

/*
 * Group best (a, b), other (c). b fails by the checker, the administrator
 * switches to other while a is still up, then b comes back: followover
 * stays, as b is not the first path of its group to return.
 */
ParameterizedTest(struct followover_case *tc, monitor, failback_when_group_was_not_down)
{
	rig_config(3, "001");
	rig.cfg.failback = tc->failback;
	script_str(1, "FR");
	rig_start();
	step(0);
	assert_path(1, false, MP_CHECK_FAULTY);
	cr_assert_str_eq(map_one(), "a");
	cr_assert_eq(mp_core_switch_group(core(), core()->groups[1]), 0);
	cr_assert_str_eq(map_one(), "c");
	step(5);
	assert_path(1, true, MP_CHECK_READY);
	cr_assert_str_eq(map_one(), tc->after_reinstate, "failback %d", tc->failback);
	cr_assert_eq(mp_core_next_deadline(core()), 0);
}

/* Followover: when a group's first path comes back (its group had none), fail back. */
Test(monitor, followover_fails_back_on_first_path_of_group)
{
	rig_config(3, "001");
	rig.cfg.failback = MP_FAILBACK_FOLLOWOVER;
	script_str(0, "FFR");
	script_str(1, "FR");
	rig_start();
	step(0);
	cr_assert_str_eq(map_one(), "c");
	step(5);	/* b back first: best had no path, so this is followover's cue */
	assert_path(1, true, MP_CHECK_READY);
	assert_path(0, false, MP_CHECK_FAULTY);
	cr_assert_str_eq(map_one(), "b");
}

/* ---- no_path_retry N ---------------------------------------------------- */

struct qrec {
	struct mp_qentry qe;
	int calls;
	int err;
};

static void qrec_resume(struct mp_qentry *qe, int err)
{
	struct qrec *q = mp_container_of(qe, struct qrec, qe);

	q->calls++;
	q->err = err;
}

/* All paths failed by the checker: queued I/O fails N polling intervals after the last failure. */
Test(monitor, no_path_retry_fails_queued_io_after_n_intervals)
{
	static struct qrec q;	/* static: the core may still hold it if an assertion fails */
	struct mp_path *p = NULL;
	uint64_t before, after, d;

	q = (struct qrec){ .qe.resume = qrec_resume };

	rig_config(2, NULL);
	rig.cfg.no_path_retry = 3;
	script_str(0, "F");
	fck[0].dflt = MP_CHECK_FAULTY;
	script_str(1, "RF");	/* b passes at 0 (next check at 10), fails at 10 */
	fck[1].dflt = MP_CHECK_FAULTY;
	rig_start();
	step(0);
	assert_path(0, false, MP_CHECK_FAULTY);
	assert_path(1, true, MP_CHECK_READY);
	cr_assert_eq(mp_core_next_deadline(core()), 0, "a path is still usable");
	usleep(50 * 1000);	/* the last failure is well after the first */
	step(5);		/* a fails again */
	cr_assert_eq(mp_core_next_deadline(core()), 0);
	usleep(50 * 1000);
	before = mp_now_ns();
	step(10);
	after = mp_now_ns();
	assert_path(1, false, MP_CHECK_FAULTY);
	cr_assert_eq(core()->nr_valid_paths, 0);

	cr_assert_eq(mp_core_map_io(core(), 4096, &q.qe, &p), 1);
	cr_assert_eq(core()->nr_queued, 1);
	d = mp_core_next_deadline(core());
	cr_assert_geq(d, before + 3 * 5 * SEC, "deadline %lld ms before 3 intervals after the "
		      "last failure", (long long)(before + 15 * SEC - d) / (long long)MS);
	cr_assert_leq(d, after + 3 * 5 * SEC);

	/* checks go on meanwhile, and the queue stays */
	drive(T(20));
	mp_core_tick(core(), d - 1);
	cr_assert_eq(q.calls, 0, "queued I/O failed before the deadline");
	cr_assert_eq(core()->nr_queued, 1);
	mp_core_tick(core(), d);
	cr_assert_eq(q.calls, 1);
	cr_assert_eq(q.err, -EIO);
	cr_assert_eq(core()->nr_queued, 0);
	cr_assert_eq(mp_core_map_io(core(), 4096, &q.qe, &p), -EIO, "new I/O fails too");
	cr_assert_eq(mp_core_next_deadline(core()), 0);
}

/* A path back before the deadline resumes the queued I/O and cancels the deadline. */
Test(monitor, no_path_retry_path_back_in_time_resumes_io)
{
	static struct qrec q;
	struct mp_path *p = NULL;

	q = (struct qrec){ .qe.resume = qrec_resume, .err = 12345 };

	rig_config(1, NULL);
	rig.cfg.no_path_retry = 2;
	script_str(0, "FFR");
	rig_start();
	step(0);
	cr_assert_eq(mp_core_map_io(core(), 4096, &q.qe, &p), 1);
	cr_assert_neq(mp_core_next_deadline(core()), 0);
	drive(T(10));
	assert_path(0, true, MP_CHECK_READY);
	cr_assert_eq(q.calls, 1);
	cr_assert_eq(q.err, 0);
	cr_assert_eq(mp_core_next_deadline(core()), 0);
	mp_core_tick(core(), T(3600));
	cr_assert_str_eq(map_one(), "a");
}

/* ---- set-up ------------------------------------------------------------- */

/* A checker that cannot be set up for a path fails init with "path NAME: reason". */
Test(monitor, init_failure_names_path)
{
	char err[MP_ERRMSG_MAX] = "";
	struct mp_monitor m;

	rig_config(3, NULL);
	fck[1].init_err = -EINVAL;
	log_capture();
	cr_assert_eq(mp_core_init(&rig.core, &rig.cfg, rig.devs, err, sizeof(err)), 0, "%s", err);
	rig.core_up = true;
	cr_assert_eq(mp_monitor_init(&m, &rig.core, &rig.cfg, &fake_ops, err, sizeof(err)),
		     -EINVAL);
	cr_assert_str_eq(err, "path b: scripted init failure");
	cr_assert_eq(fck[0].inits, 1);
	cr_assert_eq(fck[0].destroys, 1, "the checker set up before the failure is destroyed");
	cr_assert_eq(fck[1].destroys, 0);
	cr_assert_eq(fck[2].inits, 0);
	cr_assert_null(m.watch);
}

/* Each path's checker is set up on that path's device, with checker_timeout. */
Test(monitor, checker_set_up_per_path)
{
	rig_config(3, NULL);
	rig.cfg.checker_timeout = 7;
	rig_start();
	cr_assert_eq(rig.mon.nr_watch, 3);
	for (unsigned i = 0; i < 3; i++) {
		cr_assert_eq(fck[i].inits, 1);
		cr_assert_eq(fck[i].timeout_ms, 7000);
		cr_assert_eq(fck[i].dev, &path(i)->dev);
		cr_assert_eq(watch(i)->path, path(i));
		cr_assert_str_eq(watch(i)->ck.device, rig.paths[i].device);
	}
}

Test(monitor, destroy_destroys_every_checker)
{
	rig_config(4, NULL);
	rig_start();
	drive(T(30));
	mp_monitor_destroy(&rig.mon);
	rig.mon_up = false;
	for (unsigned i = 0; i < 4; i++) {
		cr_assert_eq(fck[i].inits, 1);
		cr_assert_eq(fck[i].destroys, 1);
	}
}
