// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Service-time, after dm-ps-service-time.c.
 *
 * A path's weight is its relative throughput, so the time it needs to serve
 * an incoming I/O of nr_bytes once what it already has in flight is done is
 * estimated by
 *	(in_flight_bytes + nr_bytes) / weight
 * and the usable path with the smallest estimate wins. Paths p1 and p2 are
 * compared as (sz1 + nr_bytes) * w2 against (sz2 + nr_bytes) * w1, which
 * needs no division and is exact: a 64-bit size times a 32-bit weight is
 * kept as a 96-bit product. A path of weight 0 has no throughput to divide
 * by: it loses to any path of weight > 0, and among such paths the less
 * loaded one wins. Equal estimates go to the earliest added path.
 */
#include <stddef.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

#include "mpathfs/path.h"
#include "mpathfs/selector-list.h"
#include "mpathfs/selector.h"

_Static_assert(sizeof(unsigned) == sizeof(uint32_t), "weights must be 32-bit");

struct st_path {
	struct mp_ps_entry entry;	/* first: see selector-list.h */
	uint64_t in_flight_bytes;
	unsigned weight;
};
_Static_assert(offsetof(struct st_path, entry) == 0, "selector-list.h needs it first");

/* A 96-bit product hi * 2^32 + lo. */
struct st_u96 {
	uint64_t hi;
	uint32_t lo;
};

static struct st_u96 st_mul(uint64_t size, uint32_t weight)
{
	uint64_t lo = (size & UINT32_MAX) * weight;

	return (struct st_u96){
		.hi = (size >> 32) * weight + (lo >> 32),
		.lo = (uint32_t)lo,
	};
}

static int st_cmp_u64(uint64_t a, uint64_t b)
{
	return (a > b) - (a < b);
}

/* < 0: p1 serves the incoming I/O sooner; 0: same estimate; > 0: p2 does. */
static int st_compare_load(const struct st_path *p1, const struct st_path *p2,
			   size_t nr_bytes)
{
	struct st_u96 st1, st2;

	if (!p1->weight || !p2->weight) {
		if (p1->weight != p2->weight)
			return p1->weight ? -1 : 1;
		return st_cmp_u64(p1->in_flight_bytes, p2->in_flight_bytes);
	}
	st1 = st_mul(p1->in_flight_bytes + nr_bytes, p2->weight);
	st2 = st_mul(p2->in_flight_bytes + nr_bytes, p1->weight);
	if (st1.hi != st2.hi)
		return st_cmp_u64(st1.hi, st2.hi);
	return st_cmp_u64(st1.lo, st2.lo);
}

static int st_add_path(struct mp_selector *ps, struct mp_path *p, unsigned weight)
{
	struct st_path *pp = mp_ps_add(ps, p, sizeof(*pp));

	if (!pp)
		return -ENOMEM;
	pp->weight = weight;
	return 0;
}

static struct mp_path *st_select_path(struct mp_selector *ps, size_t nr_bytes,
				      unsigned *repeat)
{
	struct mp_ps_list *l = ps->ctx;
	struct st_path *pp, *best = NULL;

	for (pp = (void *)l->head; pp; pp = (void *)pp->entry.next) {
		if (pp->entry.failed)
			continue;
		if (!best || st_compare_load(pp, best, nr_bytes) < 0)
			best = pp;
	}
	if (!best)
		return NULL;
	*repeat = ps->rr_min_io ? ps->rr_min_io : 1;
	return best->entry.path;
}

static void st_start_io(struct mp_selector *ps, struct mp_path *p, size_t nr_bytes)
{
	struct st_path *pp = p->ps_ctx;

	(void)ps;
	if (pp)
		pp->in_flight_bytes += nr_bytes;
}

static void st_end_io(struct mp_selector *ps, struct mp_path *p, size_t nr_bytes,
		      uint64_t latency_ns)
{
	struct st_path *pp = p->ps_ctx;

	(void)ps;
	(void)latency_ns;
	if (!pp)
		return;
	pp->in_flight_bytes -= pp->in_flight_bytes < nr_bytes ?
			       pp->in_flight_bytes : nr_bytes;
}

static int st_path_status(struct mp_selector *ps, struct mp_path *p, int info,
			  char *buf, size_t size)
{
	struct st_path *pp = p->ps_ctx;

	if (info)
		return snprintf(buf, size, "%" PRIu64 " %u ", pp->in_flight_bytes,
				pp->weight);
	return snprintf(buf, size, "%u %u ", ps->rr_min_io, pp->weight);
}

const struct mp_selector_ops mp_selector_service_time = {
	.name = "service-time",
	.info_args = 2,
	.table_args = 2,
	.create = mp_ps_create,
	.destroy = mp_ps_destroy,
	.add_path = st_add_path,
	.remove_path = mp_ps_remove_path,
	.fail_path = mp_ps_fail_path,
	.reinstate_path = mp_ps_reinstate_path,
	.select_path = st_select_path,
	.start_io = st_start_io,
	.end_io = st_end_io,
	.path_status = st_path_status,
};
