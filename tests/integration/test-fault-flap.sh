#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# A flapping path (faultfs `flap`: working and EIO in turn) is damped: with
# polling_interval 1, flap_threshold 3, flap_window 60 and flap_holdoff 10,
# over 3 paths of the fault bed, while fio (4 KiB random writes, O_DIRECT,
# libaio, 16 in flight, crc32c verified as it goes) runs throughout, path a
# flaps for 20 s, then is healed (`ok`). Asserts that
#  1. the daemon logs "path a (DEV) is flapping ...: held out for 10 s"
#     while it flaps;
#  2. "show paths json" shows path a with checker_state "delayed" at some
#     point, and, 5 s after the fault cleared, still failed and delayed;
#  3. path a is held out: no reinstatement from the first "is flapping"
#     line until the holdoff has passed with every check good, i.e. the
#     reinstatement comes >= 10 s after the last "is flapping" line (when
#     the last hold-out began) and within 10 s + 2.5 s of it, and within
#     holdoff + 3 s of `ok`; then path a carries I/O again;
#  4. fio sees no error and every block verifies; paths b and c never fail.
#
# Why `flap 700` and not `flap 500`: the checker looks every ~1.02 s (the
# interval plus the check), and 500 ms makes a 1 s cycle, so every check
# would sample nearly the same phase for the whole 20 s (it drifts 20 ms a
# check): depending on where the first check lands, path a would pass every
# check or fail every one, and in the latter case it never comes back to
# flap at all. A 1.4 s cycle puts consecutive checks in both halves.
# max_polling_interval = 1 keeps the checker at 1 s whatever the backoff.
. "$(dirname "$0")/lib.sh"

it_require_env fio python3 jq
it_setup_faultbed 96M 3
HOLDOFF=10
FLAP_SECS=20
it_write_config "path_checker = directio" "polling_interval = 1" "max_polling_interval = 1" \
	"checker_timeout = 1" "flap_threshold = 3" "flap_window = 60" "flap_holdoff = $HOLDOFF"
it_start_daemon
A_DEV=${IT_PATHS[0]}

# fio runs past the flapping, the hold-out and the return of path a
it_fio_start flap --offset=0 --size=64M --time_based --runtime=$((FLAP_SECS + HOLDOFF + 8))
fpid=$IT_BG

# the sampler: path a's state and checker state every 0.2 s, with the time
stopfile=$IT_TMP/sampler.stop
samples=$IT_TMP/samples
sampler() {
	while [ ! -e "$stopfile" ] && [ -d "$IT_TMP" ]; do
		printf '%s %s\n' "$(it_sod)" "$(it_ctl show paths json | jq -r \
			'.paths[] | select(.name == "a") | "\(.state) \(.checker_state) \(.fail_count)"')"
		sleep 0.2
	done >>"$samples"
}
it_bg sampler
spid=$IT_BG

it_wait_path_writes a 200 "path a carries no I/O under fio"
mark=$(it_log_mark)
it_fault a flap 700
t_flap=$IT_FAULT_T0
# flap for FLAP_SECS
while it_fcmp "$(it_sod_diff "$t_flap" "$(it_sod)")" "<" "$FLAP_SECS"; do
	sleep 0.1
done
kill -0 "$fpid" 2>/dev/null || it_fail "fio ended during the flapping"
it_fault a ok
t_ok=$IT_FAULT_T0
mark_ok=$(it_log_mark)
nfail=$(it_log_after "$mark" "path a ($A_DEV) failed:" | wc -l)
nrein=$(it_log_after "$mark" "path a ($A_DEV) reinstated:" | wc -l)
flaps=$(it_log_after "$mark" "path a ($A_DEV) is flapping")
it_log "1: $FLAP_SECS s of flapping: path a failed $nfail times, reinstated $nrein times, $(grep -c . <<<"$flaps") 'is flapping' lines"
if [ -z "$flaps" ]; then
	it_log "1: the daemon log during the flapping:"
	it_log_after "$mark" "path a" | head -n 30 >&2
	it_fail "1: path a failed $nfail times and was reinstated $nrein times in $FLAP_SECS s (flap_threshold 3 within flap_window 60) but the daemon never logged 'is flapping'"
fi
[ "$nfail" -ge 3 ] || it_fail "1: path a failed only $nfail times while flapping: the fault did not bite"
first=$(head -n 1 <<<"$flaps")
it_log "1: $first"
grep -qF "held out for $HOLDOFF s" <<<"$first" || it_fail "1: expected 'held out for $HOLDOFF s': $first"
# 3. from the first hold-out on, path a stays out while it flaps
first_ln=$(grep -nF "path a ($A_DEV) is flapping" "$IT_LOG" | head -n 1 | cut -d: -f1)
early=$(head -n "$mark_ok" "$IT_LOG" | tail -n +"$first_ln" | grep -F "path a ($A_DEV) reinstated:")
[ -z "$early" ] || it_fail "3: path a was reinstated while it flapped, after it was held out: $early"

# 2-3. held out after the fault cleared
while it_fcmp "$(it_sod_diff "$t_ok" "$(it_sod)")" "<" 5; do
	sleep 0.1
done
st=$(it_ctl show paths json | jq -r '.paths[] | select(.name == "a") | "\(.state) \(.checker_state)"')
it_log "2: 5 s after ok: path a is '$st'"
[ "$st" = "failed delayed" ] ||
	it_fail "2: 5 s after the fault cleared path a is '$st', expected 'failed delayed' (held out for $HOLDOFF s)"
rein=$(it_wait_log "$mark_ok" "path a ($A_DEV) reinstated:" $((HOLDOFF + 5))) ||
	it_fail "3: path a was not reinstated within $((HOLDOFF + 5)) s of the fault clearing"
t_rein=$(it_log_sod "$rein")
flaps=$(it_log_after "$mark" "path a ($A_DEV) is flapping")
last=$(tail -n 1 <<<"$flaps")
t_last=$(it_log_sod "$last")
d_last=$(it_sod_diff "$t_last" "$t_rein")
d_ok=$(it_sod_diff "$t_ok" "$t_rein")
it_log "3: $rein"
it_log "3: reinstated $d_last s after the last 'is flapping' line ($(grep -c . <<<"$flaps") in all), $d_ok s after ok"
it_fcmp "$d_last" ">=" $((HOLDOFF - 1)).95 ||
	it_fail "3: path a was reinstated $d_last s after it was held out for $HOLDOFF s: $last / $rein"
it_fcmp "$d_last" "<=" $((HOLDOFF + 2)).5 ||
	it_fail "3: path a was reinstated as late as $d_last s after its hold-out began (holdoff $HOLDOFF s)"
it_fcmp "$d_ok" "<=" $((HOLDOFF + 3)) ||
	it_fail "3: path a was reinstated $d_ok s after the fault cleared (holdoff $HOLDOFF s)"
w0=$(it_path_json a writes)
sleep 1
[ "$(it_path_json a writes)" -gt "$w0" ] || it_fail "3: path a carries no I/O after its reinstatement"
kill -0 "$fpid" 2>/dev/null || it_fail "fio ended before path a came back"

touch "$stopfile"
it_wait_pid "$spid" 5
ndelayed=$(awk '$3 == "delayed"' "$samples" | wc -l)
it_log "2: $(wc -l <"$samples") samples of show paths json, $ndelayed with path a's checker_state delayed; states seen: $(awk '{ print $2 "/" $3 }' "$samples" | sort | uniq -c | tr -s ' \n' ' ')"
[ "$ndelayed" -ge 1 ] || it_fail "2: show paths json never showed path a's checker_state as delayed"

it_wait_pid "$fpid" 30
it_fio_check flap $?
for p in b c; do
	it_expect_path_state "$p" active
	[ "$(it_path_json "$p" fail_count)" = 0 ] || it_fail "4: path $p failed meanwhile"
done
it_stop_daemon || it_fail "mpathfs exited with status $? after a clean unmount"
it_pass
