/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Control commands (the `control` file): parsing and execution.
 * Parsing is pure (mp_control_parse); execution goes through the core.
 */
#ifndef MPATHFS_CONTROL_H
#define MPATHFS_CONTROL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mpathfs/config.h"

struct mp_daemon;

enum mp_cmd_kind {
	MP_CMD_FAIL_PATH,
	MP_CMD_REINSTATE_PATH,
	MP_CMD_DISABLE_GROUP,
	MP_CMD_ENABLE_GROUP,
	MP_CMD_SWITCH_GROUP,
	MP_CMD_QUEUE_IF_NO_PATH,
	MP_CMD_FAIL_IF_NO_PATH,
	MP_CMD_SHOW,
};

enum mp_show_what {
	MP_SHOW_PATHS,
	MP_SHOW_GROUPS,
	MP_SHOW_TOPOLOGY,
	MP_SHOW_CONFIG,
	MP_SHOW_STATS,
};

struct mp_cmd {
	enum mp_cmd_kind kind;
	char arg[MP_DEV_MAX];		/* path or group key */
	enum mp_show_what show;
	bool json;
};

/* Longest accepted command line. */
#define MP_CMD_MAX 8192

/* Parse one line (no newline). 0, or -EINVAL with a reason in err. */
int mp_control_parse(const char *line, struct mp_cmd *cmd, char *err, size_t errlen);

struct mp_core;
struct mp_config;

/* What `show` needs besides the core. */
struct mp_control_ctx {
	struct mp_core *core;
	const struct mp_config *cfg;
	const char *devpath;
	uint64_t size;
};

/*
 * Run every line of text (one command per line). *reply gets a malloc'd
 * reply: command output, "ok" lines, or "error: ..." for the first command
 * that failed (later lines are not run). Returns 0 or -EINVAL.
 */
int mp_control_run(const struct mp_control_ctx *ctx, const char *text, size_t len,
		   char **reply);

#endif
