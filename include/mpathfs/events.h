/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Events: every path failure and reinstatement, group switch, activation
 * and queueing change, kept in a ring and read as lines from the `events`
 * file. Readers hold a cursor (a sequence number), so each sees every
 * event once, in order, or a line saying how many it missed.
 *
 * Locking: ev->mu protects the ring and is a leaf. Events are emitted with
 * the core lock held (core.lock -> ev->mu); the notify callback runs after
 * ev->mu is dropped, still under the core lock, and must not call back
 * into the core.
 */
#ifndef MPATHFS_EVENTS_H
#define MPATHFS_EVENTS_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define MP_EVENTS_RING 1024

enum mp_event_type {
	MP_EV_PATH_FAILED,
	MP_EV_PATH_REINSTATED,
	MP_EV_PATH_DELAYED,
	MP_EV_GROUP_SWITCH,
	MP_EV_GROUP_BYPASS,
	MP_EV_GROUP_ENABLE,
	MP_EV_PG_INIT,
	MP_EV_PG_INIT_FAILED,
	MP_EV_NO_PATH,
	MP_EV_QUEUEING,
	MP_EV_NO_PATH_RETRY_EXPIRED,
	MP_EV_PRIORITY,
	MP_EV_PATH_ADDED,
	MP_EV_PATH_REMOVED,
	MP_EV_RELOAD,
};

struct mp_event {
	uint64_t seq;
	struct timespec time;		/* CLOCK_REALTIME */
	enum mp_event_type type;
	char path[64];
	char group[64];
	char reason[192];
};

struct mp_events {
	pthread_mutex_t mu;
	struct mp_event ring[MP_EVENTS_RING];
	uint64_t next_seq;		/* of the next event; the first is 1 */
	void (*notify)(void *arg);	/* a new event is there */
	void *notify_arg;
};

void mp_events_init(struct mp_events *ev);
void mp_events_destroy(struct mp_events *ev);
const char *mp_event_type_name(enum mp_event_type t);

void mp_events_emit(struct mp_events *ev, enum mp_event_type type, const char *path,
		    const char *group, const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* The sequence number the next event will get: a new reader's cursor. */
uint64_t mp_events_cursor(struct mp_events *ev);
bool mp_events_pending(struct mp_events *ev, uint64_t cursor);
/*
 * Whole lines for events from *cursor on, as many as fit in len; *cursor
 * advances past them. Returns the bytes written (0 if none fit or none).
 */
size_t mp_events_read(struct mp_events *ev, uint64_t *cursor, char *buf, size_t len);

#endif
