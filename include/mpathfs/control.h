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
	MP_CMD_ADD_PATH,
	MP_CMD_REMOVE_PATH,
	MP_CMD_RELOAD,
	MP_CMD_RESIZE,
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
	char arg[MP_DEV_MAX];		/* path or group key; add_path: path name */
	char device[MP_DEV_MAX];	/* add_path */
	char group[MP_NAME_MAX];	/* add_path */
	enum mp_show_what show;
	bool json;
};

/* Longest accepted command line. */
#define MP_CMD_MAX 8192
/* Most commands in one write: bounds the work and the reply of a write. */
#define MP_CMD_BATCH_MAX 256

/* Parse one line (no newline). 0, or -EINVAL with a reason in err. */
int mp_control_parse(const char *line, struct mp_cmd *cmd, char *err, size_t errlen);

struct mp_core;
struct mp_config;

/*
 * The commands that reach beyond the core (opening devices, reading the
 * config file): the daemon provides them. Each returns 0 or -errno and
 * writes what happened (or why not) into msg.
 */
struct mp_control_ops {
	int (*add_path)(void *arg, const char *name, const char *device, const char *group,
			char *msg, size_t msglen);
	int (*remove_path)(void *arg, const char *key, char *msg, size_t msglen);
	int (*reload)(void *arg, char *msg, size_t msglen);
	int (*resize)(void *arg, char *msg, size_t msglen);
};

/* What commands need besides the core. */
struct mp_control_ctx {
	struct mp_core *core;
	const struct mp_config *cfg;
	const char *devpath;
	uint64_t size;
	const struct mp_control_ops *ops;	/* NULL: those commands are refused */
	void *ops_arg;
};

/*
 * Run every line of text (one command per line). *reply gets a malloc'd
 * reply: command output, "ok" lines, or "error: ..." for the first command
 * that failed (later lines are not run). More than MP_CMD_BATCH_MAX
 * commands are refused before any runs. Returns 0 or -EINVAL.
 */
int mp_control_run(const struct mp_control_ctx *ctx, const char *text, size_t len,
		   char **reply);

#endif
