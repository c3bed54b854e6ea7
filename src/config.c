// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The INI configuration, parsed with inih.
 *
 * inih as Debian builds it gives the handler no line numbers, truncates
 * section names to 49 characters, never reports an empty section, takes an
 * indented line as the continuation of the previous value and ignores text
 * after a section's ']'. So inih reads through our own line reader, which
 * counts lines, drops comments and blanks (no line reaches inih indented,
 * so there are no multi-line values) and handles every "[...]" line itself.
 * inih is left to split "key = value" and to refuse lines that are neither.
 *
 * Only the first problem is kept, as "FILE:LINE: KEY: PROBLEM", and reading
 * stops there.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sys/stat.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ini.h>

#include "mpathfs/config.h"
#include "mpathfs/log.h"
#include "mpathfs/selector.h"
#include "mpathfs/util.h"

#define MAX_PRIORITY 1000000
/* A config is a few KiB: do not slurp a disk given by mistake. */
#define MAX_FILE_SIZE (1 << 20)
#define DEFAULT_GROUP "default"
#define NAME_CHARS "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-"
#define SECTIONS_EXPECTED "expected [multipath], [group NAME] or [path NAME]"

static const char *const checker_names[] = {
	[MP_CHECKER_DIRECTIO] = "directio",
	[MP_CHECKER_READSECTOR0] = "readsector0",
	[MP_CHECKER_TUR] = "tur",
	[MP_CHECKER_NONE] = "none",
};

static const char *const hw_handler_names[] = {
	[MP_HW_HANDLER_NONE] = "none",
	[MP_HW_HANDLER_ALUA] = "alua",
};

static const char *const prio_names[] = {
	[MP_PRIO_CONST] = "const",
	[MP_PRIO_ALUA] = "alua",
	[MP_PRIO_PATH_LATENCY] = "path_latency",
};

static const char *const grouping_names[] = {
	[MP_GROUPING_NONE] = "none",
	[MP_GROUPING_FAILOVER] = "failover",
	[MP_GROUPING_MULTIBUS] = "multibus",
	[MP_GROUPING_GROUP_BY_PRIO] = "group_by_prio",
};

static const char *const yes_no[] = { "no", "yes" };

/* Read bits only: status, table, metrics and events are never writable. */
static const char *const status_mode_names[] = { "0400", "0440", "0444" };
static const unsigned status_modes[] = { 0400, 0440, 0444 };

/* The other files of the mount: the device may not take their names. */
static const char *const reserved_names[] = {
	"control", "status", "table", "metrics", "events",
};

enum sect_kind { SECT_NONE, SECT_MULTIPATH, SECT_GROUP, SECT_PATH };

/* Index of each key in its section's table below. */
enum {
	MK_NAME, MK_PATH_SELECTOR, MK_RR_MIN_IO, MK_NO_PATH_RETRY, MK_FAILBACK,
	MK_PATH_CHECKER, MK_POLLING_INTERVAL, MK_MAX_POLLING_INTERVAL,
	MK_CHECKER_TIMEOUT, MK_IO_TIMEOUT, MK_SCSI_TIMEOUT, MK_HARDWARE_HANDLER, MK_PRIO,
	MK_PG_INIT_RETRIES, MK_PG_INIT_DELAY_MSECS, MK_MAX_IO_MEMORY_MB,
	MK_FLAP_THRESHOLD, MK_FLAP_WINDOW, MK_FLAP_HOLDOFF, MK_PATH_GROUPING_POLICY,
	MK_ALLOW_OTHER, MK_CONTROL_GROUP, MK_STATUS_GROUP, MK_STATUS_MODE,
	MK_COUNT
};
enum { GK_PRIORITY, GK_PATH_SELECTOR, GK_COUNT };
enum { PK_DEVICE, PK_GROUP, PK_WEIGHT, PK_COUNT };

/* Where each key of one section was given: 0 = not yet. */
struct sect {
	int key_line[MK_COUNT];
};

struct parser {
	struct mp_config *cfg;
	const char *next;		/* rest of the text */
	int lineno;			/* line last handed to inih */
	enum sect_kind kind;		/* section the next keys belong to */
	unsigned cur;			/* its index in cfg->groups or cfg->paths */
	struct sect *sect;		/* and its bookkeeping */
	char hdr[MP_NAME_MAX + 16];	/* "[path NAME]", for messages */
	struct sect mp, groups[MP_MAX_GROUPS], paths[MP_MAX_PATHS];
	int mp_line;			/* of [multipath], 0 = not seen */
	bool failed;
	int err_line;
	int ret;			/* -errno once failed */
	char *err;
	size_t errlen;
};

struct key {
	const char *name;
	int (*set)(struct parser *p, const struct key *k, void *obj, const char *val);
	size_t off;			/* field for set_uint and set_selector */
	unsigned long long min, max;	/* range for set_uint */
};

/*
 * Record the problem as "FILE:LINE: KEY: PROBLEM", or "FILE: PROBLEM" when
 * it is about the whole file (no key). Returns 0, inih's "error".
 */
static int __attribute__((format(printf, 4, 5)))
fail(struct parser *p, int line, const char *key, const char *fmt, ...)
{
	char msg[MP_ERRMSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (key)
		snprintf(p->err, p->errlen, "%s:%d: %s: %s", p->cfg->file, line, key, msg);
	else
		snprintf(p->err, p->errlen, "%s: %s", p->cfg->file, msg);
	p->failed = true;
	p->err_line = line;
	p->ret = -EINVAL;
	return 0;
}

/*
 * Names become file names in the mount and words in control commands and
 * status lines, so they keep to characters that need no quoting.
 */
static bool check_name(struct parser *p, const char *key, const char *name)
{
	size_t n = strspn(name, NAME_CHARS);
	unsigned char c = (unsigned char)name[n];

	if (strlen(name) >= MP_NAME_MAX)
		return fail(p, p->lineno, key, "bad name '%s': longer than %d characters",
			    name, MP_NAME_MAX - 1);
	if (c && isprint(c))
		return fail(p, p->lineno, key,
			    "bad name '%s': character '%c' is not allowed; use A-Z a-z 0-9 . _ -",
			    name, c);
	if (c)
		return fail(p, p->lineno, key,
			    "bad name '%s': byte 0x%02x is not allowed; use A-Z a-z 0-9 . _ -",
			    name, c);
	if (name[0] == '.')
		return fail(p, p->lineno, key, "bad name '%s': must not start with '.'", name);
	return true;
}

/* A number in min..max; `expected` says what the value should have been. */
static bool get_uint(struct parser *p, const char *key, const char *val,
		     unsigned long long min, unsigned long long max,
		     const char *expected, unsigned long long *v)
{
	int ret = mp_parse_uint(val, min, max, v);

	if (ret == -EINVAL)
		return fail(p, p->lineno, key, "'%s' is not %s", val, expected);
	if (ret)
		return fail(p, p->lineno, key, "'%s' is out of range %llu..%llu", val, min, max);
	return true;
}

/* Index of val in words, or -1 after reporting it with the choices. */
static int get_word(struct parser *p, const char *key, const char *val, const char *what,
		    const char *const *words, size_t n)
{
	char list[128];
	size_t i, len = 0;

	for (i = 0; i < n; i++)
		if (!strcmp(val, words[i]))
			return (int)i;
	for (i = 0; i < n; i++)
		mp_buf_printf(list, sizeof(list), &len, "%s%s", i ? ", " : "", words[i]);
	fail(p, p->lineno, key, "unknown %s '%s'; expected one of %s", what, val, list);
	return -1;
}

static int set_uint(struct parser *p, const struct key *k, void *obj, const char *val)
{
	unsigned long long v;

	if (!get_uint(p, k->name, val, k->min, k->max, "a whole number", &v))
		return 0;
	*(unsigned *)((char *)obj + k->off) = (unsigned)v;
	return 1;
}

static int set_selector(struct parser *p, const struct key *k, void *obj, const char *val)
{
	const struct mp_selector_ops *ops = mp_selector_find(val);

	if (!ops)
		return fail(p, p->lineno, k->name, "unknown selector '%s'; expected one of %s",
			    val, mp_selector_names());
	snprintf((char *)obj + k->off, MP_NAME_MAX, "%s", ops->name);
	return 1;
}

static int set_map_name(struct parser *p, const struct key *k, void *obj, const char *val)
{
	struct mp_config *cfg = obj;
	size_t i;

	if (!check_name(p, k->name, val))
		return 0;
	for (i = 0; i < MP_ARRAY_SIZE(reserved_names); i++)
		if (!strcmp(val, reserved_names[i]))
			return fail(p, p->lineno, k->name,
				    "'%s' is taken by a file of the mount; choose another name",
				    val);
	snprintf(cfg->name, sizeof(cfg->name), "%s", val);
	return 1;
}

static int set_no_path_retry(struct parser *p, const struct key *k, void *obj,
			     const char *val)
{
	struct mp_config *cfg = obj;
	unsigned long long v;

	if (!strcmp(val, "queue")) {
		cfg->no_path_retry = MP_NO_PATH_RETRY_QUEUE;
	} else if (!strcmp(val, "fail")) {
		cfg->no_path_retry = MP_NO_PATH_RETRY_FAIL;
	} else {
		if (!get_uint(p, k->name, val, 1, 1000000,
			      "queue, fail or a whole number", &v))
			return 0;
		cfg->no_path_retry = (int)v;
	}
	return 1;
}

static int set_failback(struct parser *p, const struct key *k, void *obj, const char *val)
{
	struct mp_config *cfg = obj;
	unsigned long long v;

	if (!strcmp(val, "immediate")) {
		cfg->failback = MP_FAILBACK_IMMEDIATE;
	} else if (!strcmp(val, "manual")) {
		cfg->failback = MP_FAILBACK_MANUAL;
	} else if (!strcmp(val, "followover")) {
		cfg->failback = MP_FAILBACK_FOLLOWOVER;
	} else {
		if (!get_uint(p, k->name, val, 0, 86400,
			      "immediate, manual, followover or a whole number of seconds", &v))
			return 0;
		cfg->failback = (int)v;
	}
	return 1;
}

static int set_checker(struct parser *p, const struct key *k, void *obj, const char *val)
{
	int i = get_word(p, k->name, val, "checker", checker_names,
			 MP_ARRAY_SIZE(checker_names));

	if (i < 0)
		return 0;
	((struct mp_config *)obj)->path_checker = (enum mp_checker_kind)i;
	return 1;
}

static int set_hw_handler(struct parser *p, const struct key *k, void *obj, const char *val)
{
	int i = get_word(p, k->name, val, "handler", hw_handler_names,
			 MP_ARRAY_SIZE(hw_handler_names));

	if (i < 0)
		return 0;
	((struct mp_config *)obj)->hardware_handler = (enum mp_hw_handler)i;
	return 1;
}

static int set_prio(struct parser *p, const struct key *k, void *obj, const char *val)
{
	int i = get_word(p, k->name, val, "prioritizer", prio_names,
			 MP_ARRAY_SIZE(prio_names));

	if (i < 0)
		return 0;
	((struct mp_config *)obj)->prio = (enum mp_prio_kind)i;
	return 1;
}

static int set_grouping(struct parser *p, const struct key *k, void *obj, const char *val)
{
	int i = get_word(p, k->name, val, "policy", grouping_names,
			 MP_ARRAY_SIZE(grouping_names));

	if (i < 0)
		return 0;
	((struct mp_config *)obj)->path_grouping_policy = (enum mp_grouping)i;
	return 1;
}

/* mp_parse_uint refuses signs, and a priority may be negative. */
static int set_priority(struct parser *p, const struct key *k, void *obj, const char *val)
{
	bool neg = val[0] == '-';
	unsigned long long v;
	int ret = mp_parse_uint(val + neg, 0, MAX_PRIORITY, &v);

	if (ret == -EINVAL)
		return fail(p, p->lineno, k->name, "'%s' is not an integer", val);
	if (ret)
		return fail(p, p->lineno, k->name, "'%s' is out of range %d..%d",
			    val, -MAX_PRIORITY, MAX_PRIORITY);
	((struct mp_config_group *)obj)->priority = neg ? -(int)v : (int)v;
	return 1;
}

static int set_device(struct parser *p, const struct key *k, void *obj, const char *val)
{
	struct mp_config_path *path = obj;
	unsigned i;

	if (strlen(val) >= MP_DEV_MAX)
		return fail(p, p->lineno, k->name, "longer than %d characters", MP_DEV_MAX - 1);
	/* the current path is the last one: compare with those before it */
	for (i = 0; i < p->cur; i++)
		if (!strcmp(p->cfg->paths[i].device, val))
			return fail(p, p->lineno, k->name, "'%s' is already the device of [path %s]",
				    val, p->cfg->paths[i].name);
	snprintf(path->device, sizeof(path->device), "%s", val);
	path->device_line = p->lineno;
	return 1;
}

/* Whether the group exists is known only at the end of the file. */
static int set_path_group(struct parser *p, const struct key *k, void *obj, const char *val)
{
	struct mp_config_path *path = obj;

	if (!check_name(p, k->name, val))
		return 0;
	snprintf(path->group, sizeof(path->group), "%s", val);
	return 1;
}

static int set_allow_other(struct parser *p, const struct key *k, void *obj, const char *val)
{
	int i = get_word(p, k->name, val, "value", yes_no, MP_ARRAY_SIZE(yes_no));

	if (i < 0)
		return 0;
	((struct mp_config *)obj)->allow_other = i;
	return 1;
}

/*
 * A group name, looked up now so a typo is refused at start, or a number
 * (a gid need not be in the group database).
 */
static int set_gid(struct parser *p, const char *key, const char *val, char *name,
		   unsigned *gid)
{
	size_t i, size = 4096;
	struct group gr, *res = NULL;
	unsigned long long v;
	char *buf = NULL;
	int r;

	if (strlen(val) >= MP_NAME_MAX)
		return fail(p, p->lineno, key, "longer than %d characters", MP_NAME_MAX - 1);
	for (i = 0; val[i]; i++)
		if (!isprint((unsigned char)val[i]))
			return fail(p, p->lineno, key, "byte 0x%02x is not allowed in a group name",
				    (unsigned char)val[i]);
	if (strspn(val, "0123456789") == strlen(val)) {
		/* (gid_t)-1 means "no change" to chown and is no gid */
		if (!get_uint(p, key, val, 0, 4294967294u, "a gid", &v))
			return 0;
		*gid = (unsigned)v;
		snprintf(name, MP_NAME_MAX, "%s", val);
		return 1;
	}
	do {
		char *nb = realloc(buf, size *= 2);

		if (!nb) {
			r = ENOMEM;
			break;
		}
		buf = nb;
		r = getgrnam_r(val, &gr, buf, size, &res);
	} while (r == ERANGE && size < (1u << 20));
	if (res)
		*gid = (unsigned)res->gr_gid;
	free(buf);
	/* some NSS modules say "not found" with an error (getgrnam_r(3)) */
	if (!res && (!r || r == ENOENT || r == ESRCH || r == EBADF || r == EPERM))
		return fail(p, p->lineno, key, "no group '%s' on this system", val);
	if (!res)
		return fail(p, p->lineno, key, "cannot look up group '%s': %s", val, mp_errstr(-r));
	snprintf(name, MP_NAME_MAX, "%s", val);
	return 1;
}

static int set_control_group(struct parser *p, const struct key *k, void *obj, const char *val)
{
	struct mp_config *cfg = obj;

	return set_gid(p, k->name, val, cfg->control_group, &cfg->control_gid);
}

static int set_status_group(struct parser *p, const struct key *k, void *obj, const char *val)
{
	struct mp_config *cfg = obj;

	return set_gid(p, k->name, val, cfg->status_group, &cfg->status_gid);
}

static int set_status_mode(struct parser *p, const struct key *k, void *obj, const char *val)
{
	int i = get_word(p, k->name, val, "mode", status_mode_names,
			 MP_ARRAY_SIZE(status_mode_names));

	if (i < 0)
		return 0;
	((struct mp_config *)obj)->status_mode = status_modes[i];
	return 1;
}

#define MP_OFF(field) offsetof(struct mp_config, field)
static const struct key multipath_keys[MK_COUNT] = {
	[MK_NAME] = { "name", set_map_name, 0, 0, 0 },
	[MK_PATH_SELECTOR] = { "path_selector", set_selector, MP_OFF(path_selector), 0, 0 },
	[MK_RR_MIN_IO] = { "rr_min_io", set_uint, MP_OFF(rr_min_io), 1, 1000000 },
	[MK_NO_PATH_RETRY] = { "no_path_retry", set_no_path_retry, 0, 0, 0 },
	[MK_FAILBACK] = { "failback", set_failback, 0, 0, 0 },
	[MK_PATH_CHECKER] = { "path_checker", set_checker, 0, 0, 0 },
	[MK_POLLING_INTERVAL] = { "polling_interval", set_uint,
				  MP_OFF(polling_interval), 1, 3600 },
	/* up to the 4 * polling_interval it defaults to at most */
	[MK_MAX_POLLING_INTERVAL] = { "max_polling_interval", set_uint,
				      MP_OFF(max_polling_interval), 1, 4 * 3600 },
	[MK_CHECKER_TIMEOUT] = { "checker_timeout", set_uint, MP_OFF(checker_timeout), 1, 600 },
	[MK_IO_TIMEOUT] = { "io_timeout", set_uint, MP_OFF(io_timeout), 1, 3600 },
	[MK_SCSI_TIMEOUT] = { "scsi_timeout", set_uint, MP_OFF(scsi_timeout), 0, 3600 },
	[MK_HARDWARE_HANDLER] = { "hardware_handler", set_hw_handler, 0, 0, 0 },
	[MK_PRIO] = { "prio", set_prio, 0, 0, 0 },
	[MK_PG_INIT_RETRIES] = { "pg_init_retries", set_uint, MP_OFF(pg_init_retries), 0, 50 },
	[MK_PG_INIT_DELAY_MSECS] = { "pg_init_delay_msecs", set_uint,
				     MP_OFF(pg_init_delay_msecs), 0, 60000 },
	[MK_MAX_IO_MEMORY_MB] = { "max_io_memory_mb", set_uint,
				  MP_OFF(max_io_memory_mb), 16, 65536 },
	[MK_FLAP_THRESHOLD] = { "flap_threshold", set_uint, MP_OFF(flap_threshold), 0, 100 },
	[MK_FLAP_WINDOW] = { "flap_window", set_uint, MP_OFF(flap_window), 1, 86400 },
	[MK_FLAP_HOLDOFF] = { "flap_holdoff", set_uint, MP_OFF(flap_holdoff), 1, 86400 },
	[MK_PATH_GROUPING_POLICY] = { "path_grouping_policy", set_grouping, 0, 0, 0 },
	[MK_ALLOW_OTHER] = { "allow_other", set_allow_other, 0, 0, 0 },
	[MK_CONTROL_GROUP] = { "control_group", set_control_group, 0, 0, 0 },
	[MK_STATUS_GROUP] = { "status_group", set_status_group, 0, 0, 0 },
	[MK_STATUS_MODE] = { "status_mode", set_status_mode, 0, 0, 0 },
};

static const struct key group_keys[GK_COUNT] = {
	[GK_PRIORITY] = { "priority", set_priority, 0, 0, 0 },
	[GK_PATH_SELECTOR] = { "path_selector", set_selector,
			       offsetof(struct mp_config_group, selector), 0, 0 },
};

static const struct key path_keys[PK_COUNT] = {
	[PK_DEVICE] = { "device", set_device, 0, 0, 0 },
	[PK_GROUP] = { "group", set_path_group, 0, 0, 0 },
	[PK_WEIGHT] = { "weight", set_uint, offsetof(struct mp_config_path, weight), 1, 1000000 },
};

static int on_key(void *user, const char *section, const char *name, const char *value)
{
	struct parser *p = user;
	const struct key *keys;
	size_t i, n;
	void *obj;

	(void)section;	/* inih's copy may be truncated: read_line keeps the real one */
	if (!name[0])
		return fail(p, p->lineno, "syntax", "cannot parse this line");
	switch (p->kind) {
	case SECT_MULTIPATH:
		keys = multipath_keys;
		n = MK_COUNT;
		obj = p->cfg;
		break;
	case SECT_GROUP:
		keys = group_keys;
		n = GK_COUNT;
		obj = &p->cfg->groups[p->cur];
		break;
	case SECT_PATH:
		keys = path_keys;
		n = PK_COUNT;
		obj = &p->cfg->paths[p->cur];
		break;
	default:
		return fail(p, p->lineno, name, "key before the first section; " SECTIONS_EXPECTED);
	}
	for (i = 0; i < n && strcmp(keys[i].name, name); i++)
		;
	if (i == n)
		return fail(p, p->lineno, name, "unknown key in %s", p->hdr);
	if (p->sect->key_line[i])
		return fail(p, p->lineno, name, "given twice in %s (first at line %d)",
			    p->hdr, p->sect->key_line[i]);
	p->sect->key_line[i] = p->lineno;
	if (!value[0])
		return fail(p, p->lineno, name, "no value given");
	return keys[i].set(p, &keys[i], obj, value);
}

/* Make room for one more zeroed element at the end of *arr. */
static int grow(void **arr, unsigned n, size_t size)
{
	char *a = realloc(*arr, (n + 1) * size);

	if (!a)
		return -ENOMEM;
	memset(a + n * size, 0, size);
	*arr = a;
	return 0;
}

static void open_group(struct parser *p, const char *key, const char *name)
{
	struct mp_config *cfg = p->cfg;
	struct mp_config_group *g;
	unsigned i;

	for (i = 0; i < cfg->nr_groups; i++)
		if (!strcmp(cfg->groups[i].name, name)) {
			fail(p, p->lineno, key, "section given twice (first at line %d)",
			     cfg->groups[i].line);
			return;
		}
	if (cfg->nr_groups == MP_MAX_GROUPS) {
		fail(p, p->lineno, key, "too many groups (at most %d)", MP_MAX_GROUPS);
		return;
	}
	if (grow((void **)&cfg->groups, cfg->nr_groups, sizeof(*cfg->groups))) {
		fail(p, p->lineno, key, "%s", mp_errstr(-ENOMEM));
		p->ret = -ENOMEM;
		return;
	}
	g = &cfg->groups[cfg->nr_groups];
	memcpy(g->name, name, strlen(name) + 1);	/* check_name kept it short */
	g->line = p->lineno;
	p->cur = cfg->nr_groups++;
	p->sect = &p->groups[p->cur];
	p->kind = SECT_GROUP;
	snprintf(p->hdr, sizeof(p->hdr), "[group %s]", g->name);
}

static void open_path(struct parser *p, const char *key, const char *name)
{
	struct mp_config *cfg = p->cfg;
	struct mp_config_path *path;
	unsigned i;

	for (i = 0; i < cfg->nr_paths; i++)
		if (!strcmp(cfg->paths[i].name, name)) {
			fail(p, p->lineno, key, "section given twice (first at line %d)",
			     cfg->paths[i].line);
			return;
		}
	if (cfg->nr_paths == MP_MAX_PATHS) {
		fail(p, p->lineno, key, "too many paths (at most %d)", MP_MAX_PATHS);
		return;
	}
	if (grow((void **)&cfg->paths, cfg->nr_paths, sizeof(*cfg->paths))) {
		fail(p, p->lineno, key, "%s", mp_errstr(-ENOMEM));
		p->ret = -ENOMEM;
		return;
	}
	path = &cfg->paths[cfg->nr_paths];
	memcpy(path->name, name, strlen(name) + 1);	/* check_name kept it short */
	path->weight = 1;
	path->line = p->lineno;
	p->cur = cfg->nr_paths++;
	p->sect = &p->paths[p->cur];
	p->kind = SECT_PATH;
	snprintf(p->hdr, sizeof(p->hdr), "[path %s]", path->name);
}

static bool word_is(const char *s, size_t n, const char *word)
{
	return strlen(word) == n && !memcmp(s, word, n);
}

/* s[0..len) is a whole line, trimmed, that starts with '['. */
static void open_section(struct parser *p, const char *s, size_t len)
{
	char key[256], name[256];
	size_t tlen, nlen;
	const char *n;

	/* inih would ignore text after the ']': refuse it */
	if (len < 2 || s[len - 1] != ']' || memchr(s + 1, ']', len - 2)) {
		fail(p, p->lineno, "syntax", "cannot parse this line");
		return;
	}
	s++;
	len -= 2;
	while (len && isspace((unsigned char)*s))
		s++, len--;
	while (len && isspace((unsigned char)s[len - 1]))
		len--;
	snprintf(key, sizeof(key), "[%.*s]", (int)len, s);
	for (tlen = 0; tlen < len && !isspace((unsigned char)s[tlen]); tlen++)
		;
	for (n = s + tlen, nlen = len - tlen; nlen && isspace((unsigned char)*n); n++, nlen--)
		;
	snprintf(name, sizeof(name), "%.*s", (int)nlen, n);

	if (word_is(s, tlen, "multipath")) {
		if (nlen) {
			fail(p, p->lineno, key, "[multipath] takes no name");
		} else if (p->mp_line) {
			fail(p, p->lineno, key, "section given twice (first at line %d)", p->mp_line);
		} else {
			p->mp_line = p->lineno;
			p->sect = &p->mp;
			p->kind = SECT_MULTIPATH;
			snprintf(p->hdr, sizeof(p->hdr), "[multipath]");
		}
	} else if (word_is(s, tlen, "group") || word_is(s, tlen, "path")) {
		if (!nlen)
			fail(p, p->lineno, key, "no name given; expected [%.*s NAME]", (int)tlen, s);
		else if (!check_name(p, key, name))
			return;
		else if (word_is(s, tlen, "group"))
			open_group(p, key, name);
		else
			open_path(p, key, name);
	} else {
		fail(p, p->lineno, key, "unknown section; " SECTIONS_EXPECTED);
	}
}

/*
 * Drop blanks and comments as inih would: a line whose first non-blank is
 * ';' or '#' is a comment, and so is the rest of a line from a ';' after a
 * blank. Stripping the indentation here keeps inih from taking an indented
 * key as the continuation of the previous value.
 */
static void trim_line(const char **sp, const char **ep)
{
	const char *s = *sp, *e = *ep, *c;

	while (s < e && isspace((unsigned char)*s))
		s++;
	if (s < e && (*s == ';' || *s == '#'))
		e = s;
	for (c = s + 1; c < e; c++)
		if (*c == ';' && isspace((unsigned char)c[-1])) {
			e = c;
			break;
		}
	while (e > s && isspace((unsigned char)e[-1]))
		e--;
	*sp = s;
	*ep = e;
}

/* inih's fgets-like reader: one line of the text per call, counted. */
static char *read_line(char *buf, int size, void *stream)
{
	struct parser *p = stream;
	const char *s = p->next, *e;
	size_t len;

	if (p->failed || !*s)
		return NULL;
	e = s + strcspn(s, "\n");
	p->next = *e ? e + 1 : e;
	p->lineno++;
	trim_line(&s, &e);
	len = (size_t)(e - s);
	if (len >= (size_t)size) {
		fail(p, p->lineno, "syntax", "line is longer than %d characters", size - 1);
		return NULL;
	}
	if (len && *s == '[') {
		open_section(p, s, len);
		len = 0;	/* inih has nothing to do with it */
	}
	memcpy(buf, s, len);
	buf[len] = '\0';
	return buf;
}

/* Checks that need the whole file. */
static void finish(struct parser *p)
{
	struct mp_config *cfg = p->cfg;
	const struct sect *mp = &p->mp;
	char key[MP_NAME_MAX + 16];
	unsigned i, j;

	if (!cfg->nr_paths) {
		fail(p, 0, NULL, "no [path] sections");
		return;
	}
	if (cfg->path_grouping_policy != MP_GROUPING_NONE) {
		/* the policy makes the groups: hand-made ones would be thrown away */
		if (cfg->nr_groups) {
			snprintf(key, sizeof(key), "[group %s]", cfg->groups[0].name);
			fail(p, cfg->groups[0].line, key, "not allowed with path_grouping_policy = %s, "
			     "which makes the groups", grouping_names[cfg->path_grouping_policy]);
			return;
		}
		for (i = 0; i < cfg->nr_paths; i++) {
			if (cfg->paths[i].group[0]) {
				fail(p, p->paths[i].key_line[PK_GROUP], "group",
				     "not allowed with path_grouping_policy = %s, which makes the groups",
				     grouping_names[cfg->path_grouping_policy]);
				return;
			}
		}
	}
	for (i = 0; i < cfg->nr_paths; i++) {
		struct mp_config_path *path = &cfg->paths[i];

		snprintf(key, sizeof(key), "[path %s]", path->name);
		if (!path->device[0]) {
			fail(p, path->line, key, "no device given");
			return;
		}
		if (path->group[0] && mp_config_group_index(cfg, path->group) < 0) {
			fail(p, p->paths[i].key_line[PK_GROUP], "group",
			     "unknown group '%s'; there is no [group %s]", path->group, path->group);
			return;
		}
		if (!path->group[0] && mp_config_group_index(cfg, DEFAULT_GROUP) < 0) {
			/* a path with no group goes to an implicit group "default" */
			if (cfg->nr_groups == MP_MAX_GROUPS) {
				fail(p, path->line, key,
				     "no group given, and the implicit group '" DEFAULT_GROUP
				     "' would make too many groups (at most %d)", MP_MAX_GROUPS);
				return;
			}
			if (grow((void **)&cfg->groups, cfg->nr_groups, sizeof(*cfg->groups))) {
				fail(p, 0, NULL, "%s", mp_errstr(-ENOMEM));
				p->ret = -ENOMEM;
				return;
			}
			snprintf(cfg->groups[cfg->nr_groups++].name, MP_NAME_MAX, DEFAULT_GROUP);
		}
		if (!path->group[0])
			snprintf(path->group, sizeof(path->group), DEFAULT_GROUP);
	}
	for (i = 0; i < cfg->nr_groups; i++) {
		for (j = 0; j < cfg->nr_paths; j++)
			if (!strcmp(cfg->paths[j].group, cfg->groups[i].name))
				break;
		if (j == cfg->nr_paths) {
			snprintf(key, sizeof(key), "[group %s]", cfg->groups[i].name);
			fail(p, cfg->groups[i].line, key, "no path is in this group");
			return;
		}
	}
	if (!mp->key_line[MK_MAX_POLLING_INTERVAL]) {
		/* multipathd backs off to 4 * polling_interval; we keep 20 s unless that is less */
		if (cfg->polling_interval > 20)
			cfg->max_polling_interval = 4 * cfg->polling_interval;
	} else if (cfg->max_polling_interval < cfg->polling_interval) {
		fail(p, mp->key_line[MK_MAX_POLLING_INTERVAL], "max_polling_interval",
		     "'%u' is less than polling_interval (%u)",
		     cfg->max_polling_interval, cfg->polling_interval);
		return;
	}
	/* a grant nobody can use would only mislead whoever reads the file */
	if (!cfg->allow_other) {
		static const int grants[] = { MK_CONTROL_GROUP, MK_STATUS_GROUP };

		for (i = 0; i < MP_ARRAY_SIZE(grants); i++)
			if (mp->key_line[grants[i]]) {
				fail(p, mp->key_line[grants[i]], multipath_keys[grants[i]].name,
				     "needs allow_other = yes: without it no user but root "
				     "can reach the mount");
				return;
			}
		if (cfg->status_mode & 0004) {
			fail(p, mp->key_line[MK_STATUS_MODE], "status_mode",
			     "'%04o' needs allow_other = yes: without it no user but root "
			     "can reach the mount", cfg->status_mode);
			return;
		}
	}
	if (cfg->status_group[0] && !(cfg->status_mode & 0040))
		fail(p, mp->key_line[MK_STATUS_GROUP], "status_group",
		     "status_mode = %04o lets the group read nothing; use 0440",
		     cfg->status_mode);
}

void mp_config_defaults(struct mp_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	snprintf(cfg->name, sizeof(cfg->name), "mpatha");
	snprintf(cfg->path_selector, sizeof(cfg->path_selector), "service-time");
	cfg->rr_min_io = 1;
	cfg->no_path_retry = MP_NO_PATH_RETRY_QUEUE;
	cfg->failback = MP_FAILBACK_IMMEDIATE;
	cfg->path_checker = MP_CHECKER_DIRECTIO;
	cfg->polling_interval = 5;
	cfg->max_polling_interval = 20;
	cfg->checker_timeout = 2;
	cfg->io_timeout = 10;
	cfg->hardware_handler = MP_HW_HANDLER_NONE;
	cfg->prio = MP_PRIO_CONST;
	cfg->pg_init_retries = 0;
	cfg->pg_init_delay_msecs = 2000;
	cfg->max_io_memory_mb = 256;
	cfg->flap_threshold = 3;
	cfg->flap_window = 60;
	cfg->flap_holdoff = 30;
	cfg->path_grouping_policy = MP_GROUPING_NONE;
	cfg->allow_other = false;
	cfg->status_mode = 0440;
}

int mp_config_parse_string(const char *text, const char *fname,
			   struct mp_config *cfg, char *err, size_t errlen)
{
	struct parser *p;
	int ret;

	mp_config_defaults(cfg);
	snprintf(cfg->file, sizeof(cfg->file), "%s", fname);
	if (errlen)
		err[0] = '\0';
	/* about 7 KiB of bookkeeping: keep it off the caller's stack */
	p = calloc(1, sizeof(*p));
	if (!p) {
		snprintf(err, errlen, "%s: %s", fname, mp_errstr(-ENOMEM));
		return -ENOMEM;
	}
	p->cfg = cfg;
	p->err = err;
	p->errlen = errlen;
	/* inih skips a UTF-8 BOM only on a line it parses, and "[" lines are ours */
	if (!strncmp(text, "\xef\xbb\xbf", 3))
		text += 3;
	p->next = text;

	ret = ini_parse_stream(read_line, p, on_key, p);
	if (ret < 0) {
		/* -2: inih could not allocate its line buffer */
		fail(p, 0, NULL, "%s", mp_errstr(-ENOMEM));
		p->ret = -ENOMEM;
	} else if (ret > 0 && (!p->failed || ret < p->err_line)) {
		/* inih refused a line (not key = value) before any problem of ours */
		fail(p, ret, "syntax", "cannot parse this line");
	} else if (!p->failed) {
		finish(p);
	}
	ret = p->failed ? p->ret : 0;
	if (ret)
		mp_config_free(cfg);
	free(p);
	return ret;
}

/*
 * Read the whole file into a string: it is small, and one reader then
 * serves files and strings alike. Returns its length or -errno.
 */
static ssize_t read_file(const char *file, char **out)
{
	size_t len = 0, cap = 4096;
	char *buf, *nb;
	ssize_t n;
	int fd;

	/* O_NONBLOCK: a FIFO given by mistake must not hang the start */
	fd = open(file, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	{
		struct stat st;
		int r = 0;

		if (fstat(fd, &st) < 0)
			r = -errno;
		else if (S_ISDIR(st.st_mode))
			r = -EISDIR;
		else if (!S_ISREG(st.st_mode))
			r = -EINVAL;	/* a device, FIFO or socket: and reload must re-read it */
		else if (st.st_mode & S_IWOTH)
			r = -EPERM;	/* anyone who can write it could point us at any device */
		if (r) {
			close(fd);
			return r;
		}
	}
	buf = malloc(cap);
	if (!buf) {
		n = -ENOMEM;
		goto out;
	}
	for (;;) {
		if (len > MAX_FILE_SIZE) {
			n = -EFBIG;
			goto out;
		}
		if (cap - len < 2) {
			nb = realloc(buf, cap * 2);
			if (!nb) {
				n = -ENOMEM;
				goto out;
			}
			buf = nb;
			cap *= 2;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			n = -errno;
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	*out = buf;
	buf = NULL;
	n = (ssize_t)len;
out:
	free(buf);
	close(fd);
	return n;
}

int mp_config_load(const char *file, struct mp_config *cfg, char *err, size_t errlen)
{
	char *text = NULL;
	ssize_t len;
	int ret;

	len = read_file(file, &text);
	if (len < 0) {
		mp_config_defaults(cfg);
		snprintf(cfg->file, sizeof(cfg->file), "%s", file);
		if (len == -EPERM)
			snprintf(err, errlen, "%s: writable by others: refusing it "
				 "(chmod o-w %s)", file, file);
		else if (len == -EINVAL)
			snprintf(err, errlen, "%s: not a regular file", file);
		else
			snprintf(err, errlen, "%s: cannot read: %s", file, mp_errstr((int)len));
		return (int)len;
	}
	if (strlen(text) != (size_t)len) {
		/* the string reader would stop at the NUL and ignore the rest */
		mp_config_defaults(cfg);
		snprintf(cfg->file, sizeof(cfg->file), "%s", file);
		snprintf(err, errlen, "%s: not a text file (it contains a NUL byte)", file);
		ret = -EINVAL;
	} else {
		ret = mp_config_parse_string(text, file, cfg, err, errlen);
	}
	free(text);
	return ret;
}

void mp_config_free(struct mp_config *cfg)
{
	free(cfg->groups);
	free(cfg->paths);
	cfg->groups = NULL;
	cfg->paths = NULL;
	cfg->nr_groups = 0;
	cfg->nr_paths = 0;
}

int mp_config_group_index(const struct mp_config *cfg, const char *name)
{
	unsigned i;

	if (!name[0])
		name = DEFAULT_GROUP;	/* a path's "" group is the implicit one */
	for (i = 0; i < cfg->nr_groups; i++)
		if (!strcmp(cfg->groups[i].name, name))
			return (int)i;
	return -1;
}

static const char *word_name(const char *const *words, size_t n, unsigned i)
{
	return i < n ? words[i] : "unknown";
}

const char *mp_grouping_name(enum mp_grouping g)
{
	return word_name(grouping_names, MP_ARRAY_SIZE(grouping_names), (unsigned)g);
}

int mp_config_regroup(struct mp_config *cfg, const int *keys)
{
	struct mp_config_group *groups;
	unsigned n = 0, i, j;

	groups = calloc(cfg->nr_paths, sizeof(*groups));
	if (!groups)
		return -ENOMEM;
	for (i = 0; i < cfg->nr_paths; i++) {
		for (j = 0; j < i; j++)
			if (keys[j] == keys[i])
				break;
		if (j == i) {
			/* one group per key, named after what it gathers */
			switch (cfg->path_grouping_policy) {
			case MP_GROUPING_FAILOVER:
				snprintf(groups[n].name, MP_NAME_MAX, "%s", cfg->paths[i].name);
				break;
			case MP_GROUPING_GROUP_BY_PRIO:
				if (keys[i] >= 0) {
					snprintf(groups[n].name, MP_NAME_MAX, "tpg%d", keys[i]);
					break;
				}
				/* fall through */
			default:
				snprintf(groups[n].name, MP_NAME_MAX, "all");
				break;
			}
			groups[n].line = cfg->paths[i].line;
			n++;
		} else {
			/* the group of the first path with this key */
			unsigned k;

			for (k = 0; k < n; k++)
				if (!strcmp(groups[k].name, cfg->paths[j].group))
					break;
			snprintf(cfg->paths[i].group, MP_NAME_MAX, "%s", groups[k].name);
			continue;
		}
		snprintf(cfg->paths[i].group, MP_NAME_MAX, "%s", groups[n - 1].name);
	}
	free(cfg->groups);
	cfg->groups = groups;
	cfg->nr_groups = n;
	return 0;
}

const char *mp_checker_name(enum mp_checker_kind k)
{
	return word_name(checker_names, MP_ARRAY_SIZE(checker_names), (unsigned)k);
}

const char *mp_prio_name(enum mp_prio_kind k)
{
	return word_name(prio_names, MP_ARRAY_SIZE(prio_names), (unsigned)k);
}

const char *mp_hw_handler_name(enum mp_hw_handler h)
{
	return word_name(hw_handler_names, MP_ARRAY_SIZE(hw_handler_names), (unsigned)h);
}
