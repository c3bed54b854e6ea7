// SPDX-License-Identifier: GPL-2.0-or-later
/* The const prioritizer: every path is worth the same; groups keep the config's priorities. */
#include "mpathfs/prio.h"

static int const_init(struct mp_prio *pr)
{
	(void)pr;
	return 0;
}

static void const_destroy(struct mp_prio *pr)
{
	(void)pr;
}

static void const_start(struct mp_prio *pr, uint64_t now_ns)
{
	(void)pr;
	(void)now_ns;
}

static int const_poll(struct mp_prio *pr, uint64_t now_ns, int *prio, int *alua_state)
{
	(void)pr;
	(void)now_ns;
	*prio = 1;
	*alua_state = -1;
	return 0;
}

const struct mp_prio_ops mp_prio_const = {
	.name = "const",
	.dynamic = false,
	.init = const_init,
	.destroy = const_destroy,
	.start = const_start,
	.poll = const_poll,
};
