// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The fake I/O engine (see fake-engine.h). One mutex guards everything;
 * done() callbacks run without it, so they may submit more I/O.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake-engine.h"

struct fake_priv {
	struct mp_eio *next;
	unsigned path;
	size_t rec;		/* index in the log */
	long forced;		/* -EINVAL after a violation, else 0 */
};

_Static_assert(sizeof(struct fake_priv) <= sizeof(((struct mp_eio *)0)->priv),
	       "mp_eio.priv too small for the fake engine");

struct fake_path {
	unsigned lbs;
	int fail;		/* -errno, or 0 */
	size_t short_bytes;	/* 0: none pending */
	bool hold;
};

struct fake_engine {
	struct mp_engine engine;
	pthread_mutex_t mu;
	unsigned char *storage;
	size_t size;
	unsigned nr_paths;
	struct fake_path paths[FAKE_MAX_PATHS];

	struct mp_eio *pending, **pending_tail;
	struct mp_eio *held, **held_tail;

	struct fake_io *log;
	size_t nr_log, log_cap;

	unsigned violations;
	char last_violation[256];
};

static struct fake_priv *fpriv(struct mp_eio *io)
{
	return (struct fake_priv *)io->priv;
}

static void lock(struct fake_engine *fe)
{
	pthread_mutex_lock(&fe->mu);
}

static void unlock(struct fake_engine *fe)
{
	pthread_mutex_unlock(&fe->mu);
}

/* Called with fe->mu held. */
__attribute__((format(printf, 2, 3)))
static void violation(struct fake_engine *fe, const char *fmt, ...)
{
	va_list ap;

	fe->violations++;
	va_start(ap, fmt);
	vsnprintf(fe->last_violation, sizeof(fe->last_violation), fmt, ap);
	va_end(ap);
	fprintf(stderr, "fake-engine: violation: %s\n", fe->last_violation);
}

static void append(struct mp_eio ***tail, struct mp_eio *io)
{
	fpriv(io)->next = NULL;
	**tail = io;
	*tail = &fpriv(io)->next;
}

static bool listed(struct mp_eio *head, const struct mp_eio *io)
{
	for (; head; head = fpriv(head)->next)
		if (head == io)
			return true;
	return false;
}

static int fake_open_path(struct mp_engine *e, const char *device,
			  struct mp_path_dev *dev)
{
	struct fake_engine *fe = e->priv;
	unsigned i;

	/* devices are named "fake0", "fake1", ... */
	if (sscanf(device, "fake%u", &i) != 1 || i >= fe->nr_paths)
		return -ENOENT;
	*dev = fake_engine_dev(fe, i);
	return 0;
}

static void fake_close_path(struct mp_engine *e, struct mp_path_dev *dev)
{
	(void)e;
	dev->fd = -1;
}

static int fake_submit(struct mp_engine *e, struct mp_eio *io)
{
	struct fake_engine *fe = e->priv;
	struct fake_priv *fp = fpriv(io);
	struct fake_path *p;
	unsigned path;
	bool transfer = io->op == MP_IO_READ || io->op == MP_IO_WRITE;
	bool ranged = transfer || io->op == MP_IO_DISCARD || io->op == MP_IO_ZEROOUT;

	lock(fe);
	if (listed(fe->pending, io) || listed(fe->held, io)) {
		violation(fe, "mp_eio %p submitted again while in flight", (void *)io);
		unlock(fe);
		return -EBUSY;
	}
	if (!io->dev || io->dev->fd < FAKE_FD_BASE ||
	    io->dev->fd >= FAKE_FD_BASE + (int)fe->nr_paths) {
		violation(fe, "submit on an unknown path (fd %d)", io->dev ? io->dev->fd : -1);
		unlock(fe);
		return -EBADF;
	}
	if (!io->done) {
		violation(fe, "submit with no done callback");
		unlock(fe);
		return -EINVAL;
	}
	path = (unsigned)(io->dev->fd - FAKE_FD_BASE);
	p = &fe->paths[path];
	fp->path = path;
	fp->forced = 0;

	if (transfer && (uintptr_t)io->buf % p->lbs) {
		violation(fe, "path %u: buffer %p not aligned to %u", path, io->buf, p->lbs);
		fp->forced = -EINVAL;
	}
	if (ranged && (io->off % p->lbs || io->len % p->lbs || !io->len)) {
		violation(fe, "path %u: op %d off %llu len %zu not aligned to %u", path,
			  (int)io->op, (unsigned long long)io->off, io->len, p->lbs);
		fp->forced = -EINVAL;
	}
	if (ranged && (io->off > fe->size || io->len > fe->size - io->off)) {
		violation(fe, "path %u: op %d off %llu len %zu past the end (%zu)", path,
			  (int)io->op, (unsigned long long)io->off, io->len, fe->size);
		fp->forced = -EINVAL;
	}
	if (transfer && !io->buf) {
		violation(fe, "path %u: read or write with no buffer", path);
		fp->forced = -EINVAL;
	}

	if (fe->nr_log == fe->log_cap) {
		size_t cap = fe->log_cap ? 2 * fe->log_cap : 64;
		struct fake_io *n = realloc(fe->log, cap * sizeof(*n));

		if (!n) {
			unlock(fe);
			return -ENOMEM;
		}
		fe->log = n;
		fe->log_cap = cap;
	}
	fp->rec = fe->nr_log;
	fe->log[fe->nr_log++] = (struct fake_io){
		.path = path, .op = io->op, .off = io->off, .len = io->len,
		.res = FAKE_RES_PENDING,
	};
	if (p->hold)
		append(&fe->held_tail, io);
	else
		append(&fe->pending_tail, io);
	unlock(fe);
	return 0;
}

static void fake_destroy(struct mp_engine *e)
{
	fake_engine_free(e->priv);
}

static const struct mp_engine_ops fake_ops = {
	.name = "fake",
	.open_path = fake_open_path,
	.close_path = fake_close_path,
	.start = NULL,
	.submit = fake_submit,
	.destroy = fake_destroy,
};

struct fake_engine *fake_engine_new(size_t size, unsigned nr_paths, unsigned lbs)
{
	struct fake_engine *fe;
	unsigned i;

	if (nr_paths > FAKE_MAX_PATHS || !lbs || (lbs & (lbs - 1)))
		return NULL;
	fe = calloc(1, sizeof(*fe));
	if (!fe)
		return NULL;
	fe->storage = calloc(1, size ? size : 1);
	if (!fe->storage) {
		free(fe);
		return NULL;
	}
	fe->size = size;
	fe->nr_paths = nr_paths;
	for (i = 0; i < nr_paths; i++)
		fe->paths[i].lbs = lbs;
	pthread_mutex_init(&fe->mu, NULL);
	fe->pending_tail = &fe->pending;
	fe->held_tail = &fe->held;
	fe->engine.ops = &fake_ops;
	fe->engine.priv = fe;
	return fe;
}

void fake_engine_free(struct fake_engine *fe)
{
	if (!fe)
		return;
	pthread_mutex_destroy(&fe->mu);
	free(fe->log);
	free(fe->storage);
	free(fe);
}

struct mp_engine *fake_engine_engine(struct fake_engine *fe)
{
	return &fe->engine;
}

struct mp_path_dev fake_engine_dev(struct fake_engine *fe, unsigned path)
{
	struct mp_path_dev d = {
		.fd = FAKE_FD_BASE + (int)path,
		.is_blockdev = true,
		.size = fe->size,
		.lbs = fe->paths[path].lbs,
		.major = 250,
		.minor = path,
	};

	return d;
}

void fake_engine_set_lbs(struct fake_engine *fe, unsigned path, unsigned lbs)
{
	lock(fe);
	fe->paths[path].lbs = lbs;
	unlock(fe);
}

unsigned char *fake_engine_storage(struct fake_engine *fe)
{
	return fe->storage;
}

size_t fake_engine_size(struct fake_engine *fe)
{
	return fe->size;
}

void fake_engine_path_ok(struct fake_engine *fe, unsigned path)
{
	lock(fe);
	fe->paths[path].fail = 0;
	fe->paths[path].short_bytes = 0;
	fe->paths[path].hold = false;
	unlock(fe);
}

void fake_engine_path_fail(struct fake_engine *fe, unsigned path, int neg_errno)
{
	lock(fe);
	fe->paths[path].fail = neg_errno;
	unlock(fe);
}

void fake_engine_path_short(struct fake_engine *fe, unsigned path, size_t bytes)
{
	lock(fe);
	fe->paths[path].short_bytes = bytes;
	unlock(fe);
}

void fake_engine_path_hold(struct fake_engine *fe, unsigned path, bool hold)
{
	lock(fe);
	fe->paths[path].hold = hold;
	unlock(fe);
}

unsigned fake_engine_release(struct fake_engine *fe, int path)
{
	struct mp_eio *io, *keep = NULL, **keep_tail = &keep, *next;
	unsigned n = 0;

	lock(fe);
	for (io = fe->held; io; io = next) {
		next = fpriv(io)->next;
		if (path < 0 || fpriv(io)->path == (unsigned)path) {
			append(&fe->pending_tail, io);
			n++;
		} else {
			append(&keep_tail, io);
		}
	}
	fe->held = keep;
	fe->held_tail = keep ? keep_tail : &fe->held;
	unlock(fe);
	return n;
}

/* Complete io now; fe->mu held. Returns the result for done(). */
static long complete_locked(struct fake_engine *fe, struct mp_eio *io)
{
	struct fake_priv *fp = fpriv(io);
	struct fake_path *p = &fe->paths[fp->path];
	size_t n = io->len;

	if (fp->forced)
		return fp->forced;
	if (p->fail)
		return p->fail;
	switch (io->op) {
	case MP_IO_READ:
	case MP_IO_WRITE:
		if (p->short_bytes && p->short_bytes < n) {
			n = p->short_bytes;
			p->short_bytes = 0;
		}
		if (io->op == MP_IO_READ)
			memcpy(io->buf, fe->storage + io->off, n);
		else
			memcpy(fe->storage + io->off, io->buf, n);
		return (long)n;
	case MP_IO_DISCARD:
	case MP_IO_ZEROOUT:
		/* like BLKZEROOUT, and a discard that reads back zeroes */
		memset(fe->storage + io->off, 0, n);
		return (long)n;
	case MP_IO_FLUSH:
		return 0;
	}
	return -EINVAL;
}

unsigned fake_engine_step(struct fake_engine *fe)
{
	struct mp_eio *io;
	long res;

	lock(fe);
	io = fe->pending;
	if (!io) {
		unlock(fe);
		return 0;
	}
	fe->pending = fpriv(io)->next;
	if (!fe->pending)
		fe->pending_tail = &fe->pending;
	res = complete_locked(fe, io);
	fe->log[fpriv(io)->rec].res = res;
	unlock(fe);
	io->done(io, res);
	return 1;
}

unsigned fake_engine_run(struct fake_engine *fe)
{
	unsigned n = 0;

	while (fake_engine_step(fe))
		n++;
	return n;
}

static unsigned count(struct fake_engine *fe, struct mp_eio *const *head)
{
	struct mp_eio *io;
	unsigned n = 0;

	lock(fe);
	for (io = *head; io; io = fpriv(io)->next)
		n++;
	unlock(fe);
	return n;
}

unsigned fake_engine_nr_pending(struct fake_engine *fe)
{
	return count(fe, &fe->pending);
}

unsigned fake_engine_nr_held(struct fake_engine *fe)
{
	return count(fe, &fe->held);
}

size_t fake_engine_nr_ios(struct fake_engine *fe)
{
	size_t n;

	lock(fe);
	n = fe->nr_log;
	unlock(fe);
	return n;
}

struct fake_io fake_engine_io(struct fake_engine *fe, size_t i)
{
	struct fake_io r = { .res = FAKE_RES_PENDING };

	lock(fe);
	if (i < fe->nr_log)
		r = fe->log[i];
	unlock(fe);
	return r;
}

void fake_engine_clear_log(struct fake_engine *fe)
{
	lock(fe);
	/* in-flight I/O keeps its index: only clear when nothing is in flight */
	if (!fe->pending && !fe->held)
		fe->nr_log = 0;
	else
		violation(fe, "fake_engine_clear_log with I/O in flight");
	unlock(fe);
}

char *fake_engine_log_str(struct fake_engine *fe, char *buf, size_t size)
{
	static const char ops[] = "RWFDZ";
	size_t len = 0, i;

	if (!size)
		return buf;
	buf[0] = '\0';
	lock(fe);
	for (i = 0; i < fe->nr_log && len < size; i++) {
		const struct fake_io *r = &fe->log[i];
		int n = snprintf(buf + len, size - len, "%s%c%c%llu+%zu", i ? " " : "",
				 'a' + (int)r->path, ops[r->op], (unsigned long long)r->off,
				 r->len);

		if (n < 0)
			break;
		len += (size_t)n;
	}
	unlock(fe);
	return buf;
}

unsigned fake_engine_violations(struct fake_engine *fe)
{
	unsigned n;

	lock(fe);
	n = fe->violations;
	unlock(fe);
	return n;
}

const char *fake_engine_last_violation(struct fake_engine *fe)
{
	return fe->last_violation;
}
