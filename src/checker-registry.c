// SPDX-License-Identifier: GPL-2.0-or-later
/* The checkers, by name: an explicit table, no plugins to load. */
#include <string.h>

#include "mpathfs/checker.h"

static const struct mp_checker_ops *const checkers[] = {
	&mp_checker_directio,
	&mp_checker_readsector0,
	&mp_checker_tur,
	&mp_checker_none,
};

const struct mp_checker_ops *mp_checker_find(const char *name)
{
	for (size_t i = 0; name && i < sizeof(checkers) / sizeof(checkers[0]); i++)
		if (!strcmp(checkers[i]->name, name))
			return checkers[i];
	return NULL;
}

const char *mp_check_state_name(enum mp_check_state s)
{
	static const char *const names[] = {
		[MP_CHECK_READY] = "ready",
		[MP_CHECK_FAULTY] = "faulty",
		[MP_CHECK_SHAKY] = "shaky",
		[MP_CHECK_GHOST] = "ghost",
		[MP_CHECK_PENDING] = "pending",
		[MP_CHECK_TIMEOUT] = "timeout",
		[MP_CHECK_DELAYED] = "delayed",
	};

	return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s] : "unknown";
}
