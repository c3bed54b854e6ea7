#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# (b) prio = alua with path_grouping_policy = group_by_prio. Two ALUA port
# groups: path a's is active/optimized; paths b and c share the other,
# active/non-optimized (so b and c group together whether the policy groups
# by priority value, as dm-multipath does, or by port group). a must be
# alone in the highest-priority group, and it alone carries the I/O. When
# a's port group goes standby, the I/O moves to the b+c group (whose
# priority is now the highest) and a carries none; when it is
# active/optimized again, failback (immediate) brings the I/O back to a.
# A verifying writer on ext4 runs throughout and sees no error.
. "$(dirname "$0")/lib.sh"

vm_lun 0 0123456789abcdef0123456789abcdef
vm_path 0
vm_path 0
vm_path 0 2	# c joins b's port group
vm_alua 2 1	# b's and c's port group: active/non-optimized
vm_write_config "path_checker = tur" "polling_interval = 1" "max_polling_interval = 2" \
	"prio = alua" "path_grouping_policy = group_by_prio" "failback = immediate" \
	"path_selector = round-robin" "no_path_retry = queue"
vm_start_daemon
vm_groups_summary

ga=$(vm_group_of a) gb=$(vm_group_of b) gc=$(vm_group_of c)
[ -n "$ga" ] && [ -n "$gb" ] || vm_fail "show topology json does not place the paths in groups"
[ "$gb" = "$gc" ] || vm_fail "b and c (both active/non-optimized) are in different groups ($gb, $gc)"
[ "$ga" != "$gb" ] || vm_fail "a (active/optimized) shares group $ga with b and c (active/non-optimized)"
[ "$(vm_group_paths "$ga")" = a ] || vm_fail "group $ga holds $(vm_group_paths "$ga"), expected only a"
pa=$(vm_group_prio "$ga") pb=$(vm_group_prio "$gb")
[ "$pa" -gt "$pb" ] || vm_fail "a's group $ga has priority $pa, not above b+c's group $gb ($pb)"
vm_log "groups: a in $ga (prio $pa); b, c in $gb (prio $pb)"

vm_fs_up
vm_seed
vm_writer_start 600
sleep 2
act=$(vm_active_group)
[ "$act" = "$ga" ] || vm_fail "the active group is '$act', expected a's group $ga"
vm_io_window 4
[ "${VM_DIO[1]}" -gt 0 ] || vm_fail "a (active/optimized) carried no I/O"
[ "${VM_DIO[2]}" = 0 ] && [ "${VM_DIO[3]}" = 0 ] ||
	vm_fail "the non-optimized paths b, c carried I/O (${VM_DIO[2]}, ${VM_DIO[3]}) while a was usable"

# a's port group goes standby: I/O moves to b and c
# the active group is the one holding path $1 (and only it, with $2 = alone)
active_is_of() {
	act=$(vm_active_group)
	[ -n "$act" ] && [ "$act" = "$(vm_group_of "$1")" ] &&
		{ [ "${2:-}" != alone ] || [ "$(vm_group_paths "$act")" = "$1" ]; }
}

vm_alua 1 2
vm_wait_until 20 "the move of the I/O to b+c's group after a went standby" active_is_of b
vm_log "active group is now $act (b, c) after $VM_WAITED s"
vm_groups_summary
vm_io_window 4
[ "${VM_DIO[1]}" = 0 ] || vm_fail "a (standby) still carried ${VM_DIO[1]} I/Os"
[ $((VM_DIO[2] + VM_DIO[3])) -gt 0 ] || vm_fail "b and c carried no I/O after a went standby"
gb=$(vm_group_of b) ga=$(vm_group_of a)
pa=$(vm_group_prio "$ga") pb=$(vm_group_prio "$gb")
[ "$pb" -gt "$pa" ] || vm_fail "b+c's group $gb (prio $pb) is not above a's group $ga (prio $pa) with a standby"

# a's port group active/optimized again: failback to a
vm_alua 1 0
vm_wait_until 20 "failback to a's group after it was active/optimized again" active_is_of a alone
vm_log "failback to a's group $act after $VM_WAITED s"
vm_io_window 4
[ "${VM_DIO[1]}" -gt 0 ] || vm_fail "a carried no I/O after failback"

vm_writer_stop
vm_seed_check
vm_paths_summary
vm_fs_down
vm_check_kernel_errors
vm_stop_daemon || vm_fail "mpathfs exited non-zero after a clean stop"
vm_pass
