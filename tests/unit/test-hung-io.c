// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The io_timeout fence (request.c): path I/O that does not complete within
 * dev.io_timeout_ns is orphaned by mp_dev_expire_io(): its path is failed,
 * its segment re-driven on another path, and the orphan keeps the request's
 * memory and (for a write) its range lock until the engine gives it back,
 * so a late, stale write can never land over newer data.
 *
 * The rig: paths a (fake0) and b (fake1) in one group under the failover
 * selector, so I/O goes to a while it is usable, over the fake engine
 * (fake-engine.c), which applies a write to its storage when the write
 * completes, in completion order: a stale write released after a newer one
 * really overwrites it there. Holding path a stands for a hung path.
 * A shadow copy of the storage follows every write the test makes; the
 * storage must equal it at the end.
 *
 * Time: the request layer stamps each path I/O with mp_now_ns(); tests read
 * the stamp back from dev.pio_head to expire at exact times.
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fake-engine.h"
#include "mpathfs/config.h"
#include "mpathfs/core.h"
#include "mpathfs/log.h"
#include "mpathfs/request.h"
#include "mpathfs/util.h"

#define SIZE (4u << 20)
#define ALIGN 4096u
#define M MP_MAX_SEGMENT
#define PA 0
#define PB 1
#define TMO (10ull * 1000000000ull)

static struct {
	struct fake_engine *fe;
	struct mp_dev dev;
	struct mp_config cfg;
	struct mp_config_group groups[1];
	struct mp_config_path paths[2];
	struct mp_path_dev devs[2];
	unsigned char *shadow;
	bool up;
	FILE *saved_stderr, *log;
	char *logbuf;
	size_t loglen;
} rig;

static struct mp_core *core(void)
{
	return &rig.dev.core;
}

static struct mp_path *path(unsigned i)
{
	return core()->paths[i];
}

static uint8_t pattern(size_t i)
{
	return (uint8_t)(i * 151u + (i >> 12) * 5u + 9u);
}

static void rig_init(int no_path_retry)
{
	char err[MP_ERRMSG_MAX] = "";

	memset(&rig, 0, sizeof(rig));
	rig.log = open_memstream(&rig.logbuf, &rig.loglen);
	cr_assert_not_null(rig.log);
	rig.saved_stderr = stderr;
	stderr = rig.log;		/* mp_log() lines: reasons are looked for there */
	mp_log_set_level(LOG_NOTICE);

	rig.fe = fake_engine_new(SIZE, 2, ALIGN);
	cr_assert_not_null(rig.fe);
	for (size_t i = 0; i < SIZE; i++)
		fake_engine_storage(rig.fe)[i] = pattern(i);
	rig.shadow = malloc(SIZE);
	cr_assert_not_null(rig.shadow);
	memcpy(rig.shadow, fake_engine_storage(rig.fe), SIZE);

	mp_config_defaults(&rig.cfg);
	snprintf(rig.cfg.path_selector, MP_NAME_MAX, "failover");
	rig.cfg.no_path_retry = no_path_retry;
	rig.cfg.groups = rig.groups;
	rig.cfg.nr_groups = 1;
	rig.cfg.paths = rig.paths;
	rig.cfg.nr_paths = 2;
	snprintf(rig.groups[0].name, MP_NAME_MAX, "g");
	for (unsigned i = 0; i < 2; i++) {
		snprintf(rig.paths[i].name, MP_NAME_MAX, "%c", 'a' + i);
		snprintf(rig.paths[i].device, MP_DEV_MAX, "fake%u", i);
		snprintf(rig.paths[i].group, MP_NAME_MAX, "g");
		rig.paths[i].weight = 1;
		rig.devs[i] = fake_engine_dev(rig.fe, i);
	}
	cr_assert_eq(mp_dev_init(&rig.dev, fake_engine_engine(rig.fe), SIZE, ALIGN, 64u << 20), 0);
	cr_assert_eq(mp_core_init(&rig.dev.core, &rig.cfg, rig.devs, err, sizeof(err)), 0,
		     "%s", err);
	rig.dev.io_timeout_ns = TMO;
	rig.up = true;
}

static void rig_fini(void)
{
	if (rig.up) {
		rig.up = false;
		fake_engine_release(rig.fe, -1);
		fake_engine_run(rig.fe);
		if (!rig.dev.nr_live) {
			mp_core_shutdown(&rig.dev.core);
			mp_dev_drain(&rig.dev);
			mp_core_destroy(&rig.dev.core);
			mp_dev_destroy(&rig.dev);
			fake_engine_free(rig.fe);
			free(rig.shadow);
		}	/* else a failed test left requests behind: do not wait for them */
	}
	if (rig.log) {
		stderr = rig.saved_stderr;
		fclose(rig.log);
		free(rig.logbuf);
		rig.log = NULL;
	}
}

TestSuite(hung_io, .fini = rig_fini, .timeout = 30);

/* ---- helpers ------------------------------------------------------------ */

struct done {
	int calls;
	int err;
};

static void on_complete(struct mp_req *r, int err)
{
	struct done *d = r->priv;

	d->calls++;
	d->err = err;
}

static void no_violations(void)
{
	cr_assert_eq(fake_engine_violations(rig.fe), 0, "O_DIRECT violation: %s",
		     fake_engine_last_violation(rig.fe));
}

static void run(void)
{
	fake_engine_run(rig.fe);
	no_violations();
}

static const char *log_str(void)
{
	static char buf[4096];

	return fake_engine_log_str(rig.fe, buf, sizeof(buf));
}

static void assert_log(const char *expect)
{
	cr_assert_str_eq(log_str(), expect);
}

static void assert_msg(const char *s)
{
	fflush(rig.log);
	cr_assert(rig.logbuf && strstr(rig.logbuf, s), "no \"%s\" in the log:\n%s", s,
		  rig.logbuf ? rig.logbuf : "");
}

static void assert_storage(void)
{
	const unsigned char *s = fake_engine_storage(rig.fe);
	size_t i;

	if (!memcmp(s, rig.shadow, SIZE))
		return;
	for (i = 0; i < SIZE && s[i] == rig.shadow[i]; i++)
		;
	cr_assert_fail("storage differs first at byte %zu: 0x%02x, expected 0x%02x",
		       i, s[i], rig.shadow[i]);
}

static void fill(void *buf, size_t len, unsigned seed)
{
	unsigned char *p = buf;

	for (size_t i = 0; i < len; i++)
		p[i] = (unsigned char)(seed * 37u + i * 11u + (i >> 9) + 0x21u);
}

static struct mp_req *start_write(uint64_t off, size_t len, unsigned seed, struct done *d)
{
	struct mp_req *r;

	memset(d, 0, sizeof(*d));
	r = mp_req_new(&rig.dev, MP_IO_WRITE, off, len, on_complete, d);
	cr_assert_not_null(r);
	fill(mp_req_data(r), len, seed);
	fill(rig.shadow + off, len, seed);
	mp_req_submit(r);
	return r;
}

static struct mp_req *start_read(uint64_t off, size_t len, struct done *d)
{
	struct mp_req *r;

	memset(d, 0, sizeof(*d));
	r = mp_req_new(&rig.dev, MP_IO_READ, off, len, on_complete, d);
	cr_assert_not_null(r);
	mp_req_submit(r);
	return r;
}

/* The hung path answers at last: its held I/O completes (late), in order. */
static void release_a(void)
{
	fake_engine_path_hold(rig.fe, PA, false);
	fake_engine_release(rig.fe, PA);
	run();
}

static uint64_t oldest_start(void)
{
	uint64_t t;

	pthread_mutex_lock(&rig.dev.pio_mu);
	cr_assert_not_null(rig.dev.pio_head, "no path I/O in flight");
	t = rig.dev.pio_head->start_ns;
	pthread_mutex_unlock(&rig.dev.pio_mu);
	return t;
}

/* Expire exactly when the oldest path I/O in flight reaches io_timeout. */
static void expire_oldest(void)
{
	mp_dev_expire_io(&rig.dev, oldest_start() + TMO);
}

/* Expire everything in flight now, as if io_timeout had passed for all of it. */
static void expire_all(void)
{
	mp_dev_expire_io(&rig.dev, mp_now_ns() + TMO);
}

/*
 * The log is a_part (I/O on a), then the same I/O re-driven on b, in any
 * order, then nothing else.
 */
static void assert_log_redriven(const char *a_part)
{
	char want[1024], got[1024], *save = NULL, *w;
	const char *log = log_str();
	size_t alen = strlen(a_part), nwords = 0;

	cr_assert(!strncmp(log, a_part, alen) && log[alen] == ' ', "log \"%s\" does not start "
		  "with \"%s\"", log, a_part);
	snprintf(got, sizeof(got), " %s ", log + alen + 1);
	snprintf(want, sizeof(want), "%s", a_part);
	for (w = strtok_r(want, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
		char word[80];

		snprintf(word, sizeof(word), " b%s ", w + 1);
		cr_assert_eq(w[0], 'a');
		cr_assert(strstr(got, word), "%s not re-driven on b: \"%s\"", w, log);
		nwords++;
	}
	for (w = got; *w; w++)
		if (w[0] == ' ' && w[1] && w[1] != ' ')
			nwords--;	/* one word on b */
	cr_assert_eq(nwords, 0, "log \"%s\": the re-drive is not exactly \"%s\" on b", log,
		     a_part);
}

/*
 * A write of [0, 8192) hung on a: expired, re-driven on b, completed to the
 * user, freed by the front end. Its orphan stays held on a.
 */
static void hung_write_completed(struct done *d)
{
	struct mp_req *r;

	fake_engine_path_hold(rig.fe, PA, true);
	r = start_write(0, 8192, 1, d);
	expire_oldest();
	run();
	cr_assert_eq(d->calls, 1);
	cr_assert_eq(d->err, 0);
	mp_req_free(r);
	assert_log("aW0+8192 bW0+8192");
	cr_assert_eq(fake_engine_nr_held(rig.fe), 1);
}

/* ---- the timed-out write ------------------------------------------------ */

Test(hung_io, timed_out_write_fails_path_and_is_redriven)
{
	struct done d;
	struct mp_req *r;
	uint64_t t0;

	rig_init(MP_NO_PATH_RETRY_QUEUE);
	fake_engine_path_hold(rig.fe, PA, true);
	r = start_write(0, 8192, 1, &d);
	assert_log("aW0+8192");
	t0 = oldest_start();

	mp_dev_expire_io(&rig.dev, t0 + TMO - 1);
	cr_assert(path(PA)->active, "expired before io_timeout");
	cr_assert_eq(rig.dev.nr_orphans, 0);
	assert_log("aW0+8192");

	mp_dev_expire_io(&rig.dev, t0 + TMO);
	cr_assert_not(path(PA)->active);
	cr_assert_eq(path(PA)->fail_count, 1);
	cr_assert_eq(path(PA)->nr_redriven, 1);
	cr_assert_eq(path(PA)->nr_errors, 1);
	cr_assert_eq(path(PA)->inflight_ios, 0, "the orphan still counts as in flight on a");
	cr_assert_eq(rig.dev.nr_orphans, 1);
	assert_msg("path a (fake0) failed: I/O timeout: no answer within 10000 ms");
	assert_log("aW0+8192 bW0+8192");
	cr_assert_eq(d.calls, 0);

	run();
	cr_assert_eq(d.calls, 1);
	cr_assert_eq(d.err, 0);
	assert_storage();
	cr_assert_eq(path(PB)->inflight_ios, 0);
	mp_req_free(r);

	/* the front end is done with it; the orphan is not */
	cr_assert_eq(rig.dev.nr_live, 1, "the request went before its orphan");
	cr_assert_gt(rig.dev.budget_used, 0);
	cr_assert_eq(rig.dev.rl.nr_entries, 1, "the write's range went before its orphan");

	release_a();			/* copies from the request's buffer: still there */
	cr_assert_eq(fake_engine_io(rig.fe, 0).res, 8192);
	cr_assert_eq(d.calls, 1, "completed again when the orphan came back");
	cr_assert_eq(rig.dev.nr_orphans, 0);
	cr_assert_eq(rig.dev.nr_live, 0);
	cr_assert_eq(rig.dev.budget_used, 0);
	cr_assert_eq(rig.dev.rl.nr_entries, 0);
	assert_msg("path a: timed-out I/O at offset 0 completed late (success)");
	assert_storage();
	cr_assert_eq(path(PA)->inflight_ios, 0);
	cr_assert_eq(path(PA)->fail_count, 1);
}

/* Expiring again finds nothing more: one failure, one re-drive. */
Test(hung_io, expire_twice_orphans_once)
{
	struct done d;
	struct mp_req *r;
	uint64_t t0;

	rig_init(MP_NO_PATH_RETRY_QUEUE);
	fake_engine_path_hold(rig.fe, PA, true);
	r = start_write(0, 4096, 1, &d);
	t0 = oldest_start();
	mp_dev_expire_io(&rig.dev, t0 + TMO);
	/* the re-drive on b is in flight, started after t0 */
	mp_dev_expire_io(&rig.dev, t0 + TMO);
	mp_dev_expire_io(&rig.dev, t0 + TMO + 1);
	cr_assert_eq(rig.dev.nr_orphans, 1);
	cr_assert_eq(path(PA)->nr_redriven, 1);
	cr_assert_eq(path(PA)->fail_count, 1);
	cr_assert(path(PB)->active);
	assert_log("aW0+4096 bW0+4096");
	run();
	cr_assert_eq(d.calls, 1);
	mp_req_free(r);
	release_a();
	cr_assert_eq(rig.dev.nr_live, 0);
	assert_storage();
}

/* ---- the fence: newer writes wait for the orphan ------------------------ */

struct fence_case {
	uint64_t off;
	size_t len;
	bool fenced;		/* overlaps the orphan's [0, 8192) after alignment */
};

static struct fence_case fence_cases[] = {
	{ 0, 8192, true },
	{ 0, 4096, true },
	{ 4096, 4096, true },
	{ 4096, 8192, true },
	{ 100, 200, true },		/* read-modify-write of block 0 */
	{ 4000, 200, true },		/* across the block boundary */
	{ 8190, 4, true },		/* aligned: [4096, 12288) */
	{ 0, 1, true },
	{ 8191, 1, true },
	{ 8192, 4096, false },		/* adjacent */
	{ 8192, 100, false },
	{ 12288, 8192, false },
	{ 65536, 4096, false },
	{ SIZE - 1, 1, false },
};

ParameterizedTestParameters(hung_io, newer_write_fenced_by_orphan)
{
	return cr_make_param_array(struct fence_case, fence_cases, MP_ARRAY_SIZE(fence_cases));
}

ParameterizedTest(struct fence_case *tc, hung_io, newer_write_fenced_by_orphan)
{
	struct done d1, d2;
	struct mp_req *r2;
	size_t n;

	rig_init(MP_NO_PATH_RETRY_QUEUE);
	hung_write_completed(&d1);
	n = fake_engine_nr_ios(rig.fe);

	r2 = start_write(tc->off, tc->len, 2, &d2);
	if (tc->fenced) {
		run();
		cr_assert_eq(fake_engine_nr_ios(rig.fe), n,
			     "write %llu+%zu reached the engine while the stale write may land: %s",
			     (unsigned long long)tc->off, tc->len, log_str());
		cr_assert_eq(d2.calls, 0);

		/* the stale write lands; only then does the new one go */
		fake_engine_path_hold(rig.fe, PA, false);
		fake_engine_release(rig.fe, PA);
		cr_assert_eq(fake_engine_step(rig.fe), 1);
		cr_assert_eq(fake_engine_io(rig.fe, 0).res, 8192);
		cr_assert_gt(fake_engine_nr_ios(rig.fe), n, "the new write was not let go");
		cr_assert_eq(fake_engine_io(rig.fe, n).res, FAKE_RES_PENDING);
		cr_assert_eq(fake_engine_io(rig.fe, n).path, PB);
		run();
	} else {
		cr_assert_gt(fake_engine_nr_ios(rig.fe), n, "write %llu+%zu was fenced: %s",
			     (unsigned long long)tc->off, tc->len, log_str());
		run();
		cr_assert_eq(fake_engine_nr_held(rig.fe), 1);
		cr_assert_eq(d2.calls, 1, "a write clear of the orphan waited for it");
		release_a();
	}
	cr_assert_eq(d2.calls, 1);
	cr_assert_eq(d2.err, 0);
	mp_req_free(r2);
	assert_storage();
	cr_assert_eq(rig.dev.nr_live, 0);
	cr_assert_eq(rig.dev.nr_orphans, 0);
	cr_assert_eq(rig.dev.rl.nr_entries, 0);
}

/* The late write may fail instead of landing; the fence lifts all the same. */
Test(hung_io, fence_lifts_when_orphan_fails)
{
	struct done d1, d2;
	struct mp_req *r2;

	rig_init(MP_NO_PATH_RETRY_QUEUE);
	hung_write_completed(&d1);
	r2 = start_write(0, 4096, 2, &d2);
	run();
	assert_log("aW0+8192 bW0+8192");
	fake_engine_path_fail(rig.fe, PA, -EIO);
	release_a();
	cr_assert_eq(fake_engine_io(rig.fe, 0).res, -EIO);
	assert_log("aW0+8192 bW0+8192 bW0+4096");
	cr_assert_eq(d2.calls, 1);
	cr_assert_eq(d2.err, 0);
	cr_assert_eq(path(PA)->fail_count, 1, "a late error fails the path again");
	mp_req_free(r2);
	assert_storage();
	assert_msg("completed late (Input/output error)");
}

/* Both segments of a 2 MiB write time out: the fence holds until both are back. */
Test(hung_io, multi_segment_write_fenced_until_every_orphan_lands)
{
	struct done d1, d2;
	struct mp_req *r1, *r2;

	rig_init(MP_NO_PATH_RETRY_QUEUE);
	fake_engine_path_hold(rig.fe, PA, true);
	r1 = start_write(0, 2 * M, 1, &d1);
	assert_log("aW0+1048576 aW1048576+1048576");
	expire_all();
	cr_assert_eq(rig.dev.nr_orphans, 2);
	cr_assert_eq(path(PA)->fail_count, 1);
	cr_assert_eq(path(PA)->nr_redriven, 2);
	run();
	assert_log_redriven("aW0+1048576 aW1048576+1048576");
	cr_assert_eq(d1.calls, 1);
	cr_assert_eq(d1.err, 0);
	mp_req_free(r1);

	r2 = start_write(M + 4096, 4096, 2, &d2);	/* overlaps the second orphan only */
	run();
	cr_assert_eq(fake_engine_nr_ios(rig.fe), 4);
	fake_engine_path_hold(rig.fe, PA, false);
	fake_engine_release(rig.fe, PA);
	cr_assert_eq(fake_engine_step(rig.fe), 1);	/* the first orphan */
	cr_assert_eq(fake_engine_nr_ios(rig.fe), 4, "let go with an orphan of the request out");
	cr_assert_eq(rig.dev.nr_orphans, 1);
	cr_assert_eq(fake_engine_step(rig.fe), 1);	/* the second */
	cr_assert_eq(fake_engine_nr_ios(rig.fe), 5);
	run();
	cr_assert_eq(d2.calls, 1);
	cr_assert_eq(d2.err, 0);
	mp_req_free(r2);
	cr_assert_eq(fake_engine_io(rig.fe, 4).path, PB);
	cr_assert_eq(fake_engine_io(rig.fe, 4).op, MP_IO_WRITE);
	cr_assert_eq(fake_engine_io(rig.fe, 4).off, M + 4096);
	cr_assert_eq(fake_engine_io(rig.fe, 4).len, 4096);
	assert_storage();
	cr_assert_eq(rig.dev.nr_live, 0);
	cr_assert_eq(rig.dev.rl.nr_entries, 0);
}

/* Timed out with no path left and no_path_retry fail: EIO, but the fence still holds. */
Test(hung_io, write_failed_for_no_path_still_fences)
{
	struct done d1, d2;
	struct mp_req *r1, *r2;

	rig_init(MP_NO_PATH_RETRY_FAIL);
	cr_assert_eq(mp_core_fail_path(core(), path(PB), "test"), 0);
	fake_engine_path_hold(rig.fe, PA, true);
	r1 = start_write(0, 8192, 1, &d1);
	memcpy(rig.shadow, fake_engine_storage(rig.fe), 8192);	/* it failed: nothing written */
	expire_oldest();
	cr_assert_eq(d1.calls, 1);
	cr_assert_eq(d1.err, -EIO);
	mp_req_free(r1);
	cr_assert_eq(rig.dev.nr_live, 1);

	cr_assert_eq(mp_core_reinstate_path(core(), path(PB), "test"), 0);
	r2 = start_write(4096, 4096, 2, &d2);
	run();
	assert_log("aW0+8192");
	cr_assert_eq(d2.calls, 0, "a newer write went while the failed one may still land");
	/* the stale write lands after all (the user saw EIO: any content is allowed there) */
	release_a();
	fill(rig.shadow, 8192, 1);
	fill(rig.shadow + 4096, 4096, 2);
	assert_log("aW0+8192 bW4096+4096");
	cr_assert_eq(d2.calls, 1);
	cr_assert_eq(d2.err, 0);
	mp_req_free(r2);
	assert_storage();
	cr_assert_eq(rig.dev.nr_live, 0);
}

/* ---- timed-out reads ---------------------------------------------------- */

struct read_case {
	uint64_t off;
	size_t len;
	char on_a[64];		/* the reads that hang on a */
};

static struct read_case read_cases[] = {
	{ 0, 4096, "aR0+4096" },
	{ 100, 1000, "aR0+4096" },
	{ 4095, 2, "aR0+8192" },
	{ 3 * 4096, 3 * 4096, "aR12288+12288" },
	{ 10, 2 * M, "aR0+1048576 aR1048576+1048576 aR2097152+4096" },
};

ParameterizedTestParameters(hung_io, timed_out_read_redriven_with_correct_data)
{
	return cr_make_param_array(struct read_case, read_cases, MP_ARRAY_SIZE(read_cases));
}

ParameterizedTest(struct read_case *tc, hung_io, timed_out_read_redriven_with_correct_data)
{
	struct done d;
	struct mp_req *r;
	unsigned char *copy;

	rig_init(MP_NO_PATH_RETRY_QUEUE);
	fake_engine_path_hold(rig.fe, PA, true);
	r = start_read(tc->off, tc->len, &d);
	assert_log(tc->on_a);
	expire_all();
	cr_assert_not(path(PA)->active);
	run();
	assert_log_redriven(tc->on_a);
	cr_assert_eq(d.calls, 1);
	cr_assert_eq(d.err, 0);
	cr_assert_eq(memcmp(mp_req_data(r), rig.shadow + tc->off, tc->len), 0,
		     "read %llu+%zu returned wrong bytes", (unsigned long long)tc->off, tc->len);
	copy = malloc(tc->len);
	cr_assert_not_null(copy);
	memcpy(copy, mp_req_data(r), tc->len);
	mp_req_free(r);
	cr_assert_eq(rig.dev.nr_live, 1);
	release_a();			/* lands in the kept buffer */
	cr_assert_eq(rig.dev.nr_live, 0);
	cr_assert_eq(rig.dev.nr_orphans, 0);
	cr_assert_eq(d.calls, 1);
	cr_assert_eq(memcmp(copy, rig.shadow + tc->off, tc->len), 0);
	free(copy);
}

/* A timed-out read cannot change the storage: a write over it need not wait. */
Test(hung_io, timed_out_read_does_not_fence_writes)
{
	struct done dr, dw;
	struct mp_req *rr, *rw;

	rig_init(MP_NO_PATH_RETRY_QUEUE);
	fake_engine_path_hold(rig.fe, PA, true);
	rr = start_read(0, 8192, &dr);
	expire_oldest();
	run();
	cr_assert_eq(dr.calls, 1);
	mp_req_free(rr);
	rw = start_write(0, 8192, 3, &dw);
	assert_log("aR0+8192 bR0+8192 bW0+8192");
	run();
	cr_assert_eq(dw.calls, 1);
	cr_assert_eq(dw.err, 0);
	mp_req_free(rw);
	release_a();
	assert_storage();
	cr_assert_eq(rig.dev.nr_live, 0);
}

/* ---- when to look again ------------------------------------------------- */

Test(hung_io, next_expiry_is_oldest_start_plus_timeout)
{
	struct done d1, d2;
	struct mp_req *r1, *r2;
	uint64_t before, after, t1, t2;

	rig_init(MP_NO_PATH_RETRY_QUEUE);
	for (uint64_t now = 1; now < (1ull << 62); now *= 1000)
		cr_assert_eq(mp_dev_next_expiry(&rig.dev, now), now + TMO);

	fake_engine_path_hold(rig.fe, PA, true);
	before = mp_now_ns();
	r1 = start_write(0, 4096, 1, &d1);
	after = mp_now_ns();
	t1 = oldest_start();
	cr_assert_geq(t1, before);
	cr_assert_leq(t1, after);
	cr_assert_eq(mp_dev_next_expiry(&rig.dev, after), t1 + TMO);
	cr_assert_eq(mp_dev_next_expiry(&rig.dev, t1 + TMO + 5), t1 + TMO);

	usleep(5000);
	r2 = start_write(65536, 4096, 2, &d2);
	cr_assert_eq(mp_dev_next_expiry(&rig.dev, mp_now_ns()), t1 + TMO, "not the oldest");

	/* the first expires; the second is now the oldest still in flight on a */
	mp_dev_expire_io(&rig.dev, t1 + TMO);
	cr_assert_eq(rig.dev.nr_orphans, 1);
	t2 = oldest_start();
	cr_assert_gt(t2, t1 + 4000000ull);
	cr_assert_eq(mp_dev_next_expiry(&rig.dev, t1 + TMO), t2 + TMO);
	mp_dev_expire_io(&rig.dev, t2 + TMO - 1);
	cr_assert_eq(rig.dev.nr_orphans, 1);
	mp_dev_expire_io(&rig.dev, t2 + TMO);
	cr_assert_eq(rig.dev.nr_orphans, 2);
	assert_log("aW0+4096 aW65536+4096 bW0+4096 bW65536+4096");

	run();
	cr_assert_eq(d1.calls, 1);
	cr_assert_eq(d2.calls, 1);
	mp_req_free(r1);
	mp_req_free(r2);
	release_a();
	cr_assert_eq(mp_dev_next_expiry(&rig.dev, 777), 777 + TMO, "nothing in flight");
	assert_storage();
}

/* io_timeout 0: nothing ever expires, nobody needs to wake for it. */
Test(hung_io, zero_timeout_disables_expiry)
{
	struct done d;
	struct mp_req *r;

	rig_init(MP_NO_PATH_RETRY_QUEUE);
	rig.dev.io_timeout_ns = 0;
	cr_assert_eq(mp_dev_next_expiry(&rig.dev, 12345), UINT64_MAX);
	fake_engine_path_hold(rig.fe, PA, true);
	r = start_write(0, 4096, 1, &d);
	cr_assert_eq(mp_dev_next_expiry(&rig.dev, mp_now_ns()), UINT64_MAX);
	mp_dev_expire_io(&rig.dev, mp_now_ns() + 1000 * TMO);
	mp_dev_expire_io(&rig.dev, UINT64_MAX - 1);
	cr_assert(path(PA)->active);
	cr_assert_eq(rig.dev.nr_orphans, 0);
	assert_log("aW0+4096");
	cr_assert_eq(d.calls, 0);
	release_a();
	cr_assert_eq(d.calls, 1);
	cr_assert_eq(d.err, 0);
	assert_log("aW0+4096");
	mp_req_free(r);
	assert_storage();
}
