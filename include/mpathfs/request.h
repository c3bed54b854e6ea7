/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Requests: one user read, write, flush, discard or write-zeroes on the
 * multipath device, turned into aligned path I/O. Owns bounce buffers,
 * splitting, short-I/O continuation, read-modify-write for unaligned writes
 * (serialised by the range lock), re-drive on path errors and queueing.
 *
 * Hung I/O: a path I/O in flight longer than io_timeout is orphaned: its
 * path is failed, its segment re-driven on another path, and the orphan
 * keeps its request's buffers and range lock until the kernel completes it,
 * so a stale write can never land over newer data.
 *
 * Locking (order: none of these nest):
 *   dev->budget_mu  - bounce-buffer memory budget, its pool, live request count
 *   dev->pio_mu     - the list of path I/O in flight
 *   dev->rl.mu      - range lock (range-lock.h)
 *   dev->core.lock  - core state (core.h)
 */
#ifndef MPATHFS_REQUEST_H
#define MPATHFS_REQUEST_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mpathfs/core.h"
#include "mpathfs/io-engine.h"
#include "mpathfs/range-lock.h"

/* Largest single path I/O; bigger requests are split. */
#define MP_MAX_SEGMENT (1u << 20)

/* Free bounce buffers are pooled by size: 4 KiB, 8 KiB, ... MP_MAX_SEGMENT. */
#define MP_POOL_MIN_SHIFT 12
#define MP_POOL_CLASSES 9
_Static_assert(MP_MAX_SEGMENT == 1u << (MP_POOL_MIN_SHIFT + MP_POOL_CLASSES - 1),
	       "the largest pool class is one segment");

struct mp_dev {
	struct mp_core core;
	struct mp_engine *engine;
	uint64_t size;			/* bytes, the smallest path's */
	unsigned align;			/* largest logical block size of any path */
	struct mp_range_lock rl;

	pthread_mutex_t budget_mu;
	pthread_cond_t budget_cv;
	uint64_t budget_used, budget_limit;	/* bytes of bounce buffers */
	void *pool[MP_POOL_CLASSES];		/* free bounce buffers, linked by their first word */
	uint64_t pool_bytes;			/* what they hold */
	struct mp_req *parked_head;		/* reads waiting for budget, oldest first */
	struct mp_req **parked_tail;
	unsigned nr_parked;
	bool granting;				/* a thread is starting parked reads */
	unsigned nr_live;			/* requests not yet freed */
	unsigned nr_waiters;			/* callers waiting for budget */
	unsigned max_waiters;			/* 0: no limit (see budget_get) */

	uint64_t io_timeout_ns;		/* [pio_mu] 0: never expire I/O (reload changes it) */
	pthread_mutex_t pio_mu;
	struct mp_pio *pio_head;	/* in flight, oldest first */
	struct mp_pio *pio_tail;
	uint64_t nr_orphans;		/* [atomic] timed-out I/O not yet back */
};

struct mp_req;
struct mp_seg;

/* One submission of (part of) a segment to one path. */
struct mp_pio {
	struct mp_eio eio;
	struct mp_seg *seg;
	struct mp_path *path;
	uint64_t start_ns;
	int state;			/* [atomic] enum pio_state in request.c */
	struct mp_pio *prev, *next;	/* dev->pio_mu */
};

struct mp_seg {
	struct mp_req *req;
	struct mp_qentry qe;
	uint64_t off;			/* device offset of the segment */
	size_t len;
	size_t done;			/* bytes completed so far (short I/O) */
	char *buf;
	enum mp_io_op op;
};

struct mp_req {
	struct mp_dev *dev;
	enum mp_io_op op;
	uint64_t off;			/* user range */
	size_t len;
	uint64_t aoff;			/* aligned range */
	size_t alen;
	char *buf;			/* aligned bounce buffer of alen bytes */
	int buf_class;			/* its pool class, -1 if not pooled */
	char *edge;			/* RMW scratch: head and tail blocks */
	size_t budget;			/* bytes charged to the budget */
	int phase;
	int err;
	unsigned pending;		/* [atomic] segments not yet finished */
	unsigned refs;			/* [atomic] the front end's + one per orphan */
	unsigned orphans;		/* [atomic] timed-out I/O not yet back */
	bool finished;			/* [atomic] complete() has been called */
	bool range_released;		/* [atomic] */
	struct mp_range range;
	bool range_held;
	void (*complete)(struct mp_req *r, int err);
	void *priv;			/* the front end's */
	struct mp_req *next_parked;	/* dev->budget_mu */
	unsigned nr_segs;
	struct mp_seg *segs;		/* seg_inline, or allocated if more */
	struct mp_seg seg_inline[2];	/* enough for requests up to 2 segments */
};

int mp_dev_init(struct mp_dev *dev, struct mp_engine *engine,
		uint64_t size, unsigned align, uint64_t budget_bytes);
/* Waits until every request has been freed. */
void mp_dev_drain(struct mp_dev *dev);
void mp_dev_destroy(struct mp_dev *dev);

/*
 * Make a request for [off, off+len). A write (with a bounce buffer) blocks
 * while the bounce-buffer budget is exhausted (backpressure); a read never
 * blocks: it gets its buffer in mp_req_submit(), or waits there for budget
 * holding no memory and without blocking the caller, in the order the
 * reads came. complete(r, err) is called exactly once after
 * mp_req_submit(), from an engine thread or the submitter; the front end
 * then replies and calls mp_req_free(); the memory (and a write's range
 * lock) goes when the last timed-out I/O of the request is back. For a write, copy the data into
 * mp_req_data() before submitting; for a read, the data is there on success.
 * Returns NULL on allocation failure.
 */
struct mp_req *mp_req_new(struct mp_dev *dev, enum mp_io_op op, uint64_t off,
			  size_t len, void (*complete)(struct mp_req *, int),
			  void *priv);
void *mp_req_data(struct mp_req *r);
void mp_req_submit(struct mp_req *r);
void mp_req_free(struct mp_req *r);

/*
 * Orphan and re-drive every path I/O older than io_timeout (admin thread),
 * and the time of the next check worth making.
 */
void mp_dev_expire_io(struct mp_dev *dev, uint64_t now_ns);
uint64_t mp_dev_next_expiry(struct mp_dev *dev, uint64_t now_ns);
void mp_dev_set_io_timeout(struct mp_dev *dev, unsigned seconds);

/* Checks shared by every front end: 0, or -EINVAL / -ENOSPC / -EFBIG. */
/* The device's size; `resize` changes it while I/O runs. */
static inline uint64_t mp_dev_size(const struct mp_dev *dev)
{
	return __atomic_load_n(&dev->size, __ATOMIC_ACQUIRE);
}

int mp_req_check_range(const struct mp_dev *dev, enum mp_io_op op,
		       uint64_t off, size_t *len);

#endif
