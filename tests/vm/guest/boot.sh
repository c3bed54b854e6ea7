#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Runs in the guest (started by /init once /usr and /vm are mounted): runs
# each test named in /vm/tests, one after another, under a time limit, and
# prints one result line per test on the console for run-vm.sh:
#
#   MPATHFS-VM-RESULT: PASS|FAIL|SKIP NAME (N s)
#
# A test's own output goes to the console and to /vm/out/NAME.log.
export LC_ALL=C
export PATH=/usr/sbin:/usr/bin:/bb
export HOME=/root
cd /

set -a
# shellcheck disable=SC1091
. /vm/env
set +a
limit=${MPATHFS_VM_TIMEOUT:-240}

if [ -d /sys/module/scsi_dh_alua ]; then
	echo "MPATHFS-VM-RESULT: FAIL boot (scsi_dh_alua is loaded: it would fight the daemon over ALUA states)"
	exit 1
fi

ntests=$(grep -c . /vm/tests)
k=0
while read -r t; do
	[ -n "$t" ] || continue
	k=$((k + 1))
	start=$(cut -d' ' -f1 /proc/uptime)
	# the last test need not take its SCSI targets down
	[ "$k" = "$ntests" ] && export VM_LAST_TEST=1
	# logs in out/NAME (out/NAME.K when NAME runs again in this boot)
	out=/vm/out/$t
	[ -e "$out" ] && out=/vm/out/$t.$k
	export VM_OUT_DIR=$out
	echo "mpathfs-vm: ===== $t (limit ${limit}s) ====="
	# SIGTERM at the limit lets the test clean up; SIGKILL 15 s later
	timeout -k 15 "$limit" bash "/vm/guest/test-$t.sh" 2>&1 | tee "$out.log"
	rc=${PIPESTATUS[0]}
	secs=$(awk -v a="$start" -v b="$(cut -d' ' -f1 /proc/uptime)" 'BEGIN { printf "%.0f", b - a }')
	case $rc in
	0) res=PASS why="" ;;
	77) res=SKIP why="" ;;
	124 | 137) res=FAIL why=", timed out after ${limit}s" ;;
	*) res=FAIL why=", exit status $rc" ;;
	esac
	echo "MPATHFS-VM-RESULT: $res $t (${secs}s$why)"
	echo "$res $t" >>/vm/results
	sync
done </vm/tests
exit 0
