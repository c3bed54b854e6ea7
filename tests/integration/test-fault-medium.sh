#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# A medium error is the storage's, not the path's: it goes back to the
# caller, only for the bytes it covers, and fails no path. Over 3 paths of
# the fault bed, faultfs of path a answers I/O touching 1 MiB at 16 MiB with
# ENODATA (the loop driver passes it up as a medium error) while fio (4 KiB
# random writes, O_DIRECT, libaio, 16 in flight, crc32c verified as it
# goes) runs throughout on 32..96 MiB. Asserts that
#  1. reads (dd iflag=direct) touching the range fail (EIO or ENODATA), a
#     write into it fails, and reads right next to it, and of everything
#     else up to fio's region, succeed;
#  2. no path is failed: no "failed:" line in the log, every path active
#     with fail_count 0, and nothing was retried on another path (b and c
#     carried no I/O at all, path a re-drove nothing);
#  3. fio sees no error and every block verifies;
#  4. after `ok` the range reads again.
#
# Why path_selector = failover with the error on path a only, rather than
# the error on every path: it proves more. With failover every I/O goes to
# path a, so the medium error comes back from the path in use while two
# healthy paths stand by. A daemon that took it for a path error would fail
# a and re-drive the read to b, where it succeeds: the reader would get
# data, not the error, a would be failed, and b would carry I/O; each of
# those is asserted against. With the error on every path such a daemon
# would fail all three paths one after the other, which shows the bug too,
# but cannot show that the error is returned rather than retried elsewhere
# (there is nowhere it could succeed).
. "$(dirname "$0")/lib.sh"

it_require_env fio python3 jq
it_setup_faultbed 128M 3
M=$((1 << 20))
it_write_config "path_selector = failover" "path_checker = directio" "polling_interval = 1" \
	"max_polling_interval = 2"
it_start_daemon

it_fio_start medium --offset=$((32 * M)) --size=64M --time_based --runtime=4
fpid=$IT_BG
it_wait_path_writes a 200 "path a (failover: the path in use) carries no I/O"
for p in b c; do
	[ "$(it_path_json "$p" reads)" = 0 ] && [ "$(it_path_json "$p" writes)" = 0 ] ||
		it_fail "path $p carried I/O with path_selector = failover and path a healthy"
done

mark=$(it_log_mark)
it_fault a error ENODATA $((16 * M)) $((1 * M))

# rd NAME BS SKIP COUNT: a direct read; prints dd's error message, if any
rd() {
	dd if="$IT_DEV" of=/dev/null bs="$2" skip="$3" count="$4" iflag=direct status=none 2>&1
}
expect_fail() {	# expect_fail WHAT BS SKIP COUNT
	local out
	if out=$(rd "$@"); then
		it_fail "1: $1 succeeded: the medium error was not returned to the reader"
	fi
	case $out in
	*"Input/output error"* | *"No data available"*) ;;
	*) it_fail "1: $1 failed, but not with EIO or ENODATA: $out" ;;
	esac
	it_log "1: $1: failed as expected: $out"
}
expect_ok() {	# expect_ok WHAT BS SKIP COUNT
	local out
	out=$(rd "$@") || it_fail "1: $1 failed: $out (only 16M..17M is bad)"
}

k=$((16 * M / 4096))	# the first bad 4 KiB block
for n in 1 2 3; do
	expect_fail "read #$n of 16M..17M" 1M 16 1
done
expect_fail "4 KiB read in the middle of the range" 4k $((k + 128)) 1
expect_fail "4 KiB read of the last block of the range" 4k $((k + 255)) 1
expect_fail "8 KiB read straddling the start of the range" 4k $((k - 1)) 2
expect_fail "8 KiB read straddling the end of the range" 4k $((k + 255)) 2
expect_ok "4 KiB read just before the range" 4k $((k - 1)) 1
expect_ok "4 KiB read just after the range" 4k $((k + 256)) 1
expect_ok "read of 0..16M" 1M 0 16
expect_ok "read of 17M..32M" 1M 17 15
expect_ok "read of 15M..16M" 1M 15 1
it_log "1: reads next to the range and of everything else before fio's region succeed"
if out=$(dd if=/dev/zero of="$IT_DEV" bs=4k seek=$((k + 64)) count=1 oflag=direct conv=notrunc status=none 2>&1); then
	it_fail "1: a write into the bad range succeeded"
fi
it_log "1: a write into the range: failed as expected: $out"
expect_ok "read of 16M-4K..16M after the failed write" 4k $((k - 1)) 1

kill -0 "$fpid" 2>/dev/null || it_fail "fio ended before the reads: not under load"
it_log "faultfs a: $(it_fault_state a | awk '$1 == "errors" || $1 == "ios"' | tr '\n' ' ')"
ferr=$(it_fault_state a | awk '$1 == "errors" { print $2 }')
[ "$ferr" -ge 8 ] || it_fail "faultfs a answered only $ferr I/O with an error: did the reads reach it?"

# 2. no path failed, nothing retried elsewhere
[ -z "$(it_log_after "$mark" "failed:")" ] ||
	it_fail "2: a path was failed because of a medium error: $(it_log_after "$mark" "failed:")"
for p in a b c; do
	it_expect_path_state "$p" active
	[ "$(it_path_json "$p" fail_count)" = 0 ] ||
		it_fail "2: path $p has fail_count $(it_path_json "$p" fail_count)"
done
for p in b c; do
	[ "$(it_path_json "$p" reads)" = 0 ] && [ "$(it_path_json "$p" writes)" = 0 ] ||
		it_fail "2: path $p carried I/O: the medium error was retried on another path"
done
[ "$(it_path_json a redriven)" = 0 ] || it_fail "2: path a re-drove $(it_path_json a redriven) I/O"
it_log "2: no path failed, nothing re-driven (path a counted $(it_path_json a errors) errors)"

it_wait_pid "$fpid" 30
it_fio_check medium $?
[ -z "$(it_log_after "$mark" "failed:")" ] || it_fail "2: a path failed: $(it_log_after "$mark" "failed:")"

# 4. the range heals
it_fault a ok
expect_ok "read of 16M..17M after ok" 1M 16 1
it_log "4: the range reads again after ok"
it_stop_daemon || it_fail "mpathfs exited with status $? after a clean unmount"
it_pass
