/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Small helpers shared by every module: time, alignment, strings. */
#ifndef MPATHFS_UTIL_H
#define MPATHFS_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define MP_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define mp_container_of(ptr, type, member) \
	((type *)((char *)(ptr) - offsetof(type, member)))

static inline uint64_t mp_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* align must be a power of two */
static inline uint64_t mp_round_down(uint64_t v, uint64_t align)
{
	return v & ~(align - 1);
}

static inline uint64_t mp_round_up(uint64_t v, uint64_t align)
{
	return (v + align - 1) & ~(align - 1);
}

static inline bool mp_is_aligned(uint64_t v, uint64_t align)
{
	return (v & (align - 1)) == 0;
}

/*
 * Parse a whole unsigned decimal number in [min, max]. Returns 0 or
 * -EINVAL (not a number, trailing junk, sign) or -ERANGE (out of range).
 */
int mp_parse_uint(const char *s, unsigned long long min, unsigned long long max,
		  unsigned long long *out);

/* snprintf that appends at *len and never overflows; returns -ENOSPC if cut. */
int mp_buf_printf(char *buf, size_t size, size_t *len, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif
