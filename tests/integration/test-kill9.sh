#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Crash safety: mpathfs killed with SIGKILL while it serves writes and
# fsyncs loses nothing an fsync (or a write reply) promised, and a new
# daemon over the same paths, on the same mountpoint, takes over cleanly.
# Two paths of the fault bed; io_timeout 60 so no deliberate hang fails a
# path. Helpers: kill9.py (its header describes the writers and checks).
#
# Block phase: three writers (kill9.py bwrite, one 8 MiB region each) write
# self-identifying 4 KiB blocks with O_DIRECT to the device file and fsync
# every 1..8 writes, logging each write's acknowledgement and which writes
# each completed fsync covers. Three kills, each followed by the same steps:
#   1. at a random moment after 10..49 completed fsyncs (no fault);
#   2. during an fsync: one writer stops before its 4th fsync, both paths
#      are made to hang, the fsync is let go, and the daemon is killed once
#      the writer is in it and I/O (its flush) is held on a path; then the
#      hang is released (the dead daemon's exit waits for its path I/O);
#   3. with writes in flight: both paths hang under the three writers,
#      the daemon is killed once each writer is blocked in a write or an
#      fsync and I/O is held on the paths; then the hang is released.
# After each kill: the daemon dies of SIGKILL, every writer sees the error
# (ENOTCONN, ECONNABORTED or EIO) and ends, the dead FUSE mount is taken
# down; every path device, read directly (O_DIRECT), holds every write a
# completed fsync covered, byte for byte, and every acknowledged write
# (mpathfs has no write cache); a write in flight at the kill left old or
# new data; paths read identical bytes. Then a new daemon over the same
# paths mounts on the same mountpoint and the device file reads the same
# (nothing of the dead daemon lands later). At the end a new write+fsync
# round completes, and a clean stop exits 0.
#
# ext4 phase: ext4 on a direct-I/O loop device over the device file; a
# writer (kill9.py fwrite) creates files (and rewrites some through a
# temporary file and rename), fsync()ing each with its directory. Killed
# (1) at a random moment after 10..19 committed files, (2) during a file's
# fsync with its I/O held on the paths. After each: the filesystem and loop
# device are taken down, a new daemon started, the journal replayed by a
# mount and umount, `e2fsck -fn` must be clean, and every committed file's
# sha256 must match.
# Five new files after the last restart commit, and the filesystem is
# fsck-clean after a clean umount.
. "$(dirname "$0")/lib.sh"

K9=$(cd "$(dirname "$0")" && pwd)/kill9.py
it_require_env python3 mkfs.ext4 e2fsck sha256sum
[ -r "$K9" ] || it_fail "missing helper $K9"
M=$((1 << 20))
it_setup_faultbed 128M 2
it_write_config "no_path_retry = queue" "io_timeout = 60"
SEED=${K9_SEED:-$RANDOM}
it_log "seed $SEED (K9_SEED=$SEED repeats the writers' choices)"

NW=3
REGION=$((8 * M))
WPIDS=()

# ---------------------------------------------------------------- helpers

# k9_faults_held -> I/O requests held (hang) on all faultfs instances
k9_faults_held() {
	local c n=0 v
	for c in "${IT_FAULT_CTL[@]}"; do
		v=$(awk '$1 == "held" { print $2 }' "$c") || return 1
		n=$((n + v))
	done
	echo "$n"
}

# k9_abort_conn: abort the FUSE connection of the mount on IT_MNT (the
# last resort when something hangs on a dead daemon; a dead daemon's
# connection is normally aborted by the kernel when its /dev/fuse closes)
k9_abort_conn() {
	local dev
	dev=$(awk -v m="$IT_MNT" '$5 == m { print $3 }' /proc/self/mountinfo | tail -n 1)
	[ -n "$dev" ] && [ -e "/sys/fs/fuse/connections/${dev#*:}/abort" ] &&
		echo 1 >"/sys/fs/fuse/connections/${dev#*:}/abort"
	it_log "aborted FUSE connection ${dev:-?} of $IT_MNT"
}

# k9_wait_until SECONDS WHAT COMMAND...: poll COMMAND until it succeeds
k9_wait_until() {
	local secs=$1 what=$2 i
	shift 2
	for ((i = 0; i < secs * 50; i++)); do
		"$@" && return 0
		sleep 0.02
	done
	it_fail "timed out ($secs s) waiting for $what"
}

# k9_stacks PID...: where these processes (and their threads) wait, for
# the failure report of something stuck
k9_stacks() {
	local p t
	for p in "$@"; do
		for t in /proc/"$p"/task/*; do
			[ -e "$t/stack" ] || continue
			echo "--- $(tr '\0' ' ' <"/proc/$p/cmdline" | cut -c1-80) task ${t##*/} ($(cat "$t/wchan" 2>/dev/null)):"
			cat "$t/stack" 2>/dev/null
		done
	done >&2
}

# k9_kill WHY: SIGKILL the daemon; the caller then reaps it (k9_reap)
k9_kill() {
	K9_PID=$IT_DAEMON_PID
	kill -KILL "$K9_PID" || it_fail "kill -9 $K9_PID failed"
	it_log "kill -9 daemon $K9_PID: $1"
}

# k9_reap: after k9_kill: held I/O released, the daemon gone (its exit
# waits for its path I/O), every writer ended on the error it got.
# k9_wait PID WHAT: its exit status within 60 s, else abort the connection
# (so nothing stays stuck on it) and fail with "WHAT within 60 s"
k9_wait() {
	local rc
	it_wait_pid "$1" 60
	rc=$?
	if [ "$rc" = 124 ]; then
		k9_abort_conn
		it_fail "$2 within 60 s"
	fi
	return "$rc"
}
k9_reap() {
	local pid=$K9_PID rc w log last
	it_release_faults
	k9_wait "$pid" "the killed daemon $pid did not exit"
	rc=$?
	[ "$rc" = 137 ] || it_fail "daemon $pid ended with status $rc, not by SIGKILL (137)"
	it_record -daemon "$pid"
	IT_DAEMON_PID=""
	for w in "${!WPIDS[@]}"; do
		k9_wait "${WPIDS[$w]}" "writer ${WPIDS[$w]} did not end after the kill"
		rc=$?
		[ "$rc" = 0 ] || it_fail "writer ${WPIDS[$w]} failed (status $rc)"
	done
	for log in "${WLOGS[@]}"; do
		last=$(tail -n 1 "$log")
		case $last in
		"END error 107" | "END error 103" | "END error 5") ;;
		"END error 30") [ "$K9_FS" = 1 ] || it_fail "$log: $last" ;;	# EROFS: ext4 gave up
		*) it_fail "writer log $log ends '$last', not with ENOTCONN/ECONNABORTED/EIO" ;;
		esac
	done
	it_log "daemon gone; writers ended: $(for log in "${WLOGS[@]}"; do tail -n 1 "$log" | tr '\n' ';'; done)"
	WPIDS=()
}

# k9_unmount: take the dead FUSE mount down (lazily if something still
# holds it) so a new daemon can mount on the same mountpoint
k9_unmount() {
	it_mounted "$IT_MNT" || it_fail "the dead daemon's mount is gone already"
	if ! fusermount3 -u "$IT_MNT" 2>"$IT_TMP/fusermount.err"; then
		it_log "fusermount3 -u: $(cat "$IT_TMP/fusermount.err"); lazy unmount"
		fusermount3 -uz "$IT_MNT" || umount -l "$IT_MNT" || it_fail "cannot unmount $IT_MNT"
	fi
	it_mounted "$IT_MNT" && it_fail "$IT_MNT is still mounted"
	return 0
}

# k9_restart: a new daemon over the same paths, on the same mountpoint
k9_restart() {
	it_start_daemon
	it_expect_path_state a active
	it_expect_path_state b active
}

# ---------------------------------------------------------------- blocks

# start_bwriters ROUND N [WRITER OPTIONS]: N writers in the background
start_bwriters() {
	local round=$1 n=$2 w
	shift 2
	WPIDS=()
	WLOGS=()
	for ((w = 0; w < n; w++)); do
		WLOGS+=("$IT_TMP/b$round.w$w.log")
		it_bg python3 "$K9" bwrite "$IT_DEV" $((w * REGION)) "$REGION" "$round" \
			$((SEED * 100 + round * 10 + w)) "${WLOGS[$w]}" "$@"
		WPIDS+=("$IT_BG")
	done
}

# count LINE_PREFIX FILES... -> lines starting with it (files may not exist yet)
count_lines() {
	local pre=$1
	shift
	cat "$@" 2>/dev/null | grep -c "^$pre" || true
}

# fsyncs_at_least N: the writers completed N fsyncs, each at least 3
fsyncs_at_least() {
	local p log
	if [ "$(count_lines 'D ' "${WLOGS[@]}")" -ge "$1" ]; then
		for log in "${WLOGS[@]}"; do
			[ "$(count_lines 'D ' "$log")" -ge 3 ] || break
		done
		[ "$(count_lines 'D ' "$log")" -ge 3 ] && return 0
	fi
	for p in "${WPIDS[@]}"; do
		kill -0 "$p" 2>/dev/null || it_fail "a writer ended before the kill: $(tail -n 3 "${WLOGS[@]}")"
	done
	return 1
}

# check_blocks WHAT DEV...: every writer's region against its logs so far
check_blocks() {
	local what=$1 w logs out
	shift
	for ((w = 0; w < NW; w++)); do
		logs=$(ls "$IT_TMP"/b*.w$w.log 2>/dev/null | sort)
		# shellcheck disable=SC2086
		out=$(python3 "$K9" bcheck $((w * REGION)) "$REGION" "$IT_TMP/state.w$w" $logs -- "$@" 2>&1) ||
			it_fail "$what, region $w: $out"
		it_log "$what, region $w: $out"
	done
}

# after_kill ROUND: reap, unmount, check the paths, restart, check the device
after_kill() {
	k9_reap
	k9_unmount
	check_blocks "kill $1: paths" "${IT_PATHS[@]}"
	k9_restart
	check_blocks "kill $1: device after restart" "$IT_DEV"
}

it_start_daemon

# 1. a random moment after some fsyncs
n=$((10 + (SEED % 40)))
start_bwriters 1 $NW
k9_wait_until 120 "$n fsyncs" fsyncs_at_least "$n"
sleep "0.$((SEED % 3))"
k9_kill "after $(count_lines 'D ' "${WLOGS[@]}") completed fsyncs, $(count_lines 'A ' "${WLOGS[@]}") writes"
after_kill 1

# 2. during an fsync: its flush held on a path
start_bwriters 2 1 --pause-at-fsync 3 "$IT_TMP/pause2" "$IT_TMP/go2"
k9_wait_until 120 "writer 0 at its 4th fsync" test -e "$IT_TMP/pause2"
it_fault_all hang
touch "$IT_TMP/go2"
# the writer is in fsync 3 (which cannot complete now) and I/O is held on
# a path: its flush (only the writer does I/O; the count cannot tell a
# flush from, say, udev probing a path, so the writer's log decides)
k9_wait_until 60 "fsync 3 under way with I/O held on a path" \
	eval '[ "$(tail -n 1 "${WLOGS[0]}" | cut -d" " -f1-2)" = "F 3" ] && [ "$(k9_faults_held)" -ge 1 ]'
k9_kill "during fsync 3 (writes up to $(awk '$1 == "F" && $2 == 3 { print $3 }' "${WLOGS[0]}") in it), its flush held on a path"
after_kill 2
grep -q '^X 3 ' "${WLOGS[0]}" || it_fail "fsync 3 did not fail: the kill was not during it: $(tail -n 3 "${WLOGS[0]}")"

# 3. writes in flight on the paths
start_bwriters 3 $NW
n=$((10 + SEED % 10))
k9_wait_until 120 "$n fsyncs" fsyncs_at_least "$n"
it_fault_all hang
# every writer is in a write or an fsync, which cannot complete now, and
# I/O is held on the paths (a held flush holds the writes behind it in
# the loop driver, so not every writer's I/O need reach faultfs)
all_stuck() {
	local log
	for log in "${WLOGS[@]}"; do
		case $(tail -n 1 "$log") in
		B* | F*) ;;
		*) return 1 ;;
		esac
	done
	[ "$(k9_faults_held)" -ge 1 ]
}
k9_wait_until 60 "every writer blocked on the hung paths" all_stuck
sleep 0.2	# let the writes reach the daemon and the paths
k9_kill "with $(k9_faults_held) I/O held on the paths, the writers in: $(for log in "${WLOGS[@]}"; do tail -n 1 "$log" | cut -c1; done | tr '\n' ' ')"
after_kill 3

# 4. the restarted daemon takes new writes and fsyncs
start_bwriters 4 $NW --count 40
for w in "${WPIDS[@]}"; do
	it_wait_pid "$w" 120
	rc=$?
	[ "$rc" = 124 ] && k9_stacks "$w" "$IT_DAEMON_PID"
	[ "$rc" = 0 ] || it_fail "a writer of round 4 failed (status $rc): $(tail -n 2 "${WLOGS[@]}")"
done
for log in "${WLOGS[@]}"; do
	[ "$(tail -n 1 "$log")" = "END count" ] || it_fail "round 4: $log ends '$(tail -n 1 "$log")'"
done
check_blocks "new writes after the restarts: device" "$IT_DEV"
it_stop_daemon || it_fail "mpathfs exited with status $? after a clean unmount"
check_blocks "after a clean stop: paths" "${IT_PATHS[@]}"

# ---------------------------------------------------------------- ext4

K9_FS=1
FLOG=$IT_TMP/files.log
fs=$IT_TMP/fs

# start_fwriter ROUND [OPTIONS]
start_fwriter() {
	local round=$1
	shift
	WLOGS=("$FLOG")
	it_bg python3 "$K9" fwrite "$fs/d" "$round" $((SEED * 100 + 50 + round)) "$FLOG" "$@"
	WPIDS=("$IT_BG")
}

files_at_least() {
	[ "$(count_lines 'C ' "$FLOG")" -ge "$1" ] && return 0
	kill -0 "${WPIDS[0]}" 2>/dev/null || it_fail "the file writer ended before the kill: $(tail -n 3 "$FLOG")"
	return 1
}

# fs_after_kill ROUND: take ext4 and its loop device down, restart, replay
# the journal, fsck, check every committed file
fs_after_kill() {
	local out rc
	k9_reap
	# ext4 over a dead device: the umount cannot write, but must not hang
	timeout 120 umount "$fs" 2>"$IT_TMP/umount.err" ||
		{ it_log "umount $fs: $(cat "$IT_TMP/umount.err"); lazy"; umount -l "$fs"; } ||
		it_fail "cannot unmount $fs"
	it_record -fs "$fs"
	IT_FS_MOUNTS=()
	it_detach_loop "$loop"
	k9_unmount
	k9_restart
	it_loop_dev
	loop=$IT_LOOP
	e2fsck -fn "$loop" >"$IT_TMP/fsck0.out" 2>&1
	it_log "kill $1: e2fsck -fn before the journal replay: status $?"
	it_mount_fs "$loop" "$fs"
	it_umount_fs "$fs"
	e2fsck -fn "$loop" >"$IT_TMP/fsck.out" 2>&1
	rc=$?
	[ "$rc" = 0 ] || it_fail "kill $1: e2fsck -fn after the journal replay exited $rc: $(tail -20 "$IT_TMP/fsck.out")"
	it_log "kill $1: e2fsck -fn clean after the journal replay"
	it_mount_fs "$loop" "$fs"
	out=$(python3 "$K9" fcheck "$fs/d" "$FLOG" 2>&1) || it_fail "kill $1: $out"
	it_log "kill $1: $out"
}

k9_restart
it_loop_dev
loop=$IT_LOOP
mkfs.ext4 -q -F -b 4096 -E lazy_itable_init=0,lazy_journal_init=0 "$loop" >"$IT_TMP/mkfs.out" 2>&1 ||
	it_fail "mkfs.ext4 $loop failed: $(cat "$IT_TMP/mkfs.out")"
it_mount_fs "$loop" "$fs"
mkdir "$fs/d" && sync -f "$fs" || it_fail "mkdir $fs/d"

# 1. a random moment after some committed files
n=$((10 + (SEED % 10)))
start_fwriter 1
k9_wait_until 120 "$n committed files" files_at_least "$n"
k9_kill "ext4: after $(grep -c '^C ' "$FLOG") committed files"
fs_after_kill e1

# 2. during a file's fsync, its I/O held on the paths
start_fwriter 2 --pause-at-fsync 4 "$IT_TMP/pausef" "$IT_TMP/gof"
k9_wait_until 120 "the file writer at its 5th fsync" test -e "$IT_TMP/pausef"
it_fault_all hang
touch "$IT_TMP/gof"
name=$(awk '$1 == "B" { n = $2 } END { print n }' "$FLOG")
k9_wait_until 60 "the fsync of $name with I/O held on a path" \
	eval '[ "$(tail -n 1 "$FLOG")" = "F $name" ] && [ "$(k9_faults_held)" -ge 1 ]'
k9_kill "ext4: during the fsync of $name, $(k9_faults_held) I/O held on the paths"
fs_after_kill e2
# the log ends: F name, X errno, END error errno
[ "$(tail -n 3 "$FLOG" | head -n 1)" = "F $name" ] && tail -n 2 "$FLOG" | head -n 1 | grep -q '^X ' ||
	it_fail "the fsync of $name did not fail: the kill was not during it: $(tail -n 4 "$FLOG")"

# 3. new files after the restart
start_fwriter 3 --count 5
it_wait_pid "${WPIDS[0]}" 120
rc=$?
[ "$rc" = 124 ] && k9_stacks "${WPIDS[0]}" "$IT_DAEMON_PID"
[ "$rc" = 0 ] || it_fail "the file writer of round 3 failed (status $rc): $(tail -n 2 "$FLOG")"
[ "$(tail -n 1 "$FLOG")" = "END count" ] || it_fail "round 3: the file writer ended '$(tail -n 1 "$FLOG")'"
out=$(python3 "$K9" fcheck "$fs/d" "$FLOG" 2>&1) || it_fail "new files: $out"
it_umount_fs "$fs"
e2fsck -fn "$loop" >"$IT_TMP/fsck.out" 2>&1 ||
	it_fail "e2fsck -fn after the last clean umount exited $?: $(tail -20 "$IT_TMP/fsck.out")"
it_log "new files after the restarts: $out; e2fsck -fn clean"
it_detach_loop "$loop"
it_stop_daemon || it_fail "mpathfs exited with status $? after a clean unmount"
it_pass
