/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A helper thread that runs one blocking check (a synchronous read, an
 * SG_IO ioctl) at a time for a checker, so the admin thread only polls.
 * If the blocking call hangs, the thread is left to finish it: destroy()
 * abandons it and the thread frees everything when the call returns.
 *
 * Locking: t->mu protects every field below the function pointers; a leaf.
 */
#ifndef MPATHFS_CHECK_THREAD_H
#define MPATHFS_CHECK_THREAD_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mpathfs/checker.h"

/* Runs in the helper thread; returns the state and writes a reason into msg. */
typedef enum mp_check_state (*mp_check_fn)(void *arg, char *msg, size_t msglen);

struct mp_check_thread;

/* A check that also measures something (an ALUA state, a priority). */
typedef enum mp_check_state (*mp_check_value_fn)(void *arg, int *value, char *msg,
						size_t msglen);

/* arg is owned by the thread from now on and released with free_arg. */
struct mp_check_thread *mp_check_thread_new(mp_check_fn fn, void *arg,
					    void (*free_arg)(void *arg));
struct mp_check_thread *mp_check_thread_new_value(mp_check_value_fn fn, void *arg,
						  void (*free_arg)(void *arg));
/* Ask for one check; does nothing while the previous one still runs. */
void mp_check_thread_start(struct mp_check_thread *t, uint64_t now_ns);
enum mp_check_state mp_check_thread_poll(struct mp_check_thread *t, uint64_t now_ns,
					 unsigned timeout_ms, char *msg, size_t msglen);
/* As poll, and *value gets what a value check measured (when not PENDING/TIMEOUT). */
enum mp_check_state mp_check_thread_poll_value(struct mp_check_thread *t, uint64_t now_ns,
					       unsigned timeout_ms, int *value,
					       char *msg, size_t msglen);
void mp_check_thread_destroy(struct mp_check_thread *t);

#endif
