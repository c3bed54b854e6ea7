#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# A path that starts answering every I/O with EIO (faultfs `error EIO`, a
# dead port or cable), under load, over 3 paths of the fault bed. While fio
# (4 KiB random writes, O_DIRECT, libaio, 16 in flight, crc32c verified)
# runs throughout, asserts that
#  1. the daemon fails the path on its first failed I/O: "path a (DEV)
#     failed: I/O error" is logged within 0.25 s of the fault, once, the
#     path counted at most as many errors as I/Os can be in flight (16:
#     only those already on the path when the first error came back), and
#     no I/O is sent to it afterwards;
#  2. fio sees no error and every block verifies; the maximum completion
#     latency across the event (fio clat max) is printed;
#  3. the other paths are untouched (active, fail_count 0);
#  4. after `ok` the checker reinstates the path, it carries I/O again, and
#     the region fio wrote reads the same through every path.
. "$(dirname "$0")/lib.sh"

it_require_env fio python3 jq
it_setup_faultbed 96M 3
M=$((1 << 20))
# polling_interval 2 backing off to 4: the checker rarely looks, so it is
# the I/O that finds the fault; reinstatement after `ok` within ~4 s
it_write_config "path_checker = directio" "polling_interval = 2" "max_polling_interval = 4"
it_start_daemon
A_DEV=${IT_PATHS[0]}

it_fio_start eio --offset=0 --size=64M --time_based --runtime=4
fpid=$IT_BG
# inject once fio's I/O flows through path a
for ((i = 0; i < 100; i++)); do
	[ "$(it_path_json a writes)" -ge 200 ] && break
	sleep 0.05
done
kill -0 "$fpid" 2>/dev/null || it_fail "fio ended before the fault was injected"
[ "$(it_path_json a writes)" -ge 200 ] || it_fail "path a carries no I/O under fio"

mark=$(it_log_mark)
it_fault a error EIO
line=$(it_wait_log "$mark" "path a ($A_DEV) failed:" 3) ||
	it_fail "1: path a was not failed within 3 s of its faultfs answering EIO"
case $line in
*"failed: I/O error"*) ;;
*) it_fail "1: path a was failed, but not by an I/O error: $line" ;;
esac
dt=$(it_sod_diff "$IT_FAULT_T0" "$(it_log_sod "$line")")
it_log "1: $line"
it_log "1: fault injected -> path failed: $dt s"
it_fcmp "$dt" "<=" 0.25 || it_fail "1: path a failed $dt s after the fault, expected <= 0.25 s"
errs=$(it_path_json a errors)
r0=$(it_path_json a reads)
w0=$(it_path_json a writes)
[ "$errs" -ge 1 ] && [ "$errs" -le 16 ] ||
	it_fail "1: path a counted $errs errors: expected 1..16 (the first failed I/O and those in flight with it)"
it_log "1: path a counted $errs failed I/O (at most 16 can be in flight)"
sleep 1
[ "$(it_path_json a reads)" = "$r0" ] && [ "$(it_path_json a writes)" = "$w0" ] ||
	it_fail "1: I/O was still sent to failed path a ($r0/$w0 -> $(it_path_json a reads)/$(it_path_json a writes) reads/writes)"
kill -0 "$fpid" 2>/dev/null || it_fail "fio ended too early: the event was not under load"

it_wait_pid "$fpid" 60
it_fio_check eio $?
it_log "2: max completion latency across the EIO event: write $IT_FIO_WMAX ms, read $IT_FIO_RMAX ms (write p99 $IT_FIO_WP99 ms)"
n=$(it_log_after "$mark" "path a ($A_DEV) failed:" | wc -l)
[ "$n" = 1 ] || it_fail "1: path a was failed $n times: $(it_log_after "$mark" "failed:")"

it_expect_path_state a failed
for p in b c; do
	it_expect_path_state "$p" active
	[ "$(it_path_json "$p" fail_count)" = 0 ] || it_fail "3: path $p has fail_count $(it_path_json "$p" fail_count)"
	[ "$(it_path_json "$p" errors)" = 0 ] || it_fail "3: path $p has errors"
done

# 4. the path heals: the checker brings it back, it carries I/O again
mark=$(it_log_mark)
it_fault a ok
line=$(it_wait_log "$mark" "path a ($A_DEV) reinstated:" 10) ||
	it_fail "4: path a was not reinstated within 10 s of the fault clearing"
it_log "4: $line ($(it_sod_diff "$IT_FAULT_T0" "$(it_log_sod "$line")") s after ok)"
w0=$(it_path_json a writes)
dd if=/dev/urandom of="$IT_DEV" bs=64k count=64 seek=1024 oflag=direct conv=notrunc status=none ||
	it_fail "4: write after the path came back failed"
[ "$(it_path_json a writes)" -gt "$w0" ] || it_fail "4: reinstated path a carries no writes"
[ "$(it_path_json a errors)" = "$errs" ] || it_fail "4: path a saw new errors after it came back"
it_cmp_paths 0 $((64 * M))
it_stop_daemon || it_fail "mpathfs exited with status $? after a clean unmount"
it_pass
