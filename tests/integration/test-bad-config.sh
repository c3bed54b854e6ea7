#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Proves that a bad setup is refused at start: for each config in a table
# (unknown keys in every section, bad, negative, hex, overflowing and
# out-of-range numbers, bad word, syntax error, unknown section, a section
# or key given twice, no value, bad access keys (allow_other,
# control_group, status_mode), missing device, a directory, a FIFO or
# /dev/null as device, an empty file, a block device held O_EXCL by
# another process or mounted, the same device twice, paths of different
# sizes as files and as loop devices, name 'control', unknown group, no
# paths, a config that is missing, a directory, a FIFO, has a NUL byte or
# is writable by others) mpathfs must exit non-zero within 8 s, print exactly
# one line that names the file, the line and the key (FILE:LINE: KEY: ...)
# and says what is wrong, and leave nothing mounted and no process behind.
# A good config with the same paths must then start, so the refusals are
# the config's doing.
. "$(dirname "$0")/lib.sh"

it_require_env python3 mkfifo mkfs.ext4
it_setup 64M 1		# one loop device over a 64 MiB image
T=$IT_TMP
P1=$T/p1.img
P2=$T/p2.img
SMALL=$T/small.img
truncate -s 64M "$P1" "$P2" || it_fail "truncate"
truncate -s 32M "$SMALL" || it_fail "truncate"
LOOP_BIG=${IT_PATHS[0]}
it_add_path_loop "$SMALL"	# detached by the cleanup
LOOP_SMALL=$IT_LOOP
NOFILE=$T/no-such-disk

ncase=0
# bad_case NAME EXPECTED_TEXT...: the config comes on stdin ("-" as the
# only stdin line means: no config file at all). Every EXPECTED_TEXT must
# appear in the one line mpathfs prints.
bad_case() {
	local name=$1 cfg=$T/$1.ini out=$T/$1.out err=$T/$1.err t0 el rc nl s
	shift
	ncase=$((ncase + 1))
	local text
	text=$(cat)
	[ "$text" = "-" ] || printf '%s\n' "$text" >"$cfg"
	t0=$(it_now)
	timeout -k 1 10 "$MPATHFS" "$IT_MNT" -c "$cfg" -f >"$out" 2>"$err"
	rc=$?
	el=$(it_elapsed "$t0")
	[ "$rc" != 124 ] && [ "$rc" -lt 128 ] ||
		it_fail "$name: mpathfs did not exit by itself (status $rc after $el s)"
	[ "$rc" != 0 ] || it_fail "$name: mpathfs accepted the config (exit 0)"
	it_fcmp "$el" "<" 8 || it_fail "$name: mpathfs took $el s to refuse the config"
	nl=$(grep -c . "$err")
	[ "$nl" = 1 ] || it_fail "$name: expected one line on stderr, got $nl: $(cat "$err")"
	[ -s "$out" ] && it_fail "$name: unexpected output on stdout: $(cat "$out")"
	for s in "$@"; do
		grep -qF -- "$s" "$err" ||
			it_fail "$name: the message does not contain \"$s\": $(cat "$err")"
	done
	it_mounted "$IT_MNT" && it_fail "$name: $IT_MNT is mounted after a refused start"
	[ -z "$(ls -A "$IT_MNT")" ] || it_fail "$name: $IT_MNT is not empty"
	it_log "$name: exit $rc in $el s: $(cat "$err")"
}

bad_case unknown-key "$T/unknown-key.ini:3: polling_intervl: unknown key in [multipath]" <<EOF
[multipath]
name = mpatha
polling_intervl = 5

[path a]
device = $P1
EOF

bad_case bad-number "$T/bad-number.ini:3: rr_min_io: '1O' is not a whole number" <<EOF
; the letter O, not a zero
[multipath]
rr_min_io = 1O
[path a]
device = $P1
EOF

bad_case out-of-range "$T/out-of-range.ini:2: polling_interval: '0' is out of range 1..3600" <<EOF
[multipath]
polling_interval = 0
[path a]
device = $P1
EOF

bad_case bad-no-path-retry \
	"$T/bad-no-path-retry.ini:2: no_path_retry: 'forever' is not queue, fail or a whole number" <<EOF
[multipath]
no_path_retry = forever
[path a]
device = $P1
EOF

bad_case bad-weight "$T/bad-weight.ini:6: weight: '-3' is not a whole number" <<EOF
[multipath]

[path a]
device = $P1
group = default
weight = -3
EOF

bad_case syntax "$T/syntax.ini:3: syntax: cannot parse this line" <<EOF
[multipath]
name = mpatha
this line is not ini
[path a]
device = $P1
EOF

bad_case unknown-section "$T/unknown-section.ini:4: [paths b]: unknown section" <<EOF
[multipath]
[path a]
device = $P1
[paths b]
device = $P2
EOF

bad_case twice "$T/twice.ini:4: device: given twice in [path a] (first at line 3)" <<EOF
[multipath]
[path a]
device = $P1
device = $P2
EOF

bad_case missing-device \
	"$T/missing-device.ini:5: device: cannot open '$NOFILE': No such file or directory" <<EOF
[multipath]
[path a]
device = $P1
[path b]
device = $NOFILE
EOF

bad_case device-is-dir \
	"$T/device-is-dir.ini:5: device: '$T' is neither a block device nor a regular file" <<EOF
[multipath]
[path a]
device = $P1
[path b]
device = $T
EOF

bad_case device-is-devnull \
	"$T/device-is-devnull.ini:3: device: '/dev/null' is neither a block device nor a regular file" <<EOF
[multipath]
[path a]
device = /dev/null
[path b]
device = $P1
EOF

bad_case same-device "$T/same-device.ini:6: device: '$LOOP_BIG' is already the device of [path a]" <<EOF
[multipath]
[path a]
device = $LOOP_BIG

[path b]
device = $LOOP_BIG
EOF

bad_case size-mismatch-files \
	"$T/size-mismatch-files.ini:7: device: '$SMALL' is 33554432 bytes but '$P1' is 67108864" \
	"every path must reach the same storage" <<EOF
[multipath]
name = mpatha

[path a]
device = $P1
[path b]
device = $SMALL
EOF

bad_case size-mismatch-loops \
	"$T/size-mismatch-loops.ini:5: device: '$LOOP_SMALL' is 33554432 bytes but '$LOOP_BIG' is 67108864" \
	"every path must reach the same storage" <<EOF
[multipath]
[path a]
device = $LOOP_BIG
[path b]
device = $LOOP_SMALL
EOF

bad_case name-control \
	"$T/name-control.ini:2: name: 'control' is taken by a file of the mount" <<EOF
[multipath]
name = control
[path a]
device = $P1
EOF

bad_case unknown-group \
	"$T/unknown-group.ini:6: group: unknown group 'fast'; there is no [group fast]" <<EOF
[multipath]
[group slow]
priority = 1
[path a]
device = $P1
group = fast
EOF

bad_case dup-section "$T/dup-section.ini:4: [path a]: section given twice (first at line 2)" <<EOF
[multipath]
[path a]
device = $P1
[path a]
device = $P2
EOF

bad_case dup-multipath "$T/dup-multipath.ini:4: [multipath]: section given twice (first at line 1)" <<EOF
[multipath]
[path a]
device = $P1
[multipath]
EOF

bad_case dup-key "$T/dup-key.ini:3: io_timeout: given twice in [multipath] (first at line 2)" <<EOF
[multipath]
io_timeout = 5
io_timeout = 6
[path a]
device = $P1
EOF

bad_case unknown-path-key "$T/unknown-path-key.ini:3: colour: unknown key in [path a]" <<EOF
[path a]
device = $P1
colour = red
EOF

bad_case unknown-group-key "$T/unknown-group-key.ini:2: weight: unknown key in [group g]" <<EOF
[group g]
weight = 2
[path a]
device = $P1
group = g
EOF

bad_case number-overflow \
	"$T/number-overflow.ini:2: rr_min_io: '99999999999999999999' is out of range 1..1000000" <<EOF
[multipath]
rr_min_io = 99999999999999999999
[path a]
device = $P1
EOF

bad_case number-2-64 \
	"$T/number-2-64.ini:2: polling_interval: '18446744073709551616' is out of range 1..3600" <<EOF
[multipath]
polling_interval = 18446744073709551616
[path a]
device = $P1
EOF

bad_case number-negative "$T/number-negative.ini:2: checker_timeout: '-1' is not a whole number" <<EOF
[multipath]
checker_timeout = -1
[path a]
device = $P1
EOF

bad_case number-hex "$T/number-hex.ini:2: io_timeout: '0x10' is not a whole number" <<EOF
[multipath]
io_timeout = 0x10
[path a]
device = $P1
EOF

bad_case priority-overflow \
	"$T/priority-overflow.ini:2: priority: '-99999999999999999999' is out of range -1000000..1000000" <<EOF
[group g]
priority = -99999999999999999999
[path a]
device = $P1
group = g
EOF

bad_case no-value "$T/no-value.ini:2: rr_min_io: no value given" <<EOF
[multipath]
rr_min_io =
[path a]
device = $P1
EOF

bad_case allow-other-word \
	"$T/allow-other-word.ini:2: allow_other: unknown value 'maybe'; expected one of no, yes" <<EOF
[multipath]
allow_other = maybe
[path a]
device = $P1
EOF

bad_case control-group-unknown \
	"$T/control-group-unknown.ini:3: control_group: no group 'no-such-group-mpathfs' on this system" <<EOF
[multipath]
allow_other = yes
control_group = no-such-group-mpathfs
[path a]
device = $P1
EOF

bad_case control-group-alone \
	"$T/control-group-alone.ini:2: control_group: needs allow_other = yes: without it no user but root can reach the mount" <<EOF
[multipath]
control_group = 0
[path a]
device = $P1
EOF

bad_case status-mode-writable \
	"$T/status-mode-writable.ini:3: status_mode: unknown mode '0666'; expected one of 0400, 0440, 0444" <<EOF
[multipath]
allow_other = yes
status_mode = 0666
[path a]
device = $P1
EOF

mkfifo "$T/fifo" || it_fail "mkfifo"
bad_case device-is-fifo \
	"$T/device-is-fifo.ini:5: device: '$T/fifo' is neither a block device nor a regular file" <<EOF
[multipath]
[path a]
device = $P1
[path b]
device = $T/fifo
EOF

truncate -s 0 "$T/empty.img" || it_fail "truncate"
bad_case device-empty \
	"$T/device-empty.ini:3: device: '$T/empty.img' is smaller than one 4096-byte block" <<EOF
[multipath]
[path a]
device = $T/empty.img
EOF

# a block device another process holds with O_EXCL
truncate -s 64M "$T/held.img" || it_fail "truncate"
it_add_path_loop "$T/held.img"
LOOP_HELD=$IT_LOOP
cat >"$T/hold.py" <<'EOF'
import os, sys, time
fd = os.open(sys.argv[1], os.O_RDONLY | os.O_EXCL)
print('held', flush=True)
time.sleep(3600)
EOF
it_bg python3 "$T/hold.py" "$LOOP_HELD" >"$T/hold.out"
HOLDER=$IT_BG
for ((i = 0; i < 200; i++)); do
	grep -q held "$T/hold.out" && break
	kill -0 "$HOLDER" 2>/dev/null || it_fail "the O_EXCL holder of $LOOP_HELD exited"
	sleep 0.05
done
grep -q held "$T/hold.out" || it_fail "the O_EXCL holder of $LOOP_HELD did not start"
bad_case device-held \
	"$T/device-held.ini:5: device: '$LOOP_HELD' is in use (mounted or held exclusively)" <<EOF
[multipath]
[path a]
device = $P1
[path b]
device = $LOOP_HELD
EOF
kill "$HOLDER" && wait "$HOLDER" 2>/dev/null

# a block device with a mounted filesystem
mkfs.ext4 -q -F "$LOOP_HELD" >/dev/null 2>&1 || it_fail "mkfs.ext4 $LOOP_HELD failed"
mkdir "$T/fs" || it_fail "mkdir"
it_mount_fs "$LOOP_HELD" "$T/fs"
bad_case device-mounted \
	"$T/device-mounted.ini:3: device: '$LOOP_HELD' is in use (mounted or held exclusively)" <<EOF
[multipath]
[path a]
device = $LOOP_HELD
EOF
it_umount_fs "$T/fs"

mkdir "$T/config-is-dir.ini" || it_fail "mkdir"
bad_case config-is-dir "$T/config-is-dir.ini: cannot read: Is a directory" <<EOF
-
EOF

# a FIFO has no writer: it must be refused, not waited on
mkfifo "$T/config-is-fifo.ini" || it_fail "mkfifo"
bad_case config-is-fifo "$T/config-is-fifo.ini: not a regular file" <<EOF
-
EOF

printf '[path a]\ndevice = %s\n\0\n' "$P1" >"$T/config-nul.ini" || it_fail "printf"
bad_case config-nul "$T/config-nul.ini: not a text file (it contains a NUL byte)" <<EOF
-
EOF

# anyone who can write the config could point the daemon at any device
printf '[path a]\ndevice = %s\n' "$P1" >"$T/config-world-writable.ini" || it_fail "printf"
chmod 0646 "$T/config-world-writable.ini" || it_fail "chmod"
bad_case config-world-writable "$T/config-world-writable.ini: writable by others: refusing it (chmod o-w $T/config-world-writable.ini)" <<EOF
-
EOF

# no line or key to name: the whole file is wrong
bad_case no-paths "$T/no-paths.ini: no [path] sections" <<EOF
[multipath]
name = mpatha
no_path_retry = queue
EOF

bad_case missing-config "$T/missing-config.ini: cannot read: No such file or directory" <<EOF
-
EOF

it_log "$ncase bad configs refused"

# control: a good config with the same kind of paths starts and serves
cat >"$T/good.ini" <<EOF
[multipath]
name = mpatha
[path a]
device = $P1
[path b]
device = $P2
EOF
IT_CFG=$T/good.ini
it_start_daemon
[ "$(stat -c %s "$IT_DEV")" = 67108864 ] || it_fail "good config: wrong device size"
it_stop_daemon || it_fail "mpathfs exited with status $? after a clean unmount"
it_pass
