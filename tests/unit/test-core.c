// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Core state machine tests: group choice, failover and failback, bypass and
 * switch_group, path fail/reinstate bookkeeping, and what happens to I/O
 * when no path is usable (no_path_retry queue | fail | N).
 *
 * The topology, built in code (no INI), is
 *
 *	group 1 "low"  priority 10: path e (/dev/sde)
 *	group 2 "best" priority 50: paths a (/dev/sda), b (/dev/sdb)
 *	group 3 "mid"  priority 30: paths c (/dev/sdc), d (/dev/sdd)
 *
 * so the walk order is best, mid, low. Groups use the failover selector
 * (first usable path in config order) unless a test says otherwise, so the
 * path an I/O goes to names the group too. Time for mp_core_tick() is
 * taken from mp_now_ns() around the event that starts a deadline, since
 * the core stamps deadlines with it.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "mpathfs/config.h"
#include "mpathfs/core.h"
#include "mpathfs/log.h"
#include "mpathfs/util.h"

#define NSEC 1000000000ull

enum { G_LOW, G_BEST, G_MID };

static struct mp_config cfg;
static struct mp_config_group cfg_groups[4];
static struct mp_config_path cfg_paths[6];
static struct mp_path_dev devs[6];
static struct mp_core core;
static struct mp_core *c = &core;
static bool core_up;
static unsigned kicks;

static void count_kick(void *arg)
{
	cr_assert_eq(arg, &kicks);
	kicks++;
}

static void add_group(const char *name, int prio, const char *sel)
{
	struct mp_config_group *g = &cfg_groups[cfg.nr_groups++];

	snprintf(g->name, sizeof(g->name), "%s", name);
	g->priority = prio;
	snprintf(g->selector, sizeof(g->selector), "%s", sel ? sel : "");
}

static void add_path(const char *name, const char *dev, const char *group)
{
	struct mp_config_path *p = &cfg_paths[cfg.nr_paths];

	snprintf(p->name, sizeof(p->name), "%s", name);
	snprintf(p->device, sizeof(p->device), "%s", dev);
	snprintf(p->group, sizeof(p->group), "%s", group);
	p->weight = 1;
	devs[cfg.nr_paths] = (struct mp_path_dev){ .fd = -1, .lbs = 512, .size = 1 << 20 };
	cfg.nr_paths++;
}

/* The standard topology with the given policies, unstarted. */
static void config_std(int no_path_retry, int failback)
{
	mp_config_defaults(&cfg);
	memset(cfg_groups, 0, sizeof(cfg_groups));
	memset(cfg_paths, 0, sizeof(cfg_paths));
	cfg.groups = cfg_groups;
	cfg.paths = cfg_paths;
	snprintf(cfg.path_selector, sizeof(cfg.path_selector), "failover");
	cfg.no_path_retry = no_path_retry;
	cfg.failback = failback;
	cfg.polling_interval = 5;
	add_group("low", 10, NULL);
	add_group("best", 50, NULL);
	add_group("mid", 30, NULL);
	add_path("a", "/dev/sda", "best");
	add_path("b", "/dev/sdb", "best");
	add_path("c", "/dev/sdc", "mid");
	add_path("d", "/dev/sdd", "mid");
	add_path("e", "/dev/sde", "low");
}

static void start(void)
{
	char err[MP_ERRMSG_MAX] = "";

	cr_assert_eq(mp_core_init(c, &cfg, devs, err, sizeof(err)), 0, "init: %s", err);
	core_up = true;
	c->kick = count_kick;
	c->kick_arg = &kicks;
}

static void std_setup(int no_path_retry, int failback)
{
	config_std(no_path_retry, failback);
	start();
}

static void suite_init(void)
{
	mp_log_set_level(LOG_WARNING);
	core_up = false;
	kicks = 0;
}

static void suite_fini(void)
{
	if (core_up)
		mp_core_destroy(c);
	core_up = false;
}

TestSuite(core, .init = suite_init, .fini = suite_fini, .timeout = 10);

static struct mp_path *P(const char *name)
{
	struct mp_path *p = mp_core_find_path(c, name);

	cr_assert_not_null(p, "no path %s", name);
	return p;
}

static struct mp_group *G(const char *key)
{
	struct mp_group *g = mp_core_find_group(c, key);

	cr_assert_not_null(g, "no group %s", key);
	return g;
}

static void fail(const char *names)
{
	for (; *names; names++) {
		char n[2] = { *names, 0 };

		cr_assert_eq(mp_core_fail_path(c, P(n), "test"), 0, "fail %s", n);
	}
}

static void reinstate(const char *names)
{
	for (; *names; names++) {
		char n[2] = { *names, 0 };

		cr_assert_eq(mp_core_reinstate_path(c, P(n), "test"), 0, "reinstate %s", n);
	}
}

/* Queue entries and what happened to them. */
#define NR_QE 16
struct tq {
	struct mp_qentry qe;
	char name;
	int resumed;		/* times resumed */
	int err;
};
static struct tq tqs[NR_QE];
static unsigned nr_tq;
static char resumed_order[NR_QE + 1];
static unsigned nr_resumed;

static void tq_resume(struct mp_qentry *qe, int err)
{
	struct tq *t = mp_container_of(qe, struct tq, qe);

	t->resumed++;
	t->err = err;
	resumed_order[nr_resumed++] = t->name;
	resumed_order[nr_resumed] = 0;
}

/*
 * Map one I/O of 4096 bytes and end it at once. Returns the chosen path's
 * name, 'Q' if it was queued (a fresh queue entry, named by letters from
 * 'A' up in the resume order) or 'E' if it failed with -EIO.
 */
static char io1(void)
{
	struct tq *t;
	struct mp_path *p = NULL;
	int r;

	cr_assert_lt(nr_tq, NR_QE);
	t = &tqs[nr_tq];
	memset(t, 0, sizeof(*t));
	t->name = (char)('A' + nr_tq);
	t->qe.resume = tq_resume;
	r = mp_core_map_io(c, 4096, &t->qe, &p);
	if (r == 0) {
		cr_assert_not_null(p);
		cr_assert(p->active, "mapped to failed path %s", p->name);
		cr_assert_eq(p->inflight_ios, 1);
		mp_core_end_io(c, p, 4096, 1000);
		return p->name[0];
	}
	if (r == 1) {
		nr_tq++;
		return 'Q';
	}
	cr_assert_eq(r, -EIO, "map_io returned %d", r);
	return 'E';
}

/* n I/Os; the path letters (or Q/E) as a string. */
static const char *ios(unsigned n)
{
	static char buf[64];
	unsigned i;

	cr_assert_lt(n, sizeof(buf));
	for (i = 0; i < n; i++)
		buf[i] = io1();
	buf[n] = 0;
	return buf;
}

static void reset_queue_log(void)
{
	nr_tq = 0;
	nr_resumed = 0;
	resumed_order[0] = 0;
}

/* ---- init and lookups ------------------------------------------------ */

Test(core, init_builds_groups_and_paths_in_config_order)
{
	static const char *const names[] = { "low", "best", "mid" };
	unsigned i;

	std_setup(MP_NO_PATH_RETRY_QUEUE, MP_FAILBACK_IMMEDIATE);
	cr_assert_eq(c->nr_groups, 3);
	cr_assert_eq(c->nr_paths, 5);
	cr_assert_eq(c->nr_valid_paths, 5);
	for (i = 0; i < 3; i++) {
		cr_assert_eq(c->groups[i]->num, i + 1);
		cr_assert_str_eq(c->groups[i]->name, names[i]);
		cr_assert_not(c->groups[i]->bypassed);
		cr_assert_str_eq(c->groups[i]->ps.ops->name, "failover");
	}
	cr_assert_eq(c->groups[G_BEST]->nr_paths, 2);
	cr_assert_eq(c->groups[G_BEST]->nr_active, 2);
	cr_assert_eq(c->groups[G_LOW]->nr_active, 1);
	for (i = 0; i < 5; i++) {
		cr_assert_eq(c->paths[i]->name[0], 'a' + (char)i);
		cr_assert(c->paths[i]->active);
		cr_assert_eq(c->paths[i]->fail_count, 0);
		cr_assert_eq(c->paths[i]->dev.fd, -1);
	}
	cr_assert_eq(P("a")->group, c->groups[G_BEST]);
	cr_assert_eq(P("e")->group, c->groups[G_LOW]);
	cr_assert(c->queue_if_no_path);
	cr_assert_null(c->current_pg);
	cr_assert_eq(mp_core_next_deadline(c), 0);
}

Test(core, init_per_group_selector_overrides_default)
{
	config_std(MP_NO_PATH_RETRY_QUEUE, MP_FAILBACK_IMMEDIATE);
	snprintf(cfg_groups[G_MID].selector, MP_NAME_MAX, "round-robin");
	start();
	cr_assert_str_eq(c->groups[G_MID]->ps.ops->name, "round-robin");
	cr_assert_str_eq(c->groups[G_BEST]->ps.ops->name, "failover");
}

Test(core, init_rejects_unknown_selector_and_group)
{
	char err[MP_ERRMSG_MAX] = "";

	config_std(MP_NO_PATH_RETRY_QUEUE, MP_FAILBACK_IMMEDIATE);
	snprintf(cfg_groups[G_MID].selector, MP_NAME_MAX, "nonesuch");
	cr_assert_eq(mp_core_init(c, &cfg, devs, err, sizeof(err)), -EINVAL);
	cr_assert_str_eq(err, "group mid: unknown selector 'nonesuch'");

	config_std(MP_NO_PATH_RETRY_QUEUE, MP_FAILBACK_IMMEDIATE);
	snprintf(cfg_paths[3].group, MP_NAME_MAX, "nowhere");
	cr_assert_eq(mp_core_init(c, &cfg, devs, err, sizeof(err)), -EINVAL);
	cr_assert_str_eq(err, "path d: no group 'nowhere'");
}

/* A name or a device already in the map is refused, naming which. */
Test(core, add_path_refuses_a_name_or_device_in_use)
{
	struct mp_path_dev dev = { .fd = -1, .lbs = 512, .size = 1 << 20 };
	const struct mp_selector_ops *ops = mp_selector_find("failover");
	char err[MP_ERRMSG_MAX] = "";

	std_setup(MP_NO_PATH_RETRY_QUEUE, MP_FAILBACK_IMMEDIATE);
	cr_assert_eq(mp_core_add_path(c, "b", "/dev/sdz", 1, &dev, "best", 50, ops, 1, err,
				      sizeof(err)), -EINVAL);
	cr_assert_str_eq(err, "there is already a path 'b' (device /dev/sdb)");
	cr_assert_eq(mp_core_add_path(c, "f", "/dev/sdc", 1, &dev, "best", 50, ops, 1, err,
				      sizeof(err)), -EINVAL);
	cr_assert_str_eq(err, "device '/dev/sdc' is already path 'c'");
	cr_assert_eq(c->nr_paths, 5);
	cr_assert_null(mp_core_find_path(c, "f"));
}

Test(core, find_path_by_name_and_device)
{
	std_setup(MP_NO_PATH_RETRY_QUEUE, MP_FAILBACK_IMMEDIATE);
	cr_assert_eq(mp_core_find_path(c, "b"), c->paths[1]);
	cr_assert_eq(mp_core_find_path(c, "/dev/sdc"), c->paths[2]);
	cr_assert_eq(mp_core_find_path(c, "/dev/sde"), c->paths[4]);
	cr_assert_null(mp_core_find_path(c, "f"));
	cr_assert_null(mp_core_find_path(c, "/dev/sdz"));
	cr_assert_null(mp_core_find_path(c, ""));
	cr_assert_null(mp_core_find_path(c, "/dev/sd"));
}

struct group_key {
	char key[16];		/* inline: parameters are copied to the test process */
	int index;		/* into c->groups, or -1 for none */
};

ParameterizedTestParameters(core, find_group_table)
{
	static struct group_key keys[] = {
		{ "1", G_LOW }, { "2", G_BEST }, { "3", G_MID },
		{ "low", G_LOW }, { "best", G_BEST }, { "mid", G_MID },
		{ "0", -1 }, { "4", -1 }, { "99", -1 }, { "x", -1 }, { "", -1 },
		{ "-1", -1 }, { "2x", -1 }, { " 2", -1 }, { "Best", -1 },
	};

	return cr_make_param_array(struct group_key, keys, MP_ARRAY_SIZE(keys));
}

ParameterizedTest(struct group_key *k, core, find_group_table)
{
	struct mp_group *g;

	suite_init();
	std_setup(MP_NO_PATH_RETRY_QUEUE, MP_FAILBACK_IMMEDIATE);
	g = mp_core_find_group(c, k->key);
	if (k->index < 0)
		cr_assert_null(g, "key '%s' found group %s", k->key, g ? g->name : "");
	else
		cr_assert_eq(g, c->groups[k->index], "key '%s'", k->key);
	suite_fini();
}

struct err_case {
	int err;
	bool path_error;
};

ParameterizedTestParameters(core, is_path_error_table)
{
	static struct err_case cases[] = {
		{ -ENODATA, false }, { -EREMOTEIO, false }, { -ENOSPC, false },
		{ -EILSEQ, false }, { -EOPNOTSUPP, false }, { -EDQUOT, false },
		{ -EIO, true }, { -ETIMEDOUT, true }, { -ENXIO, true },
		{ -ENODEV, true }, { -ENOLINK, true }, { -ECONNRESET, true },
	};

	return cr_make_param_array(struct err_case, cases, MP_ARRAY_SIZE(cases));
}

ParameterizedTest(struct err_case *e, core, is_path_error_table)
{
	cr_assert_eq(mp_core_is_path_error(e->err), e->path_error, "%s",
		     mp_errstr(e->err));
}

/* ---- group choice ---------------------------------------------------- */

Test(core, first_io_goes_to_highest_priority_group)
{
	std_setup(MP_NO_PATH_RETRY_QUEUE, MP_FAILBACK_IMMEDIATE);
	cr_assert_str_eq(ios(4), "aaaa");
	cr_assert_eq(c->current_pg, c->groups[G_BEST]);
	cr_assert_eq(c->nr_group_switches, 0);
}

Test(core, equal_priority_prefers_config_order)
{
	config_std(MP_NO_PATH_RETRY_QUEUE, MP_FAILBACK_IMMEDIATE);
	cfg_groups[G_LOW].priority = 50;	/* ties with best, comes first */
	start();
	cr_assert_str_eq(ios(2), "ee");
	fail("e");
	cr_assert_str_eq(ios(2), "aa");
	fail("ab");
	cr_assert_str_eq(ios(1), "c");
}

Test(core, map_io_accounts_inflight_until_end_io)
{
	struct mp_qentry qe = { 0 };
	struct mp_path *p1 = NULL, *p2 = NULL;

	std_setup(MP_NO_PATH_RETRY_QUEUE, MP_FAILBACK_IMMEDIATE);
	cr_assert_eq(mp_core_map_io(c, 4096, &qe, &p1), 0);
	cr_assert_eq(mp_core_map_io(c, 512, &qe, &p2), 0);
	cr_assert_eq(p1, P("a"));
	cr_assert_eq(p2, P("a"));
	cr_assert_eq(p1->inflight_ios, 2);
	cr_assert_eq(p1->inflight_bytes, 4608);
	mp_core_end_io(c, p1, 4096, 10);
	cr_assert_eq(p1->inflight_ios, 1);
	cr_assert_eq(p1->inflight_bytes, 512);
	mp_core_end_io(c, p2, 512, 10);
	cr_assert_eq(p1->inflight_ios, 0);
	cr_assert_eq(p1->inflight_bytes, 0);
}

Test(core, stays_on_current_group_while_it_has_a_usable_path)
{
	std_setup(MP_NO_PATH_RETRY_QUEUE, MP_FAILBACK_MANUAL);
	cr_assert_str_eq(ios(1), "a");
	fail("a");
	cr_assert_str_eq(ios(2), "bb");		/* same group, other path */
	cr_assert_eq(c->nr_group_switches, 0);
	fail("b");
	cr_assert_str_eq(ios(2), "cc");
	reinstate("ab");			/* manual: no failback */
	cr_assert_str_eq(ios(2), "cc");
	fail("c");
	cr_assert_str_eq(ios(2), "dd");		/* still mid while d is usable */
	fail("d");
	/* mid has nothing left: the walk restarts at the best group */
	cr_assert_str_eq(ios(1), "a");
	cr_assert_eq(c->current_pg, c->groups[G_BEST]);
}

Test(core, failover_walks_groups_by_priority)
{
	std_setup(MP_NO_PATH_RETRY_QUEUE, MP_FAILBACK_IMMEDIATE);
	cr_assert_str_eq(ios(1), "a");
	fail("ab");
	cr_assert_null(c->current_pg);		/* dropped as soon as it is empty */
	cr_assert_str_eq(ios(1), "c");
	cr_assert_eq(c->current_pg, c->groups[G_MID]);
	fail("cd");
	cr_assert_str_eq(ios(1), "e");
	cr_assert_eq(c->current_pg, c->groups[G_LOW]);
}

/*
 * "group_switches" (show stats) counts every change of the active group:
 * a switch_group and a failback are counted, and so must be a failover to
 * the next group when the current one loses its last path, or a move away
 * from a group that was disabled.
 */
Test(core, group_switch_counter_counts_failover_and_disable)
{
	std_setup(MP_NO_PATH_RETRY_QUEUE, MP_FAILBACK_IMMEDIATE);
	cr_assert_eq(io1(), 'a');
	cr_assert_eq(c->nr_group_switches, 0);	/* the first choice is no switch */
	fail("ab");
	cr_assert_eq(io1(), 'c');
	cr_assert_eq(c->nr_group_switches, 1, "failover best -> mid not counted");
	reinstate("a");
	cr_assert_eq(io1(), 'a');
	cr_assert_eq(c->nr_group_switches, 2, "failback mid -> best");
	cr_assert_eq(mp_core_bypass_group(c, G("best"), true), 0);
	cr_assert_eq(io1(), 'c');
	cr_assert_eq(c->nr_group_switches, 3, "disable best -> mid not counted");
}

Test(core, bypassed_groups_are_used_only_when_nothing_else_is_left)
{
	std_setup(MP_NO_PATH_RETRY_QUEUE, MP_FAILBACK_IMMEDIATE);
	cr_assert_eq(mp_core_bypass_group(c, G("best"), true), 0);
	cr_assert_str_eq(ios(1), "c");		/* first pass skips best */
	cr_assert_eq(mp_core_bypass_group(c, G("mid"), true), 0);
	cr_assert_str_eq(ios(1), "e");		/* the current group was disabled */
	fail("e");
	/* second pass: bypassed groups, best first */
	cr_assert_str_eq(ios(2), "aa");
	cr_assert(c->groups[G_BEST]->bypassed);
	fail("ab");
	cr_assert_str_eq(ios(1), "c");
	fail("cd");
	cr_assert_str_eq(ios(1), "Q");
}

Test(core, bypassed_group_loses_to_any_usable_group)
{
	std_setup(MP_NO_PATH_RETRY_QUEUE, MP_FAILBACK_IMMEDIATE);
	fail("cd");
	cr_assert_eq(mp_core_bypass_group(c, G("2"), true), 0);
	cr_assert_str_eq(ios(1), "e");		/* low beats a bypassed best */
}

Test(core, disable_and_enable_group)
{
	std_setup(MP_NO_PATH_RETRY_QUEUE, MP_FAILBACK_IMMEDIATE);
	cr_assert_str_eq(ios(1), "a");
	cr_assert_eq(mp_core_bypass_group(c, G("best"), true), 0);
	cr_assert(c->groups[G_BEST]->bypassed);
	cr_assert_null(c->current_pg);
	cr_assert_eq(mp_core_bypass_group(c, G("best"), true), -EALREADY);
	cr_assert_str_eq(ios(1), "c");
	/* as dm's bypass_pg(): enabling makes the next I/O choose afresh: best */
	cr_assert_eq(mp_core_bypass_group(c, G("best"), false), 0);
	cr_assert_not(c->groups[G_BEST]->bypassed);
	cr_assert_eq(mp_core_bypass_group(c, G("best"), false), -EALREADY);
	cr_assert_str_eq(ios(2), "aa");
	/* disabling a group that is not current leaves I/O where it is */
	cr_assert_eq(mp_core_bypass_group(c, G("low"), true), 0);
	cr_assert_str_eq(ios(1), "a");
	fail("ab");
	cr_assert_str_eq(ios(1), "c");
}

Test(core, switch_group_picks_group_for_next_io_and_clears_bypass)
{
	std_setup(MP_NO_PATH_RETRY_QUEUE, MP_FAILBACK_IMMEDIATE);
	cr_assert_str_eq(ios(1), "a");
	cr_assert_eq(mp_core_bypass_group(c, G("mid"), true), 0);
	cr_assert_eq(mp_core_switch_group(c, G("low")), 0);
	cr_assert_not(c->groups[G_MID]->bypassed);
	cr_assert_str_eq(ios(3), "eee");	/* and it stays there */
	cr_assert_eq(c->current_pg, c->groups[G_LOW]);
	cr_assert_null(c->next_pg);
	cr_assert_eq(c->nr_group_switches, 1);
	cr_assert_eq(mp_core_switch_group(c, G("3")), 0);
	cr_assert_str_eq(ios(1), "c");
	cr_assert_eq(c->nr_group_switches, 2);
}

Test(core, switch_to_group_without_usable_path_keeps_current)
{
	std_setup(MP_NO_PATH_RETRY_QUEUE, MP_FAILBACK_IMMEDIATE);
	fail("e");
	cr_assert_str_eq(ios(1), "a");
	cr_assert_eq(mp_core_switch_group(c, G("low")), 0);
	cr_assert_str_eq(ios(2), "aa");
	cr_assert_null(c->next_pg);
}

Test(core, switch_group_interrupts_rr_min_io_repeat)
{
	config_std(MP_NO_PATH_RETRY_QUEUE, MP_FAILBACK_IMMEDIATE);
	cfg.rr_min_io = 3;
	start();
	cr_assert_str_eq(ios(2), "aa");
	cr_assert_eq(mp_core_switch_group(c, G("mid")), 0);
	cr_assert_str_eq(ios(1), "c");
}

Test(core, rr_min_io_repeat_and_path_failure)
{
	config_std(MP_NO_PATH_RETRY_QUEUE, MP_FAILBACK_IMMEDIATE);
	snprintf(cfg.path_selector, MP_NAME_MAX, "round-robin");
	cfg.rr_min_io = 2;
	start();
	cr_assert_str_eq(ios(6), "aabbaa");
	fail("b");
	cr_assert_str_eq(ios(4), "aaaa");
	reinstate("b");
	cr_assert_str_eq(ios(3), "bba");
	fail("a");				/* mid-turn: the next I/O moves */
	cr_assert_str_eq(ios(3), "bbb");
}

/* ---- fail / reinstate bookkeeping ------------------------------------ */

Test(core, fail_and_reinstate_counts_and_ealready)
{
	struct mp_path *a;

	std_setup(MP_NO_PATH_RETRY_QUEUE, MP_FAILBACK_IMMEDIATE);
	a = P("a");
	cr_assert_eq(mp_core_reinstate_path(c, a, "t"), -EALREADY);
	cr_assert_eq(mp_core_fail_path(c, a, "t"), 0);
	cr_assert_not(a->active);
	cr_assert_eq(a->fail_count, 1);
	cr_assert_eq(a->group->nr_active, 1);
	cr_assert_eq(c->nr_valid_paths, 4);
	cr_assert_eq(c->nr_path_failures, 1);

	cr_assert_eq(mp_core_fail_path(c, a, "t"), -EALREADY);
	cr_assert_eq(a->fail_count, 1);
	cr_assert_eq(a->group->nr_active, 1);
	cr_assert_eq(c->nr_valid_paths, 4);
	cr_assert_eq(c->nr_path_failures, 1);

	cr_assert_eq(mp_core_reinstate_path(c, a, "t"), 0);
	cr_assert(a->active);
	cr_assert_eq(a->fail_count, 1);
	cr_assert_eq(a->group->nr_active, 2);
	cr_assert_eq(c->nr_valid_paths, 5);
	cr_assert_eq(mp_core_reinstate_path(c, a, "t"), -EALREADY);
	cr_assert_eq(c->nr_valid_paths, 5);

	cr_assert_eq(mp_core_fail_path(c, a, "t"), 0);
	cr_assert_eq(a->fail_count, 2);
	cr_assert_eq(c->nr_path_failures, 2);
	fail("c");
	cr_assert_eq(P("c")->fail_count, 1);
	cr_assert_eq(c->groups[G_MID]->nr_active, 1);
	cr_assert_eq(c->nr_valid_paths, 3);
	cr_assert_eq(c->nr_path_failures, 3);
}

/* ---- failback -------------------------------------------------------- */

enum fb_scenario {
	FB_GROUP_DOWN,		/* best lost both paths, one comes back */
	FB_SWITCHED_FLAP,	/* switched to mid by hand; a path of best flaps */
	FB_WORSE_GROUP,		/* a path of a worse group comes back */
};

struct fb_case {
	int failback;
	enum fb_scenario scenario;
	char expect;		/* path of the I/O after the reinstate */
};

ParameterizedTestParameters(core, failback_table)
{
	static struct fb_case cases[] = {
		{ MP_FAILBACK_IMMEDIATE, FB_GROUP_DOWN, 'a' },
		{ MP_FAILBACK_MANUAL, FB_GROUP_DOWN, 'c' },
		{ MP_FAILBACK_FOLLOWOVER, FB_GROUP_DOWN, 'a' },
		{ 0, FB_GROUP_DOWN, 'a' },			/* 0 s: at once */
		{ 30, FB_GROUP_DOWN, 'c' },			/* not yet */
		{ MP_FAILBACK_IMMEDIATE, FB_SWITCHED_FLAP, 'a' },
		{ MP_FAILBACK_MANUAL, FB_SWITCHED_FLAP, 'c' },
		{ MP_FAILBACK_FOLLOWOVER, FB_SWITCHED_FLAP, 'c' },	/* b stayed up */
		{ 0, FB_SWITCHED_FLAP, 'a' },
		{ MP_FAILBACK_IMMEDIATE, FB_WORSE_GROUP, 'a' },
		{ MP_FAILBACK_MANUAL, FB_WORSE_GROUP, 'a' },
		{ MP_FAILBACK_FOLLOWOVER, FB_WORSE_GROUP, 'a' },
		{ 30, FB_WORSE_GROUP, 'a' },
	};

	return cr_make_param_array(struct fb_case, cases, MP_ARRAY_SIZE(cases));
}

ParameterizedTest(struct fb_case *fc, core, failback_table)
{
	char got;

	suite_init();
	std_setup(MP_NO_PATH_RETRY_QUEUE, fc->failback);
	cr_assert_eq(io1(), 'a');
	switch (fc->scenario) {
	case FB_GROUP_DOWN:
		fail("ab");
		cr_assert_eq(io1(), 'c');
		reinstate("a");
		break;
	case FB_SWITCHED_FLAP:
		cr_assert_eq(mp_core_switch_group(c, G("mid")), 0);
		cr_assert_eq(io1(), 'c');
		fail("a");
		cr_assert_eq(io1(), 'c');
		reinstate("a");
		break;
	case FB_WORSE_GROUP:
		fail("c");
		cr_assert_eq(io1(), 'a');
		reinstate("c");
		break;
	}
	got = io1();
	cr_assert_eq(got, fc->expect, "failback %d scenario %d: I/O went to %c, not %c",
		     fc->failback, fc->scenario, got, fc->expect);
	/* and it stays there */
	cr_assert_eq(io1(), fc->expect);
	cr_assert_eq(mp_core_next_deadline(c) != 0,
		     fc->failback > 0 && fc->scenario != FB_WORSE_GROUP);
	suite_fini();
}

Test(core, failback_after_n_seconds_waits_for_tick)
{
	uint64_t t0, t1, dl;

	std_setup(MP_NO_PATH_RETRY_QUEUE, 10);
	cr_assert_eq(io1(), 'a');
	fail("ab");
	cr_assert_eq(io1(), 'c');
	cr_assert_eq(kicks, 2);	/* every path failure wakes the admin thread */
	kicks = 0;
	t0 = mp_now_ns();
	reinstate("a");
	t1 = mp_now_ns();
	cr_assert_eq(kicks, 1);	/* one for the failure, and it set the deadline */
	dl = mp_core_next_deadline(c);
	cr_assert_geq(dl, t0 + 10 * NSEC);
	cr_assert_leq(dl, t1 + 10 * NSEC);
	cr_assert_eq(io1(), 'c');
	mp_core_tick(c, t0 + 10 * NSEC - 1);
	mp_core_tick(c, dl - 1);
	cr_assert_eq(io1(), 'c');
	cr_assert_eq(mp_core_next_deadline(c), dl);
	/* another path of best: the pending deadline is not pushed back */
	reinstate("b");
	cr_assert_eq(kicks, 1);
	cr_assert_eq(mp_core_next_deadline(c), dl);
	mp_core_tick(c, dl);
	cr_assert_eq(mp_core_next_deadline(c), 0);
	cr_assert_str_eq(ios(2), "aa");
}

Test(core, failback_deadline_finds_better_group_gone_again)
{
	std_setup(MP_NO_PATH_RETRY_QUEUE, 10);
	cr_assert_eq(io1(), 'a');
	fail("ab");
	cr_assert_eq(io1(), 'c');
	reinstate("a");
	fail("a");
	mp_core_tick(c, mp_now_ns() + 11 * NSEC);
	cr_assert_eq(mp_core_next_deadline(c), 0);
	cr_assert_str_eq(ios(2), "cc");
}

/* ---- no usable path -------------------------------------------------- */

Test(core, no_path_retry_queue_holds_io_until_a_path_returns)
{
	std_setup(MP_NO_PATH_RETRY_QUEUE, MP_FAILBACK_IMMEDIATE);
	reset_queue_log();
	fail("abcde");
	cr_assert_eq(c->nr_valid_paths, 0);
	cr_assert_str_eq(ios(3), "QQQ");
	cr_assert_eq(c->nr_queued, 3);
	cr_assert_eq(nr_resumed, 0);
	/* time alone never fails queued I/O in queue mode */
	mp_core_tick(c, mp_now_ns() + 3600 * NSEC);
	cr_assert_eq(nr_resumed, 0);
	cr_assert_eq(mp_core_next_deadline(c), 0);
	cr_assert_eq(kicks, 5);	/* every path failure wakes the admin thread */
	kicks = 0;
	reinstate("d");
	cr_assert_str_eq(resumed_order, "ABC");
	for (unsigned i = 0; i < 3; i++) {
		cr_assert_eq(tqs[i].resumed, 1);
		cr_assert_eq(tqs[i].err, 0);
	}
	cr_assert_eq(c->nr_queued, 0);
	cr_assert_str_eq(ios(1), "d");
	/* a second reinstate has no queue left to resume */
	reinstate("c");
	cr_assert_eq(nr_resumed, 3);
}

Test(core, no_path_retry_fail_returns_eio_at_once)
{
	std_setup(MP_NO_PATH_RETRY_FAIL, MP_FAILBACK_IMMEDIATE);
	reset_queue_log();
	cr_assert_not(c->queue_if_no_path);
	fail("abcd");
	cr_assert_str_eq(ios(1), "e");
	fail("e");
	cr_assert_str_eq(ios(2), "EE");
	cr_assert_eq(c->nr_queued, 0);
	reinstate("b");
	cr_assert_str_eq(ios(1), "b");
}

Test(core, no_path_retry_n_fails_queue_after_n_intervals)
{
	uint64_t t0, t1, dl;

	std_setup(3, MP_FAILBACK_IMMEDIATE);	/* 3 x 5 s */
	reset_queue_log();
	cr_assert_eq(c->polling_interval_ns, 5 * NSEC);
	fail("abcd");
	cr_assert_eq(mp_core_next_deadline(c), 0);	/* e is still usable */
	cr_assert_eq(kicks, 4);	/* every path failure wakes the admin thread */
	kicks = 0;
	t0 = mp_now_ns();
	fail("e");
	t1 = mp_now_ns();
	cr_assert_eq(kicks, 1);	/* one for the failure, and it set the deadline */
	dl = mp_core_next_deadline(c);
	cr_assert_geq(dl, t0 + 15 * NSEC);
	cr_assert_leq(dl, t1 + 15 * NSEC);
	cr_assert_str_eq(ios(2), "QQ");

	mp_core_tick(c, t1);
	mp_core_tick(c, t0 + 15 * NSEC - 1);
	mp_core_tick(c, dl - 1);
	cr_assert_eq(nr_resumed, 0);
	cr_assert_str_eq(ios(1), "Q");		/* still queueing */
	cr_assert(c->queue_if_no_path);

	mp_core_tick(c, dl);
	cr_assert_str_eq(resumed_order, "ABC");
	for (unsigned i = 0; i < 3; i++)
		cr_assert_eq(tqs[i].err, -EIO);
	cr_assert_eq(c->nr_queued, 0);
	cr_assert_not(c->queue_if_no_path);
	cr_assert_eq(mp_core_next_deadline(c), 0);
	cr_assert_str_eq(ios(2), "EE");

	/* a path returns: queueing is restored for the next outage */
	reinstate("e");
	cr_assert(c->queue_if_no_path);
	cr_assert_str_eq(ios(1), "e");
	fail("e");
	cr_assert_neq(mp_core_next_deadline(c), 0);
	cr_assert_str_eq(ios(1), "Q");
	reinstate("a");
	cr_assert_eq(tqs[3].resumed, 1);
	cr_assert_eq(tqs[3].err, 0);
	cr_assert_eq(mp_core_next_deadline(c), 0);
}

Test(core, no_path_retry_n_path_returning_in_time_cancels_deadline)
{
	uint64_t dl;

	std_setup(2, MP_FAILBACK_IMMEDIATE);
	reset_queue_log();
	fail("abcde");
	dl = mp_core_next_deadline(c);
	cr_assert_neq(dl, 0);
	cr_assert_str_eq(ios(1), "Q");
	reinstate("c");
	cr_assert_eq(tqs[0].resumed, 1);
	cr_assert_eq(tqs[0].err, 0);
	cr_assert_eq(mp_core_next_deadline(c), 0);
	mp_core_tick(c, dl + 100 * NSEC);
	cr_assert(c->queue_if_no_path);
	fail("c");
	cr_assert_str_eq(ios(1), "Q");
	cr_assert_eq(nr_resumed, 1);
	/* the new outage has its own, later deadline */
	cr_assert_gt(mp_core_next_deadline(c), dl);
	mp_core_shutdown(c);
	cr_assert_eq(tqs[1].err, -EIO);
}

Test(core, fail_if_no_path_fails_queue_and_queue_if_no_path_restores)
{
	std_setup(MP_NO_PATH_RETRY_QUEUE, MP_FAILBACK_IMMEDIATE);
	reset_queue_log();
	fail("abcde");
	cr_assert_str_eq(ios(2), "QQ");
	mp_core_set_queue_if_no_path(c, false);
	cr_assert_str_eq(resumed_order, "AB");
	cr_assert_eq(tqs[0].err, -EIO);
	cr_assert_eq(tqs[1].err, -EIO);
	cr_assert_eq(c->nr_queued, 0);
	cr_assert_str_eq(ios(1), "E");
	mp_core_set_queue_if_no_path(c, true);
	cr_assert_str_eq(ios(1), "Q");
	reinstate("b");
	cr_assert_eq(tqs[2].resumed, 1);
	cr_assert_eq(tqs[2].err, 0);
}

Test(core, fail_if_no_path_with_paths_up_only_changes_the_outage)
{
	std_setup(MP_NO_PATH_RETRY_QUEUE, MP_FAILBACK_IMMEDIATE);
	reset_queue_log();
	mp_core_set_queue_if_no_path(c, false);
	cr_assert_str_eq(ios(1), "a");
	fail("abcde");
	cr_assert_str_eq(ios(1), "E");
}

Test(core, queue_if_no_path_overrides_no_path_retry_fail)
{
	std_setup(MP_NO_PATH_RETRY_FAIL, MP_FAILBACK_IMMEDIATE);
	reset_queue_log();
	mp_core_set_queue_if_no_path(c, true);
	fail("abcde");
	cr_assert_str_eq(ios(1), "Q");
	reinstate("e");
	cr_assert_eq(tqs[0].err, 0);
	cr_assert_eq(tqs[0].resumed, 1);
}

Test(core, shutdown_fails_queued_and_new_io)
{
	std_setup(MP_NO_PATH_RETRY_QUEUE, MP_FAILBACK_IMMEDIATE);
	reset_queue_log();
	fail("abcde");
	cr_assert_str_eq(ios(2), "QQ");
	mp_core_shutdown(c);
	cr_assert_str_eq(resumed_order, "AB");
	cr_assert_eq(tqs[0].err, -EIO);
	cr_assert_eq(tqs[1].err, -EIO);
	cr_assert_str_eq(ios(1), "E");
}
