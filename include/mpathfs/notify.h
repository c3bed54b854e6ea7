/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * systemd's readiness protocol (sd_notify(3)) without libsystemd: one
 * datagram to $NOTIFY_SOCKET. Does nothing when not run by systemd.
 * Thread-safe: a socket per call, no shared state.
 */
#ifndef MPATHFS_NOTIFY_H
#define MPATHFS_NOTIFY_H

void mp_sd_notify(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
