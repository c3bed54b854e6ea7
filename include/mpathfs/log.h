/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Logging: stderr in the foreground, syslog when daemonised.
 * Thread-safe; never calls strerror() (uses strerrordesc_np via mp_errstr).
 */
#ifndef MPATHFS_LOG_H
#define MPATHFS_LOG_H

#include <stdbool.h>
#include <syslog.h>

void mp_log_init(bool use_syslog, int max_level);
void mp_log_set_level(int max_level);
int mp_log_level(void);
void mp_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Text for a negative (or positive) errno value; safe in any thread. */
const char *mp_errstr(int err);

#define mp_err(...) mp_log(LOG_ERR, __VA_ARGS__)
#define mp_warn(...) mp_log(LOG_WARNING, __VA_ARGS__)
#define mp_notice(...) mp_log(LOG_NOTICE, __VA_ARGS__)
#define mp_info(...) mp_log(LOG_INFO, __VA_ARGS__)
#define mp_debug(...) mp_log(LOG_DEBUG, __VA_ARGS__)

#endif
