// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target: the SCSI decoders of src/scsi.c, which read what a
 * device (or anything posing as one) sends back. The first byte picks:
 *
 *   0 sense    mp_scsi_decode_sense(rest)
 *   1 vpd83    mp_scsi_decode_vpd83(rest)
 *   2 rtpg     mp_scsi_decode_rtpg(rest[1..]) into rest[0] % 33 groups
 *   3 tpgs     mp_scsi_decode_tpgs(rest)
 *   4 tur      mp_tur_classify() of a result built from rest
 *   5 tur2     mp_tur_check() over two results built from rest
 *
 * Every buffer handed to a decoder is a malloc of exactly its length (and
 * the group array exactly `max` entries, the message buffer exactly
 * msglen bytes), so ASan catches any read or write past what was given.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mpathfs/scsi.h"

#define CHECK(cond)                                                             \
	do {                                                                    \
		if (!(cond)) {                                                  \
			fprintf(stderr, "fuzz-scsi: %s:%d: check failed: %s\n", \
				__FILE__, __LINE__, #cond);                     \
			abort();                                                \
		}                                                               \
	} while (0)

/* exactly len bytes of data, on the heap (malloc(0) may give NULL: use 1) */
static uint8_t *exact_copy(const uint8_t *data, size_t len)
{
	uint8_t *p = malloc(len ? len : 1);

	if (!p)
		abort();
	if (len)
		memcpy(p, data, len);
	return p;
}

/* a byte at a time from the input, 0 once it runs out */
struct reader {
	const uint8_t *d;
	size_t n, pos;
};

static uint8_t next(struct reader *r)
{
	return r->pos < r->n ? r->d[r->pos++] : 0;
}

/* A TEST UNIT READY result as mp_scsi_cmd leaves it (sense_len clamped). */
static void build_result(struct reader *rd, struct mp_scsi_result *res)
{
	int i;

	memset(res, 0, sizeof(*res));
	res->category = (enum mp_scsi_category)(next(rd) % (MP_SCSI_TIMEOUT + 1));
	res->status = next(rd);
	res->transport_err = next(rd) | next(rd) << 8;
	res->os_err = -(int)(next(rd) % 134);
	res->sense_len = next(rd) % (MP_SCSI_SENSE_MAX + 1);
	for (i = 0; i < res->sense_len; i++)
		res->sense[i] = next(rd);
}

static void check_state(enum mp_check_state s)
{
	CHECK(s == MP_CHECK_READY || s == MP_CHECK_GHOST || s == MP_CHECK_FAULTY ||
	      s == MP_CHECK_TIMEOUT);
}

/* msglen from one byte: 0..127, in a buffer of exactly that size */
static char *msg_buf(struct reader *rd, size_t *msglen)
{
	char *msg;

	*msglen = next(rd) % 128;
	msg = malloc(*msglen ? *msglen : 1);
	if (!msg)
		abort();
	memset(msg, 0x5a, *msglen ? *msglen : 1);
	return msg;
}

static void check_msg(const char *msg, size_t msglen)
{
	if (msglen)
		CHECK(strnlen(msg, msglen) < msglen);
}

struct issue_arg {
	struct mp_scsi_result res[2];
	int calls;
};

static int issue(void *arg, struct mp_scsi_result *res)
{
	struct issue_arg *a = arg;

	CHECK(a->calls < 2);
	*res = a->res[a->calls++];
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *rest = data + 1;
	size_t len = size - 1;
	uint8_t *buf;

	if (size < 1)
		return 0;
	switch (data[0] % 6) {
	case 0: {
		struct mp_sense s;

		buf = exact_copy(rest, len);
		if (mp_scsi_decode_sense(buf, (int)len, &s))
			CHECK(s.key <= 0xf);
		free(buf);
		break;
	}
	case 1: {
		struct mp_scsi_ident id;

		buf = exact_copy(rest, len);
		if (mp_scsi_decode_vpd83(buf, (int)len, &id) == 0) {
			CHECK(strnlen(id.wwid, MP_WWID_MAX) < MP_WWID_MAX);
			CHECK(id.rel_port >= -1 && id.rel_port <= 0xffff);
			CHECK(id.tpg >= -1 && id.tpg <= 0xffff);
		}
		free(buf);
		break;
	}
	case 2: {
		int max = len ? rest[0] % (MP_RTPG_MAX_GROUPS + 1) : 0, count = -1, r;
		struct mp_rtpg_group *groups =
			malloc(max ? (size_t)max * sizeof(*groups) : 1);

		if (!groups)
			abort();
		if (len) {
			rest++;
			len--;
		}
		buf = exact_copy(rest, len);
		r = mp_scsi_decode_rtpg(buf, (int)len, groups, max, &count);
		CHECK(r == 0 || r == -EINVAL);
		if (r == 0) {
			CHECK(count >= 0 && count <= max);
			for (int i = 0; i < count; i++) {
				CHECK(groups[i].tpg >= 0 && groups[i].tpg <= 0xffff);
				CHECK(mp_alua_state_name(groups[i].state) != NULL);
			}
		}
		free(buf);
		free(groups);
		break;
	}
	case 3: {
		int r;

		buf = exact_copy(rest, len);
		r = mp_scsi_decode_tpgs(buf, (int)len);
		CHECK(r == -EINVAL || (r >= 0 && r <= 3));
		free(buf);
		break;
	}
	case 4: {
		struct reader rd = { rest, len, 0 };
		struct mp_scsi_result *res = malloc(sizeof(*res));
		size_t msglen;
		char *msg;
		bool retry;

		if (!res)
			abort();
		build_result(&rd, res);
		msg = msg_buf(&rd, &msglen);
		check_state(mp_tur_classify(res, &retry, msg, msglen));
		check_msg(msg, msglen);
		free(msg);
		free(res);
		break;
	}
	case 5: {
		struct reader rd = { rest, len, 0 };
		struct issue_arg a = { .calls = 0 };
		size_t msglen;
		char *msg;

		build_result(&rd, &a.res[0]);
		build_result(&rd, &a.res[1]);
		msg = msg_buf(&rd, &msglen);
		check_state(mp_tur_check(issue, &a, msg, msglen));
		check_msg(msg, msglen);
		free(msg);
		break;
	}
	}
	return 0;
}
