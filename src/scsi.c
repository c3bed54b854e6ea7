// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * SCSI through libsgutils2's sg_pt, with explicit timeouts. sg3_utils'
 * return conventions (positive SCSI_PT_DO_* codes, negative errno, result
 * categories) stop here: callers get -errno and struct mp_scsi_result.
 * The transport status is always read: with a transport down, TEST UNIT
 * READY "succeeds" with no sense and only the host status tells.
 */
#include <errno.h>
#include <scsi/sg.h>
#include <scsi/sg_lib.h>
#include <scsi/sg_pt.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include "mpathfs/log.h"
#include "mpathfs/scsi.h"

int mp_scsi_probe(int fd)
{
	int version;

	if (ioctl(fd, SG_GET_VERSION_NUM, &version) < 0)
		return -errno;
	return 0;
}

/* sg_pt counts whole seconds; never round a short timeout down to none. */
static int timeout_secs(unsigned timeout_ms)
{
	unsigned s = (timeout_ms + 999) / 1000;

	return s ? (int)s : 1;
}

int mp_scsi_tur(int fd, unsigned timeout_ms, struct mp_scsi_result *res)
{
	static const uint8_t cdb[6] = { 0x00, 0, 0, 0, 0, 0 };
	struct sg_pt_base *pt;
	int r;

	memset(res, 0, sizeof(*res));
	pt = construct_scsi_pt_obj_with_fd(fd, 0);
	if (!pt)
		return -ENOMEM;
	set_scsi_pt_cdb(pt, cdb, sizeof(cdb));
	set_scsi_pt_sense(pt, res->sense, sizeof(res->sense));
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
		*retry = true;
		snprintf(msg, msglen, "TEST UNIT READY: unit attention %02x/%02x", s.asc, s.ascq);
		return MP_CHECK_FAULTY;
	}
	if (s.key == MP_SENSE_NOT_READY && s.asc == 0x04 && s.ascq == 0x0b) {
		snprintf(msg, msglen, "TEST UNIT READY: standby (02/04/0b)");
		return MP_CHECK_GHOST;
	}
	snprintf(msg, msglen, "TEST UNIT READY: sense %x/%02x/%02x", s.key, s.asc, s.ascq);
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
