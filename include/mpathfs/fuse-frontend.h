/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The FUSE front end: a lowlevel ops table serving the device file and the
 * control, status and table files. Device I/O handlers map and submit,
 * then return; the reply is sent from the request's completion.
 */
#ifndef MPATHFS_FUSE_FRONTEND_H
#define MPATHFS_FUSE_FRONTEND_H

#define FUSE_USE_VERSION 312
#include <fuse_lowlevel.h>

#include "mpathfs/daemon.h"

extern const struct fuse_lowlevel_ops mp_fuse_ops;

/* Passed as userdata to fuse_session_new(). */
struct mp_fuse {
	struct mp_daemon *d;
	uid_t uid;
	gid_t gid;
	/* from the config at mount time; the kernel enforces them (default_permissions) */
	mode_t control_mode;
	gid_t control_gid;
	mode_t status_mode;		/* status, table, metrics, events */
	gid_t status_gid;
	struct timespec start;
};

/* Before the session goes: no more event wake-ups, blocked readers answered. */
void mp_fuse_detach(struct mp_fuse *f);

#endif
