// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Requests: a user read, write, flush, discard or write-zeroes turned into
 * aligned O_DIRECT path I/O.
 *
 * Life of a request: its bounce buffer is charged to the memory budget and
 * taken from a pool, by mp_req_new() for a write (blocking there is the
 * backpressure) and by mp_req_submit() for a read (which waits for budget
 * parked, holding nothing), so memory stays bounded even when I/O is
 * queued with no path. mp_req_submit() runs its phases; each phase is a
 * set of segments (at most MP_MAX_SEGMENT bytes each) that are mapped to a
 * path by the core, re-driven on another path after a path error, parked
 * on the core's queue when no path is usable, and continued after a short
 * transfer. When the last segment of the last phase ends, complete() is
 * called once and the front end frees the request.
 *
 * Writes (and discards) hold the range lock over their aligned extent from
 * before their first path I/O until their last has ended, so an unaligned
 * write's read-modify-write cannot interleave with another write to the
 * same blocks and lose an update.
 *
 * Each submission to a path is a struct mp_pio on the device's in-flight
 * list, oldest first. One that outlives io_timeout is orphaned: taken off
 * the list, its path failed, its segment re-driven with a new pio. The
 * orphan holds a reference on the request, so the request's buffers (which
 * the kernel may still write) and its range lock (which keeps newer writes
 * off the blocks a late write may still hit) live until it comes back.
 *
 * Locking: budget_mu (budget, pool, parked reads, live count), pio_mu
 * (in-flight list, io_timeout) and the range lock are leaves, never held
 * across calls into the core or engine.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mpathfs/log.h"
#include "mpathfs/request.h"
#include "mpathfs/util.h"

/* O_DIRECT wants memory aligned to the block size; a page is the least we give. */
static size_t buf_align(const struct mp_dev *dev)
{
	return dev->align > 4096 ? dev->align : 4096;
}

enum pio_state {
	PIO_INFLIGHT,
	PIO_DONE,	/* completed before it timed out */
	PIO_ORPHAN,	/* timed out: completion only releases it */
};

enum req_phase {
	PHASE_IO,		/* the request's own path I/O */
	PHASE_RMW_READ,		/* reading the partial head/tail blocks */
};

int mp_dev_init(struct mp_dev *dev, struct mp_engine *engine,
		uint64_t size, unsigned align, uint64_t budget_bytes)
{
	dev->engine = engine;
	dev->size = size;
	dev->align = align;
	dev->budget_limit = budget_bytes;
	dev->budget_used = 0;
	memset(dev->pool, 0, sizeof(dev->pool));
	dev->pool_bytes = 0;
	dev->parked_head = NULL;
	dev->parked_tail = &dev->parked_head;
	dev->nr_parked = 0;
	dev->granting = false;
	dev->nr_live = 0;
	dev->nr_waiters = 0;
	dev->max_waiters = 0;
	dev->io_timeout_ns = 0;
	dev->pio_head = dev->pio_tail = NULL;
	dev->nr_orphans = 0;
	mp_range_lock_init(&dev->rl);
	pthread_mutex_init(&dev->pio_mu, NULL);
	pthread_mutex_init(&dev->budget_mu, NULL);
	pthread_cond_init(&dev->budget_cv, NULL);
	return 0;
}

void mp_dev_drain(struct mp_dev *dev)
{
	pthread_mutex_lock(&dev->budget_mu);
	while (dev->nr_live)
		pthread_cond_wait(&dev->budget_cv, &dev->budget_mu);
	pthread_mutex_unlock(&dev->budget_mu);
}

void mp_dev_destroy(struct mp_dev *dev)
{
	for (unsigned c = 0; c < MP_POOL_CLASSES; c++) {
		while (dev->pool[c]) {
			void *buf = dev->pool[c];

			dev->pool[c] = *(void **)buf;
			free(buf);
		}
	}
	dev->pool_bytes = 0;
	mp_range_lock_destroy(&dev->rl);
	pthread_mutex_destroy(&dev->pio_mu);
	pthread_cond_destroy(&dev->budget_cv);
	pthread_mutex_destroy(&dev->budget_mu);
}

/*
 * The bounce-buffer pool. Buffers up to MP_MAX_SEGMENT are sized in powers
 * of two from 4 KiB, and a freed one goes on its size's free list, under
 * budget_mu (taken for the budget anyway): glibc maps a megabyte afresh or
 * trims it when freed, so every 1 MiB request had 256 pages faulted in and
 * zeroed, a third of the daemon's CPU on 1 MiB writes. The budget is
 * charged the size held, and a buffer is kept only while the buffers kept
 * and those in use together fit in the budget; one in use that does not
 * fit evicts what is kept. So the pool never makes the daemon hold more
 * bounce memory than the budget.
 */
static size_t pool_size(int cls)
{
	return (size_t)1 << (MP_POOL_MIN_SHIFT + cls);
}

/* The pool class of a buffer of len bytes, -1 if too big for one. */
static int pool_class(size_t len)
{
	int cls = 0;

	if (len > MP_MAX_SEGMENT)
		return -1;
	while (pool_size(cls) < len)
		cls++;
	return cls;
}

/* Caller holds budget_mu. */
static void *pool_pop(struct mp_dev *dev, int cls)
{
	void *buf = dev->pool[cls];

	if (buf) {
		dev->pool[cls] = *(void **)buf;
		dev->pool_bytes -= pool_size(cls);
	}
	return buf;
}

/* Could bytes be charged now? A request bigger than the whole budget runs, alone. */
static bool budget_fits(const struct mp_dev *dev, size_t bytes)
{
	return !bytes || !dev->budget_used || dev->budget_used + bytes <= dev->budget_limit;
}

/*
 * Caller holds budget_mu. Charge bytes, take a buffer of class cls (>= 0)
 * from the pool if there is one, and put the pooled buffers that no longer
 * fit beside what is in use on *evicted, for free_list() after unlocking.
 */
static void *charge_locked(struct mp_dev *dev, size_t bytes, int cls, void **evicted)
{
	void *buf = cls >= 0 ? pool_pop(dev, cls) : NULL;

	dev->budget_used += bytes;
	for (cls = MP_POOL_CLASSES - 1; cls >= 0; cls--) {
		while (dev->pool_bytes + dev->budget_used > dev->budget_limit && dev->pool[cls]) {
			void *old = pool_pop(dev, cls);

			*(void **)old = *evicted;
			*evicted = old;
		}
	}
	return buf;
}

static void free_list(void *list)
{
	while (list) {
		void *next = *(void **)list;

		free(list);
		list = next;
	}
}

/*
 * Count a new request live and charge bytes to the budget, waiting while
 * it is used up; returns a pooled buffer of class cls, or NULL.
 *
 * At most max_waiters callers wait (FUSE workers): the rest go over the
 * budget rather than leave no worker to serve `control`, which is how a
 * queue with no path gets released. Only writes wait (reads are parked
 * instead, see read_submit()), and the kernel lets at most max_background
 * asynchronous writes and one synchronous write into the daemon, so what
 * goes over is bounded too.
 */
static void *budget_get(struct mp_dev *dev, size_t bytes, int cls)
{
	void *buf, *evicted = NULL;

	pthread_mutex_lock(&dev->budget_mu);
	while (!budget_fits(dev, bytes) &&
	       (!dev->max_waiters || dev->nr_waiters < dev->max_waiters)) {
		dev->nr_waiters++;
		pthread_cond_wait(&dev->budget_cv, &dev->budget_mu);
		dev->nr_waiters--;
	}
	dev->nr_live++;
	buf = charge_locked(dev, bytes, cls, &evicted);
	pthread_mutex_unlock(&dev->budget_mu);
	free_list(evicted);
	return buf;
}

static void grant_parked(struct mp_dev *dev);

/*
 * A request is gone: uncharge bytes, keep its buffer (class cls, or NULL)
 * in the pool or free it, and start the parked reads that now fit.
 */
static void budget_put(struct mp_dev *dev, size_t bytes, void *buf, int cls)
{
	bool grant;

	pthread_mutex_lock(&dev->budget_mu);
	dev->budget_used -= bytes;
	dev->nr_live--;
	if (buf && cls >= 0 &&
	    dev->pool_bytes + pool_size(cls) + dev->budget_used <= dev->budget_limit) {
		*(void **)buf = dev->pool[cls];
		dev->pool[cls] = buf;
		dev->pool_bytes += pool_size(cls);
		buf = NULL;
	}
	grant = dev->parked_head && !dev->granting;
	if (grant)
		dev->granting = true;
	pthread_cond_broadcast(&dev->budget_cv);
	pthread_mutex_unlock(&dev->budget_mu);
	free(buf);
	if (grant)
		grant_parked(dev);
}

int mp_req_check_range(const struct mp_dev *dev, enum mp_io_op op,
		       uint64_t off, size_t *len)
{
	uint64_t size = mp_dev_size(dev);

	switch (op) {
	case MP_IO_READ:
		if (off >= size)
			*len = 0;
		else if (*len > size - off)
			*len = (size_t)(size - off);
		return 0;
	case MP_IO_WRITE:
	case MP_IO_DISCARD:
	case MP_IO_ZEROOUT:
		if (off > size || *len > size - off)
			return -ENOSPC;
		return 0;
	case MP_IO_FLUSH:
		return 0;
	}
	return -EINVAL;
}

/*
 * What a request costs besides its bounce buffer, charged to the budget
 * too so that max_io_memory_mb bounds all the memory I/O takes: its own
 * structs and libfuse's, and above all the page in front of an aligned
 * buffer, which holds glibc's chunk header and is otherwise mostly lost
 * to alignment (10000 queued 4 KiB reads took 80 MiB, not 40).
 */
#define REQ_OVERHEAD 4096

/* What the bounce buffer holds: its pool class's size, or alen unpooled. */
static size_t buf_bytes(const struct mp_req *r)
{
	return r->buf_class >= 0 ? pool_size(r->buf_class) : r->alen;
}

/* A read's charge, made when it is started. */
static size_t read_charge(const struct mp_req *r)
{
	return buf_bytes(r) + REQ_OVERHEAD;
}

static bool needs_rmw(const struct mp_req *r)
{
	return r->op == MP_IO_WRITE && r->len &&
	       (r->off != r->aoff || r->off + r->len != r->aoff + r->alen);
}

struct mp_req *mp_req_new(struct mp_dev *dev, enum mp_io_op op, uint64_t off,
			  size_t len, void (*complete)(struct mp_req *, int),
			  void *priv)
{
	struct mp_req *r;
	unsigned nr_segs = 1;
	size_t charge, held;

	r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->dev = dev;
	r->op = op;
	r->off = off;
	r->len = len;
	r->complete = complete;
	r->priv = priv;
	if (op == MP_IO_READ || op == MP_IO_WRITE) {
		r->aoff = mp_round_down(off, dev->align);
		r->alen = (size_t)(mp_round_up(off + len, dev->align) - r->aoff);
		nr_segs = (unsigned)((r->alen + MP_MAX_SEGMENT - 1) / MP_MAX_SEGMENT);
		if (nr_segs < 2)
			nr_segs = 2;	/* room for the two RMW edge reads */
	} else {
		r->aoff = off;
		r->alen = 0;
	}
	r->buf_class = r->alen ? pool_class(r->alen) : -1;
	/* a read takes its buffer when submitted: see read_submit() */
	held = op == MP_IO_READ ? 0 : buf_bytes(r);
	charge = op == MP_IO_READ ? 0 :
		 held + (needs_rmw(r) ? 2 * (size_t)dev->align : 0) + REQ_OVERHEAD;
	r->segs = r->seg_inline;
	if (nr_segs > MP_ARRAY_SIZE(r->seg_inline)) {
		r->segs = calloc(nr_segs, sizeof(*r->segs));
		if (!r->segs)
			goto fail;
	}
	if (needs_rmw(r) && posix_memalign((void **)&r->edge, buf_align(dev), 2 * (size_t)dev->align))
		goto fail;
	r->buf = budget_get(dev, charge, held ? r->buf_class : -1);
	if (held && !r->buf && posix_memalign((void **)&r->buf, buf_align(dev), held)) {
		/* a failed allocation must not hold budget */
		budget_put(dev, charge, NULL, -1);
		r->buf = NULL;
		goto fail;
	}
	r->budget = charge;
	r->nr_segs = nr_segs;
	r->refs = 1;
	return r;

fail:
	free(r->edge);
	if (r->segs != r->seg_inline)
		free(r->segs);
	free(r);
	return NULL;
}

void *mp_req_data(struct mp_req *r)
{
	return r->buf + (r->off - r->aoff);
}

/*
 * Release the range once the request is finished and no timed-out I/O of
 * it can still land; whichever of the two happens last gets here first
 * with both true, and the exchange makes it happen once.
 */
static void range_release_once(struct mp_req *r)
{
	bool no = false;

	if (!r->range_held)
		return;
	if (__atomic_compare_exchange_n(&r->range_released, &no, true, false,
					__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		mp_range_release(&r->dev->rl, &r->range);
}

static void req_put(struct mp_req *r)
{
	struct mp_dev *dev = r->dev;
	size_t charge = r->budget;
	void *buf = r->buf;
	int cls = r->buf_class;

	if (__atomic_sub_fetch(&r->refs, 1, __ATOMIC_ACQ_REL))
		return;
	range_release_once(r);
	free(r->edge);
	if (r->segs != r->seg_inline)
		free(r->segs);
	free(r);
	budget_put(dev, charge, buf, cls);
}

void mp_req_free(struct mp_req *r)
{
	req_put(r);
}

static void run_phase(struct mp_req *r);
static void seg_start(struct mp_seg *s);
static void account(struct mp_path *p, enum mp_io_op op, long bytes);

static void finish(struct mp_req *r)
{
	__atomic_store_n(&r->finished, true, __ATOMIC_SEQ_CST);
	if (!__atomic_load_n(&r->orphans, __ATOMIC_SEQ_CST))
		range_release_once(r);
	r->complete(r, r->err);
}

/* Fill the partial head and tail of the bounce buffer from the blocks read. */
static void rmw_merge(struct mp_req *r)
{
	size_t align = r->dev->align;
	uint64_t end = r->off + r->len, aend = r->aoff + r->alen;
	const char *tail_block = r->alen == align ? r->edge : r->edge + align;

	if (r->off != r->aoff)
		memcpy(r->buf, r->edge, (size_t)(r->off - r->aoff));
	if (end != aend)
		memcpy(r->buf + (end - r->aoff), tail_block + (end - (aend - align)),
		       (size_t)(aend - end));
}

static void phase_done(struct mp_req *r)
{
	if (r->err || r->phase == PHASE_IO) {
		finish(r);
		return;
	}
	rmw_merge(r);
	r->phase = PHASE_IO;
	run_phase(r);
}

static void seg_finished(struct mp_seg *s, int err)
{
	struct mp_req *r = s->req;

	if (err) {
		int zero = 0;

		__atomic_compare_exchange_n(&r->err, &zero, err, false,
					    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
	}
	if (__atomic_sub_fetch(&r->pending, 1, __ATOMIC_ACQ_REL) == 0)
		phase_done(r);
}

static void account(struct mp_path *p, enum mp_io_op op, long bytes)
{
	if (op == MP_IO_READ) {
		__atomic_add_fetch(&p->nr_reads, 1, __ATOMIC_RELAXED);
		__atomic_add_fetch(&p->bytes_read, (uint64_t)bytes, __ATOMIC_RELAXED);
	} else if (op == MP_IO_WRITE) {
		__atomic_add_fetch(&p->nr_writes, 1, __ATOMIC_RELAXED);
		__atomic_add_fetch(&p->bytes_written, (uint64_t)bytes, __ATOMIC_RELAXED);
	}
}

static void pio_link(struct mp_dev *dev, struct mp_pio *pio)
{
	pthread_mutex_lock(&dev->pio_mu);
	pio->next = NULL;
	pio->prev = dev->pio_tail;
	if (dev->pio_tail)
		dev->pio_tail->next = pio;
	else
		dev->pio_head = pio;
	dev->pio_tail = pio;
	pthread_mutex_unlock(&dev->pio_mu);
}

/* Caller holds pio_mu. */
static void pio_unlink_locked(struct mp_dev *dev, struct mp_pio *pio)
{
	if (pio->prev)
		pio->prev->next = pio->next;
	else
		dev->pio_head = pio->next;
	if (pio->next)
		pio->next->prev = pio->prev;
	else
		dev->pio_tail = pio->prev;
	pio->prev = pio->next = NULL;
}

/* A timed-out I/O came back at last: drop what it held. */
static void orphan_done(struct mp_pio *pio, long res)
{
	struct mp_req *r = pio->seg->req;

	mp_notice("path %s: timed-out I/O at offset %llu completed late (%s)",
		  pio->path->name, (unsigned long long)pio->eio.off,
		  res < 0 ? mp_errstr((int)res) : "success");
	__atomic_sub_fetch(&r->dev->nr_orphans, 1, __ATOMIC_RELAXED);
	free(pio);
	if (!__atomic_sub_fetch(&r->orphans, 1, __ATOMIC_SEQ_CST) &&
	    __atomic_load_n(&r->finished, __ATOMIC_SEQ_CST))
		range_release_once(r);
	req_put(r);
}

static void seg_io_done(struct mp_eio *io, long res)
{
	struct mp_pio *pio = mp_container_of(io, struct mp_pio, eio);
	struct mp_seg *s = pio->seg;
	struct mp_dev *dev = s->req->dev;
	struct mp_path *p = pio->path;
	bool transfer = s->op == MP_IO_READ || s->op == MP_IO_WRITE;
	size_t len = io->len;
	int expect = PIO_INFLIGHT;

	if (!__atomic_compare_exchange_n(&pio->state, &expect, PIO_DONE, false,
					 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		orphan_done(pio, res);
		return;
	}
	pthread_mutex_lock(&dev->pio_mu);
	pio_unlink_locked(dev, pio);
	pthread_mutex_unlock(&dev->pio_mu);
	mp_core_end_io(&dev->core, p, len, mp_now_ns() - pio->start_ns);
	free(pio);

	if (res >= 0 && (!transfer || (size_t)res == len)) {
		account(p, s->op, res);
		s->done += transfer ? (size_t)res : s->len;
		seg_finished(s, 0);
		return;
	}
	if (res > 0) {
		/* short transfer: continue where it stopped */
		account(p, s->op, res);
		s->done += (size_t)res;
		seg_start(s);
		return;
	}
	if (res == 0)
		res = -EIO;	/* no progress at all: the path is not answering sanely */
	__atomic_add_fetch(&p->nr_errors, 1, __ATOMIC_RELAXED);
	if (!mp_core_is_path_error((int)res)) {
		mp_info("path %s: %s at offset %llu: returned to the caller", p->name,
			mp_errstr((int)res), (unsigned long long)(s->off + s->done));
		seg_finished(s, (int)res);
		return;
	}
	{
		char reason[96];

		snprintf(reason, sizeof(reason), "I/O error: %s", mp_errstr((int)res));
		mp_core_fail_path(&dev->core, p, reason);
	}
	__atomic_add_fetch(&p->nr_redriven, 1, __ATOMIC_RELAXED);
	seg_start(s);
}

static void seg_issue(struct mp_seg *s, struct mp_path *path)
{
	struct mp_dev *dev = s->req->dev;
	struct mp_engine *e = dev->engine;
	struct mp_pio *pio = calloc(1, sizeof(*pio));
	struct mp_eio *io;
	int r;

	if (!pio) {
		mp_core_end_io(&dev->core, path, s->len - s->done, 0);
		seg_finished(s, -ENOMEM);
		return;
	}
	pio->seg = s;
	pio->path = path;
	pio->state = PIO_INFLIGHT;
	io = &pio->eio;
	io->op = s->op;
	io->dev = &path->dev;
	io->buf = s->buf ? s->buf + s->done : NULL;
	io->len = s->len - s->done;
	io->off = s->off + s->done;
	io->done = seg_io_done;
	pio->start_ns = mp_now_ns();
	pio_link(dev, pio);
	r = e->ops->submit(e, io);
	if (r < 0)
		seg_io_done(io, r);
}

static void seg_start(struct mp_seg *s)
{
	struct mp_path *path;
	int r = mp_core_map_io(&s->req->dev->core, s->len - s->done, &s->qe, &path);

	if (r == 0)
		seg_issue(s, path);
	else if (r < 0)
		seg_finished(s, r);
	/* r == 1: parked on the core's queue until a path returns */
}

static void seg_resume(struct mp_qentry *qe, int err)
{
	struct mp_seg *s = mp_container_of(qe, struct mp_seg, qe);

	if (err)
		seg_finished(s, err);
	else
		seg_start(s);
}

static unsigned add_seg(struct mp_req *r, unsigned i, enum mp_io_op op,
			uint64_t off, size_t len, char *buf)
{
	struct mp_seg *s = &r->segs[i];

	memset(s, 0, sizeof(*s));
	s->req = r;
	s->op = op;
	s->off = off;
	s->len = len;
	s->buf = buf;
	s->qe.resume = seg_resume;
	return i + 1;
}

/* Lay out the segments of the current phase, then start them all. */
static void run_phase(struct mp_req *r)
{
	unsigned n = 0, i;

	if (r->phase == PHASE_RMW_READ) {
		size_t align = r->dev->align;
		uint64_t aend = r->aoff + r->alen;

		if (r->off != r->aoff || r->alen == align)
			n = add_seg(r, n, MP_IO_READ, r->aoff, align, r->edge);
		if (r->off + r->len != aend && (r->alen != align || n == 0))
			n = add_seg(r, n, MP_IO_READ, aend - align, align,
				    r->alen == align ? r->edge : r->edge + align);
	} else if (r->op == MP_IO_READ || r->op == MP_IO_WRITE) {
		size_t pos;

		for (pos = 0; pos < r->alen; pos += MP_MAX_SEGMENT) {
			size_t len = r->alen - pos < MP_MAX_SEGMENT ? r->alen - pos : MP_MAX_SEGMENT;

			n = add_seg(r, n, r->op, r->aoff + pos, len, r->buf + pos);
		}
	} else {
		n = add_seg(r, n, r->op, r->off, r->len, NULL);
	}
	/* every segment counts before any starts: one may finish at once */
	__atomic_store_n(&r->pending, n, __ATOMIC_RELEASE);
	for (i = 0; i < n; i++)
		seg_start(&r->segs[i]);
}

static void range_granted(struct mp_range *range)
{
	struct mp_req *r = mp_container_of(range, struct mp_req, range);

	r->range_held = true;
	r->phase = needs_rmw(r) ? PHASE_RMW_READ : PHASE_IO;
	run_phase(r);
}

/* Start a read that has been charged, with buf from the pool or NULL. */
static void read_start(struct mp_req *r, void *buf)
{
	if (!buf && posix_memalign(&buf, buf_align(r->dev), buf_bytes(r))) {
		r->complete(r, -ENOMEM);
		return;
	}
	r->buf = buf;
	r->phase = PHASE_IO;
	run_phase(r);
}

/*
 * Reads take their bounce buffer here and never wait for it: one the
 * budget cannot hold now is parked, holding no memory, behind the reads
 * parked before it, and started when enough budget is freed. FUSE does
 * not cap synchronous reads (only asynchronous I/O, at max_background),
 * so a flood of them would otherwise have to block every worker, leaving
 * none for `control`, or go past the budget.
 */
static void read_submit(struct mp_req *r)
{
	struct mp_dev *dev = r->dev;
	size_t bytes = read_charge(r);
	void *buf = NULL, *evicted = NULL;
	bool park;

	pthread_mutex_lock(&dev->budget_mu);
	park = dev->parked_head || !budget_fits(dev, bytes);
	if (park) {
		r->next_parked = NULL;
		*dev->parked_tail = r;
		dev->parked_tail = &r->next_parked;
		dev->nr_parked++;
	} else {
		buf = charge_locked(dev, bytes, r->buf_class, &evicted);
		r->budget = bytes;
	}
	pthread_mutex_unlock(&dev->budget_mu);
	free_list(evicted);
	if (!park)
		read_start(r, buf);
}

/*
 * Start parked reads, oldest first, while they fit. One thread at a time
 * (dev->granting): a read started here may complete and be freed at once,
 * calling budget_put() again on this stack, which then leaves the next
 * one to this loop instead of recursing once per parked read.
 */
static void grant_parked(struct mp_dev *dev)
{
	for (;;) {
		struct mp_req *r;
		void *buf, *evicted = NULL;

		pthread_mutex_lock(&dev->budget_mu);
		r = dev->parked_head;
		if (!r || !budget_fits(dev, read_charge(r))) {
			dev->granting = false;
			pthread_mutex_unlock(&dev->budget_mu);
			return;
		}
		dev->parked_head = r->next_parked;
		if (!dev->parked_head)
			dev->parked_tail = &dev->parked_head;
		dev->nr_parked--;
		buf = charge_locked(dev, read_charge(r), r->buf_class, &evicted);
		r->budget = read_charge(r);
		pthread_mutex_unlock(&dev->budget_mu);
		free_list(evicted);
		read_start(r, buf);
	}
}

void mp_req_submit(struct mp_req *r)
{
	if (r->op != MP_IO_FLUSH && r->len == 0) {
		r->complete(r, 0);
		return;
	}
	if (r->op == MP_IO_READ) {
		read_submit(r);
		return;
	}
	if (r->op == MP_IO_FLUSH) {
		r->phase = PHASE_IO;
		run_phase(r);
		return;
	}
	{
		uint64_t start = r->op == MP_IO_WRITE ? r->aoff : r->off;
		uint64_t end = r->op == MP_IO_WRITE ? r->aoff + r->alen : r->off + r->len;

		if (mp_range_acquire(&r->dev->rl, &r->range, start, end, range_granted))
			range_granted(&r->range);
	}
}

void mp_dev_expire_io(struct mp_dev *dev, uint64_t now_ns)
{
	struct expired {
		struct mp_seg *seg;
		struct mp_path *path;
		size_t len;
		uint64_t start_ns;
	} *list = NULL;
	struct mp_pio *pio, *next;
	size_t n = 0, cap = 0, i;
	uint64_t timeout_ns;

	pthread_mutex_lock(&dev->pio_mu);
	timeout_ns = dev->io_timeout_ns;
	for (pio = dev->pio_head; timeout_ns && pio && pio->start_ns + timeout_ns <= now_ns;
	     pio = next) {
		struct mp_req *r = pio->seg->req;
		int expect = PIO_INFLIGHT;

		next = pio->next;
		if (n == cap) {
			struct expired *bigger = realloc(list, (cap ? 2 * cap : 16) * sizeof(*list));

			if (!bigger)
				break;	/* the rest expire on the next pass */
			list = bigger;
			cap = cap ? 2 * cap : 16;
		}
		/* the completion side may be finishing it right now: it wins or we do */
		if (!__atomic_compare_exchange_n(&pio->state, &expect, PIO_ORPHAN, false,
						 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
			continue;
		/*
		 * From here the late completion may free the pio at any moment:
		 * take the references and copy what we need before unlocking.
		 */
		__atomic_add_fetch(&r->refs, 1, __ATOMIC_ACQ_REL);
		__atomic_add_fetch(&r->orphans, 1, __ATOMIC_SEQ_CST);
		__atomic_add_fetch(&dev->nr_orphans, 1, __ATOMIC_RELAXED);
		list[n++] = (struct expired){ pio->seg, pio->path, pio->eio.len, pio->start_ns };
		pio_unlink_locked(dev, pio);
	}
	pthread_mutex_unlock(&dev->pio_mu);

	for (i = 0; i < n; i++) {
		struct expired *e = &list[i];
		char reason[96];

		__atomic_add_fetch(&e->path->nr_errors, 1, __ATOMIC_RELAXED);
		__atomic_add_fetch(&e->path->nr_redriven, 1, __ATOMIC_RELAXED);
		mp_core_end_io(&dev->core, e->path, e->len, now_ns - e->start_ns);
		snprintf(reason, sizeof(reason), "I/O timeout: no answer within %llu ms",
			 (unsigned long long)(timeout_ns / 1000000ull));
		mp_core_fail_path(&dev->core, e->path, reason);
		/* the orphan keeps its buffer; the segment starts over elsewhere */
		seg_start(e->seg);
	}
	free(list);
}

uint64_t mp_dev_next_expiry(struct mp_dev *dev, uint64_t now_ns)
{
	uint64_t t;

	pthread_mutex_lock(&dev->pio_mu);
	/* I/O started later expires later than now + timeout: no wake-up needed */
	if (!dev->io_timeout_ns)
		t = UINT64_MAX;
	else
		t = dev->pio_head ? dev->pio_head->start_ns + dev->io_timeout_ns
				  : now_ns + dev->io_timeout_ns;
	pthread_mutex_unlock(&dev->pio_mu);
	return t;
}

void mp_dev_set_io_timeout(struct mp_dev *dev, unsigned seconds)
{
	pthread_mutex_lock(&dev->pio_mu);
	dev->io_timeout_ns = (uint64_t)seconds * 1000000000ull;
	pthread_mutex_unlock(&dev->pio_mu);
}
