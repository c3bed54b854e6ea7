// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The FUSE front end (lowlevel API). The root directory holds the device
 * file (named by the config), `control`, `status` and `table`.
 *
 * Device reads and writes never wait for path I/O in a FUSE worker: the
 * handler builds a request and submits it, and the request's completion,
 * on an engine thread, sends the reply. Each handler has one reply point
 * (or hands the reply to exactly one completion).
 *
 * Locking: struct ctl_file.mu protects one open control file's reply; it
 * is a leaf. ev_waiters.mu protects the readers and pollers of `events`
 * waiting for the next event; it is taken from the event notify callback,
 * under the core lock (core.lock -> ev_waiters.mu -> the event ring's
 * lock), so nothing here calls into the core while holding it. Everything
 * else is owned by the request and core layers.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mpathfs/control.h"
#include "mpathfs/fuse-frontend.h"
#include "mpathfs/log.h"
#include "mpathfs/status.h"
#include "mpathfs/util.h"

enum {
	INO_ROOT = FUSE_ROOT_ID,
	INO_DEVICE,
	INO_CONTROL,
	INO_STATUS,
	INO_TABLE,
	INO_METRICS,
	INO_EVENTS,
	INO_END,
};

static const char *const file_names[INO_END] = {
	[INO_CONTROL] = "control",
	[INO_STATUS] = "status",
	[INO_TABLE] = "table",
	[INO_METRICS] = "metrics",
	[INO_EVENTS] = "events",
};

/* Kernel may cache attributes this long; the size only changes on resize. */
#define ATTR_TIMEOUT 1.0

/* One open of a text file: a snapshot (status, table) or a reply (control). */
struct ctl_file {
	pthread_mutex_t mu;
	char *text;
	size_t len;
	size_t pos;	/* control: read cursor, reset by each write */
	bool is_control;
};

/* One open of `events`: where its reader is in the event stream. */
struct ev_file {
	uint64_t cursor;
	struct ev_file *next_waiter;	/* ev_waiters list */
	fuse_req_t waiting;		/* a blocked read, or NULL */
	size_t size;			/* of that read */
	struct fuse_pollhandle *ph;	/* a poll() to wake, or NULL */
};

static struct {
	pthread_mutex_t mu;
	struct ev_file *head;		/* opens with a blocked read or a poll */
	struct mp_events *ev;
} ev_waiters = { .mu = PTHREAD_MUTEX_INITIALIZER };

static struct mp_fuse *mpf(fuse_req_t req)
{
	return fuse_req_userdata(req);
}

static const char *ino_name(struct mp_fuse *f, fuse_ino_t ino)
{
	return ino == INO_DEVICE ? f->d->cfg.name : file_names[ino];
}

static int fill_attr(struct mp_fuse *f, fuse_ino_t ino, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = ino;
	st->st_uid = f->uid;
	st->st_gid = f->gid;
	st->st_atim = st->st_mtim = st->st_ctim = f->start;
	st->st_blksize = 4096;
	switch (ino) {
	case INO_ROOT:
		st->st_mode = S_IFDIR | 0755;
		st->st_nlink = 2;
		return 0;
	case INO_DEVICE:
		st->st_mode = S_IFREG | 0600;
		st->st_size = (off_t)mp_dev_size(&f->d->dev);
		st->st_blocks = st->st_size / 512;
		break;
	case INO_CONTROL:
		st->st_mode = S_IFREG | f->control_mode;
		st->st_gid = f->control_gid;
		break;
	case INO_STATUS:
	case INO_TABLE:
	case INO_METRICS:
	case INO_EVENTS:
		st->st_mode = S_IFREG | f->status_mode;
		st->st_gid = f->status_gid;
		break;
	default:
		return -ENOENT;
	}
	st->st_nlink = 1;
	return 0;
}

/* Answer a blocked read with what has arrived (caller holds ev_waiters.mu). */
static void ev_answer(struct ev_file *e)
{
	char *buf = malloc(e->size ? e->size : 1);
	size_t n = buf ? mp_events_read(ev_waiters.ev, &e->cursor, buf, e->size) : 0;

	if (!buf)
		fuse_reply_err(e->waiting, ENOMEM);
	else
		fuse_reply_buf(e->waiting, buf, n);
	free(buf);
	e->waiting = NULL;
}

static void ev_link(struct ev_file *e)
{
	e->next_waiter = ev_waiters.head;
	ev_waiters.head = e;
}

static void ev_unlink(struct ev_file *e)
{
	struct ev_file **pp;

	for (pp = &ev_waiters.head; *pp; pp = &(*pp)->next_waiter) {
		if (*pp == e) {
			*pp = e->next_waiter;
			break;
		}
	}
	e->next_waiter = NULL;
}

/*
 * The event ring's notify: wake every blocked reader and poller that has
 * something to read. The emitter calls this after dropping the ring's lock,
 * so a read that came in between may already have taken this event and be
 * blocked again: answering it now would be a 0-byte reply, which the reader
 * takes for end of file. Such a waiter stays linked for the next event.
 */
static void ev_notify(void *arg)
{
	struct ev_file *e, *next, *keep = NULL;

	(void)arg;
	pthread_mutex_lock(&ev_waiters.mu);
	for (e = ev_waiters.head; e; e = next) {
		next = e->next_waiter;
		if (!mp_events_pending(ev_waiters.ev, e->cursor)) {
			e->next_waiter = keep;
			keep = e;
			continue;
		}
		e->next_waiter = NULL;
		if (e->waiting)
			ev_answer(e);
		if (e->ph) {
			fuse_lowlevel_notify_poll(e->ph);
			fuse_pollhandle_destroy(e->ph);
			e->ph = NULL;
		}
	}
	ev_waiters.head = keep;
	pthread_mutex_unlock(&ev_waiters.mu);
}

/* A blocked read of `events` was interrupted (the reader got a signal). */
static void ev_interrupted(fuse_req_t req, void *data)
{
	struct ev_file *e = data;

	pthread_mutex_lock(&ev_waiters.mu);
	if (e->waiting == req) {
		e->waiting = NULL;
		if (!e->ph)
			ev_unlink(e);
		fuse_reply_err(req, EINTR);
	}
	pthread_mutex_unlock(&ev_waiters.mu);
}

void mp_fuse_detach(struct mp_fuse *f)
{
	struct ev_file *e, *next;

	mp_core_lock(&f->d->dev.core);
	f->d->events.notify = NULL;
	mp_core_unlock(&f->d->dev.core);
	/* answer blocked readers while the session can still carry replies */
	pthread_mutex_lock(&ev_waiters.mu);
	for (e = ev_waiters.head; e; e = next) {
		next = e->next_waiter;
		e->next_waiter = NULL;
		if (e->waiting) {
			fuse_reply_err(e->waiting, ESHUTDOWN);
			e->waiting = NULL;
		}
		if (e->ph) {
			fuse_pollhandle_destroy(e->ph);
			e->ph = NULL;
		}
	}
	ev_waiters.head = NULL;
	pthread_mutex_unlock(&ev_waiters.mu);
}

static void op_init(void *userdata, struct fuse_conn_info *conn)
{
	struct mp_fuse *f = userdata;

	ev_waiters.ev = &f->d->events;
	mp_core_lock(&f->d->dev.core);
	f->d->events.notify = ev_notify;
	mp_core_unlock(&f->d->dev.core);
	/*
	 * Asynchronous direct I/O counts as background requests, so this is
	 * the queue depth the kernel lets into us (default 12).
	 */
	conn->max_background = 128;
	conn->congestion_threshold = 96;
	conn->max_write = MP_MAX_SEGMENT;
	conn->max_readahead = 0;
	conn->want &= ~(unsigned)FUSE_CAP_WRITEBACK_CACHE;
}

static void op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct mp_fuse *f = mpf(req);
	struct fuse_entry_param e;
	fuse_ino_t ino;
	int r = -ENOENT;

	memset(&e, 0, sizeof(e));
	if (parent == INO_ROOT) {
		for (ino = INO_DEVICE; ino < INO_END; ino++) {
			if (!strcmp(name, ino_name(f, ino))) {
				r = fill_attr(f, ino, &e.attr);
				e.ino = ino;
				e.attr_timeout = e.entry_timeout = ATTR_TIMEOUT;
				break;
			}
		}
	}
	if (r < 0)
		fuse_reply_err(req, -r);
	else
		fuse_reply_entry(req, &e);
}

static void op_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct stat st;
	int r;

	(void)fi;
	r = fill_attr(mpf(req), ino, &st);
	if (r < 0)
		fuse_reply_err(req, -r);
	else
		fuse_reply_attr(req, &st, ATTR_TIMEOUT);
}

/*
 * Only what opening with O_TRUNC asks is allowed: size 0 on the text files,
 * and the current size on the device. The device's size is the paths'.
 */
static void op_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr,
		       int to_set, struct fuse_file_info *fi)
{
	struct mp_fuse *f = mpf(req);
	struct stat st;
	int r;

	(void)fi;
	r = fill_attr(f, ino, &st);
	if (r == 0 && (to_set & ~(FUSE_SET_ATTR_SIZE | FUSE_SET_ATTR_MTIME |
				  FUSE_SET_ATTR_MTIME_NOW | FUSE_SET_ATTR_CTIME |
				  FUSE_SET_ATTR_ATIME | FUSE_SET_ATTR_ATIME_NOW)))
		r = -EPERM;
	if (r == 0 && (to_set & FUSE_SET_ATTR_SIZE)) {
		if (ino == INO_DEVICE && (uint64_t)attr->st_size != mp_dev_size(&f->d->dev))
			r = -EPERM;
		else if (ino != INO_DEVICE && ino != INO_CONTROL)
			r = -EPERM;
	}
	if (r < 0)
		fuse_reply_err(req, -r);
	else
		fuse_reply_attr(req, &st, ATTR_TIMEOUT);
}

static struct ctl_file *ctl_new(char *text)
{
	struct ctl_file *c = calloc(1, sizeof(*c));

	if (!c) {
		free(text);
		return NULL;
	}
	pthread_mutex_init(&c->mu, NULL);
	c->text = text;
	c->len = text ? strlen(text) : 0;
	return c;
}

static void ctl_free(struct ctl_file *c)
{
	/* wait out a read that replied but has not let go of the lock yet */
	pthread_mutex_lock(&c->mu);
	pthread_mutex_unlock(&c->mu);
	pthread_mutex_destroy(&c->mu);
	free(c->text);
	free(c);
}

static void op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct mp_fuse *f = mpf(req);
	struct ctl_file *c = NULL;
	int r = 0;

	switch (ino) {
	case INO_DEVICE:
		break;
	case INO_CONTROL:
		c = ctl_new(NULL);
		r = c ? 0 : -ENOMEM;
		if (c)
			c->is_control = true;
		break;
	case INO_EVENTS:
		if ((fi->flags & O_ACCMODE) != O_RDONLY) {
			r = -EACCES;
			break;
		}
		{
			struct ev_file *e = calloc(1, sizeof(*e));

			if (!e) {
				r = -ENOMEM;
				break;
			}
			/* a new reader sees what happens from now on */
			e->cursor = mp_events_cursor(&f->d->events);
			fi->fh = (uint64_t)(uintptr_t)e;
			fi->direct_io = 1;
			fi->nonseekable = 1;
			fuse_reply_open(req, fi);
			return;
		}
	case INO_STATUS:
	case INO_TABLE:
	case INO_METRICS:
		if ((fi->flags & O_ACCMODE) != O_RDONLY) {
			r = -EACCES;
			break;
		}
		c = ctl_new(ino == INO_STATUS ? mp_status_info(&f->d->dev.core) :
			    ino == INO_TABLE ? mp_status_table(&f->d->dev.core, &f->d->cfg) :
			    mp_status_metrics(&f->d->dev.core, &f->d->cfg));
		r = c && c->text ? 0 : -ENOMEM;
		if (r < 0 && c) {
			ctl_free(c);
			c = NULL;
		}
		break;
	default:
		r = ino == INO_ROOT ? -EISDIR : -ENOENT;
		break;
	}
	if (r < 0) {
		fuse_reply_err(req, -r);
		return;
	}
	fi->fh = (uint64_t)(uintptr_t)c;
	/* every read and write reaches us: no page cache in front of the paths */
	fi->direct_io = 1;
	fi->keep_cache = 0;
	fi->nonseekable = ino == INO_CONTROL;
	fuse_reply_open(req, fi);
}

static void op_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	if (ino == INO_EVENTS) {
		struct ev_file *e = (struct ev_file *)(uintptr_t)fi->fh;

		pthread_mutex_lock(&ev_waiters.mu);
		ev_unlink(e);
		if (e->ph)
			fuse_pollhandle_destroy(e->ph);
		pthread_mutex_unlock(&ev_waiters.mu);
		free(e);
	} else if (fi->fh) {
		ctl_free((struct ctl_file *)(uintptr_t)fi->fh);
	}
	fuse_reply_err(req, 0);
}

static void events_read(fuse_req_t req, struct ev_file *e, size_t size,
			struct fuse_file_info *fi)
{
	/*
	 * Before ev_notify can see the request: once it is linked, another
	 * thread may answer (and free) it at any moment.
	 */
	fuse_req_interrupt_func(req, ev_interrupted, e);
	if (fuse_req_interrupted(req)) {
		fuse_reply_err(req, EINTR);
		return;
	}
	pthread_mutex_lock(&ev_waiters.mu);
	if (e->waiting) {
		pthread_mutex_unlock(&ev_waiters.mu);
		fuse_reply_err(req, EBUSY);	/* one blocked read per open file */
		return;
	}
	e->waiting = req;
	e->size = size;
	if (mp_events_pending(ev_waiters.ev, e->cursor)) {
		ev_answer(e);
	} else if (fi->flags & O_NONBLOCK) {
		e->waiting = NULL;
		fuse_reply_err(req, EAGAIN);
	} else {
		/* answered by ev_notify when the next event comes */
		if (!e->ph)
			ev_link(e);
		/* a signal between the check above and here found nothing to cancel */
		if (fuse_req_interrupted(req)) {
			e->waiting = NULL;
			if (!e->ph)
				ev_unlink(e);
			fuse_reply_err(req, EINTR);
		}
	}
	pthread_mutex_unlock(&ev_waiters.mu);
}

static void op_poll(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi,
		    struct fuse_pollhandle *ph)
{
	struct ev_file *e = (struct ev_file *)(uintptr_t)fi->fh;
	unsigned revents = POLLOUT;

	if (ino != INO_EVENTS) {
		if (ph)
			fuse_pollhandle_destroy(ph);
		fuse_reply_poll(req, POLLIN | POLLOUT);
		return;
	}
	pthread_mutex_lock(&ev_waiters.mu);
	if (mp_events_pending(ev_waiters.ev, e->cursor)) {
		revents |= POLLIN;
		if (ph)
			fuse_pollhandle_destroy(ph);
	} else if (ph) {
		if (e->ph)
			fuse_pollhandle_destroy(e->ph);
		else if (!e->waiting)
			ev_link(e);
		e->ph = ph;
	}
	pthread_mutex_unlock(&ev_waiters.mu);
	fuse_reply_poll(req, revents);
}

static void read_done(struct mp_req *r, int err)
{
	fuse_req_t req = r->priv;

	if (err)
		fuse_reply_err(req, -err);
	else
		fuse_reply_buf(req, mp_req_data(r), r->len);
	mp_req_free(r);
}

static void write_done(struct mp_req *r, int err)
{
	fuse_req_t req = r->priv;

	if (err)
		fuse_reply_err(req, -err);
	else
		fuse_reply_write(req, r->len);
	mp_req_free(r);
}

static void status_done(struct mp_req *r, int err)
{
	fuse_req_t req = r->priv;

	fuse_reply_err(req, -err);
	mp_req_free(r);
}

static void op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	struct mp_dev *dev = &mpf(req)->d->dev;
	struct ctl_file *c;
	struct mp_req *r;

	if (off < 0) {
		fuse_reply_err(req, EINVAL);
		return;
	}
	if (ino == INO_EVENTS) {
		events_read(req, (struct ev_file *)(uintptr_t)fi->fh, size, fi);
		return;
	}
	if (ino != INO_DEVICE) {
		c = (struct ctl_file *)(uintptr_t)fi->fh;
		pthread_mutex_lock(&c->mu);
		/*
		 * The reply is read from its start after each write, whatever
		 * the file offset the write left behind.
		 */
		if (c->is_control)
			off = (off_t)c->pos;
		if ((size_t)off >= c->len)
			size = 0;
		else if (size > c->len - (size_t)off)
			size = c->len - (size_t)off;
		/*
		 * Nothing of c after the reply: the reader may close the file at
		 * once, and release frees c (after taking c->mu, which we hold).
		 */
		c->pos = (size_t)off + size;
		fuse_reply_buf(req, size ? c->text + off : NULL, size);
		pthread_mutex_unlock(&c->mu);
		return;
	}
	mp_req_check_range(dev, MP_IO_READ, (uint64_t)off, &size);
	r = mp_req_new(dev, MP_IO_READ, (uint64_t)off, size, read_done, req);
	if (!r) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	mp_req_submit(r);
}

static void control_write(fuse_req_t req, struct ctl_file *c,
			  struct fuse_bufvec *bufv)
{
	struct mp_fuse *f = mpf(req);
	size_t len = fuse_buf_size(bufv);
	struct mp_control_ctx ctx = {
		.core = &f->d->dev.core,
		.cfg = &f->d->cfg,
		.devpath = f->d->devpath,
		.size = mp_dev_size(&f->d->dev),
		.ops = mp_daemon_control_ops(),
		.ops_arg = f->d,
	};
	struct fuse_bufvec dst = FUSE_BUFVEC_INIT(len);
	char *text = malloc(len + 1), *reply = NULL;
	ssize_t got;
	int r;

	if (!text) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	dst.buf[0].mem = text;
	got = fuse_buf_copy(&dst, bufv, 0);
	if (got < 0) {
		r = (int)got;
		goto out;
	}
	r = mp_control_run(&ctx, text, (size_t)got, &reply);
	if (reply) {
		pthread_mutex_lock(&c->mu);
		free(c->text);
		c->text = reply;
		c->len = strlen(reply);
		c->pos = 0;
		pthread_mutex_unlock(&c->mu);
	}
out:
	free(text);
	if (r < 0)
		fuse_reply_err(req, -r);
	else
		fuse_reply_write(req, len);
}

static void op_write_buf(fuse_req_t req, fuse_ino_t ino, struct fuse_bufvec *bufv,
			 off_t off, struct fuse_file_info *fi)
{
	struct mp_dev *dev = &mpf(req)->d->dev;
	size_t len = fuse_buf_size(bufv);
	struct fuse_bufvec dst = FUSE_BUFVEC_INIT(len);
	struct mp_req *r;
	ssize_t got;
	int err;

	if (ino == INO_CONTROL) {
		control_write(req, (struct ctl_file *)(uintptr_t)fi->fh, bufv);
		return;
	}
	if (ino != INO_DEVICE) {
		fuse_reply_err(req, EBADF);
		return;
	}
	err = off < 0 ? -EINVAL : mp_req_check_range(dev, MP_IO_WRITE, (uint64_t)off, &len);
	if (err) {
		fuse_reply_err(req, -err);
		return;
	}
	r = mp_req_new(dev, MP_IO_WRITE, (uint64_t)off, len, write_done, req);
	if (!r) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	dst.buf[0].mem = mp_req_data(r);
	got = fuse_buf_copy(&dst, bufv, 0);
	if (got != (ssize_t)len) {
		mp_req_free(r);
		fuse_reply_err(req, got < 0 ? (int)-got : EIO);
		return;
	}
	mp_req_submit(r);
}

static void op_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	(void)ino;
	(void)fi;
	/* close() promises no durability; fsync() does, and is sent to a path */
	fuse_reply_err(req, 0);
}

static void op_fsync(fuse_req_t req, fuse_ino_t ino, int datasync,
		     struct fuse_file_info *fi)
{
	struct mp_req *r;

	(void)datasync;
	(void)fi;
	if (ino != INO_DEVICE) {
		fuse_reply_err(req, 0);
		return;
	}
	r = mp_req_new(&mpf(req)->d->dev, MP_IO_FLUSH, 0, 0, status_done, req);
	if (!r) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	mp_req_submit(r);
}

/*
 * fallocate: the aligned middle of the range becomes one discard or
 * write-zeroes; partial blocks at either end become writes of zeroes (a
 * block device cannot discard part of a block). The reply goes out when
 * the last part completes.
 */
struct falloc_parent {
	fuse_req_t req;
	unsigned pending;	/* [atomic] */
	int err;		/* [atomic] first error */
};

static void falloc_part_done(struct mp_req *r, int err)
{
	struct falloc_parent *p = r->priv;

	if (err) {
		int zero = 0;

		__atomic_compare_exchange_n(&p->err, &zero, err, false,
					    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
	}
	mp_req_free(r);
	if (__atomic_sub_fetch(&p->pending, 1, __ATOMIC_ACQ_REL) == 0) {
		fuse_reply_err(p->req, -__atomic_load_n(&p->err, __ATOMIC_ACQUIRE));
		free(p);
	}
}

static void op_fallocate(fuse_req_t req, fuse_ino_t ino, int mode, off_t offset,
			 off_t length, struct fuse_file_info *fi)
{
	struct mp_dev *dev = &mpf(req)->d->dev;
	struct { enum mp_io_op op; uint64_t off; size_t len; } part[3];
	struct mp_req *reqs[3];
	struct falloc_parent *p;
	uint64_t off = (uint64_t)offset, end, mid_start, mid_end, size = mp_dev_size(dev);
	enum mp_io_op op;
	unsigned n = 0, i;
	int err = 0;

	(void)fi;
	if (ino != INO_DEVICE || offset < 0 || length <= 0) {
		fuse_reply_err(req, ino != INO_DEVICE ? EBADF : EINVAL);
		return;
	}
	if (mode == 0) {
		/* preallocation: every byte of a block device already exists */
		fuse_reply_err(req, (uint64_t)offset + (uint64_t)length > size ? ENOSPC : 0);
		return;
	}
	if (mode == (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE))
		op = MP_IO_DISCARD;
	else if ((mode & ~FALLOC_FL_KEEP_SIZE) == FALLOC_FL_ZERO_RANGE)
		op = MP_IO_ZEROOUT;
	else {
		fuse_reply_err(req, EOPNOTSUPP);
		return;
	}
	/* like punching a hole in a file, the part past the end is a no-op */
	end = (uint64_t)offset + (uint64_t)length;
	if (end > size)
		end = size;
	if (off >= end) {
		fuse_reply_err(req, 0);
		return;
	}
	mid_start = mp_round_up(off, dev->align);
	mid_end = mp_round_down(end, dev->align);
	if (mid_start >= mid_end) {
		part[n++] = (typeof(part[0])){ MP_IO_WRITE, off, (size_t)(end - off) };
	} else {
		if (off < mid_start)
			part[n++] = (typeof(part[0])){ MP_IO_WRITE, off, (size_t)(mid_start - off) };
		part[n++] = (typeof(part[0])){ op, mid_start, (size_t)(mid_end - mid_start) };
		if (mid_end < end)
			part[n++] = (typeof(part[0])){ MP_IO_WRITE, mid_end, (size_t)(end - mid_end) };
	}
	p = calloc(1, sizeof(*p));
	if (!p) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	p->req = req;
	for (i = 0; i < n; i++) {
		reqs[i] = mp_req_new(dev, part[i].op, part[i].off, part[i].len,
				     falloc_part_done, p);
		if (!reqs[i]) {
			err = -ENOMEM;
			break;
		}
		if (part[i].op == MP_IO_WRITE)
			memset(mp_req_data(reqs[i]), 0, part[i].len);
	}
	if (err) {
		while (i--)
			mp_req_free(reqs[i]);
		free(p);
		fuse_reply_err(req, -err);
		return;
	}
	p->pending = n;
	for (i = 0; i < n; i++)
		mp_req_submit(reqs[i]);
}

static void op_statfs(fuse_req_t req, fuse_ino_t ino)
{
	struct statvfs sv;

	(void)ino;
	memset(&sv, 0, sizeof(sv));
	sv.f_bsize = sv.f_frsize = 4096;
	sv.f_blocks = mp_dev_size(&mpf(req)->d->dev) / 4096;
	sv.f_files = INO_END - 1;
	sv.f_namemax = 255;
	fuse_reply_statfs(req, &sv);
}

static void op_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	if (ino != INO_ROOT)
		fuse_reply_err(req, ENOTDIR);
	else
		fuse_reply_open(req, fi);
}

static void op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		       struct fuse_file_info *fi)
{
	struct mp_fuse *f = mpf(req);
	char *buf;
	size_t pos = 0;
	off_t i;

	(void)fi;
	if (ino != INO_ROOT) {
		fuse_reply_err(req, ENOTDIR);
		return;
	}
	buf = calloc(1, size);
	if (!buf) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	/* entry i: 0 ".", 1 "..", then the files by inode */
	for (i = off; i < 2 + INO_END - INO_DEVICE; i++) {
		struct stat st = { 0 };
		const char *name;
		size_t n;

		if (i < 2) {
			name = i ? ".." : ".";
			st.st_ino = INO_ROOT;
			st.st_mode = S_IFDIR;
		} else {
			fuse_ino_t e = (fuse_ino_t)(i - 2 + INO_DEVICE);

			name = ino_name(f, e);
			fill_attr(f, e, &st);
		}
		n = fuse_add_direntry(req, buf + pos, size - pos, name, &st, i + 1);
		if (n > size - pos)
			break;
		pos += n;
	}
	fuse_reply_buf(req, buf, pos);
	free(buf);
}

const struct fuse_lowlevel_ops mp_fuse_ops = {
	.init = op_init,
	.lookup = op_lookup,
	.getattr = op_getattr,
	.setattr = op_setattr,
	.open = op_open,
	.release = op_release,
	.read = op_read,
	.write_buf = op_write_buf,
	.flush = op_flush,
	.fsync = op_fsync,
	.fallocate = op_fallocate,
	.statfs = op_statfs,
	.opendir = op_opendir,
	.readdir = op_readdir,
	.poll = op_poll,
};
