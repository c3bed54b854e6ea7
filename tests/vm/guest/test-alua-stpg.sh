#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# (c) hardware_handler = alua: explicit activation with STPG. Path a's
# port group is active/optimized, b's and c's standby; one path per group
# (path_grouping_policy = failover), prio = alua, failback = manual.
# switch_group to b's group must send STPG for b's port group only (its
# alua_access_state becomes 0 in configfs, c's stays standby), count a
# pg_init, and the I/O must go on through b. A verifying writer on ext4
# runs throughout and sees no error.
. "$(dirname "$0")/lib.sh"

vm_paths 3
vm_alua 2 2
vm_alua 3 2
vm_write_config "path_checker = tur" "polling_interval = 1" "max_polling_interval = 2" \
	"hardware_handler = alua" "prio = alua" "path_grouping_policy = failover" \
	"failback = manual" "no_path_retry = queue" "pg_init_retries = 3" "pg_init_delay_msecs = 500"
vm_start_daemon
vm_groups_summary
ga=$(vm_group_of a) gb=$(vm_group_of b) gc=$(vm_group_of c)
[ -n "$ga" ] && [ -n "$gb" ] && [ -n "$gc" ] || vm_fail "show topology json does not place the paths in groups"
[ "$ga" != "$gb" ] && [ "$gb" != "$gc" ] && [ "$ga" != "$gc" ] ||
	vm_fail "path_grouping_policy = failover did not give one group per path ($ga $gb $gc)"

vm_fs_up
vm_seed
vm_writer_start 600
sleep 2
act=$(vm_active_group)
[ "$act" = "$ga" ] || vm_fail "the active group is '$act', expected a's group $ga (the only active/optimized one)"
vm_io_window 3
[ "${VM_DIO[1]}" -gt 0 ] || vm_fail "a carried no I/O"
[ "$(vm_alua_get 2)" = 2 ] && [ "$(vm_alua_get 3)" = 2 ] ||
	vm_fail "b's or c's port group left standby before any switch ($(vm_alua_get 2), $(vm_alua_get 3))"
pg0=$(vm_json topology | jq -r '.pg_init_count')

vm_ctl_ok switch_group "$gb"
b_optimized() { [ "$(vm_alua_get 2)" = 0 ]; }
vm_wait_until 20 "b's port group becoming active/optimized (STPG) after switch_group $gb" b_optimized
vm_log "b's port group is active/optimized $VM_WAITED s after switch_group"
[ "$(vm_alua_get 3)" = 2 ] || vm_fail "c's port group changed to $(vm_alua_get 3): STPG must name only the group it activates"
pg1=$(vm_json topology | jq -r '.pg_init_count')
[ "$pg1" -gt "$pg0" ] 2>/dev/null || vm_fail "pg_init_count did not grow ($pg0 -> $pg1)"
active_is_b() { act=$(vm_active_group); [ "$act" = "$gb" ]; }
vm_wait_until 10 "b's group $gb becoming the active one after switch_group" active_is_b
sleep 2
vm_io_window 4
[ "${VM_DIO[2]}" -gt 0 ] || vm_fail "b carried no I/O after the switch to its group"
[ "${VM_DIO[1]}" = 0 ] || vm_fail "a still carried ${VM_DIO[1]} I/Os after the switch to b's group"
[ "${VM_DIO[3]}" = 0 ] || vm_fail "c (standby) carried ${VM_DIO[3]} I/Os"

vm_writer_stop
vm_seed_check
vm_paths_summary
vm_fs_down
vm_check_kernel_errors
vm_stop_daemon || vm_fail "mpathfs exited non-zero after a clean stop"
vm_pass
