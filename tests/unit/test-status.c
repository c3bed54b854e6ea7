// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Status view tests (src/status.c): golden strings for the dm-multipath
 * INFO (`status`) and TABLE (`table`) lines and for `show topology` and
 * `show groups`, on a real core driven through its API.
 *
 * The layouts, from drivers/md/dm-mpath.c multipath_status():
 *
 *   INFO:  2 <queued I/O> <pg_init count>  0  <num groups> <next group>
 *          per group: A|E|D 0 <num paths> <selector info args>
 *          per path:  <dev> A|F <fail count> [selector info words]
 *   TABLE: <num features> [features]  0 | 1 <handler>  <num groups> <next group>
 *          per group: <selector> 0 <num paths> <selector table args>
 *          per path:  <dev> [selector table words]
 *
 * every word followed by one blank, the line by a newline. The fixture:
 * groups "fast" (priority 50) and "slow" (priority 10), paths a and b
 * (/dev/loop0, /dev/loop1, 7:0 and 7:1) in fast and c (/dev/loop2, 7:2)
 * in slow, 1 GiB block devices.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "mpathfs/config.h"
#include "mpathfs/control.h"
#include "mpathfs/core.h"
#include "mpathfs/log.h"
#include "mpathfs/path.h"
#include "mpathfs/status.h"
#include "mpathfs/util.h"

#define GIB (1024ull * 1024 * 1024)
#define DEVPATH "/mnt/mpath/mpatha"

/* Every test runs in its own process: one config and one core each. */
static struct mp_config_group cfg_groups[2];
static struct mp_config_path cfg_paths[3];
static struct mp_config cfg;
static struct mp_path_dev devs[3];
static struct mp_core core;
static bool core_up;

/* I/O queued by the core while no path is usable. */
#define MAX_QUEUED 8
static struct mp_qentry queued[MAX_QUEUED];
static unsigned nr_queued_used, nr_resumed;
static int last_resume_err;

static void on_resume(struct mp_qentry *qe, int err)
{
	(void)qe;
	nr_resumed++;
	last_resume_err = err;
}

static void quiet(void)
{
	/* the core logs every state change at notice level */
	mp_log_set_level(LOG_WARNING);
}

/* The fixture's config, with every default; a case may change it. */
static void config_init(void)
{
	static const char *const names[] = { "a", "b", "c" };
	static const char *const groups[] = { "fast", "fast", "slow" };
	unsigned i;

	mp_config_defaults(&cfg);
	snprintf(cfg.file, sizeof(cfg.file), "test.ini");
	memset(cfg_groups, 0, sizeof(cfg_groups));
	memset(cfg_paths, 0, sizeof(cfg_paths));
	snprintf(cfg_groups[0].name, MP_NAME_MAX, "fast");
	cfg_groups[0].priority = 50;
	snprintf(cfg_groups[1].name, MP_NAME_MAX, "slow");
	cfg_groups[1].priority = 10;
	for (i = 0; i < 3; i++) {
		snprintf(cfg_paths[i].name, MP_NAME_MAX, "%s", names[i]);
		snprintf(cfg_paths[i].device, MP_DEV_MAX, "/dev/loop%u", i);
		snprintf(cfg_paths[i].group, MP_NAME_MAX, "%s", groups[i]);
		cfg_paths[i].weight = 1;
		devs[i] = (struct mp_path_dev){
			.fd = -1, .is_blockdev = true, .size = GIB, .lbs = 512,
			.major = 7, .minor = i,
		};
	}
	cfg.groups = cfg_groups;
	cfg.nr_groups = 2;
	cfg.paths = cfg_paths;
	cfg.nr_paths = 3;
}

static void core_start(void)
{
	char err[MP_ERRMSG_MAX] = "";

	cr_assert_eq(mp_core_init(&core, &cfg, devs, err, sizeof(err)), 0, "%s", err);
	core_up = true;
}

static void setup(void)
{
	quiet();
	config_init();
}

static void teardown(void)
{
	if (!core_up)
		return;
	/* fail what is still queued, then check every queued I/O came back */
	mp_core_shutdown(&core);
	cr_assert_eq(nr_resumed, nr_queued_used);
	mp_core_destroy(&core);
	core_up = false;
}

TestSuite(status, .init = setup, .fini = teardown);

/* One parameter per table row: the index (Criterion copies parameters). */
#define INDEX_PARAMS(suite, name, n)                                          \
	ParameterizedTestParameters(suite, name)                              \
	{                                                                     \
		static size_t idx[n];                                         \
		for (size_t i_ = 0; i_ < (n); i_++)                           \
			idx[i_] = i_;                                         \
		return cr_make_param_array(size_t, idx, (n));                 \
	}

/* ---------------------------------------------------------------------- */
/* Scripts, run against the core API. Tokens, separated by blanks:         */
/*                                                                          */
/*	io  io:N  io:N@L	map an I/O of 4096 (N) bytes, complete it   */
/*				after L ns (0)                              */
/*	io+  io+:N		map an I/O and leave it in flight           */
/*	q			map an I/O that must be queued              */
/*	!a  ^a			fail / reinstate path a                     */
/*	-1  +1			disable / enable group 1                    */
/*	S2			switch_group 2                              */
/*	Q  F			queue_if_no_path / fail_if_no_path          */

static struct mp_path *path_arg(const char *tok)
{
	struct mp_path *p;
	char name[2] = { tok[1], '\0' };

	p = mp_core_find_path(&core, name);
	cr_assert_not_null(p, "bad path in '%s'", tok);
	return p;
}

static struct mp_group *group_arg(const char *tok)
{
	struct mp_group *g = mp_core_find_group(&core, tok + 1);

	cr_assert_not_null(g, "bad group in '%s'", tok);
	return g;
}

static void map_io(const char *tok, bool complete)
{
	unsigned long long n = 4096, lat = 0;
	const char *s = strchr(tok, ':');
	struct mp_qentry qe = { 0 };
	struct mp_path *p = NULL;
	int r;

	if (s) {
		char *end;

		n = strtoull(s + 1, &end, 10);
		if (*end == '@')
			lat = strtoull(end + 1, &end, 10);
		cr_assert_eq(*end, '\0', "bad token '%s'", tok);
	}
	r = mp_core_map_io(&core, n, &qe, &p);
	cr_assert_eq(r, 0, "'%s': no path (%d)", tok, r);
	if (complete)
		mp_core_end_io(&core, p, n, lat);
}

static void step(const char *tok)
{
	struct mp_qentry *qe;
	struct mp_path *p;

	if (!strncmp(tok, "io+", 3)) {
		map_io(tok, false);
	} else if (!strncmp(tok, "io", 2)) {
		map_io(tok, true);
	} else if (!strcmp(tok, "q")) {
		cr_assert_lt(nr_queued_used, MAX_QUEUED);
		qe = &queued[nr_queued_used];
		qe->resume = on_resume;
		cr_assert_eq(mp_core_map_io(&core, 4096, qe, &p), 1, "'q': not queued");
		nr_queued_used++;
	} else if (tok[0] == '!') {
		cr_assert_eq(mp_core_fail_path(&core, path_arg(tok), "test"), 0, "%s", tok);
	} else if (tok[0] == '^') {
		cr_assert_eq(mp_core_reinstate_path(&core, path_arg(tok), "test"), 0, "%s", tok);
	} else if (tok[0] == '-' || tok[0] == '+') {
		cr_assert_eq(mp_core_bypass_group(&core, group_arg(tok), tok[0] == '-'), 0,
			     "%s", tok);
	} else if (tok[0] == 'S') {
		cr_assert_eq(mp_core_switch_group(&core, group_arg(tok)), 0, "%s", tok);
	} else if (!strcmp(tok, "Q") || !strcmp(tok, "F")) {
		mp_core_set_queue_if_no_path(&core, tok[0] == 'Q');
	} else {
		cr_assert_fail("bad token '%s'", tok);
	}
}

static void run_script(const char *script)
{
	char copy[256], *save, *tok;

	cr_assert_lt(strlen(script), sizeof(copy));
	strcpy(copy, script);
	for (tok = strtok_r(copy, " ", &save); tok; tok = strtok_r(NULL, " ", &save))
		step(tok);
}

static void expect_text(char *got, const char *wanted, const char *what, const char *script)
{
	cr_assert_not_null(got, "%s: NULL", what);
	cr_expect_str_eq(got, wanted, "%s after '%s':\n  got    '%s'\n  wanted '%s'", what,
			 script, got, wanted);
	free(got);
}

/* ---------------------------------------------------------------------- */
/* INFO and TABLE for the default config (service-time, rr_min_io 1)       */

#define G1(st, a, b) st " 0 2 2 7:0 " a " 1 7:1 " b " 1 "
#define G2(st, c) st " 0 1 2 7:2 " c " 1 "
#define INFO(queued, next, g1, g2) "2 " #queued " 0 0 2 " #next " " g1 g2 "\n"
#define TABLE_Q(next) "1 queue_if_no_path 0 2 " #next " service-time 0 2 2 7:0 1 1 " \
		      "7:1 1 1 service-time 0 1 2 7:2 1 1 \n"
#define TABLE_F(next) "0 0 2 " #next " service-time 0 2 2 7:0 1 1 7:1 1 1 " \
		      "service-time 0 1 2 7:2 1 1 \n"

struct state_case {
	const char *script;
	const char *info;
	const char *table;
};

static const struct state_case state_cases[] = {
	/* fresh: no group chosen yet, the next I/O goes to group 1 */
	{ "", INFO(0, 1, G1("E", "A 0 0", "A 0 0"), G2("E", "A 0 0")), TABLE_Q(1) },
	/* one I/O mapped: group 1 is the current group */
	{ "io", INFO(0, 1, G1("A", "A 0 0", "A 0 0"), G2("E", "A 0 0")), TABLE_Q(1) },
	/* in flight: service-time shows the bytes; a is loaded, so b next */
	{ "io+:8192", INFO(0, 1, G1("A", "A 0 8192", "A 0 0"), G2("E", "A 0 0")),
	  TABLE_Q(1) },
	{ "io+:8192 io+:512", INFO(0, 1, G1("A", "A 0 8192", "A 0 512"), G2("E", "A 0 0")),
	  TABLE_Q(1) },
	/* failed paths: F and the fail count */
	{ "io !b", INFO(0, 1, G1("A", "A 0 0", "F 1 0"), G2("E", "A 0 0")), TABLE_Q(1) },
	{ "!b ^b !b", INFO(0, 1, G1("E", "A 0 0", "F 2 0"), G2("E", "A 0 0")), TABLE_Q(1) },
	{ "!b ^b", INFO(0, 1, G1("E", "A 0 0", "A 1 0"), G2("E", "A 0 0")), TABLE_Q(1) },
	/* the current group loses its paths: the I/O moves to group 2 */
	{ "io !a !b", INFO(0, 1, G1("E", "F 1 0", "F 1 0"), G2("E", "A 0 0")), TABLE_Q(1) },
	{ "io !a !b io", INFO(0, 2, G1("E", "F 1 0", "F 1 0"), G2("A", "A 0 0")),
	  TABLE_Q(2) },
	/* and back when a path returns (failback immediate) */
	{ "io !a !b io ^b io", INFO(0, 1, G1("A", "F 1 0", "A 1 0"), G2("E", "A 0 0")),
	  TABLE_Q(1) },
	/* disabled groups: D */
	{ "-1", INFO(0, 1, G1("D", "A 0 0", "A 0 0"), G2("E", "A 0 0")), TABLE_Q(1) },
	{ "io -1", INFO(0, 1, G1("D", "A 0 0", "A 0 0"), G2("E", "A 0 0")), TABLE_Q(1) },
	{ "io -1 io", INFO(0, 2, G1("D", "A 0 0", "A 0 0"), G2("A", "A 0 0")), TABLE_Q(2) },
	/* as dm: any bypass change makes the next I/O choose the group afresh */
	{ "io -2", INFO(0, 1, G1("E", "A 0 0", "A 0 0"), G2("D", "A 0 0")), TABLE_Q(1) },
	{ "io -2 io", INFO(0, 1, G1("A", "A 0 0", "A 0 0"), G2("D", "A 0 0")), TABLE_Q(1) },
	{ "-1 -2", INFO(0, 1, G1("D", "A 0 0", "A 0 0"), G2("D", "A 0 0")), TABLE_Q(1) },
	{ "-2 +2", INFO(0, 1, G1("E", "A 0 0", "A 0 0"), G2("E", "A 0 0")), TABLE_Q(1) },
	/* a disabled group is used only when nothing else is left, and stays D */
	{ "io -2 !a !b io", INFO(0, 2, G1("E", "F 1 0", "F 1 0"), G2("D", "A 0 0")),
	  TABLE_Q(2) },
	/* switch_group: the next group number changes before any I/O moves */
	{ "S2", INFO(0, 2, G1("E", "A 0 0", "A 0 0"), G2("E", "A 0 0")), TABLE_Q(2) },
	{ "io S2", INFO(0, 2, G1("A", "A 0 0", "A 0 0"), G2("E", "A 0 0")), TABLE_Q(2) },
	{ "io S2 io", INFO(0, 2, G1("E", "A 0 0", "A 0 0"), G2("A", "A 0 0")), TABLE_Q(2) },
	{ "io S2 io S1", INFO(0, 1, G1("E", "A 0 0", "A 0 0"), G2("A", "A 0 0")),
	  TABLE_Q(1) },
	/* switch_group re-enables every group */
	{ "-1 -2 S2", INFO(0, 2, G1("E", "A 0 0", "A 0 0"), G2("E", "A 0 0")), TABLE_Q(2) },
	/* fail_if_no_path: no queue_if_no_path feature in the table */
	{ "F", INFO(0, 1, G1("E", "A 0 0", "A 0 0"), G2("E", "A 0 0")), TABLE_F(1) },
	{ "io F S2", INFO(0, 2, G1("A", "A 0 0", "A 0 0"), G2("E", "A 0 0")), TABLE_F(2) },
	{ "F Q", INFO(0, 1, G1("E", "A 0 0", "A 0 0"), G2("E", "A 0 0")), TABLE_Q(1) },
	/* no usable path: I/O is queued and counted */
	{ "io !a !b !c q q", INFO(2, 1, G1("E", "F 1 0", "F 1 0"), G2("E", "F 1 0")),
	  TABLE_Q(1) },
	{ "io !a !b !c q q q ^c", INFO(0, 1, G1("E", "F 1 0", "F 1 0"), G2("E", "A 1 0")),
	  TABLE_Q(1) },
	{ "io !a !b !c q F", INFO(0, 1, G1("E", "F 1 0", "F 1 0"), G2("E", "F 1 0")),
	  TABLE_F(1) },
};
#define NR_STATE MP_ARRAY_SIZE(state_cases)

INDEX_PARAMS(status, state, NR_STATE)
ParameterizedTest(size_t *i, status, state)
{
	const struct state_case *c = &state_cases[*i];

	core_start();
	run_script(c->script);
	expect_text(mp_status_info(&core), c->info, "INFO", c->script);
	expect_text(mp_status_table(&core, &cfg), c->table, "TABLE", c->script);
}

/* Queued I/O goes back to the caller: mapped again, or failed. */
Test(status, queued_io_resumed)
{
	core_start();
	run_script("!a !b !c q q");
	cr_assert_eq(nr_resumed, 0);
	run_script("^a");
	cr_assert_eq(nr_resumed, 2);
	cr_assert_eq(last_resume_err, 0);
	run_script("!a q F");
	cr_assert_eq(nr_resumed, 3);
	cr_assert_eq(last_resume_err, -EIO);
}

/* ---------------------------------------------------------------------- */
/* Each selector's per-path words                                          */

/*
 * Both groups use the selector, with rr_min_io 2 and weights a 3, b 1,
 * c 2. Script: one 4096-byte I/O that took 2 ms, then one of 8192 bytes
 * left in flight; both go to a (the first I/O's choice lasts at least
 * rr_min_io I/Os).
 */
struct selector_case {
	const char *fast, *slow;	/* per-group selector; "" inherits */
	const char *info;
	const char *table;
};

#define SEL_SCRIPT "io:4096@2000000 io+:8192"

static const struct selector_case selector_cases[] = {
	{ "round-robin", "round-robin",
	  "2 0 0 0 2 1 A 0 2 0 7:0 A 0 7:1 A 0 E 0 1 0 7:2 A 0 \n",
	  /* a turn lasts rr_min_io * weight I/Os */
	  "1 queue_if_no_path 0 2 1 round-robin 0 2 1 7:0 6 7:1 2 "
	  "round-robin 0 1 1 7:2 4 \n" },
	{ "queue-length", "queue-length",
	  "2 0 0 0 2 1 A 0 2 1 7:0 A 0 1 7:1 A 0 0 E 0 1 1 7:2 A 0 0 \n",
	  "1 queue_if_no_path 0 2 1 queue-length 0 2 1 7:0 2 7:1 2 "
	  "queue-length 0 1 1 7:2 2 \n" },
	{ "service-time", "service-time",
	  "2 0 0 0 2 1 A 0 2 2 7:0 A 0 8192 3 7:1 A 0 0 1 E 0 1 2 7:2 A 0 0 2 \n",
	  "1 queue_if_no_path 0 2 1 service-time 0 2 2 7:0 2 3 7:1 2 1 "
	  "service-time 0 1 2 7:2 2 2 \n" },
	{ "historical-service-time", "historical-service-time",
	  /* in flight, then the latency average in microseconds */
	  "2 0 0 0 2 1 A 0 2 2 7:0 A 0 1 2000 7:1 A 0 0 0 E 0 1 2 7:2 A 0 0 0 \n",
	  "1 queue_if_no_path 0 2 1 historical-service-time 0 2 1 7:0 2 7:1 2 "
	  "historical-service-time 0 1 1 7:2 2 \n" },
	{ "failover", "failover",
	  "2 0 0 0 2 1 A 0 2 0 7:0 A 0 7:1 A 0 E 0 1 0 7:2 A 0 \n",
	  "1 queue_if_no_path 0 2 1 failover 0 2 0 7:0 7:1 failover 0 1 0 7:2 \n" },
	/* groups with different selectors */
	{ "queue-length", "historical-service-time",
	  "2 0 0 0 2 1 A 0 2 1 7:0 A 0 1 7:1 A 0 0 E 0 1 2 7:2 A 0 0 0 \n",
	  "1 queue_if_no_path 0 2 1 queue-length 0 2 1 7:0 2 7:1 2 "
	  "historical-service-time 0 1 1 7:2 2 \n" },
	{ "failover", "",
	  "2 0 0 0 2 1 A 0 2 0 7:0 A 0 7:1 A 0 E 0 1 2 7:2 A 0 0 2 \n",
	  "1 queue_if_no_path 0 2 1 failover 0 2 0 7:0 7:1 service-time 0 1 2 7:2 2 2 \n" },
};
#define NR_SELECTOR MP_ARRAY_SIZE(selector_cases)

INDEX_PARAMS(status, selector, NR_SELECTOR)
ParameterizedTest(size_t *i, status, selector)
{
	const struct selector_case *c = &selector_cases[*i];

	snprintf(cfg_groups[0].selector, MP_NAME_MAX, "%s", c->fast);
	snprintf(cfg_groups[1].selector, MP_NAME_MAX, "%s", c->slow);
	cfg.rr_min_io = 2;
	cfg_paths[0].weight = 3;
	cfg_paths[1].weight = 1;
	cfg_paths[2].weight = 2;
	core_start();
	run_script(SEL_SCRIPT);
	expect_text(mp_status_info(&core), c->info, "INFO", c->fast);
	expect_text(mp_status_table(&core, &cfg), c->table, "TABLE", c->fast);
}

/* The global path_selector applies to groups that do not set one. */
Test(status, global_selector)
{
	snprintf(cfg.path_selector, MP_NAME_MAX, "round-robin");
	snprintf(cfg_groups[1].selector, MP_NAME_MAX, "queue-length");
	core_start();
	expect_text(mp_status_table(&core, &cfg),
		    "1 queue_if_no_path 0 2 1 round-robin 0 2 1 7:0 1 7:1 1 "
		    "queue-length 0 1 1 7:2 1 \n", "TABLE", "");
}

/* ---------------------------------------------------------------------- */
/* Config that shows in the table                                          */

/* pg_init features in dm's order, and the hardware handler (TABLE only). */
Test(status, features_and_handler)
{
	cfg.hardware_handler = MP_HW_HANDLER_ALUA;
	cfg.pg_init_retries = 3;
	cfg.pg_init_delay_msecs = 500;
	core_start();
	expect_text(mp_status_info(&core),
		    INFO(0, 1, G1("E", "A 0 0", "A 0 0"), G2("E", "A 0 0")), "INFO", "");
	expect_text(mp_status_table(&core, &cfg),
		    "5 queue_if_no_path pg_init_retries 3 pg_init_delay_msecs 500 1 alua "
		    "2 1 service-time 0 2 2 7:0 1 1 7:1 1 1 service-time 0 1 2 7:2 1 1 \n",
		    "TABLE", "");
	run_script("F");
	expect_text(mp_status_table(&core, &cfg),
		    "4 pg_init_retries 3 pg_init_delay_msecs 500 1 alua "
		    "2 1 service-time 0 2 2 7:0 1 1 7:1 1 1 service-time 0 1 2 7:2 1 1 \n",
		    "TABLE", "F");
}

Test(status, pg_init_delay_only)
{
	cfg.pg_init_delay_msecs = 0;
	cfg.no_path_retry = MP_NO_PATH_RETRY_FAIL;
	core_start();
	expect_text(mp_status_table(&core, &cfg),
		    "2 pg_init_delay_msecs 0 0 2 1 service-time 0 2 2 7:0 1 1 7:1 1 1 "
		    "service-time 0 1 2 7:2 1 1 \n", "TABLE", "");
}

/* no_path_retry: fail starts without queueing; N queues until it expires. */
Test(status, no_path_retry)
{
	cfg.no_path_retry = MP_NO_PATH_RETRY_FAIL;
	core_start();
	expect_text(mp_status_table(&core, &cfg), TABLE_F(1), "TABLE", "fail");
	mp_core_destroy(&core);
	core_up = false;

	cfg.no_path_retry = 3;
	core_start();
	expect_text(mp_status_table(&core, &cfg), TABLE_Q(1), "TABLE", "3");
}

/* A path on a regular file has no major:minor: its name stands in. */
Test(status, file_paths)
{
	devs[0].is_blockdev = false;
	devs[2].is_blockdev = false;
	core_start();
	run_script("io !c");
	expect_text(mp_status_info(&core),
		    "2 0 0 0 2 1 A 0 2 2 a A 0 0 1 7:1 A 0 0 1 E 0 1 2 c F 1 0 1 \n",
		    "INFO", "io !c");
	expect_text(mp_status_table(&core, &cfg),
		    "1 queue_if_no_path 0 2 1 service-time 0 2 2 a 1 1 7:1 1 1 "
		    "service-time 0 1 2 c 1 1 \n", "TABLE", "io !c");
}

/* Groups are listed in config order, whatever their priority. */
Test(status, config_order)
{
	cfg_groups[0].priority = 1;
	cfg_groups[1].priority = 2;
	core_start();
	run_script("io");
	expect_text(mp_status_info(&core),
		    INFO(0, 2, G1("E", "A 0 0", "A 0 0"), G2("A", "A 0 0")), "INFO", "io");
}

/* ---------------------------------------------------------------------- */
/* show topology and show groups                                           */

static void expect_show(enum mp_show_what what, const char *wanted, const char *script)
{
	expect_text(mp_status_show(&core, &cfg, DEVPATH, GIB, what, false), wanted,
		    what == MP_SHOW_TOPOLOGY ? "show topology" : "show groups", script);
}

Test(status, topology)
{
	core_start();
	run_script("io !b");
	expect_show(MP_SHOW_TOPOLOGY,
		    "mpatha (/mnt/mpath/mpatha) mpathfs\n"
		    "size=1.0G features='1 queue_if_no_path' hwhandler='0' wp=rw\n"
		    "|-+- policy='service-time 0' prio=50 status=active\n"
		    "| |- a /dev/loop0 7:0 active ready running\n"
		    "| `- b /dev/loop1 7:1 failed ready running\n"
		    "`-+- policy='service-time 0' prio=10 status=enabled\n"
		    "  `- c /dev/loop2 7:2 active ready running\n",
		    "io !b");
}

Test(status, topology_other_state)
{
	snprintf(cfg.name, MP_NAME_MAX, "mpathb");
	snprintf(cfg_groups[0].selector, MP_NAME_MAX, "round-robin");
	cfg.rr_min_io = 100;
	cfg.hardware_handler = MP_HW_HANDLER_ALUA;
	devs[2].is_blockdev = false;
	core_start();
	run_script("io -1 io F");
	expect_text(mp_status_show(&core, &cfg, "/srv/m/mpathb", 3 * GIB / 2,
				   MP_SHOW_TOPOLOGY, false),
		    "mpathb (/srv/m/mpathb) mpathfs\n"
		    "size=1.5G features='0' hwhandler='1 alua' wp=rw\n"
		    "|-+- policy='round-robin 0' prio=50 status=disabled\n"
		    "| |- a /dev/loop0 7:0 active ready running\n"
		    "| `- b /dev/loop1 7:1 active ready running\n"
		    "`-+- policy='service-time 0' prio=10 status=active\n"
		    "  `- c /dev/loop2 c active ready running\n",
		    "show topology", "io -1 io F");
}

/*
 * multipath -ll prints the table's feature words as they are: the
 * topology must agree with the table line.
 */
Test(status, topology_features_match_table)
{
	cfg.pg_init_retries = 3;
	cfg.pg_init_delay_msecs = 500;
	core_start();
	expect_text(mp_status_table(&core, &cfg),
		    "5 queue_if_no_path pg_init_retries 3 pg_init_delay_msecs 500 0 "
		    "2 1 service-time 0 2 2 7:0 1 1 7:1 1 1 service-time 0 1 2 7:2 1 1 \n",
		    "TABLE", "");
	expect_show(MP_SHOW_TOPOLOGY,
		    "mpatha (/mnt/mpath/mpatha) mpathfs\n"
		    "size=1.0G features='5 queue_if_no_path pg_init_retries 3 "
		    "pg_init_delay_msecs 500' hwhandler='0' wp=rw\n"
		    "|-+- policy='service-time 0' prio=50 status=enabled\n"
		    "| |- a /dev/loop0 7:0 active ready running\n"
		    "| `- b /dev/loop1 7:1 active ready running\n"
		    "`-+- policy='service-time 0' prio=10 status=enabled\n"
		    "  `- c /dev/loop2 7:2 active ready running\n",
		    "");
}

Test(status, groups)
{
	core_start();
	run_script("io !b");
	expect_show(MP_SHOW_GROUPS,
		    "num  name         priority state     selector                 paths usable\n"
		    "1    fast               50 active    service-time                 2      1\n"
		    "2    slow               10 enabled   service-time                 1      1\n",
		    "io !b");
}

Test(status, groups_other_state)
{
	snprintf(cfg_groups[1].selector, MP_NAME_MAX, "historical-service-time");
	cfg_groups[1].priority = -5;
	core_start();
	run_script("!c -2");
	expect_show(MP_SHOW_GROUPS,
		    "num  name         priority state     selector                 paths usable\n"
		    "1    fast               50 enabled   service-time                 2      2\n"
		    "2    slow               -5 disabled  historical-service-time      1      0\n",
		    "!c -2");
}
