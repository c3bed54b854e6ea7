/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A path and a priority group as the core state machine (core.c) keeps
 * them. Fields marked [core] change only under the core lock; selectors may
 * read them and own ps_ctx. Counters marked [atomic] are updated with
 * __atomic builtins from the I/O completion side.
 */
#ifndef MPATHFS_PATH_H
#define MPATHFS_PATH_H

#include <stdbool.h>
#include <stdint.h>

#include "mpathfs/config.h"
#include "mpathfs/selector.h"

struct mp_group;

/* Upper bounds (ns) of the latency histogram's buckets; the last is +Inf. */
#define MP_LAT_BUCKETS 16
extern const uint64_t mp_lat_bounds_ns[MP_LAT_BUCKETS];

/*
 * Path states as multipathd reports them (checker results). A path that
 * opened is taken as ready until its first check says otherwise.
 */
enum mp_check_state {
	MP_CHECK_READY,		/* answers: usable */
	MP_CHECK_FAULTY,	/* answers with an error: not usable */
	MP_CHECK_SHAKY,		/* answers, but only sometimes */
	MP_CHECK_GHOST,		/* standby path (ALUA): not for I/O now */
	MP_CHECK_PENDING,	/* a check is running */
	MP_CHECK_TIMEOUT,	/* no answer within checker_timeout */
	MP_CHECK_DELAYED,	/* passed, but held out after flapping */
};

/* What the I/O engine learned when it opened a path device. */
struct mp_path_dev {
	int fd;
	bool is_blockdev;
	uint64_t size;		/* bytes */
	unsigned lbs;		/* logical block size: the O_DIRECT alignment */
	unsigned major, minor;	/* block devices only */
	char wwid[260];		/* SCSI VPD 0x83 identity, "" if none */
	int tpg;		/* ALUA target port group, -1 if none */
};

struct mp_path {
	char name[MP_NAME_MAX];
	char device[MP_DEV_MAX];
	unsigned weight;
	struct mp_path_dev dev;
	struct mp_group *group;		/* [core] */
	bool active;			/* [core] usable for I/O */
	bool admin_failed;		/* [core] failed by command: the checker leaves it */
	bool removed;			/* [core] no longer in the map */
	enum mp_check_state check_state;/* [core] last checker verdict */
	unsigned fail_count;		/* [core] cumulative failures */
	unsigned admin_fail_count;	/* [core] of those, by command */
	int prio;			/* [core] from the prioritizer */
	int alua_state;			/* [core] ALUA state of its port group, -1 unknown */
	uint64_t inflight_ios;		/* [core] */
	uint64_t inflight_bytes;	/* [core] */
	uint64_t lat_hist[MP_LAT_BUCKETS + 1];	/* [core] completions per bucket */
	uint64_t lat_sum_ns;		/* [core] */
	void *ps_ctx;			/* owned by the group's selector */

	/* [atomic] statistics */
	uint64_t nr_reads, nr_writes, bytes_read, bytes_written;
	uint64_t nr_errors, nr_redriven;
};

struct mp_group {
	char name[MP_NAME_MAX];
	unsigned num;			/* 1-based, config order */
	int priority;			/* [core] in force (config, or best path's) */
	int config_priority;
	bool bypassed;			/* [core] */
	struct mp_selector ps;		/* [core] */
	struct mp_path **paths;		/* [core] */
	unsigned nr_paths;		/* [core] */
	unsigned nr_active;		/* [core] */
};

#endif
