#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The test bed itself, with nothing the daemon does not have yet: two LIO
# paths to one LUN (same WWID), data written through one path reads back
# through the other, mpathfs (path_checker = tur) serves ext4 with a
# verifying writer, and fail_path/reinstate_path move the I/O.
. "$(dirname "$0")/lib.sh"

vm_paths 2
w1=$(vm_wwid 1) w2=$(vm_wwid 2)
[ -n "$w1" ] && [ "$w1" = "$w2" ] || vm_fail "the two paths show WWIDs '$w1' and '$w2'"
vm_log "both paths: WWID $w1"
sg_turs "${VM_PATH_DEV[1]}" >/dev/null 2>&1 || sg_turs "${VM_PATH_DEV[1]}" || vm_fail "sg_turs on path 1 failed"

# a write on one path reads back on the other
dd if=/dev/urandom of="$VM_TMP/blk" bs=64k count=1 status=none
dd if="$VM_TMP/blk" of="${VM_PATH_DEV[1]}" bs=64k seek=100 oflag=direct status=none ||
	vm_fail "direct write on path 1 failed"
cmp <(dd if="${VM_PATH_DEV[2]}" bs=64k skip=100 count=1 iflag=direct status=none) "$VM_TMP/blk" ||
	vm_fail "path 2 does not read back what path 1 wrote"

vm_write_config "path_checker = tur" "polling_interval = 1" "max_polling_interval = 2" \
	"path_selector = round-robin"
vm_start_daemon
vm_paths_summary
vm_fs_up
vm_seed
vm_writer_start 20
sleep 5
vm_ctl_ok fail_path a
vm_wait_path a failed "" 5
sleep 4
vm_ctl_ok reinstate_path a
vm_wait_path a active ready 10
vm_writer_wait
vm_seed_check
vm_paths_summary
vm_fs_down
vm_check_kernel_errors
vm_stop_daemon || vm_fail "mpathfs exited non-zero after a clean stop"
vm_pass
