// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Wiring of one mount: open and check the paths, build the core and the
 * device, start and stop the engine and the admin thread. Startup checks
 * run before anything is mounted so a bad setup leaves nothing behind.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mpathfs/daemon.h"
#include "mpathfs/log.h"
#include "mpathfs/prio.h"
#include "mpathfs/scsi.h"
#include "mpathfs/util.h"

#define AIO_DEPTH 1024

static void open_error(const struct mp_config *cfg, const struct mp_config_path *p,
		       int r, char *err, size_t errlen)
{
	if (r == -ENOTBLK)
		snprintf(err, errlen, "%s:%d: device: '%s' is neither a block device nor a regular file",
			 cfg->file, p->device_line, p->device);
	else if (r == -EBUSY)
		snprintf(err, errlen, "%s:%d: device: '%s' is in use (mounted or held exclusively)",
			 cfg->file, p->device_line, p->device);
	else
		snprintf(err, errlen, "%s:%d: device: cannot open '%s': %s",
			 cfg->file, p->device_line, p->device, mp_errstr(r));
}

#define IDENT_TIMEOUT_MS 5000

/*
 * SCSI paths must show one LUN (VPD 0x83); paths without SCSI identity
 * were already held to the same size. A mix of the two is refused too.
 */
static int check_identity(struct mp_daemon *d, char *err, size_t errlen)
{
	const struct mp_config *cfg = &d->cfg;
	int first = -1;

	for (unsigned i = 0; i < d->nr_devs; i++) {
		struct mp_path_dev *dev = &d->devs[i];
		struct mp_scsi_ident id;
		char msg[160];

		dev->wwid[0] = '\0';
		dev->tpg = -1;
		if (mp_scsi_probe(dev->fd) < 0)
			continue;
		if (mp_scsi_get_ident(dev->fd, IDENT_TIMEOUT_MS, &id, msg, sizeof(msg)) < 0) {
			mp_warn("path %s: no SCSI identity: %s", cfg->paths[i].name, msg);
			continue;
		}
		snprintf(dev->wwid, sizeof(dev->wwid), "%s", id.wwid);
		dev->tpg = id.tpg;
	}
	for (unsigned i = 0; i < d->nr_devs; i++) {
		const struct mp_config_path *p = &cfg->paths[i];

		if (first < 0) {
			first = (int)i;
			continue;
		}
		if (!strcmp(d->devs[i].wwid, d->devs[first].wwid))
			continue;
		snprintf(err, errlen, "%s:%d: device: '%s' is LUN %s but '%s' is LUN %s; "
			 "every path must reach the same LUN", cfg->file, p->device_line,
			 p->device, d->devs[i].wwid[0] ? d->devs[i].wwid : "(no SCSI identity)",
			 cfg->paths[first].device,
			 d->devs[first].wwid[0] ? d->devs[first].wwid : "(no SCSI identity)");
		return -EINVAL;
	}
	return 0;
}

/*
 * With prio = alua, learn every path's ALUA state before the first I/O so
 * it goes to the best group from the start (the monitor keeps it current).
 */
static int alua_states[MP_MAX_PATHS];

static void learn_alua(struct mp_daemon *d)
{
	for (unsigned i = 0; i < d->nr_devs; i++) {
		struct mp_rtpg_group g[MP_RTPG_MAX_GROUPS];
		char msg[160];
		int n;

		alua_states[i] = -1;
		if (d->devs[i].tpg < 0 ||
		    mp_scsi_rtpg(d->devs[i].fd, IDENT_TIMEOUT_MS, g, MP_RTPG_MAX_GROUPS, &n,
				 msg, sizeof(msg)) < 0)
			continue;
		for (int j = 0; j < n; j++)
			if (g[j].tpg == d->devs[i].tpg)
				alua_states[i] = (int)g[j].state;
	}
}

static int apply_grouping(struct mp_daemon *d, char *err, size_t errlen)
{
	struct mp_config *cfg = &d->cfg;
	int keys[MP_MAX_PATHS];
	int r;

	if (cfg->prio == MP_PRIO_ALUA)
		learn_alua(d);
	if (cfg->path_grouping_policy == MP_GROUPING_NONE)
		return 0;
	for (unsigned i = 0; i < cfg->nr_paths; i++) {
		switch (cfg->path_grouping_policy) {
		case MP_GROUPING_FAILOVER:
			keys[i] = (int)i;
			break;
		case MP_GROUPING_GROUP_BY_PRIO:
			/* ALUA: a port group shares one state, so one priority */
			keys[i] = cfg->prio == MP_PRIO_ALUA ? d->devs[i].tpg : -1;
			break;
		default:
			keys[i] = -1;
			break;
		}
	}
	r = mp_config_regroup(cfg, keys);
	if (r < 0)
		snprintf(err, errlen, "out of memory");
	return r;
}

static void initial_priorities(struct mp_daemon *d)
{
	if (d->cfg.prio != MP_PRIO_ALUA)
		return;
	for (unsigned i = 0; i < d->dev.core.nr_paths; i++)
		if (alua_states[i] >= 0)
			mp_core_set_path_prio(&d->dev.core, d->dev.core.paths[i],
					      mp_prio_of_alua_state(alua_states[i]), alua_states[i]);
}

static void close_paths(struct mp_daemon *d)
{
	for (unsigned i = 0; i < d->nr_devs; i++)
		d->engine.ops->close_path(&d->engine, &d->devs[i]);
	free(d->devs);
	d->devs = NULL;
	d->nr_devs = 0;
}

int mp_daemon_open(struct mp_daemon *d, char *err, size_t errlen)
{
	const struct mp_config *cfg = &d->cfg;
	uint64_t size = 0;
	unsigned align = 512, i;
	int r;

	r = mp_engine_aio_create(&d->engine);
	if (r < 0) {
		snprintf(err, errlen, "cannot create the I/O engine: %s", mp_errstr(r));
		return r;
	}
	d->devs = calloc(cfg->nr_paths, sizeof(*d->devs));
	if (!d->devs) {
		r = -ENOMEM;
		snprintf(err, errlen, "out of memory");
		goto fail_engine;
	}
	for (i = 0; i < cfg->nr_paths; i++) {
		const struct mp_config_path *p = &cfg->paths[i];

		r = d->engine.ops->open_path(&d->engine, p->device, &d->devs[i]);
		if (r < 0) {
			open_error(cfg, p, r, err, errlen);
			goto fail_paths;
		}
		d->nr_devs++;
		if (cfg->path_checker == MP_CHECKER_TUR && mp_scsi_probe(d->devs[i].fd) < 0) {
			snprintf(err, errlen, "%s:%d: device: '%s' is not a SCSI device; "
				 "path_checker = tur needs one", cfg->file, p->device_line, p->device);
			r = -EINVAL;
			goto fail_paths;
		}
	}
	/* a different LUN is the clearer message, so identity comes before size */
	r = check_identity(d, err, errlen);
	if (r < 0)
		goto fail_paths;
	for (i = 0; i < cfg->nr_paths; i++) {
		const struct mp_config_path *p = &cfg->paths[i];

		if (i && d->devs[i].size != size) {
			snprintf(err, errlen, "%s:%d: device: '%s' is %llu bytes but '%s' is %llu; "
				 "every path must reach the same storage",
				 cfg->file, p->device_line, p->device,
				 (unsigned long long)d->devs[i].size, cfg->paths[0].device,
				 (unsigned long long)size);
			r = -EINVAL;
			goto fail_paths;
		}
		size = d->devs[i].size;
		if (d->devs[i].lbs > align)
			align = d->devs[i].lbs;
	}
	size = mp_round_down(size, align);
	if (!size) {
		snprintf(err, errlen, "%s:%d: device: '%s' is smaller than one %u-byte block",
			 cfg->file, cfg->paths[0].device_line, cfg->paths[0].device, align);
		r = -EINVAL;
		goto fail_paths;
	}
	r = apply_grouping(d, err, errlen);
	if (r < 0)
		goto fail_paths;
	r = mp_core_init(&d->dev.core, cfg, d->devs, err, errlen);
	if (r < 0)
		goto fail_paths;
	mp_events_init(&d->events);
	d->dev.core.events = &d->events;
	initial_priorities(d);
	mp_dev_init(&d->dev, &d->engine, size, align,
		    (uint64_t)cfg->max_io_memory_mb << 20);
	return 0;

fail_paths:
	close_paths(d);
fail_engine:
	d->engine.ops->destroy(&d->engine);
	return r;
}

int mp_daemon_start(struct mp_daemon *d)
{
	char err[MP_ERRMSG_MAX];
	int r;

	r = d->engine.ops->start(&d->engine, AIO_DEPTH);
	if (r < 0) {
		mp_err("cannot start the I/O engine: %s", mp_errstr(r));
		return r;
	}
	d->dev.io_timeout_ns = (uint64_t)d->cfg.io_timeout * 1000000000ull;
	r = mp_admin_start(&d->admin, &d->dev, &d->cfg, err, sizeof(err));
	if (r < 0) {
		mp_err("%s", err);
		return r;
	}
	mp_core_lock(&d->dev.core);
	d->dev.core.kick = mp_admin_kick;
	d->dev.core.kick_arg = &d->admin;
	mp_core_unlock(&d->dev.core);
	d->started = true;
	return 0;
}

void mp_daemon_close(struct mp_daemon *d)
{
	struct mp_core *c = &d->dev.core;

	mp_core_lock(c);
	c->kick = NULL;
	mp_core_unlock(c);
	mp_admin_stop(&d->admin);
	/* queued I/O has nowhere to go once we stop: fail it, then drain */
	mp_core_shutdown(c);
	mp_dev_drain(&d->dev);
	for (unsigned i = 0; i < c->nr_paths; i++) {
		struct mp_path *p = c->paths[i];

		if (p->active && fdatasync(p->dev.fd) < 0)
			mp_warn("path %s: flush at shutdown failed: %s", p->name,
				mp_errstr(-errno));
	}
	d->engine.ops->destroy(&d->engine);
	close_paths(d);
	mp_core_destroy(c);
	mp_dev_destroy(&d->dev);
	mp_events_destroy(&d->events);
}
