// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The event ring (see events.h). A line per event:
 *   2026-11-21T19:11:04.123Z path_failed path=a group=fast reason="I/O error: ..."
 * A reader that fell more than the ring behind first gets
 *   ... events_lost count=N
 * so a gap is never silent.
 *
 * Locking: ev->mu, a leaf; notify runs after it is dropped.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "mpathfs/events.h"

static const char *const type_names[] = {
	[MP_EV_PATH_FAILED] = "path_failed",
	[MP_EV_PATH_REINSTATED] = "path_reinstated",
	[MP_EV_PATH_DELAYED] = "path_delayed",
	[MP_EV_GROUP_SWITCH] = "group_switch",
	[MP_EV_GROUP_BYPASS] = "group_disabled",
	[MP_EV_GROUP_ENABLE] = "group_enabled",
	[MP_EV_PG_INIT] = "pg_init",
	[MP_EV_PG_INIT_FAILED] = "pg_init_failed",
	[MP_EV_NO_PATH] = "no_path",
	[MP_EV_QUEUEING] = "queueing",
	[MP_EV_NO_PATH_RETRY_EXPIRED] = "no_path_retry_expired",
	[MP_EV_PRIORITY] = "priority",
	[MP_EV_PATH_ADDED] = "path_added",
	[MP_EV_PATH_REMOVED] = "path_removed",
	[MP_EV_RELOAD] = "reload",
};

const char *mp_event_type_name(enum mp_event_type t)
{
	return (unsigned)t < sizeof(type_names) / sizeof(type_names[0]) ? type_names[t] : "unknown";
}

void mp_events_init(struct mp_events *ev)
{
	memset(ev, 0, sizeof(*ev));
	pthread_mutex_init(&ev->mu, NULL);
	ev->next_seq = 1;
}

void mp_events_destroy(struct mp_events *ev)
{
	pthread_mutex_destroy(&ev->mu);
}

void mp_events_emit(struct mp_events *ev, enum mp_event_type type, const char *path,
		    const char *group, const char *fmt, ...)
{
	struct mp_event *e;
	va_list ap;

	if (!ev)
		return;
	pthread_mutex_lock(&ev->mu);
	e = &ev->ring[ev->next_seq % MP_EVENTS_RING];
	e->seq = ev->next_seq++;
	clock_gettime(CLOCK_REALTIME, &e->time);
	e->type = type;
	snprintf(e->path, sizeof(e->path), "%s", path ? path : "");
	snprintf(e->group, sizeof(e->group), "%s", group ? group : "");
	va_start(ap, fmt);
	vsnprintf(e->reason, sizeof(e->reason), fmt, ap);
	va_end(ap);
	pthread_mutex_unlock(&ev->mu);
	if (ev->notify)
		ev->notify(ev->notify_arg);
}

uint64_t mp_events_cursor(struct mp_events *ev)
{
	uint64_t c;

	pthread_mutex_lock(&ev->mu);
	c = ev->next_seq;
	pthread_mutex_unlock(&ev->mu);
	return c;
}

bool mp_events_pending(struct mp_events *ev, uint64_t cursor)
{
	bool p;

	pthread_mutex_lock(&ev->mu);
	p = cursor < ev->next_seq;
	pthread_mutex_unlock(&ev->mu);
	return p;
}

/* The reason in double quotes, with quotes and backslashes escaped. */
static int quoted(char *buf, size_t len, const char *s)
{
	size_t pos = 0;

	if (len < 3)
		return -1;
	buf[pos++] = '"';
	for (; *s; s++) {
		bool esc = *s == '"' || *s == '\\';

		if (pos + (esc ? 2 : 1) + 2 > len)
			return -1;
		if (esc)
			buf[pos++] = '\\';
		buf[pos++] = (*s == '\n' || *s == '\r') ? ' ' : *s;
	}
	buf[pos++] = '"';
	buf[pos] = '\0';
	return (int)pos;
}

static int format(const struct mp_event *e, char *buf, size_t len)
{
	char stamp[32], reason[2 * sizeof(e->reason) + 3];
	struct tm tm;

	gmtime_r(&e->time.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	if (quoted(reason, sizeof(reason), e->reason) < 0)
		return -1;
	return snprintf(buf, len, "%s.%03ldZ %s path=%s group=%s reason=%s\n", stamp,
			e->time.tv_nsec / 1000000, mp_event_type_name(e->type),
			e->path[0] ? e->path : "-", e->group[0] ? e->group : "-", reason);
}

size_t mp_events_read(struct mp_events *ev, uint64_t *cursor, char *buf, size_t len)
{
	size_t pos = 0;
	int n;

	pthread_mutex_lock(&ev->mu);
	if (ev->next_seq - *cursor > MP_EVENTS_RING) {
		uint64_t oldest = ev->next_seq - MP_EVENTS_RING;

		n = snprintf(buf, len, "events_lost count=%llu\n",
			     (unsigned long long)(oldest - *cursor));
		if (n < 0 || (size_t)n >= len)
			goto out;
		pos = (size_t)n;
		*cursor = oldest;
	}
	while (*cursor < ev->next_seq) {
		n = format(&ev->ring[*cursor % MP_EVENTS_RING], buf + pos, len - pos);
		if (n < 0 || (size_t)n >= len - pos)
			break;
		pos += (size_t)n;
		(*cursor)++;
	}
out:
	pthread_mutex_unlock(&ev->mu);
	return pos;
}
