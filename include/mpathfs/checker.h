/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Path checkers: one const ops table per checker, one file each, found by
 * name in an explicit registry. A check is asynchronous: start() begins it
 * without blocking and poll() reports MP_CHECK_PENDING until it has an
 * answer or checker_timeout has passed, so one stuck path never stalls the
 * admin thread or the checks of other paths.
 *
 * A check that timed out may still own memory the kernel writes to (an
 * O_DIRECT buffer, an SG_IO sense buffer): a checker never frees it before
 * the kernel is done, and destroy() hands such leftovers to the thread or
 * completion that will finish them.
 *
 * Locking: a checker is used by the admin thread alone; checkers that run
 * a blocking call in a helper thread keep their own lock (checker-thread.c).
 */
#ifndef MPATHFS_CHECKER_H
#define MPATHFS_CHECKER_H

#include <stdbool.h>
#include <stdint.h>

#include "mpathfs/path.h"

const char *mp_check_state_name(enum mp_check_state s);

struct mp_checker {
	const struct mp_checker_ops *ops;
	void *ctx;
	const struct mp_path_dev *dev;
	const char *device;		/* for messages */
	unsigned timeout_ms;
	char msg[160];			/* why the last check said what it said */
};

struct mp_checker_ops {
	const char *name;
	/* Set up for dev; -errno and a reason in ck->msg if this path can't be checked so. */
	int (*init)(struct mp_checker *ck);
	void (*destroy)(struct mp_checker *ck);
	/* Begin one check; never blocks. */
	void (*start)(struct mp_checker *ck, uint64_t now_ns);
	/* The answer, or MP_CHECK_PENDING; TIMEOUT once timeout_ms has passed. */
	enum mp_check_state (*poll)(struct mp_checker *ck, uint64_t now_ns);
};

const struct mp_checker_ops *mp_checker_find(const char *name);

extern const struct mp_checker_ops mp_checker_directio;
extern const struct mp_checker_ops mp_checker_readsector0;
extern const struct mp_checker_ops mp_checker_tur;
extern const struct mp_checker_ops mp_checker_none;

#endif
