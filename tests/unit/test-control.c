// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Control command tests (src/control.c) against the real core, selectors
 * and status views:
 *
 *  - mp_control_parse(): tables of good lines (what they parse to) and of
 *    bad lines (the exact reason given);
 *  - mp_control_run(): every command end to end on a core built from a
 *    config made in code, with the exact reply and the dm INFO line after;
 *    bad commands change nothing; multi-line input stops at the first
 *    error; `show` text equals the status view and `show ... json` parses.
 *
 * The core: groups "fast" (priority 50) and "slow" (priority 10), paths
 * a and b (/dev/loop0, /dev/loop1) in fast and c (/dev/loop2) in slow,
 * block devices 7:0..7:2 of 1 GiB, the default selector (service-time),
 * rr_min_io 1, weight 1.
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <errno.h>
#include <json-c/json.h>
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

#define X16 "xxxxxxxxxxxxxxxx"
#define X64 X16 X16 X16 X16

#define EXPECTED_CMDS "expected fail_path, reinstate_path, disable_group, enable_group, " \
		      "switch_group, queue_if_no_path, fail_if_no_path, add_path, remove_path, reload, resize or show"
#define EXPECTED_SHOW "expected paths, groups, topology, config or stats"
#define CR_IN_COMMAND "carriage return (0x0d) in command; end lines with \\n only"

/* Every test runs in its own process: one config and one core each. */
static struct mp_config_group cfg_groups[2];
static struct mp_config_path cfg_paths[3];
static struct mp_config cfg;
static struct mp_path_dev devs[3];
static struct mp_core core;
static bool core_up;
static struct mp_control_ctx ctx;

static void quiet(void)
{
	/* the core logs every state change at notice level */
	mp_log_set_level(LOG_WARNING);
}

static void core_setup(void)
{
	static const char *const names[] = { "a", "b", "c" };
	static const char *const groups[] = { "fast", "fast", "slow" };
	char err[MP_ERRMSG_MAX] = "";
	unsigned i;

	quiet();
	mp_config_defaults(&cfg);
	snprintf(cfg.file, sizeof(cfg.file), "test.ini");
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
	cr_assert_eq(mp_core_init(&core, &cfg, devs, err, sizeof(err)), 0, "%s", err);
	core_up = true;
	ctx = (struct mp_control_ctx){
		.core = &core, .cfg = &cfg, .devpath = DEVPATH, .size = GIB,
	};
}

static void core_teardown(void)
{
	if (core_up)
		mp_core_destroy(&core);
	core_up = false;
}

TestSuite(parse, .init = quiet);
TestSuite(run, .init = core_setup, .fini = core_teardown);

/* One parameter per table row: the index (Criterion copies parameters). */
#define INDEX_PARAMS(suite, name, n)                                          \
	ParameterizedTestParameters(suite, name)                              \
	{                                                                     \
		static size_t idx[n];                                         \
		for (size_t i_ = 0; i_ < (n); i_++)                           \
			idx[i_] = i_;                                         \
		return cr_make_param_array(size_t, idx, (n));                 \
	}

/*
 * A line is pre, then n copies of fill, then post; or, if len is not 0,
 * the first len bytes of pre (a line that holds a NUL).
 */
struct line {
	const char *pre;
	char fill;
	size_t n;
	const char *post;
	size_t len;
};

static char *make_line(const struct line *l, size_t *lenp)
{
	size_t a = strlen(l->pre), b = l->post ? strlen(l->post) : 0;
	char *s;

	if (l->len) {
		s = malloc(l->len + 1);
		cr_assert_not_null(s);
		memcpy(s, l->pre, l->len);
		s[l->len] = '\0';
		if (lenp)
			*lenp = l->len;
		return s;
	}
	s = malloc(a + l->n + b + 1);
	cr_assert_not_null(s);
	memcpy(s, l->pre, a);
	memset(s + a, l->fill, l->n);
	if (b)
		memcpy(s + a + l->n, l->post, b);
	s[a + l->n + b] = '\0';
	if (lenp)
		*lenp = a + l->n + b;
	return s;
}

/* ---------------------------------------------------------------------- */
/* mp_control_parse: good lines                                            */

struct good_case {
	const char *line;
	enum mp_cmd_kind kind;
	const char *arg;
	enum mp_show_what show;
	bool json;
};

static const struct good_case good_cases[] = {
	{ "fail_path a", MP_CMD_FAIL_PATH, "a", 0, false },
	{ "fail_path /dev/sdb", MP_CMD_FAIL_PATH, "/dev/sdb", 0, false },
	{ "  fail_path\t\tb  ", MP_CMD_FAIL_PATH, "b", 0, false },
	{ "\tfail_path \t /dev/disk/by-id/wwn-0x5000c500a1b2c3d4\t",
	  MP_CMD_FAIL_PATH, "/dev/disk/by-id/wwn-0x5000c500a1b2c3d4", 0, false },
	{ "reinstate_path c", MP_CMD_REINSTATE_PATH, "c", 0, false },
	{ "reinstate_path\t/dev/loop2 ", MP_CMD_REINSTATE_PATH, "/dev/loop2", 0, false },
	{ "disable_group 1", MP_CMD_DISABLE_GROUP, "1", 0, false },
	{ "disable_group fast", MP_CMD_DISABLE_GROUP, "fast", 0, false },
	{ "enable_group 2", MP_CMD_ENABLE_GROUP, "2", 0, false },
	{ " enable_group   slow", MP_CMD_ENABLE_GROUP, "slow", 0, false },
	{ "switch_group 1", MP_CMD_SWITCH_GROUP, "1", 0, false },
	{ "switch_group\tslow\t", MP_CMD_SWITCH_GROUP, "slow", 0, false },
	/* the argument is a word: the parser does not judge it */
	{ "switch_group 0", MP_CMD_SWITCH_GROUP, "0", 0, false },
	{ "fail_path json", MP_CMD_FAIL_PATH, "json", 0, false },
	{ "fail_path 'a'", MP_CMD_FAIL_PATH, "'a'", 0, false },
	{ "queue_if_no_path", MP_CMD_QUEUE_IF_NO_PATH, "", 0, false },
	{ "\t queue_if_no_path \t", MP_CMD_QUEUE_IF_NO_PATH, "", 0, false },
	{ "fail_if_no_path", MP_CMD_FAIL_IF_NO_PATH, "", 0, false },
	{ "fail_if_no_path  ", MP_CMD_FAIL_IF_NO_PATH, "", 0, false },
	{ "show paths", MP_CMD_SHOW, "", MP_SHOW_PATHS, false },
	{ "show groups", MP_CMD_SHOW, "", MP_SHOW_GROUPS, false },
	{ "show topology", MP_CMD_SHOW, "", MP_SHOW_TOPOLOGY, false },
	{ "show config", MP_CMD_SHOW, "", MP_SHOW_CONFIG, false },
	{ "show stats", MP_CMD_SHOW, "", MP_SHOW_STATS, false },
	{ "show paths json", MP_CMD_SHOW, "", MP_SHOW_PATHS, true },
	{ "show groups json", MP_CMD_SHOW, "", MP_SHOW_GROUPS, true },
	{ "show topology json", MP_CMD_SHOW, "", MP_SHOW_TOPOLOGY, true },
	{ "show config json", MP_CMD_SHOW, "", MP_SHOW_CONFIG, true },
	{ "show stats json", MP_CMD_SHOW, "", MP_SHOW_STATS, true },
	{ "  show\tstats ", MP_CMD_SHOW, "", MP_SHOW_STATS, false },
	{ "\tshow \t groups \t json \t", MP_CMD_SHOW, "", MP_SHOW_GROUPS, true },
	{ "show  topology\t\tjson", MP_CMD_SHOW, "", MP_SHOW_TOPOLOGY, true },
};
#define NR_GOOD MP_ARRAY_SIZE(good_cases)

INDEX_PARAMS(parse, good, NR_GOOD)
ParameterizedTest(size_t *i, parse, good)
{
	const struct good_case *g = &good_cases[*i];
	char err[256] = "untouched";
	struct mp_cmd cmd;

	memset(&cmd, 0xa5, sizeof(cmd));
	cr_assert_eq(mp_control_parse(g->line, &cmd, err, sizeof(err)), 0,
		     "'%s' refused: %s", g->line, err);
	cr_assert_eq(cmd.kind, g->kind, "'%s'", g->line);
	cr_assert_str_eq(cmd.arg, g->arg, "'%s'", g->line);
	cr_assert_eq(cmd.show, g->show, "'%s'", g->line);
	cr_assert_eq(cmd.json, g->json, "'%s'", g->line);
}

/* The longest argument and the longest line are accepted. */
Test(parse, longest_argument)
{
	struct line l = { "fail_path ", 'p', MP_DEV_MAX - 1, NULL, 0 };
	char *s = make_line(&l, NULL), err[256];
	struct mp_cmd cmd;

	cr_assert_eq(mp_control_parse(s, &cmd, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(cmd.kind, MP_CMD_FAIL_PATH);
	cr_assert_eq(strlen(cmd.arg), MP_DEV_MAX - 1);
	cr_assert_eq(strspn(cmd.arg, "p"), MP_DEV_MAX - 1);
	free(s);
}

Test(parse, longest_line)
{
	struct line l = { "show groups", ' ', MP_CMD_MAX - 16, " json", 0 };
	size_t len;
	char *s = make_line(&l, &len), err[256];
	struct mp_cmd cmd;

	cr_assert_eq(len, MP_CMD_MAX);
	cr_assert_eq(mp_control_parse(s, &cmd, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(cmd.kind, MP_CMD_SHOW);
	cr_assert_eq(cmd.show, MP_SHOW_GROUPS);
	cr_assert(cmd.json);
	free(s);
}

/* ---------------------------------------------------------------------- */
/* mp_control_parse: bad lines and their exact reasons                     */

struct bad_case {
	struct line line;
	const char *err;
};

#define L(s) { (s), 0, 0, NULL, 0 }
/* a literal that holds a NUL, with its length */
#define LNUL(s) { (s), 0, 0, NULL, sizeof(s) - 1 }

static const struct bad_case bad_cases[] = {
	{ L(""), "empty command" },
	{ L("   \t  "), "empty command" },
	{ L("bogus"), "unknown command 'bogus'; " EXPECTED_CMDS },
	{ L("FAIL_PATH a"), "unknown command 'FAIL_PATH'; " EXPECTED_CMDS },
	{ L("fail-path a"), "unknown command 'fail-path'; " EXPECTED_CMDS },
	{ L("fail_paths a"), "unknown command 'fail_paths'; " EXPECTED_CMDS },
	{ L("json"), "unknown command 'json'; " EXPECTED_CMDS },
	/* an unknown word is quoted up to 64 bytes */
	{ { "", 'x', 100, " a", 0 }, "unknown command '" X64 "'; " EXPECTED_CMDS },
	{ L("fail_path"), "fail_path: missing path (name or device)" },
	{ L("reinstate_path \t "), "reinstate_path: missing path (name or device)" },
	{ L("disable_group"), "disable_group: missing group (number or name)" },
	{ L("enable_group\t"), "enable_group: missing group (number or name)" },
	{ L("switch_group"), "switch_group: missing group (number or name)" },
	{ L("fail_path a b"), "fail_path: unexpected argument 'b'" },
	{ L("reinstate_path a\tb c"), "reinstate_path: unexpected argument 'b'" },
	{ L("switch_group 1 2"), "switch_group: unexpected argument '2'" },
	{ L("disable_group fast slow"), "disable_group: unexpected argument 'slow'" },
	{ L("queue_if_no_path 1"), "queue_if_no_path: unexpected argument '1'" },
	{ L("fail_if_no_path now please"), "fail_if_no_path: unexpected argument 'now'" },
	{ { "queue_if_no_path ", 'y', 80, NULL, 0 },
	  "queue_if_no_path: unexpected argument '" "yyyyyyyyyyyyyyyy" "yyyyyyyyyyyyyyyy"
	  "yyyyyyyyyyyyyyyy" "yyyyyyyyyyyyyyyy" "'" },
	{ L("show"), "show: missing what; " EXPECTED_SHOW },
	{ L("show \t"), "show: missing what; " EXPECTED_SHOW },
	{ L("show path"), "show: unknown 'path'; " EXPECTED_SHOW },
	{ L("show PATHS"), "show: unknown 'PATHS'; " EXPECTED_SHOW },
	{ L("show json"), "show: unknown 'json'; " EXPECTED_SHOW },
	{ L("show status json"), "show: unknown 'status'; " EXPECTED_SHOW },
	{ { "show ", 'x', 65, NULL, 0 }, "show: unknown '" X64 "'; " EXPECTED_SHOW },
	{ L("show paths JSON"),
	  "show paths: unexpected argument 'JSON'; only 'json' may follow" },
	{ L("show topology xml"),
	  "show topology: unexpected argument 'xml'; only 'json' may follow" },
	{ L("show groups paths json"),
	  "show groups: unexpected argument 'paths'; only 'json' may follow" },
	{ L("show stats json json"), "show stats: unexpected argument 'json'" },
	{ L("show config json extra"), "show config: unexpected argument 'extra'" },
	{ L("fail_path a\n"), "control character 0x0a in command" },
	{ L("fail_path a\r"), CR_IN_COMMAND },
	{ L("fail_path\ra"), CR_IN_COMMAND },
	{ L("\x1b[Afail_path a"), "control character 0x1b in command" },
	{ L("fail_path a\x7f"), "control character 0x7f in command" },
	{ L("show\vpaths"), "control character 0x0b in command" },
	/* the argument fits in struct mp_cmd or is refused */
	{ { "fail_path ", 'p', MP_DEV_MAX, NULL, 0 }, "fail_path: argument too long" },
	{ { "switch_group ", '1', MP_DEV_MAX + 10, NULL, 0 },
	  "switch_group: argument too long" },
	/* the line length is checked first, whatever the line holds */
	{ { "", 'x', MP_CMD_MAX + 1, NULL, 0 }, "command longer than 8192 bytes" },
	{ { "fail_path ", 'p', MP_CMD_MAX - 9, NULL, 0 }, "command longer than 8192 bytes" },
	{ { "show paths", ' ', MP_CMD_MAX - 9, NULL, 0 }, "command longer than 8192 bytes" },
	{ { "\n", ' ', MP_CMD_MAX, NULL, 0 }, "command longer than 8192 bytes" },
	/*
	 * More than four words: the reason must be the first extra word, as
	 * for two or three words, not a "missing" word.
	 */
	{ L("queue_if_no_path a b c d"), "queue_if_no_path: unexpected argument 'a'" },
	{ L("bogus a b c d e"), "unknown command 'bogus'; " EXPECTED_CMDS },
	{ L("fail_path a b c d"), "fail_path: unexpected argument 'b'" },
	{ L("switch_group 1 2 3 4 5"), "switch_group: unexpected argument '2'" },
	{ L("show paths json x y"), "show paths: unexpected argument 'x'" },
};
#define NR_BAD MP_ARRAY_SIZE(bad_cases)

INDEX_PARAMS(parse, bad, NR_BAD)
ParameterizedTest(size_t *i, parse, bad)
{
	const struct bad_case *b = &bad_cases[*i];
	char *s = make_line(&b->line, NULL), err[256] = "untouched";
	struct mp_cmd cmd;

	cr_assert_eq(mp_control_parse(s, &cmd, err, sizeof(err)), -EINVAL,
		     "bad case %zu accepted", *i);
	cr_expect_str_eq(err, b->err, "bad case %zu:\n  got    '%s'\n  wanted '%s'", *i,
			 err, b->err);
	free(s);
}

/* Every reason is one line and the table has no repeated line. */
Test(parse, bad_table_is_sound)
{
	size_t i, j;

	cr_assert_geq(NR_BAD, 20);
	for (i = 0; i < NR_BAD; i++) {
		cr_assert_null(strchr(bad_cases[i].err, '\n'), "%s", bad_cases[i].err);
		cr_assert_lt(strlen(bad_cases[i].err), 256);
		for (j = 0; j < i; j++) {
			const struct line *a = &bad_cases[i].line, *b = &bad_cases[j].line;

			if (!strcmp(a->pre, b->pre) && a->fill == b->fill && a->n == b->n &&
			    !strcmp(a->post ? a->post : "", b->post ? b->post : ""))
				cr_assert_fail("bad case %zu repeats %zu", i, j);
		}
	}
}

/* A short error buffer gets a truncated, terminated reason. */
Test(parse, short_error_buffer)
{
	char err[8];
	struct mp_cmd cmd;

	memset(err, 'z', sizeof(err));
	cr_assert_eq(mp_control_parse("bogus", &cmd, err, sizeof(err)), -EINVAL);
	cr_assert_str_eq(err, "unknown");
	memset(err, 'z', sizeof(err));
	cr_assert_eq(mp_control_parse("", &cmd, err, sizeof(err)), -EINVAL);
	cr_assert_str_eq(err, "empty c");
}

/* ---------------------------------------------------------------------- */
/* mp_control_run harness                                                  */

static int run_len(const char *text, size_t len, char **reply)
{
	*reply = NULL;
	return mp_control_run(&ctx, text, len, reply);
}

/* Run text; the return code and the whole reply must be as given. */
static void expect_run(const char *text, int rc, const char *reply)
{
	char *out;
	int r = run_len(text, strlen(text), &out);

	cr_assert_eq(r, rc, "'%s': returned %d, reply '%s'", text, r, out);
	cr_assert_not_null(out);
	cr_expect_str_eq(out, reply, "'%s':\n  got    '%s'\n  wanted '%s'", text, out, reply);
	free(out);
}

/* Map one 4096-byte I/O and complete it. */
static void one_io(void)
{
	struct mp_qentry qe = { 0 };
	struct mp_path *p = NULL;

	cr_assert_eq(mp_core_map_io(&core, 4096, &qe, &p), 0, "no path for an I/O");
	cr_assert_not_null(p);
	mp_core_end_io(&core, p, 4096, 1000);
}

/* Lines of script: "@io" maps and completes an I/O; others are commands. */
static void run_script(const char *script)
{
	char copy[512], *save, *tok;

	if (!script)
		return;
	cr_assert_lt(strlen(script), sizeof(copy));
	strcpy(copy, script);
	for (tok = strtok_r(copy, "\n", &save); tok; tok = strtok_r(NULL, "\n", &save)) {
		char *out;
		int r;

		if (!strcmp(tok, "@io")) {
			one_io();
			continue;
		}
		r = run_len(tok, strlen(tok), &out);
		cr_assert_eq(r, 0, "script line '%s' failed: %s", tok, out);
		free(out);
	}
}

static char *info(void)
{
	char *s = mp_status_info(&core);

	cr_assert_not_null(s);
	return s;
}

static void expect_info(const char *expected, const char *what)
{
	char *s = info();

	cr_expect_str_eq(s, expected, "INFO after %s:\n  got    '%s'\n  wanted '%s'", what,
			 s, expected);
	free(s);
}

/* ---------------------------------------------------------------------- */
/* mp_control_run: every command changes the state as it should            */

/* dm INFO layouts of the fixture's two groups. */
#define G1(st, a, b) st " 0 2 2 7:0 " a " 0 1 7:1 " b " 0 1 "
#define G2(st, c) st " 0 1 2 7:2 " c " 0 1 "
#define INFO(next, g1, g2) "2 0 0 0 2 " #next " " g1 g2 "\n"
#define FRESH INFO(1, G1("E", "A 0", "A 0"), G2("E", "A 0"))

struct cmd_case {
	const char *before;	/* script run first */
	const char *cmd;
	const char *reply;
	const char *after;	/* script run after cmd */
	const char *info;	/* mp_status_info() at the end */
	bool queue;		/* queue_if_no_path at the end */
};

static const struct cmd_case cmd_cases[] = {
	/* fail_path by name and by device */
	{ NULL, "fail_path a", "ok\n", NULL,
	  INFO(1, G1("E", "F 1", "A 0"), G2("E", "A 0")), true },
	{ NULL, "fail_path /dev/loop1", "ok\n", NULL,
	  INFO(1, G1("E", "A 0", "F 1"), G2("E", "A 0")), true },
	{ NULL, "fail_path c\n", "ok\n", NULL,
	  INFO(1, G1("E", "A 0", "A 0"), G2("E", "F 1")), true },
	{ "fail_path a", "fail_path a", "ok: path a already failed\n", NULL,
	  INFO(1, G1("E", "F 1", "A 0"), G2("E", "A 0")), true },
	{ "fail_path /dev/loop0", "fail_path a", "ok: path a already failed\n", NULL,
	  INFO(1, G1("E", "F 1", "A 0"), G2("E", "A 0")), true },
	{ "fail_path b", "fail_path /dev/loop1", "ok: path b already failed\n", NULL,
	  INFO(1, G1("E", "A 0", "F 1"), G2("E", "A 0")), true },
	{ "fail_path a\nfail_path b", "fail_path c", "ok\n", NULL,
	  INFO(1, G1("E", "F 1", "F 1"), G2("E", "F 1")), true },
	/* failing paths moves the I/O to the next group */
	{ "@io", "fail_path a", "ok\n", "@io",
	  INFO(1, G1("A", "F 1", "A 0"), G2("E", "A 0")), true },
	{ "@io\nfail_path a", "fail_path b", "ok\n", "@io",
	  INFO(2, G1("E", "F 1", "F 1"), G2("A", "A 0")), true },
	/* reinstate_path by name and by device; failback is immediate */
	{ "fail_path b", "reinstate_path b", "ok\n", NULL,
	  INFO(1, G1("E", "A 0", "A 1"), G2("E", "A 0")), true },
	{ "fail_path b", "reinstate_path /dev/loop1", "ok\n", NULL,
	  INFO(1, G1("E", "A 0", "A 1"), G2("E", "A 0")), true },
	{ NULL, "reinstate_path c", "ok: path c already active\n", NULL, FRESH, true },
	{ "fail_path a\nreinstate_path a", "reinstate_path /dev/loop0",
	  "ok: path a already active\n", NULL,
	  INFO(1, G1("E", "A 1", "A 0"), G2("E", "A 0")), true },
	{ "@io\nfail_path a\nfail_path b\n@io", "reinstate_path a", "ok\n", "@io",
	  INFO(1, G1("A", "A 1", "F 1"), G2("E", "A 0")), true },
	/* disable_group / enable_group by number and by name */
	{ NULL, "disable_group 1", "ok\n", NULL,
	  INFO(1, G1("D", "A 0", "A 0"), G2("E", "A 0")), true },
	{ NULL, "disable_group slow", "ok\n", NULL,
	  INFO(1, G1("E", "A 0", "A 0"), G2("D", "A 0")), true },
	{ "disable_group fast", "disable_group 1", "ok: group 1 already disabled\n", NULL,
	  INFO(1, G1("D", "A 0", "A 0"), G2("E", "A 0")), true },
	{ "disable_group 2", "disable_group slow", "ok: group 2 already disabled\n", NULL,
	  INFO(1, G1("E", "A 0", "A 0"), G2("D", "A 0")), true },
	{ NULL, "enable_group 2", "ok: group 2 already enabled\n", NULL, FRESH, true },
	{ NULL, "enable_group fast", "ok: group 1 already enabled\n", NULL, FRESH, true },
	{ "disable_group 2", "enable_group slow", "ok\n", NULL, FRESH, true },
	{ "disable_group fast", "enable_group 1", "ok\n", NULL, FRESH, true },
	{ "@io", "disable_group 1", "ok\n", "@io",
	  INFO(2, G1("D", "A 0", "A 0"), G2("A", "A 0")), true },
	{ "@io", "disable_group 2", "ok\n", "@io",
	  INFO(1, G1("A", "A 0", "A 0"), G2("D", "A 0")), true },
	/*
	 * As dm's bypass_pg(), enabling a group drops the current group so
	 * the next I/O walks the groups again and returns to the best one.
	 */
	{ "@io\ndisable_group 1\n@io", "enable_group 1", "ok\n", "@io",
	  INFO(1, G1("A", "A 0", "A 0"), G2("E", "A 0")), true },
	/* switch_group by number and by name; it re-enables every group */
	{ NULL, "switch_group 2", "ok\n", NULL,
	  INFO(2, G1("E", "A 0", "A 0"), G2("E", "A 0")), true },
	{ "@io", "switch_group slow", "ok\n", NULL,
	  INFO(2, G1("A", "A 0", "A 0"), G2("E", "A 0")), true },
	{ "@io", "switch_group slow", "ok\n", "@io",
	  INFO(2, G1("E", "A 0", "A 0"), G2("A", "A 0")), true },
	{ "@io\nswitch_group 2\n@io", "switch_group fast", "ok\n", "@io",
	  INFO(1, G1("A", "A 0", "A 0"), G2("E", "A 0")), true },
	{ "@io", "switch_group 1", "ok\n", NULL,
	  INFO(1, G1("A", "A 0", "A 0"), G2("E", "A 0")), true },
	{ "disable_group 1\ndisable_group 2", "switch_group 2", "ok\n", NULL,
	  INFO(2, G1("E", "A 0", "A 0"), G2("E", "A 0")), true },
	/* a group is found by number first, then by name */
	{ NULL, "switch_group 02", "ok\n", NULL,
	  INFO(2, G1("E", "A 0", "A 0"), G2("E", "A 0")), true },
	/* queue_if_no_path / fail_if_no_path */
	{ NULL, "fail_if_no_path", "ok\n", NULL, FRESH, false },
	{ "fail_if_no_path", "fail_if_no_path", "ok\n", NULL, FRESH, false },
	{ "fail_if_no_path", "queue_if_no_path", "ok\n", NULL, FRESH, true },
	{ NULL, "queue_if_no_path", "ok\n", NULL, FRESH, true },
	/* show changes nothing */
	{ "@io\nfail_path b", "show stats", NULL, NULL,
	  INFO(1, G1("A", "A 0", "F 1"), G2("E", "A 0")), true },
};
#define NR_CMD MP_ARRAY_SIZE(cmd_cases)

INDEX_PARAMS(run, command, NR_CMD)
ParameterizedTest(size_t *i, run, command)
{
	const struct cmd_case *c = &cmd_cases[*i];
	char *out;
	int r;

	run_script(c->before);
	r = run_len(c->cmd, strlen(c->cmd), &out);
	cr_assert_eq(r, 0, "'%s': %d: %s", c->cmd, r, out);
	cr_assert_not_null(out);
	if (c->reply)
		cr_assert_str_eq(out, c->reply, "'%s'", c->cmd);
	else
		cr_assert(out[0] && strncmp(out, "error", 5), "'%s': %s", c->cmd, out);
	free(out);
	run_script(c->after);
	expect_info(c->info, c->cmd);
	cr_assert_eq(core.queue_if_no_path, c->queue, "'%s'", c->cmd);
}

/* The state behind the status line, checked directly for one of each. */
Test(run, fields)
{
	expect_run("fail_path /dev/loop2", 0, "ok\n");
	cr_assert_not(core.paths[2]->active);
	cr_assert_eq(core.paths[2]->fail_count, 1);
	cr_assert_eq(core.nr_valid_paths, 2);
	cr_assert_eq(core.groups[1]->nr_active, 0);

	expect_run("disable_group fast", 0, "ok\n");
	cr_assert(core.groups[0]->bypassed);
	expect_run("enable_group 1", 0, "ok\n");
	cr_assert_not(core.groups[0]->bypassed);

	expect_run("switch_group slow", 0, "ok\n");
	cr_assert_eq(core.next_pg, core.groups[1]);

	expect_run("fail_if_no_path", 0, "ok\n");
	cr_assert_not(core.queue_if_no_path);
	expect_run("queue_if_no_path", 0, "ok\n");
	cr_assert(core.queue_if_no_path);

	expect_run("reinstate_path c", 0, "ok\n");
	cr_assert(core.paths[2]->active);
	cr_assert_eq(core.nr_valid_paths, 3);
}

/* The table line shows the queueing feature as the commands set it. */
Test(run, queue_feature_in_table)
{
	static const char *const table_q =
		"1 queue_if_no_path 0 2 1 service-time 0 2 2 7:0 1 1 7:1 1 1 "
		"service-time 0 1 2 7:2 1 1 \n";
	static const char *const table_f =
		"0 0 2 1 service-time 0 2 2 7:0 1 1 7:1 1 1 service-time 0 1 2 7:2 1 1 \n";
	char *t;

	t = mp_status_table(&core, &cfg);
	cr_assert_str_eq(t, table_q);
	free(t);
	expect_run("fail_if_no_path", 0, "ok\n");
	t = mp_status_table(&core, &cfg);
	cr_assert_str_eq(t, table_f);
	free(t);
	expect_run("queue_if_no_path", 0, "ok\n");
	t = mp_status_table(&core, &cfg);
	cr_assert_str_eq(t, table_q);
	free(t);
}

/* ---------------------------------------------------------------------- */
/* mp_control_run: bad commands are refused and change nothing             */

struct refused_case {
	struct line text;
	const char *reply;
};

static const struct refused_case refused_cases[] = {
	{ L("bogus"), "error: unknown command 'bogus'; " EXPECTED_CMDS "\n" },
	{ L("bogus\n"), "error: unknown command 'bogus'; " EXPECTED_CMDS "\n" },
	{ L("fail_path"), "error: fail_path: missing path (name or device)\n" },
	{ L("enable_group\n"), "error: enable_group: missing group (number or name)\n" },
	{ L("fail_path a b\n"), "error: fail_path: unexpected argument 'b'\n" },
	{ L("fail_if_no_path please"),
	  "error: fail_if_no_path: unexpected argument 'please'\n" },
	{ L("queue_if_no_path 1\n"), "error: queue_if_no_path: unexpected argument '1'\n" },
	{ L("fail_path zz"), "error: no path 'zz'\n" },
	{ L("fail_path A"), "error: no path 'A'\n" },
	{ L("reinstate_path /dev/loop9\n"), "error: no path '/dev/loop9'\n" },
	{ L("reinstate_path 7:1"), "error: no path '7:1'\n" },
	{ L("disable_group 0"), "error: no group '0'\n" },
	{ L("disable_group 3"), "error: no group '3'\n" },
	{ L("enable_group FAST"), "error: no group 'FAST'\n" },
	{ L("switch_group -1"), "error: no group '-1'\n" },
	{ L("switch_group +1"), "error: no group '+1'\n" },
	{ L("switch_group 1x"), "error: no group '1x'\n" },
	{ L("switch_group 18446744073709551617"),
	  "error: no group '18446744073709551617'\n" },
	{ L("show"), "error: show: missing what; " EXPECTED_SHOW "\n" },
	{ L("show nothing"), "error: show: unknown 'nothing'; " EXPECTED_SHOW "\n" },
	{ L("show paths yaml"),
	  "error: show paths: unexpected argument 'yaml'; only 'json' may follow\n" },
	{ L("fail_path a\r\n"),
	  "error: carriage return (0x0d) in command; end lines with \\n only\n" },
	{ L("fail_path\x01 a"), "error: control character 0x01 in command\n" },
	{ LNUL("fail_path a\0"), "error: NUL byte in command\n" },
	{ LNUL("fail_path a\0\nfail_path b"), "error: NUL byte in command\n" },
	{ LNUL("\0"), "error: NUL byte in command\n" },
	{ { "fail_path ", 'p', MP_DEV_MAX, NULL, 0 }, "error: fail_path: argument too long\n" },
	{ { "fail_path a", ' ', MP_CMD_MAX, NULL, 0 },
	  "error: command longer than 8192 bytes\n" },
	{ { "", 'x', MP_CMD_MAX + 1, "\nfail_path a\n", 0 },
	  "error: command longer than 8192 bytes\n" },
	{ L("\n"), "error: empty command\n" },
	{ L(" \t \n"), "error: empty command\n" },
	{ L("\n\n"), "error: empty command\n" },
	{ L("\t"), "error: empty command\n" },
};
#define NR_REFUSED MP_ARRAY_SIZE(refused_cases)

/* Everything a command could change, as text. */
static char *snapshot(void)
{
	char *parts[5], *all = NULL;
	size_t i;

	parts[0] = mp_status_info(&core);
	parts[1] = mp_status_table(&core, &cfg);
	parts[2] = mp_status_show(&core, &cfg, DEVPATH, GIB, MP_SHOW_STATS, true);
	parts[3] = mp_status_show(&core, &cfg, DEVPATH, GIB, MP_SHOW_TOPOLOGY, true);
	parts[4] = NULL;
	for (i = 0; i < 4; i++)
		cr_assert_not_null(parts[i]);
	cr_assert_geq(asprintf(&all, "%s%s%s%s", parts[0], parts[1], parts[2], parts[3]), 0);
	for (i = 0; i < 4; i++)
		free(parts[i]);
	return all;
}

INDEX_PARAMS(run, refused, NR_REFUSED)
ParameterizedTest(size_t *i, run, refused)
{
	const struct refused_case *c = &refused_cases[*i];
	char *text, *out, *before, *after;
	size_t len;
	int r;

	/* a state with something in every field a command could touch */
	run_script("@io\nfail_path b\ndisable_group 2");
	before = snapshot();
	text = make_line(&c->text, &len);
	r = run_len(text, len, &out);
	cr_assert_eq(r, -EINVAL, "refused case %zu: returned %d", *i, r);
	cr_assert_not_null(out);
	cr_assert_eq(strncmp(out, "error: ", 7), 0, "refused case %zu: '%s'", *i, out);
	cr_assert_str_eq(out, c->reply, "refused case %zu", *i);
	after = snapshot();
	cr_assert_str_eq(after, before, "refused case %zu changed the state", *i);
	cr_assert(core.queue_if_no_path);
	cr_assert_null(core.next_pg);
	free(text);
	free(out);
	free(before);
	free(after);
}

Test(run, refused_table_is_big_enough)
{
	cr_assert_geq(NR_REFUSED, 20);
}

/* n copies of line, with blank lines between them (which do not count). */
static char *repeat(const char *line, unsigned n)
{
	size_t l = strlen(line), len = 0;
	char *text = malloc(n * (l + 3) + 1);

	cr_assert_not_null(text);
	for (unsigned i = 0; i < n; i++) {
		memcpy(text + len, line, l);
		len += l;
		memcpy(text + len, "\n \n", 3);
		len += 3;
	}
	text[len] = '\0';
	return text;
}

/* More than MP_CMD_BATCH_MAX commands in one write: none runs. */
Test(run, batch_limit)
{
	char *text, *out, *before, *after, *want;
	size_t len;
	int r;

	text = repeat("fail_path a", MP_CMD_BATCH_MAX + 1);
	before = snapshot();
	r = run_len(text, strlen(text), &out);
	cr_assert_eq(r, -EINVAL);
	cr_assert_str_eq(out, "error: more than 256 commands in one write; none was run\n");
	after = snapshot();
	cr_assert_str_eq(after, before, "a refused batch changed the state");
	free(text);
	free(out);
	free(before);
	free(after);

	/* the limit itself is fine */
	text = repeat("fail_path a", MP_CMD_BATCH_MAX);
	r = run_len(text, strlen(text), &out);
	cr_assert_eq(r, 0, "%s", out);
	len = strlen("ok\n") + (MP_CMD_BATCH_MAX - 1) * strlen("ok: path a already failed\n");
	want = malloc(len + 1);
	cr_assert_not_null(want);
	strcpy(want, "ok\n");
	for (unsigned i = 1; i < MP_CMD_BATCH_MAX; i++)
		strcat(want, "ok: path a already failed\n");
	cr_assert_str_eq(out, want);
	free(want);
	free(text);
	free(out);
}

/* ---------------------------------------------------------------------- */
/* mp_control_run: several lines run in order up to the first error        */

struct multi_case {
	const char *text;
	size_t len;		/* 0: strlen */
	int rc;
	const char *reply;
	const char *info;
};

static const struct multi_case multi_cases[] = {
	{ "fail_path a\nfail_path b\n", 0, 0, "ok\nok\n",
	  INFO(1, G1("E", "F 1", "F 1"), G2("E", "A 0")) },
	{ "fail_path a\nfail_path b", 0, 0, "ok\nok\n",
	  INFO(1, G1("E", "F 1", "F 1"), G2("E", "A 0")) },
	{ "fail_path a\nbogus\nfail_path b\n", 0, -EINVAL,
	  "ok\nerror: unknown command 'bogus'; " EXPECTED_CMDS "\n",
	  INFO(1, G1("E", "F 1", "A 0"), G2("E", "A 0")) },
	{ "fail_path a\nfail_path zz\nfail_path b", 0, -EINVAL,
	  "ok\nerror: no path 'zz'\n",
	  INFO(1, G1("E", "F 1", "A 0"), G2("E", "A 0")) },
	{ "bogus\nfail_path a\n", 0, -EINVAL,
	  "error: unknown command 'bogus'; " EXPECTED_CMDS "\n", FRESH },
	{ "disable_group 2\nfail_path a\nswitch_group 3\nfail_path b\n", 0, -EINVAL,
	  "ok\nok\nerror: no group '3'\n",
	  INFO(1, G1("E", "F 1", "A 0"), G2("D", "A 0")) },
	{ "fail_path a\nfail_path a\nreinstate_path a\nreinstate_path a\n", 0, 0,
	  "ok\nok: path a already failed\nok\nok: path a already active\n",
	  INFO(1, G1("E", "A 1", "A 0"), G2("E", "A 0")) },
	/* blank lines between commands are skipped */
	{ "\n\t\nfail_path a\n \n\nfail_path c\n\n", 0, 0, "ok\nok\n",
	  INFO(1, G1("E", "F 1", "A 0"), G2("E", "F 1")) },
	{ "disable_group 1\nenable_group 1\ndisable_group 1\n", 0, 0, "ok\nok\nok\n",
	  INFO(1, G1("D", "A 0", "A 0"), G2("E", "A 0")) },
	{ "fail_if_no_path\nswitch_group slow\n", 0, 0, "ok\nok\n",
	  INFO(2, G1("E", "A 0", "A 0"), G2("E", "A 0")) },
	{ "fail_path a\r\nfail_path b\r\n", 0, -EINVAL,
	  "error: carriage return (0x0d) in command; end lines with \\n only\n", FRESH },
	{ "disable_group 1\nfail_path a\0\nfail_path b",
	  sizeof("disable_group 1\nfail_path a\0\nfail_path b") - 1, -EINVAL,
	  "ok\nerror: NUL byte in command\n",
	  INFO(1, G1("D", "A 0", "A 0"), G2("E", "A 0")) },
	/* only len bytes are read */
	{ "fail_path a\nfail_path b\n", 12, 0, "ok\n",
	  INFO(1, G1("E", "F 1", "A 0"), G2("E", "A 0")) },
	{ "fail_path a\nfail_path b\n", 11, 0, "ok\n",
	  INFO(1, G1("E", "F 1", "A 0"), G2("E", "A 0")) },
};
#define NR_MULTI MP_ARRAY_SIZE(multi_cases)

INDEX_PARAMS(run, multi, NR_MULTI)
ParameterizedTest(size_t *i, run, multi)
{
	const struct multi_case *c = &multi_cases[*i];
	char *out;
	int r;

	r = run_len(c->text, c->len ? c->len : strlen(c->text), &out);
	cr_assert_eq(r, c->rc, "multi case %zu: returned %d: %s", *i, r, out);
	cr_assert_not_null(out);
	cr_assert_str_eq(out, c->reply, "multi case %zu", *i);
	free(out);
	expect_info(c->info, c->text);
}

/* Output of a show in the middle of a script is in order with the rest. */
Test(run, show_between_commands)
{
	const char *text;
	char *groups, *expected, *out;

	expect_run("fail_path a", 0, "ok\n");
	groups = mp_status_show(&core, &cfg, DEVPATH, GIB, MP_SHOW_GROUPS, false);
	cr_assert_not_null(groups);
	expect_run("reinstate_path a", 0, "ok\n");
	cr_assert_geq(asprintf(&expected, "ok\n%sok\nerror: no path 'q'\n", groups), 0);
	text = "fail_path a\nshow groups\nreinstate_path a\nfail_path q\nfail_path b\n";
	cr_assert_eq(run_len(text, strlen(text), &out), -EINVAL);
	cr_assert_str_eq(out, expected);
	cr_assert(core.paths[0]->active);
	cr_assert(core.paths[1]->active);
	free(out);
	free(expected);
	free(groups);
}

/* ---------------------------------------------------------------------- */
/* show: text is the status view; json parses and holds the state          */

static const struct {
	const char *word;
	enum mp_show_what what;
} show_words[] = {
	{ "paths", MP_SHOW_PATHS },
	{ "groups", MP_SHOW_GROUPS },
	{ "topology", MP_SHOW_TOPOLOGY },
	{ "config", MP_SHOW_CONFIG },
	{ "stats", MP_SHOW_STATS },
};

Test(run, show_every_view)
{
	run_script("@io\nfail_path b");
	for (size_t i = 0; i < MP_ARRAY_SIZE(show_words); i++) {
		for (int json = 0; json < 2; json++) {
			char cmd[64], *out, *direct;
			size_t n;

			snprintf(cmd, sizeof(cmd), "show %s%s", show_words[i].word,
				 json ? " json" : "");
			cr_assert_eq(run_len(cmd, strlen(cmd), &out), 0, "%s: %s", cmd, out);
			n = strlen(out);
			cr_assert_gt(n, 1, "%s: empty", cmd);
			cr_assert_eq(out[n - 1], '\n', "%s", cmd);
			cr_assert_neq(strncmp(out, "error", 5), 0, "%s: %s", cmd, out);
			direct = mp_status_show(&core, &cfg, DEVPATH, GIB, show_words[i].what,
						json);
			cr_assert_not_null(direct);
			cr_assert_str_eq(out, direct, "%s", cmd);
			if (json) {
				json_object *o = json_tokener_parse(out);

				cr_assert_not_null(o, "%s: not JSON:\n%s", cmd, out);
				cr_assert(json_object_is_type(o, json_type_object), "%s", cmd);
				json_object_put(o);
			}
			free(direct);
			free(out);
		}
	}
}

static json_object *show_json(const char *cmd)
{
	json_object *o;
	char *out;

	cr_assert_eq(run_len(cmd, strlen(cmd), &out), 0, "%s: %s", cmd, out);
	o = json_tokener_parse(out);
	cr_assert_not_null(o, "%s: not JSON:\n%s", cmd, out);
	free(out);
	return o;
}

static json_object *get(json_object *o, const char *key)
{
	json_object *v = NULL;

	cr_assert(json_object_object_get_ex(o, key, &v), "no key '%s'", key);
	return v;
}

static json_object *array(json_object *o, const char *key, size_t len)
{
	json_object *a = get(o, key);

	cr_assert(json_object_is_type(a, json_type_array), "'%s' is not an array", key);
	cr_assert_eq(json_object_array_length(a), len, "'%s' length", key);
	return a;
}

static void expect_str(json_object *o, const char *key, const char *value)
{
	json_object *v = get(o, key);

	cr_assert(json_object_is_type(v, json_type_string), "'%s' is not a string", key);
	cr_assert_str_eq(json_object_get_string(v), value, "'%s'", key);
}

static void expect_int(json_object *o, const char *key, int64_t value)
{
	json_object *v = get(o, key);

	cr_assert(json_object_is_type(v, json_type_int), "'%s' is not a number", key);
	cr_assert_eq(json_object_get_int64(v), value, "'%s'", key);
}

static void expect_bool(json_object *o, const char *key, bool value)
{
	json_object *v = get(o, key);

	cr_assert(json_object_is_type(v, json_type_boolean), "'%s' is not a boolean", key);
	cr_assert_eq(json_object_get_boolean(v), value, "'%s'", key);
}

static void expect_path(json_object *p, const char *name, const char *device,
			const char *dev_t, const char *group, const char *state,
			int fail_count)
{
	expect_str(p, "name", name);
	expect_str(p, "device", device);
	expect_str(p, "dev_t", dev_t);
	expect_str(p, "group", group);
	expect_str(p, "state", state);
	expect_int(p, "fail_count", fail_count);
	expect_int(p, "inflight_ios", 0);
}

Test(run, show_paths_json)
{
	json_object *o, *a;

	expect_run("fail_path /dev/loop1", 0, "ok\n");
	o = show_json("show paths json");
	a = array(o, "paths", 3);
	expect_path(json_object_array_get_idx(a, 0), "a", "/dev/loop0", "7:0", "fast",
		    "active", 0);
	expect_path(json_object_array_get_idx(a, 1), "b", "/dev/loop1", "7:1", "fast",
		    "failed", 1);
	expect_path(json_object_array_get_idx(a, 2), "c", "/dev/loop2", "7:2", "slow",
		    "active", 0);
	json_object_put(o);
}

Test(run, show_groups_json)
{
	json_object *o, *a, *g;

	run_script("@io\nfail_path c\ndisable_group slow\n@io");
	o = show_json("show groups json");
	a = array(o, "groups", 2);
	g = json_object_array_get_idx(a, 0);
	expect_int(g, "num", 1);
	expect_str(g, "name", "fast");
	expect_int(g, "priority", 50);
	expect_str(g, "state", "active");
	expect_str(g, "selector", "service-time");
	expect_int(g, "paths_total", 2);
	expect_int(g, "paths_usable", 2);
	g = json_object_array_get_idx(a, 1);
	expect_int(g, "num", 2);
	expect_str(g, "name", "slow");
	expect_int(g, "priority", 10);
	expect_str(g, "state", "disabled");
	expect_int(g, "paths_total", 1);
	expect_int(g, "paths_usable", 0);
	json_object_put(o);
}

Test(run, show_topology_json)
{
	json_object *o, *a, *g, *p;

	run_script("@io\nfail_if_no_path\nfail_path a\nswitch_group 2");
	o = show_json("show topology json");
	expect_str(o, "name", "mpatha");
	expect_str(o, "device", DEVPATH);
	expect_int(o, "size", (int64_t)GIB);
	expect_bool(o, "queue_if_no_path", false);
	expect_int(o, "queued_io", 0);
	expect_int(o, "usable_paths", 2);
	expect_int(o, "path_failures", 1);
	expect_int(o, "next_group", 2);
	a = array(o, "groups", 2);
	g = json_object_array_get_idx(a, 0);
	expect_str(g, "name", "fast");
	expect_int(g, "priority", 50);
	expect_str(g, "state", "active");
	p = array(g, "paths", 2);
	expect_path(json_object_array_get_idx(p, 0), "a", "/dev/loop0", "7:0", "fast",
		    "failed", 1);
	expect_path(json_object_array_get_idx(p, 1), "b", "/dev/loop1", "7:1", "fast",
		    "active", 0);
	g = json_object_array_get_idx(a, 1);
	expect_str(g, "name", "slow");
	expect_int(g, "priority", 10);
	expect_str(g, "state", "enabled");
	p = array(g, "paths", 1);
	expect_path(json_object_array_get_idx(p, 0), "c", "/dev/loop2", "7:2", "slow",
		    "active", 0);
	json_object_put(o);
}

Test(run, show_config_json)
{
	json_object *o, *a;

	o = show_json("show config json");
	expect_str(o, "name", "mpatha");
	expect_str(o, "path_selector", "service-time");
	expect_int(o, "rr_min_io", 1);
	expect_str(o, "no_path_retry", "queue");
	expect_str(o, "failback", "immediate");
	expect_str(o, "path_checker", "directio");
	expect_str(o, "hardware_handler", "none");
	expect_str(o, "prio", "const");
	expect_int(o, "pg_init_delay_msecs", 2000);
	expect_bool(o, "allow_other", false);
	expect_str(o, "control_group", "");
	expect_str(o, "status_group", "");
	expect_str(o, "status_mode", "0440");
	a = array(o, "groups", 2);
	expect_str(json_object_array_get_idx(a, 0), "name", "fast");
	expect_int(json_object_array_get_idx(a, 0), "priority", 50);
	expect_str(json_object_array_get_idx(a, 1), "name", "slow");
	expect_int(json_object_array_get_idx(a, 1), "priority", 10);
	expect_str(json_object_array_get_idx(a, 1), "path_selector", "service-time");
	a = array(o, "paths", 3);
	expect_str(json_object_array_get_idx(a, 2), "name", "c");
	expect_str(json_object_array_get_idx(a, 2), "device", "/dev/loop2");
	expect_str(json_object_array_get_idx(a, 2), "group", "slow");
	expect_int(json_object_array_get_idx(a, 2), "weight", 1);
	json_object_put(o);
}

Test(run, show_stats_json)
{
	json_object *o, *a;

	run_script("@io\nfail_path b\nreinstate_path b\nfail_path b\nfail_path c");
	o = show_json("show stats json");
	expect_bool(o, "queue_if_no_path", true);
	expect_int(o, "usable_paths", 1);
	expect_int(o, "path_failures", 3);
	expect_int(o, "next_group", 1);
	a = array(o, "paths", 3);
	expect_path(json_object_array_get_idx(a, 0), "a", "/dev/loop0", "7:0", "fast",
		    "active", 0);
	expect_path(json_object_array_get_idx(a, 1), "b", "/dev/loop1", "7:1", "fast",
		    "failed", 2);
	expect_path(json_object_array_get_idx(a, 2), "c", "/dev/loop2", "7:2", "slow",
		    "failed", 1);
	json_object_put(o);
}
