#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Shared helpers for the mpathfs integration tests. Source it from a test:
#
#   . "$(dirname "$0")/lib.sh"
#   it_require_env TOOLS...   # skip (77) unless root, /dev/fuse and loop devices
#   it_setup 64M 2            # temp dir, sparse image, 2 loop devices over it
#   it_write_config "no_path_retry = queue"
#   it_start_daemon
#   ... it_ctl fail_path a ... it_fail "message" ...
#   it_pass
#
# Every resource a test makes is recorded, in memory and in a state file in
# the temp dir, and released by it_cleanup from the EXIT trap whatever way
# the test ends: I/O held by the daemon is released first (paths
# reinstated, queueing off), then background jobs, filesystems, the loop
# devices over the device file, the FUSE mount, the daemon, the path loop
# devices and the temp dir go, in that order. Only what this test created
# is touched. meson ends a test that times out with SIGTERM and, 0.5 s
# later, SIGKILL to its whole process group, which can cut the trap short;
# so a janitor, started in a session of its own, waits for the test to end
# and then releases whatever the state file says is still there.
#
# Fault tests build the bed with it_setup_faultbed (one faultfs FUSE mount
# per path, see tests/README.md) instead of it_setup; cleanup and the
# janitor then first answer held I/O and clear every fault ("ok" to each
# faultfs), and unmount the faultfs mounts after the path loop devices.

# ---------------------------------------------------------------- state

# messages are matched in English, numbers printed with a decimal point
export LC_ALL=C
PATH=$PATH:/usr/sbin:/sbin

IT_NAME=$(basename "$0" .sh)
IT_LIB=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")
IT_TMP=""		# temp dir
IT_STATE=""		# resource record, for the janitor
IT_IMG=""		# the backing image all path loop devices share
IT_SIZE=0		# its size in bytes
IT_PATHS=()		# path loop devices (or files), in config order
IT_PATH_NAMES=()	# their names in the config: a b c ...
IT_MNT=""		# FUSE mountpoint
IT_CFG=""		# config file
IT_LOG=""		# current daemon log
IT_DEVNAME=mpatha	# device file name
IT_DEV=""		# $IT_MNT/$IT_DEVNAME
IT_DAEMON_PID=""
IT_BG_PIDS=()		# background jobs to kill at cleanup
IT_FS_MOUNTS=()		# filesystems this test mounted
IT_DEV_LOOPS=()		# loop devices over the device file
IT_PATH_LOOPS=()	# loop devices over our image files
IT_LOGS=()		# every daemon log, for the failure report
IT_EXTRA=()		# "PID MOUNTPOINT" of more daemons, stopped after the main one
IT_FAULTFS=()		# "PID MOUNTPOINT" of faultfs instances (the fault bed)
IT_FAULT_CTL=()		# their control files, in path order
IT_START_NS=$(date +%s%N)
IT_CLEANED=0

# ---------------------------------------------------------------- output

it_log() {
	printf '[%s +%6.2fs] %s\n' "$IT_NAME" \
		"$(( ($(date +%s%N) - IT_START_NS) / 1000000 ))e-3" "$*" >&2
}

# it_fail MESSAGE: report and end the test (the EXIT trap cleans up).
# Only in the test's own shell: in $(...) or a background job it would
# end that subshell only.
it_fail() {
	printf '[%s] FAIL: %s\n' "$IT_NAME" "$*" >&2
	exit 1
}

it_skip() {
	printf '[%s] SKIP: %s\n' "$IT_NAME" "$*" >&2
	exit 77
}

it_pass() {
	it_log "PASS"
	exit 0
}

# Seconds (float) since the epoch with ms resolution, for timing asserts.
it_now() {
	local ns
	ns=$(date +%s%N)
	printf '%d.%03d\n' $((ns / 1000000000)) $(((ns / 1000000) % 1000))
}

# it_elapsed START -> seconds since START as a float string
it_elapsed() {
	awk -v a="$1" -v b="$(it_now)" 'BEGIN { printf "%.3f\n", b - a }'
}

# it_fcmp A OP B: float comparison, OP one of < <= > >=
it_fcmp() {
	awk -v a="$1" -v b="$3" -v op="$2" 'BEGIN {
		if (op == "<") exit !(a < b); if (op == "<=") exit !(a <= b);
		if (op == ">") exit !(a > b); if (op == ">=") exit !(a >= b); exit 2 }'
}

# ---------------------------------------------------------------- environment

# it_require_env [TOOLS...]: skip only for what the machine cannot do
# (root, /dev/fuse, loop devices); a missing tool or daemon is a failure.
it_require_env() {
	[ "$(id -u)" = 0 ] || it_skip "not root (needs FUSE mounts and loop devices)"
	[ -c /dev/fuse ] || it_skip "no /dev/fuse"
	if [ ! -e /dev/loop-control ] && ! losetup -f >/dev/null 2>&1; then
		it_skip "no loop device support (no /dev/loop-control)"
	fi
	if ! losetup -f >/dev/null 2>&1; then
		it_skip "no free loop device (losetup -f fails)"
	fi
	if [ -z "${MPATHFS:-}" ]; then
		local guess
		guess=$(dirname "$IT_LIB")/../../build/mpathfs
		[ -x "$guess" ] && MPATHFS=$guess
	fi
	[ -n "${MPATHFS:-}" ] && [ -x "$MPATHFS" ] ||
		it_fail "MPATHFS is not set to the daemon executable (got '${MPATHFS:-}')"
	local t
	for t in fusermount3 losetup mount umount dd cmp awk timeout setsid pkill "$@"; do
		command -v "$t" >/dev/null || it_fail "required tool '$t' is not installed"
	done
}

# ---------------------------------------------------------------- setup

# it_record KIND VALUE: note a resource (KIND -x: its release) for the janitor.
it_record() {
	[ -n "$IT_STATE" ] && printf '%s %s\n' "$1" "$2" >>"$IT_STATE"
	return 0
}

# it_setup SIZE NPATHS: temp dir, sparse image of SIZE (truncate syntax),
# NPATHS loop devices over it (0: none), mountpoint. Installs the trap and
# starts the janitor.
it_setup() {
	local size=$1 n=$2 i
	trap it_cleanup EXIT
	trap 'exit 129' HUP
	trap 'exit 130' INT
	trap 'exit 143' TERM
	IT_TMP=$(mktemp -d "/tmp/mpathfs-it.$IT_NAME.XXXXXX") || it_fail "mktemp failed"
	IT_STATE=$IT_TMP/state
	IT_MNT=$IT_TMP/mnt
	IT_DEV=$IT_MNT/$IT_DEVNAME
	it_record mnt "$IT_MNT"
	it_record dev "$IT_DEV"
	mkdir "$IT_MNT" || it_fail "mkdir $IT_MNT"
	setsid bash "$IT_LIB" --janitor "$$" "$IT_TMP" </dev/null >/dev/null 2>&1 &
	IT_IMG=$IT_TMP/disk.img
	truncate -s "$size" "$IT_IMG" || it_fail "truncate $IT_IMG"
	IT_SIZE=$(stat -c %s "$IT_IMG")
	for ((i = 0; i < n; i++)); do
		it_add_path_loop "$IT_IMG"
		IT_PATHS+=("$IT_LOOP")
		IT_PATH_NAMES+=("$(printf "\\x$(printf %x $((97 + i)))")")
	done
	it_log "temp $IT_TMP, image $size, paths: ${IT_PATHS[*]:-none}"
}

# it_add_path_loop FILE: a direct-I/O loop device over FILE (which must be
# in the temp dir), recorded for cleanup, in IT_LOOP.
it_add_path_loop() {
	IT_LOOP=$(losetup --direct-io=on -f --show "$1") ||
		it_fail "losetup --direct-io=on -f --show $1 failed"
	IT_PATH_LOOPS+=("$IT_LOOP")
	it_record path_loop "$IT_LOOP"
}

# it_write_config [EXTRA_MULTIPATH_LINES...]: a config with one [path X]
# per entry of IT_PATHS (device = it, group default). Extra arguments are
# lines added to [multipath]. path_checker = none, so only the test fails
# and reinstates paths, unless an extra line sets path_checker.
it_write_config() {
	local i line
	IT_CFG=$IT_TMP/mpathfs.ini
	{
		echo "; written by $IT_NAME"
		echo "[multipath]"
		echo "name = $IT_DEVNAME"
		printf '%s\n' "$@" | grep -q '^path_checker' || echo "path_checker = none"
		for line in "$@"; do
			echo "$line"
		done
		for i in "${!IT_PATHS[@]}"; do
			echo
			echo "[path ${IT_PATH_NAMES[$i]}]"
			echo "device = ${IT_PATHS[$i]}"
		done
	} >"$IT_CFG"
}

# it_write_grouped_config GROUPS [LINE...]: like it_write_config, with
# priority groups. GROUPS is "NAME=PRIORITY:PATH,PATH ..." (e.g. "fast=50:a,b
# slow=10:c"); only the paths named there go in, in path order.
it_write_grouped_config() {
	local spec=$1 g rest p i
	local -A group_of=()
	shift
	IT_CFG=$IT_TMP/mpathfs.ini
	{
		echo "; written by $IT_NAME"
		echo "[multipath]"
		echo "name = $IT_DEVNAME"
		printf '%s\n' "$@" | grep -q '^path_checker' || echo "path_checker = none"
		[ $# = 0 ] || printf '%s\n' "$@"
		for g in $spec; do
			rest=${g#*=}
			printf '\n[group %s]\npriority = %s\n' "${g%%=*}" "${rest%%:*}"
			rest=${rest#*:}
			for p in ${rest//,/ }; do
				group_of[$p]=${g%%=*}
			done
		done
		for i in "${!IT_PATHS[@]}"; do
			p=${IT_PATH_NAMES[$i]}
			[ -n "${group_of[$p]:-}" ] || continue
			printf '\n[path %s]\ndevice = %s\ngroup = %s\n' "$p" "${IT_PATHS[$i]}" "${group_of[$p]}"
		done
	} >"$IT_CFG"
}

it_mounted() {
	# /proc/mounts escapes blanks; our paths have none
	awk -v m="$1" '$2 == m { f = 1 } END { exit !f }' /proc/mounts
}

# it_start_daemon [EXTRA ARGS]: start mpathfs in the foreground, in the
# background, and wait (10 s at most) until the device file is there.
it_start_daemon() {
	local i
	IT_LOG=$IT_TMP/daemon.${#IT_LOGS[@]}.log
	IT_LOGS+=("$IT_LOG")
	"$MPATHFS" "$IT_MNT" -c "$IT_CFG" -f "$@" >"$IT_LOG" 2>&1 &
	IT_DAEMON_PID=$!
	it_record daemon "$IT_DAEMON_PID"
	for ((i = 0; i < 200; i++)); do
		if [ -e "$IT_DEV" ] && it_mounted "$IT_MNT"; then
			it_log "daemon $IT_DAEMON_PID serving $IT_DEV"
			return 0
		fi
		if ! kill -0 "$IT_DAEMON_PID" 2>/dev/null; then
			wait "$IT_DAEMON_PID"
			it_fail "mpathfs exited ($?) before the device file appeared"
		fi
		sleep 0.05
	done
	it_fail "the device file $IT_DEV did not appear within 10 s"
}

# it_stop_daemon: clean stop (fusermount3 -u), wait for the daemon to exit.
# Returns the daemon's exit status; fails the test if it does not exit.
it_stop_daemon() {
	local pid=$IT_DAEMON_PID rc i
	[ -n "$pid" ] || return 0
	if it_mounted "$IT_MNT"; then
		fusermount3 -u "$IT_MNT" || it_fail "fusermount3 -u $IT_MNT failed"
	fi
	for ((i = 0; i < 200; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	kill -0 "$pid" 2>/dev/null && it_fail "mpathfs did not exit within 10 s of the unmount"
	wait "$pid"
	rc=$?
	IT_DAEMON_PID=""
	it_record -daemon "$pid"
	it_log "daemon $pid exited with status $rc"
	return $rc
}

# it_start_extra_daemon MOUNTPOINT CONFIG LOG: one more mpathfs (e.g. one
# whose device file is a path of the main one), waited for like the main
# one and stopped after it at cleanup. Sets IT_EXTRA_PID.
it_start_extra_daemon() {
	local mnt=$1 cfg=$2 log=$3 i name
	name=$(awk -F' *= *' '$1 == "name" { print $2; exit }' "$cfg")
	mkdir -p "$mnt"
	IT_LOGS+=("$log")
	"$MPATHFS" "$mnt" -c "$cfg" -f >"$log" 2>&1 &
	IT_EXTRA_PID=$!
	IT_EXTRA+=("$IT_EXTRA_PID $mnt")
	it_record xdaemon "$IT_EXTRA_PID $mnt"
	for ((i = 0; i < 200; i++)); do
		[ -e "$mnt/${name:-mpatha}" ] && it_mounted "$mnt" && return 0
		kill -0 "$IT_EXTRA_PID" 2>/dev/null || it_fail "mpathfs on $mnt exited at start"
		sleep 0.05
	done
	it_fail "mpathfs on $mnt did not start within 10 s"
}

# ---------------------------------------------------------------- control

# it_json_assert FILE CODE WHAT: run python3 CODE with d = the JSON in FILE;
# a failed assert (or a Python error) fails the test, named by WHAT.
it_json_assert() {
	local msg
	msg=$(python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
try:
    exec(sys.argv[2])
except AssertionError as e:
    print("assertion failed: %s" % (e.args[0] if e.args else "(no message)"))
    sys.exit(1)' "$1" "$2" 2>&1) ||
		it_fail "$3: $msg; JSON: $(head -c 2000 "$1")"
}

# it_ctl COMMAND...: write one command to control and print the reply read
# back on the same fd. Returns non-zero if the write failed (EINVAL).
it_ctl() {
	it_ctl_at "$IT_MNT" "$@"
}

# it_ctl_at MOUNTPOINT COMMAND...: the same for the mpathfs on MOUNTPOINT.
it_ctl_at() {
	local mnt=$1 fd rc=0 reply
	shift
	[ -e "$mnt/control" ] || { echo "it_ctl: no $mnt/control" >&2; return 2; }
	exec {fd}<>"$mnt/control" || return 2
	printf '%s\n' "$*" >&"$fd" 2>/dev/null || rc=1
	reply=$(cat <&"$fd")
	exec {fd}>&-
	printf '%s\n' "$reply"
	return $rc
}

# it_ctl_ok COMMAND...: it_ctl, failing the test unless it succeeds with "ok".
it_ctl_ok() {
	it_ctl_ok_at "$IT_MNT" "$@"
}

it_ctl_ok_at() {
	local mnt=$1 out
	shift
	out=$(it_ctl_at "$mnt" "$@") || it_fail "control command '$*' ($mnt) was refused: $out"
	case $out in
	ok*) ;;
	*) it_fail "control command '$*' ($mnt) answered '$out', not ok" ;;
	esac
}

# it_path_state NAME -> active|failed, from "show paths" (the reply is
# kept in IT_REPLY for messages).
it_path_state() {
	IT_REPLY=$(it_ctl show paths 2>&1)
	local rc=$?
	if [ $rc != 0 ]; then
		IT_REPLY="'show paths' failed (it_ctl status $rc): $IT_REPLY"
		return 1
	fi
	awk -v n="$1" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "state") c = i }
		NR > 1 && $1 == n && c { print $c }' <<<"$IT_REPLY"
}

# it_expect_path_state NAME STATE: checks both "show paths" and "status".
it_expect_path_state() {
	local name=$1 want=$2 got st dev letter
	it_path_state "$name" >"$IT_TMP/state.out" || it_fail "$IT_REPLY"
	got=$(cat "$IT_TMP/state.out")
	[ "$got" = "$want" ] ||
		it_fail "show paths: path $name is '$got', expected '$want'; reply: $IT_REPLY"
	# status: "... dev A|F fail_count ..." with dev major:minor for a block device
	dev=${IT_PATHS[$(it_path_index "$name")]}
	if [ -b "$dev" ]; then
		dev=$(printf '%d:%d' "0x$(stat -c %t "$dev")" "0x$(stat -c %T "$dev")")
	else
		dev=$name
	fi
	[ "$want" = active ] && letter=A || letter=F
	st=$(cat "$IT_MNT/status") || it_fail "cannot read status"
	awk -v d="$dev" -v l="$letter" '{ for (i = 1; i < NF; i++)
		if ($i == d && $(i + 1) == l) f = 1 } END { exit !f }' <<<"$st" ||
		it_fail "status does not show path $name ($dev) as $letter: $st"
}

it_path_index() {
	local i
	for i in "${!IT_PATH_NAMES[@]}"; do
		[ "${IT_PATH_NAMES[$i]}" = "$1" ] && { echo "$i"; return 0; }
	done
	echo "it_path_index: no path named $1" >&2
	return 1
}

# it_queued -> the queued I/O count from status (second word).
it_queued() {
	awk '{ print $2 }' "$IT_MNT/status"
}

# it_path_stat NAME FIELD -> a per-path counter from "show stats"
# (reads, writes, bytes_read, bytes_written, errors, redriven, fail_count).
it_path_stat() {
	it_ctl show stats | awk -v n="$1" -v f="$2" '$1 == "path" && $2 == n {
		for (i = 3; i < NF; i += 2) if ($i == f) print $(i + 1) }'
}

# ---------------------------------------------------------------- jobs

# it_bg COMMAND...: run in the background, remembered for cleanup. Sets IT_BG.
it_bg() {
	"$@" &
	IT_BG=$!
	IT_BG_PIDS+=("$IT_BG")
	it_record bg "$IT_BG"
}

# it_wait_pid PID SECONDS: wait for a background job at most SECONDS.
# Returns its exit status, or 124 if it is still running.
it_wait_pid() {
	local pid=$1 limit=$2 i n
	n=$(awk -v s="$limit" 'BEGIN { printf "%d\n", s * 20 }')
	for ((i = 0; i < n; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	kill -0 "$pid" 2>/dev/null && return 124
	wait "$pid"
}

# it_mount_fs DEV DIR: mount and remember for cleanup.
it_mount_fs() {
	mkdir -p "$2"
	it_record fs "$2"
	mount "$1" "$2" || it_fail "mount $1 $2 failed"
	IT_FS_MOUNTS+=("$2")
}

it_umount_fs() {
	local d=$1 i
	umount "$d" || it_fail "umount $d failed"
	it_record -fs "$d"
	for i in "${!IT_FS_MOUNTS[@]}"; do
		[ "${IT_FS_MOUNTS[$i]}" = "$d" ] && unset 'IT_FS_MOUNTS[i]'
	done
	return 0
}

# it_loop_dev: a loop device (direct I/O) over the device file, remembered
# for cleanup, in IT_LOOP. (Not for $(...): the record would be lost.)
it_loop_dev() {
	IT_LOOP=$(losetup --direct-io=on -f --show "$IT_DEV") ||
		it_fail "losetup --direct-io=on $IT_DEV failed"
	IT_DEV_LOOPS+=("$IT_LOOP")
	it_record dev_loop "$IT_LOOP"
}

it_detach_loop() {
	local l=$1 i
	losetup -d "$l" || it_fail "losetup -d $l failed"
	it_record -dev_loop "$l"
	for i in "${!IT_DEV_LOOPS[@]}"; do
		[ "${IT_DEV_LOOPS[$i]}" = "$l" ] && unset 'IT_DEV_LOOPS[i]'
	done
	return 0
}

# ---------------------------------------------------------------- fault bed
#
# The fault test bed (tests/README.md): every path is a loop device
# (--direct-io=on) over the file `disk` of its own faultfs mount, each
# faultfs serving the same image, so all paths reach the same storage and
# each can be made to fail, hang or flap by writing to its control file.
# faultfs runs in a session of its own, so it outlives a test killed with
# its process group: the janitor can still answer held I/O ("ok") and
# unmount it. Cleanup releases every fault first, before anything else.

# it_require_faultfs: FAULTFS (from meson) or the build tree's faultfs.
it_require_faultfs() {
	if [ -z "${FAULTFS:-}" ]; then
		local guess
		guess=$(dirname "$IT_LIB")/../../build/tests/faultfs/faultfs
		[ -x "$guess" ] && FAULTFS=$guess
	fi
	[ -n "${FAULTFS:-}" ] && [ -x "$FAULTFS" ] ||
		it_fail "FAULTFS is not set to the faultfs executable (got '${FAULTFS:-}')"
}

# it_setup_faultbed SIZE NPATHS: it_setup with no plain paths, then NPATHS
# paths a b c ... each a loop device over its own faultfs ($IT_TMP/fN) of
# the image. IT_FAULT_CTL holds their control files, in path order.
it_setup_faultbed() {
	local size=$1 n=$2 i mnt pid j
	it_require_faultfs
	it_setup "$size" 0
	for ((i = 1; i <= n; i++)); do
		mnt=$IT_TMP/f$i
		mkdir "$mnt" || it_fail "mkdir $mnt"
		# not a process group leader here, so setsid does not fork: $! is faultfs
		setsid "$FAULTFS" "$mnt" "$IT_IMG" -f </dev/null >"$IT_TMP/faultfs.$i.log" 2>&1 &
		pid=$!
		IT_FAULTFS+=("$pid $mnt")
		it_record faultfs "$pid $mnt"
		for ((j = 0; j < 200; j++)); do
			it_mounted "$mnt" && [ -e "$mnt/disk" ] && break
			kill -0 "$pid" 2>/dev/null ||
				it_fail "faultfs on $mnt exited at start: $(cat "$IT_TMP/faultfs.$i.log")"
			sleep 0.05
		done
		it_mounted "$mnt" || it_fail "faultfs on $mnt did not mount within 10 s"
		IT_FAULT_CTL+=("$mnt/control")
		it_add_path_loop "$mnt/disk"
		IT_PATHS+=("$IT_LOOP")
		IT_PATH_NAMES+=("$(printf "\\x$(printf %x $((96 + i)))")")
	done
	it_log "fault bed: ${#IT_PATHS[@]} paths over faultfs: ${IT_PATHS[*]}"
}

# it_fault PATH COMMAND...: a faultfs command (ok, error EIO, hang, release,
# flap MS, ...) to path PATH's faultfs (PATH a name: a b c ...). IT_FAULT_T0
# and IT_FAULT_T1 are the times of day (it_sod) just before and after the
# write, IT_FAULT_E0 the first as seconds since the epoch.
it_fault() {
	local name=$1 i ctl e1
	shift
	i=$(it_path_index "$name") || it_fail "it_fault: no path $name"
	ctl=${IT_FAULT_CTL[$i]}
	IT_FAULT_E0=$EPOCHREALTIME
	printf '%s\n' "$*" >"$ctl" || it_fail "faultfs of path $name refused '$*'"
	e1=$EPOCHREALTIME
	IT_FAULT_T0=$(it_sod "$IT_FAULT_E0")
	IT_FAULT_T1=$(it_sod "$e1")
	it_log "faultfs $name: $*"
}

# it_fault_all COMMAND...: the same command to every path's faultfs, in
# one go; IT_FAULT_T0 before the first write, IT_FAULT_T1 after the last.
it_fault_all() {
	local ctl e1
	IT_FAULT_E0=$EPOCHREALTIME
	for ctl in "${IT_FAULT_CTL[@]}"; do
		printf '%s\n' "$*" >"$ctl" || it_fail "faultfs $ctl refused '$*'"
	done
	e1=$EPOCHREALTIME
	IT_FAULT_T0=$(it_sod "$IT_FAULT_E0")
	IT_FAULT_T1=$(it_sod "$e1")
	it_log "faultfs (all paths): $*"
}

# it_fault_state PATH -> faultfs's control file (faults in force, counters)
it_fault_state() {
	cat "${IT_FAULT_CTL[$(it_path_index "$1")]}"
}

# Answer held I/O and clear every fault, on every faultfs of the test.
# Safe at any time: never blocks on a dead mount (time limit).
it_release_faults() {
	local e mnt
	for e in "${IT_FAULTFS[@]}"; do
		mnt=${e#* }
		it_mounted "$mnt" || continue
		timeout -k 1 3 bash -c '[ -e "$1" ] && echo ok >"$1"' _ "$mnt/control" 2>/dev/null
	done
	return 0
}

# Unmount every faultfs of the test (after the path loop devices went):
# wait until no loop device holds its disk, fusermount3 -u, -uz if busy.
it_stop_faultfs() {
	local e mnt pid i
	for e in "${IT_FAULTFS[@]}"; do
		pid=${e%% *}
		mnt=${e#* }
		for ((i = 0; i < 50; i++)); do
			losetup -l -n -O BACK-FILE 2>/dev/null | grep -qF "$mnt/disk" || break
			sleep 0.1
		done
		it_stop_fuse "$mnt" "$pid"
	done
	return 0
}

# ---------------------------------------------------------------- timing

# Local time of day in seconds (µs resolution), the clock of the daemon's
# log time stamps (HH:MM:SS.mmm), so the two can be subtracted.
IT_TZOFF=$(date +%z | awk '{ s = substr($0, 1, 1) == "-" ? -1 : 1;
	print s * (substr($0, 2, 2) * 3600 + substr($0, 4, 2) * 60) }')
# it_sod [EPOCH]: now (or EPOCH, seconds since the epoch) as a time of day
it_sod() {
	awk -v t="${1:-$EPOCHREALTIME}" -v z="$IT_TZOFF" 'BEGIN {
		t += z; d = int(t / 86400); printf "%.6f\n", t - d * 86400 }'
}

# it_log_sod LINE -> the time of day of a daemon log line, in seconds
it_log_sod() {
	awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^[0-9][0-9]:[0-9][0-9]:[0-9][0-9]\.[0-9]+$/) {
		split($i, h, ":"); printf "%.3f\n", h[1] * 3600 + h[2] * 60 + h[3]; exit } }' <<<"$1"
}

# it_sod_diff A B -> B - A in seconds (times of day, across midnight too)
it_sod_diff() {
	awk -v a="$1" -v b="$2" 'BEGIN { d = b - a; if (d < -43200) d += 86400;
		if (d > 43200) d -= 86400; printf "%.3f\n", d }'
}

# ---------------------------------------------------------------- daemon log

# it_log_mark -> the number of lines in the current daemon log (a mark for
# it_wait_log / it_log_after: only later lines count)
it_log_mark() {
	wc -l <"$IT_LOG"
}

# it_log_after MARK STRING -> the log lines after MARK that contain STRING
it_log_after() {
	tail -n +"$(($1 + 1))" "$IT_LOG" | grep -F -- "$2"
}

# it_wait_log MARK STRING SECONDS: wait until a line after MARK contains
# STRING; print the first such line. Returns 1 (printing nothing) on time out.
it_wait_log() {
	local mark=$1 str=$2 n i line
	n=$(awk -v s="$3" 'BEGIN { printf "%d\n", s * 50 }')
	for ((i = 0; i <= n; i++)); do
		line=$(it_log_after "$mark" "$str" | head -n 1)
		[ -n "$line" ] && { printf '%s\n' "$line"; return 0; }
		sleep 0.02
	done
	return 1
}

# ---------------------------------------------------------------- status

# it_group_states -> the state letter (A|E|D) of every group, in order,
# from the status file's dm INFO layout
it_group_states() {
	awk '{ i = 1; i += 1 + $i; i += 1 + $i; ng = $i; i += 2; out = ""
		for (g = 0; g < ng; g++) {
			out = out (g ? " " : "") $i; i++
			i += 1 + $i; np = $i; na = $(i + 1); i += 2
			i += np * (3 + na)
		}
		print out }' "$IT_MNT/status"
}

# it_active_group -> the number (from 1) of the group shown A in status
it_active_group() {
	it_group_states | awk '{ for (i = 1; i <= NF; i++) if ($i == "A") { print i; exit } }'
}

# it_path_json PATH FIELD -> a field of PATH in "show paths json"
it_path_json() {
	it_ctl show paths json | jq -r --arg n "$1" --arg f "$2" \
		'.paths[] | select(.name == $n) | .[$f]'
}

# it_wait_path_writes PATH N WHAT: until PATH has completed N writes (at
# most 10 s); fails the test with WHAT if it has not.
it_wait_path_writes() {
	local i
	for ((i = 0; i < 200; i++)); do
		[ "$(it_path_json "$1" writes)" -ge "$2" ] && return 0
		sleep 0.05
	done
	it_fail "$3"
}

# ---------------------------------------------------------------- fio

# it_fio_start NAME FIO_ARGS...: a verifying fio in the background (IT_BG):
# 4 KiB random writes, O_DIRECT, libaio, 16 in flight, each block read
# back and checked with crc32c (verify_backlog: while writing, so a time
# based run verifies as it goes), verify_fatal. FIO_ARGS add the region
# (--offset, --size) and the run time; they may override the defaults.
# Output: $IT_TMP/NAME.json, stderr $IT_TMP/NAME.err.
# IT_FIO_BACKLOG=0: no verify_backlog, the whole region verified at the end
# (for runs that end by size, not run time).
IT_FIO_BACKLOG=128
it_fio_start() {
	local name=$1 vb=--verify_backlog=$IT_FIO_BACKLOG
	shift
	# a batch larger than the backlog lets verification catch up after a
	# stall (a failover), which would otherwise leave it lagging for good
	[ "$IT_FIO_BACKLOG" = 0 ] && vb=--verify_backlog=0 ||
		vb="$vb --verify_backlog_batch=$((IT_FIO_BACKLOG * 3 / 2))"
	echo "$IT_FIO_BACKLOG" >"$IT_TMP/$name.backlog"
	it_bg fio --name="$name" --filename="$IT_DEV" --direct=1 --ioengine=libaio \
		--iodepth=16 --rw=randwrite --bs=4k --verify=crc32c --verify_fatal=1 \
		--verify_state_save=0 $vb --randrepeat=0 \
		--fallocate=none --output-format=json --output="$IT_TMP/$name.json" "$@" \
		2>"$IT_TMP/$name.err"
}

# it_fio_check NAME RC: fio exited 0, its JSON shows no error and data
# verified (all but the last few MiB: a run cut off by its run time does
# not verify its last backlog), stderr has no verify complaint.
# Logs a summary; sets IT_FIO_WMAX / IT_FIO_RMAX (max completion latency
# of writes / verifying reads, ms), IT_FIO_MAX (the larger), IT_FIO_WP99.
it_fio_check() {
	local name=$1 rc=$2 res
	[ "$rc" = 0 ] || it_fail "$name: fio exited $rc: $(tail -5 "$IT_TMP/$name.err"; grep -v '^ ' "$IT_TMP/$name.json" 2>/dev/null | head -5)"
	if grep -iE 'verify|bad magic|crc|error|err=' "$IT_TMP/$name.err"; then
		it_fail "$name: fio reported problems (above)"
	fi
	res=$(python3 - "$IT_TMP/$name.json" "$(cat "$IT_TMP/$name.backlog")" <<'PY'
import json, sys
text = open(sys.argv[1]).read()
j = json.loads(text[text.index('{'):])['jobs'][0]
w, r = j['write'], j['read']
bad = []
if j['error']:
    bad.append('error %d' % j['error'])
if j.get('total_err', 0):
    bad.append('total_err %d' % j['total_err'])
if w['io_bytes'] <= 0 or r['io_bytes'] <= 0:
    bad.append('nothing written or verified')
# a run cut off by its run time leaves its last writes unverified: about
# a backlog, more when a failover stall left verification lagging (it
# catches up by half a backlog per batch), so allow some MiB or 3%;
# without a backlog fio verifies everything at the end
backlog = int(sys.argv[2])
if backlog == 0 and r['io_bytes'] != w['io_bytes'] or \
   w['io_bytes'] - r['io_bytes'] > max(8 << 20, backlog * 16 * 4096, w['io_bytes'] * 3 // 100):
    bad.append('only %d of %d bytes verified' % (r['io_bytes'], w['io_bytes']))
wmax = w['clat_ns']['max'] / 1e6
rmax = r['clat_ns']['max'] / 1e6
p99 = w['clat_ns'].get('percentile', {}).get('99.000000', 0) / 1e6
print('%s: %s; wrote %d MiB, verified %d MiB in %.1f s, write iops %.0f; '
      'completion latency max: write %.1f ms, read %.1f ms; write p99 %.2f ms'
      % ('BAD' if bad else 'ok', ', '.join(bad) or 'no error', w['io_bytes'] >> 20,
         r['io_bytes'] >> 20, j['job_runtime'] / 1000, w['iops'], wmax, rmax, p99))
print('%.3f %.3f %.3f %.3f' % (wmax, rmax, max(wmax, rmax), p99))
PY
)
	[ $? = 0 ] || it_fail "$name: cannot parse fio's JSON output: $res"
	read -r IT_FIO_WMAX IT_FIO_RMAX IT_FIO_MAX IT_FIO_WP99 <<<"$(tail -n 1 <<<"$res")"
	res=$(head -n 1 <<<"$res")
	it_log "$name: fio $res"
	case $res in
	ok:*) ;;
	*) it_fail "$name: fio $res" ;;
	esac
}

# it_cmp_paths OFFSET LEN: the region (whole MiB) reads the same through
# every path device (O_DIRECT, 1 MiB blocks), every read succeeding (a
# failed read adds a tag of its own to its stream, so the streams differ).
it_cmp_paths() {
	local off=$(($1 >> 20)) cnt=$(($2 >> 20)) i
	for ((i = 1; i < ${#IT_PATHS[@]}; i++)); do
		cmp <(dd if="${IT_PATHS[0]}" bs=1M skip="$off" count="$cnt" iflag=direct status=none ||
			echo "read error on path ${IT_PATH_NAMES[0]}") \
			<(dd if="${IT_PATHS[$i]}" bs=1M skip="$off" count="$cnt" iflag=direct status=none ||
			echo "read error on path ${IT_PATH_NAMES[$i]}") ||
			it_fail "paths ${IT_PATH_NAMES[0]} and ${IT_PATH_NAMES[$i]} read different data in ${off}M+${cnt}M"
	done
	it_log "the region ${off}M+${cnt}M reads the same through all ${#IT_PATHS[@]} paths (O_DIRECT)"
}

# ---------------------------------------------------------------- cleanup

# Run a command with a time limit, functions included (exported to bash -c).
it_timeout() {
	local t=$1
	shift
	IT_MNT=$IT_MNT timeout -k 2 "$t" bash -c '"$@"' _ "$@"
}
export -f it_ctl it_ctl_at

# Release I/O the daemon holds: every path reinstated, queueing off.
it_release_io() {
	local n
	[ -n "$IT_MNT" ] && it_mounted "$IT_MNT" && [ -e "$IT_MNT/control" ] || return 0
	for n in "${IT_PATH_NAMES[@]}"; do
		it_timeout 3 it_ctl reinstate_path "$n" >/dev/null 2>&1
	done
	it_timeout 3 it_ctl fail_if_no_path >/dev/null 2>&1
}

# it_loop_backing LOOP -> its backing file, empty if it is not attached
it_loop_backing() {
	losetup -l -n -O BACK-FILE "$1" 2>/dev/null | sed 's/ *$//'
}

# it_stop_fuse MOUNTPOINT PID: unmount, and make sure the daemon is gone
# (only while it is ours: its command line names the mountpoint).
it_stop_fuse() {
	local mnt=$1 pid=$2 i
	[ -n "$mnt" ] || return 0
	if it_mounted "$mnt"; then
		fusermount3 -u "$mnt" 2>/dev/null || fusermount3 -uz "$mnt" 2>/dev/null ||
			umount -l "$mnt" 2>/dev/null
	fi
	if [ -n "$pid" ] && tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline" | grep -qF " $mnt "; then
		for ((i = 0; i < 100; i++)); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.05
		done
		if kill -0 "$pid" 2>/dev/null; then
			kill -TERM "$pid" 2>/dev/null
			sleep 0.5
			kill -KILL "$pid" 2>/dev/null
		fi
		wait "$pid" 2>/dev/null
	fi
	# a killed daemon may leave the mount behind
	if it_mounted "$mnt"; then
		fusermount3 -uz "$mnt" 2>/dev/null || umount -l "$mnt" 2>/dev/null
	fi
	return 0
}

# Release everything recorded, in order; each step is safe to repeat.
it_release_all() {
	local pid d l b i
	# 0. faults first: held path I/O answered, every faultfs healthy again
	it_release_faults
	# 1. nothing may stay hung on queued I/O
	it_release_io
	# 2. background jobs (fio, dd, togglers) and their children
	for pid in "${IT_BG_PIDS[@]}"; do
		pkill -KILL -P "$pid" 2>/dev/null
		kill -KILL "$pid" 2>/dev/null
	done
	it_release_faults	# in case a job injected a fault meanwhile
	it_release_io	# in case a toggler failed a path meanwhile
	for pid in "${IT_BG_PIDS[@]}"; do
		timeout 5 tail --pid="$pid" -f /dev/null 2>/dev/null
	done
	# 3. filesystems the test mounted
	for ((i = ${#IT_FS_MOUNTS[@]} - 1; i >= 0; i--)); do
		d=${IT_FS_MOUNTS[$i]:-}
		[ -n "$d" ] && it_mounted "$d" || continue
		umount "$d" 2>/dev/null || umount -l "$d" 2>/dev/null
	done
	# 4. loop devices over the device file (also any the test forgot)
	if [ -n "$IT_DEV" ] && [ -e "$IT_DEV" ]; then
		IT_DEV_LOOPS+=($(losetup -l -n -O NAME -j "$IT_DEV" 2>/dev/null))
	fi
	for l in "${IT_DEV_LOOPS[@]}"; do
		[ -n "$l" ] || continue
		b=$(it_loop_backing "$l")
		# once the mount is lazily gone the device file shows as "/NAME"
		case $b in
		"$IT_DEV" | "$IT_DEV (deleted)" | "/$IT_DEVNAME" | "/$IT_DEVNAME (deleted)")
			losetup -d "$l" 2>/dev/null ;;
		esac
	done
	# 5-6. the FUSE mount and the daemon; then any extra daemons, newest first
	it_stop_fuse "$IT_MNT" "$IT_DAEMON_PID"
	for ((i = ${#IT_EXTRA[@]} - 1; i >= 0; i--)); do
		[ -n "${IT_EXTRA[$i]:-}" ] || continue
		it_stop_fuse "${IT_EXTRA[$i]#* }" "${IT_EXTRA[$i]%% *}"
	done
	# 7. path loop devices (only those still over our files)
	for l in "${IT_PATH_LOOPS[@]}"; do
		b=$(it_loop_backing "$l")
		case $b in
		"$IT_TMP"/*) losetup -d "$l" 2>/dev/null ;;
		esac
	done
	# 7b. the fault bed's faultfs mounts, once no loop device holds their disk
	it_stop_faultfs
	# 8. temp files (never through a mount that is somehow still there)
	if [ -n "$IT_TMP" ] && [ -d "$IT_TMP" ]; then
		if grep -qF " $IT_TMP/" /proc/mounts; then
			echo "[$IT_NAME] cleanup: something is still mounted under $IT_TMP; leaving it" >&2
			return 1
		fi
		rm -rf "$IT_TMP"
	fi
	return 0
}

it_print_logs() {
	local l
	for l in "${IT_LOGS[@]}"; do
		[ -f "$l" ] || continue
		echo "----- daemon log $(basename "$l") (last 40 lines) -----" >&2
		tail -n 40 "$l" >&2
	done
	echo "-----" >&2
}

it_cleanup() {
	local rc=$?
	[ "$IT_CLEANED" = 1 ] && return
	IT_CLEANED=1
	trap - EXIT HUP INT TERM
	set +e
	if [ "$rc" != 0 ] && [ "$rc" != 77 ]; then
		it_log "test failed (status $rc); cleaning up"
		it_print_logs
	fi
	it_release_all || { [ "$rc" = 0 ] && rc=1; }
	exit "$rc"
}

# ---------------------------------------------------------------- janitor

# bash lib.sh --janitor PID TMPDIR: wait for the test PID to end; if its
# temp dir is still there, its cleanup did not finish: redo it from the
# state file. Logs to /tmp/mpathfs-it-janitor.log.
it_janitor() {
	local pid=$1 kind val i
	IT_TMP=$2
	IT_STATE=$IT_TMP/state
	while kill -0 "$pid" 2>/dev/null; do
		sleep 0.5
	done
	[ -f "$IT_STATE" ] || exit 0
	IT_NAME="janitor $(basename "$IT_TMP")"
	exec >>/tmp/mpathfs-it-janitor.log 2>&1
	it_log "test $pid ended before its cleanup finished; cleaning up"
	while read -r kind val; do
		case $kind in
		mnt) IT_MNT=$val ;;
		dev) IT_DEV=$val ;;
		path_loop) IT_PATH_LOOPS+=("$val") ;;
		dev_loop) IT_DEV_LOOPS+=("$val") ;;
		fs) IT_FS_MOUNTS+=("$val") ;;
		daemon) IT_DAEMON_PID=$val ;;
		xdaemon) IT_EXTRA+=("$val") ;;
		faultfs) IT_FAULTFS+=("$val") ;;
		bg)	# only if it is still one of ours (fio, dd, pio name our files)
			tr '\0' ' ' 2>/dev/null <"/proc/$val/cmdline" | grep -qF "$IT_TMP/" &&
				IT_BG_PIDS+=("$val") ;;
		-daemon) [ "$IT_DAEMON_PID" = "$val" ] && IT_DAEMON_PID="" ;;
		-dev_loop)
			for i in "${!IT_DEV_LOOPS[@]}"; do
				[ "${IT_DEV_LOOPS[$i]}" = "$val" ] && unset 'IT_DEV_LOOPS[i]'
			done ;;
		-fs)
			for i in "${!IT_FS_MOUNTS[@]}"; do
				[ "${IT_FS_MOUNTS[$i]}" = "$val" ] && unset 'IT_FS_MOUNTS[i]'
			done ;;
		esac
	done <"$IT_STATE"
	IT_FS_MOUNTS=("${IT_FS_MOUNTS[@]}")
	IT_DEVNAME=$(basename "$IT_DEV")
	it_release_all
	it_log "done"
}

if [ "${BASH_SOURCE[0]}" = "$0" ] && [ "${1:-}" = --janitor ]; then
	it_janitor "$2" "$3"
	exit 0
fi
