/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The daemon: everything one mount owns, wired together. Built by main.c,
 * served by the FUSE front end, watched by the admin thread.
 */
#ifndef MPATHFS_DAEMON_H
#define MPATHFS_DAEMON_H

#include <stdbool.h>

#include "mpathfs/admin.h"
#include "mpathfs/config.h"
#include "mpathfs/control.h"
#include "mpathfs/events.h"
#include "mpathfs/io-engine.h"
#include "mpathfs/request.h"

/*
 * FUSE workers; all but two may wait for I/O memory (request.c budget_get).
 * No worker waits for path I/O (replies come from the completion threads),
 * so a few are enough; the kernel wakes the worker that has waited longest
 * (an exclusive FIFO wait queue), and with 16 that was a cold one: 4 took
 * 15-25% less CPU per 4k I/O and gave about 10% more random-read IOPS on
 * 2 CPUs (contrib/bench).
 */
#define MP_FUSE_THREADS 4

struct mp_daemon {
	struct mp_config cfg;
	struct mp_engine engine;
	struct mp_dev dev;		/* includes the core */
	struct mp_path_dev *devs;	/* opened path devices, cfg order */
	unsigned nr_devs;
	struct mp_admin admin;
	struct mp_events events;
	const char *mountpoint;
	char devpath[MP_DEV_MAX];	/* mountpoint/name, for show output */
	char config_path[MP_DEV_MAX];	/* absolute: reload works from any directory */
	bool started;
};

/*
 * Open every path, check they agree, build the core and the device.
 * On error writes one line naming the problem into err.
 */
int mp_daemon_open(struct mp_daemon *d, char *err, size_t errlen);
/* After daemonising: start the engine and the admin thread. */
int mp_daemon_start(struct mp_daemon *d);
/*
 * Re-read the config file and apply what changed live: paths added,
 * removed or changed, group priorities and selectors, timeouts and
 * policies. In-flight I/O is not failed. What cannot change live (name,
 * checker, prioritizer, handler, grouping policy) is refused. msg says
 * what happened.
 */
int mp_daemon_reload(struct mp_daemon *d, char *msg, size_t msglen);
/* The add_path, remove_path, reload and resize commands, for control.c. */
const struct mp_control_ops *mp_daemon_control_ops(void);

/* Fail queued I/O, wait for in-flight I/O, flush and close every path. */
void mp_daemon_close(struct mp_daemon *d);

#endif
