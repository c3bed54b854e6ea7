#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Every path dies (faultfs `error EIO` on all 3 paths of the fault bed) with
# no_path_retry = 3 and polling_interval = 1, while fio (4 KiB random
# writes, O_DIRECT, libaio, 16 in flight, crc32c verified as it goes) runs
# and a direct read is started right after the last path failed. Asserts
#  1. all three paths are failed, the last with "no usable path: queueing
#     I/O for 3 checker intervals";
#  2. I/O is queued, not failed, for about 3 intervals: 2.4 s after the last
#     path failure fio and the read are both still waiting (status shows
#     queued I/O); "no_path_retry 3 intervals expired" is logged, the read
#     fails with EIO and fio stops with EIO (not a verify error), each
#     >= 2.5 s and < 6 s after the last path failure; fio had no error
#     before (it stops on its first);
#  3. control commands keep answering meanwhile: "show paths" every 0.2 s,
#     each answered within 1 s, showing every path failed;
#  4. with the queue given up, new I/O fails at once (< 0.5 s);
#  5. after `ok` the checker reinstates all paths within 3 s, and I/O works
#     again: a new fio writes and verifies with no error.
. "$(dirname "$0")/lib.sh"

it_require_env fio python3 jq
it_setup_faultbed 96M 3
M=$((1 << 20))
it_write_config "path_checker = directio" "polling_interval = 1" "no_path_retry = 3"
it_start_daemon

it_fio_start down --offset=0 --size=64M --time_based --runtime=30
fpid=$IT_BG
it_wait_path_writes a 200 "path a carries no I/O under fio"

mark=$(it_log_mark)
it_fault_all error EIO
line=$(it_wait_log "$mark" "no usable path" 5) || it_fail "1: not all paths failed within 5 s of every path answering EIO"
it_log "1: $line"
case $line in
*"queueing I/O for 3 checker intervals"*) ;;
*) it_fail "1: with no_path_retry = 3 expected 'queueing I/O for 3 checker intervals': $line" ;;
esac
t_last=$(it_log_sod "$line")
it_log "1: all paths failed $(it_sod_diff "$IT_FAULT_T1" "$t_last") s after the fault: $(it_log_after "$mark" "failed:" | sed 's/.*notice: //' | cut -d';' -f1 | tr '\n' ';')"
it_bg dd if="$IT_DEV" of=/dev/null bs=4k skip=$((80 * M / 4096)) count=1 iflag=direct status=none \
	2>"$IT_TMP/read.err"
rpid=$IT_BG

# 2-3: wait for the expiry, asking "show paths" every 0.2 s meanwhile
maxq=0
nq=0
t_read="" t_fio="" checked24=0 queued=""
while :; do
	now=$(it_sod)
	el=$(it_sod_diff "$t_last" "$now")
	it_fcmp "$el" "<" 8 || break
	t0=$EPOCHREALTIME
	reply=$(it_timeout 2 it_ctl show paths 2>&1) ||
		it_fail "3: 'show paths' did not answer within 2 s while I/O was queued ($el s after the last path failure): $reply"
	q=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.3f\n", b - a }')
	it_fcmp "$q" ">" "$maxq" && maxq=$q
	nq=$((nq + 1))
	nfailed=$(awk 'NR > 1 && $4 == "failed"' <<<"$reply" | wc -l)
	[ "$nfailed" = 3 ] || [ -n "$t_read" ] || it_fail "3: show paths does not show all 3 paths failed: $reply"
	[ -z "$queued" ] && it_fcmp "$el" ">=" 1 && queued=$(it_queued)
	if [ "$checked24" = 0 ] && it_fcmp "$el" ">=" 2.4; then
		checked24=1
		kill -0 "$rpid" 2>/dev/null || it_fail "2: the read ended before 2.4 s of queueing ($el s after the last path failure)"
		kill -0 "$fpid" 2>/dev/null || it_fail "2: fio ended before 2.4 s of queueing ($el s after the last path failure)"
		it_log "2: $el s after the last path failure the read and fio are still waiting"
	fi
	[ -z "$t_read" ] && ! kill -0 "$rpid" 2>/dev/null && t_read=$now
	[ -z "$t_fio" ] && ! kill -0 "$fpid" 2>/dev/null && t_fio=$now
	[ -n "$t_read" ] && [ -n "$t_fio" ] && break
	sleep 0.2
done
it_log "3: 'show paths' answered $nq times, the slowest in $maxq s"
it_fcmp "$maxq" "<" 1 || it_fail "3: 'show paths' took $maxq s to answer while I/O was queued"
[ "$checked24" = 1 ] || it_fail "2: the I/O ended before 2.4 s"
it_log "2: queued I/O in status 1 s into the queueing: $queued"
[ -n "$queued" ] && [ "$queued" -ge 1 ] || it_fail "2: status showed no queued I/O ($queued) while no path was usable"
exp=$(it_log_after "$mark" "intervals expired") || it_fail "2: 'no_path_retry 3 intervals expired' was not logged within 8 s"
it_log "2: $exp"
d_exp=$(it_sod_diff "$t_last" "$(it_log_sod "$exp")")
[ -n "$t_read" ] || it_fail "2: the read was still waiting 8 s after the last path failure"
[ -n "$t_fio" ] || it_fail "2: fio was still running 8 s after the last path failure"
d_read=$(it_sod_diff "$t_last" "$t_read")
d_fio=$(it_sod_diff "$t_last" "$t_fio")
it_log "2: after the last path failure: queue given up at $d_exp s, the read failed at <= $d_read s, fio stopped at <= $d_fio s (0.2 s sampling)"
for d in "$d_exp" "$d_read" "$d_fio"; do
	it_fcmp "$d" ">=" 2.5 || it_fail "2: I/O failed $d s after the last path failure, before 3 intervals (>= 2.5 s)"
	it_fcmp "$d" "<" 6 || it_fail "2: I/O failed only $d s after the last path failure (3 intervals of 1 s, < 6 s)"
done
wait "$rpid"
rc=$?
[ "$rc" != 0 ] || it_fail "2: the read queued with no usable path succeeded"
grep -q "Input/output error" "$IT_TMP/read.err" || it_fail "2: the read failed, but not with EIO: $(cat "$IT_TMP/read.err")"
wait "$fpid"
rc=$?
[ "$rc" != 0 ] || it_fail "2: fio succeeded with every path dead"
ferr=$(python3 -c 'import json,sys; t=open(sys.argv[1]).read(); print(json.loads(t[t.index("{"):])["jobs"][0]["error"])' "$IT_TMP/down.json") ||
	it_fail "2: cannot read fio's JSON"
[ "$ferr" = 5 ] || it_fail "2: fio stopped with error $ferr, expected EIO (5): $(head -5 "$IT_TMP/down.err")"
grep -qiE 'verify|bad magic|crc' "$IT_TMP/down.err" && it_fail "2: fio reported a verify error: $(head -5 "$IT_TMP/down.err")"
it_log "2: fio stopped with EIO: $(grep -m1 -i 'err' "$IT_TMP/down.err")"

# 4. with the queue given up, new I/O fails at once
t0=$EPOCHREALTIME
out=$(timeout 5 dd if="$IT_DEV" of=/dev/null bs=4k count=1 iflag=direct status=none 2>&1) &&
	it_fail "4: a read succeeded with every path dead"
d=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.3f\n", b - a }')
it_log "4: a new read failed after $d s: $out"
case $out in
*"Input/output error"*) ;;
*) it_fail "4: the read failed, but not with EIO: $out" ;;
esac
it_fcmp "$d" "<" 0.5 || it_fail "4: a new read took $d s to fail after no_path_retry expired"
it_timeout 2 it_ctl show paths >/dev/null || it_fail "3: show paths failed after the expiry"

# 5. the paths come back
mark=$(it_log_mark)
it_fault_all ok
for p in a b c; do
	line=$(it_wait_log "$mark" "path $p (${IT_PATHS[$(it_path_index $p)]}) reinstated:" 5) ||
		it_fail "5: path $p was not reinstated within 5 s of the faults clearing"
	d=$(it_sod_diff "$IT_FAULT_T0" "$(it_log_sod "$line")")
	it_log "5: path $p reinstated $d s after ok"
	it_fcmp "$d" "<=" 3 || it_fail "5: path $p was reinstated only $d s after ok (polling_interval 1)"
done
IT_FIO_BACKLOG=0 it_fio_start back --offset=0 --size=32M
it_wait_pid "$IT_BG" 60
it_fio_check back $?
for p in a b c; do
	it_expect_path_state "$p" active
done
it_stop_daemon || it_fail "mpathfs exited with status $? after a clean unmount"
it_pass
