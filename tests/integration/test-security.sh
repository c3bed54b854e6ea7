#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Who may use the mount (issue 7, security). For each of four configs the
# mount's files must show the expected mode, owner and group, and the
# user nobody (setpriv: no capabilities, chosen groups) must get exactly
# the access the modes give, enforced by the kernel (default_permissions):
#
#  1. defaults: no allow_other, so nobody cannot even stat the mount
#     (EACCES), while root uses it as always;
#  2. allow_other = yes: nobody reaches the mount but the modes keep it
#     out: control 0600 root:root, status/table/metrics/events 0440
#     root:root, the device 0600; a reload may not change these keys;
#  3. allow_other = yes, control_group = 4242 (a number), status_group =
#     nogroup (a name): control 0660 root:4242 and the status files 0440
#     root:nogroup; a member of 4242 runs commands (they take effect) and
#     reads the replies, a member of nogroup reads status, someone in
#     neither gets EACCES for both, and nobody touches the device;
#  4. allow_other = yes, status_mode = 0444: anyone reads the status
#     files, nobody writes them or control.
#
# Also: -o allow_other on the command line is refused (the config decides),
# and neither the sources nor the daemon's imports shell out (system,
# popen, fork, exec*, posix_spawn).
. "$(dirname "$0")/lib.sh"

it_require_env setpriv nm
# nobody cannot use root's python (pyenv under /root): the system's one
PY=/usr/bin/python3
[ -x "$PY" ] || it_fail "required tool $PY is not installed"
it_setup 64M 2
# nobody must reach the mountpoint, so every refusal below is the mount's
chmod 755 "$IT_TMP" || it_fail "chmod $IT_TMP"
SRC=$(cd "$(dirname "$0")/../.." && pwd)/src

PROBE=$IT_TMP/probe.py
cat >"$PROBE" <<'EOF'
# probe.py OP PATH [COMMAND]: prints "ok ..." or the errno name.
import errno, os, sys

op, path = sys.argv[1], sys.argv[2]
try:
    if op == 'stat':
        os.stat(path)
        print('ok')
    elif op == 'read':
        # O_NONBLOCK: events has nothing to say yet, but the open counts
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        try:
            data = os.read(fd, 65536)
        except BlockingIOError:
            data = b''
        print('ok ' + data.decode(errors='replace').split('\n')[0])
    elif op == 'write':
        os.open(path, os.O_WRONLY)
        print('ok')
    elif op == 'ctl':
        fd = os.open(path, os.O_RDWR)
        res = 'ok'
        try:
            os.write(fd, (sys.argv[3] + '\n').encode())
        except OSError as e:
            res = errno.errorcode[e.errno]
        print(res + ' ' + ' | '.join(os.read(fd, 65536).decode().splitlines()))
    else:
        sys.exit('probe.py: unknown op ' + op)
except OSError as e:
    print(errno.errorcode.get(e.errno, str(e.errno)))
EOF
chmod 644 "$PROBE"

# as GID GROUPS OP FILE [COMMAND]: the probe as nobody with primary group
# GID and supplementary GROUPS ("-": none), no capabilities.
as() {
	local gid=$1 groups=$2
	shift 2
	local g=(--clear-groups)
	[ "$groups" = - ] || g=(--groups="$groups")
	setpriv --reuid=nobody --regid="$gid" "${g[@]}" --inh-caps=-all \
		"$PY" "$PROBE" "$@" 2>&1
}

# expect WHAT RESULT GID GROUPS OP FILE [COMMAND]: the probe's answer
# starts with RESULT (ok, EACCES, ...).
expect() {
	local what=$1 want=$2 got
	shift 2
	got=$(as "$@")
	case $got in
	"$want"*) ;;
	*) it_fail "$what: got '$got', expected '$want'" ;;
	esac
	it_log "$what: $got"
}

# modes FILE=MODE:UID:GID...: stat of each file of the mount, as root
modes() {
	local e f want got
	for e in "$@"; do
		f=${e%%=*}
		want=${e#*=}
		got=$(stat -c '%a:%u:%g' "$IT_MNT/$f") || it_fail "stat $f"
		[ "$got" = "$want" ] || it_fail "$f is $got (mode:uid:gid), expected $want"
	done
	it_log "modes: $*"
}

STATUS_FILES=(status table metrics events)

# ---------------------------------------------------------------- 1. defaults
it_write_config
it_start_daemon
modes .=755:0:0 mpatha=600:0:0 control=600:0:0 status=440:0:0 table=440:0:0 \
	metrics=440:0:0 events=440:0:0
expect "no allow_other: stat of the mount" EACCES nogroup - stat "$IT_MNT"
expect "no allow_other: stat of status" EACCES nogroup - stat "$IT_MNT/status"
expect "no allow_other: read status" EACCES nogroup - read "$IT_MNT/status"
expect "no allow_other: control" EACCES nogroup 0 ctl "$IT_MNT/control" "show paths"
expect "no allow_other: the device" EACCES nogroup 0 read "$IT_DEV"
# root, the mounting user, as always
it_ctl_ok fail_path b
it_expect_path_state b failed
it_ctl_ok reinstate_path b
grep -q '^allow_other = no$' <(it_ctl show config) || it_fail "show config: no 'allow_other = no'"
it_stop_daemon || it_fail "mpathfs exited with status $?"

# ---------------------------------------------------------------- 2. allow_other
it_write_config "allow_other = yes"
it_start_daemon
modes .=755:0:0 mpatha=600:0:0 control=600:0:0 status=440:0:0 table=440:0:0 \
	metrics=440:0:0 events=440:0:0
expect "allow_other: stat of the mount" ok nogroup - stat "$IT_MNT"
for f in "${STATUS_FILES[@]}"; do
	expect "allow_other: stat of $f" ok nogroup - stat "$IT_MNT/$f"
	expect "allow_other: read $f" EACCES nogroup - read "$IT_MNT/$f"
	expect "allow_other: open $f for writing" EACCES nogroup - write "$IT_MNT/$f"
done
expect "allow_other: control" EACCES nogroup - ctl "$IT_MNT/control" "fail_path a"
expect "allow_other: control, write only" EACCES nogroup - write "$IT_MNT/control"
expect "allow_other: the device" EACCES nogroup - read "$IT_DEV"
expect "allow_other: the device, write" EACCES nogroup - write "$IT_DEV"
it_expect_path_state a active
# the mount options and modes are fixed at mount time: a reload cannot change them
it_write_config
out=$(it_ctl reload) && it_fail "reload without allow_other was accepted: $out"
[ "$out" = "error: allow_other cannot change (or be set) on reload: restart the daemon; nothing changed" ] ||
	it_fail "reload without allow_other: '$out'"
it_write_config "allow_other = yes" "status_mode = 0400"
out=$(it_ctl reload) && it_fail "reload with another status_mode was accepted: $out"
[ "$out" = "error: status_mode cannot change (or be set) on reload: restart the daemon; nothing changed" ] ||
	it_fail "reload with another status_mode: '$out'"
expect "allow_other, after the refused reloads: stat of the mount" ok nogroup - stat "$IT_MNT"
modes status=440:0:0
it_stop_daemon || it_fail "mpathfs exited with status $?"

# ---------------------------------------------------------------- 3. groups
NOGROUP=$(getent group nogroup | cut -d: -f3)
[ -n "$NOGROUP" ] || it_fail "no group 'nogroup' on this machine"
it_write_config "allow_other = yes" "control_group = 4242" "status_group = nogroup"
it_start_daemon
modes mpatha=600:0:0 control=660:0:4242 status=440:0:$NOGROUP table=440:0:$NOGROUP \
	metrics=440:0:$NOGROUP events=440:0:$NOGROUP
# a member of the control group: commands run, replies come back
expect "control_group member: fail_path b" "ok ok" 4243 4242 ctl "$IT_MNT/control" "fail_path b"
it_expect_path_state b failed
expect "control_group member: show paths" "ok name" 4243 4242 ctl "$IT_MNT/control" "show paths"
expect "control_group member: a bad command" \
	"EINVAL error: unknown command 'frobnicate'" 4243 4242 ctl "$IT_MNT/control" frobnicate
expect "control_group member: reinstate_path b" "ok ok" 4243 4242 ctl "$IT_MNT/control" \
	"reinstate_path b"
it_expect_path_state b active
expect "control_group member, not in status_group: status" EACCES 4243 4242 read "$IT_MNT/status"
expect "control_group member: the device" EACCES 4243 4242 read "$IT_DEV"
# a member of the status group (here by its primary group)
for f in "${STATUS_FILES[@]}"; do
	expect "status_group member: read $f" ok nogroup - read "$IT_MNT/$f"
done
expect "status_group member: status is the dm line" "ok 2 0 0 " nogroup - read "$IT_MNT/status"
expect "status_group member: open status for writing" EACCES nogroup - write "$IT_MNT/status"
expect "status_group member: control" EACCES nogroup - ctl "$IT_MNT/control" "fail_path a"
# in neither group
expect "no member: control" EACCES 4243 - ctl "$IT_MNT/control" "fail_path a"
expect "no member: status" EACCES 4243 - read "$IT_MNT/status"
expect "no member: the device" EACCES 4243 - read "$IT_DEV"
it_expect_path_state a active
grep -q '^control_group = 4242$' <(it_ctl show config) || it_fail "show config: no control_group"
it_stop_daemon || it_fail "mpathfs exited with status $?"

# ---------------------------------------------------------------- 4. status_mode
it_write_config "allow_other = yes" "status_mode = 0444"
it_start_daemon
modes control=600:0:0 status=444:0:0 table=444:0:0 metrics=444:0:0 events=444:0:0
for f in "${STATUS_FILES[@]}"; do
	expect "status_mode 0444: read $f" ok 4243 - read "$IT_MNT/$f"
	expect "status_mode 0444: open $f for writing" EACCES 4243 - write "$IT_MNT/$f"
done
expect "status_mode 0444: metrics" "ok # " 4243 - read "$IT_MNT/metrics"
expect "status_mode 0444: control" EACCES 4243 - ctl "$IT_MNT/control" "show paths"
expect "status_mode 0444: the device" EACCES 4243 - read "$IT_DEV"
it_stop_daemon || it_fail "mpathfs exited with status $?"

# ---------------------------------------------------------------- -o allow_other
it_write_config
for opt in allow_other default_permissions,allow_root; do
	out=$(timeout -k 1 10 "$MPATHFS" "$IT_MNT" -c "$IT_CFG" -f -o "$opt" 2>&1)
	rc=$?
	[ "$rc" = 2 ] || it_fail "-o $opt: exit status $rc, expected 2: $out"
	grep -q "set allow_other = yes in the config" <<<"$out" || it_fail "-o $opt: '$out'"
	it_mounted "$IT_MNT" && it_fail "-o $opt: $IT_MNT is mounted"
	it_log "-o $opt: exit 2: $out"
done

# ---------------------------------------------------------------- no shell-outs
SPAWN='system|popen|fork|vfork|clone|execl|execlp|execle|execv|execve|execvp|execvpe|posix_spawnp?'
hits=$(grep -nE "\\b($SPAWN)[[:space:]]*\\(" "$SRC"/*.c) &&
	it_fail "the sources start programs: $hits"
nm -D --undefined-only "$MPATHFS" >"$IT_TMP/imports" || it_fail "nm -D $MPATHFS failed"
[ -s "$IT_TMP/imports" ] || it_fail "nm -D $MPATHFS lists no imports"
hits=$(grep -wE "($SPAWN)(@.*)?$" "$IT_TMP/imports") &&
	it_fail "mpathfs imports process-starting functions: $hits"
it_log "no shell-outs: none of $SPAWN in src/*.c or in mpathfs's imports"
it_pass
