#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# What a path fault costs the application, measured: mpathfs over an
# N-path fault bed (each path a loop device over its own faultfs, as in
# tests/faultbed.sh), fio writing 4 KiB random blocks (O_DIRECT, libaio, 16
# in flight) with a per-I/O latency log, and one fault per scenario:
#   eio   path a starts answering every I/O with EIO (`error EIO`)
#   hang  path a stops answering (`hang`), io_timeout = 2; the held I/O is
#         released 3 s after the daemon failed the path
# For each it prints the completion latency (p50/p99/p99.9/max) of all I/O
# of the run and of the I/O completing in the seconds after the fault, the
# time from the fault to the path failure (daemon log), and the time from
# the fault to the first successful re-driven I/O.
#
#   contrib/fault-latency.sh [--paths 3] [--seconds 20] [--selector failover]
#
# Needs root, /dev/fuse, loop devices, fio, python3, jq, and a build
# (MPATHFS and FAULTFS default to build/mpathfs, build/tests/faultfs/faultfs).
# Not part of the test suite. It sets up and cleans up with the integration
# tests' helpers (tests/integration/lib.sh): faults are released first,
# then fio, the mount, the loop devices and the faultfs mounts go, whatever
# way the script ends (a janitor process finishes the job if it is killed).
#
# Method. fio logs every I/O (--write_lat_log, log_avg_msec=0) with its
# completion time (log_unix_epoch: wall-clock ms) and its total latency
# (ns), so each I/O's start is completion - latency. The fault's time is
# the wall clock read in the script just before the faultfs command is
# written; the daemon's "path a ... failed" log line (local time of day,
# ms) is converted to the same clock. faultfs applies a fault to requests
# that reach it after the command, so I/O in flight at the fault itself
# may or may not be caught (printed for reference). The I/O the fault
# catches is the I/O on path a when the
# daemon fails it: the I/O whose error (EIO) or time-out fails the path and
# the rest of path a's I/O, which fails or times out after it; each is
# re-driven on another path and completes successfully there. With the
# default selector, failover, all I/O before the failure goes to path a,
# so the I/O in flight at the path failure (start < failure <= completion)
# is exactly that I/O, and "fault -> first successful re-driven I/O" is its
# earliest completion minus the fault time. (With a load-balancing selector
# most of it would be on healthy paths and the attribution would blur.)
# Resolution: 1 ms, that of fio's and the daemon's time stamps.
. "$(dirname "$0")/../tests/integration/lib.sh"

NPATHS=3
SECONDS_RUN=20
SELECTOR=failover
while [ $# -gt 0 ]; do
	case $1 in
	--paths) NPATHS=$2; shift 2 ;;
	--seconds) SECONDS_RUN=$2; shift 2 ;;
	--selector) SELECTOR=$2; shift 2 ;;
	-h | --help) sed -n '3,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "usage: $0 [--paths N] [--seconds S] [--selector SEL]" >&2; exit 2 ;;
	esac
done
[ "$NPATHS" -ge 2 ] 2>/dev/null || { echo "--paths: at least 2" >&2; exit 2; }
[ "$SECONDS_RUN" -ge 10 ] 2>/dev/null || { echo "--seconds: at least 10" >&2; exit 2; }

it_require_env fio python3 jq
IO_TIMEOUT=2
FAULT_AT=$((SECONDS_RUN / 4))
# a region fio does not cover twice: a write to a block whose timed-out
# write is still held waits for it (by design), which would add to the
# numbers; 100 MB/s of writes at most is assumed
SIZE_MB=$(( (SECONDS_RUN * 100 + 255) / 256 * 256 ))
it_setup_faultbed "$((SIZE_MB + 64))M" "$NPATHS"
A_DEV=${IT_PATHS[0]}

# run_scenario NAME: daemon, fio with a latency log, the fault at FAULT_AT
run_scenario() {
	local name=$1 fpid mark line t_fault t_fail="" t_rel="" t_start
	it_write_config "path_selector = $SELECTOR" "path_checker = directio" \
		"polling_interval = 1" "max_polling_interval = 2" "checker_timeout = 3" \
		"io_timeout = $IO_TIMEOUT" "no_path_retry = queue"
	it_start_daemon
	t_start=$EPOCHREALTIME
	it_bg fio --name="$name" --filename="$IT_DEV" --direct=1 --ioengine=libaio \
		--iodepth=16 --rw=randwrite --bs=4k --size="${SIZE_MB}M" --time_based \
		--runtime="$SECONDS_RUN" --randrepeat=0 --fallocate=none \
		--write_lat_log="$IT_TMP/$name" --log_avg_msec=0 --log_unix_epoch=1 \
		--output-format=json --output="$IT_TMP/$name.json" 2>"$IT_TMP/$name.err"
	fpid=$IT_BG
	while awk -v a="$t_start" -v b="$EPOCHREALTIME" -v s="$FAULT_AT" 'BEGIN { exit !(b - a < s) }'; do
		sleep 0.05
	done
	mark=$(it_log_mark)
	case $name in
	eio) it_fault a error EIO ;;
	hang) it_fault a hang ;;
	esac
	t_fault=$IT_FAULT_E0
	line=$(it_wait_log "$mark" "path a ($A_DEV) failed:" $((IO_TIMEOUT + 3))) ||
		it_fail "$name: path a was not failed"
	t_fail=$(it_log_sod "$line")
	if [ "$name" = hang ]; then
		while it_fcmp "$(it_sod_diff "$t_fail" "$(it_sod)")" "<" 3; do
			sleep 0.05
		done
		t_rel=$EPOCHREALTIME
		it_fault a release
	fi
	it_wait_pid "$fpid" $((SECONDS_RUN + 30))
	rc=$?
	[ "$rc" = 0 ] || it_fail "$name: fio exited $rc: $(tail -3 "$IT_TMP/$name.err")"
	it_fault a ok
	it_stop_daemon >/dev/null || it_fail "$name: mpathfs exited with status $?"
	python3 - "$name" "$IT_TMP/${name}_lat.1.log" "$t_fault" "$t_fail" "$IT_TZOFF" \
		"${t_rel:-0}" "$IT_TMP/$name.json" <<'PY'
import json, sys
name, log, t_fault, t_fail_sod, tzoff, t_rel, js = sys.argv[1:8]
t_fault = float(t_fault) * 1000.0            # ms, wall clock
tzoff = float(tzoff)
t_rel = float(t_rel) * 1000.0
# the daemon's log time of day -> wall clock ms, on the fault's day
day0 = ((t_fault / 1000.0 + tzoff) // 86400) * 86400 - tzoff
t_fail = (day0 + float(t_fail_sod)) * 1000.0
if t_fail - t_fault < -43200e3:
    t_fail += 86400e3

ios = []                                     # (start ms, completion ms, latency ms)
for line in open(log):
    f = [x.strip() for x in line.split(',')]
    if len(f) < 3 or f[2] != '1':
        continue
    c, lat = float(f[0]), int(f[1]) / 1e6
    ios.append((c - lat, c, lat))
ios.sort(key=lambda x: x[1])

def pct(v, p):
    if not v:
        return float('nan')
    v = sorted(v)
    return v[min(len(v) - 1, int(round(p / 100.0 * (len(v) - 1))))]

def stats(sel):
    lat = [x[2] for x in sel]
    return ('%7d I/O  p50 %8.3f  p99 %8.3f  p99.9 %8.3f  max %9.3f ms'
            % (len(lat), pct(lat, 50), pct(lat, 99), pct(lat, 99.9), max(lat) if lat else float('nan')))

win = 5000.0 if name == 'eio' else 7000.0
# caught: in flight on the path when the daemon failed it (with failover,
# all I/O before the failure is on path a); it completes by re-drive
inflight = [x for x in ios if x[0] < t_fault < x[1]]
caught = [x for x in ios if x[0] < t_fail <= x[1]]
before = [x for x in ios if x[1] < t_fault]
after = [x for x in ios if t_fault <= x[1] < t_fault + win]
doc = json.load(open(js))['jobs'][0]['write']
print('scenario %s (path a: %s)' % (name, '`error EIO`' if name == 'eio' else
                                   '`hang`, `release` 3 s after the path failure'))
print('  fio: %.0f write IOPS over the run (%d I/O logged)' % (doc['iops'], len(ios)))
print('  latency, whole run        ' + stats(ios))
print('  latency, before the fault ' + stats(before))
print('  latency, %4.1f s after it  ' % (win / 1000) + stats(after))
print('  fault -> path failed (daemon log):          %8.1f ms' % (t_fail - t_fault))
if caught:
    first = min(x[1] for x in caught)
    print('  fault -> first successful re-driven I/O:    %8.1f ms' % (first - t_fault))
    print('  in flight at the path failure: %d I/O (started %.1f..%.1f ms after the fault),'
          ' all re-driven and done %.1f ms after the fault'
          % (len(caught), min(x[0] for x in caught) - t_fault,
             max(x[0] for x in caught) - t_fault, max(x[1] for x in caught) - t_fault))
else:
    print('  fault -> first successful re-driven I/O:         n/a (no I/O in flight at the failure)')
print('  in flight at the fault itself: %d I/O, the last done %.1f ms after it'
      % (len(inflight), max([x[1] for x in inflight] + [t_fault]) - t_fault))
# the longest stretch with no completion at all around the fault
cs = [x[1] for x in ios if t_fault - 1000 <= x[1] <= t_fault + win]
gaps = [(b - a, a) for a, b in zip(cs, cs[1:])]
if gaps:
    g, at = max(gaps)
    print('  longest gap between completions near the fault: %.1f ms (from %+.1f ms)'
          % (g, at - t_fault))
if t_rel:
    print('  release of the held I/O at %+.1f ms after the fault' % (t_rel - t_fault))
PY
}

echo "fault-latency: $NPATHS paths, $SECONDS_RUN s per scenario, fault at +$FAULT_AT s," \
	"selector $SELECTOR, fio randwrite 4k iodepth 16 over ${SIZE_MB} MiB"
run_scenario eio
run_scenario hang
exit 0
