// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * SCSI through libsgutils2's sg_pt, with explicit timeouts. sg3_utils'
 * return conventions (positive SCSI_PT_DO_* codes, negative errno, result
 * categories) stop here: callers get -errno and struct mp_scsi_result.
 * The transport status is always read: with a transport down, TEST UNIT
 * READY "succeeds" with no sense and only the host status tells.
 */
#include <errno.h>
#include <fcntl.h>
#include <scsi/sg.h>
#include <scsi/sg_lib.h>
#include <scsi/sg_pt.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "mpathfs/log.h"
#include "mpathfs/scsi.h"

int mp_scsi_probe(int fd)
{
	int version;

	if (ioctl(fd, SG_GET_VERSION_NUM, &version) < 0)
		return -errno;
	return 0;
}

int mp_scsi_set_timeout(int fd, unsigned secs)
{
	char path[80], val[16];
	struct stat st;
	int sfd, n, r = 0;

	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISBLK(st.st_mode))
		return -ENOTBLK;
	/* a partition's own directory has no device/ link: its disk's has */
	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/device/timeout",
		 major(st.st_rdev), minor(st.st_rdev));
	sfd = open(path, O_WRONLY | O_CLOEXEC);
	if (sfd < 0 && errno == ENOENT) {
		snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/../device/timeout",
			 major(st.st_rdev), minor(st.st_rdev));
		sfd = open(path, O_WRONLY | O_CLOEXEC);
	}
	if (sfd < 0)
		return -errno;
	n = snprintf(val, sizeof(val), "%u\n", secs);
	if (write(sfd, val, (size_t)n) != n)
		r = -errno;
	close(sfd);
	return r;
}

/* sg_pt counts whole seconds; never round a short timeout down to none. */
static int timeout_secs(unsigned timeout_ms)
{
	unsigned s = (timeout_ms + 999) / 1000;

	return s ? (int)s : 1;
}

int mp_scsi_cmd(int fd, const uint8_t *cdb, int cdb_len, uint8_t *data_in,
		const uint8_t *data_out, int len, unsigned timeout_ms,
		struct mp_scsi_result *res)
{
	struct sg_pt_base *pt;
	int r;

	memset(res, 0, sizeof(*res));
	pt = construct_scsi_pt_obj_with_fd(fd, 0);
	if (!pt)
		return -ENOMEM;
	set_scsi_pt_cdb(pt, cdb, cdb_len);
	set_scsi_pt_sense(pt, res->sense, sizeof(res->sense));
	if (data_in)
		set_scsi_pt_data_in(pt, data_in, len);
	else if (data_out)
		set_scsi_pt_data_out(pt, data_out, len);
	r = do_scsi_pt(pt, -1, timeout_secs(timeout_ms), 0);
	if (r == SCSI_PT_DO_TIMEOUT) {
		res->category = MP_SCSI_TIMEOUT;
		r = 0;
		goto out;
	}
	if (r < 0)
		goto out;	/* already -errno */
	if (r > 0) {
		r = -EINVAL;
		goto out;
	}
	res->status = get_scsi_pt_status_response(pt);
	res->transport_err = get_scsi_pt_transport_err(pt);
	res->os_err = -get_scsi_pt_os_err(pt);
	res->sense_len = get_scsi_pt_sense_len(pt);
	if (res->sense_len > MP_SCSI_SENSE_MAX)
		res->sense_len = MP_SCSI_SENSE_MAX;
	if (res->sense_len < 0)
		res->sense_len = 0;
	switch (get_scsi_pt_result_category(pt)) {
	case SCSI_PT_RESULT_GOOD:
		res->category = MP_SCSI_GOOD;
		break;
	case SCSI_PT_RESULT_STATUS:
		res->category = MP_SCSI_STATUS;
		break;
	case SCSI_PT_RESULT_SENSE:
		res->category = MP_SCSI_SENSE;
		break;
	case SCSI_PT_RESULT_TRANSPORT_ERR:
		res->category = MP_SCSI_TRANSPORT;
		break;
	default:
		res->category = MP_SCSI_OS_ERROR;
		break;
	}
	/* a transport error can hide behind a GOOD category: trust the host status */
	if (res->transport_err && res->category == MP_SCSI_GOOD)
		res->category = MP_SCSI_TRANSPORT;
out:
	destruct_scsi_pt_obj(pt);
	return r;
}

int mp_scsi_tur(int fd, unsigned timeout_ms, struct mp_scsi_result *res)
{
	static const uint8_t cdb[6] = { 0x00, 0, 0, 0, 0, 0 };

	return mp_scsi_cmd(fd, cdb, sizeof(cdb), NULL, NULL, 0, timeout_ms, res);
}

/* sg3_utils' words for a sense key and for an ASC/ASCQ pair. */
static void sense_words(const struct mp_sense *s, char *key, int keylen, char *asc, int asclen)
{
	static const char prefix[] = "Additional sense: ";

	sg_get_sense_key_str(s->key, keylen, key);
	sg_get_asc_ascq_str(s->asc, s->ascq, asclen, asc);
	if (!strncmp(asc, prefix, sizeof(prefix) - 1))
		memmove(asc, asc + sizeof(prefix) - 1, strlen(asc + sizeof(prefix) - 1) + 1);
}

/* "2/04/0c (Not Ready: Logical unit not accessible, ...)" */
static void sense_text(const struct mp_sense *s, char *buf, size_t len)
{
	char key[48], asc[160];

	sense_words(s, key, sizeof(key), asc, sizeof(asc));
	snprintf(buf, len, "%x/%02x/%02x (%s: %s)", s->key, s->asc, s->ascq, key, asc);
}

/* Run a command, retrying once after a UNIT ATTENTION; -EIO with msg on failure. */
static int cmd_checked(int fd, const char *what, const uint8_t *cdb, int cdb_len,
		       uint8_t *in, const uint8_t *out, int len, unsigned timeout_ms,
		       char *msg, size_t msglen)
{
	struct mp_scsi_result res;
	struct mp_sense sense;
	int tries, r;

	for (tries = 0; tries < 2; tries++) {
		r = mp_scsi_cmd(fd, cdb, cdb_len, in, out, len, timeout_ms, &res);
		if (r < 0) {
			snprintf(msg, msglen, "%s not sent: %s", what, mp_errstr(r));
			return r;
		}
		if (res.category == MP_SCSI_GOOD)
			return 0;
		if (res.category == MP_SCSI_SENSE &&
		    mp_scsi_decode_sense(res.sense, res.sense_len, &sense) &&
		    sense.key == MP_SENSE_UNIT_ATTENTION)
			continue;
		break;
	}
	if (res.category == MP_SCSI_SENSE &&
	    mp_scsi_decode_sense(res.sense, res.sense_len, &sense)) {
		char text[256];

		sense_text(&sense, text, sizeof(text));
		snprintf(msg, msglen, "%s: sense %s", what, text);
	} else if (res.category == MP_SCSI_TRANSPORT)
		snprintf(msg, msglen, "%s: transport error, host status 0x%02x", what,
			 res.transport_err & 0xff);
	else if (res.category == MP_SCSI_TIMEOUT)
		snprintf(msg, msglen, "%s: timed out", what);
	else
		snprintf(msg, msglen, "%s: status 0x%02x", what, res.status & 0xff);
	return -EIO;
}

int mp_scsi_get_tpgs(int fd, unsigned timeout_ms, int *tpgs, char *msg, size_t msglen)
{
	uint8_t cdb[6] = { 0x12, 0, 0, 0, 96, 0 }, buf[96] = { 0 };
	int r = cmd_checked(fd, "INQUIRY", cdb, sizeof(cdb), buf, NULL, sizeof(buf),
			    timeout_ms, msg, msglen);

	if (r < 0)
		return r;
	*tpgs = mp_scsi_decode_tpgs(buf, sizeof(buf));
	return *tpgs < 0 ? -EIO : 0;
}

int mp_scsi_get_ident(int fd, unsigned timeout_ms, struct mp_scsi_ident *id,
		      char *msg, size_t msglen)
{
	uint8_t cdb[6] = { 0x12, 0x01, 0x83, 0x02, 0x00, 0 }, buf[512] = { 0 };
	int r = cmd_checked(fd, "INQUIRY VPD 0x83", cdb, sizeof(cdb), buf, NULL, sizeof(buf),
			    timeout_ms, msg, msglen);

	if (r < 0)
		return r;
	r = mp_scsi_decode_vpd83(buf, sizeof(buf), id);
	if (r < 0)
		snprintf(msg, msglen, "INQUIRY VPD 0x83: malformed page");
	return r;
}

int mp_scsi_rtpg(int fd, unsigned timeout_ms, struct mp_rtpg_group *groups, int max,
		 int *count, char *msg, size_t msglen)
{
	uint8_t cdb[12] = { 0xa3, 0x0a, 0, 0, 0, 0, 0, 0, 0x04, 0x00, 0, 0 };
	uint8_t buf[1024] = { 0 };
	int r = cmd_checked(fd, "REPORT TARGET PORT GROUPS", cdb, sizeof(cdb), buf, NULL,
			    sizeof(buf), timeout_ms, msg, msglen);

	if (r < 0)
		return r;
	r = mp_scsi_decode_rtpg(buf, sizeof(buf), groups, max, count);
	if (r < 0)
		snprintf(msg, msglen, "REPORT TARGET PORT GROUPS: malformed reply");
	return r;
}

int mp_scsi_stpg(int fd, unsigned timeout_ms, int tpg, char *msg, size_t msglen)
{
	/* only this group's descriptor: targets apply exactly what is sent */
	uint8_t param[8] = { 0, 0, 0, 0, MP_ALUA_AO, 0, (uint8_t)(tpg >> 8), (uint8_t)tpg };
	uint8_t cdb[12] = { 0xa4, 0x0a, 0, 0, 0, 0, 0, 0, 0, sizeof(param), 0, 0 };

	return cmd_checked(fd, "SET TARGET PORT GROUPS", cdb, sizeof(cdb), NULL, param,
			   sizeof(param), timeout_ms, msg, msglen);
}

int mp_scsi_decode_tpgs(const uint8_t *inq, int len)
{
	if (!inq || len < 6)
		return -EINVAL;
	return (inq[5] >> 4) & 0x3;
}

static const char hexdigits[] = "0123456789abcdef";

/* The multipath-tools WWID form: designator type digit, then the bytes in hex. */
static void wwid_hex(char *out, size_t outlen, char prefix, const uint8_t *d, int n)
{
	size_t pos = 0;

	if (outlen < 2)
		return;
	out[pos++] = prefix;
	for (int i = 0; i < n && pos + 2 < outlen; i++) {
		out[pos++] = hexdigits[d[i] >> 4];
		out[pos++] = hexdigits[d[i] & 0xf];
	}
	out[pos] = '\0';
}

int mp_scsi_decode_vpd83(const uint8_t *buf, int len, struct mp_scsi_ident *id)
{
	int page_len, pos, best = 0;

	id->wwid[0] = '\0';
	id->rel_port = -1;
	id->tpg = -1;
	if (!buf || len < 4 || buf[1] != 0x83)
		return -EINVAL;
	page_len = (buf[2] << 8) | buf[3];
	if (page_len > len - 4)
		page_len = len - 4;	/* a truncated page: use what arrived */
	for (pos = 4; pos + 4 <= 4 + page_len;) {
		const uint8_t *d = buf + pos;
		int assoc = (d[1] >> 4) & 0x3, type = d[1] & 0xf;
		int dlen = d[3];
		const uint8_t *val = d + 4;

		if (pos + 4 + dlen > 4 + page_len)
			return -EINVAL;
		/* LU designators: NAA beats EUI-64 beats SCSI name beats T10 vendor id */
		if (assoc == 0) {
			int rank = type == 3 ? 4 : type == 2 ? 3 : type == 8 ? 2 : type == 1 ? 1 : 0;

			if (rank > best && dlen > 0) {
				best = rank;
				if (type == 3 || type == 2) {
					wwid_hex(id->wwid, sizeof(id->wwid), type == 3 ? '3' : '2',
						 val, dlen);
				} else {
					int n = dlen < MP_WWID_MAX - 2 ? dlen : MP_WWID_MAX - 2;

					id->wwid[0] = type == 8 ? '8' : '1';
					for (int i = 0; i < n; i++)
						id->wwid[1 + i] = (val[i] >= 0x20 && val[i] < 0x7f) ?
								  (char)val[i] : '_';
					id->wwid[1 + n] = '\0';
					/* trailing blanks and NULs pad these strings */
					for (int i = n; i > 0 && (id->wwid[i] == ' ' || id->wwid[i] == '_'); i--)
						id->wwid[i] = '\0';
				}
			}
		} else if (assoc == 1 && type == 4 && dlen >= 4) {
			id->rel_port = (val[2] << 8) | val[3];
		} else if (assoc == 1 && type == 5 && dlen >= 4) {
			id->tpg = (val[2] << 8) | val[3];
		}
		pos += 4 + dlen;
	}
	return 0;
}

int mp_scsi_decode_rtpg(const uint8_t *buf, int len, struct mp_rtpg_group *groups,
			int max, int *count)
{
	int data_len, pos, n = 0;

	*count = 0;
	if (!buf || len < 4)
		return -EINVAL;
	data_len = (int)(((uint32_t)buf[0] << 24) | ((uint32_t)buf[1] << 16) |
			 ((uint32_t)buf[2] << 8) | buf[3]);
	if (data_len < 0 || data_len > len - 4)
		data_len = len - 4;
	for (pos = 4; pos + 8 <= 4 + data_len;) {
		const uint8_t *d = buf + pos;
		int ports = d[7];

		if (pos + 8 + 4 * ports > 4 + data_len)
			return -EINVAL;
		if (n < max) {
			groups[n].pref = d[0] & 0x80;
			groups[n].state = (enum mp_alua_state)(d[0] & 0x0f);
			groups[n].tpg = (d[2] << 8) | d[3];
			n++;
		}
		pos += 8 + 4 * ports;
	}
	*count = n;
	return 0;
}

const char *mp_alua_state_name(enum mp_alua_state s)
{
	switch (s) {
	case MP_ALUA_AO:
		return "active/optimized";
	case MP_ALUA_ANO:
		return "active/non-optimized";
	case MP_ALUA_STANDBY:
		return "standby";
	case MP_ALUA_UNAVAILABLE:
		return "unavailable";
	case MP_ALUA_LBA_DEPENDENT:
		return "lba-dependent";
	case MP_ALUA_OFFLINE:
		return "offline";
	case MP_ALUA_TRANSITIONING:
		return "transitioning";
	}
	return "unknown";
}

bool mp_scsi_decode_sense(const uint8_t *sense, int len, struct mp_sense *out)
{
	uint8_t rc;

	if (!sense || len < 1)
		return false;
	rc = sense[0] & 0x7f;
	memset(out, 0, sizeof(*out));
	if (rc == 0x70 || rc == 0x71) {
		/* fixed format: key at 2, ASC/ASCQ at 12/13 when the length covers them */
		if (len < 3)
			return false;
		out->key = sense[2] & 0xf;
		if (len >= 14 && sense[7] >= 6) {
			out->asc = sense[12];
			out->ascq = sense[13];
		}
		return true;
	}
	if (rc == 0x72 || rc == 0x73) {
		if (len < 4)
			return false;
		out->key = sense[1] & 0xf;
		out->asc = sense[2];
		out->ascq = sense[3];
		return true;
	}
	return false;
}

enum mp_check_state mp_tur_classify(const struct mp_scsi_result *r, bool *retry,
				    char *msg, size_t msglen)
{
	struct mp_sense s;
	char text[256];

	*retry = false;
	switch (r->category) {
	case MP_SCSI_GOOD:
		snprintf(msg, msglen, "TEST UNIT READY: good");
		return MP_CHECK_READY;
	case MP_SCSI_TIMEOUT:
		snprintf(msg, msglen, "TEST UNIT READY: timed out");
		return MP_CHECK_TIMEOUT;
	case MP_SCSI_TRANSPORT:
		snprintf(msg, msglen, "TEST UNIT READY: transport error, host status 0x%02x "
			 "driver status 0x%02x", r->transport_err & 0xff,
			 (r->transport_err >> 8) & 0xff);
		return MP_CHECK_FAULTY;
	case MP_SCSI_OS_ERROR:
		snprintf(msg, msglen, "TEST UNIT READY: %s", mp_errstr(r->os_err ? r->os_err : -EIO));
		return MP_CHECK_FAULTY;
	case MP_SCSI_STATUS:
		snprintf(msg, msglen, "TEST UNIT READY: status 0x%02x", r->status & 0xff);
		return MP_CHECK_FAULTY;
	case MP_SCSI_SENSE:
		break;
	}
	if (!mp_scsi_decode_sense(r->sense, r->sense_len, &s)) {
		snprintf(msg, msglen, "TEST UNIT READY: check condition without valid sense");
		return MP_CHECK_FAULTY;
	}
	if (s.key == MP_SENSE_UNIT_ATTENTION) {
		char key[48];

		*retry = true;
		sense_words(&s, key, sizeof(key), text, sizeof(text));
		snprintf(msg, msglen, "TEST UNIT READY: unit attention %02x/%02x (%s)", s.asc,
			 s.ascq, text);
		return MP_CHECK_FAULTY;
	}
	sense_text(&s, text, sizeof(text));
	if (s.key == MP_SENSE_NOT_READY && s.asc == 0x04 && s.ascq == 0x0b) {
		snprintf(msg, msglen, "TEST UNIT READY: standby, sense %s", text);
		return MP_CHECK_GHOST;
	}
	snprintf(msg, msglen, "TEST UNIT READY: sense %s", text);
	return MP_CHECK_FAULTY;
}

enum mp_check_state mp_tur_check(mp_tur_issue_fn issue, void *arg, char *msg, size_t msglen)
{
	enum mp_check_state s = MP_CHECK_FAULTY;
	struct mp_scsi_result res;
	bool retry = true;
	int tries, r;

	for (tries = 0; tries < 2 && retry; tries++) {
		r = issue(arg, &res);
		if (r < 0) {
			snprintf(msg, msglen, "TEST UNIT READY not sent: %s", mp_errstr(r));
			return MP_CHECK_FAULTY;
		}
		s = mp_tur_classify(&res, &retry, msg, msglen);
	}
	return s;
}
