#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Proves that a real I/O error on a path fails that path and re-drives the
# I/O on another path, invisibly to the user. The faulty path is made of
# mpathfs itself: path b of the multipath device under test (the "outer"
# one) is the device file of a second, "inner" mpathfs with one path and
# no_path_retry = fail, so `fail_path x` on the inner one makes every I/O
# on path b end with EIO, like a dead HBA port. Asserts that
#  1. while fio (verify=crc32c) writes and verifies, path b starting to
#     fail costs no error: path b is failed with "I/O error" in the log,
#     its error and re-drive counters rise, and the data is right;
#  2. reinstating path b by hand while it still fails (again and again,
#     under load) re-drives every failed I/O: fio still sees no error;
#  3. once the inner path is back, path b carries I/O again;
#  4. when path a is failed by hand and path b fails by itself, I/O queues
#     (no_path_retry = queue) and completes correctly when a comes back.
. "$(dirname "$0")/lib.sh"

it_require_env fio python3
it_setup 128M 2
A=${IT_PATHS[0]}
B=${IT_PATHS[1]}
INNER=$IT_TMP/inner
cat >"$IT_TMP/inner.ini" <<EOF
[multipath]
name = inner
no_path_retry = fail
path_checker = none
[path x]
device = $B
EOF
it_start_extra_daemon "$INNER" "$IT_TMP/inner.ini" "$IT_TMP/inner.log"
it_log "inner mpathfs $IT_EXTRA_PID serving $INNER/inner over $B"

inner() {	# inner COMMAND...: a control command to the inner mpathfs
	it_ctl_ok_at "$INNER" "$@"
}

IT_PATHS=("$A" "$INNER/inner")
it_write_config "path_selector = round-robin" "rr_min_io = 1" "no_path_retry = queue"
it_start_daemon

M=$((1 << 20))
pattern=$IT_TMP/pattern
head -c 16M /dev/urandom >"$pattern" || it_fail "urandom"

# fio_verify NAME OFFSET_MB: a verifying fio job in the background -> IT_BG
fio_verify() {
	it_bg fio --name="$1" --filename="$IT_DEV" --direct=1 --ioengine=libaio --iodepth=16 \
		--rw=randwrite --bsrange=4k-128k --offset=$(($2 * M)) --size=32M \
		--verify=crc32c --verify_fatal=1 --fallocate=none --randrepeat=0 --verify_state_save=0 \
		--output-format=json --output="$IT_TMP/$1.json" 2>"$IT_TMP/$1.err"
}

# check_fio NAME RC: exit 0, no error, every written byte verified
check_fio() {
	local res
	[ "$2" = 0 ] || it_fail "$1: fio exited $2: $(tail -5 "$IT_TMP/$1.err"; grep -v '^ ' "$IT_TMP/$1.json" | head)"
	res=$(python3 - "$IT_TMP/$1.json" <<'EOF'
import json, sys
text = open(sys.argv[1]).read()
j = json.loads(text[text.index('{'):])['jobs'][0]
w, r = j['write']['io_bytes'], j['read']['io_bytes']
ok = j['error'] == 0 and w == 32 << 20 and r == w
print('%s: error %d, wrote %d, verified %d' % ('ok' if ok else 'BAD', j['error'], w, r))
EOF
)
	it_log "$1: fio $res"
	case $res in
	ok:*) ;;
	*) it_fail "$1: fio $res" ;;
	esac
}

stat_of() {	# stat_of PATH FIELD
	local v
	v=$(it_path_stat "$1" "$2")
	[ -n "$v" ] || it_fail "no '$2' counter for path $1 in show stats"
	echo "$v"
}

# ------------------------------------------------ both paths carry I/O
dd if="$pattern" of="$IT_DEV" bs=1M oflag=direct conv=notrunc status=none ||
	it_fail "initial write failed"
for n in a b; do
	[ "$(stat_of $n writes)" -gt 0 ] || it_fail "path $n carried no writes with round-robin"
	[ "$(stat_of $n errors)" = 0 ] || it_fail "path $n has errors before any fault"
done

# ------------------------------------------------ 1. path b starts failing under load
wb0=$(stat_of b writes)
fio_verify fault 32
fpid=$IT_BG
# inject the fault once fio's writes are flowing through path b
for ((i = 0; i < 100; i++)); do
	[ "$(stat_of b writes)" -ge $((wb0 + 4)) ] && break
	sleep 0.05
done
kill -0 "$fpid" 2>/dev/null || it_fail "fio ended before the fault was injected"
inner fail_path x
it_log "1: inner path x failed: every I/O on path b now ends with EIO"
it_wait_pid "$fpid" 120
check_fio fault $?
it_expect_path_state b failed
it_expect_path_state a active
grep -q "path b ($INNER/inner) failed: I/O error" "$IT_LOG" ||
	it_fail "1: the daemon did not log path b failing with an I/O error"
eb=$(stat_of b errors)
rb=$(stat_of b redriven)
[ "$eb" -ge 1 ] || it_fail "1: path b counted no errors ($eb)"
[ "$rb" -ge 1 ] || it_fail "1: no I/O was re-driven away from path b ($rb)"
it_log "1: path b failed by itself: errors $eb, re-driven $rb"
cmp <(dd if="$IT_DEV" bs=1M count=16 iflag=direct status=none) "$pattern" ||
	it_fail "1: data read back with path b failed differs"

# ------------------------------------------------ 2. reinstating a still-failing path, under load
# 20 reinstatements 100 ms apart, fio jobs back to back meanwhile
nflap=0
njob=0
fpid=""
while [ "$nflap" -lt 20 ]; do
	if [ -z "$fpid" ] || ! kill -0 "$fpid" 2>/dev/null; then
		if [ -n "$fpid" ]; then
			it_wait_pid "$fpid" 10
			check_fio "flap$njob" $?
		fi
		njob=$((njob + 1))
		fio_verify "flap$njob" 64
		fpid=$IT_BG
		sleep 0.1
	fi
	it_ctl_ok reinstate_path b
	nflap=$((nflap + 1))
	sleep 0.1
done
it_wait_pid "$fpid" 120
check_fio "flap$njob" $?
eb2=$(stat_of b errors)
fails=$(grep -c "path b ($INNER/inner) failed: I/O error" "$IT_LOG")
it_log "2: path b reinstated $nflap times while failing: errors $eb -> $eb2, failed by I/O error $fails times"
[ "$eb2" -ge $((eb + 8)) ] ||
	it_fail "2: path b was reinstated $nflap times under load while failing, but saw only $((eb2 - eb)) new errors"
[ "$fails" -ge 8 ] || it_fail "2: path b failed by I/O error only $fails times"
it_expect_path_state a active

# ------------------------------------------------ 3. the inner path is back: b carries I/O again
inner reinstate_path x
it_ctl reinstate_path b >/dev/null	# may already be active after the flapping
it_expect_path_state b active
wb=$(stat_of b writes)
dd if="$pattern" of="$IT_DEV" bs=1M oflag=direct conv=notrunc,fsync status=none ||
	it_fail "3: write failed after path b came back"
wb2=$(stat_of b writes)
[ "$wb2" -gt "$wb" ] || it_fail "3: path b carried no writes after it came back ($wb -> $wb2)"
[ "$(stat_of b errors)" = "$eb2" ] || it_fail "3: path b saw new errors after the inner path came back"
for p in "$A" "$B"; do
	cmp <(dd if="$p" bs=1M count=16 iflag=direct status=none) "$pattern" ||
		it_fail "3: the data is not on the storage as $p sees it"
done
it_log "3: path b carries I/O again ($wb -> $wb2 writes), data on the storage"

# ------------------------------------------------ 4. no path left: a failed by hand, b by itself
inner fail_path x
it_ctl_ok fail_path a
it_bg dd if="$IT_DEV" of="$IT_TMP/q.out" bs=1M count=16 iflag=direct status=none
rpid=$IT_BG
sleep 1.5
kill -0 "$rpid" 2>/dev/null || { wait "$rpid"; it_fail "4: the read ended ($?) with no usable path and queueing on"; }
it_expect_path_state b failed
it_expect_path_state a failed
it_ctl_ok reinstate_path a
it_wait_pid "$rpid" 10
rc=$?
[ "$rc" = 0 ] || it_fail "4: the queued read failed after path a came back (status $rc)"
cmp "$IT_TMP/q.out" "$pattern" || it_fail "4: the queued read returned wrong data"
it_log "4: the read queued with no usable path completed once path a came back"

inner reinstate_path x
it_stop_daemon || it_fail "mpathfs exited with status $? after a clean unmount"
it_pass
