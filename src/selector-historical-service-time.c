// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Historical service time, after dm-ps-historical-service-time.c.
 *
 * Instead of trusting a configured weight, measure: each path keeps an
 * estimate of its own service time and counts the I/Os it has in flight.
 * An incoming I/O waits for those and then takes one more service time, so
 * a path's cost is (in_flight + 1) * estimate, and the usable path with the
 * lowest cost wins.
 *
 * The estimate must not hold the path's own queue: the cost charges for
 * the queue already, through in_flight. A plain average of latencies counts
 * it twice (an I/O that waited behind others has the wait in its latency),
 * and worse, when a path stalls every I/O queued on it reports the stall:
 * its average jumps, it gets no more I/O, and with no completions to
 * correct it the path starves. dm measures service time as if the path
 * served one I/O at a time (from the later of submission and the previous
 * completion), but on paths that serve I/Os in parallel (any array behind
 * a loop device, FUSE or a SAN) that measures 1 / the path's throughput:
 * the path given the most I/O looks fastest and gets still more, and in
 * the bench the others starved. So, instead, the estimate is the path's
 * latency floor, the latency of its least delayed I/Os:
 *	latency <  estimate:  estimate -= (estimate - latency) / 2
 *	latency >= estimate:  estimate += (latency - estimate) / 32
 * It follows a path that got faster at once and one that got slower within
 * a few dozen I/Os, but a burst of I/Os that queued on the path (or sat
 * through one stall) moves it only a little. A path that serves in
 * parallel has a floor near its unloaded latency; one that serves I/Os one
 * by one has a floor near one service time whenever its queue runs low.
 *
 * Two guards keep a healthy path from being starved by a chance reading:
 * paths whose cost is within 1/4 of the lowest count as equal and the one
 * with the fewest I/Os in flight wins (then the earliest added); and an idle
 * path's estimate ages, losing 1/256 at every completion on another path,
 * so a path that measured slow once is tried again after a few hundred
 * I/Os elsewhere (a path that is really slow then measures slow again).
 *
 * A path with no sample yet costs 0, so every new path is tried and
 * measured, and a first burst is spread. A reinstated path forgets its
 * history: what it measured before it failed (timeouts, a dying link) says
 * nothing about it now.
 */
#include <stddef.h>
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>

#include "mpathfs/path.h"
#include "mpathfs/selector-list.h"
#include "mpathfs/selector.h"

#define HST_DOWN_SHIFT 1	/* toward a lower sample: 1/2 of the way */
#define HST_UP_SHIFT 5		/* toward a higher one: 1/32 */
#define HST_BAND_SHIFT 2	/* costs within 1/4 of the lowest are equal */
#define HST_AGE_SHIFT 8		/* an idle path's estimate: -1/256 per completion elsewhere */

struct hst_path {
	struct mp_ps_entry entry;	/* first: see selector-list.h */
	uint64_t in_flight;
	uint64_t est_ns;		/* 0 until the first sample */
	bool sampled;
};
_Static_assert(offsetof(struct hst_path, entry) == 0, "selector-list.h needs it first");

static uint64_t hst_cost(const struct hst_path *pp)
{
	uint64_t cost;

	if (__builtin_mul_overflow(pp->in_flight + 1, pp->est_ns, &cost))
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
	pp->est_ns = 0;
}

static struct mp_path *hst_select_path(struct mp_selector *ps, size_t nr_bytes,
				       unsigned *repeat)
{
	struct mp_ps_list *l = ps->ctx;
	struct hst_path *pp, *best = NULL;
	uint64_t low = UINT64_MAX, band;

	(void)nr_bytes;
	for (pp = (void *)l->head; pp; pp = (void *)pp->entry.next) {
		uint64_t cost = hst_cost(pp);

		if (!pp->entry.failed && cost < low)
			low = cost;
	}
	if (__builtin_add_overflow(low, low >> HST_BAND_SHIFT, &band))
		band = UINT64_MAX;
	for (pp = (void *)l->head; pp; pp = (void *)pp->entry.next) {
		if (pp->entry.failed || hst_cost(pp) > band)
			continue;
		if (!best || pp->in_flight < best->in_flight)
			best = pp;
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
	struct mp_ps_list *l = ps->ctx;
	struct hst_path *pp = p->ps_ctx, *other;

	(void)nr_bytes;
	if (!pp)
		return;
	if (pp->in_flight)
		pp->in_flight--;
	if (!pp->sampled)
		pp->est_ns = latency_ns;
	else if (latency_ns < pp->est_ns)
		pp->est_ns -= (pp->est_ns - latency_ns) >> HST_DOWN_SHIFT;
	else
		pp->est_ns += (latency_ns - pp->est_ns) >> HST_UP_SHIFT;
	pp->sampled = true;
	for (other = (void *)l->head; other; other = (void *)other->entry.next)
		if (other != pp && !other->in_flight)
			other->est_ns -= other->est_ns >> HST_AGE_SHIFT;
}

static int hst_path_status(struct mp_selector *ps, struct mp_path *p, int info,
			   char *buf, size_t size)
{
	struct hst_path *pp = p->ps_ctx;

	if (info)
		return snprintf(buf, size, "%" PRIu64 " %" PRIu64 " ", pp->in_flight,
				pp->est_ns / 1000);
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
