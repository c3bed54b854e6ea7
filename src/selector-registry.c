// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The path selectors, found by name. An explicit table rather than
 * constructor-time registration: the set is fixed at build time and the
 * order here is the order mp_selector_names() lists them in.
 */
#include <stddef.h>
#include <string.h>

#include "mpathfs/selector.h"
#include "mpathfs/util.h"

static const struct mp_selector_ops *const selectors[] = {
	&mp_selector_round_robin,
	&mp_selector_queue_length,
	&mp_selector_service_time,
	&mp_selector_historical_service_time,
	&mp_selector_failover,
};

const struct mp_selector_ops *mp_selector_find(const char *name)
{
	size_t i;

	if (!name)
		return NULL;
	for (i = 0; i < MP_ARRAY_SIZE(selectors); i++)
		if (!strcmp(selectors[i]->name, name))
			return selectors[i];
	return NULL;
}

const char *mp_selector_names(void)
{
	return "round-robin, queue-length, service-time, "
	       "historical-service-time, failover";
}
