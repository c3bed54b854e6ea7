#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# (e) A path to another LUN is refused at start. LUN 0 has paths a and b,
# LUN 1 (another fileio backstore, another serial, so another NAA WWID in
# VPD 0x83, but the same size) has path c. mpathfs over a and b starts;
# over a, b and c it must exit non-zero without mounting anything, with a
# message naming both WWIDs.
. "$(dirname "$0")/lib.sh"

vm_paths 2
vm_lun 1 fedcba9876543210fedcba9876543210
vm_path 1
w0=$(vm_wwid 1) w1=$(vm_wwid 3)
[ "$(vm_wwid 2)" = "$w0" ] || vm_fail "test bed: paths a and b show different WWIDs ($w0, $(vm_wwid 2))"
[ -n "$w1" ] && [ "$w1" != "$w0" ] || vm_fail "test bed: LUN 1's WWID '$w1' does not differ from LUN 0's '$w0'"
vm_log "LUN 0: $w0 (paths a, b); LUN 1: $w1 (path c)"
[ "$(blockdev --getsize64 "${VM_PATH_DEV[1]}")" = "$(blockdev --getsize64 "${VM_PATH_DEV[3]}")" ] ||
	vm_fail "test bed: the LUNs differ in size, the WWID would not be the only difference"

# control: the two paths to one LUN are accepted (tur checker, as in use)
c_dev=${VM_PATH_DEV[3]}
unset 'VM_PATH_DEV[3]'
vm_write_config "path_checker = tur"
vm_start_daemon
vm_stop_daemon || vm_fail "mpathfs exited non-zero after a clean stop"

VM_PATH_DEV[3]=$c_dev
vm_write_config "path_checker = tur"
mkdir -p "$VM_MNT"
log=$VM_OUT/refused.log
timeout 60 "$MPATHFS" "$VM_MNT" -c "$VM_CFG" -f -v >"$log" 2>&1 &
pid=$!
# if it mounts after all, take it down (and fail)
for ((i = 0; i < 600; i++)); do
	kill -0 "$pid" 2>/dev/null || break
	if vm_mounted "$VM_MNT"; then
		VM_DAEMON_PID=$pid
		sleep 1
		vm_paths_summary
		vm_stop_daemon
		cat "$log"
		vm_fail "mpathfs mounted the device over paths to two LUNs ($w0, $w1)"
	fi
	sleep 0.1
done
wait "$pid"
rc=$?
cat "$log"
[ "$rc" != 124 ] || vm_fail "mpathfs neither mounted nor exited within 60 s"
[ "$rc" != 0 ] || vm_fail "mpathfs exited 0 with paths to two LUNs"
vm_mounted "$VM_MNT" && vm_fail "mpathfs exited ($rc) but left $VM_MNT mounted"
vm_log "mpathfs refused the config (exit status $rc)"

# the message names both WWIDs (the 32 hex digits, whatever the prefix:
# naa.6001405..., 36001405..., 0x6001405...)
for w in "$w0" "$w1"; do
	hex=${w#naa.}
	grep -qi "$hex" "$log" || vm_fail "mpathfs's message does not name the WWID $w"
done
vm_pass
