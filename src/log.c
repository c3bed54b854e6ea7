// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Logging. The level is read and written atomically; output goes through
 * one fprintf/syslog call per message so lines from threads do not mix.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "mpathfs/log.h"

static bool log_syslog;
static int log_max = LOG_NOTICE;

void mp_log_init(bool use_syslog, int max_level)
{
	log_syslog = use_syslog;
	__atomic_store_n(&log_max, max_level, __ATOMIC_RELAXED);
	if (use_syslog)
		openlog("mpathfs", LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void mp_log_set_level(int max_level)
{
	__atomic_store_n(&log_max, max_level, __ATOMIC_RELAXED);
}

int mp_log_level(void)
{
	return __atomic_load_n(&log_max, __ATOMIC_RELAXED);
}

static const char *level_name(int level)
{
	switch (level) {
	case LOG_EMERG: case LOG_ALERT: case LOG_CRIT: case LOG_ERR:
		return "error";
	case LOG_WARNING:
		return "warning";
	case LOG_NOTICE:
		return "notice";
	case LOG_INFO:
		return "info";
	default:
		return "debug";
	}
}

void mp_log(int level, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (level > mp_log_level())
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (log_syslog) {
		syslog(level, "%s", msg);
	} else {
		struct timespec ts;
		struct tm tm;
		char stamp[32];

		clock_gettime(CLOCK_REALTIME, &ts);
		localtime_r(&ts.tv_sec, &tm);
		strftime(stamp, sizeof(stamp), "%H:%M:%S", &tm);
		fprintf(stderr, "mpathfs %s.%03ld %s: %s\n", stamp,
			ts.tv_nsec / 1000000, level_name(level), msg);
	}
}

const char *mp_errstr(int err)
{
	const char *s = strerrordesc_np(err < 0 ? -err : err);

	return s ? s : "unknown error";
}
