// SPDX-License-Identifier: GPL-2.0-or-later
/* The prioritizers, by name: an explicit table, no plugins to load. */
#include <string.h>

#include "mpathfs/prio.h"

static const struct mp_prio_ops *const prios[] = {
	&mp_prio_const,
	&mp_prio_alua,
	&mp_prio_path_latency,
};

const struct mp_prio_ops *mp_prio_find(const char *name)
{
	for (size_t i = 0; name && i < sizeof(prios) / sizeof(prios[0]); i++)
		if (!strcmp(prios[i]->name, name))
			return prios[i];
	return NULL;
}
