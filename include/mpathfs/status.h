/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Text views of the state: the dm-style status (INFO) and table (TABLE)
 * lines, and the `show` outputs (text and JSON). Each returns a malloc'd
 * NUL-terminated string the caller frees, or NULL on allocation failure.
 * They take the core lock themselves, for a consistent snapshot.
 */
#ifndef MPATHFS_STATUS_H
#define MPATHFS_STATUS_H

#include <stdbool.h>

#include "mpathfs/config.h"
#include "mpathfs/control.h"
#include "mpathfs/core.h"

char *mp_status_info(struct mp_core *c);
char *mp_status_table(struct mp_core *c, const struct mp_config *cfg);
/* OpenMetrics text exposition of the map and its paths. */
char *mp_status_metrics(struct mp_core *c, const struct mp_config *cfg);
char *mp_status_show(struct mp_core *c, const struct mp_config *cfg,
		     const char *devpath, uint64_t size,
		     enum mp_show_what what, bool json);

#endif
