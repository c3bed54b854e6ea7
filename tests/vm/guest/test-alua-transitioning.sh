#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# (d) A port group in transition (ALUA state 15: every command answers
# NOT READY 02/04/0A, and sd retries data I/O for up to 180 s) must get no
# I/O, and no I/O may stall beyond io_timeout. Two paths, both
# active/optimized, prio = alua (group_by_prio), io_timeout = 5, tur
# checker every second. A verifying writer on ext4 runs; path a's port
# group goes transitioning. Once io_timeout and two checker intervals have
# passed, a must take no I/O for 10 s (mpathfs's counters and the sd
# device's block-layer counters both flat) while b carries it (whether a
# and b share a group or each has its own); then a's port group is
# active/optimized again and a must be usable again.
#
# Two writers run throughout and see no error: the usual verifying one on
# ext4 (on the device's first 112 MiB), and a raw one straight on the
# device file, over 1 MiB past the file system, that only writes (a
# verifying fio spends half its time reading back, and only writes must
# wait for an older write to the same blocks). The raw one measures
# mpathfs's own stalls: its slowest write must be under io_timeout +
# MPATHFS_VM_STALL_MARGIN (default 4) seconds. Its area is small on
# purpose: a write that was in flight on a when the transition began stays
# in sd's retries (6 x scsi_timeout) and keeps its blocks fenced, so newer
# writes to the same blocks wait for it (each block is written again
# within a second): scsi_timeout must bound that by io_timeout.
# So that some of its writes are surely in flight on a at that moment, the
# ext4 writer is paused (SIGSTOP) for the second around the transition.
# An ext4 write can wait for a journal write that itself waited out
# io_timeout, so the ext4 writer gets twice io_timeout + the margin.
. "$(dirname "$0")/lib.sh"

io_timeout=6
margin=${MPATHFS_VM_STALL_MARGIN:-4}
prio=${MPATHFS_VM_TRANS_PRIO:-alua}
cfg=("path_checker = tur" "polling_interval = 1" "max_polling_interval = 2" "checker_timeout = 2"
	"io_timeout = $io_timeout" "scsi_timeout = 1" "prio = $prio" "path_selector = round-robin" "no_path_retry = queue")
[ "$prio" = alua ] && cfg+=("path_grouping_policy = group_by_prio")
vm_paths 2
vm_write_config "${cfg[@]}"
vm_start_daemon
vm_fs_up 112
vm_seed
vm_writer_start 600
vm_fio_start raw 600 / --filename="$VM_DEV" --offset=112M --size=1M --iodepth=8 --fallocate=none --verify=0
sleep 2
vm_groups_summary
vm_io_window 3
# a's group is first (or a shares one group with b): a carries I/O
[ "${VM_DIO[1]}" -gt 0 ] || vm_fail "a (active/optimized, first in the config) carried no I/O"

kill -STOP "${VM_FIO_PID[fs]}"
sleep 1
vm_alua 1 15
sleep 1
kill -CONT "${VM_FIO_PID[fs]}"
settle=$((io_timeout + 2 * 2 + 1))
vm_log "waiting ${settle}s (io_timeout + 2 checker intervals) for a to be out of use"
sleep "$settle"
vm_paths_summary
inflight0=$(vm_pfield a inflight_ios)
vm_io_window 10
[ "${VM_DIO[1]}" = 0 ] || vm_fail "a (transitioning) completed ${VM_DIO[1]} I/Os in mpathfs's counters"
[ "${VM_DBLK[1]}" = 0 ] || vm_fail "a (transitioning) was sent ${VM_DBLK[1]} I/Os (its sd block-layer counters)"
[ "$(vm_pfield a inflight_ios)" -le "$inflight0" ] ||
	vm_fail "a's in-flight I/Os grew from $inflight0 to $(vm_pfield a inflight_ios) while transitioning"
[ "${VM_DIO[2]}" -gt 0 ] || vm_fail "b carried no I/O while a was transitioning (I/O stalled)"

vm_alua 1 0
vm_wait_path a active ready 30

vm_fio_end raw stop
raw_max=$VM_FIO_CLAT_MAX
vm_writer_stop
limit=$((io_timeout + margin))
vm_fcmp "$raw_max" "<" "$limit" ||
	vm_fail "a write on the device file stalled $raw_max s, beyond io_timeout ($io_timeout s) + ${margin} s"
limit=$((2 * io_timeout + margin))
vm_fcmp "$VM_WRITER_CLAT_MAX" "<" "$limit" ||
	vm_fail "an ext4 write stalled $VM_WRITER_CLAT_MAX s, beyond 2 x io_timeout ($io_timeout s) + ${margin} s"
vm_seed_check
vm_paths_summary
vm_fs_down
vm_check_kernel_errors
vm_stop_daemon || vm_fail "mpathfs exited non-zero after a clean stop"
vm_pass
