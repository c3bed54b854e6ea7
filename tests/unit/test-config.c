// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests for the INI configuration parser (src/config.c). */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mpathfs/config.h"
#include "mpathfs/util.h"

/* Every test runs in its own process: one config and one error buffer each. */
static struct mp_config cfg;
static char err[MP_ERRMSG_MAX];

static void parse_ok(const char *text)
{
	int ret = mp_config_parse_string(text, "t.ini", &cfg, err, sizeof(err));

	cr_assert_eq(ret, 0, "unexpected error %d: %s", ret, err);
	cr_assert_str_empty(err);
}

static void parse_bad(const char *text, const char *expected)
{
	int ret = mp_config_parse_string(text, "t.ini", &cfg, err, sizeof(err));

	cr_assert_eq(ret, -EINVAL, "accepted or wrong code %d for:\n%s", ret, text);
	cr_assert_str_eq(err, expected, "for:\n%s", text);
	/* a refused file leaves nothing to free */
	cr_assert_null(cfg.paths);
	cr_assert_null(cfg.groups);
	cr_assert_eq(cfg.nr_paths, 0);
	cr_assert_eq(cfg.nr_groups, 0);
}

static void check_group(unsigned i, const char *name, int priority, const char *selector,
			int line)
{
	cr_assert_lt(i, cfg.nr_groups);
	cr_assert_str_eq(cfg.groups[i].name, name);
	cr_assert_eq(cfg.groups[i].priority, priority, "group %s", name);
	cr_assert_str_eq(cfg.groups[i].selector, selector, "group %s", name);
	cr_assert_eq(cfg.groups[i].line, line, "group %s", name);
}

static void check_path(unsigned i, const char *name, const char *device, const char *group,
		       unsigned weight, int line, int device_line)
{
	cr_assert_lt(i, cfg.nr_paths);
	cr_assert_str_eq(cfg.paths[i].name, name);
	cr_assert_str_eq(cfg.paths[i].device, device, "path %s", name);
	cr_assert_str_eq(cfg.paths[i].group, group, "path %s", name);
	cr_assert_eq(cfg.paths[i].weight, weight, "path %s", name);
	cr_assert_eq(cfg.paths[i].line, line, "path %s", name);
	cr_assert_eq(cfg.paths[i].device_line, device_line, "path %s", name);
}

static void check_default_globals(void)
{
	cr_assert_str_eq(cfg.name, "mpatha");
	cr_assert_str_eq(cfg.path_selector, "service-time");
	cr_assert_eq(cfg.rr_min_io, 1);
	cr_assert_eq(cfg.no_path_retry, MP_NO_PATH_RETRY_QUEUE);
	cr_assert_eq(cfg.failback, MP_FAILBACK_IMMEDIATE);
	cr_assert_eq(cfg.path_checker, MP_CHECKER_DIRECTIO);
	cr_assert_eq(cfg.polling_interval, 5);
	cr_assert_eq(cfg.max_polling_interval, 20);
	cr_assert_eq(cfg.checker_timeout, 2);
	cr_assert_eq(cfg.io_timeout, 10);
	cr_assert_eq(cfg.scsi_timeout, 0);
	cr_assert_eq(cfg.hardware_handler, MP_HW_HANDLER_NONE);
	cr_assert_eq(cfg.prio, MP_PRIO_CONST);
	cr_assert_eq(cfg.pg_init_retries, 0);
	cr_assert_eq(cfg.pg_init_delay_msecs, 2000);
	cr_assert_eq(cfg.max_io_memory_mb, 256);
	cr_assert_not(cfg.allow_other);
	cr_assert_str_empty(cfg.control_group);
	cr_assert_str_empty(cfg.status_group);
	cr_assert_eq(cfg.status_mode, 0440);
}

Test(config, defaults)
{
	memset(&cfg, 0xa5, sizeof(cfg));
	mp_config_defaults(&cfg);
	check_default_globals();
	cr_assert_str_empty(cfg.file);
	cr_assert_null(cfg.groups);
	cr_assert_null(cfg.paths);
	cr_assert_eq(cfg.nr_groups, 0);
	cr_assert_eq(cfg.nr_paths, 0);
}

Test(config, every_key)
{
	parse_ok("[multipath]\n"			/* 1 */
		 "name = data0\n"
		 "path_selector = round-robin\n"
		 "rr_min_io = 100\n"
		 "no_path_retry = 12\n"			/* 5 */
		 "failback = 30\n"
		 "path_checker = tur\n"
		 "polling_interval = 7\n"
		 "max_polling_interval = 40\n"
		 "checker_timeout = 3\n"		/* 10 */
		 "io_timeout = 45\n"
		 "hardware_handler = alua\n"
		 "prio = alua\n"
		 "pg_init_retries = 5\n"
		 "pg_init_delay_msecs = 500\n"		/* 15 */
		 "max_io_memory_mb = 1024\n"
		 "\n"
		 "[group fast]\n"
		 "priority = 50\n"
		 "path_selector = queue-length\n"	/* 20 */
		 "\n"
		 "[group slow]\n"
		 "priority = 10\n"
		 "\n"
		 "[path a]\n"				/* 25 */
		 "device = /dev/loop0\n"
		 "group = fast\n"
		 "weight = 3\n"
		 "\n"
		 "[path b]\n"				/* 30 */
		 "group = slow\n"
		 "weight = 1000000\n"
		 "device = /dev/loop1\n");
	cr_assert_str_eq(cfg.file, "t.ini");
	cr_assert_str_eq(cfg.name, "data0");
	cr_assert_str_eq(cfg.path_selector, "round-robin");
	cr_assert_eq(cfg.rr_min_io, 100);
	cr_assert_eq(cfg.no_path_retry, 12);
	cr_assert_eq(cfg.failback, 30);
	cr_assert_eq(cfg.path_checker, MP_CHECKER_TUR);
	cr_assert_eq(cfg.polling_interval, 7);
	cr_assert_eq(cfg.max_polling_interval, 40);
	cr_assert_eq(cfg.checker_timeout, 3);
	cr_assert_eq(cfg.io_timeout, 45);
	cr_assert_eq(cfg.hardware_handler, MP_HW_HANDLER_ALUA);
	cr_assert_eq(cfg.prio, MP_PRIO_ALUA);
	cr_assert_eq(cfg.pg_init_retries, 5);
	cr_assert_eq(cfg.pg_init_delay_msecs, 500);
	cr_assert_eq(cfg.max_io_memory_mb, 1024);
	cr_assert_eq(cfg.nr_groups, 2);
	check_group(0, "fast", 50, "queue-length", 18);
	check_group(1, "slow", 10, "", 22);
	cr_assert_eq(cfg.nr_paths, 2);
	check_path(0, "a", "/dev/loop0", "fast", 3, 25, 26);
	check_path(1, "b", "/dev/loop1", "slow", 1000000, 30, 33);
	mp_config_free(&cfg);
	cr_assert_null(cfg.paths);
	cr_assert_null(cfg.groups);
	cr_assert_eq(cfg.nr_paths, 0);
	cr_assert_eq(cfg.nr_groups, 0);
}

Test(config, defaults_only)
{
	parse_ok("[path a]\ndevice = /dev/loop0\n");
	check_default_globals();
	cr_assert_eq(cfg.nr_groups, 1);
	check_group(0, "default", 0, "", 0);
	cr_assert_eq(cfg.nr_paths, 1);
	check_path(0, "a", "/dev/loop0", "default", 1, 1, 2);
	mp_config_free(&cfg);
}

Test(config, implicit_default_group)
{
	parse_ok("[group fast]\n"
		 "priority = 5\n"
		 "[path a]\n"
		 "device = /dev/loop0\n"
		 "group = fast\n"
		 "[path b]\n"
		 "device = /dev/loop1\n"
		 "[path c]\n"
		 "device = /dev/loop2\n");
	cr_assert_eq(cfg.nr_groups, 2);
	check_group(0, "fast", 5, "", 1);
	check_group(1, "default", 0, "", 0);
	check_path(0, "a", "/dev/loop0", "fast", 1, 3, 4);
	check_path(1, "b", "/dev/loop1", "default", 1, 6, 7);
	check_path(2, "c", "/dev/loop2", "default", 1, 8, 9);
	cr_assert_eq(mp_config_group_index(&cfg, "fast"), 0);
	cr_assert_eq(mp_config_group_index(&cfg, "default"), 1);
	cr_assert_eq(mp_config_group_index(&cfg, ""), 1);
	cr_assert_eq(mp_config_group_index(&cfg, "slow"), -1);
	mp_config_free(&cfg);
}

/* A [group default] given after the paths that rely on it is the one used. */
Test(config, explicit_default_group)
{
	parse_ok("[path a]\n"
		 "device = /dev/loop0\n"
		 "[group default]\n"
		 "priority = 7\n");
	cr_assert_eq(cfg.nr_groups, 1);
	check_group(0, "default", 7, "", 3);
	check_path(0, "a", "/dev/loop0", "default", 1, 1, 2);
	mp_config_free(&cfg);
}

/* An empty section still exists: here a group with default priority. */
Test(config, empty_sections)
{
	parse_ok("[multipath]\n"
		 "[group slow]\n"
		 "[path a]\n"
		 "device = /dev/loop0\n"
		 "group = slow\n");
	check_default_globals();
	check_group(0, "slow", 0, "", 2);
	check_path(0, "a", "/dev/loop0", "slow", 1, 3, 4);
	mp_config_free(&cfg);
}

Test(config, group_selector_override)
{
	parse_ok("[multipath]\n"
		 "path_selector = historical-service-time\n"
		 "[group fast]\n"
		 "path_selector = failover\n"
		 "[group slow]\n"
		 "path_selector = round-robin\n"
		 "[group other]\n"
		 "priority = 1\n"
		 "[path a]\ndevice = /dev/loop0\ngroup = fast\n"
		 "[path b]\ndevice = /dev/loop1\ngroup = slow\n"
		 "[path c]\ndevice = /dev/loop2\ngroup = other\n");
	cr_assert_str_eq(cfg.path_selector, "historical-service-time");
	check_group(0, "fast", 0, "failover", 3);
	check_group(1, "slow", 0, "round-robin", 5);
	check_group(2, "other", 1, "", 7);
	mp_config_free(&cfg);
}

Test(config, negative_priority)
{
	parse_ok("[group a]\npriority = -5\n"
		 "[group b]\npriority = -1000000\n"
		 "[group c]\npriority = 1000000\n"
		 "[group d]\npriority = -0\n"
		 "[path p1]\ndevice = /dev/loop0\ngroup = a\n"
		 "[path p2]\ndevice = /dev/loop1\ngroup = b\n"
		 "[path p3]\ndevice = /dev/loop2\ngroup = c\n"
		 "[path p4]\ndevice = /dev/loop3\ngroup = d\n");
	cr_assert_eq(cfg.nr_groups, 4);
	check_group(0, "a", -5, "", 1);
	check_group(1, "b", -1000000, "", 3);
	check_group(2, "c", 1000000, "", 5);
	check_group(3, "d", 0, "", 7);
	mp_config_free(&cfg);
}

Test(config, keyword_values)
{
	parse_ok("[multipath]\n"
		 "no_path_retry = fail\n"
		 "failback = manual\n"
		 "path_checker = readsector0\n"
		 "prio = path_latency\n"
		 "hardware_handler = none\n"
		 "[path a]\ndevice = /dev/loop0\n");
	cr_assert_eq(cfg.no_path_retry, MP_NO_PATH_RETRY_FAIL);
	cr_assert_eq(cfg.failback, MP_FAILBACK_MANUAL);
	cr_assert_eq(cfg.path_checker, MP_CHECKER_READSECTOR0);
	cr_assert_eq(cfg.prio, MP_PRIO_PATH_LATENCY);
	cr_assert_eq(cfg.hardware_handler, MP_HW_HANDLER_NONE);
	mp_config_free(&cfg);

	parse_ok("[multipath]\n"
		 "no_path_retry = queue\n"
		 "failback = followover\n"
		 "path_checker = none\n"
		 "prio = const\n"
		 "[path a]\ndevice = /dev/loop0\n");
	cr_assert_eq(cfg.no_path_retry, MP_NO_PATH_RETRY_QUEUE);
	cr_assert_eq(cfg.failback, MP_FAILBACK_FOLLOWOVER);
	cr_assert_eq(cfg.path_checker, MP_CHECKER_NONE);
	cr_assert_eq(cfg.prio, MP_PRIO_CONST);
	mp_config_free(&cfg);

	parse_ok("[multipath]\n"
		 "no_path_retry = 1000000\n"
		 "failback = 0\n"
		 "path_checker = directio\n"
		 "[path a]\ndevice = /dev/loop0\n");
	cr_assert_eq(cfg.no_path_retry, 1000000);
	cr_assert_eq(cfg.failback, 0);
	cr_assert_eq(cfg.path_checker, MP_CHECKER_DIRECTIO);
	mp_config_free(&cfg);
}

/* Groups by name (looked up) or by number (taken as is). */
Test(config, access_keys)
{
	parse_ok("[multipath]\n"
		 "allow_other = yes\n"
		 "control_group = root\n"
		 "status_group = 4242\n"
		 "status_mode = 0444\n"
		 "[path a]\ndevice = /dev/loop0\n");
	cr_assert(cfg.allow_other);
	cr_assert_str_eq(cfg.control_group, "root");
	cr_assert_eq(cfg.control_gid, 0);
	cr_assert_str_eq(cfg.status_group, "4242");
	cr_assert_eq(cfg.status_gid, 4242);
	cr_assert_eq(cfg.status_mode, 0444);
	mp_config_free(&cfg);

	parse_ok("[multipath]\nallow_other = no\nstatus_mode = 0400\n" "[path a]\ndevice = /dev/loop0\n");
	cr_assert_not(cfg.allow_other);
	cr_assert_eq(cfg.status_mode, 0400);
	mp_config_free(&cfg);

	/* the largest gid, and a group only the owner reads: both fine */
	parse_ok("[multipath]\nallow_other = yes\ncontrol_group = 4294967294\n"
		 "status_mode = 0400\n" "[path a]\ndevice = /dev/loop0\n");
	cr_assert_eq(cfg.control_gid, 4294967294u);
	mp_config_free(&cfg);
}

Test(config, range_limits_accepted)
{
	parse_ok("[multipath]\n"
		 "rr_min_io = 1000000\n"
		 "failback = 86400\n"
		 "polling_interval = 3600\n"
		 "max_polling_interval = 14400\n"
		 "checker_timeout = 600\n"
		 "io_timeout = 3600\n"
		 "scsi_timeout = 3600\n"
		 "pg_init_retries = 50\n"
		 "pg_init_delay_msecs = 60000\n"
		 "max_io_memory_mb = 65536\n"
		 "[path a]\ndevice = /dev/loop0\nweight = 1\n");
	cr_assert_eq(cfg.rr_min_io, 1000000);
	cr_assert_eq(cfg.failback, 86400);
	cr_assert_eq(cfg.polling_interval, 3600);
	cr_assert_eq(cfg.max_polling_interval, 14400);
	cr_assert_eq(cfg.checker_timeout, 600);
	cr_assert_eq(cfg.io_timeout, 3600);
	cr_assert_eq(cfg.scsi_timeout, 3600);
	cr_assert_eq(cfg.pg_init_retries, 50);
	cr_assert_eq(cfg.pg_init_delay_msecs, 60000);
	cr_assert_eq(cfg.max_io_memory_mb, 65536);
	mp_config_free(&cfg);

	parse_ok("[multipath]\n"
		 "polling_interval = 1\n"
		 "max_polling_interval = 1\n"
		 "checker_timeout = 1\n"
		 "io_timeout = 1\n"
		 "scsi_timeout = 0\n"
		 "pg_init_delay_msecs = 0\n"
		 "max_io_memory_mb = 16\n"
		 "[path a]\ndevice = /dev/loop0\n");
	cr_assert_eq(cfg.polling_interval, 1);
	cr_assert_eq(cfg.max_polling_interval, 1);
	cr_assert_eq(cfg.checker_timeout, 1);
	cr_assert_eq(cfg.io_timeout, 1);
	cr_assert_eq(cfg.scsi_timeout, 0);
	cr_assert_eq(cfg.pg_init_delay_msecs, 0);
	cr_assert_eq(cfg.max_io_memory_mb, 16);
	mp_config_free(&cfg);
}

Test(config, max_polling_interval_default)
{
	/* above 20 s the default follows multipathd: 4 * polling_interval */
	parse_ok("[multipath]\npolling_interval = 30\n[path a]\ndevice = /dev/loop0\n");
	cr_assert_eq(cfg.max_polling_interval, 120);
	mp_config_free(&cfg);

	parse_ok("[multipath]\npolling_interval = 20\n[path a]\ndevice = /dev/loop0\n");
	cr_assert_eq(cfg.max_polling_interval, 20);
	mp_config_free(&cfg);

	parse_ok("[multipath]\nmax_polling_interval = 30\npolling_interval = 30\n"
		 "[path a]\ndevice = /dev/loop0\n");
	cr_assert_eq(cfg.max_polling_interval, 30);
	mp_config_free(&cfg);
}

/* Comments, blanks, indentation, ':' and CRLF as an admin may write them. */
Test(config, syntax_variants)
{
	parse_ok("\xef\xbb\xbf; a comment\n"			/* 1: UTF-8 BOM */
		 "# another comment\n"
		 "  [ multipath ]   ; trailing comment\n"
		 "\tname = disk1   ; inline comment\n"
		 "    rr_min_io: 4\r\n"				/* 5 */
		 "\n"
		 "[path a]\r\n"
		 "    device = /srv/img;1\n"			/* ';' needs a blank before it */
		 "    weight = 2 ;comment\n"
		 "\n"						/* 10 */
		 "[path   b]\n"
		 "\tdevice=/srv/img2\n");
	cr_assert_str_eq(cfg.name, "disk1");
	cr_assert_eq(cfg.rr_min_io, 4);
	cr_assert_eq(cfg.nr_paths, 2);
	check_path(0, "a", "/srv/img;1", "default", 2, 7, 8);
	check_path(1, "b", "/srv/img2", "default", 1, 11, 12);
	mp_config_free(&cfg);
}

/* inih truncates section names at 49 characters: ours must not. */
Test(config, long_names)
{
	parse_ok("[group ggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggg]\n"
		 "[path pppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppp1]\n"
		 "device = /dev/loop0\n"
		 "group = ggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggg\n"
		 "[path pppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppp2]\n"
		 "device = /dev/loop1\n"
		 "group = ggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggg\n"
		 "[multipath]\n"
		 "name = Aa.Zz_09-mmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmm\n");
	cr_assert_eq(strlen(cfg.name), 63);
	cr_assert_eq(strlen(cfg.groups[0].name), 63);
	cr_assert_eq(cfg.nr_paths, 2);
	cr_assert_eq(strlen(cfg.paths[0].name), 63);
	cr_assert_eq(cfg.paths[0].name[62], '1');
	cr_assert_eq(cfg.paths[1].name[62], '2');
	cr_assert_str_eq(cfg.paths[1].group, cfg.groups[0].name);
	mp_config_free(&cfg);
}

/* Builds a config of nr_groups groups of which the first holds every path. */
static char *make_config(unsigned nr_groups, unsigned nr_paths, bool last_without_group)
{
	size_t size = 64 + (nr_groups + nr_paths) * 64;
	char *text = malloc(size);
	size_t len = 0;
	unsigned i;

	cr_assert_not_null(text);
	text[0] = '\0';
	for (i = 0; i < nr_groups; i++)
		len += (size_t)snprintf(text + len, size - len, "[group g%u]\n", i);
	for (i = 0; i < nr_paths; i++) {
		bool grouped = !(last_without_group && i == nr_paths - 1);
		unsigned g = i < nr_groups ? i : 0;

		len += (size_t)snprintf(text + len, size - len, "[path p%u]\ndevice = /dev/d%u\n",
					i, i);
		if (grouped)
			len += (size_t)snprintf(text + len, size - len, "group = g%u\n", g);
	}
	cr_assert_lt(len, size);
	return text;
}

Test(config, limits)
{
	char *text;

	text = make_config(32, 64, false);
	parse_ok(text);
	cr_assert_eq(cfg.nr_groups, 32);
	cr_assert_eq(cfg.nr_paths, 64);
	mp_config_free(&cfg);
	free(text);

	/* 65th path: header at line 32 + 64 * 3 + 1 */
	text = make_config(32, 65, false);
	parse_bad(text, "t.ini:225: [path p64]: too many paths (at most 64)");
	free(text);

	text = make_config(33, 64, false);
	parse_bad(text, "t.ini:33: [group g32]: too many groups (at most 32)");
	free(text);

	/* 32 groups and a path with none: no room for the implicit "default" */
	text = make_config(32, 33, true);
	parse_bad(text, "t.ini:129: [path p32]: no group given, and the implicit group "
			"'default' would make too many groups (at most 32)");
	free(text);
}

struct bad {
	const char *text;
	const char *err;
};

#define PATH_A "[path a]\ndevice = /dev/loop0\n"
#define SELECTORS "round-robin, queue-length, service-time, historical-service-time, failover"
#define X50 "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
#define NAME_CHARS_HINT "; use A-Z a-z 0-9 . _ -"

static const struct bad bad_configs[] = {
	{ "[multipath]\nrr_min_io = abc\n" PATH_A,
	  "t.ini:2: rr_min_io: 'abc' is not a whole number" },
	{ "[multipath]\nrr_min_io = 0\n" PATH_A,
	  "t.ini:2: rr_min_io: '0' is out of range 1..1000000" },
	{ "[multipath]\nrr_min_io = -5\n" PATH_A,
	  "t.ini:2: rr_min_io: '-5' is not a whole number" },
	{ "[multipath]\nrr_min_io = 99999999999999999999999\n" PATH_A,
	  "t.ini:2: rr_min_io: '99999999999999999999999' is out of range 1..1000000" },
	{ "[multipath]\nrr_min_io = 12abc\n" PATH_A,
	  "t.ini:2: rr_min_io: '12abc' is not a whole number" },
	{ "[multipath]\npath_selector = fast\n" PATH_A,
	  "t.ini:2: path_selector: unknown selector 'fast'; expected one of " SELECTORS },
	{ "[group g]\npath_selector = Round-Robin\n[path a]\ndevice = /dev/loop0\ngroup = g\n",
	  "t.ini:2: path_selector: unknown selector 'Round-Robin'; expected one of " SELECTORS },
	{ PATH_A "colour = red\n",
	  "t.ini:3: colour: unknown key in [path a]" },
	{ PATH_A "rr_min_io = 2\n",
	  "t.ini:3: rr_min_io: unknown key in [path a]" },
	{ "[group g]\nweight = 2\n",
	  "t.ini:2: weight: unknown key in [group g]" },
	{ "[multipath]\ndevice = /dev/loop0\n",
	  "t.ini:2: device: unknown key in [multipath]" },
	{ PATH_A "[pathx a]\n",
	  "t.ini:3: [pathx a]: unknown section; expected [multipath], [group NAME] or [path NAME]" },
	{ "[]\n",
	  "t.ini:1: []: unknown section; expected [multipath], [group NAME] or [path NAME]" },
	{ "rr_min_io = 2\n" PATH_A,
	  "t.ini:1: rr_min_io: key before the first section; "
	  "expected [multipath], [group NAME] or [path NAME]" },
	{ "[multipath]\nio_timeout = 5\nio_timeout = 6\n" PATH_A,
	  "t.ini:3: io_timeout: given twice in [multipath] (first at line 2)" },
	{ PATH_A "device = /dev/loop1\n",
	  "t.ini:3: device: given twice in [path a] (first at line 2)" },
	{ PATH_A "[path b]\ndevice = /dev/loop1\n[path a]\nweight = 2\n",
	  "t.ini:5: [path a]: section given twice (first at line 1)" },
	{ "[group g]\n" PATH_A "[group g]\n",
	  "t.ini:4: [group g]: section given twice (first at line 1)" },
	{ "[multipath]\n" PATH_A "[multipath]\n",
	  "t.ini:4: [multipath]: section given twice (first at line 1)" },
	{ "[multipath x]\n" PATH_A,
	  "t.ini:1: [multipath x]: [multipath] takes no name" },
	{ "[path]\ndevice = /dev/loop0\n",
	  "t.ini:1: [path]: no name given; expected [path NAME]" },
	{ "[ group ]\n" PATH_A,
	  "t.ini:1: [group]: no name given; expected [group NAME]" },
	{ "[path a/b]\ndevice = /dev/loop0\n",
	  "t.ini:1: [path a/b]: bad name 'a/b': character '/' is not allowed" NAME_CHARS_HINT },
	{ "[path a b]\ndevice = /dev/loop0\n",
	  "t.ini:1: [path a b]: bad name 'a b': character ' ' is not allowed" NAME_CHARS_HINT },
	{ "[group .hidden]\n" PATH_A,
	  "t.ini:1: [group .hidden]: bad name '.hidden': must not start with '.'" },
	{ "[path " X50 "12345678901234]\ndevice = /dev/loop0\n",
	  "t.ini:1: [path " X50 "12345678901234]: bad name '" X50 "12345678901234': "
	  "longer than 63 characters" },
	{ "[multipath]\nname = .mp\n" PATH_A,
	  "t.ini:2: name: bad name '.mp': must not start with '.'" },
	{ "[multipath]\nname = mp\x01\n" PATH_A,
	  "t.ini:2: name: bad name 'mp\x01': byte 0x01 is not allowed" NAME_CHARS_HINT },
	{ "[multipath]\nname = status\n" PATH_A,
	  "t.ini:2: name: 'status' is taken by a file of the mount; choose another name" },
	{ "[multipath]\nname = control\n" PATH_A,
	  "t.ini:2: name: 'control' is taken by a file of the mount; choose another name" },
	{ "[multipath]\nname = events\n" PATH_A,
	  "t.ini:2: name: 'events' is taken by a file of the mount; choose another name" },
	{ "[path a]\nweight = 2\n",
	  "t.ini:1: [path a]: no device given" },
	{ PATH_A "[path b]\n",
	  "t.ini:3: [path b]: no device given" },
	{ "[path a]\ndevice =\n",
	  "t.ini:2: device: no value given" },
	{ PATH_A "[path b]\ndevice = /dev/loop0\n",
	  "t.ini:4: device: '/dev/loop0' is already the device of [path a]" },
	{ PATH_A "group = fast\n",
	  "t.ini:3: group: unknown group 'fast'; there is no [group fast]" },
	{ PATH_A "group = fa st\n",
	  "t.ini:3: group: bad name 'fa st': character ' ' is not allowed" NAME_CHARS_HINT },
	{ "[group slow]\npriority = 1\n" PATH_A,
	  "t.ini:1: [group slow]: no path is in this group" },
	{ "[multipath]\nname = x\n",
	  "t.ini: no [path] sections" },
	{ "",
	  "t.ini: no [path] sections" },
	{ "[multipath]\npolling_interval = 10\nmax_polling_interval = 5\n" PATH_A,
	  "t.ini:3: max_polling_interval: '5' is less than polling_interval (10)" },
	{ "[multipath]\nmax_polling_interval = 14401\n" PATH_A,
	  "t.ini:2: max_polling_interval: '14401' is out of range 1..14400" },
	{ "[multipath]\nno_path_retry = sometimes\n" PATH_A,
	  "t.ini:2: no_path_retry: 'sometimes' is not queue, fail or a whole number" },
	{ "[multipath]\nno_path_retry = 0\n" PATH_A,
	  "t.ini:2: no_path_retry: '0' is out of range 1..1000000" },
	{ "[multipath]\nfailback = 86401\n" PATH_A,
	  "t.ini:2: failback: '86401' is out of range 0..86400" },
	{ "[multipath]\nfailback = soon\n" PATH_A,
	  "t.ini:2: failback: 'soon' is not immediate, manual, followover "
	  "or a whole number of seconds" },
	{ "[multipath]\npath_checker = emc_clariion\n" PATH_A,
	  "t.ini:2: path_checker: unknown checker 'emc_clariion'; "
	  "expected one of directio, readsector0, tur, none" },
	{ "[multipath]\nhardware_handler = emc\n" PATH_A,
	  "t.ini:2: hardware_handler: unknown handler 'emc'; expected one of none, alua" },
	{ "[multipath]\nprio = random\n" PATH_A,
	  "t.ini:2: prio: unknown prioritizer 'random'; expected one of const, alua, path_latency" },
	{ "[multipath]\npolling_interval = 0\n" PATH_A,
	  "t.ini:2: polling_interval: '0' is out of range 1..3600" },
	{ "[multipath]\ncheckr_timeout = 601\n" PATH_A,
	  "t.ini:2: checkr_timeout: unknown key in [multipath]" },
	{ "[multipath]\nchecker_timeout = 601\n" PATH_A,
	  "t.ini:2: checker_timeout: '601' is out of range 1..600" },
	{ "[multipath]\nio_timeout = 3601\n" PATH_A,
	  "t.ini:2: io_timeout: '3601' is out of range 1..3600" },
	{ "[multipath]\nscsi_timeout = 3601\n" PATH_A,
	  "t.ini:2: scsi_timeout: '3601' is out of range 0..3600" },
	{ "[multipath]\nscsi_timeout = -1\n" PATH_A,
	  "t.ini:2: scsi_timeout: '-1' is not a whole number" },
	{ "[multipath]\npg_init_retries = 51\n" PATH_A,
	  "t.ini:2: pg_init_retries: '51' is out of range 0..50" },
	{ "[multipath]\npg_init_delay_msecs = 60001\n" PATH_A,
	  "t.ini:2: pg_init_delay_msecs: '60001' is out of range 0..60000" },
	{ "[multipath]\nmax_io_memory_mb = 15\n" PATH_A,
	  "t.ini:2: max_io_memory_mb: '15' is out of range 16..65536" },
	{ PATH_A "weight = 0\n",
	  "t.ini:3: weight: '0' is out of range 1..1000000" },
	{ "[group g]\npriority = -1000001\n[path a]\ndevice = /dev/loop0\ngroup = g\n",
	  "t.ini:2: priority: '-1000001' is out of range -1000000..1000000" },
	{ "[group g]\npriority = 1.5\n[path a]\ndevice = /dev/loop0\ngroup = g\n",
	  "t.ini:2: priority: '1.5' is not an integer" },
	{ "[group g]\npriority = -\n[path a]\ndevice = /dev/loop0\ngroup = g\n",
	  "t.ini:2: priority: '-' is not an integer" },
	{ "[group g]\npriority = +3\n[path a]\ndevice = /dev/loop0\ngroup = g\n",
	  "t.ini:2: priority: '+3' is not an integer" },
	{ "[multipath]\ngarbage\n" PATH_A,
	  "t.ini:2: syntax: cannot parse this line" },
	{ "[multipath]\n= 5\n" PATH_A,
	  "t.ini:2: syntax: cannot parse this line" },
	{ "[path a\ndevice = /dev/loop0\n",
	  "t.ini:1: syntax: cannot parse this line" },
	{ "[path a] junk\ndevice = /dev/loop0\n",
	  "t.ini:1: syntax: cannot parse this line" },
	{ "[path a]]\ndevice = /dev/loop0\n",
	  "t.ini:1: syntax: cannot parse this line" },
	/* no multi-line values: an indented line is not a continuation */
	{ "[path a]\ndevice = /dev/loop0\n    /dev/loop1\n",
	  "t.ini:3: syntax: cannot parse this line" },
	/* inih's refusal comes first even though our handler saw a later error */
	{ "[multipath]\nnonsense\nrr_min_io = x\n" PATH_A,
	  "t.ini:2: syntax: cannot parse this line" },
	{ "[path a]\ndevice = /" X50 X50 X50 X50 "\n",
	  "t.ini:2: syntax: line is longer than 199 characters" },
	/* who may use the mount */
	{ "[multipath]\nallow_other = maybe\n" PATH_A,
	  "t.ini:2: allow_other: unknown value 'maybe'; expected one of no, yes" },
	{ "[multipath]\nallow_other = Yes\n" PATH_A,
	  "t.ini:2: allow_other: unknown value 'Yes'; expected one of no, yes" },
	{ "[multipath]\nallow_other = 1\n" PATH_A,
	  "t.ini:2: allow_other: unknown value '1'; expected one of no, yes" },
	{ "[multipath]\nallow_other = yes\nallow_other = no\n" PATH_A,
	  "t.ini:3: allow_other: given twice in [multipath] (first at line 2)" },
	{ "[multipath]\nallow_other = yes\ncontrol_group = no-such-group-mpathfs\n" PATH_A,
	  "t.ini:3: control_group: no group 'no-such-group-mpathfs' on this system" },
	{ "[multipath]\nallow_other = yes\ncontrol_group = -1\n" PATH_A,
	  "t.ini:3: control_group: no group '-1' on this system" },
	{ "[multipath]\nallow_other = yes\ncontrol_group = 4294967295\n" PATH_A,
	  "t.ini:3: control_group: '4294967295' is out of range 0..4294967294" },
	{ "[multipath]\nallow_other = yes\nstatus_group = 99999999999999999999\n" PATH_A,
	  "t.ini:3: status_group: '99999999999999999999' is out of range 0..4294967294" },
	{ "[multipath]\nallow_other = yes\nstatus_group = " X50 "xxxxxxxxxxxxxx\n" PATH_A,
	  "t.ini:3: status_group: longer than 63 characters" },
	{ "[multipath]\nallow_other = yes\ncontrol_group = wh\x7f" "eel\n" PATH_A,
	  "t.ini:3: control_group: byte 0x7f is not allowed in a group name" },
	{ "[multipath]\ncontrol_group = root\n" PATH_A,
	  "t.ini:2: control_group: needs allow_other = yes: without it no user but root "
	  "can reach the mount" },
	{ "[multipath]\nstatus_group = 0\nallow_other = no\n" PATH_A,
	  "t.ini:2: status_group: needs allow_other = yes: without it no user but root "
	  "can reach the mount" },
	{ "[multipath]\nstatus_mode = 0444\n" PATH_A,
	  "t.ini:2: status_mode: '0444' needs allow_other = yes: without it no user but root "
	  "can reach the mount" },
	{ "[multipath]\nstatus_mode = 0644\n" PATH_A,
	  "t.ini:2: status_mode: unknown mode '0644'; expected one of 0400, 0440, 0444" },
	{ "[multipath]\nstatus_mode = 440\n" PATH_A,
	  "t.ini:2: status_mode: unknown mode '440'; expected one of 0400, 0440, 0444" },
	{ "[multipath]\nstatus_mode = 0200\n" PATH_A,
	  "t.ini:2: status_mode: unknown mode '0200'; expected one of 0400, 0440, 0444" },
	{ "[multipath]\nallow_other = yes\nstatus_group = 0\nstatus_mode = 0400\n" PATH_A,
	  "t.ini:3: status_group: status_mode = 0400 lets the group read nothing; use 0440" },
	{ PATH_A "allow_other = yes\n",
	  "t.ini:3: allow_other: unknown key in [path a]" },
};
#define NR_BAD MP_ARRAY_SIZE(bad_configs)

ParameterizedTestParameters(config, bad)
{
	static size_t idx[NR_BAD];

	for (size_t i = 0; i < NR_BAD; i++)
		idx[i] = i;
	return cr_make_param_array(size_t, idx, NR_BAD);
}

ParameterizedTest(size_t *i, config, bad)
{
	parse_bad(bad_configs[*i].text, bad_configs[*i].err);
}

/* Every message is distinct and on one line. */
Test(config, bad_table_is_sound)
{
	size_t i, j;

	cr_assert_geq(NR_BAD, 25);
	for (i = 0; i < NR_BAD; i++) {
		cr_assert_null(strchr(bad_configs[i].err, '\n'), "%s", bad_configs[i].err);
		for (j = 0; j < i; j++)
			if (strcmp(bad_configs[i].text, bad_configs[j].text) == 0)
				cr_assert_fail("config %zu repeats config %zu", i, j);
	}
}

Test(config, error_buffer_small_or_absent)
{
	char small[12];

	cr_assert_eq(mp_config_parse_string("[path a]\n", "t.ini", &cfg, NULL, 0), -EINVAL);
	cr_assert_eq(mp_config_parse_string("[path a]\n", "t.ini", &cfg, small, sizeof(small)),
		     -EINVAL);
	cr_assert_str_eq(small, "t.ini:1: [p");
}

Test(config, names)
{
	cr_assert_str_eq(mp_checker_name(MP_CHECKER_DIRECTIO), "directio");
	cr_assert_str_eq(mp_checker_name(MP_CHECKER_READSECTOR0), "readsector0");
	cr_assert_str_eq(mp_checker_name(MP_CHECKER_TUR), "tur");
	cr_assert_str_eq(mp_checker_name(MP_CHECKER_NONE), "none");
	cr_assert_str_eq(mp_prio_name(MP_PRIO_CONST), "const");
	cr_assert_str_eq(mp_prio_name(MP_PRIO_ALUA), "alua");
	cr_assert_str_eq(mp_prio_name(MP_PRIO_PATH_LATENCY), "path_latency");
	cr_assert_str_eq(mp_hw_handler_name(MP_HW_HANDLER_NONE), "none");
	cr_assert_str_eq(mp_hw_handler_name(MP_HW_HANDLER_ALUA), "alua");
}

/* Writes text to a new temporary file; returns its name (static buffer). */
static const char *temp_file(const void *data, size_t len)
{
	static char name[] = "/tmp/test-config-XXXXXX";
	int fd = mkstemp(name);

	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, data, len), (ssize_t)len);
	close(fd);
	return name;
}

Test(config, load_file)
{
	const char text[] = "[multipath]\nname = disk7\n[path a]\ndevice = /dev/loop0\n";
	const char *name = temp_file(text, strlen(text));
	int ret = mp_config_load(name, &cfg, err, sizeof(err));

	unlink(name);
	cr_assert_eq(ret, 0, "%s", err);
	cr_assert_str_eq(cfg.file, name);
	cr_assert_str_eq(cfg.name, "disk7");
	check_path(0, "a", "/dev/loop0", "default", 1, 3, 4);
	mp_config_free(&cfg);
}

Test(config, load_bad_file)
{
	const char text[] = "[multipath]\nname = disk7\nrr_min_io = many\n";
	const char *name = temp_file(text, strlen(text));
	char expected[MP_ERRMSG_MAX];
	int ret = mp_config_load(name, &cfg, err, sizeof(err));

	unlink(name);
	cr_assert_eq(ret, -EINVAL);
	snprintf(expected, sizeof(expected), "%s:3: rr_min_io: 'many' is not a whole number",
		 name);
	cr_assert_str_eq(err, expected);
	cr_assert_null(cfg.paths);
}

Test(config, load_refuses_world_writable_file)
{
	const char text[] = "[path a]\ndevice = /dev/loop0\n";
	const char *name = temp_file(text, strlen(text));
	char expected[MP_ERRMSG_MAX];
	int ret;

	cr_assert_eq(chmod(name, 0666), 0);
	ret = mp_config_load(name, &cfg, err, sizeof(err));
	unlink(name);
	cr_assert_eq(ret, -EPERM);
	snprintf(expected, sizeof(expected), "%s: writable by others: refusing it (chmod o-w %s)",
		 name, name);
	cr_assert_str_eq(err, expected);
	cr_assert_null(cfg.paths);
}

Test(config, load_nul_byte)
{
	const char text[] = "[path a]\ndevice = /dev/loop0\n\0[path b]\n";
	const char *name = temp_file(text, sizeof(text) - 1);
	char expected[MP_ERRMSG_MAX];
	int ret = mp_config_load(name, &cfg, err, sizeof(err));

	unlink(name);
	cr_assert_eq(ret, -EINVAL);
	snprintf(expected, sizeof(expected), "%s: not a text file (it contains a NUL byte)",
		 name);
	cr_assert_str_eq(err, expected);
	cr_assert_null(cfg.paths);
}

Test(config, load_missing)
{
	int ret = mp_config_load("/nonexistent/mpath.ini", &cfg, err, sizeof(err));

	cr_assert_eq(ret, -ENOENT);
	cr_assert_str_eq(err, "/nonexistent/mpath.ini: cannot read: No such file or directory");
	cr_assert_null(cfg.paths);
	cr_assert_eq(cfg.nr_paths, 0);
	mp_config_free(&cfg);
}

/* Not a regular file: refused at once, a FIFO without waiting for a writer. */
Test(config, load_fifo_and_device)
{
	/* room for the "/f" appended below (ASan: the bare template overflowed) */
	char name[64] = "/tmp/test-config-fifo-XXXXXX";
	char expected[MP_ERRMSG_MAX];
	int ret;

	cr_assert_not_null(mkdtemp(name));
	strcat(name, "/f");
	cr_assert_eq(mkfifo(name, 0600), 0);
	ret = mp_config_load(name, &cfg, err, sizeof(err));
	unlink(name);
	*strrchr(name, '/') = '\0';
	rmdir(name);
	cr_assert_eq(ret, -EINVAL);
	snprintf(expected, sizeof(expected), "%s/f: not a regular file", name);
	cr_assert_str_eq(err, expected);

	cr_assert_eq(mp_config_load("/dev/zero", &cfg, err, sizeof(err)), -EINVAL);
	cr_assert_str_eq(err, "/dev/zero: not a regular file");
	cr_assert_null(cfg.paths);
}

Test(config, load_directory)
{
	int ret = mp_config_load("/tmp", &cfg, err, sizeof(err));

	cr_assert_eq(ret, -EISDIR);
	cr_assert_str_eq(err, "/tmp: cannot read: Is a directory");
}
