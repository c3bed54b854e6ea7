#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Not a test: captures what LIO answers, for the decoders' unit tests
# (tests/unit/test-scsi.c). `tests/vm/run-vm.sh capture` leaves in
# out/capture/ one hex dump per buffer (od -An -tx1): the standard
# INQUIRY, VPD page 0x83, REPORT TARGET PORT GROUPS in several ALUA states,
# and the sense data TEST UNIT READY gets in each state (from sg_raw -vv).
. "$(dirname "$0")/lib.sh"

dev() { echo "${VM_PATH_DEV[$1]}"; }
hex() { od -An -tx1 -v >"$VM_OUT/$1.hex"; }
# a TUR through sg_raw; its verbose output carries the raw sense in hex
tur_sense() { sg_raw -vv "$(dev "$1")" 00 00 00 00 00 00 >"$VM_OUT/$2.txt" 2>&1 || true; }

vm_paths 3
sg_inq --raw "$(dev 1)" | hex inquiry
sg_vpd --page=0x83 --raw "$(dev 1)" | hex vpd83
sg_vpd --page=0x83 --raw "$(dev 3)" | hex vpd83-path3
tur_sense 1 sense-first-tur
sg_rtpg --raw "$(dev 1)" | hex rtpg-all-ao
vm_alua 2 2
vm_alua 3 3
tur_sense 2 sense-ua-inquiry-changed
tur_sense 2 sense-standby
tur_sense 3 sense-ua-path3
tur_sense 3 sense-unavailable
sg_rtpg --raw "$(dev 1)" | hex rtpg-ao-sb-ua
vm_alua 2 15
vm_alua 3 1
tur_sense 2 sense-ua-state-changed
tur_sense 2 sense-transitioning
sg_rtpg --raw "$(dev 1)" | hex rtpg-ao-tr-ano
vm_alua 2 0
vm_alua 3 0
vm_port_offline 2 1
tur_sense 2 sense-ua-port
tur_sense 2 sense-port-offline
vm_port_offline 2 0
sg_rtpg --raw "$(dev 2)" | hex rtpg-from-path2
ls -l "$VM_OUT"
vm_pass
