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

/* What the I/O engine learned when it opened a path device. */
struct mp_path_dev {
	int fd;
	bool is_blockdev;
	uint64_t size;		/* bytes */
	unsigned lbs;		/* logical block size: the O_DIRECT alignment */
	unsigned major, minor;	/* block devices only */
};

struct mp_path {
	char name[MP_NAME_MAX];
	char device[MP_DEV_MAX];
	unsigned weight;
	struct mp_path_dev dev;
	struct mp_group *group;		/* [core] */
	bool active;			/* [core] usable for I/O */
	unsigned fail_count;		/* [core] cumulative failures */
	uint64_t inflight_ios;		/* [core] */
	uint64_t inflight_bytes;	/* [core] */
	void *ps_ctx;			/* owned by the group's selector */

	/* [atomic] statistics */
	uint64_t nr_reads, nr_writes, bytes_read, bytes_written;
	uint64_t nr_errors, nr_redriven;
};

struct mp_group {
	char name[MP_NAME_MAX];
	unsigned num;			/* 1-based, config order */
	int priority;			/* [core] */
	bool bypassed;			/* [core] */
	struct mp_selector ps;		/* [core] */
	struct mp_path **paths;		/* [core] */
	unsigned nr_paths;		/* [core] */
	unsigned nr_active;		/* [core] */
};

#endif
