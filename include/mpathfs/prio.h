/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Prioritizers: what a path is worth, as multipathd's prio modules. One
 * const ops table per prioritizer, one file each, in an explicit registry.
 * Like checkers they are asynchronous (start, then poll) so a stuck path
 * never stalls the admin thread. A group's priority is the best of its
 * paths' when the prioritizer is dynamic; `const` keeps the config's.
 *
 * Locking: used by the admin thread alone (blocking work runs in a
 * check-thread helper with its own lock).
 */
#ifndef MPATHFS_PRIO_H
#define MPATHFS_PRIO_H

#include <stdbool.h>
#include <stdint.h>

#include "mpathfs/path.h"

/* ALUA path priorities, as multipath-tools' alua prioritizer */
#define MP_PRIO_AO 50
#define MP_PRIO_ANO 10
#define MP_PRIO_STANDBY 1
#define MP_PRIO_UNAVAILABLE 0

struct mp_prio {
	const struct mp_prio_ops *ops;
	void *ctx;
	const struct mp_path_dev *dev;
	const char *device;
	unsigned timeout_ms;
	char msg[160];
};

struct mp_prio_ops {
	const char *name;
	bool dynamic;		/* overrides the config's group priorities */
	int (*init)(struct mp_prio *pr);
	void (*destroy)(struct mp_prio *pr);
	void (*start)(struct mp_prio *pr, uint64_t now_ns);
	/*
	 * 0 with *prio (and *alua_state, or -1) set; -EINPROGRESS while
	 * pending; another -errno when the priority could not be learned.
	 */
	int (*poll)(struct mp_prio *pr, uint64_t now_ns, int *prio, int *alua_state);
};

const struct mp_prio_ops *mp_prio_find(const char *name);
/* The priority an ALUA state gives a path. */
int mp_prio_of_alua_state(int state);

extern const struct mp_prio_ops mp_prio_const;
extern const struct mp_prio_ops mp_prio_alua;
extern const struct mp_prio_ops mp_prio_path_latency;

#endif
