/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The ALUA hardware handler: activates a standby port group with SET
 * TARGET PORT GROUPS when the core wants to use it (pg_init). STPG blocks,
 * so it runs in a helper thread; the admin thread starts and polls it.
 *
 * Locking: used by the admin thread alone.
 */
#ifndef MPATHFS_HWHANDLER_H
#define MPATHFS_HWHANDLER_H

#include <stdint.h>

#include "mpathfs/core.h"

struct mp_check_thread;

struct mp_hwhandler {
	struct mp_core *core;
	unsigned timeout_ms;
	struct mp_group *group;		/* being activated */
	struct mp_check_thread *thread;
	uint64_t started_ns;
};

void mp_hwhandler_init(struct mp_hwhandler *h, struct mp_core *core, unsigned timeout_ms);
/* Start an activation the core asks for, or collect a finished one. */
void mp_hwhandler_step(struct mp_hwhandler *h, uint64_t now_ns);
/* Soon while an activation runs, else UINT64_MAX. */
uint64_t mp_hwhandler_next_wake(struct mp_hwhandler *h, uint64_t now_ns);
void mp_hwhandler_destroy(struct mp_hwhandler *h);

#endif
