// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * LD_PRELOAD helper for the TSan integration runs (contrib/sanitize.sh):
 * tells ThreadSanitizer about the one synchronization it cannot see, the
 * kernel's AIO ring. A thread fills an I/O's request (the struct mp_pio,
 * the segment it belongs to) and calls io_submit(); a completion thread
 * gets the I/O back from io_getevents() and reads all of that. The
 * kernel orders the two (the completion can only be reaped after the
 * submission), but TSan sees no lock or atomic between them and reports
 * every field as a race. So io_submit() releases on each iocb's address
 * and io_getevents() acquires on it for every event returned: exactly the
 * edge the kernel provides, nothing more (a race between two submitters,
 * or after the completion, is still reported).
 *
 * Built as a plain shared object (not instrumented), it forwards to
 * libaio's functions; in a process without TSan (bash, fio, losetup) the
 * weak __tsan_* symbols are absent and it only forwards. The same edge
 * belongs in src/io-engine-aio.c as __tsan_release / __tsan_acquire under
 * __SANITIZE_THREAD__; with that there, this file can go.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <libaio.h>
#include <stddef.h>

void __tsan_acquire(void *addr) __attribute__((weak));
void __tsan_release(void *addr) __attribute__((weak));

static int (*real_submit)(io_context_t, long, struct iocb **);
static int (*real_getevents)(io_context_t, long, long, struct io_event *, struct timespec *);

__attribute__((constructor)) static void init(void)
{
	real_submit = (int (*)(io_context_t, long, struct iocb **))dlsym(RTLD_NEXT, "io_submit");
	real_getevents = (int (*)(io_context_t, long, long, struct io_event *,
				  struct timespec *))dlsym(RTLD_NEXT, "io_getevents");
}

int io_submit(io_context_t ctx, long nr, struct iocb *ios[])
{
	if (__tsan_release)
		for (long i = 0; i < nr; i++)
			__tsan_release(ios[i]);
	return real_submit(ctx, nr, ios);
}

int io_getevents(io_context_t ctx, long min_nr, long nr, struct io_event *events,
		 struct timespec *timeout)
{
	int n = real_getevents(ctx, min_nr, nr, events, timeout);

	if (__tsan_acquire)
		for (int i = 0; i < n; i++)
			__tsan_acquire(events[i].obj);
	return n;
}
