// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Control commands. Parsing is separate from execution so every bad input
 * is refused, with its reason, before anything changes. Commands are the
 * dm-multipath message verbs plus `show`.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mpathfs/control.h"
#include "mpathfs/core.h"
#include "mpathfs/status.h"

enum arg_kind { ARG_NONE, ARG_PATH, ARG_GROUP, ARG_SHOW, ARG_ADD };

static const struct {
	const char *name;
	enum mp_cmd_kind kind;
	enum arg_kind arg;
} commands[] = {
	{ "fail_path", MP_CMD_FAIL_PATH, ARG_PATH },
	{ "reinstate_path", MP_CMD_REINSTATE_PATH, ARG_PATH },
	{ "disable_group", MP_CMD_DISABLE_GROUP, ARG_GROUP },
	{ "enable_group", MP_CMD_ENABLE_GROUP, ARG_GROUP },
	{ "switch_group", MP_CMD_SWITCH_GROUP, ARG_GROUP },
	{ "queue_if_no_path", MP_CMD_QUEUE_IF_NO_PATH, ARG_NONE },
	{ "fail_if_no_path", MP_CMD_FAIL_IF_NO_PATH, ARG_NONE },
	{ "show", MP_CMD_SHOW, ARG_SHOW },
	{ "add_path", MP_CMD_ADD_PATH, ARG_ADD },
	{ "remove_path", MP_CMD_REMOVE_PATH, ARG_PATH },
	{ "reload", MP_CMD_RELOAD, ARG_NONE },
	{ "resize", MP_CMD_RESIZE, ARG_NONE },
};

static const struct {
	const char *name;
	enum mp_show_what what;
} show_words[] = {
	{ "paths", MP_SHOW_PATHS },
	{ "groups", MP_SHOW_GROUPS },
	{ "topology", MP_SHOW_TOPOLOGY },
	{ "config", MP_SHOW_CONFIG },
	{ "stats", MP_SHOW_STATS },
};

#define MAX_WORDS 5

/* Split on blanks into at most MAX_WORDS words; MAX_WORDS + 1 means more. */
static int split(char *s, char **w)
{
	int n = 0;

	for (;;) {
		while (*s == ' ' || *s == '\t')
			s++;
		if (!*s)
			return n;
		if (n == MAX_WORDS)
			return MAX_WORDS + 1;
		w[n++] = s;
		while (*s && *s != ' ' && *s != '\t')
			s++;
		if (*s)
			*s++ = '\0';
	}
}

static int __attribute__((format(printf, 3, 4)))
fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

int mp_control_parse(const char *line, struct mp_cmd *cmd, char *err, size_t errlen)
{
	char buf[MP_CMD_MAX + 1], *w[MAX_WORDS];
	size_t len = strlen(line), i;
	int n;

	if (len > MP_CMD_MAX)
		return fail(err, errlen, "command longer than %d bytes", MP_CMD_MAX);
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)line[i];

		/* a CR is invisible in most editors and terminals: say what it is */
		if (c == '\r')
			return fail(err, errlen, "carriage return (0x0d) in command; "
				    "end lines with \\n only");
		if (iscntrl(c) && c != '\t')
			return fail(err, errlen, "control character 0x%02x in command", c);
	}
	memcpy(buf, line, len + 1);
	n = split(buf, w);
	if (n == 0)
		return fail(err, errlen, "empty command");
	memset(cmd, 0, sizeof(*cmd));
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(w[0], commands[i].name))
			break;
	if (i == sizeof(commands) / sizeof(commands[0]))
		return fail(err, errlen, "unknown command '%.64s'; expected fail_path, "
			    "reinstate_path, disable_group, enable_group, switch_group, "
			    "queue_if_no_path, fail_if_no_path, add_path, remove_path, reload, "
			    "resize or show", w[0]);
	cmd->kind = commands[i].kind;

	switch (commands[i].arg) {
	case ARG_NONE:
		if (n != 1)
			return fail(err, errlen, "%s: unexpected argument '%.64s'",
				    w[0], w[1]);
		return 0;
	case ARG_PATH:
	case ARG_GROUP:
		if (n < 2)
			return fail(err, errlen, "%s: missing %s", w[0],
				    commands[i].arg == ARG_PATH ?
				    "path (name or device)" : "group (number or name)");
		if (n > 2)
			return fail(err, errlen, "%s: unexpected argument '%.64s'",
				    w[0], w[2]);
		if (strlen(w[1]) >= sizeof(cmd->arg))
			return fail(err, errlen, "%s: argument too long", w[0]);
		strcpy(cmd->arg, w[1]);
		return 0;
	case ARG_ADD:
		if (n < 4)
			return fail(err, errlen, "add_path: expected a path name, a device and "
				    "a group: add_path NAME DEVICE GROUP");
		if (n > 4)
			return fail(err, errlen, "add_path: unexpected argument '%.64s'", w[4]);
		if (strlen(w[1]) >= MP_NAME_MAX || strlen(w[3]) >= sizeof(cmd->group) ||
		    strlen(w[2]) >= sizeof(cmd->device))
			return fail(err, errlen, "add_path: argument too long");
		strcpy(cmd->arg, w[1]);
		strcpy(cmd->device, w[2]);
		strcpy(cmd->group, w[3]);
		return 0;
	case ARG_SHOW:
		if (n < 2)
			return fail(err, errlen, "show: missing what; expected paths, groups, "
				    "topology, config or stats");
		for (i = 0; i < sizeof(show_words) / sizeof(show_words[0]); i++)
			if (!strcmp(w[1], show_words[i].name))
				break;
		if (i == sizeof(show_words) / sizeof(show_words[0]))
			return fail(err, errlen, "show: unknown '%.64s'; expected paths, "
				    "groups, topology, config or stats", w[1]);
		cmd->show = show_words[i].what;
		if (n >= 3 && strcmp(w[2], "json"))
			return fail(err, errlen, "show %s: unexpected argument '%.64s'; "
				    "only 'json' may follow", w[1], w[2]);
		if (n >= 4)
			return fail(err, errlen, "show %s: unexpected argument '%.64s'",
				    w[1], w[3]);
		cmd->json = n == 3;
		return 0;
	}
	return -EINVAL;
}

/* Commands the daemon carries out (they open devices or read the config). */
static int execute_daemon(const struct mp_control_ctx *ctx, const struct mp_cmd *cmd, FILE *f)
{
	const struct mp_control_ops *ops = ctx->ops;
	char msg[MP_ERRMSG_MAX] = "";
	int r;

	if (!ops) {
		fputs("error: not available here\n", f);
		return -EOPNOTSUPP;
	}
	switch (cmd->kind) {
	case MP_CMD_ADD_PATH:
		r = ops->add_path(ctx->ops_arg, cmd->arg, cmd->device, cmd->group, msg, sizeof(msg));
		break;
	case MP_CMD_REMOVE_PATH:
		r = ops->remove_path(ctx->ops_arg, cmd->arg, msg, sizeof(msg));
		break;
	case MP_CMD_RELOAD:
		r = ops->reload(ctx->ops_arg, msg, sizeof(msg));
		break;
	default:
		r = ops->resize(ctx->ops_arg, msg, sizeof(msg));
		break;
	}
	if (r < 0)
		fprintf(f, "error: %s\n", msg);
	else
		fprintf(f, "ok%s%s\n", msg[0] ? ": " : "", msg);
	return r;
}

/* Run one parsed command; appends its output to f. */
static int execute(const struct mp_control_ctx *ctx, const struct mp_cmd *cmd, FILE *f)
{
	struct mp_core *c = ctx->core;
	struct mp_path *p = NULL;
	struct mp_group *g = NULL;
	char *out;
	int r = 0;

	switch (cmd->kind) {
	case MP_CMD_ADD_PATH:
	case MP_CMD_REMOVE_PATH:
	case MP_CMD_RELOAD:
	case MP_CMD_RESIZE:
		return execute_daemon(ctx, cmd, f);
	case MP_CMD_FAIL_PATH:
	case MP_CMD_REINSTATE_PATH:
		p = mp_core_find_path(c, cmd->arg);
		if (!p) {
			fprintf(f, "error: no path '%s'\n", cmd->arg);
			return -EINVAL;
		}
		break;
	case MP_CMD_DISABLE_GROUP:
	case MP_CMD_ENABLE_GROUP:
	case MP_CMD_SWITCH_GROUP:
		g = mp_core_find_group(c, cmd->arg);
		if (!g) {
			fprintf(f, "error: no group '%s'\n", cmd->arg);
			return -EINVAL;
		}
		break;
	default:
		break;
	}

	switch (cmd->kind) {
	case MP_CMD_FAIL_PATH:
		r = mp_core_fail_path_admin(c, p);
		fprintf(f, r == -EALREADY ? "ok: path %s already failed\n" : "ok\n", p->name);
		break;
	case MP_CMD_REINSTATE_PATH:
		r = mp_core_reinstate_path(c, p, "reinstated by administrator");
		fprintf(f, r == -EALREADY ? "ok: path %s already active\n" : "ok\n", p->name);
		break;
	case MP_CMD_DISABLE_GROUP:
	case MP_CMD_ENABLE_GROUP:
		r = mp_core_bypass_group(c, g, cmd->kind == MP_CMD_DISABLE_GROUP);
		fprintf(f, r == -EALREADY ? "ok: group %u already %s\n" : "ok\n", g->num,
			cmd->kind == MP_CMD_DISABLE_GROUP ? "disabled" : "enabled");
		break;
	case MP_CMD_SWITCH_GROUP:
		mp_core_switch_group(c, g);
		fputs("ok\n", f);
		break;
	case MP_CMD_QUEUE_IF_NO_PATH:
	case MP_CMD_FAIL_IF_NO_PATH:
		mp_core_set_queue_if_no_path(c, cmd->kind == MP_CMD_QUEUE_IF_NO_PATH);
		fputs("ok\n", f);
		break;
	case MP_CMD_ADD_PATH:
	case MP_CMD_REMOVE_PATH:
	case MP_CMD_RELOAD:
	case MP_CMD_RESIZE:
		break;
	case MP_CMD_SHOW:
		out = mp_status_show(c, ctx->cfg, ctx->devpath, ctx->size, cmd->show, cmd->json);
		if (!out) {
			fputs("error: out of memory\n", f);
			return -ENOMEM;
		}
		fputs(out, f);
		free(out);
		break;
	}
	return 0;
}

/* Lines of text that hold more than blanks. */
static size_t count_commands(const char *text, size_t len)
{
	size_t n = 0, pos = 0;

	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t l = (nl ? (size_t)(nl - text) : len) - pos, i = 0;

		while (i < l && (text[pos + i] == ' ' || text[pos + i] == '\t'))
			i++;
		n += i < l;
		pos += l + 1;
	}
	return n;
}

int mp_control_run(const struct mp_control_ctx *ctx, const char *text, size_t len,
		   char **reply)
{
	char *buf = NULL, *line = NULL, err[256];
	size_t blen = 0, pos = 0;
	FILE *f = open_memstream(&buf, &blen);
	int r = 0, ran = 0;

	if (!f)
		return -ENOMEM;
	line = malloc(MP_CMD_MAX + 2);
	if (!line) {
		r = -ENOMEM;
		goto out;
	}
	/* thousands of `show`s in one write would cost a reply of many MiB */
	if (count_commands(text, len) > MP_CMD_BATCH_MAX) {
		fprintf(f, "error: more than %d commands in one write; none was run\n",
			MP_CMD_BATCH_MAX);
		r = -EINVAL;
		goto out;
	}
	while (pos < len && !r) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t l = (nl ? (size_t)(nl - text) : len) - pos;
		struct mp_cmd cmd;

		if (l > MP_CMD_MAX) {
			fprintf(f, "error: command longer than %d bytes\n", MP_CMD_MAX);
			r = -EINVAL;
			break;
		}
		if (memchr(text + pos, '\0', l)) {
			fputs("error: NUL byte in command\n", f);
			r = -EINVAL;
			break;
		}
		memcpy(line, text + pos, l);
		line[l] = '\0';
		pos += l + (nl ? 1 : 0);
		/* blank lines between commands are harmless */
		if (strspn(line, " \t") == l && (ran || pos < len))
			continue;
		r = mp_control_parse(line, &cmd, err, sizeof(err));
		if (r < 0) {
			fprintf(f, "error: %s\n", err);
			break;
		}
		r = execute(ctx, &cmd, f);
		ran++;
	}
out:
	free(line);
	if (fclose(f) != 0) {
		free(buf);
		return -ENOMEM;
	}
	*reply = buf;
	return r < 0 ? -EINVAL : 0;
}
