// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Historical service time, after dm-ps-historical-service-time.c.
 *
 * Instead of trusting a configured weight, measure: each path keeps an
 * exponentially weighted moving average of the latency of its completed
 * I/Os,
 *	ewma += (latency - ewma) / 8
 * (the first sample is taken as is), and the I/Os it has in flight. An
 * incoming I/O waits for those to finish and then takes one more service
 * time, so a path's cost is (in_flight + 1) * ewma and the usable path with
 * the lowest cost wins; equal costs go to the path with fewer I/Os in
 * flight, then to the earliest added. A path with no sample yet costs 0, so
 * every new path is tried and measured, and a first burst is spread. A
 * reinstated path forgets its history: what it measured before it failed
 * (timeouts, a dying link) says nothing about it now.
 */
#include <stddef.h>
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>

#include "mpathfs/path.h"
#include "mpathfs/selector-list.h"
#include "mpathfs/selector.h"

#define HST_EWMA_SHIFT 3	/* alpha = 1/8 */

struct hst_path {
	struct mp_ps_entry entry;	/* first: see selector-list.h */
	uint64_t in_flight;
	uint64_t ewma_ns;		/* 0 until the first sample */
	bool sampled;
};
_Static_assert(offsetof(struct hst_path, entry) == 0, "selector-list.h needs it first");

static uint64_t hst_cost(const struct hst_path *pp)
{
	uint64_t cost;

	if (__builtin_mul_overflow(pp->in_flight + 1, pp->ewma_ns, &cost))
		return UINT64_MAX;
	return cost;
}

static int hst_add_path(struct mp_selector *ps, struct mp_path *p, unsigned weight)
{
	(void)weight;
	return mp_ps_add(ps, p, sizeof(struct hst_path)) ? 0 : -ENOMEM;
}

static void hst_reinstate_path(struct mp_selector *ps, struct mp_path *p)
{
	struct hst_path *pp = p->ps_ctx;

	if (!pp || !pp->entry.failed)
		return;
	mp_ps_reinstate_path(ps, p);
	pp->sampled = false;
	pp->ewma_ns = 0;
}

static struct mp_path *hst_select_path(struct mp_selector *ps, size_t nr_bytes,
				       unsigned *repeat)
{
	struct mp_ps_list *l = ps->ctx;
	struct hst_path *pp, *best = NULL;
	uint64_t best_cost = 0;

	(void)nr_bytes;
	for (pp = (void *)l->head; pp; pp = (void *)pp->entry.next) {
		uint64_t cost;

		if (pp->entry.failed)
			continue;
		cost = hst_cost(pp);
		if (!best || cost < best_cost ||
		    (cost == best_cost && pp->in_flight < best->in_flight)) {
			best = pp;
			best_cost = cost;
		}
	}
	if (!best)
		return NULL;
	*repeat = ps->rr_min_io ? ps->rr_min_io : 1;
	return best->entry.path;
}

static void hst_start_io(struct mp_selector *ps, struct mp_path *p, size_t nr_bytes)
{
	struct hst_path *pp = p->ps_ctx;

	(void)ps;
	(void)nr_bytes;
	if (pp)
		pp->in_flight++;
}

static void hst_end_io(struct mp_selector *ps, struct mp_path *p, size_t nr_bytes,
		       uint64_t latency_ns)
{
	struct hst_path *pp = p->ps_ctx;

	(void)ps;
	(void)nr_bytes;
	if (!pp)
		return;
	if (pp->in_flight)
		pp->in_flight--;
	if (!pp->sampled)
		pp->ewma_ns = latency_ns;
	else if (latency_ns >= pp->ewma_ns)
		pp->ewma_ns += (latency_ns - pp->ewma_ns) >> HST_EWMA_SHIFT;
	else
		pp->ewma_ns -= (pp->ewma_ns - latency_ns) >> HST_EWMA_SHIFT;
	pp->sampled = true;
}

static int hst_path_status(struct mp_selector *ps, struct mp_path *p, int info,
			   char *buf, size_t size)
{
	struct hst_path *pp = p->ps_ctx;

	if (info)
		return snprintf(buf, size, "%" PRIu64 " %" PRIu64 " ", pp->in_flight,
				pp->ewma_ns / 1000);
	return snprintf(buf, size, "%u ", ps->rr_min_io);
}

const struct mp_selector_ops mp_selector_historical_service_time = {
	.name = "historical-service-time",
	.info_args = 2,
	.table_args = 1,
	.create = mp_ps_create,
	.destroy = mp_ps_destroy,
	.add_path = hst_add_path,
	.remove_path = mp_ps_remove_path,
	.fail_path = mp_ps_fail_path,
	.reinstate_path = hst_reinstate_path,
	.select_path = hst_select_path,
	.start_io = hst_start_io,
	.end_io = hst_end_io,
	.path_status = hst_path_status,
};
