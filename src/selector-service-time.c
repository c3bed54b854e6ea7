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
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "mpathfs/path.h"
#include "mpathfs/selector.h"

_Static_assert(sizeof(unsigned) == sizeof(uint32_t), "weights must be 32-bit");

struct st_path {
	struct st_path *next;		/* add order */
	struct mp_path *path;
	uint64_t in_flight_bytes;
	unsigned weight;
	bool failed;
};

struct st_selector {
	struct st_path *head, *tail;
};

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

static int st_create(struct mp_selector *ps)
{
	struct st_selector *s = calloc(1, sizeof(*s));

	if (!s)
		return -ENOMEM;
	ps->ctx = s;
	return 0;
}

static void st_destroy(struct mp_selector *ps)
{
	struct st_selector *s = ps->ctx;
	struct st_path *pp, *next;

	for (pp = s->head; pp; pp = next) {
		next = pp->next;
		free(pp);
	}
	free(s);
	ps->ctx = NULL;
}

static int st_add_path(struct mp_selector *ps, struct mp_path *p, unsigned weight)
{
	struct st_selector *s = ps->ctx;
	struct st_path *pp = calloc(1, sizeof(*pp));

	if (!pp)
		return -ENOMEM;
	pp->path = p;
	pp->weight = weight;
	if (s->tail)
		s->tail->next = pp;
	else
		s->head = pp;
	s->tail = pp;
	p->ps_ctx = pp;
	return 0;
}

static void st_remove_path(struct mp_selector *ps, struct mp_path *p)
{
	struct st_selector *s = ps->ctx;
	struct st_path *pp = p->ps_ctx, *prev = NULL, **link = &s->head;

	if (!pp)
		return;
	while (*link != pp) {
		prev = *link;
		link = &prev->next;
	}
	*link = pp->next;
	if (s->tail == pp)
		s->tail = prev;
	p->ps_ctx = NULL;
	free(pp);
}

static void st_fail_path(struct mp_selector *ps, struct mp_path *p)
{
	struct st_path *pp = p->ps_ctx;

	(void)ps;
	if (pp)
		pp->failed = true;
}

static void st_reinstate_path(struct mp_selector *ps, struct mp_path *p)
{
	struct st_path *pp = p->ps_ctx;

	(void)ps;
	if (pp)
		pp->failed = false;
}

static struct mp_path *st_select_path(struct mp_selector *ps, size_t nr_bytes,
				      unsigned *repeat)
{
	struct st_selector *s = ps->ctx;
	struct st_path *pp, *best = NULL;

	for (pp = s->head; pp; pp = pp->next) {
		if (pp->failed)
			continue;
		if (!best || st_compare_load(pp, best, nr_bytes) < 0)
			best = pp;
	}
	if (!best)
		return NULL;
	*repeat = ps->rr_min_io ? ps->rr_min_io : 1;
	return best->path;
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
	.create = st_create,
	.destroy = st_destroy,
	.add_path = st_add_path,
	.remove_path = st_remove_path,
	.fail_path = st_fail_path,
	.reinstate_path = st_reinstate_path,
	.select_path = st_select_path,
	.start_io = st_start_io,
	.end_io = st_end_io,
	.path_status = st_path_status,
};
