#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Proves the no-path policies with every path failed:
#  1. no_path_retry = queue: reads and writes block (still blocked after
#     2 s, counted as queued in `status`) and complete correctly once a path
#     is reinstated; fail_if_no_path releases queued I/O with EIO at once,
#     and new I/O then fails at once too.
#  2. no_path_retry = fail: a read fails with EIO at once (< 1 s), and the
#     table carries no queue_if_no_path feature.
#  3. no_path_retry = 2, polling_interval = 1: a read blocks, the control
#     file keeps answering meanwhile, and the read gets EIO after about two
#     intervals (>= 1.5 s, < 5 s); new I/O then fails at once; a reinstated
#     path restores queueing, and a reinstatement before the expiry lets the
#     queued read complete.
# Nothing may stay blocked at the end.
. "$(dirname "$0")/lib.sh"

it_require_env
it_setup 64M 2

pattern=$IT_TMP/pattern
pattern2=$IT_TMP/pattern2
head -c 4M /dev/urandom >"$pattern" || it_fail "urandom"
head -c 1M /dev/urandom >"$pattern2" || it_fail "urandom"

# bg_read NAME: O_DIRECT read of the first 4 MiB in the background -> IT_BG
bg_read() {
	it_bg dd if="$IT_DEV" of="$IT_TMP/$1.out" bs=1M count=4 iflag=direct \
		status=none 2>"$IT_TMP/$1.err"
}

# expect_eio NAME RC: the dd started by bg_read NAME ended with an I/O error
expect_eio() {
	[ "$2" != 0 ] && [ "$2" != 124 ] ||
		it_fail "$1: expected the read to fail with EIO, dd status $2"
	grep -q "Input/output error" "$IT_TMP/$1.err" ||
		it_fail "$1: dd failed, but not with EIO: $(cat "$IT_TMP/$1.err")"
}

fail_all() {
	it_ctl_ok fail_path a
	it_ctl_ok fail_path b
	it_expect_path_state a failed
	it_expect_path_state b failed
}

table_has_queue() {
	grep -q "queue_if_no_path" "$IT_MNT/table"
}

# ===================================================== 1. no_path_retry = queue
it_log "== part 1: no_path_retry = queue"
it_write_config "no_path_retry = queue"
it_start_daemon
dd if="$pattern" of="$IT_DEV" bs=1M oflag=direct conv=notrunc status=none ||
	it_fail "initial write failed"
table_has_queue || it_fail "table lacks queue_if_no_path: $(cat "$IT_MNT/table")"

# 1a: a queued read completes after reinstate_path
fail_all
t0=$(it_now)
bg_read q1
rpid=$IT_BG
sleep 2
kill -0 "$rpid" 2>/dev/null || {
	wait "$rpid"
	it_fail "1a: with every path failed and queueing, the read ended ($?) within 2 s: $(cat "$IT_TMP/q1.err")"
}
q=$(it_queued)
[ "$q" -ge 1 ] || it_fail "1a: the read is blocked but status shows $q queued I/O: $(cat "$IT_MNT/status")"
it_log "1a: read still blocked after $(it_elapsed "$t0") s, $q queued; reinstating b"
it_ctl_ok reinstate_path b
it_wait_pid "$rpid" 5
rc=$?
[ "$rc" = 0 ] || it_fail "1a: the queued read did not complete after reinstate_path (status $rc): $(cat "$IT_TMP/q1.err")"
cmp "$pattern" "$IT_TMP/q1.out" || it_fail "1a: the queued read returned wrong data"
[ "$(it_queued)" = 0 ] || it_fail "1a: status still shows queued I/O"
it_log "1a: queued read completed with the right data"

# 1b: a queued write lands after reinstate_path
it_ctl_ok fail_path b
it_expect_path_state b failed
it_bg dd if="$pattern2" of="$IT_DEV" bs=1M seek=1 oflag=direct conv=notrunc status=none \
	2>"$IT_TMP/w1.err"
wpid=$IT_BG
sleep 1
kill -0 "$wpid" 2>/dev/null || { wait "$wpid"; it_fail "1b: the write with no path ended ($?) within 1 s"; }
it_ctl_ok reinstate_path a
it_wait_pid "$wpid" 5
rc=$?
[ "$rc" = 0 ] || it_fail "1b: the queued write did not complete (status $rc): $(cat "$IT_TMP/w1.err")"
cmp <(dd if="$IT_DEV" bs=1M skip=1 count=1 iflag=direct status=none) "$pattern2" ||
	it_fail "1b: the queued write's data is not on the device"
cmp <(dd if="${IT_PATHS[1]}" bs=1M skip=1 count=1 iflag=direct status=none) "$pattern2" ||
	it_fail "1b: the queued write's data is not on the storage (via path b)"
dd if="$pattern" of="$IT_DEV" bs=1M oflag=direct conv=notrunc status=none ||
	it_fail "rewrite of the pattern failed"
it_log "1b: queued write landed after reinstate_path a"

# 1c: fail_if_no_path releases queued I/O with EIO, and new I/O fails at once
fail_all
bg_read q2
rpid=$IT_BG
sleep 1
kill -0 "$rpid" 2>/dev/null || { wait "$rpid"; it_fail "1c: the read ended ($?) within 1 s"; }
t0=$(it_now)
it_ctl_ok fail_if_no_path
it_wait_pid "$rpid" 5
rc=$?
el=$(it_elapsed "$t0")
expect_eio q2 "$rc"
it_fcmp "$el" "<" 1 || it_fail "1c: the queued read took $el s to fail after fail_if_no_path"
table_has_queue && it_fail "1c: table still has queue_if_no_path after fail_if_no_path"
it_log "1c: fail_if_no_path failed the queued read after $el s"

t0=$(it_now)
bg_read q3
it_wait_pid "$IT_BG" 5
rc=$?
el=$(it_elapsed "$t0")
expect_eio q3 "$rc"
it_fcmp "$el" "<" 1 || it_fail "1c: a new read took $el s to fail with fail_if_no_path"
it_log "1c: a new read failed after $el s"

it_ctl_ok queue_if_no_path
table_has_queue || it_fail "1c: table lacks queue_if_no_path after queue_if_no_path"
it_ctl_ok reinstate_path a
it_ctl_ok reinstate_path b
it_stop_daemon || it_fail "mpathfs exited with status $? (part 1)"

# ===================================================== 2. no_path_retry = fail
it_log "== part 2: no_path_retry = fail"
it_write_config "no_path_retry = fail"
it_start_daemon
table_has_queue && it_fail "2: table has queue_if_no_path with no_path_retry = fail: $(cat "$IT_MNT/table")"
fail_all
t0=$(it_now)
bg_read f1
it_wait_pid "$IT_BG" 5
rc=$?
el=$(it_elapsed "$t0")
expect_eio f1 "$rc"
it_fcmp "$el" "<" 1 || it_fail "2: the read took $el s to fail with no_path_retry = fail"
it_log "2: read failed with EIO after $el s"
it_ctl_ok reinstate_path a
dd if="$IT_DEV" of="$IT_TMP/f2.out" bs=1M count=4 iflag=direct status=none ||
	it_fail "2: read after reinstate_path failed"
cmp "$pattern" "$IT_TMP/f2.out" || it_fail "2: wrong data after reinstate_path"
it_stop_daemon || it_fail "mpathfs exited with status $? (part 2)"

# ===================================================== 3. no_path_retry = 2
it_log "== part 3: no_path_retry = 2, polling_interval = 1"
it_write_config "no_path_retry = 2" "polling_interval = 1"
it_start_daemon
table_has_queue || it_fail "3: table lacks queue_if_no_path with no_path_retry = 2"

# 3a: a reinstatement before the expiry lets the queued read complete
fail_all
bg_read n0
rpid=$IT_BG
sleep 1
kill -0 "$rpid" 2>/dev/null || { wait "$rpid"; it_fail "3a: the read ended ($?) within 1 s"; }
it_ctl_ok reinstate_path a
it_wait_pid "$rpid" 5
rc=$?
[ "$rc" = 0 ] || it_fail "3a: the queued read failed after an early reinstatement (status $rc): $(cat "$IT_TMP/n0.err")"
cmp "$pattern" "$IT_TMP/n0.out" || it_fail "3a: wrong data"
it_log "3a: reinstated after 1 s: the queued read completed"

# 3b: the read fails after about 2 intervals; control answers meanwhile
sleep 1.2	# let the cancelled deadline of 3a pass, to catch a stale one
# no_path_retry counts from the loss of the last path, not from the read
t0=$(it_now)
it_ctl_ok fail_path a
it_expect_path_state a failed
it_expect_path_state b failed
bg_read n1
rpid=$IT_BG
sleep 0.5
kill -0 "$rpid" 2>/dev/null || {
	wait "$rpid"
	it_fail "3b: the read ended ($?) after $(it_elapsed "$t0") s, before no_path_retry expired"
}
tc=$(it_now)
out=$(it_timeout 2 it_ctl show paths)
rc=$?
[ "$rc" = 0 ] || it_fail "3b: show paths did not answer within 2 s while I/O was queued (status $rc)"
[ "$(grep -c ' failed ' <<<"$out")" = 2 ] || it_fail "3b: show paths while queued: $out"
it_log "3b: show paths answered in $(it_elapsed "$tc") s while the read was queued"
q=$(it_timeout 2 cat "$IT_MNT/status" | awk '{ print $2 }')
[ "${q:-0}" -ge 1 ] || it_fail "3b: status shows '$q' queued I/O while the read is blocked"
it_wait_pid "$rpid" 8
rc=$?
el=$(it_elapsed "$t0")
[ "$rc" != 124 ] || it_fail "3b: the read was still blocked after 8 s with no_path_retry = 2"
expect_eio n1 "$rc"
it_fcmp "$el" ">=" 1.5 || it_fail "3b: the read failed after $el s, expected about 2 s (>= 1.5)"
it_fcmp "$el" "<" 5 || it_fail "3b: the read failed after $el s, expected about 2 s (< 5)"
grep -q "no_path_retry 2 intervals expired" "$IT_LOG" ||
	it_fail "3b: the daemon did not log the no_path_retry expiry"
it_log "3b: the queued read failed with EIO after $el s"

# after the expiry new I/O fails at once
t0=$(it_now)
bg_read n2
it_wait_pid "$IT_BG" 5
rc=$?
el=$(it_elapsed "$t0")
expect_eio n2 "$rc"
it_fcmp "$el" "<" 1 || it_fail "3c: after the expiry a new read took $el s to fail"
it_log "3c: after the expiry a new read failed after $el s"

# a path coming back restores queueing, and I/O works
it_ctl_ok reinstate_path b
table_has_queue || it_fail "3d: queue_if_no_path not restored by a reinstated path: $(cat "$IT_MNT/table")"
dd if="$IT_DEV" of="$IT_TMP/n3.out" bs=1M count=4 iflag=direct status=none ||
	it_fail "3d: read after reinstate_path failed"
cmp "$pattern" "$IT_TMP/n3.out" || it_fail "3d: wrong data after reinstate_path"
it_ctl_ok reinstate_path a
[ "$(it_queued)" = 0 ] || it_fail "status still shows queued I/O at the end"
it_stop_daemon || it_fail "mpathfs exited with status $? (part 3)"

# nothing of ours may still be running
for pid in "${IT_BG_PIDS[@]}"; do
	kill -0 "$pid" 2>/dev/null && it_fail "background job $pid is still running"
done
it_pass
