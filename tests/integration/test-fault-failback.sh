#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Failover to a lower priority group when the better group's path dies, and
# failback per policy when the checker finds it healthy again. Two groups
# over the 3 paths of the fault bed: fast (priority 50) with path a, slow
# (priority 10) with paths b and c; path_checker = directio,
# polling_interval = 1 (max_polling_interval left at its default, as an
# admin would). For each failback policy (immediate, manual, followover, 3)
# a fresh daemon runs while fio (4 KiB random writes, O_DIRECT, libaio, 16
# in flight, crc32c verified as it goes) writes throughout, and:
#  1. `error EIO` on path a's faultfs: a is failed ("failed: I/O error")
#     and I/O moves to slow: the status line shows group 2 A (checked after
#     a few I/Os), b and c carry the writes, a none;
#  2. `ok`: the checker reinstates a within one polling interval plus 0.5 s
#     (measured from `ok` to the "reinstated" log line; the checker looks
#     at a failed path every polling_interval, and a check takes a few ms);
#  3. failback follows the policy (status letters after a few I/Os):
#     immediate: "failback to group 1" with the reinstatement, group 1 A;
#     manual: no failback; still group 2 A 3 s later; `switch_group fast`
#       then makes group 1 A;
#     followover: back at once, a being the first path of fast to return;
#     3: still group 2 A 1.5 s after the reinstatement, "failback to group
#       1" 2.5 .. 4 s after it, then group 1 A;
#  4. fio sees no error and every block verifies.
. "$(dirname "$0")/lib.sh"

it_require_env fio python3 jq
it_setup_faultbed 96M 3
A_DEV=${IT_PATHS[0]}

write_config() {	# write_config FAILBACK
	it_write_grouped_config "fast=50:a slow=10:b,c" "path_checker = directio" \
		"polling_interval = 1" "failback = $1" "no_path_retry = queue"
}

# some I/O, then the number of the active group from status
active_after_io() {
	dd if="$IT_DEV" of=/dev/null bs=4k count=16 iflag=direct status=none ||
		it_fail "a read failed"
	it_active_group
}

expect_active() {	# expect_active GROUP WHAT
	local g
	g=$(active_after_io)
	[ "$g" = "$1" ] ||
		it_fail "$policy: $2: status shows group '${g:-none}' active, expected $1: $(cat "$IT_MNT/status")"
}

run_policy() {	# run_policy FAILBACK FIO_SECONDS
	local line t_rein d w0 g i
	policy=failback=$1
	write_config "$1"
	it_start_daemon
	it_fio_start "fb-$1" --offset=0 --size=64M --time_based --runtime="$2"
	fpid=$IT_BG
	it_wait_path_writes a 200 "$policy: path a (group fast) carries no I/O"
	expect_active 1 "before the fault"

	# 1. path a dies: I/O moves to slow
	mark=$(it_log_mark)
	it_fault a error EIO
	line=$(it_wait_log "$mark" "path a ($A_DEV) failed:" 3) ||
		it_fail "$policy: path a was not failed within 3 s of answering EIO"
	case $line in
	*"failed: I/O error"*) ;;
	*) it_fail "$policy: path a was failed, but not by an I/O error: $line" ;;
	esac
	expect_active 2 "after path a failed"
	w0=$(($(it_path_json b writes) + $(it_path_json c writes)))
	wa=$(it_path_json a writes)
	sleep 0.3
	[ $(($(it_path_json b writes) + $(it_path_json c writes))) -gt "$w0" ] ||
		it_fail "$policy: paths b and c carry no writes after the failover"
	[ "$(it_path_json a writes)" = "$wa" ] || it_fail "$policy: failed path a still gets writes"
	it_log "$policy: 1: path a failed, I/O on group slow: $(it_group_states)"

	# 2. path a heals: the checker brings it back within one interval
	mark=$(it_log_mark)
	it_fault a ok
	line=$(it_wait_log "$mark" "path a ($A_DEV) reinstated:" 25) ||
		it_fail "$policy: path a was not reinstated within 25 s of the fault clearing"
	t_rein=$(it_log_sod "$line")
	d=$(it_sod_diff "$IT_FAULT_T0" "$t_rein")
	it_log "$policy: 2: $line"
	it_log "$policy: 2: ok -> reinstated: $d s (polling_interval 1 s, bound 1.5 s)"
	if ! it_fcmp "$d" "<=" 1.5; then
		late_rein+=("$policy: path a reinstated $d s after ok")
		it_log "$policy: 2: TOO LATE (recorded; the failback checks go on)"
	fi

	# 3. failback per policy
	case $1 in
	immediate | followover)
		line=$(it_wait_log "$mark" "failback to group 1 (fast)" 1) ||
			it_fail "$policy: no 'failback to group 1' within 1 s of the reinstatement"
		d=$(it_sod_diff "$t_rein" "$(it_log_sod "$line")")
		it_fcmp "$d" "<=" 0.1 || it_fail "$policy: failback came $d s after the reinstatement, not at once"
		expect_active 1 "after the reinstatement"
		it_log "$policy: 3: failback at once ($d s): $(it_group_states)"
		;;
	manual)
		sleep 1
		expect_active 2 "1 s after the reinstatement"
		sleep 2
		expect_active 2 "3 s after the reinstatement"
		[ -z "$(it_log_after "$mark" "failback")" ] ||
			it_fail "$policy: the daemon failed back by itself: $(it_log_after "$mark" "failback")"
		it_log "$policy: 3: still on group slow 3 s after the reinstatement: $(it_group_states)"
		it_ctl_ok switch_group fast
		expect_active 1 "after switch_group fast"
		it_log "$policy: 3: on group fast after switch_group: $(it_group_states)"
		;;
	*)
		while it_fcmp "$(it_sod_diff "$t_rein" "$(it_sod)")" "<" 1.5; do
			sleep 0.05
		done
		[ -z "$(it_log_after "$mark" "failback")" ] ||
			it_fail "$policy: failback within 1.5 s of the reinstatement: $(it_log_after "$mark" "failback")"
		expect_active 2 "1.5 s after the reinstatement"
		line=$(it_wait_log "$mark" "failback to group 1 (fast)" 5) ||
			it_fail "$policy: no 'failback to group 1' within 5 s of the reinstatement"
		d=$(it_sod_diff "$t_rein" "$(it_log_sod "$line")")
		it_log "$policy: 3: $line"
		it_log "$policy: 3: failback $d s after the reinstatement (failback = $1)"
		it_fcmp "$d" ">=" 2.5 || it_fail "$policy: failback came $d s after the reinstatement, expected >= 2.5 s"
		it_fcmp "$d" "<=" 4 || it_fail "$policy: failback came $d s after the reinstatement, expected <= 4 s"
		expect_active 1 "after the failback"
		;;
	esac
	kill -0 "$fpid" 2>/dev/null || it_log "$policy: note: fio ended before the failback was checked"
	it_wait_pid "$fpid" 60
	it_fio_check "fb-$1" $?
	it_expect_path_state a active
	it_stop_daemon || it_fail "$policy: mpathfs exited with status $? after a clean unmount"
}

late_rein=()
run_policy immediate 4
run_policy manual 7
run_policy followover 4
run_policy 3 8
[ ${#late_rein[@]} = 0 ] ||
	it_fail "the checker reinstated path a later than one polling interval (+0.5 s) after it healed: $(printf '%s; ' "${late_rein[@]}")"
it_pass
