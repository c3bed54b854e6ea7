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
#include "mpathfs/events.h"
#include "mpathfs/io-engine.h"
#include "mpathfs/request.h"

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
	bool started;
};

/*
 * Open every path, check they agree, build the core and the device.
 * On error writes one line naming the problem into err.
 */
int mp_daemon_open(struct mp_daemon *d, char *err, size_t errlen);
/* After daemonising: start the engine and the admin thread. */
int mp_daemon_start(struct mp_daemon *d);
/* Fail queued I/O, wait for in-flight I/O, flush and close every path. */
void mp_daemon_close(struct mp_daemon *d);

#endif
