/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Path selectors, modelled on dm-path-selector.h: a const ops table per
 * selector, one file each, found by name in an explicit registry.
 *
 * Locking: every op is called with the core lock held (core.c), so a
 * selector keeps no lock of its own and must never block or call back
 * into the core.
 */
#ifndef MPATHFS_SELECTOR_H
#define MPATHFS_SELECTOR_H

#include <stddef.h>
#include <stdint.h>

struct mp_path;

/* One selector instance, owned by a priority group. */
struct mp_selector {
	const struct mp_selector_ops *ops;
	void *ctx;		/* selector private */
	unsigned rr_min_io;	/* I/Os per choice (from config) */
};

struct mp_selector_ops {
	const char *name;
	/* number of per-path words in status (INFO) and table (TABLE) output */
	unsigned info_args;
	unsigned table_args;

	int (*create)(struct mp_selector *ps);
	void (*destroy)(struct mp_selector *ps);

	/* Paths are added usable; weight is the path's relative throughput. */
	int (*add_path)(struct mp_selector *ps, struct mp_path *p, unsigned weight);
	void (*remove_path)(struct mp_selector *ps, struct mp_path *p);
	void (*fail_path)(struct mp_selector *ps, struct mp_path *p);
	void (*reinstate_path)(struct mp_selector *ps, struct mp_path *p);

	/*
	 * Choose a usable path for an I/O of nr_bytes, or NULL if none.
	 * *repeat is how many I/Os (including this one) may go to it before
	 * the selector is asked again (>= 1).
	 */
	struct mp_path *(*select_path)(struct mp_selector *ps, size_t nr_bytes,
				       unsigned *repeat);

	/* optional accounting */
	void (*start_io)(struct mp_selector *ps, struct mp_path *p, size_t nr_bytes);
	void (*end_io)(struct mp_selector *ps, struct mp_path *p, size_t nr_bytes,
		       uint64_t latency_ns);

	/*
	 * Per-path words for status (info != 0) or table output, each followed
	 * by one space; returns bytes written (snprintf semantics).
	 */
	int (*path_status)(struct mp_selector *ps, struct mp_path *p, int info,
			   char *buf, size_t size);
};

/* Registry: NULL if unknown. */
const struct mp_selector_ops *mp_selector_find(const char *name);
/* Comma-separated names, for messages. */
const char *mp_selector_names(void);

extern const struct mp_selector_ops mp_selector_round_robin;
extern const struct mp_selector_ops mp_selector_queue_length;
extern const struct mp_selector_ops mp_selector_service_time;
extern const struct mp_selector_ops mp_selector_historical_service_time;
extern const struct mp_selector_ops mp_selector_failover;

#endif
