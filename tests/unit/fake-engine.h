/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A fake I/O engine for unit tests: the ops of io-engine.h over one
 * in-memory byte array (the storage) that every path reaches, as the
 * paths of a real multipath device all reach the same LU.
 *
 * Completion is deferred: submit() only queues an I/O (it never completes
 * one, per the io-engine.h contract); fake_engine_run() completes every
 * pending I/O in submission order, including any that the completions
 * themselves submit, on the calling thread.
 *
 * Each path (index 0..nr_paths-1, identified by the fd the fake hands out
 * in fake_engine_dev()) has a behaviour the test sets:
 *   ok       complete in full (the default);
 *   fail     complete with a given -errno;
 *   short    the next read or write on the path transfers only N bytes
 *            (once), then the path is ok again;
 *   hold     park new I/O on the path until fake_engine_release().
 * "hold" is decided when an I/O is submitted; the outcome (ok, fail,
 * short) when it completes, so an I/O can be held and then failed.
 *
 * Every submitted I/O is logged (path, op, off, len, and its result once
 * completed). O_DIRECT rules are enforced against the path's logical block
 * size: buffer address, offset and length of a read or write (offset and
 * length of a discard or write-zeroes) must be multiples of it, the range
 * must lie in the storage, and an mp_eio may not be submitted again while
 * it is in flight. A breach is counted as a violation and the I/O
 * completes with -EINVAL, as the kernel would.
 */
#ifndef MPATHFS_TESTS_FAKE_ENGINE_H
#define MPATHFS_TESTS_FAKE_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mpathfs/io-engine.h"
#include "mpathfs/path.h"

#define FAKE_MAX_PATHS 8
/* fds handed out for paths: FAKE_FD_BASE + index (never real fds) */
#define FAKE_FD_BASE 7000

struct fake_engine;

/* One logged I/O. res is the result passed to done(), or FAKE_RES_PENDING. */
#define FAKE_RES_PENDING (-999999L)
struct fake_io {
	unsigned path;
	enum mp_io_op op;
	uint64_t off;
	size_t len;
	long res;
};

/* nr_paths paths of logical block size lbs over size bytes of storage. */
struct fake_engine *fake_engine_new(size_t size, unsigned nr_paths, unsigned lbs);
void fake_engine_free(struct fake_engine *fe);

struct mp_engine *fake_engine_engine(struct fake_engine *fe);
/* What open_path would report for path i (fd FAKE_FD_BASE + i). */
struct mp_path_dev fake_engine_dev(struct fake_engine *fe, unsigned path);
void fake_engine_set_lbs(struct fake_engine *fe, unsigned path, unsigned lbs);

unsigned char *fake_engine_storage(struct fake_engine *fe);
size_t fake_engine_size(struct fake_engine *fe);

/* Path behaviour. */
void fake_engine_path_ok(struct fake_engine *fe, unsigned path);
void fake_engine_path_fail(struct fake_engine *fe, unsigned path, int neg_errno);
void fake_engine_path_short(struct fake_engine *fe, unsigned path, size_t bytes);
void fake_engine_path_hold(struct fake_engine *fe, unsigned path, bool hold);

/* Move the I/O held on path (all paths if path < 0) to the pending queue. */
unsigned fake_engine_release(struct fake_engine *fe, int path);
/* Complete pending I/O in order until none is left; returns how many. */
unsigned fake_engine_run(struct fake_engine *fe);
/* Complete at most one pending I/O; returns 1 if it did. */
unsigned fake_engine_step(struct fake_engine *fe);
unsigned fake_engine_nr_pending(struct fake_engine *fe);
unsigned fake_engine_nr_held(struct fake_engine *fe);

/* The log. */
size_t fake_engine_nr_ios(struct fake_engine *fe);
struct fake_io fake_engine_io(struct fake_engine *fe, size_t i);
void fake_engine_clear_log(struct fake_engine *fe);
/*
 * The log as text, one word per I/O separated by one blank:
 * <path letter a..><op R W F D Z><off>+<len>, e.g. "aR512+512 bW0+4096".
 * Returns buf.
 */
char *fake_engine_log_str(struct fake_engine *fe, char *buf, size_t size);

/* O_DIRECT and protocol breaches seen so far, and the last one's text. */
unsigned fake_engine_violations(struct fake_engine *fe);
const char *fake_engine_last_violation(struct fake_engine *fe);

#endif
