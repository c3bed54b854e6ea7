#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# A path that stops answering (faultfs `hang`: every I/O held, unanswered)
# under load, with io_timeout = 2, over 3 paths of the fault bed.
#
# Phase 1, fio (4 KiB random writes, O_DIRECT, libaio, 16 in flight, then
# every block read back and checked with crc32c) running throughout, in its
# write or its verify phase:
#  1. the hung I/O is re-driven within io_timeout + 0.5 s: from the moment
#     `hang` is sent to the log line "path a (DEV) failed: I/O timeout" is
#     1.9 .. 2.5 s, and fio's maximum completion latency is at most 2.75 s:
#     io_timeout + 0.5 s plus 0.25 s for what fio's clock sees and the
#     daemon's does not (the request's way through FUSE before the daemon
#     submits it and starts the timeout, the re-driven I/O's own service on
#     a healthy path, whose normal maximum here is tens of ms, and the
#     completion's way back to fio, on a loaded 2-CPU VM);
#  2. 3 s after the failure the held I/O is released: every timed-out I/O
#     is logged "completed late (success)", none before the release;
#  3. the checker reinstates the path; fio exits 0 and every block
#     verifies; the whole region fio wrote reads identically through every
#     path device (O_DIRECT).
# fio writes 448 MiB of random blocks into a 512 MiB region, each block once
# (io_size < size: it never wraps), then verifies all of it: a write to a
# block whose timed-out write is still held must, by design, wait for it,
# which phase 1 keeps out of its latency bound; phase 2 tests exactly that
# wait.
#
# Phase 2, a stale write must never overwrite newer data. Paths b and c are
# failed by command, so a 1 MiB write W1 (pattern P1) goes to hung path a;
# it times out, path a fails, W1 queues and is re-driven when b is
# reinstated, and completes. W2 (pattern P2) to the same range must then
# wait, since the timed-out W1 may still land: it is still blocked 1 s
# later, completes only after `release` lets W1 land late, and every path
# then reads P2, not P1. fio runs meanwhile, its I/O on path a timing out
# with W1 (errors and verify checked; its latency is not: it queues while
# no path is usable).
. "$(dirname "$0")/lib.sh"

it_require_env fio python3 jq
M=$((1 << 20))
it_setup_faultbed 544M 3
# checker_timeout 3 > io_timeout: the hung I/O, not a hung check, fails the
# path. max_polling_interval 2: the checker looks again soon after release.
it_write_config "path_checker = directio" "polling_interval = 1" "max_polling_interval = 2" \
	"checker_timeout = 3" "io_timeout = 2" "no_path_retry = queue"
it_start_daemon
A_DEV=${IT_PATHS[0]}

# ------------------------------------------------------------ phase 1
IT_FIO_BACKLOG=0 it_fio_start hang --offset=0 --size=512M --io_size=448M
fpid=$IT_BG
it_wait_path_writes a 200 "path a carries no I/O under fio"
mark=$(it_log_mark)
it_fault a hang
t_hang=$IT_FAULT_T0
line=$(it_wait_log "$mark" "path a ($A_DEV) failed:" 5) ||
	it_fail "1: path a was not failed within 5 s of hanging (io_timeout 2)"
it_log "1: $line"
case $line in
*"failed: I/O timeout"*) ;;
*) it_fail "1: path a was failed, but not by an I/O timeout: $line" ;;
esac
t_fail=$(it_log_sod "$line")
dt=$(it_sod_diff "$t_hang" "$t_fail")
it_log "1: hang -> path failed by I/O timeout: $dt s (io_timeout 2 s, bound 2.5 s)"
it_fcmp "$dt" "<=" 2.5 || it_fail "1: the hung I/O was re-driven $dt s after the hang, expected <= 2.5 s"
it_fcmp "$dt" ">=" 1.9 || it_fail "1: path a was failed $dt s after the hang, before io_timeout (2 s)"
it_expect_path_state a failed
it_expect_path_state b active
it_expect_path_state c active

# hold the timed-out I/O 3 s more, then let it complete late
while it_fcmp "$(it_sod_diff "$t_fail" "$(it_sod)")" "<" 3; do
	sleep 0.05
done
kill -0 "$fpid" 2>/dev/null || it_fail "fio finished before the release: the event was not under load"
held=$(it_fault_state a | awk '$1 == "held" { print $2 }')
it_log "2: faultfs a holds $held requests"
[ -z "$(it_log_after "$mark" "completed late")" ] ||
	it_fail "2: I/O completed late before the release: $(it_log_after "$mark" "completed late" | head -3)"
mark2=$(it_log_mark)
it_fault a release
t_rel=$IT_FAULT_T0
it_wait_log "$mark2" "completed late" 5 >/dev/null ||
	it_fail "2: no timed-out I/O was logged completing late within 5 s of the release"
sleep 0.5
late=$(it_log_after "$mark2" "path a: timed-out I/O at offset")
nlate=$(wc -l <<<"$late")
nok=$(grep -c 'completed late (success)' <<<"$late")
first_late=$(it_sod_diff "$t_rel" "$(it_log_sod "$(head -n 1 <<<"$late")")")
it_log "2: $nlate timed-out I/O completed late, $nok with success, the first $first_late s after the release:"
head -n 3 <<<"$late" >&2
[ "$nok" = "$nlate" ] || it_fail "2: a late completion was not a success: $(grep -v success <<<"$late" | head -3)"
it_fcmp "$first_late" ">=" -0.01 || it_fail "2: a late completion was logged before the release"
line=$(it_wait_log "$mark2" "path a ($A_DEV) reinstated:" 8) ||
	it_fail "3: path a was not reinstated within 8 s of the release"
it_log "3: $line"

it_wait_pid "$fpid" 60
it_fio_check hang $?
it_log "1: fio's max completion latency across the hang: $IT_FIO_MAX ms (bound 2750 ms)"
it_fcmp "$IT_FIO_MAX" "<=" 2750 ||
	it_fail "1: fio's max completion latency $IT_FIO_MAX ms exceeds io_timeout + 0.5 s + 0.25 s"
it_fcmp "$IT_FIO_MAX" ">=" 1500 ||
	it_fail "1: fio's max completion latency $IT_FIO_MAX ms: no I/O waited for the timeout, was any hung?"
[ "$(it_log_after "$mark" "completed late" | wc -l)" = "$nlate" ] ||
	it_fail "2: more late completions were logged after fio ended"
it_cmp_paths 0 $((512 * M))

# ------------------------------------------------------------ phase 2
off=$((520 * M))
head -c 1M /dev/urandom >"$IT_TMP/p1" && head -c 1M /dev/urandom >"$IT_TMP/p2" || it_fail "urandom"
IT_FIO_BACKLOG=0 it_fio_start hang2 --offset=0 --size=512M --io_size=192M
f2pid=$IT_BG
w0=$(it_path_json a writes)
for ((i = 0; i < 100; i++)); do
	[ "$(it_path_json a writes)" -ge $((w0 + 200)) ] && break
	sleep 0.05
done
it_ctl_ok fail_path b
it_ctl_ok fail_path c
mark=$(it_log_mark)
it_fault a hang
it_bg dd if="$IT_TMP/p1" of="$IT_DEV" bs=1M seek=520 oflag=direct conv=notrunc status=none
w1=$IT_BG
line=$(it_wait_log "$mark" "path a ($A_DEV) failed: I/O timeout" 5) ||
	it_fail "P2: hung path a was not failed by an I/O timeout within 5 s"
it_wait_log "$mark" "no usable path" 1 >/dev/null ||
	it_fail "P2: with b and c failed by command the daemon did not log 'no usable path'"
kill -0 "$w1" 2>/dev/null || it_fail "P2: W1 completed with no usable path"
it_ctl_ok reinstate_path b
it_wait_pid "$w1" 5
rc=$?
[ "$rc" = 0 ] || it_fail "P2: W1 did not complete after path b was reinstated (status $rc)"
it_log "P2: W1 timed out on a, was re-driven to b and completed; W2 to the same range now"
it_bg dd if="$IT_TMP/p2" of="$IT_DEV" bs=1M seek=520 oflag=direct conv=notrunc status=none
w2=$IT_BG
sleep 1
kill -0 "$w2" 2>/dev/null ||
	it_fail "P2: W2 completed while the timed-out W1 to the same range was still held: a stale write could overwrite it"
it_ctl show paths >/dev/null || it_fail "P2: show paths failed while W2 waited"
mark2=$(it_log_mark)
it_fault a release
it_wait_pid "$w2" 5
rc=$?
[ "$rc" = 0 ] || it_fail "P2: W2 did not complete within 5 s of the release (status $rc)"
sleep 0.3
late=$(it_log_after "$mark2" "completed late")
it_log "P2: W2 completed after the release; late completions: $(wc -l <<<"$late")"
awk -v lo="$off" -v hi="$((off + M))" '{ for (i = 1; i < NF; i++) if ($i == "offset" &&
	$(i + 1) >= lo && $(i + 1) < hi) f = 1 } END { exit !f }' <<<"$late" ||
	it_fail "P2: W1 was not logged completing late at offset ${off}..: $late"
it_ctl_ok reinstate_path c
it_wait_log "$mark2" "path a ($A_DEV) reinstated:" 8 >/dev/null ||
	it_fail "P2: path a was not reinstated within 8 s of the release"
for i in "${!IT_PATHS[@]}"; do
	cmp "$IT_TMP/p2" <(dd if="${IT_PATHS[$i]}" bs=1M skip=520 count=1 iflag=direct status=none || echo FAIL) ||
		it_fail "P2: path ${IT_PATH_NAMES[$i]} does not read W2's data: the late W1 overwrote newer data"
done
it_log "P2: every path reads W2's data: the late W1 landed before W2, never after"
it_wait_pid "$f2pid" 30
it_fio_check hang2 $?
it_stop_daemon || it_fail "mpathfs exited with status $? after a clean unmount"
it_pass
