#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The `events` file under a scripted fault sequence, over 3 paths of the
# fault bed (fast = a b at priority 50, slow = c at 10; round-robin,
# directio checker every second, failback manual, no flap damping).
# A reader (python3) opens `events` non-blocking and poll()s it, reading
# every line on each wake; a second reader is a plain blocking `cat`.
# Before each step the test waits until the poll reader sleeps in poll()
# (process state S, in the kernel's poll wait), then runs the step:
#   0. a first read: group_switch to fast
#   1. fail_path a / 2. reinstate_path a (by administrator)
#   3. faultfs EIO on b under a writer: path_failed b (I/O error, or the
#      checker if it looked first)
#   4. faultfs ok on b: path_reinstated b by the checker
#   5. switch_group slow and a read: group_switch to slow
#   6. every path failed, no_path_retry = queue: three path_failed, then
#      no_path "queueing I/O until a path returns", and a write waits
#   7. reinstate_path a: path_reinstated a, queueing "queueing ended: 1
#      queued I/O resumed" and, as the write goes on, group_switch to fast
#   8. reinstate b and c; disable_group / enable_group slow;
#      fail_if_no_path / queue_if_no_path
# Asserts that
#  1. exactly the expected lines arrive, in order, each parsed as
#     "TIME TYPE path=P group=G reason="..."" (TIME UTC ISO 8601 with ms,
#     not before the step began, not after the reader got it, never going
#     back; P and G "-" where the event has none);
#  2. poll() blocked: before any event (and after the last) a poll with a
#     1.5 s time-out returns nothing, every wake of the reader read at
#     least one line, and the reader slept in poll() before every step;
#  3. the blocking `cat` reader got the very same lines;
#  4. three blocking readers during a storm of events from two threads
#     never see end of file and each get every line;
#  5. a signal to a reader blocked in read() ends that read with EINTR
#     (the daemon answers the interrupt), and the next read gets the next
#     event.
. "$(dirname "$0")/lib.sh"

it_require_env python3 jq mkfifo
it_setup_faultbed 64M 3
it_write_grouped_config "fast=50:a,b slow=10:c" "path_selector = round-robin" \
	"path_checker = directio" "polling_interval = 1" "max_polling_interval = 2" \
	"; a check slowed down by a loaded machine must not fail a path" \
	"checker_timeout = 30" "failback = manual" "no_path_retry = queue" "flap_threshold = 0"
it_start_daemon

# ---------------------------------------------------------------- the readers
# The poll reader. Its log ($OUT), a line each: READY; "POLL N" just
# before each poll() (N lines read so far); "WAKE TIME REVENTS"; "EV TIME
# LINE" per event line (TIME: when it was read); EMPTY for a wake with
# nothing to read; "IDLE N" for a poll of 1.5 s asked for on the fifo (N
# fds ready); QUIT. It exits 2 on end of file, 3 on POLLERR/POLLHUP.
cat >"$IT_TMP/reader.py" <<'PY'
import os, select, sys, time
ev_path, fifo, out = sys.argv[1:4]
o = open(out, 'w', buffering=1)
efd = os.open(ev_path, os.O_RDONLY | os.O_NONBLOCK)
cfd = os.open(fifo, os.O_RDWR | os.O_NONBLOCK)	# RDWR: never a hang-up
p = select.poll()
p.register(efd, select.POLLIN)
p.register(cfd, select.POLLIN)
n, buf = 0, b''
o.write('READY\n')
while True:
    o.write('POLL %d\n' % n)
    ready = p.poll()
    t = time.time()
    for fd, rev in ready:
        if fd == efd:
            o.write('WAKE %.6f %d\n' % (t, rev))
            if rev & (select.POLLERR | select.POLLHUP | select.POLLNVAL):
                o.write('ERR %d\n' % rev)
                sys.exit(3)
            got = 0
            while True:
                try:
                    chunk = os.read(efd, 65536)
                except BlockingIOError:
                    break
                if not chunk:
                    o.write('EOF\n')
                    sys.exit(2)
                got += len(chunk)
                buf += chunk
            if not got:
                o.write('EMPTY\n')
            while b'\n' in buf:
                line, buf = buf.split(b'\n', 1)
                o.write('EV %.6f %s\n' % (t, line.decode('utf-8', 'replace')))
                n += 1
        else:
            for cmd in os.read(cfd, 4096).decode().split():
                if cmd == 'quit':
                    o.write('QUIT %d\n' % n)
                    sys.exit(0)
                if cmd == 'idle':
                    q = select.poll()
                    q.register(efd, select.POLLIN)
                    o.write('IDLE %d\n' % len(q.poll(1500)))
PY
FIFO=$IT_TMP/reader.fifo
OUT=$IT_TMP/reader.out
mkfifo "$FIFO" || it_fail "mkfifo $FIFO"
it_bg python3 "$IT_TMP/reader.py" "$IT_MNT/events" "$FIFO" "$OUT"
RPID=$IT_BG
cat "$IT_MNT/events" >"$IT_TMP/cat.out" &
CATPID=$!
IT_BG_PIDS+=("$CATPID")
it_record bg "$CATPID"
for ((i = 0; i < 200; i++)); do
	[ "$(readlink "/proc/$CATPID/fd/3")" = "$IT_MNT/events" ] && break
	sleep 0.05
done
[ "$(readlink "/proc/$CATPID/fd/3")" = "$IT_MNT/events" ] || it_fail "cat did not open $IT_MNT/events"

# it waits in poll(): its log ends in "POLL N" (N lines read) and it sleeps
# in the kernel's poll wait
blocked() {	# N
	local i st wchan
	for ((i = 0; i < 1200; i++)); do
		kill -0 "$RPID" 2>/dev/null || it_fail "the poll reader died: $(tail -5 "$OUT")"
		if [ "$(tail -n 1 "$OUT" 2>/dev/null)" = "POLL $1" ]; then
			st=$(awk '{ print $3 }' "/proc/$RPID/stat" 2>/dev/null)
			wchan=$(cat "/proc/$RPID/wchan" 2>/dev/null)
			if [ "$st" = S ]; then
				case $wchan in
				*poll* | 0 | "") return 0 ;;
				esac
			fi
		fi
		sleep 0.025
	done
	it_fail "the poll reader is not asleep in poll() with $1 lines read: log '$(tail -n 3 "$OUT" | tr '\n' '|')', state $st, wchan $wchan"
}

# the reader polls with a time-out on request: nothing may be ready
idle() {	# WHAT
	local before i
	before=$(grep -c '^IDLE ' "$OUT")
	echo idle >"$FIFO"
	for ((i = 0; i < 1200; i++)); do
		[ "$(grep -c '^IDLE ' "$OUT")" -gt "$before" ] && break
		sleep 0.025
	done
	grep '^IDLE ' "$OUT" | tail -n 1 | grep -qx 'IDLE 0' ||
		it_fail "$1: poll() on events did not block with no event: $(grep '^IDLE ' "$OUT" | tail -n 1)"
}

for ((i = 0; i < 600; i++)); do
	grep -q '^POLL 0' "$OUT" 2>/dev/null && break
	sleep 0.05
done
grep -q '^POLL 0' "$OUT" 2>/dev/null || it_fail "the poll reader did not start within 30 s: $(cat "$OUT" 2>/dev/null)"
blocked 0
idle "before any event"
blocked 0
it_log "2: the reader sleeps in poll(); a poll with a 1.5 s time-out returns nothing"

# ---------------------------------------------------------------- the steps
# EXPECT: one "STEP|TYPE|PATH|GROUP|REASON_REGEX" per line to come;
# STEP_T[step]: the time (epoch s) just before the step began
EXPECT=$IT_TMP/expect
: >"$EXPECT"
STEP_T=()
NSTEP=0
step() {	# DESCRIPTION: wait until the reader sleeps in poll, note the time
	blocked "$(wc -l <"$EXPECT")"
	STEP_T[NSTEP]=$EPOCHREALTIME
	it_log "step $NSTEP: $1"
}
expect() {	# TYPE PATH GROUP REASON_REGEX
	printf '%s|%s|%s|%s|%s\n' "$NSTEP" "$1" "$2" "$3" "$4" >>"$EXPECT"
}
arrived() {	# wait until the reader has every expected line
	local want i
	want=$(wc -l <"$EXPECT")
	for ((i = 0; i < 1200; i++)); do
		[ "$(grep -c '^EV ' "$OUT")" -ge "$want" ] && break
		sleep 0.025
	done
	[ "$(grep -c '^EV ' "$OUT")" -ge "$want" ] ||
		it_fail "step $NSTEP: $(grep -c '^EV ' "$OUT") event lines arrived within 30 s, $want expected; got: $(grep '^EV ' "$OUT" | cut -d' ' -f3- | tail -n 5)"
	NSTEP=$((NSTEP + 1))
}
one_read() {
	dd if="$IT_DEV" of=/dev/null bs=4k count=1 iflag=direct status=none || it_fail "a read failed"
}

step "a first read chooses group fast"
expect group_switch - fast 'group 1 is now active'
one_read
arrived

step "fail_path a"
expect path_failed a fast 'failed by administrator'
it_ctl_ok fail_path a
arrived

step "reinstate_path a"
expect path_reinstated a fast 'reinstated by administrator'
it_ctl_ok reinstate_path a
arrived

# a writer, so path b fails on I/O (round-robin sends it every other write)
it_bg dd if=/dev/zero of="$IT_DEV" bs=4k count=200000 oflag=direct conv=notrunc status=none
ddpid=$IT_BG
it_wait_path_writes b 20 "path b carries no writes"
step "faultfs: every I/O on path b fails with EIO, under writes"
expect path_failed b fast '(I/O error: .*|checker faulty: .*)'
it_fault b error EIO
arrived
kill "$ddpid" 2>/dev/null
wait "$ddpid" 2>/dev/null

step "faultfs: path b healthy again, for the checker to find"
expect path_reinstated b fast 'checker: .*'
it_fault b ok
arrived

step "switch_group slow, and a read"
expect group_switch - slow 'group 2 is now active'
it_ctl_ok switch_group slow
one_read
arrived

step "every path failed (no_path_retry = queue), and a write"
expect path_failed a fast 'failed by administrator'
expect path_failed b fast 'failed by administrator'
expect path_failed c slow 'failed by administrator'
expect no_path - - 'queueing I/O until a path returns'
it_ctl_ok fail_path a
it_ctl_ok fail_path b
it_ctl_ok fail_path c
it_bg dd if=/dev/zero of="$IT_DEV" bs=4k count=1 seek=100 oflag=direct conv=notrunc status=none
ddpid=$IT_BG
arrived
for ((i = 0; i < 200; i++)); do
	[ "$(it_queued)" -ge 1 ] && break
	sleep 0.05
done
[ "$(it_queued)" = 1 ] || it_fail "the write is not queued: $(cat "$IT_MNT/status")"

step "reinstate_path a: queueing ends, the queued write goes to group fast"
expect path_reinstated a fast 'reinstated by administrator'
expect queueing a fast 'queueing ended: 1 queued I/O resumed'
expect group_switch - fast 'group 1 is now active'
it_ctl_ok reinstate_path a
arrived
it_wait_pid "$ddpid" 30 || it_fail "the queued write failed or hangs after path a came back"

step "reinstate b and c"
expect path_reinstated b fast 'reinstated by administrator'
expect path_reinstated c slow 'reinstated by administrator'
it_ctl_ok reinstate_path b
it_ctl_ok reinstate_path c
arrived

step "disable_group slow, enable_group slow"
expect group_disabled - slow 'by command'
expect group_enabled - slow 'by command'
it_ctl_ok disable_group slow
it_ctl_ok enable_group 2
arrived

step "fail_if_no_path, queue_if_no_path"
expect queueing - - 'fail_if_no_path by command'
expect queueing - - 'queue_if_no_path by command'
it_ctl_ok fail_if_no_path
it_ctl_ok queue_if_no_path
arrived
END_T=$EPOCHREALTIME

blocked "$(wc -l <"$EXPECT")"
idle "after the last event"
blocked "$(wc -l <"$EXPECT")"
echo quit >"$FIFO"
it_wait_pid "$RPID" 10
rc=$?
[ "$rc" = 0 ] || it_fail "the poll reader exited $rc: $(tail -n 5 "$OUT")"

# ---------------------------------------------------------------- the checks
printf '%s\n' "${STEP_T[@]}" >"$IT_TMP/step_t"
msg=$(python3 - "$OUT" "$EXPECT" "$IT_TMP/step_t" "$END_T" <<'PY' 2>&1
import calendar, re, sys, time
out, expect, step_t, end_t = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
log = open(out).read().splitlines()
want = [l.split('|', 4) for l in open(expect).read().splitlines()]
starts = [float(x) for x in open(step_t).read().split()]
LINE = re.compile(r'^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)\.(\d{3})Z (\S+) path=(\S+) group=(\S+) '
                  r'reason="((?:[^"\\]|\\.)*)"$')
evs, wakes, empty = [], 0, 0
pending = 0
for l in log:
    if l.startswith('WAKE '):
        wakes += 1
    elif l == 'EMPTY':
        empty += 1
    elif l.startswith('EV '):
        _, t, line = l.split(' ', 2)
        evs.append((float(t), line))
    elif l.startswith(('ERR', 'EOF')):
        sys.exit('the reader saw %s' % l)
bad = []
if empty:
    bad.append('%d wakes of poll() with nothing to read' % empty)
if wakes > len(evs):
    bad.append('%d wakes for %d lines' % (wakes, len(evs)))
if len(evs) != len(want):
    bad.append('%d lines, %d expected' % (len(evs), len(want)))
last = 0
for i, ((tread, line), w) in enumerate(zip(evs, want)):
    step, typ, path, group, reason = w
    m = LINE.match(line)
    if not m:
        bad.append('line %d does not parse: %r' % (i, line))
        continue
    y, mo, d, h, mi, s, ms = (int(x) for x in m.groups()[:7])
    t = calendar.timegm((y, mo, d, h, mi, s)) + ms / 1000
    got = (m.group(8), m.group(9), m.group(10))
    if got != (typ, path, group) or not re.fullmatch(reason, m.group(11)):
        bad.append('line %d (step %s): %r, expected %s path=%s group=%s reason=/%s/' %
                   (i, step, line, typ, path, group, reason))
    # the stamp has ms: not before the step began (ms truncated), not
    # after the reader read it, never back in time
    if t < int(starts[int(step)] * 1000) / 1000 or t > tread + 0.001 or t < last:
        bad.append('line %d: time %.3f out of order (step began %.3f, read %.3f, previous %.3f)' %
                   (i, t, starts[int(step)], tread, last))
    last = t
print('%d lines in order, %d wakes of poll()' % (len(evs), wakes))
if bad:
    print('\n'.join(bad[:20]))
    print('got:\n' + '\n'.join(l for _, l in evs))
    sys.exit(1)
PY
) || it_fail "1: $msg"
it_log "1-2: $msg, each with time, type, path, group, reason; poll() never woke for nothing"
grep '^EV ' "$OUT" | cut -d' ' -f3- | while read -r l; do it_log "  $l"; done

# the blocking reader got the same lines (give it time to read the last)
n=$(grep -c '^EV ' "$OUT")
for _ in $(seq 100); do
	[ "$(wc -l <"$IT_TMP/cat.out")" -ge "$n" ] && break
	sleep 0.1
done
# a fatal signal to a reader whose read is with the daemon waits for the
# daemon's answer to the interrupt: a daemon that never answers hangs it
reap_readers() {	# PID...
	local pid
	kill "$@" 2>/dev/null
	for pid in "$@"; do
		it_wait_pid "$pid" 10
		[ $? != 124 ] || it_fail "a reader blocked on events did not end within 10 s of SIGTERM (its interrupted read got no answer)"
	done
}
reap_readers "$CATPID"
cmp -s <(grep '^EV ' "$OUT" | cut -d' ' -f3-) "$IT_TMP/cat.out" ||
	it_fail "3: the blocking reader (cat) got other lines: $(diff <(grep '^EV ' "$OUT" | cut -d' ' -f3-) "$IT_TMP/cat.out" | head -10)"
it_log "3: the blocking reader (cat) read the same $(wc -l <"$IT_TMP/cat.out") lines"

# 4. events from two threads at once while three blocking readers read as
# fast as they can: a read that took an event before that event's notify
# ran must not leave the reader's next read answered with nothing (a 0-byte
# reply is end of file to the reader)
STORM=150
cats=()
for k in 1 2 3; do
	cat "$IT_MNT/events" >"$IT_TMP/storm$k.out" &
	cats+=("$!")
	IT_BG_PIDS+=("$!")
	it_record bg "$!"
done
for pid in "${cats[@]}"; do
	for ((i = 0; i < 200; i++)); do
		[ "$(readlink "/proc/$pid/fd/3")" = "$IT_MNT/events" ] && break
		sleep 0.05
	done
	[ "$(readlink "/proc/$pid/fd/3")" = "$IT_MNT/events" ] || it_fail "4: cat $pid did not open $IT_MNT/events"
done
storm() {	# PATH
	local j
	for ((j = 0; j < STORM; j++)); do
		it_ctl_ok fail_path "$1"
		it_ctl_ok reinstate_path "$1"
	done
}
storm a &
s1=$!
storm b &
s2=$!
wait "$s1" || it_fail "4: the fail/reinstate loop on a failed"
wait "$s2" || it_fail "4: the fail/reinstate loop on b failed"
it_ctl_ok disable_group slow	# the last line each reader must get
for k in 1 2 3; do
	for ((i = 0; i < 600; i++)); do
		tail -n 1 "$IT_TMP/storm$k.out" | grep -q ' group_disabled ' && break
		kill -0 "${cats[k - 1]}" 2>/dev/null ||
			it_fail "4: blocking reader $k saw end of file after $(wc -l <"$IT_TMP/storm$k.out") lines"
		sleep 0.05
	done
	tail -n 1 "$IT_TMP/storm$k.out" | grep -q ' group_disabled ' ||
		it_fail "4: blocking reader $k has $(wc -l <"$IT_TMP/storm$k.out") lines after 30 s, not the last"
	kill -0 "${cats[k - 1]}" 2>/dev/null || it_fail "4: blocking reader $k exited"
done
reap_readers "${cats[@]}"
n=$(grep -c -E ' path_(failed|reinstated) path=[ab] ' "$IT_TMP/storm1.out")
[ "$n" = $((4 * STORM)) ] || it_fail "4: reader 1 got $n fail/reinstate lines, $((4 * STORM)) made"
cmp -s "$IT_TMP/storm1.out" "$IT_TMP/storm2.out" && cmp -s "$IT_TMP/storm1.out" "$IT_TMP/storm3.out" ||
	it_fail "4: the three blocking readers got different lines"
it_log "4: $((4 * STORM)) events from two threads: three blocking readers each read all $(wc -l <"$IT_TMP/storm1.out") lines, none saw end of file"

# 5. a signal to a reader blocked in read(): the kernel forwards it as an
# interrupt, and only the daemon's EINTR answer lets read() return so the
# handler can run (so "SIG" before any event proves the answer came);
# python then reads again (PEP 475) and that read gets the next line
cat >"$IT_TMP/intr.py" <<'PY'
import os, signal, sys
sigs = []
signal.signal(signal.SIGUSR1, lambda s, f: (sigs.append(s), print('SIG %d' % len(sigs), flush=True)))
fd = os.open(sys.argv[1], os.O_RDONLY)
print('READY', flush=True)
data = os.read(fd, 65536)
print('GOT %d %s' % (len(sigs), data.decode().strip()), flush=True)
PY
it_bg python3 "$IT_TMP/intr.py" "$IT_MNT/events" >"$IT_TMP/intr.out"
IPID=$IT_BG
sleeping() {	# until the reader sleeps in read() (the events request is with the daemon)
	local i
	for ((i = 0; i < 400; i++)); do
		grep -q READY "$IT_TMP/intr.out" && [ "$(awk '{ print $3 }' "/proc/$IPID/stat" 2>/dev/null)" = S ] &&
			return 0
		sleep 0.025
	done
	it_fail "5: the interrupted reader is not asleep in read(): $(cat "$IT_TMP/intr.out")"
}
for k in 1 2; do
	sleeping
	sleep 0.2
	kill -USR1 "$IPID"
	for ((i = 0; i < 200; i++)); do
		grep -q "^SIG $k\$" "$IT_TMP/intr.out" && break
		sleep 0.025
	done
	grep -q "^SIG $k\$" "$IT_TMP/intr.out" ||
		it_fail "5: signal $k to a reader blocked on events: read() did not return (no EINTR from the daemon): $(cat "$IT_TMP/intr.out")"
done
sleeping
it_ctl_ok enable_group slow
it_wait_pid "$IPID" 10 || it_fail "5: the reader did not get the event after two interrupted reads: $(cat "$IT_TMP/intr.out")"
grep -q '^GOT 2 .* group_enabled path=- group=slow reason="by command"$' "$IT_TMP/intr.out" ||
	it_fail "5: after two interrupted reads the reader got: $(cat "$IT_TMP/intr.out")"
it_log "5: two signals to a blocked reader: each read() ended with EINTR, the next read got the next event"

it_stop_daemon || it_fail "mpathfs exited with status $? after a clean unmount"
it_pass
