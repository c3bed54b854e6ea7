// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Checker tests:
 *  - the SCSI decoders (mp_scsi_decode_sense, mp_tur_classify) over canned
 *    buffers, including every truncation of a sense buffer placed at the very
 *    end of a heap block, so a sanitizer or valgrind catches any read past
 *    the length it was given;
 *  - mp_tur_check's retry after UNIT ATTENTION, with a fake issue function;
 *  - the check thread (check-thread.c) with a check that blocks on a
 *    semaphore the test controls and a fake clock for poll();
 *  - the directio, readsector0, tur and none checkers on real temporary
 *    files opened O_DIRECT;
 *  - the registry and the state names.
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mpathfs/check-thread.h"
#include "mpathfs/checker.h"
#include "mpathfs/config.h"
#include "mpathfs/log.h"
#include "mpathfs/scsi.h"
#include "mpathfs/util.h"

#define MS 1000000ull

static void quiet(void)
{
	mp_log_set_level(LOG_WARNING);
}

/* ---- sense decoding ----------------------------------------------------- */

struct sense_case {
	char name[48];
	uint8_t buf[32];
	int len;
	bool ok;
	uint8_t key, asc, ascq;
};

static struct sense_case sense_cases[] = {
	{ "fixed 70 not ready 04/0b",
	  { 0x70, 0, 0x02, 0, 0, 0, 0, 0x0a, 0, 0, 0, 0, 0x04, 0x0b, 0, 0, 0, 0 }, 18,
	  true, 0x2, 0x04, 0x0b },
	{ "fixed 71 (deferred) unit attention 2a/06",
	  { 0x71, 0, 0x06, 0, 0, 0, 0, 0x0a, 0, 0, 0, 0, 0x2a, 0x06, 0, 0, 0, 0 }, 18,
	  true, 0x6, 0x2a, 0x06 },
	{ "fixed f0 (valid bit) medium error 11/00",
	  { 0xf0, 0, 0x03, 0, 0, 0x10, 0, 0x0a, 0, 0, 0, 0, 0x11, 0x00, 0, 0, 0, 0 }, 18,
	  true, 0x3, 0x11, 0x00 },
	{ "fixed 70 flag bits above the key ignored",
	  { 0x70, 0, 0xe2, 0, 0, 0, 0, 0x0a, 0, 0, 0, 0, 0x04, 0x0c, 0, 0, 0, 0 }, 18,
	  true, 0x2, 0x04, 0x0c },
	{ "fixed 70 additional length too short for asc",
	  { 0x70, 0, 0x02, 0, 0, 0, 0, 0x00, 0, 0, 0, 0, 0x04, 0x0b, 0, 0, 0, 0 }, 18,
	  true, 0x2, 0, 0 },
	{ "fixed 70 additional length 6: asc/ascq",
	  { 0x70, 0, 0x02, 0, 0, 0, 0, 0x06, 0, 0, 0, 0, 0x04, 0x0a }, 14,
	  true, 0x2, 0x04, 0x0a },
	{ "descriptor 72 not ready 04/0b",
	  { 0x72, 0x02, 0x04, 0x0b, 0, 0, 0, 0 }, 8, true, 0x2, 0x04, 0x0b },
	{ "descriptor 73 (deferred) unit attention 29/00",
	  { 0x73, 0x06, 0x29, 0x00, 0, 0, 0, 0 }, 8, true, 0x6, 0x29, 0x00 },
	{ "descriptor 72 with a descriptor",
	  { 0x72, 0x03, 0x11, 0x00, 0, 0, 0, 0x0c, 0x00, 0x0a, 0x80, 0, 0, 0, 0, 0, 0, 0, 0x12,
	    0x34 }, 20, true, 0x3, 0x11, 0x00 },
	{ "descriptor 72 just 4 bytes", { 0x72, 0x02, 0x04, 0x0c }, 4, true, 0x2, 0x04, 0x0c },
	{ "descriptor 72 3 bytes", { 0x72, 0x02, 0x04 }, 3, false, 0, 0, 0 },
	{ "fixed 70 2 bytes", { 0x70, 0x00 }, 2, false, 0, 0, 0 },
	{ "response code 00", { 0x00, 0, 0x02, 0, 0, 0, 0, 0x0a, 0, 0, 0, 0, 0x04, 0x0b }, 14,
	  false, 0, 0, 0 },
	{ "response code 7f (vendor)", { 0x7f, 0, 0x02, 0, 0, 0, 0, 0x0a, 0, 0, 0, 0, 4, 0xb },
	  14, false, 0, 0, 0 },
	{ "response code 74", { 0x74, 0x02, 0x04, 0x0b, 0, 0, 0, 0 }, 8, false, 0, 0, 0 },
	{ "response code 6f", { 0x6f, 0x02, 0x04, 0x0b, 0, 0, 0, 0 }, 8, false, 0, 0, 0 },
	{ "garbage ff", { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff }, 8, false, 0, 0, 0 },
	{ "length 0", { 0x70, 0, 0x02 }, 0, false, 0, 0, 0 },
	{ "negative length", { 0x70, 0, 0x02 }, -5, false, 0, 0, 0 },
};

ParameterizedTestParameters(sense, decode_table)
{
	return cr_make_param_array(struct sense_case, sense_cases, MP_ARRAY_SIZE(sense_cases));
}

/* Each buffer is copied to the end of a heap block of exactly its length. */
ParameterizedTest(struct sense_case *tc, sense, decode_table)
{
	struct mp_sense s = { 0xee, 0xee, 0xee };
	size_t n = tc->len > 0 ? (size_t)tc->len : 1;
	uint8_t *b = malloc(n);
	bool ok;

	cr_assert_not_null(b);
	memcpy(b, tc->buf, n);
	ok = mp_scsi_decode_sense(b, tc->len, &s);
	free(b);
	cr_assert_eq(ok, tc->ok, "%s: decode says %d", tc->name, ok);
	if (!ok)
		return;
	cr_assert_eq(s.key, tc->key, "%s: key %x", tc->name, s.key);
	cr_assert_eq(s.asc, tc->asc, "%s: asc %02x", tc->name, s.asc);
	cr_assert_eq(s.ascq, tc->ascq, "%s: ascq %02x", tc->name, s.ascq);
}

Test(sense, null_buffer)
{
	struct mp_sense s;

	cr_assert_not(mp_scsi_decode_sense(NULL, 18, &s));
}

/*
 * Every truncation 0..18 of a fixed-format NOT READY 04/0b, at the end of a
 * block of exactly len bytes (malloc(len)): never a read past len.
 */
Test(sense, fixed_format_truncated)
{
	static const uint8_t full[18] = {
		0x70, 0, 0x02, 0, 0, 0, 0, 0x0a, 0, 0, 0, 0, 0x04, 0x0b, 0, 0, 0, 0,
	};

	for (int len = 0; len <= 18; len++) {
		uint8_t *b = malloc(len ? (size_t)len : 1);
		struct mp_sense s = { 0xee, 0xee, 0xee };
		bool ok;

		cr_assert_not_null(b);
		memcpy(b, full, (size_t)len);
		ok = mp_scsi_decode_sense(len ? b : b + 1, len, &s);
		free(b);
		if (len < 3) {
			cr_assert_not(ok, "len %d: decoded without a sense key", len);
			continue;
		}
		cr_assert(ok, "len %d: not decoded", len);
		cr_assert_eq(s.key, 0x2, "len %d", len);
		if (len >= 14) {
			cr_assert_eq(s.asc, 0x04, "len %d", len);
			cr_assert_eq(s.ascq, 0x0b, "len %d", len);
		} else {
			/* ASCQ is byte 13; ASC (byte 12) may be taken alone from 13 bytes */
			cr_assert_eq(s.ascq, 0, "len %d: ascq %02x from past the buffer", len, s.ascq);
			if (len < 13)
				cr_assert_eq(s.asc, 0, "len %d: asc %02x from past the buffer", len,
					     s.asc);
			else
				cr_assert(s.asc == 0 || s.asc == 0x04, "len %d: asc %02x", len, s.asc);
		}
	}
}

Test(sense, descriptor_format_truncated)
{
	static const uint8_t full[8] = { 0x72, 0x02, 0x04, 0x0b, 0, 0, 0, 0 };

	for (int len = 0; len <= 8; len++) {
		uint8_t *b = malloc(len ? (size_t)len : 1);
		struct mp_sense s = { 0xee, 0xee, 0xee };
		bool ok;

		cr_assert_not_null(b);
		memcpy(b, full, (size_t)len);
		ok = mp_scsi_decode_sense(len ? b : b + 1, len, &s);
		free(b);
		cr_assert_eq(ok, len >= 4, "len %d: decode says %d", len, ok);
		if (ok) {
			cr_assert_eq(s.key, 0x2);
			cr_assert_eq(s.asc, 0x04);
			cr_assert_eq(s.ascq, 0x0b);
		}
	}
}

/* ---- TEST UNIT READY classification ------------------------------------ */

#define FIXED(k, a, q) { 0x70, 0, (k), 0, 0, 0, 0, 0x0a, 0, 0, 0, 0, (a), (q), 0, 0, 0, 0 }
#define DESC(k, a, q) { 0x72, (k), (a), (q), 0, 0, 0, 0 }

struct tur_case {
	char name[48];
	struct mp_scsi_result res;
	enum mp_check_state state;
	bool retry;
	char msg[96];		/* must appear in the message */
};

static struct tur_case tur_cases[] = {
	{ "good", { .category = MP_SCSI_GOOD }, MP_CHECK_READY, false, "good" },
	{ "standby fixed", { .category = MP_SCSI_SENSE, .status = 0x02,
	  .sense = FIXED(0x2, 0x04, 0x0b), .sense_len = 18 }, MP_CHECK_GHOST, false, "standby" },
	{ "standby descriptor", { .category = MP_SCSI_SENSE, .status = 0x02,
	  .sense = DESC(0x2, 0x04, 0x0b), .sense_len = 8 }, MP_CHECK_GHOST, false, "standby" },
	{ "alua transition 04/0a", { .category = MP_SCSI_SENSE, .status = 0x02,
	  .sense = FIXED(0x2, 0x04, 0x0a), .sense_len = 18 }, MP_CHECK_FAULTY, false,
	  "sense 2/04/0a" },
	{ "unavailable 04/0c", { .category = MP_SCSI_SENSE, .status = 0x02,
	  .sense = DESC(0x2, 0x04, 0x0c), .sense_len = 8 }, MP_CHECK_FAULTY, false,
	  "sense 2/04/0c" },
	{ "becoming ready 04/01", { .category = MP_SCSI_SENSE, .status = 0x02,
	  .sense = FIXED(0x2, 0x04, 0x01), .sense_len = 18 }, MP_CHECK_FAULTY, false,
	  "sense 2/04/01" },
	{ "standby asc with other key", { .category = MP_SCSI_SENSE, .status = 0x02,
	  .sense = FIXED(0x5, 0x04, 0x0b), .sense_len = 18 }, MP_CHECK_FAULTY, false,
	  "sense 5/04/0b" },
	{ "unit attention 2a/06 fixed", { .category = MP_SCSI_SENSE, .status = 0x02,
	  .sense = FIXED(0x6, 0x2a, 0x06), .sense_len = 18 }, MP_CHECK_FAULTY, true,
	  "unit attention 2a/06" },
	{ "unit attention 29/00 descriptor", { .category = MP_SCSI_SENSE, .status = 0x02,
	  .sense = DESC(0x6, 0x29, 0x00), .sense_len = 8 }, MP_CHECK_FAULTY, true,
	  "unit attention 29/00" },
	{ "medium error 11/00", { .category = MP_SCSI_SENSE, .status = 0x02,
	  .sense = FIXED(0x3, 0x11, 0x00), .sense_len = 18 }, MP_CHECK_FAULTY, false,
	  "sense 3/11/00" },
	{ "hardware error 44/00", { .category = MP_SCSI_SENSE, .status = 0x02,
	  .sense = DESC(0x4, 0x44, 0x00), .sense_len = 8 }, MP_CHECK_FAULTY, false,
	  "sense 4/44/00" },
	{ "sense truncated to 13 bytes", { .category = MP_SCSI_SENSE, .status = 0x02,
	  .sense = FIXED(0x2, 0x04, 0x0b), .sense_len = 13 }, MP_CHECK_FAULTY, false, "sense 2/" },
	{ "garbage response code", { .category = MP_SCSI_SENSE, .status = 0x02,
	  .sense = { 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0 }, .sense_len = 8 },
	  MP_CHECK_FAULTY, false, "without valid sense" },
	{ "check condition, no sense", { .category = MP_SCSI_SENSE, .status = 0x02,
	  .sense_len = 0 }, MP_CHECK_FAULTY, false, "without valid sense" },
	{ "transport host 0x0e", { .category = MP_SCSI_TRANSPORT, .transport_err = 0x0e },
	  MP_CHECK_FAULTY, false, "host status 0x0e" },
	{ "transport host 0x01 driver 0x08", { .category = MP_SCSI_TRANSPORT,
	  .transport_err = 0x01 | 0x08 << 8 }, MP_CHECK_FAULTY, false,
	  "host status 0x01 driver status 0x08" },
	{ "timeout", { .category = MP_SCSI_TIMEOUT }, MP_CHECK_TIMEOUT, false, "timed out" },
	{ "os error ENODEV", { .category = MP_SCSI_OS_ERROR, .os_err = -ENODEV },
	  MP_CHECK_FAULTY, false, "No such device" },
	{ "os error unknown", { .category = MP_SCSI_OS_ERROR, .os_err = 0 },
	  MP_CHECK_FAULTY, false, "Input/output error" },
	{ "status busy", { .category = MP_SCSI_STATUS, .status = 0x08 }, MP_CHECK_FAULTY, false,
	  "status 0x08" },
	{ "status reservation conflict", { .category = MP_SCSI_STATUS, .status = 0x18 },
	  MP_CHECK_FAULTY, false, "status 0x18" },
};

ParameterizedTestParameters(tur, classify_table)
{
	return cr_make_param_array(struct tur_case, tur_cases, MP_ARRAY_SIZE(tur_cases));
}

ParameterizedTest(struct tur_case *tc, tur, classify_table)
{
	char msg[160] = "untouched";
	bool retry = !tc->retry;
	enum mp_check_state s;

	s = mp_tur_classify(&tc->res, &retry, msg, sizeof(msg));
	cr_assert_eq(s, tc->state, "%s: %s, expected %s (%s)", tc->name, mp_check_state_name(s),
		     mp_check_state_name(tc->state), msg);
	cr_assert_eq(retry, tc->retry, "%s: retry %d", tc->name, retry);
	cr_assert(strstr(msg, tc->msg), "%s: message \"%s\" lacks \"%s\"", tc->name, msg, tc->msg);
	cr_assert(strstr(msg, "TEST UNIT READY"), "%s: message \"%s\"", tc->name, msg);
}

/* A small message buffer is cut, never overrun. */
Test(tur, classify_short_message_buffer)
{
	struct mp_scsi_result r = { .category = MP_SCSI_TRANSPORT, .transport_err = 0x0e };
	char *msg = malloc(8);
	bool retry;

	cr_assert_not_null(msg);
	cr_assert_eq(mp_tur_classify(&r, &retry, msg, 8), MP_CHECK_FAULTY);
	cr_assert_str_eq(msg, "TEST UN");
	free(msg);
}

/* ---- mp_tur_check: retry once after UNIT ATTENTION --------------------- */

#define ISSUE_MAX 4

struct issue_case {
	char name[48];
	unsigned n;
	int ret[ISSUE_MAX];			/* < 0: the TUR could not be sent */
	struct mp_scsi_result res[ISSUE_MAX];
	enum mp_check_state state;
	unsigned issues;
	char msg[64];
};

#define R_GOOD { .category = MP_SCSI_GOOD }
#define R_UA { .category = MP_SCSI_SENSE, .status = 2, .sense = FIXED(0x6, 0x2a, 0x06), .sense_len = 18 }
#define R_STANDBY { .category = MP_SCSI_SENSE, .status = 2, .sense = DESC(0x2, 0x04, 0x0b), .sense_len = 8 }
#define R_MEDIUM { .category = MP_SCSI_SENSE, .status = 2, .sense = FIXED(0x3, 0x11, 0x00), .sense_len = 18 }
#define R_HOST { .category = MP_SCSI_TRANSPORT, .transport_err = 0x0e }
#define R_TIMEOUT { .category = MP_SCSI_TIMEOUT }
#define R_NONE { .category = MP_SCSI_GOOD }

static struct issue_case issue_cases[] = {
	{ "good", 1, { 0 }, { R_GOOD }, MP_CHECK_READY, 1, "good" },
	{ "unit attention then good", 2, { 0, 0 }, { R_UA, R_GOOD }, MP_CHECK_READY, 2, "good" },
	{ "unit attention twice", 2, { 0, 0 }, { R_UA, R_UA }, MP_CHECK_FAULTY, 2,
	  "unit attention 2a/06" },
	{ "unit attention then standby", 2, { 0, 0 }, { R_UA, R_STANDBY }, MP_CHECK_GHOST, 2,
	  "standby" },
	{ "unit attention then not sent", 2, { 0, -EIO }, { R_UA, R_NONE }, MP_CHECK_FAULTY, 2,
	  "not sent: Input/output error" },
	{ "not sent: ENOTTY", 1, { -ENOTTY }, { R_NONE }, MP_CHECK_FAULTY, 1,
	  "not sent: Inappropriate ioctl for device" },
	{ "standby", 1, { 0 }, { R_STANDBY }, MP_CHECK_GHOST, 1, "standby" },
	{ "medium error is not retried", 1, { 0 }, { R_MEDIUM }, MP_CHECK_FAULTY, 1,
	  "sense 3/11/00" },
	{ "transport error is not retried", 1, { 0 }, { R_HOST }, MP_CHECK_FAULTY, 1,
	  "host status 0x0e" },
	{ "timeout is not retried", 1, { 0 }, { R_TIMEOUT }, MP_CHECK_TIMEOUT, 1, "timed out" },
};

struct issue_state {
	const struct issue_case *tc;
	unsigned issued;
};

static int fake_issue(void *arg, struct mp_scsi_result *res)
{
	struct issue_state *st = arg;
	unsigned i = st->issued++;

	cr_assert_lt(i, st->tc->n, "%s: TEST UNIT READY issued %u times", st->tc->name, i + 1);
	/* what a real issue leaves behind when it fails: rubbish */
	memset(res, 0xa5, sizeof(*res));
	if (st->tc->ret[i] < 0)
		return st->tc->ret[i];
	*res = st->tc->res[i];
	return 0;
}

ParameterizedTestParameters(tur, check_retries_table)
{
	return cr_make_param_array(struct issue_case, issue_cases, MP_ARRAY_SIZE(issue_cases));
}

ParameterizedTest(struct issue_case *tc, tur, check_retries_table)
{
	struct issue_state st = { tc, 0 };
	char msg[160] = "";
	enum mp_check_state s;

	quiet();
	s = mp_tur_check(fake_issue, &st, msg, sizeof(msg));
	cr_assert_eq(s, tc->state, "%s: %s (%s)", tc->name, mp_check_state_name(s), msg);
	cr_assert_eq(st.issued, tc->issues, "%s: issued %u times", tc->name, st.issued);
	cr_assert(strstr(msg, tc->msg), "%s: message \"%s\" lacks \"%s\"", tc->name, msg, tc->msg);
}

/* ---- the check thread ---------------------------------------------------- */

static sem_t gate;
static unsigned runs, frees, arg_value;

static enum mp_check_state gated_check(void *arg, char *msg, size_t msglen)
{
	int *v = arg;

	__atomic_add_fetch(&runs, 1, __ATOMIC_SEQ_CST);
	while (sem_wait(&gate) < 0 && errno == EINTR)
		;
	snprintf(msg, msglen, "released %d", *v);
	return MP_CHECK_GHOST;
}

static void free_int(void *arg)
{
	__atomic_store_n(&arg_value, (unsigned)*(int *)arg, __ATOMIC_SEQ_CST);
	free(arg);
	__atomic_add_fetch(&frees, 1, __ATOMIC_SEQ_CST);
}

static void ct_init(void)
{
	quiet();
	cr_assert_eq(sem_init(&gate, 0, 0), 0);
	runs = frees = arg_value = 0;
}

static void ct_fini(void)
{
	sem_destroy(&gate);
}

TestSuite(check_thread, .init = ct_init, .fini = ct_fini, .timeout = 30);

/* Wait (really) until *v == want, up to 5 s. */
static bool wait_for(unsigned *v, unsigned want)
{
	for (int i = 0; i < 5000; i++) {
		if (__atomic_load_n(v, __ATOMIC_SEQ_CST) == want)
			return true;
		usleep(1000);
	}
	return false;
}

static struct mp_check_thread *new_gated(int value)
{
	int *arg = malloc(sizeof(*arg));
	struct mp_check_thread *t;

	cr_assert_not_null(arg);
	*arg = value;
	t = mp_check_thread_new(gated_check, arg, free_int);
	cr_assert_not_null(t);
	return t;
}

/* Poll at the fake time now until the answer is in (really waiting), up to 5 s. */
static enum mp_check_state poll_until_answer(struct mp_check_thread *t, uint64_t now,
					     char *msg, size_t msglen)
{
	enum mp_check_state s = MP_CHECK_PENDING;

	for (int i = 0; i < 5000 && s == MP_CHECK_PENDING; i++) {
		s = mp_check_thread_poll(t, now, 1000, msg, msglen);
		if (s == MP_CHECK_PENDING)
			usleep(1000);
	}
	return s;
}

Test(check_thread, pending_then_timeout_then_late_answer)
{
	struct mp_check_thread *t = new_gated(7);
	char msg[160] = "untouched";

	mp_check_thread_start(t, 1000 * MS);
	cr_assert(wait_for(&runs, 1), "the check never ran");
	cr_assert_eq(mp_check_thread_poll(t, 1000 * MS, 1000, msg, sizeof(msg)), MP_CHECK_PENDING);
	cr_assert_eq(mp_check_thread_poll(t, 1999 * MS, 1000, msg, sizeof(msg)), MP_CHECK_PENDING);
	cr_assert_eq(mp_check_thread_poll(t, 2000 * MS - 1, 1000, msg, sizeof(msg)),
		     MP_CHECK_PENDING);
	cr_assert_eq(mp_check_thread_poll(t, 2000 * MS, 1000, msg, sizeof(msg)), MP_CHECK_TIMEOUT);
	cr_assert_str_eq(msg, "no answer within 1000 ms");

	/* asking again while it is stuck starts nothing */
	mp_check_thread_start(t, 3000 * MS);
	mp_check_thread_start(t, 8000 * MS);
	usleep(50 * 1000);
	cr_assert_eq(__atomic_load_n(&runs, __ATOMIC_SEQ_CST), 1, "a check ran on top of a stuck one");
	cr_assert_eq(mp_check_thread_poll(t, 8000 * MS, 1000, msg, sizeof(msg)), MP_CHECK_TIMEOUT);

	/* it answers at last: that answer is reported */
	cr_assert_eq(sem_post(&gate), 0);
	cr_assert_eq(poll_until_answer(t, 1000 * MS, msg, sizeof(msg)), MP_CHECK_GHOST);
	cr_assert_str_eq(msg, "released 7");
	usleep(50 * 1000);
	cr_assert_eq(__atomic_load_n(&runs, __ATOMIC_SEQ_CST), 1,
		     "a start while stuck was kept and ran later");
	/* the answer stays until the next start */
	cr_assert_eq(mp_check_thread_poll(t, 99000 * MS, 1000, msg, sizeof(msg)), MP_CHECK_GHOST);

	/* a new check: pending again, then its own answer */
	mp_check_thread_start(t, 10000 * MS);
	cr_assert(wait_for(&runs, 2));
	cr_assert_eq(mp_check_thread_poll(t, 10500 * MS, 1000, msg, sizeof(msg)), MP_CHECK_PENDING);
	cr_assert_eq(mp_check_thread_poll(t, 11000 * MS, 1000, msg, sizeof(msg)), MP_CHECK_TIMEOUT);
	cr_assert_eq(sem_post(&gate), 0);
	cr_assert_eq(poll_until_answer(t, 10000 * MS, msg, sizeof(msg)), MP_CHECK_GHOST);

	mp_check_thread_destroy(t);
	cr_assert(wait_for(&frees, 1), "the argument was not released");
	cr_assert_eq(arg_value, 7);
	usleep(50 * 1000);	/* let the thread exit */
}

/* Destroyed while stuck: the thread finishes the call later and frees everything. */
Test(check_thread, destroy_while_stuck)
{
	struct mp_check_thread *t = new_gated(3);

	mp_check_thread_start(t, 0);
	cr_assert(wait_for(&runs, 1));
	mp_check_thread_destroy(t);
	usleep(50 * 1000);
	cr_assert_eq(__atomic_load_n(&frees, __ATOMIC_SEQ_CST), 0,
		     "the argument was freed while the check still uses it");
	cr_assert_eq(sem_post(&gate), 0);
	cr_assert(wait_for(&frees, 1), "the stuck thread did not clean up");
	cr_assert_eq(arg_value, 3);
	usleep(100 * 1000);	/* let the thread exit */
	cr_assert_eq(__atomic_load_n(&runs, __ATOMIC_SEQ_CST), 1);
}

Test(check_thread, destroy_idle_and_null)
{
	struct mp_check_thread *t = new_gated(5);

	mp_check_thread_destroy(t);
	cr_assert(wait_for(&frees, 1));
	cr_assert_eq(__atomic_load_n(&runs, __ATOMIC_SEQ_CST), 0);
	mp_check_thread_destroy(NULL);
	usleep(50 * 1000);
}

/* Destroyed with a start requested but not yet picked up: no run after destroy returns matters. */
Test(check_thread, destroy_right_after_start)
{
	struct mp_check_thread *t = new_gated(9);

	mp_check_thread_start(t, 0);
	mp_check_thread_destroy(t);
	/* the check may or may not have begun; if it did, let it finish */
	cr_assert_eq(sem_post(&gate), 0);
	cr_assert(wait_for(&frees, 1));
	cr_assert_leq(__atomic_load_n(&runs, __ATOMIC_SEQ_CST), 1);
	usleep(100 * 1000);
}

/*
 * destroy() of an idle thread: the thread sees stop as soon as destroy()
 * drops t->mu, frees everything and exits. destroy() must not touch t after
 * that unlock. The link wraps pthread_mutex_unlock (see meson.build) so the
 * test lets the thread finish right there, then hands the freed block out
 * again filled with 0xff (glibc gives the same block back), so a read of a
 * freed field is caught by ASan, by valgrind, and otherwise by the crash of
 * pthread_detach() on a garbage thread id.
 */
int __real_pthread_mutex_unlock(pthread_mutex_t *m);
int __wrap_pthread_mutex_unlock(pthread_mutex_t *m);

/*
 * Every thread's unlocks come through the wrapper (the check thread's
 * too, while the test arms the hook): the hook is atomic, and hook_thread
 * is written before the hook is armed (seq_cst store), so a thread that
 * sees the hook also sees hook_thread.
 */
static _Atomic(void (*)(void)) unlock_hook;
static pthread_t hook_thread;

int __wrap_pthread_mutex_unlock(pthread_mutex_t *m)
{
	int r = __real_pthread_mutex_unlock(m);

	if (atomic_load(&unlock_hook) && pthread_equal(pthread_self(), hook_thread)) {
		void (*hook)(void) = atomic_exchange(&unlock_hook, NULL);

		if (hook)
			hook();
	}
	return r;
}

static void *poison;
static bool thread_done_in_time;

static void let_thread_finish(void)
{
	thread_done_in_time = wait_for(&frees, 1);
	usleep(100 * 1000);		/* past free(t) and out of the thread */
	poison = malloc(304);		/* sizeof(struct mp_check_thread) today */
	if (poison)
		memset(poison, 0xff, 304);
}

Test(check_thread, destroy_does_not_touch_thread_after_unlock)
{
	struct mp_check_thread *t = new_gated(11);

	usleep(20 * 1000);		/* the thread is waiting for work */
	hook_thread = pthread_self();
	atomic_store(&unlock_hook, let_thread_finish);
	mp_check_thread_destroy(t);
	cr_assert_null(atomic_load(&unlock_hook), "destroy() dropped no lock");
	cr_assert(thread_done_in_time, "the thread did not stop after destroy()");
	cr_assert_eq(arg_value, 11);
	free(poison);
}

/* ---- the real checkers on real files ------------------------------------ */

#define LBS 4096
#define NBLOCKS 4

static struct {
	char path[2][512];
	int fd[2];		/* O_RDONLY | O_DIRECT, for the checkers */
	int wfd[2];		/* for the test */
	struct mp_path_dev dev[2];
	struct mp_checker ck;
	bool ck_up;
} ft = { .fd = { -1, -1 }, .wfd = { -1, -1 } };

enum { F_DATA, F_EMPTY };

/* A temporary file in a directory whose file system takes O_DIRECT. */
static void make_file(int which, size_t size)
{
	static const char *const dirs[] = { NULL, "/var/tmp", ".", "/tmp" };
	char *data;

	for (size_t i = 0; i < MP_ARRAY_SIZE(dirs); i++) {
		const char *dir = i ? dirs[i] : getenv("TMPDIR");
		int fd, wfd;

		if (!dir)
			continue;
		snprintf(ft.path[which], sizeof(ft.path[which]), "%s/mpathfs-ck.XXXXXX", dir);
		wfd = mkstemp(ft.path[which]);
		if (wfd < 0)
			continue;
		fd = open(ft.path[which], O_RDONLY | O_DIRECT);
		/* gone from the directory at once: nothing is left behind, even after a crash */
		unlink(ft.path[which]);
		if (fd < 0) {
			close(wfd);
			continue;
		}
		ft.wfd[which] = wfd;
		ft.fd[which] = fd;
		ft.dev[which] = (struct mp_path_dev){ .fd = fd, .lbs = LBS, .size = size };
		if (size) {
			data = malloc(size);
			cr_assert_not_null(data);
			for (size_t k = 0; k < size; k++)
				data[k] = (char)(k * 7 + 3);
			cr_assert_eq(write(wfd, data, size), (ssize_t)size);
			free(data);
		}
		return;
	}
	cr_assert_fail("no directory takes O_DIRECT files");
}

static void ft_init(void)
{
	quiet();
	make_file(F_DATA, LBS * NBLOCKS);
	make_file(F_EMPTY, 0);
}

static void ft_fini(void)
{
	if (ft.ck_up) {
		ft.ck.ops->destroy(&ft.ck);
		usleep(50 * 1000);	/* a check thread exits after destroy */
	}
	ft.ck_up = false;
	for (int i = 0; i < 2; i++) {
		if (ft.fd[i] >= 0)
			close(ft.fd[i]);
		if (ft.wfd[i] >= 0)
			close(ft.wfd[i]);
		ft.fd[i] = ft.wfd[i] = -1;
	}
}

TestSuite(checker, .init = ft_init, .fini = ft_fini, .timeout = 30);

/* Set up ops on dev; returns init's result. */
static int ck_setup(const struct mp_checker_ops *ops, const struct mp_path_dev *dev,
		    const char *device)
{
	int r;

	memset(&ft.ck, 0, sizeof(ft.ck));
	ft.ck.ops = ops;
	ft.ck.dev = dev;
	ft.ck.device = device;
	ft.ck.timeout_ms = 2000;
	r = ops->init(&ft.ck);
	ft.ck_up = r == 0;
	return r;
}

/* One check at fake time now, polled (really waiting) until it answers; never times out. */
static enum mp_check_state ck_run(uint64_t now)
{
	enum mp_check_state s = MP_CHECK_PENDING;

	ft.ck.ops->start(&ft.ck, now);
	for (int i = 0; i < 5000 && s == MP_CHECK_PENDING; i++) {
		s = ft.ck.ops->poll(&ft.ck, now + 1 * MS);
		if (s == MP_CHECK_PENDING)
			usleep(1000);
	}
	return s;
}

struct real_case {
	char checker[16];
	int file;		/* F_DATA, F_EMPTY, or -1 for a closed fd */
	enum mp_check_state state;
	char msg[64];
};

static struct real_case real_cases[] = {
	{ "directio", F_DATA, MP_CHECK_READY, "read of block 0 succeeded" },
	{ "directio", F_EMPTY, MP_CHECK_FAULTY, "short read" },
	{ "directio", -1, MP_CHECK_FAULTY, "Bad file descriptor" },
	{ "readsector0", F_DATA, MP_CHECK_READY, "read of block 0 succeeded" },
	{ "readsector0", F_EMPTY, MP_CHECK_FAULTY, "short read" },
	{ "readsector0", -1, MP_CHECK_FAULTY, "Bad file descriptor" },
	{ "none", F_DATA, MP_CHECK_READY, "not checked (path_checker = none)" },
	{ "none", F_EMPTY, MP_CHECK_READY, "not checked (path_checker = none)" },
	{ "none", -1, MP_CHECK_READY, "not checked (path_checker = none)" },
};

ParameterizedTestParameters(checker, real_file_table)
{
	return cr_make_param_array(struct real_case, real_cases, MP_ARRAY_SIZE(real_cases));
}

ParameterizedTest(struct real_case *tc, checker, real_file_table)
{
	const struct mp_checker_ops *ops = mp_checker_find(tc->checker);
	struct mp_path_dev closed = { .fd = 1000, .lbs = LBS, .size = LBS };
	const struct mp_path_dev *dev = tc->file < 0 ? &closed : &ft.dev[tc->file];
	enum mp_check_state s;

	cr_assert_not_null(ops);
	cr_assert_eq(fcntl(1000, F_GETFD), -1, "fd 1000 is open");
	cr_assert_eq(ck_setup(ops, dev, "test-device"), 0, "%s init: %s", tc->checker, ft.ck.msg);
	/* twice: a checker is reused for every check of its path */
	for (int round = 0; round < 2; round++) {
		s = ck_run((uint64_t)round * 5000 * MS);
		cr_assert_eq(s, tc->state, "%s on file %d, round %d: %s (%s)", tc->checker, tc->file,
			     round, mp_check_state_name(s), ft.ck.msg);
		cr_assert(strstr(ft.ck.msg, tc->msg), "%s: message \"%s\" lacks \"%s\"", tc->checker,
			  ft.ck.msg, tc->msg);
	}
}

static void truncate_data(off_t size)
{
	cr_assert_eq(ftruncate(ft.wfd[F_DATA], size), 0);
}

struct block_case {
	char checker[16];
	off_t size;
	enum mp_check_state state;
};

static struct block_case block_cases[] = {
	{ "directio", LBS, MP_CHECK_READY },
	{ "directio", LBS - 512, MP_CHECK_FAULTY },
	{ "directio", 100, MP_CHECK_FAULTY },
	{ "readsector0", LBS, MP_CHECK_READY },
	{ "readsector0", LBS - 512, MP_CHECK_FAULTY },
	{ "readsector0", 100, MP_CHECK_FAULTY },
};

ParameterizedTestParameters(checker, reads_one_whole_block)
{
	return cr_make_param_array(struct block_case, block_cases, MP_ARRAY_SIZE(block_cases));
}

/* The read checkers read block 0 (lbs bytes): a file of one block passes, a shorter one not. */
ParameterizedTest(struct block_case *tc, checker, reads_one_whole_block)
{
	enum mp_check_state s;

	truncate_data(tc->size);
	ft.dev[F_DATA].size = (uint64_t)tc->size;
	cr_assert_eq(ck_setup(mp_checker_find(tc->checker), &ft.dev[F_DATA], "one-block"), 0,
		     "%s", ft.ck.msg);
	s = ck_run(0);
	cr_assert_eq(s, tc->state, "%s on %lld bytes: %s (%s)", tc->checker, (long long)tc->size,
		     mp_check_state_name(s), ft.ck.msg);
}

Test(checker, tur_refuses_non_scsi_device)
{
	int r = ck_setup(&mp_checker_tur, &ft.dev[F_DATA], "/dev/not-scsi");

	cr_assert_eq(r, -ENOTTY, "tur init on a regular file: %d (%s)", r, ft.ck.msg);
	cr_assert_str_eq(ft.ck.msg, "'/dev/not-scsi' is not a SCSI device; "
			 "path_checker = tur needs one");
	cr_assert_null(ft.ck.ctx);
}

/* ---- registry and names -------------------------------------------------- */

struct name_case {
	char name[24];
	const struct mp_checker_ops *ops;
};

Test(registry, find_by_every_name)
{
	const struct name_case cases[] = {
		{ "directio", &mp_checker_directio },
		{ "readsector0", &mp_checker_readsector0 },
		{ "tur", &mp_checker_tur },
		{ "none", &mp_checker_none },
	};

	for (size_t i = 0; i < MP_ARRAY_SIZE(cases); i++) {
		const struct mp_checker_ops *o = mp_checker_find(cases[i].name);

		cr_assert_eq(o, cases[i].ops, "%s", cases[i].name);
		cr_assert_str_eq(o->name, cases[i].name);
		cr_assert(o->init && o->destroy && o->start && o->poll, "%s: missing op",
			  cases[i].name);
	}
}

Test(registry, unknown_names)
{
	static const char *const bad[] = {
		"", "DirectIO", "directio ", " tur", "hp_sw", "emc_clariion", "rdac", "cciss_tur",
		"readsector", "nonee", "tu",
	};

	for (size_t i = 0; i < MP_ARRAY_SIZE(bad); i++)
		cr_assert_null(mp_checker_find(bad[i]), "'%s' found", bad[i]);
	cr_assert_null(mp_checker_find(NULL));
}

/* What the config names is what the registry finds (the admin thread relies on it). */
Test(registry, every_config_kind_has_a_checker)
{
	static const struct {
		enum mp_checker_kind k;
		const struct mp_checker_ops *ops;
	} kinds[] = {
		{ MP_CHECKER_DIRECTIO, &mp_checker_directio },
		{ MP_CHECKER_READSECTOR0, &mp_checker_readsector0 },
		{ MP_CHECKER_TUR, &mp_checker_tur },
		{ MP_CHECKER_NONE, &mp_checker_none },
	};

	for (size_t i = 0; i < MP_ARRAY_SIZE(kinds); i++)
		cr_assert_eq(mp_checker_find(mp_checker_name(kinds[i].k)), kinds[i].ops,
			     "kind %d ('%s')", (int)kinds[i].k, mp_checker_name(kinds[i].k));
}

Test(registry, state_names)
{
	static const struct {
		enum mp_check_state s;
		const char *name;
	} names[] = {
		{ MP_CHECK_READY, "ready" },
		{ MP_CHECK_FAULTY, "faulty" },
		{ MP_CHECK_SHAKY, "shaky" },
		{ MP_CHECK_GHOST, "ghost" },
		{ MP_CHECK_PENDING, "pending" },
		{ MP_CHECK_TIMEOUT, "timeout" },
		{ MP_CHECK_DELAYED, "delayed" },
	};

	for (size_t i = 0; i < MP_ARRAY_SIZE(names); i++)
		cr_assert_str_eq(mp_check_state_name(names[i].s), names[i].name);
	cr_assert_str_eq(mp_check_state_name((enum mp_check_state)(MP_CHECK_DELAYED + 1)),
			 "unknown");
	cr_assert_str_eq(mp_check_state_name((enum mp_check_state)-1), "unknown");
	cr_assert_str_eq(mp_check_state_name((enum mp_check_state)1000), "unknown");
}
