#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Live reconfiguration under a verifying writer: fio (4 KiB random writes,
# O_DIRECT, libaio, 16 in flight, every block read back and checked with
# crc32c) runs over the first 32 MiB the whole time, while, over five loop
# devices of one image (a b c in the config: fast = a b at priority 50,
# slow = c at 10; d and e spare):
#  1. `add_path d DEV fast` adds d, and d carries writes;
#  2. `remove_path a` takes a out: it leaves `show paths`, the writes go
#     on, and the daemon closes a's device once its I/O is done;
#  3. with b and c failed, `remove_path d` (the last usable path) is
#     refused with "path d is the last usable path", and d stays;
#  4. a config with an unknown key is refused by `reload` with its file,
#     line and key, and nothing changes;
#  5. `reload` of an edited config (path_selector queue-length, io_timeout
#     20, polling_interval 3, max_polling_interval 9, checker_timeout 40;
#     path e in a new group spare at priority 5; c and with it group slow
#     dropped) answers "1 paths added, 1 removed", and `show config`,
#     `show groups` and `show paths` (JSON) say so;
#  6. SIGHUP re-reads a config that puts a back (in group spare, now at
#     priority 20 with its own round-robin selector), sets d's weight to 3
#     (d is taken out and put back), path_selector service-time, io_timeout
#     25, polling_interval 2: all of it shows in the JSON views;
#  7. after the image grows by 32 MiB, `resize` is refused while one path
#     has the new size and the others the old one, then (every loop device
#     re-read with losetup -c) takes the new size: the device file and `show
#     topology` give it, and 4 MiB written past the old end read back
#     through the map and every path;
# and at the end fio is still running (it ran throughout), then stopped
# (SIGINT): no error, every block it read back verified; the daemon logged
# no I/O error; the 4 MiB written before it all began read back the same
# through the map; the fio region reads the same through every path.
. "$(dirname "$0")/lib.sh"

it_require_env fio python3 jq cmp
it_setup 64M 5
M=$((1 << 20))
DEV_A=${IT_PATHS[0]} DEV_B=${IT_PATHS[1]} DEV_C=${IT_PATHS[2]}
DEV_D=${IT_PATHS[3]} DEV_E=${IT_PATHS[4]}
IT_CFG=$IT_TMP/mpathfs.ini
cat >"$IT_CFG" <<EOF
; written by $IT_NAME
[multipath]
name = $IT_DEVNAME
path_selector = round-robin
path_checker = directio
polling_interval = 5
; generous: a loaded machine must not fail a path by a slow check or I/O
checker_timeout = 30
io_timeout = 30
no_path_retry = queue

[group fast]
priority = 50

[group slow]
priority = 10

[path a]
device = $DEV_A
group = fast

[path b]
device = $DEV_B
group = fast

[path c]
device = $DEV_C
group = slow
EOF
it_start_daemon

# pyjson WHAT CODE: python3 CODE over d = the JSON reply of "show WHAT json"
pyjson() {
	it_ctl show "$1" json >"$IT_TMP/show.json" || it_fail "show $1 json refused"
	it_json_assert "$IT_TMP/show.json" "$2" "show $1 json"
}
writes() {	# PATH -> its completed writes
	it_path_json "$1" writes
}
# wait_writes PATH N: until PATH has carried N more writes than now
wait_writes() {
	local w0 i
	w0=$(writes "$1")
	for ((i = 0; i < 600; i++)); do
		[ "$(writes "$1")" -ge $((w0 + $2)) ] && return 0
		kill -0 "$FIO" 2>/dev/null || it_fail "fio ended early: $(tail -5 "$IT_TMP/reload.err")"
		sleep 0.05
	done
	it_fail "path $1 carried fewer than $2 writes in 30 s under fio ($w0 -> $(writes "$1"))"
}
# daemon_holds DEV: the daemon has DEV open
daemon_holds() {
	local f
	for f in /proc/"$IT_DAEMON_PID"/fd/*; do
		[ "$(readlink "$f" 2>/dev/null)" = "$1" ] && return 0
	done
	return 1
}

# 4 MiB of known data outside fio's region, checked at the end
head -c $((4 * M)) /dev/urandom >"$IT_TMP/before"
dd if="$IT_TMP/before" of="$IT_DEV" bs=1M seek=40 oflag=direct conv=notrunc status=none ||
	it_fail "writing the first 4 MiB failed"

it_fio_start reload --offset=0 --size=32M --time_based --runtime=900
FIO=$IT_BG
wait_writes a 200
wait_writes b 200
it_log "fio writes through a and b"

# ---------------------------------------------------------------- 1. add_path
out=$(it_ctl add_path d "$DEV_D" fast) || it_fail "1: add_path d refused: $out"
[ "$out" = "ok: path d added" ] || it_fail "1: add_path d answered '$out'"
pyjson paths "
d = {p['name']: p for p in d['paths']}
assert sorted(d) == ['a', 'b', 'c', 'd'], sorted(d)
assert d['d']['state'] == 'active' and d['d']['group'] == 'fast' and d['d']['device'] == '$DEV_D', d['d']
"
wait_writes d 200
it_log "1: add_path d $DEV_D fast: '$out'; d carries writes"

# ---------------------------------------------------------------- 2. remove_path
out=$(it_ctl remove_path a) || it_fail "2: remove_path a refused: $out"
[ "$out" = "ok: path a removed" ] || it_fail "2: remove_path a answered '$out'"
pyjson paths "assert [p['name'] for p in d['paths']] == ['b', 'c', 'd'], d['paths']"
pyjson groups "
g = d['groups']
assert [(x['name'], x['paths_total'], x['paths_usable']) for x in g] == [('fast', 2, 2), ('slow', 1, 1)], g
"
wait_writes b 200
wait_writes d 200
for ((i = 0; i < 600; i++)); do
	daemon_holds "$DEV_A" || break
	sleep 0.1
done
daemon_holds "$DEV_A" && it_fail "2: 60 s after remove_path a the daemon still holds $DEV_A open"
it_log "2: remove_path a: '$out'; the writes go on through b and d; $DEV_A closed"

# ---------------------------------------------------------------- 3. the last usable path
it_ctl_ok fail_path b
it_ctl_ok fail_path c
out=$(it_ctl remove_path d) && it_fail "3: remove_path of the last usable path was carried out: $out"
[ "$out" = "error: path d is the last usable path" ] ||
	it_fail "3: remove_path d (the last usable path) answered '$out'"
pyjson paths "
d = {p['name']: p for p in d['paths']}
assert sorted(d) == ['b', 'c', 'd'] and d['d']['state'] == 'active', d
"
wait_writes d 100
it_ctl_ok reinstate_path b
it_ctl_ok reinstate_path c
it_log "3: remove_path d with d the last usable path: refused, '$out'"

# ---------------------------------------------------------------- 4. a bad config
cp "$IT_CFG" "$IT_TMP/good.ini"
sed -i 's/^io_timeout = 30$/io_timeout = 30\nno_such_key = 1/' "$IT_CFG"
line=$(grep -n '^no_such_key' "$IT_CFG" | cut -d: -f1)
out=$(it_ctl reload) && it_fail "4: reload of a config with an unknown key was carried out: $out"
case $out in
"error: $IT_CFG:$line: no_such_key: "*"nothing changed") ;;
*) it_fail "4: reload of a bad config answered '$out'" ;;
esac
cp "$IT_TMP/good.ini" "$IT_CFG"
pyjson config "assert d['io_timeout'] == 30 and [p['name'] for p in d['paths']] == ['a', 'b', 'c'], d"
pyjson paths "assert [p['name'] for p in d['paths']] == ['b', 'c', 'd'], d['paths']"
it_log "4: a bad config: '$out'"

# ---------------------------------------------------------------- 5. reload
cat >"$IT_CFG" <<EOF
; written by $IT_NAME: reload
[multipath]
name = $IT_DEVNAME
path_selector = queue-length
path_checker = directio
polling_interval = 3
max_polling_interval = 9
checker_timeout = 40
io_timeout = 20
no_path_retry = queue

[group fast]
priority = 50

[group spare]
priority = 5

[path b]
device = $DEV_B
group = fast

[path d]
device = $DEV_D
group = fast

[path e]
device = $DEV_E
group = spare
EOF
mark=$(it_log_mark)
out=$(it_ctl reload) || it_fail "5: reload refused: $out"
[ "$out" = "ok: reloaded: 1 paths added, 1 removed" ] || it_fail "5: reload answered '$out'"
pyjson config "
assert d['path_selector'] == 'queue-length', d['path_selector']
assert (d['io_timeout'], d['polling_interval'], d['max_polling_interval'], d['checker_timeout']) == (20, 3, 9, 40), d
assert [(g['name'], g['priority'], g['path_selector']) for g in d['groups']] == \
    [('fast', 50, 'queue-length'), ('spare', 5, 'queue-length')], d['groups']
assert [(p['name'], p['group']) for p in d['paths']] == [('b', 'fast'), ('d', 'fast'), ('e', 'spare')], d['paths']
"
pyjson groups "
assert [(g['num'], g['name'], g['priority'], g['selector'], g['paths_total'], g['paths_usable'])
        for g in d['groups']] == [(1, 'fast', 50, 'queue-length', 2, 2), (2, 'spare', 5, 'queue-length', 1, 1)], d
"
pyjson paths "
assert [(p['name'], p['group'], p['state']) for p in d['paths']] == \
    [('b', 'fast', 'active'), ('d', 'fast', 'active'), ('e', 'spare', 'active')], d['paths']
"
it_wait_log "$mark" "path c ($DEV_C) removed" 1 >/dev/null || it_fail "5: the log does not say c was removed"
wait_writes b 200
wait_writes d 200
it_log "5: reload: '$out'; show config/groups/paths: queue-length, io_timeout 20, polling 3..9," \
	"checker_timeout 40, groups fast + spare (slow gone), paths b d e"

# ---------------------------------------------------------------- 6. SIGHUP
cat >"$IT_CFG" <<EOF
; written by $IT_NAME: SIGHUP
[multipath]
name = $IT_DEVNAME
path_selector = service-time
path_checker = directio
polling_interval = 2
max_polling_interval = 9
checker_timeout = 40
io_timeout = 25
no_path_retry = queue

[group fast]
priority = 50

[group spare]
priority = 20
path_selector = round-robin

[path b]
device = $DEV_B
group = fast

[path d]
device = $DEV_D
group = fast
weight = 3

[path e]
device = $DEV_E
group = spare

[path a]
device = $DEV_A
group = spare
EOF
mark=$(it_log_mark)
kill -HUP "$IT_DAEMON_PID" || it_fail "6: kill -HUP $IT_DAEMON_PID"
# "reloaded FILE: ..." or "reload on SIGHUP failed: ..."
line=$(it_wait_log "$mark" "reload" 30) ||
	it_fail "6: no reload within 30 s of SIGHUP: $(tail -n 5 "$IT_LOG")"
case $line in
*"reloaded $IT_CFG: 2 paths added, 1 removed"*) ;;
*) it_fail "6: SIGHUP: $line" ;;
esac
pyjson config "
assert d['path_selector'] == 'service-time', d['path_selector']
assert (d['io_timeout'], d['polling_interval'], d['max_polling_interval']) == (25, 2, 9), d
assert [(g['name'], g['priority'], g['path_selector']) for g in d['groups']] == \
    [('fast', 50, 'service-time'), ('spare', 20, 'round-robin')], d['groups']
assert [(p['name'], p['group'], p['weight']) for p in d['paths']] == \
    [('b', 'fast', 1), ('d', 'fast', 3), ('e', 'spare', 1), ('a', 'spare', 1)], d['paths']
"
pyjson groups "
assert [(g['name'], g['priority'], g['selector'], g['paths_total'], g['paths_usable'])
        for g in d['groups']] == [('fast', 50, 'service-time', 2, 2), ('spare', 20, 'round-robin', 2, 2)], d
"
pyjson paths "
d = {p['name']: p for p in d['paths']}
assert sorted(d) == ['a', 'b', 'd', 'e'], sorted(d)
assert all(p['state'] == 'active' for p in d.values()), d
assert d['a']['group'] == 'spare' and d['a']['device'] == '$DEV_A'
"
wait_writes b 200
wait_writes d 200
it_log "6: SIGHUP: '${line#*notice: }'; service-time, io_timeout 25, polling 2, spare at 20 with" \
	"round-robin holding e and a, d's weight 3"

# ---------------------------------------------------------------- 7. resize
truncate -s 96M "$IT_IMG" || it_fail "7: truncate $IT_IMG"
losetup -c "$DEV_B" || it_fail "7: losetup -c $DEV_B"
out=$(it_ctl resize) && it_fail "7: resize with paths of two sizes was carried out: $out"
case $out in
"error: path "*"resize every path first") ;;
*) it_fail "7: resize with paths of two sizes answered '$out'" ;;
esac
[ "$(stat -c %s "$IT_DEV")" = $((64 * M)) ] || it_fail "7: the device changed size after a refused resize"
for p in "${IT_PATHS[@]}"; do
	losetup -c "$p" || it_fail "7: losetup -c $p"
done
out=$(it_ctl resize) || it_fail "7: resize refused: $out"
[ "$out" = "ok: size $((64 * M)) -> $((96 * M)) bytes" ] || it_fail "7: resize answered '$out'"
[ "$(stat -c %s "$IT_DEV")" = $((96 * M)) ] ||
	it_fail "7: the device file is $(stat -c %s "$IT_DEV") bytes after resize, expected $((96 * M))"
pyjson topology "assert d['size'] == $((96 * M)), d['size']"
head -c $((4 * M)) /dev/urandom >"$IT_TMP/grown"
dd if="$IT_TMP/grown" of="$IT_DEV" bs=1M seek=88 oflag=direct conv=notrunc status=none ||
	it_fail "7: writing past the old end failed"
cmp -s "$IT_TMP/grown" <(dd if="$IT_DEV" bs=1M skip=88 count=4 iflag=direct status=none) ||
	it_fail "7: the data past the old end does not read back through the map"
for p in "${IT_PATHS[@]}"; do
	cmp -s "$IT_TMP/grown" <(dd if="$p" bs=1M skip=88 count=4 iflag=direct status=none) ||
		it_fail "7: the data past the old end is not on $p"
done
wait_writes d 100
it_log "7: resize: refused with the paths of two sizes, then '$out'; data past the old end on every path"

# ---------------------------------------------------------------- the end
kill -0 "$FIO" 2>/dev/null || it_fail "fio ended before the last step"
kill -INT "$FIO"
it_wait_pid "$FIO" 60
rc=$?
# fio stopped by SIGINT exits 128; anything else is its own failure
[ "$rc" = 128 ] || it_fail "fio exited $rc after SIGINT: $(tail -5 "$IT_TMP/reload.err")"
it_fio_check reload 0
grep -E 'I/O error|timed out|hung' "$IT_LOG" && it_fail "the daemon logged I/O errors (above)"
cmp -s "$IT_TMP/before" <(dd if="$IT_DEV" bs=1M skip=40 count=4 iflag=direct status=none) ||
	it_fail "the 4 MiB written before it all began read back different"
it_cmp_paths 0 $((32 * M))
it_stop_daemon || it_fail "mpathfs exited with status $? after a clean unmount"
it_pass
