#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Proves that no write is lost or corrupted, and no I/O fails, while paths
# fail and come back under load: a toggler fails and reinstates the two
# paths in turn every 200 ms (never both failed) while
#   1. fio writes 4 KiB random blocks (O_DIRECT, libaio, iodepth 16),
#   2. fio writes 512-byte aligned blocks of 512..65536 bytes,
#   3. fio writes 512-byte aligned blocks of arbitrary byte lengths,
#   4. mpathfs-pio (pio.c) writes at arbitrary byte offsets and lengths,
#      O_DIRECT through libaio with 32 requests in flight, requests in
#      flight together often sharing a sector (concurrent read-modify-write
#      in the daemon), and verifies every byte afterwards; twice, with
#      stripes of 12347 and of 1531 bytes,
# each fio phase verifying its data with crc32c (verify_fatal). Asserts fio
# exits 0 with no error and as many bytes verified as written, pio finds no
# mismatch, pio's expected image is on both paths, and the daemon log shows
# the paths failed and reinstated many times in every phase (each phase
# repeats its runs for at least 3 s, so this holds on fast machines too).
. "$(dirname "$0")/lib.sh"

it_require_env fio python3
it_setup 256M 2
it_write_config "no_path_retry = queue"
it_start_daemon

PIO=${MPATHFS_PIO:-}
if [ -z "$PIO" ] || [ ! -x "$PIO" ]; then
	PIO=$IT_TMP/mpathfs-pio
	cc -std=gnu11 -O2 -Wall -o "$PIO" "$(dirname "$0")/pio.c" -laio ||
		it_fail "MPATHFS_PIO is not set and pio.c does not build"
fi

# ------------------------------------------------------------ the toggler
stopfile=$IT_TMP/toggle.stop
total_toggles=0
togglelog=$IT_TMP/toggle.log
toggler() {
	local p i=0
	while [ ! -e "$stopfile" ] && [ -d "$IT_TMP" ]; do
		p=${IT_PATH_NAMES[i % 2]}
		it_ctl fail_path "$p" >>"$togglelog" 2>&1 || echo "REFUSED fail_path $p" >>"$togglelog"
		sleep 0.2
		it_ctl reinstate_path "$p" >>"$togglelog" 2>&1 ||
			echo "REFUSED reinstate_path $p" >>"$togglelog"
		i=$((i + 1))
	done
}

start_toggler() {
	rm -f "$stopfile"
	: >"$togglelog"
	fails0=$(grep -c 'failed: failed by administrator' "$IT_LOG")
	reins0=$(grep -c 'reinstated: reinstated by administrator' "$IT_LOG")
	it_bg toggler
	tpid=$IT_BG
}

# stop_toggler PHASE MIN: stop it, check both paths are back and that the
# daemon logged at least MIN path failures and as many reinstatements
stop_toggler() {
	local phase=$1 min=$2 f r
	touch "$stopfile"
	it_wait_pid "$tpid" 10
	[ $? = 0 ] || it_fail "$phase: the toggler did not stop cleanly"
	grep -q REFUSED "$togglelog" &&
		it_fail "$phase: a control command was refused: $(grep REFUSED "$togglelog" | head -3)"
	f=$(($(grep -c 'failed: failed by administrator' "$IT_LOG") - fails0))
	r=$(($(grep -c 'reinstated: reinstated by administrator' "$IT_LOG") - reins0))
	it_log "$phase: the daemon logged $f path failures and $r reinstatements"
	[ "$f" -ge "$min" ] && [ "$r" -ge "$min" ] ||
		it_fail "$phase: expected >= $min failures and reinstatements in the log, got $f and $r"
	[ "$f" = "$r" ] || it_fail "$phase: $f failures but $r reinstatements"
	total_toggles=$((total_toggles + f))
	it_expect_path_state a active
	it_expect_path_state b active
}

# ------------------------------------------------------------ fio phases
# check_fio NAME JSON STDERR RC: exit 0, no error, every written byte verified
check_fio() {
	local name=$1 json=$2 errf=$3 rc=$4 res
	[ "$rc" = 0 ] || it_fail "$name: fio exited $rc: $(tail -5 "$errf"; grep -v '^ ' "$json" | head -5)"
	if grep -iE 'verify|bad magic|crc|error|err=' "$errf" | grep -v 'bs_unaligned may not work'; then
		it_fail "$name: fio reported problems (above)"
	fi
	# fio may print warnings before the JSON document
	res=$(python3 - "$json" "$name" <<'EOF'
import json, sys
text = open(sys.argv[1]).read()
doc = json.loads(text[text.index('{'):])
bad = []
for j in doc['jobs']:
    w, r = j['write']['io_bytes'], j['read']['io_bytes']
    if j['error'] != 0:
        bad.append('job %s: error %d' % (j['jobname'], j['error']))
    if j.get('total_err', 0) != 0:
        bad.append('job %s: total_err %d' % (j['jobname'], j['total_err']))
    if w < (24 << 20):
        bad.append('job %s: only %d bytes written' % (j['jobname'], w))
    if r != w:
        bad.append('job %s: %d bytes written but %d verified' % (j['jobname'], w, r))
    print('job %s: wrote %d, verified %d bytes, write iops %.0f, %d ms'
          % (j['jobname'], w, r, j['write']['iops'], j['job_runtime']))
if bad:
    print('BAD: ' + '; '.join(bad))
EOF
)
	[ $? = 0 ] || it_fail "$name: cannot parse fio's JSON output: $res"
	it_log "$name: $res"
	case $res in
	*BAD:*) it_fail "$name: $res" ;;
	esac
}

# run_fio NAME FIO_ARGS...: verifying fio jobs, one after the other, for at
# least PHASE_SECS while the toggler runs (each run writes the region with
# new random data and verifies it)
run_fio() {
	local name=$1 rc t0 n=0 job
	shift
	start_toggler
	t0=$(it_now)
	while [ "$n" = 0 ] || it_fcmp "$(it_elapsed "$t0")" "<" "$PHASE_SECS"; do
		n=$((n + 1))
		job=$name.$n
		it_bg fio --name="$name" --filename="$IT_DEV" --direct=1 --ioengine=libaio \
			--iodepth=16 --rw=randwrite --verify=crc32c --verify_fatal=1 --do_verify=1 \
			--fallocate=none --randrepeat=0 --verify_state_save=0 \
			--output-format=json --output="$IT_TMP/$job.json" "$@" \
			2>"$IT_TMP/$job.err"
		it_wait_pid "$IT_BG" 150
		rc=$?
		check_fio "$job" "$IT_TMP/$job.json" "$IT_TMP/$job.err" "$rc"
	done
	stop_toggler "$name" 5
}

M=$((1 << 20))
PHASE_SECS=3	# each phase lasts at least this long, so paths toggle often
run_fio rand4k --bs=4k --offset=0 --size=32M
run_fio bsrange512 --bsrange=512-65536 --blockalign=512 --offset=$((32 * M)) --size=96M
run_fio unaligned-len --bsrange=512-65536 --blockalign=512 --bs_unaligned=1 \
	--offset=$((128 * M)) --size=64M

# ------------------------------------------------------------ byte-granular writer
# run_pio NAME OFFSET STRIPE: mpathfs-pio (32 requests in flight) over
# 4 MiB at OFFSET (unaligned), run after run for at least PHASE_SECS while
# the toggler runs; then the last run's expected bytes must be on the
# storage as every path sees it
run_pio() {
	local name=$1 off=$2 stripe=$3 len=$((4 * M)) seed rc i skip t0 n=0
	start_toggler
	t0=$(it_now)
	while [ "$n" = 0 ] || it_fcmp "$(it_elapsed "$t0")" "<" "$PHASE_SECS"; do
		n=$((n + 1))
		seed=$RANDOM
		it_bg "$PIO" -q 32 -n 4000 -s "$seed" -S "$stripe" -o "$off" -l "$len" \
			-e "$IT_TMP/$name.expected" "$IT_DEV" >"$IT_TMP/$name.out" 2>&1
		it_wait_pid "$IT_BG" 150
		rc=$?
		[ "$rc" = 0 ] ||
			it_fail "$name: mpathfs-pio (seed $seed) exited $rc: $(head -20 "$IT_TMP/$name.out")"
		it_log "$name.$n: seed $seed, stripe $stripe: $(cat "$IT_TMP/$name.out")"
	done
	stop_toggler "$name" 5
	skip=$((off / M))
	for i in "${!IT_PATHS[@]}"; do
		dd if="${IT_PATHS[$i]}" bs=1M skip="$skip" count=5 iflag=direct status=none |
			tail -c +$((off - skip * M + 1)) | head -c "$len" >"$IT_TMP/$name.path"
		cmp "$IT_TMP/$name.expected" "$IT_TMP/$name.path" ||
			it_fail "$name: path ${IT_PATH_NAMES[$i]}: the bytes pio wrote are not on the storage"
	done
	it_log "$name: pio's data is on both paths"
}

# writes spanning several sectors; then 2-3 stripes to a 4 KiB block
run_pio pio-wide $((200 * M + 777)) 12347
run_pio pio-dense $((208 * M + 3001)) 1531

[ "$total_toggles" -ge 30 ] ||
	it_fail "only $total_toggles path failures in all: the paths were not toggled often enough"
it_log "$total_toggles path failures and as many reinstatements in all"

for n in a b; do
	e=$(it_path_stat "$n" errors)
	[ "$e" = 0 ] || it_fail "path $n counted $e I/O errors"
done
it_stop_daemon || it_fail "mpathfs exited with status $? after a clean unmount"
it_pass
