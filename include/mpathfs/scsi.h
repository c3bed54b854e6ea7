/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * SCSI commands through libsgutils2's sg_pt interface, with explicit
 * timeouts, and the decoding of what comes back. Every result is reduced
 * to plain values here (-errno for the OS, category, status, transport
 * status and sense) so nothing above this file sees sg3_utils types, and
 * the decoders are pure functions that unit tests feed canned buffers.
 */
#ifndef MPATHFS_SCSI_H
#define MPATHFS_SCSI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mpathfs/checker.h"

enum mp_scsi_category {
	MP_SCSI_GOOD,
	MP_SCSI_STATUS,		/* a status other than GOOD / CHECK CONDITION */
	MP_SCSI_SENSE,		/* CHECK CONDITION with sense data */
	MP_SCSI_TRANSPORT,	/* host or driver status: the path, not the LUN */
	MP_SCSI_OS_ERROR,	/* the ioctl failed */
	MP_SCSI_TIMEOUT,
};

#define MP_SCSI_SENSE_MAX 64

struct mp_scsi_result {
	enum mp_scsi_category category;
	int status;			/* SCSI status byte */
	int transport_err;		/* host_status | driver_status << 8 */
	int os_err;			/* negative errno */
	uint8_t sense[MP_SCSI_SENSE_MAX];
	int sense_len;
};

struct mp_sense {
	uint8_t key, asc, ascq;
};

#define MP_SENSE_NOT_READY 0x2
#define MP_SENSE_UNIT_ATTENTION 0x6

/* ALUA asymmetric access states (SPC-4) */
enum mp_alua_state {
	MP_ALUA_AO = 0x0,		/* active/optimized */
	MP_ALUA_ANO = 0x1,		/* active/non-optimized */
	MP_ALUA_STANDBY = 0x2,
	MP_ALUA_UNAVAILABLE = 0x3,
	MP_ALUA_LBA_DEPENDENT = 0x4,
	MP_ALUA_OFFLINE = 0xe,
	MP_ALUA_TRANSITIONING = 0xf,
};

#define MP_WWID_MAX 260

/* What VPD page 0x83 says of a path. */
struct mp_scsi_ident {
	char wwid[MP_WWID_MAX];		/* "" if no LU designator */
	int rel_port;			/* relative target port, -1 if absent */
	int tpg;			/* target port group, -1 if absent */
};

#define MP_RTPG_MAX_GROUPS 32

struct mp_rtpg_group {
	int tpg;
	enum mp_alua_state state;
	bool pref;
};

/* 0 if fd answers SG_IO (a SCSI device), else -errno (-ENOTTY for none). */
int mp_scsi_probe(int fd);
/*
 * Set the SCSI disk's command timeout (its sysfs device/timeout) to secs.
 * sd retries a command for up to (retries + 1) x this long (6 x by
 * default), e.g. through an ALUA transition, and such a stranded write
 * keeps its blocks fenced until it ends. -ENOTBLK/-ENOENT: not a SCSI disk.
 */
int mp_scsi_set_timeout(int fd, unsigned secs);

/* Issue TEST UNIT READY; 0 with *res filled, or -errno if it could not be sent. */
int mp_scsi_tur(int fd, unsigned timeout_ms, struct mp_scsi_result *res);

/* Issue a CDB; data_in or data_out (or neither) of len bytes. */
int mp_scsi_cmd(int fd, const uint8_t *cdb, int cdb_len, uint8_t *data_in,
		const uint8_t *data_out, int len, unsigned timeout_ms,
		struct mp_scsi_result *res);

/* Send INQUIRY / VPD 0x83 / RTPG and decode: 0, or -errno (-EIO with a reason in msg). */
int mp_scsi_get_tpgs(int fd, unsigned timeout_ms, int *tpgs, char *msg, size_t msglen);
int mp_scsi_get_ident(int fd, unsigned timeout_ms, struct mp_scsi_ident *id,
		      char *msg, size_t msglen);
int mp_scsi_rtpg(int fd, unsigned timeout_ms, struct mp_rtpg_group *groups, int max,
		 int *count, char *msg, size_t msglen);
/* Ask for group tpg to become active/optimized (explicit ALUA). */
int mp_scsi_stpg(int fd, unsigned timeout_ms, int tpg, char *msg, size_t msglen);

/*
 * Pure decoders over response buffers of len valid bytes; they never read
 * past len and reject what does not hold together with -EINVAL.
 */
int mp_scsi_decode_tpgs(const uint8_t *inq, int len);
int mp_scsi_decode_vpd83(const uint8_t *buf, int len, struct mp_scsi_ident *id);
int mp_scsi_decode_rtpg(const uint8_t *buf, int len, struct mp_rtpg_group *groups,
			int max, int *count);
const char *mp_alua_state_name(enum mp_alua_state s);

/* Decode fixed or descriptor sense; false if len is too short or it is not sense. */
bool mp_scsi_decode_sense(const uint8_t *sense, int len, struct mp_sense *out);

/*
 * What a TEST UNIT READY result says of the path, as multipath-tools' tur
 * checker: GOOD is ready; NOT READY with 04/0B (standby) is ghost; any
 * transport error, other sense or status is faulty. *retry is set for a
 * UNIT ATTENTION, which a state change leaves behind and which a second
 * try clears. msg says why.
 */
enum mp_check_state mp_tur_classify(const struct mp_scsi_result *r, bool *retry,
				    char *msg, size_t msglen);

/* TEST UNIT READY through `issue`, retried once after a UNIT ATTENTION. */
typedef int (*mp_tur_issue_fn)(void *arg, struct mp_scsi_result *res);
enum mp_check_state mp_tur_check(mp_tur_issue_fn issue, void *arg, char *msg, size_t msglen);

#endif
