// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Wiring of one mount: open and check the paths, build the core and the
 * device, start and stop the engine and the admin thread. Startup checks
 * run before anything is mounted so a bad setup leaves nothing behind.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mpathfs/control.h"
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

/* scsi_timeout, if set, bounds how long sd can hold a write stranded on a failing path. */
static int set_scsi_timeout(unsigned secs, int fd, const char *file, const char *device,
			    char *msg, size_t msglen)
{
	int r;

	if (!secs)
		return 0;
	r = mp_scsi_set_timeout(fd, secs);
	if (r < 0)
		snprintf(msg, msglen, "%s%sscsi_timeout: cannot set it on '%s': %s",
			 file ? file : "", file ? ": " : "", device,
			 r == -ENOTBLK || r == -ENOENT ? "not a SCSI disk" : mp_errstr(r));
	return r;
}

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
		r = set_scsi_timeout(cfg->scsi_timeout, d->devs[i].fd, cfg->file, p->device,
				     err, errlen);
		if (r < 0)
			goto fail_paths;
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
	/* from here the core's paths own the fds */
	free(d->devs);
	d->devs = NULL;
	d->nr_devs = 0;
	mp_events_init(&d->events);
	d->dev.core.events = &d->events;
	initial_priorities(d);
	mp_dev_init(&d->dev, &d->engine, size, align,
		    (uint64_t)cfg->max_io_memory_mb << 20);
	/* two workers always stay free for control, status and the like */
	d->dev.max_waiters = MP_FUSE_THREADS - 2;
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
	mp_dev_set_io_timeout(&d->dev, d->cfg.io_timeout);
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
	for (unsigned i = 0; i < c->nr_paths; i++)
		d->engine.ops->close_path(&d->engine, &c->paths[i]->dev);
	for (struct mp_grave *gr = c->graveyard; gr; gr = gr->next)
		if (gr->path)
			d->engine.ops->close_path(&d->engine, &gr->path->dev);
	mp_core_destroy(c);
	mp_dev_destroy(&d->dev);
	mp_events_destroy(&d->events);
}

/* ---- commands that open devices or read the config (control.h) ---- */

static bool good_name(const char *s)
{
	size_t n = strlen(s);

	if (!n || n >= MP_NAME_MAX || s[0] == '.')
		return false;
	return strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") == n;
}

/* Open a device for a new path and hold it to what the map already has. */
static int open_new_path(struct mp_daemon *d, const char *device, struct mp_path_dev *dev,
			 char *msg, size_t msglen)
{
	struct mp_core *c = &d->dev.core;
	char first_wwid[sizeof(dev->wwid)] = "", first[MP_DEV_MAX] = "";
	uint64_t first_size = 0;
	int r;

	r = d->engine.ops->open_path(&d->engine, device, dev);
	if (r < 0) {
		snprintf(msg, msglen, "cannot open '%s': %s", device,
			 r == -ENOTBLK ? "neither a block device nor a regular file" :
			 r == -EBUSY ? "in use (mounted or held exclusively)" : mp_errstr(r));
		return r;
	}
	dev->wwid[0] = '\0';
	dev->tpg = -1;
	if (mp_scsi_probe(dev->fd) == 0) {
		struct mp_scsi_ident id;
		char why[160];

		if (mp_scsi_get_ident(dev->fd, IDENT_TIMEOUT_MS, &id, why, sizeof(why)) == 0) {
			snprintf(dev->wwid, sizeof(dev->wwid), "%s", id.wwid);
			dev->tpg = id.tpg;
		}
	} else if (d->cfg.path_checker == MP_CHECKER_TUR) {
		snprintf(msg, msglen, "'%s' is not a SCSI device; path_checker = tur needs one",
			 device);
		r = -EINVAL;
		goto fail;
	}
	r = set_scsi_timeout(d->cfg.scsi_timeout, dev->fd, NULL, device, msg, msglen);
	if (r < 0)
		goto fail;
	mp_core_lock(c);
	if (c->nr_paths) {
		snprintf(first_wwid, sizeof(first_wwid), "%s", c->paths[0]->dev.wwid);
		snprintf(first, sizeof(first), "%s", c->paths[0]->device);
		first_size = c->paths[0]->dev.size;
	}
	mp_core_unlock(c);
	if (first[0] && strcmp(first_wwid, dev->wwid)) {
		snprintf(msg, msglen, "'%s' is LUN %s but '%s' is LUN %s; every path must reach "
			 "the same LUN", device, dev->wwid[0] ? dev->wwid : "(no SCSI identity)",
			 first, first_wwid[0] ? first_wwid : "(no SCSI identity)");
		r = -EINVAL;
		goto fail;
	}
	if (first[0] && dev->size != first_size) {
		snprintf(msg, msglen, "'%s' is %llu bytes but '%s' is %llu; every path must reach "
			 "the same storage", device, (unsigned long long)dev->size, first,
			 (unsigned long long)first_size);
		r = -EINVAL;
		goto fail;
	}
	if (dev->lbs > d->dev.align) {
		snprintf(msg, msglen, "'%s' has %u-byte blocks, more than the map's %u", device,
			 dev->lbs, d->dev.align);
		r = -EINVAL;
		goto fail;
	}
	return 0;
fail:
	d->engine.ops->close_path(&d->engine, dev);
	return r;
}

static int add_path(struct mp_daemon *d, const char *name, const char *device,
		    const char *group, int priority, const char *selector, unsigned weight,
		    char *msg, size_t msglen)
{
	struct mp_path_dev dev;
	int r;

	if (!good_name(name) || !good_name(group)) {
		snprintf(msg, msglen, "bad name '%s': use 1-63 of A-Z a-z 0-9 . _ -, not "
			 "starting with '.'", good_name(name) ? group : name);
		return -EINVAL;
	}
	/* a name in use is the clearer refusal: say so before judging the device */
	r = 0;
	mp_core_lock(&d->dev.core);
	for (unsigned i = 0; i < d->dev.core.nr_paths && !r; i++)
		if (!strcmp(d->dev.core.paths[i]->name, name)) {
			snprintf(msg, msglen, "there is already a path '%s' (device %s)", name,
				 d->dev.core.paths[i]->device);
			r = -EINVAL;
		}
	mp_core_unlock(&d->dev.core);
	if (r < 0)
		return r;
	r = open_new_path(d, device, &dev, msg, msglen);
	if (r < 0)
		return r;
	r = mp_core_add_path(&d->dev.core, name, device, weight, &dev, group, priority,
			     mp_selector_find(selector), d->cfg.rr_min_io, msg, msglen);
	if (r < 0) {
		d->engine.ops->close_path(&d->engine, &dev);
		return r;
	}
	snprintf(msg, msglen, "path %s added", name);
	return 0;
}

static int ctl_add_path(void *arg, const char *name, const char *device, const char *group,
			char *msg, size_t msglen)
{
	struct mp_daemon *d = arg;

	return add_path(d, name, device, group, 0, d->cfg.path_selector, 1, msg, msglen);
}

static int ctl_remove_path(void *arg, const char *key, char *msg, size_t msglen)
{
	struct mp_daemon *d = arg;
	struct mp_path *p = mp_core_find_path(&d->dev.core, key);
	int r;

	if (!p) {
		snprintf(msg, msglen, "no path '%s'", key);
		return -EINVAL;
	}
	r = mp_core_remove_path(&d->dev.core, p, msg, msglen);
	if (r == 0)
		snprintf(msg, msglen, "path %s removed", p->name);
	return r;
}

static int ctl_resize(void *arg, char *msg, size_t msglen)
{
	struct mp_daemon *d = arg;
	struct mp_core *c = &d->dev.core;
	struct mp_path_dev devs[MP_MAX_PATHS];
	char names[MP_MAX_PATHS][MP_NAME_MAX];
	uint64_t size = 0, old = d->dev.size;
	unsigned n, i;

	mp_core_lock(c);
	n = c->nr_paths;
	for (i = 0; i < n; i++) {
		devs[i] = c->paths[i]->dev;
		snprintf(names[i], sizeof(names[i]), "%s", c->paths[i]->name);
	}
	mp_core_unlock(c);
	for (i = 0; i < n; i++) {
		uint64_t s;
		int r = d->engine.ops->get_size(&d->engine, &devs[i], &s);

		if (r < 0) {
			snprintf(msg, msglen, "path %s: cannot read its size: %s", names[i],
				 mp_errstr(r));
			return r;
		}
		if (i && s != size) {
			snprintf(msg, msglen, "path %s is %llu bytes but %s is %llu; resize every "
				 "path first", names[i], (unsigned long long)s, names[0],
				 (unsigned long long)size);
			return -EINVAL;
		}
		size = s;
	}
	size = mp_round_down(size, d->dev.align);
	if (size < old) {
		snprintf(msg, msglen, "the paths shrank to %llu bytes from %llu: shrinking a "
			 "device in use is refused", (unsigned long long)size,
			 (unsigned long long)old);
		return -EINVAL;
	}
	mp_core_lock(c);
	for (i = 0; i < c->nr_paths; i++)
		c->paths[i]->dev.size = size;
	mp_core_unlock(c);
	__atomic_store_n(&d->dev.size, size, __ATOMIC_RELEASE);
	mp_notice("resized from %llu to %llu bytes", (unsigned long long)old,
		  (unsigned long long)size);
	snprintf(msg, msglen, "size %llu -> %llu bytes", (unsigned long long)old,
		 (unsigned long long)size);
	return 0;
}

static const struct mp_config_path *cfg_path(const struct mp_config *cfg, const char *name)
{
	for (unsigned i = 0; i < cfg->nr_paths; i++)
		if (!strcmp(cfg->paths[i].name, name))
			return &cfg->paths[i];
	return NULL;
}

static const char *group_selector(const struct mp_config *cfg, const char *group)
{
	int gi = mp_config_group_index(cfg, group);

	return gi >= 0 && cfg->groups[gi].selector[0] ? cfg->groups[gi].selector :
		cfg->path_selector;
}

static int group_priority(const struct mp_config *cfg, const char *group)
{
	int gi = mp_config_group_index(cfg, group);

	return gi >= 0 ? cfg->groups[gi].priority : 0;
}

/* A path of the map the new config drops or describes differently. */
static bool path_changed(const struct mp_path *p, const struct mp_config_path *np)
{
	return !np || strcmp(np->device, p->device) || strcmp(np->group, p->group->name) ||
	       np->weight != p->weight;
}

int mp_daemon_reload(struct mp_daemon *d, char *msg, size_t msglen)
{
	struct mp_core *c = &d->dev.core;
	struct mp_config nc, old;
	char err[MP_ERRMSG_MAX], names[MP_MAX_PATHS][MP_NAME_MAX];
	unsigned added = 0, removed = 0, n, i;
	const char *what = NULL;
	int r;

	r = mp_config_load(d->config_path, &nc, err, sizeof(err));
	if (r < 0) {
		snprintf(msg, msglen, "%s; nothing changed", err);
		return r;
	}
	if (strcmp(nc.name, d->cfg.name))
		what = "name";
	else if (nc.path_checker != d->cfg.path_checker)
		what = "path_checker";
	else if (nc.prio != d->cfg.prio)
		what = "prio";
	else if (nc.hardware_handler != d->cfg.hardware_handler)
		what = "hardware_handler";
	else if (nc.path_grouping_policy != MP_GROUPING_NONE ||
		 d->cfg.path_grouping_policy != MP_GROUPING_NONE)
		what = "path_grouping_policy";
	/* mount options and file modes are fixed at mount time */
	else if (nc.allow_other != d->cfg.allow_other)
		what = "allow_other";
	else if (strcmp(nc.control_group, d->cfg.control_group) ||
		 nc.control_gid != d->cfg.control_gid)
		what = "control_group";
	else if (strcmp(nc.status_group, d->cfg.status_group) ||
		 nc.status_gid != d->cfg.status_gid)
		what = "status_group";
	else if (nc.status_mode != d->cfg.status_mode)
		what = "status_mode";
	if (what) {
		snprintf(msg, msglen, "%s cannot change (or be set) on reload: restart the "
			 "daemon; nothing changed", what);
		mp_config_free(&nc);
		return -EINVAL;
	}
	/* new paths first, so the map never has fewer paths than it needs */
	for (i = 0; i < nc.nr_paths; i++) {
		const struct mp_config_path *np = &nc.paths[i];

		if (mp_core_find_path(c, np->name))
			continue;
		r = add_path(d, np->name, np->device, np->group, group_priority(&nc, np->group),
			     group_selector(&nc, np->group), np->weight, err, sizeof(err));
		if (r < 0) {
			snprintf(msg, msglen, "path %s: %s (%u added before this)", np->name, err,
				 added);
			goto out;
		}
		added++;
	}
	mp_core_lock(c);
	n = c->nr_paths;
	for (i = 0; i < n; i++)
		snprintf(names[i], sizeof(names[i]), "%s", c->paths[i]->name);
	mp_core_unlock(c);
	/* then those dropped or changed: out, and changed ones back in as described */
	for (i = 0; i < n; i++) {
		struct mp_path *p = mp_core_find_path(c, names[i]);
		const struct mp_config_path *np = cfg_path(&nc, names[i]);
		struct mp_path_dev keep = { .fd = -1 };

		if (!p || !path_changed(p, np))
			continue;
		/*
		 * The same device in another group or with another weight: it
		 * comes back on a copy of its descriptor, as the old path holds
		 * the device (O_EXCL) until its I/O in flight is done.
		 */
		if (np && !strcmp(np->device, p->device)) {
			mp_core_lock(c);
			keep = p->dev;
			mp_core_unlock(c);
			keep.fd = fcntl(keep.fd, F_DUPFD_CLOEXEC, 0);
			if (keep.fd < 0) {
				r = -errno;
				snprintf(msg, msglen, "path %s: cannot keep its device open: %s "
					 "(%u added, %u removed before this)", np->name,
					 mp_errstr(r), added, removed);
				goto out;
			}
		}
		r = mp_core_remove_path(c, p, err, sizeof(err));
		if (r < 0) {
			d->engine.ops->close_path(&d->engine, &keep);
			snprintf(msg, msglen, "%s (%u added, %u removed before this)", err, added,
				 removed);
			goto out;
		}
		removed++;
		if (!np)
			continue;
		if (keep.fd >= 0) {
			r = mp_core_add_path(c, np->name, np->device, np->weight, &keep, np->group,
					     group_priority(&nc, np->group),
					     mp_selector_find(group_selector(&nc, np->group)),
					     nc.rr_min_io, err, sizeof(err));
			if (r < 0)
				d->engine.ops->close_path(&d->engine, &keep);
		} else {
			r = add_path(d, np->name, np->device, np->group,
				     group_priority(&nc, np->group), group_selector(&nc, np->group),
				     np->weight, err, sizeof(err));
		}
		if (r < 0) {
			snprintf(msg, msglen, "path %s: %s", np->name, err);
			goto out;
		}
		added++;
	}
	for (i = 0; i < nc.nr_groups; i++)
		mp_core_update_group(c, nc.groups[i].name, nc.groups[i].priority,
				     mp_selector_find(group_selector(&nc, nc.groups[i].name)),
				     nc.rr_min_io);
	mp_core_set_params(c, &nc);
	mp_dev_set_io_timeout(&d->dev, nc.io_timeout);
	pthread_mutex_lock(&d->dev.budget_mu);
	d->dev.budget_limit = (uint64_t)nc.max_io_memory_mb << 20;
	pthread_cond_broadcast(&d->dev.budget_cv);
	pthread_mutex_unlock(&d->dev.budget_mu);
	mp_admin_set_params(&d->admin, &nc);
	/* the views read the config under the core lock */
	mp_core_lock(c);
	old = d->cfg;
	d->cfg = nc;
	for (i = 0; nc.scsi_timeout && nc.scsi_timeout != old.scsi_timeout && i < c->nr_paths; i++) {
		r = mp_scsi_set_timeout(c->paths[i]->dev.fd, nc.scsi_timeout);
		if (r < 0)
			mp_warn("path %s: scsi_timeout: cannot set it: %s", c->paths[i]->name,
				mp_errstr(r));
	}
	mp_events_emit(c->events, MP_EV_RELOAD, NULL, NULL, "%u paths added, %u removed",
		       added, removed);
	mp_core_unlock(c);
	mp_config_free(&old);
	mp_notice("reloaded %s: %u paths added, %u removed", d->config_path, added, removed);
	snprintf(msg, msglen, "reloaded: %u paths added, %u removed", added, removed);
	return 0;
out:
	mp_config_free(&nc);
	return r;
}

static int ctl_reload(void *arg, char *msg, size_t msglen)
{
	return mp_daemon_reload(arg, msg, msglen);
}

static const struct mp_control_ops control_ops = {
	.add_path = ctl_add_path,
	.remove_path = ctl_remove_path,
	.reload = ctl_reload,
	.resize = ctl_resize,
};

const struct mp_control_ops *mp_daemon_control_ops(void)
{
	return &control_ops;
}
