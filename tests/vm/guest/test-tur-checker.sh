#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# (a) path_checker = tur on real SCSI paths. Three paths to one LUN, one
# group; a verifying writer on ext4 runs throughout. Each path in turn is
# faulted one way and must go failed with checker_state "faulty", then
# come back active with "ready" once the fault is cleared:
#   path a: its ALUA port group goes unavailable (state 3; TUR 02/04/0C)
#   path b: its target port goes offline (alua_tg_pt_offline; TUR 02/04/12)
#   path c: its transport goes offline (TUR "succeeds", host status 0x0e)
# After each, every path must carry I/O again. The writer sees no error,
# its data verifies, and the file system is clean.
. "$(dirname "$0")/lib.sh"

vm_paths 3
vm_write_config "path_checker = tur" "polling_interval = 1" "max_polling_interval = 2" \
	"checker_timeout = 2" "path_selector = round-robin" "no_path_retry = queue"
vm_start_daemon
for n in a b c; do
	vm_wait_path "$n" active ready 15
done
vm_fs_up
vm_seed
vm_writer_start 600

# every path carries I/O
all_paths_busy() {
	local i
	vm_io_window 3
	for ((i = 1; i <= 3; i++)); do
		[ "${VM_DIO[i]}" -gt 0 ] || vm_fail "path ${VM_PATH_NAMES[i]} carried no I/O $1"
	done
}
all_paths_busy "at the start"

vm_alua 1 3
vm_wait_path a failed faulty 20
vm_alua 1 0
vm_wait_path a active ready 20
all_paths_busy "after path a's port group came back"

vm_port_offline 2 1
vm_wait_path b failed faulty 20
vm_port_offline 2 0
vm_wait_path b active ready 20
all_paths_busy "after path b's port came back online"

vm_transport 3 offline
vm_wait_path c failed faulty 20
vm_transport 3 online
vm_wait_path c active ready 20
all_paths_busy "after path c's transport came back online"

vm_writer_stop
vm_seed_check
vm_paths_summary
vm_fs_down
vm_check_kernel_errors
vm_stop_daemon || vm_fail "mpathfs exited non-zero after a clean stop"
vm_pass
