// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The SCSI response decoders of src/scsi.c over buffers captured from a
 * real target: LIO (target_core_file + tcm_loop, Debian's 6.1 kernel) with
 * three paths to one LUN, each its own ALUA port group, as `tests/vm/run-vm.sh
 * capture` records them (tests/vm/guest/test-capture.sh: sg_inq --raw,
 * sg_vpd --raw, sg_rtpg --raw, and the sense bytes sg_raw -vv prints for a
 * TEST UNIT READY). Each capture is decoded whole, then cut at every
 * length, each cut copied to the end of a heap block of exactly that many
 * bytes so ASan or valgrind catch any read past it; then malformed
 * variants (lying lengths, overrunning descriptors, wrong page codes).
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mpathfs/scsi.h"
#include "mpathfs/util.h"

/* ---- the captures, as od -An -tx1 printed them -------------------------- */

/* standard INQUIRY of path 1: TPGS (byte 5 bits 4-5) = 3, implicit + explicit */
static const char inquiry_hex[] =
	"00 00 06 02 5b b8 10 02 4c 49 4f 2d 4f 52 47 20 46 49 4c 45 49 4f 20 20"
	"20 20 20 20 20 20 20 20 34 2e 30 20 00 00 00 00 00 00 00 00 00 00 00 00"
	"00 00 00 00 00 00 00 00 00 00 00 a0 0c 60 04 60 04 c0 00 00 00 00 00 00"
	"00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00";

/*
 * VPD page 0x83 of path 1 and path 3: NAA 6 LU designator, T10 vendor id,
 * relative target port, target port group, LU group, two SCSI name strings.
 * Descriptors start at 4, 24, 76, 84, 92, 100, 136 and the page ends at 164.
 */
#define VPD83_HEAD \
	"00 83 00 a0 01 03 00 10 60 01 40 50 12 34 56 78 9a bc de f0 12 34 56 78" \
	"02 01 00 30 4c 49 4f 2d 4f 52 47 20 46 49 4c 45 49 4f 3a 30 31 32 33 34" \
	"35 36 37 38 39 61 62 63 64 65 66 30 31 32 33 34 35 36 37 38 39 61 62 63" \
	"64 65 66 00"
static const char vpd83_hex[] = VPD83_HEAD
	"61 94 00 04 00 00 00 01 61 95 00 04 00 00 00 01 01 06 00 04 00 00 00 00"
	"63 98 00 20 6e 61 61 2e 35 30 30 31 34 30 35 30 30 30 30 30 30 30 30 31"
	"2c 74 2c 30 78 30 30 30 31 00 00 00 63 a8 00 18 6e 61 61 2e 35 30 30 31"
	"34 30 35 30 30 30 30 30 30 30 30 31 00 00 00 00";
static const char vpd83_path3_hex[] = VPD83_HEAD
	"61 94 00 04 00 00 00 03 61 95 00 04 00 00 00 03 01 06 00 04 00 00 00 00"
	"63 98 00 20 6e 61 61 2e 35 30 30 31 34 30 35 30 30 30 30 30 30 30 30 33"
	"2c 74 2c 30 78 30 30 30 31 00 00 00 63 a8 00 18 6e 61 61 2e 35 30 30 31"
	"34 30 35 30 30 30 30 30 30 30 30 33 00 00 00 00";
static const int vpd83_bounds[] = { 4, 24, 76, 84, 92, 100, 136, 164 };
#define LIO_WWID "360014050123456789abcdef012345678"

/* REPORT TARGET PORT GROUPS (length-only header): 3 groups of one port each */
#define RTPG_HEAD "00 00 00 24 00 cf 00 01 00 00 00 01 00 00 00 01"
#define RTPG_ALL_AO RTPG_HEAD \
	"00 cf 00 02 00 00 00 01 00 00 00 02 00 cf 00 03 00 00 00 01 00 00 00 03"
#define RTPG_AO_SB_UA RTPG_HEAD \
	"02 cf 00 02 00 02 00 01 00 00 00 02 03 cf 00 03 00 02 00 01 00 00 00 03"
#define RTPG_AO_TR_ANO RTPG_HEAD \
	"0f cf 00 02 00 02 00 01 00 00 00 02 01 cf 00 03 00 02 00 01 00 00 00 03"
static const int rtpg_bounds[] = { 4, 16, 28, 40 };

/* TEST UNIT READY sense, fixed format, 18 bytes */
#define SENSE(key, asc, ascq) \
	"70 00 " key " 00 00 00 00 0a 00 00 00 00 " asc " " ascq " 00 00 00 00"

/* ---- helpers ------------------------------------------------------------ */

/* The bytes of a hex string, in a heap block of exactly their number. */
static uint8_t *unhex(const char *hex, int *len)
{
	uint8_t *b = malloc(strlen(hex) / 2 + 1);
	int n = 0;
	unsigned v;

	cr_assert_not_null(b);
	for (const char *p = hex; *p;) {
		if (*p == ' ') {
			p++;
			continue;
		}
		cr_assert_eq(sscanf(p, "%2x", &v), 1, "bad hex at '%.8s'", p);
		b[n++] = (uint8_t)v;
		p += 2;
	}
	*len = n;
	return b;
}

/* The first len bytes of buf, at the very end of a heap block of len bytes. */
static uint8_t *cut(const uint8_t *buf, int len)
{
	uint8_t *b = malloc(len ? (size_t)len : 1);

	cr_assert_not_null(b);
	memcpy(b, buf, (size_t)len);
	return b;
}

/* ---- INQUIRY ------------------------------------------------------------ */

Test(inquiry, lio_tpgs_every_cut)
{
	int len;
	uint8_t *full = unhex(inquiry_hex, &len);

	cr_assert_eq(len, 96);
	for (int l = 0; l <= len; l++) {
		uint8_t *b = cut(full, l);
		int r = mp_scsi_decode_tpgs(b, l);

		/* the TPGS field is in byte 5 */
		cr_assert_eq(r, l >= 6 ? 3 : -EINVAL, "length %d: %d", l, r);
		free(b);
	}
	free(full);
	cr_assert_eq(mp_scsi_decode_tpgs(NULL, 96), -EINVAL);
}

struct tpgs_case {
	char name[40];
	uint8_t byte5;
	int tpgs;
};

static struct tpgs_case tpgs_cases[] = {
	{ "no ALUA", 0x00, 0 },
	{ "implicit only", 0x10, 1 },
	{ "explicit only", 0x20, 2 },
	{ "both", 0x30, 3 },
	{ "both, other flag bits set", 0xff, 3 },
	{ "none, other flag bits set", 0xcf, 0 },
};

ParameterizedTestParameters(inquiry, tpgs_table)
{
	return cr_make_param_array(struct tpgs_case, tpgs_cases, MP_ARRAY_SIZE(tpgs_cases));
}

ParameterizedTest(struct tpgs_case *tc, inquiry, tpgs_table)
{
	int len;
	uint8_t *b = unhex(inquiry_hex, &len);

	b[5] = tc->byte5;
	cr_assert_eq(mp_scsi_decode_tpgs(b, len), tc->tpgs, "%s", tc->name);
	free(b);
}

/* ---- VPD page 0x83 ------------------------------------------------------ */

static void expect_ident(const struct mp_scsi_ident *id, const char *wwid, int rel_port,
			 int tpg, const char *what)
{
	cr_assert_str_eq(id->wwid, wwid, "%s: wwid '%s'", what, id->wwid);
	cr_assert_eq(id->rel_port, rel_port, "%s: rel_port %d", what, id->rel_port);
	cr_assert_eq(id->tpg, tpg, "%s: tpg %d", what, id->tpg);
}

Test(vpd83, lio_paths_one_lun_own_ports)
{
	struct mp_scsi_ident a, c;
	int la, lc;
	uint8_t *pa = unhex(vpd83_hex, &la), *pc = unhex(vpd83_path3_hex, &lc);

	cr_assert_eq(la, 164);
	cr_assert_eq(mp_scsi_decode_vpd83(pa, la, &a), 0);
	cr_assert_eq(mp_scsi_decode_vpd83(pc, lc, &c), 0);
	/* the NAA designator names the LUN, not the T10 vendor id after it */
	expect_ident(&a, LIO_WWID, 1, 1, "path 1");
	expect_ident(&c, LIO_WWID, 3, 3, "path 3");
	free(pa);
	free(pc);
}

/*
 * Every cut: either -EINVAL (a descriptor's header arrived, its value did
 * not), or what the descriptors that arrived whole say.
 */
Test(vpd83, lio_every_cut)
{
	int len;
	uint8_t *full = unhex(vpd83_hex, &len);

	for (int l = 0; l <= len; l++) {
		struct mp_scsi_ident id;
		uint8_t *b = cut(full, l);
		int r = mp_scsi_decode_vpd83(b, l, &id), whole = 0;

		for (unsigned k = 0; k < MP_ARRAY_SIZE(vpd83_bounds); k++)
			if (vpd83_bounds[k] <= l)
				whole = vpd83_bounds[k];
		if (l < 4 || l - whole >= 4) {
			cr_assert_eq(r, -EINVAL, "length %d: %d", l, r);
		} else {
			cr_assert_eq(r, 0, "length %d: %d", l, r);
			expect_ident(&id, whole >= 24 ? LIO_WWID : "", whole >= 84 ? 1 : -1,
				     whole >= 92 ? 1 : -1, "cut");
		}
		free(b);
	}
	free(full);
}

/* As the daemon reads it: the page in a larger zeroed buffer. */
Test(vpd83, lio_in_larger_buffer)
{
	struct mp_scsi_ident id;
	uint8_t buf[255] = { 0 };
	int len;
	uint8_t *full = unhex(vpd83_hex, &len);

	memcpy(buf, full, (size_t)len);
	cr_assert_eq(mp_scsi_decode_vpd83(buf, sizeof(buf), &id), 0);
	expect_ident(&id, LIO_WWID, 1, 1, "in 255 bytes");
	free(full);
}

/* Criterion copies parameters into a re-executed process: no pointers in them. */
struct vpd_case {
	char name[64];
	char hex[80];
	int r;
	char wwid[24];
	int rel_port, tpg;
};

static struct vpd_case vpd_cases[] = {
	{ "wrong page code 0x80", "00 80 00 08 01 03 00 04 60 01 40 50", -EINVAL, "", -1, -1 },
	{ "page length beyond the buffer: what arrived",
	  "00 83 ff ff 01 03 00 08 60 01 40 50 12 34 56 78", 0, "36001405012345678", -1, -1 },
	{ "descriptor longer than the page",
	  "00 83 00 08 01 03 00 10 60 01 40 50", -EINVAL, "", -1, -1 },
	{ "descriptor length 255 in a short page",
	  "00 83 00 0c 61 95 00 04 00 00 00 07 01 03 00 ff", -EINVAL, "", -1, -1 },
	{ "empty page", "00 83 00 00", 0, "", -1, -1 },
	{ "page length 0 with data after it: ignored",
	  "00 83 00 00 01 03 00 04 60 01 40 50", 0, "", -1, -1 },
	{ "T10 vendor id only: spaces trimmed",
	  "00 83 00 10 02 01 00 0c 4c 49 4f 2d 4f 52 47 20 41 42 20 20", 0, "1LIO-ORG AB", -1, -1 },
	{ "T10 vendor id with control bytes",
	  "00 83 00 08 02 01 00 04 41 0a 42 00", 0, "1A_B", -1, -1 },
	{ "EUI-64 beats T10",
	  "00 83 00 14 02 01 00 04 41 42 43 44 01 02 00 08 00 11 22 33 44 55 66 77",
	  0, "20011223344556677", -1, -1 },
	{ "NAA beats EUI-64 whatever the order",
	  "00 83 00 14 01 03 00 04 60 01 40 50 01 02 00 08 00 11 22 33 44 55 66 77",
	  0, "360014050", -1, -1 },
	{ "SCSI name string for the LU",
	  "00 83 00 0c 03 08 00 08 6e 61 61 2e 36 30 30 31", 0, "8naa.6001", -1, -1 },
	{ "zero-length LU designator skipped", "00 83 00 04 01 03 00 00", 0, "", -1, -1 },
	{ "port designators too short to read",
	  "00 83 00 0c 61 94 00 02 00 01 61 95 00 02 00 02", 0, "", -1, -1 },
	{ "target port group 0xffff",
	  "00 83 00 08 61 95 00 04 00 00 ff ff", 0, "", -1, 0xffff },
	{ "target-device association does not name the LU",
	  "00 83 00 08 01 23 00 04 60 01 40 50", 0, "", -1, -1 },
	{ "three bytes", "00 83 00", -EINVAL, "", -1, -1 },
};

ParameterizedTestParameters(vpd83, malformed_table)
{
	return cr_make_param_array(struct vpd_case, vpd_cases, MP_ARRAY_SIZE(vpd_cases));
}

ParameterizedTest(struct vpd_case *tc, vpd83, malformed_table)
{
	struct mp_scsi_ident id;
	int len;
	uint8_t *b = unhex(tc->hex, &len);
	int r = mp_scsi_decode_vpd83(b, len, &id);

	cr_assert_eq(r, tc->r, "%s: %d", tc->name, r);
	if (!r)
		expect_ident(&id, tc->wwid, tc->rel_port, tc->tpg, tc->name);
	free(b);
}

Test(vpd83, null_buffer)
{
	struct mp_scsi_ident id;

	cr_assert_eq(mp_scsi_decode_vpd83(NULL, 164, &id), -EINVAL);
	cr_assert_str_eq(id.wwid, "");
}

/* ---- REPORT TARGET PORT GROUPS ------------------------------------------ */

struct rtpg_capture {
	char name[40];
	char hex[128];
	enum mp_alua_state states[3];
};

static struct rtpg_capture rtpg_captures[] = {
	{ "all active/optimized", RTPG_ALL_AO, { MP_ALUA_AO, MP_ALUA_AO, MP_ALUA_AO } },
	{ "AO, standby, unavailable", RTPG_AO_SB_UA,
	  { MP_ALUA_AO, MP_ALUA_STANDBY, MP_ALUA_UNAVAILABLE } },
	{ "AO, transitioning, ANO", RTPG_AO_TR_ANO,
	  { MP_ALUA_AO, MP_ALUA_TRANSITIONING, MP_ALUA_ANO } },
};

ParameterizedTestParameters(rtpg, lio_captures)
{
	return cr_make_param_array(struct rtpg_capture, rtpg_captures,
				   MP_ARRAY_SIZE(rtpg_captures));
}

/* Whole, then every cut: -EINVAL or the groups whose descriptors arrived whole. */
ParameterizedTest(struct rtpg_capture *tc, rtpg, lio_captures)
{
	int len;
	uint8_t *full = unhex(tc->hex, &len);

	cr_assert_eq(len, 40);
	for (int l = len; l >= 0; l--) {
		struct mp_rtpg_group g[4];
		uint8_t *b = cut(full, l);
		int count = -1, whole = 0, n = 0;
		int r = mp_scsi_decode_rtpg(b, l, g, 4, &count);

		for (unsigned k = 0; k < MP_ARRAY_SIZE(rtpg_bounds); k++)
			if (rtpg_bounds[k] <= l) {
				whole = rtpg_bounds[k];
				n = (int)k;
			}
		/* a group's 8-byte header arrived, its port list did not */
		if (l < 4 || l - whole >= 8) {
			cr_assert_eq(r, -EINVAL, "%s, length %d: %d", tc->name, l, r);
			cr_assert_eq(count, 0);
		} else {
			cr_assert_eq(r, 0, "%s, length %d: %d", tc->name, l, r);
			cr_assert_eq(count, n, "%s, length %d: %d groups", tc->name, l, count);
			for (int i = 0; i < n; i++) {
				cr_assert_eq(g[i].tpg, i + 1, "%s: group %d tpg %d", tc->name, i,
					     g[i].tpg);
				cr_assert_eq(g[i].state, tc->states[i], "%s, length %d: group %d %s",
					     tc->name, l, g[i].tpg, mp_alua_state_name(g[i].state));
				cr_assert_not(g[i].pref);
			}
		}
		free(b);
	}
	free(full);
}

/* As the daemon reads it: 1024 zeroed bytes after the reply add no group. */
Test(rtpg, lio_in_larger_buffer)
{
	struct mp_rtpg_group g[MP_RTPG_MAX_GROUPS];
	uint8_t buf[1024] = { 0 };
	int len, count;
	uint8_t *full = unhex(RTPG_AO_SB_UA, &len);

	memcpy(buf, full, (size_t)len);
	cr_assert_eq(mp_scsi_decode_rtpg(buf, sizeof(buf), g, MP_RTPG_MAX_GROUPS, &count), 0);
	cr_assert_eq(count, 3);
	cr_assert_eq(g[2].state, MP_ALUA_UNAVAILABLE);
	free(full);
}

/* More groups than room: the first max, never a write past them. */
Test(rtpg, more_groups_than_room)
{
	int len;
	uint8_t *full = unhex(RTPG_AO_TR_ANO, &len);

	for (int max = 0; max <= 3; max++) {
		struct mp_rtpg_group *g = malloc(max ? sizeof(*g) * (size_t)max : 1);
		int count = -1;

		cr_assert_not_null(g);
		cr_assert_eq(mp_scsi_decode_rtpg(full, len, g, max, &count), 0);
		cr_assert_eq(count, max);
		if (max >= 2)
			cr_assert_eq(g[1].state, MP_ALUA_TRANSITIONING);
		free(g);
	}
	free(full);
}

struct rtpg_case {
	char name[64];
	char hex[64];
	int r, count;
	int tpg0, state0;
	bool pref0;
};

static struct rtpg_case rtpg_cases[] = {
	{ "data length 0xffffffff: what arrived",
	  "ff ff ff ff 00 cf 00 01 00 00 00 01 00 00 00 01", 0, 1, 1, MP_ALUA_AO, false },
	{ "data length larger than the buffer",
	  "00 00 01 00 81 cf 00 07 00 00 00 00", 0, 1, 7, MP_ALUA_ANO, true },
	{ "port count 255 in a short reply",
	  "00 00 00 0c 00 cf 00 01 00 00 00 ff 00 00 00 01", -EINVAL, 0, 0, 0, false },
	{ "zero ports", "00 00 00 08 02 cf 01 00 00 00 00 00", 0, 1, 0x100, MP_ALUA_STANDBY, false },
	{ "state offline, flag bits above it", "00 00 00 08 7e cf 00 02 00 00 00 00",
	  0, 1, 2, MP_ALUA_OFFLINE, false },
	{ "no groups", "00 00 00 00", 0, 0, 0, 0, false },
	{ "data length shorter than one group: none",
	  "00 00 00 04 00 cf 00 01 00 00 00 00", 0, 0, 0, 0, false },
	{ "three bytes", "00 00 00", -EINVAL, 0, 0, 0, false },
};

ParameterizedTestParameters(rtpg, malformed_table)
{
	return cr_make_param_array(struct rtpg_case, rtpg_cases, MP_ARRAY_SIZE(rtpg_cases));
}

ParameterizedTest(struct rtpg_case *tc, rtpg, malformed_table)
{
	struct mp_rtpg_group g[4];
	int len, count = -1;
	uint8_t *b = unhex(tc->hex, &len);
	int r = mp_scsi_decode_rtpg(b, len, g, 4, &count);

	cr_assert_eq(r, tc->r, "%s: %d", tc->name, r);
	cr_assert_eq(count, tc->count, "%s: %d groups", tc->name, count);
	if (count > 0) {
		cr_assert_eq(g[0].tpg, tc->tpg0, "%s: tpg %d", tc->name, g[0].tpg);
		cr_assert_eq((int)g[0].state, tc->state0, "%s: state %d", tc->name, g[0].state);
		cr_assert_eq(g[0].pref, tc->pref0, "%s: pref", tc->name);
	}
	free(b);
}

/* ---- sense from TEST UNIT READY ----------------------------------------- */

struct sense_capture {
	char name[48];
	char hex[64];
	uint8_t key, asc, ascq;
	enum mp_check_state state;
	bool retry;
	char msg[128];
};

static struct sense_capture sense_captures[] = {
	{ "standby", SENSE("02", "04", "0b"), 2, 0x04, 0x0b, MP_CHECK_GHOST, false,
	  "TEST UNIT READY: standby, sense 2/04/0b (Not Ready: Logical unit not "
	  "accessible, target port in standby state)" },
	{ "unavailable", SENSE("02", "04", "0c"), 2, 0x04, 0x0c, MP_CHECK_FAULTY, false,
	  "TEST UNIT READY: sense 2/04/0c (Not Ready: Logical unit not accessible, "
	  "target port in unavailable state)" },
	{ "transitioning", SENSE("02", "04", "0a"), 2, 0x04, 0x0a, MP_CHECK_FAULTY, false,
	  "TEST UNIT READY: sense 2/04/0a (Not Ready: Logical unit not accessible, "
	  "asymmetric access state transition)" },
	{ "port offline", SENSE("02", "04", "12"), 2, 0x04, 0x12, MP_CHECK_FAULTY, false,
	  "TEST UNIT READY: sense 2/04/12 (Not Ready: Logical unit not ready, offline)" },
	{ "ALUA state changed", SENSE("06", "2a", "06"), 6, 0x2a, 0x06, MP_CHECK_FAULTY, true,
	  "TEST UNIT READY: unit attention 2a/06 (Asymmetric access state changed)" },
	{ "inquiry data changed", SENSE("06", "3f", "03"), 6, 0x3f, 0x03, MP_CHECK_FAULTY, true,
	  "TEST UNIT READY: unit attention 3f/03 (Inquiry data has changed)" },
};

ParameterizedTestParameters(sense, lio_captures)
{
	return cr_make_param_array(struct sense_capture, sense_captures,
				   MP_ARRAY_SIZE(sense_captures));
}

/* Each capture whole, then every cut: decoded and classified without over-read. */
ParameterizedTest(struct sense_capture *tc, sense, lio_captures)
{
	int len;
	uint8_t *full = unhex(tc->hex, &len);

	cr_assert_eq(len, 18);
	for (int l = len; l >= 0; l--) {
		struct mp_scsi_result res = { .category = MP_SCSI_SENSE, .status = 0x02 };
		struct mp_sense s = { 0xee, 0xee, 0xee };
		uint8_t *b = cut(full, l);
		bool ok = mp_scsi_decode_sense(b, l, &s), retry;
		enum mp_check_state st;
		char msg[128];

		/* the key needs 3 bytes, ASC/ASCQ all 14 */
		cr_assert_eq(ok, l >= 3, "%s, length %d", tc->name, l);
		if (ok) {
			cr_assert_eq(s.key, tc->key);
			cr_assert_eq(s.asc, l >= 14 ? tc->asc : 0, "%s, length %d", tc->name, l);
			cr_assert_eq(s.ascq, l >= 14 ? tc->ascq : 0);
		}
		free(b);
		memcpy(res.sense, full, (size_t)l);
		res.sense_len = l;
		st = mp_tur_classify(&res, &retry, msg, sizeof(msg));
		if (l == len) {
			cr_assert_eq(st, tc->state, "%s: state %d", tc->name, st);
			cr_assert_eq(retry, tc->retry, "%s: retry", tc->name);
			cr_assert_str_eq(msg, tc->msg);
		} else if (l < 3) {
			cr_assert_eq(st, MP_CHECK_FAULTY, "%s, length %d", tc->name, l);
			cr_assert_str_eq(msg, "TEST UNIT READY: check condition without valid sense");
		}
	}
	free(full);
}
