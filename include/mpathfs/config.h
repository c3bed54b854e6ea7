/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The INI configuration (parsed with inih). Every key is validated; an error
 * is reported as one line "FILE:LINE: KEY: PROBLEM" (see config.c for the
 * exact wording of each problem). The parser only checks syntax and values;
 * device existence and size agreement are checked when paths are opened.
 */
#ifndef MPATHFS_CONFIG_H
#define MPATHFS_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#define MP_NAME_MAX 64
#define MP_DEV_MAX 4096
#define MP_ERRMSG_MAX 512
#define MP_MAX_PATHS 64
#define MP_MAX_GROUPS 32

/* no_path_retry: negative codes, or N >= 1 checker intervals */
#define MP_NO_PATH_RETRY_QUEUE (-1)
#define MP_NO_PATH_RETRY_FAIL 0

/* failback: negative codes, or N >= 0 seconds of deferral */
#define MP_FAILBACK_IMMEDIATE (-1)
#define MP_FAILBACK_MANUAL (-2)
#define MP_FAILBACK_FOLLOWOVER (-3)

enum mp_checker_kind {
	MP_CHECKER_DIRECTIO,
	MP_CHECKER_READSECTOR0,
	MP_CHECKER_TUR,
	MP_CHECKER_NONE,
};

enum mp_hw_handler {
	MP_HW_HANDLER_NONE,
	MP_HW_HANDLER_ALUA,
};

enum mp_prio_kind {
	MP_PRIO_CONST,
	MP_PRIO_ALUA,
	MP_PRIO_PATH_LATENCY,
};

/* How groups are made: by hand ([group] sections), or by a policy. */
enum mp_grouping {
	MP_GROUPING_NONE,
	MP_GROUPING_FAILOVER,		/* one path per group */
	MP_GROUPING_MULTIBUS,		/* every path in one group */
	MP_GROUPING_GROUP_BY_PRIO,	/* one group per ALUA port group */
};

struct mp_config_group {
	char name[MP_NAME_MAX];
	int priority;			/* default 0 */
	char selector[MP_NAME_MAX];	/* "" = inherit [multipath] path_selector */
	int line;			/* line of the [group NAME] header */
};

struct mp_config_path {
	char name[MP_NAME_MAX];
	char device[MP_DEV_MAX];
	char group[MP_NAME_MAX];	/* "default" when the file gives none */
	unsigned weight;		/* default 1 */
	int line;			/* line of the [path NAME] header */
	int device_line;		/* line of the device key */
};

struct mp_config {
	char file[MP_DEV_MAX];		/* the file name used in messages */
	char name[MP_NAME_MAX];		/* device file name, default "mpatha" */
	char path_selector[MP_NAME_MAX];/* default "service-time" */
	unsigned rr_min_io;		/* default 1 */
	int no_path_retry;		/* default MP_NO_PATH_RETRY_QUEUE */
	int failback;			/* default MP_FAILBACK_IMMEDIATE */
	enum mp_checker_kind path_checker;	/* default directio */
	unsigned polling_interval;	/* s, default 5 */
	unsigned max_polling_interval;	/* s, default 20, or 4 * polling_interval above 20 */
	unsigned checker_timeout;	/* s, default 2 */
	unsigned io_timeout;		/* s, default 10 */
	unsigned scsi_timeout;		/* s, sd's command timeout; 0 (default) = the kernel's */
	enum mp_hw_handler hardware_handler;	/* default none */
	enum mp_prio_kind prio;		/* default const */
	unsigned pg_init_retries;	/* default 0 */
	unsigned pg_init_delay_msecs;	/* default 2000 */
	unsigned max_io_memory_mb;	/* bounce-buffer budget, default 256 */
	/* flap damping: flap_threshold failures within flap_window seconds hold
	 * a path out until it has passed its checks for flap_holdoff seconds */
	unsigned flap_threshold;	/* default 3, 0 = no damping */
	unsigned flap_window;		/* s, default 60 */
	unsigned flap_holdoff;		/* s, default 30 */
	enum mp_grouping path_grouping_policy;	/* default none */
	/*
	 * Who may use the mount. Without allow_other only the user who
	 * mounted (root) gets in at all; with it the files' modes decide:
	 * control 0600 root:root, or 0660 root:control_group; status, table,
	 * metrics and events status_mode root:status_group (default root).
	 */
	bool allow_other;		/* default no */
	char control_group[MP_NAME_MAX];/* as given, "" = none */
	unsigned control_gid;		/* resolved, when control_group is set */
	char status_group[MP_NAME_MAX];	/* as given, "" = none */
	unsigned status_gid;		/* resolved, when status_group is set */
	unsigned status_mode;		/* 0400, 0440 (default) or 0444 */

	struct mp_config_group *groups;	/* in config order */
	unsigned nr_groups;
	struct mp_config_path *paths;	/* in config order */
	unsigned nr_paths;
};

/* Fill every field with its default and no groups or paths. */
void mp_config_defaults(struct mp_config *cfg);

/*
 * Parse FILE. On error returns -errno (-EINVAL for a bad file, -ENOENT etc.
 * when it cannot be read) and writes one line into err (no newline).
 * On success cfg owns its arrays: release with mp_config_free().
 */
int mp_config_load(const char *file, struct mp_config *cfg,
		   char *err, size_t errlen);

/* Same, from a string; fname is only used in messages. */
int mp_config_parse_string(const char *text, const char *fname,
			   struct mp_config *cfg, char *err, size_t errlen);

void mp_config_free(struct mp_config *cfg);

/* Index of the group a path belongs to, or -1. */
int mp_config_group_index(const struct mp_config *cfg, const char *name);

/*
 * Replace the groups by the policy's: paths with equal keys[i] share a
 * group (failover: index, multibus: 0, group_by_prio: ALUA port group).
 */
int mp_config_regroup(struct mp_config *cfg, const int *keys);
const char *mp_grouping_name(enum mp_grouping g);

/* Names for printing (show config, table). */
const char *mp_checker_name(enum mp_checker_kind k);
const char *mp_prio_name(enum mp_prio_kind k);
const char *mp_hw_handler_name(enum mp_hw_handler h);

#endif
