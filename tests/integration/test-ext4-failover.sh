#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Proves that a filesystem on the multipath device survives path failover
# under load: ext4 on a direct-I/O loop device over the device file, 96 MiB
# of random files written with O_DIRECT + fsync while the active path is
# failed, reinstated, and then the other path is failed (each state checked
# in `show paths` and `status`, and each time the I/O counters show the I/O
# moved to the path that should carry it). No write may fail; after sync
# and umount, e2fsck -fn must find the filesystem clean, and after a fresh
# loop device and remount, read through the other path only, every file's
# sha256 must match.
. "$(dirname "$0")/lib.sh"

it_require_env mkfs.ext4 e2fsck sha256sum blockdev
it_setup 256M 2
# failover: all I/O on the first usable path, so "the active path" is a
it_write_config "path_selector = failover" "no_path_retry = queue"
it_start_daemon

NFILES=48	# x 2 MiB = 96 MiB
src=$IT_TMP/src
mkdir "$src"
for ((i = 0; i < NFILES; i++)); do
	head -c 2M /dev/urandom >"$src/f$i" || it_fail "urandom"
done
(cd "$src" && sha256sum f*) >"$IT_TMP/sums" || it_fail "sha256sum"

it_loop_dev
loop=$IT_LOOP
it_log "device loop $loop over $IT_DEV"
mkfs.ext4 -q -F -b 4096 "$loop" >"$IT_TMP/mkfs.out" 2>&1 ||
	it_fail "mkfs.ext4 $loop failed: $(cat "$IT_TMP/mkfs.out")"
fs=$IT_TMP/fs
it_mount_fs "$loop" "$fs"

progress=$IT_TMP/progress
: >"$progress"
writer() {
	local i
	for ((i = 0; i < NFILES; i++)); do
		dd if="$src/f$i" of="$fs/f$i" bs=256k oflag=direct conv=fsync status=none ||
			{ echo "write of f$i failed" >&2; exit 1; }
		echo "$i" >>"$progress"
		# paced, so each failover event lands while files are still being written
		sleep 0.04
	done
}
it_bg writer
wpid=$IT_BG

# wait_files N: until the writer has written N files (bounded)
wait_files() {
	local i
	for ((i = 0; i < 1200; i++)); do
		[ "$(wc -l <"$progress")" -ge "$1" ] && return 0
		kill -0 "$wpid" 2>/dev/null || it_fail "the writer ended before file $1"
		sleep 0.02
	done
	it_fail "the writer did not reach $1 files in 24 s"
}

# writer_alive WHAT: the event happened while the writer was writing
writer_alive() {
	kill -0 "$wpid" 2>/dev/null ||
		it_fail "the writer had already finished at '$1': the event was not mid-write"
}

wait_files 6
it_ctl_ok fail_path a
writer_alive "fail_path a"
it_expect_path_state a failed
it_expect_path_state b active
wb0=$(it_path_stat b writes)
it_log "failed path a at file $(wc -l <"$progress"); b writes=$wb0"

wait_files 18
wb1=$(it_path_stat b writes)
[ "$wb1" -gt "$wb0" ] || it_fail "path b carried no writes while a was failed ($wb0 -> $wb1)"
it_ctl_ok reinstate_path a
writer_alive "reinstate_path a"
it_expect_path_state a active
it_expect_path_state b active
wa1=$(it_path_stat a writes)
it_log "reinstated path a at file $(wc -l <"$progress"); b writes $wb0 -> $wb1"

wait_files 30
wa2=$(it_path_stat a writes)
[ "$wa2" -gt "$wa1" ] || it_fail "path a carried no writes after its reinstatement ($wa1 -> $wa2)"
it_ctl_ok fail_path b
writer_alive "fail_path b"
it_expect_path_state b failed
it_expect_path_state a active
it_log "failed path b at file $(wc -l <"$progress"); a writes $wa1 -> $wa2"

it_wait_pid "$wpid" 120
rc=$?
[ "$rc" = 0 ] || it_fail "the writer failed (status $rc): a write saw an error during failover"
[ "$(wc -l <"$progress")" = "$NFILES" ] || it_fail "not every file was written"
du_mb=$(du -sm "$fs" | cut -f1)
[ "$du_mb" -ge 64 ] || it_fail "only $du_mb MiB written, expected >= 64"
it_log "writer done: $NFILES files, $du_mb MiB"

sync || it_fail "sync failed"
it_umount_fs "$fs"
blockdev --flushbufs "$loop" || it_fail "blockdev --flushbufs $loop"
e2fsck -fn "$loop" >"$IT_TMP/fsck.out" 2>&1
rc=$?
[ "$rc" = 0 ] || it_fail "e2fsck -fn $loop exited $rc: $(tail -20 "$IT_TMP/fsck.out")"
it_log "e2fsck -fn clean"
it_detach_loop "$loop"

# read everything back through path b alone, from a fresh loop device
it_ctl_ok reinstate_path b
it_ctl_ok fail_path a
it_expect_path_state a failed
it_expect_path_state b active
rb0=$(it_path_stat b reads)
it_loop_dev
loop=$IT_LOOP
it_mount_fs "$loop" "$fs"
(cd "$fs" && sha256sum -c --quiet "$IT_TMP/sums") >"$IT_TMP/sha.out" 2>&1 ||
	it_fail "checksums differ after remount: $(head -20 "$IT_TMP/sha.out")"
rb1=$(it_path_stat b reads)
[ "$rb1" -gt "$rb0" ] || it_fail "the remount read nothing through path b ($rb0 -> $rb1)"
it_log "all $NFILES checksums match (read through path b: $rb0 -> $rb1 reads)"
it_umount_fs "$fs"
it_detach_loop "$loop"
it_ctl_ok reinstate_path a

for n in a b; do
	e=$(it_path_stat "$n" errors)
	[ "$e" = 0 ] || it_fail "path $n counted $e I/O errors"
done
grep -c "failed by administrator" "$IT_LOG" | grep -qx 3 ||
	it_fail "the daemon log does not show the 3 administrator failures"
it_stop_daemon || it_fail "mpathfs exited with status $? after a clean unmount"
it_pass
