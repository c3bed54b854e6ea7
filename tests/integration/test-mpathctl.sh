#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Proves mpathctl against a real daemon (two groups: fast = a b at
# priority 50, slow = c at 10; a fourth loop device for add_path):
#  1. every show target, as text and as JSON (--json, -j before the
#     mountpoint, and the control file's own "show X json"): the JSON
#     parses (python3), its fields hold what the config says
#     (paths[].name/state/group, groups[].priority, topology's groups and
#     their paths, config keys, stats counters), and it is the same JSON
#     the control file gives;
#  2. every state-changing command answers ok with exit status 0 and its
#     effect shows in `status` or `table` and in the JSON views, parsed and
#     asserted (fail/reinstate a path: state, admin_failed, fail_count;
#     disable/enable a group: its state; switch_group and the next I/O:
#     next_group, the active group, group_switches; queue_if_no_path /
#     fail_if_no_path: queue_if_no_path); add_path / remove_path (the new
#     path in its group, then gone; the last usable path refused), reload
#     (of the same file: nothing changes; of an edited one: `show config`
#     and `show groups` change) and resize (same size, then grown) answer
#     their texts;
#  3. the exit statuses: 1 for a command the daemon refuses (its
#     "error: ..." on stderr, nothing on stdout), 2 for usage errors (found
#     before any daemon is contacted: even with a mountpoint that does not
#     exist), 3 when no daemon is reachable (no such directory, nothing
#     mounted, another file system, a file, permission denied), 4 for
#     malformed replies (from a fake fuse.mpathfs daemon, when a C compiler
#     and libfuse3's headers are there);
#  4. the bash completion completes mountpoints, commands, show targets and
#     the daemon's path and group names.
. "$(dirname "$0")/lib.sh"

it_require_env python3 setpriv
if [ -z "${MPATHCTL:-}" ]; then
	guess=$(dirname "$IT_LIB")/../../build/mpathctl
	[ -x "$guess" ] && MPATHCTL=$guess
fi
[ -n "${MPATHCTL:-}" ] && [ -x "$MPATHCTL" ] ||
	it_fail "MPATHCTL is not set to the mpathctl executable (got '${MPATHCTL:-}')"
COMPLETION=$(cd "$(dirname "$0")/../.." && pwd)/contrib/mpathctl.bash-completion
[ -f "$COMPLETION" ] || it_fail "no bash completion at $COMPLETION"

it_setup 64M 4
it_write_grouped_config "fast=50:a,b slow=10:c" "path_checker = none" "failback = manual" \
	"path_selector = round-robin"
it_start_daemon

OUT=$IT_TMP/out
ERR=$IT_TMP/err

# ctl WANT_STATUS ARGS...: run mpathctl ARGS; stdout in $OUT, stderr in $ERR
ctl() {
	local want=$1 rc
	shift
	"$MPATHCTL" "$@" >"$OUT" 2>"$ERR"
	rc=$?
	[ "$rc" = "$want" ] ||
		it_fail "mpathctl $*: exit status $rc, expected $want; stdout: '$(head -c 600 "$OUT")'; stderr: '$(head -c 600 "$ERR")'"
}

# pyjson FILE CODE: python3 CODE with d = the JSON of FILE; a failed
# assert fails the test
pyjson() {
	it_json_assert "$1" "$2" "$2"
}

# ---------------------------------------------------------------- help, version
ctl 0 --help
grep -q '^usage: mpathctl MOUNTPOINT' "$OUT" || it_fail "--help: no usage line: $(cat "$OUT")"
for c in show fail_path reinstate_path disable_group enable_group switch_group \
	queue_if_no_path fail_if_no_path add_path remove_path reload resize; do
	grep -qw -- "$c" "$OUT" || it_fail "--help does not list $c"
done
ctl 0 --version
grep -qE '^mpathctl [0-9]+\.[0-9]+' "$OUT" || it_fail "--version: '$(cat "$OUT")'"
it_log "--help and --version: exit 0"

# ---------------------------------------------------------------- show, text
ctl 0 "$IT_MNT" show topology
head -n 1 "$OUT" | grep -qF "$IT_DEVNAME ($IT_MNT/$IT_DEVNAME) mpathfs" ||
	it_fail "show topology: first line '$(head -n 1 "$OUT")'"
grep -qF "prio=50 status=" "$OUT" && grep -qF "prio=10 status=" "$OUT" ||
	it_fail "show topology: the two groups are missing: $(cat "$OUT")"
for i in 0 1 2; do
	grep -qE -- "- ${IT_PATH_NAMES[$i]} ${IT_PATHS[$i]} [0-9]+:[0-9]+ active ready" "$OUT" ||
		it_fail "show topology: no line for path ${IT_PATH_NAMES[$i]}: $(cat "$OUT")"
done
ctl 0 "$IT_MNT" show paths
[ "$(awk 'NR > 1 && $4 == "active" { n++ } END { print n + 0 }' "$OUT")" = 3 ] ||
	it_fail "show paths: expected 3 active paths: $(cat "$OUT")"
ctl 0 "$IT_MNT" show groups
awk '$2 == "fast" && $3 == 50 { f = 1 } $2 == "slow" && $3 == 10 { s = 1 } END { exit !(f && s) }' \
	"$OUT" || it_fail "show groups: fast/50 and slow/10 expected: $(cat "$OUT")"
ctl 0 "$IT_MNT" show config
for s in "[group fast]" "priority = 50" "[path c]" "device = ${IT_PATHS[2]}" \
	"failback = manual" "path_selector = round-robin"; do
	grep -qxF "$s" "$OUT" || it_fail "show config: no line '$s': $(cat "$OUT")"
done
ctl 0 "$IT_MNT" show stats
grep -qx "usable_paths 3" "$OUT" && grep -q "^path a reads " "$OUT" ||
	it_fail "show stats: $(cat "$OUT")"
it_log "show topology|paths|groups|config|stats (text): exit 0, contents as configured"

# ---------------------------------------------------------------- show, JSON
# every spelling gives the same, pretty-printed JSON object
ctl 0 "$IT_MNT" show paths --json
cp "$OUT" "$IT_TMP/paths.json"
[ "$(wc -l <"$OUT")" -gt 10 ] || it_fail "show paths --json is not pretty-printed: $(cat "$OUT")"
ctl 0 -j "$IT_MNT" show paths
cmp -s "$OUT" "$IT_TMP/paths.json" || it_fail "-j before the mountpoint gives other output"
ctl 0 "$IT_MNT" show paths json
cmp -s "$OUT" "$IT_TMP/paths.json" || it_fail "'show paths json' gives other output than --json"

pyjson "$IT_TMP/paths.json" "
p = d['paths']
assert [x['name'] for x in p] == ['a', 'b', 'c'], [x['name'] for x in p]
assert all(x['state'] == 'active' for x in p), [x['state'] for x in p]
assert [x['group'] for x in p] == ['fast', 'fast', 'slow'], [x['group'] for x in p]
assert [x['device'] for x in p] == ['${IT_PATHS[0]}', '${IT_PATHS[1]}', '${IT_PATHS[2]}']
assert all(x['fail_count'] == 0 and x['admin_failed'] is False for x in p)
assert all(isinstance(x[k], int) for x in p for k in ('reads', 'writes', 'errors', 'inflight_ios'))
"
ctl 0 "$IT_MNT" show groups --json
pyjson "$OUT" "
g = d['groups']
assert [(x['num'], x['name'], x['priority']) for x in g] == [(1, 'fast', 50), (2, 'slow', 10)], g
assert [x['paths_total'] for x in g] == [2, 1] and [x['paths_usable'] for x in g] == [2, 1], g
assert all(x['selector'] == 'round-robin' for x in g), g
"
ctl 0 "$IT_MNT" show topology --json
pyjson "$OUT" "
assert d['name'] == '$IT_DEVNAME' and d['device'] == '$IT_MNT/$IT_DEVNAME', d['name']
assert d['size'] == $IT_SIZE, d['size']
assert d['usable_paths'] == 3 and d['queue_if_no_path'] is True, d
assert [x['name'] for x in d['groups']] == ['fast', 'slow']
assert [x['priority'] for x in d['groups']] == [50, 10]
assert [[p['name'] for p in x['paths']] for x in d['groups']] == [['a', 'b'], ['c']]
"
ctl 0 "$IT_MNT" show config --json
pyjson "$OUT" "
assert d['name'] == '$IT_DEVNAME'
assert d['path_selector'] == 'round-robin' and d['failback'] == 'manual'
assert d['path_checker'] == 'none' and d['no_path_retry'] == 'queue'
assert d['rr_min_io'] == 1 and d['polling_interval'] == 5 and d['io_timeout'] == 10
for k in ('max_polling_interval', 'checker_timeout', 'hardware_handler', 'prio',
          'pg_init_retries', 'pg_init_delay_msecs', 'max_io_memory_mb'):
    assert k in d, 'no key ' + k
assert [(x['name'], x['priority']) for x in d['groups']] == [('fast', 50), ('slow', 10)]
assert [(x['name'], x['group'], x['weight']) for x in d['paths']] == \
    [('a', 'fast', 1), ('b', 'fast', 1), ('c', 'slow', 1)]
"
ctl 0 "$IT_MNT" show stats --json
pyjson "$OUT" "
assert d['usable_paths'] == 3 and d['queued_io'] == 0 and d['queue_if_no_path'] is True, d
assert d['path_failures'] == 0 and d['pg_init_count'] == 0
assert [x['name'] for x in d['paths']] == ['a', 'b', 'c']
"
# mpathctl re-emits what the control file gives, value for value
for w in paths groups topology config stats; do
	ctl 0 "$IT_MNT" show "$w" --json
	it_ctl show "$w" json >"$IT_TMP/raw.json" || it_fail "control file: show $w json refused"
	python3 -c 'import json, sys
sys.exit(json.load(open(sys.argv[1])) != json.load(open(sys.argv[2])))' "$OUT" "$IT_TMP/raw.json" ||
		it_fail "show $w --json differs from the control file's JSON"
done
it_log "show X --json / -j / json: exit 0, JSON parsed and checked, equal to the control file's"

# ---------------------------------------------------------------- state changes
ctl 0 "$IT_MNT" fail_path b
[ "$(cat "$OUT")" = ok ] || it_fail "fail_path b answered '$(cat "$OUT")'"
it_expect_path_state b failed
ctl 0 "$IT_MNT" show paths --json
pyjson "$OUT" "
b = [x for x in d['paths'] if x['name'] == 'b'][0]
assert b['state'] == 'failed' and b['admin_failed'] is True and b['fail_count'] == 1, b
"
ctl 0 "$IT_MNT" fail_path b
grep -q '^ok: path b already failed' "$OUT" || it_fail "second fail_path b: '$(cat "$OUT")'"
# a path named by its device
ctl 0 "$IT_MNT" reinstate_path "${IT_PATHS[1]}"
[ "$(cat "$OUT")" = ok ] || it_fail "reinstate_path ${IT_PATHS[1]} answered '$(cat "$OUT")'"
it_expect_path_state b active
ctl 0 "$IT_MNT" show paths --json
pyjson "$OUT" "
b = [x for x in d['paths'] if x['name'] == 'b'][0]
assert b['state'] == 'active' and b['admin_failed'] is False and b['fail_count'] == 1, b
"
ctl 0 "$IT_MNT" reinstate_path b
grep -q '^ok: path b already active' "$OUT" || it_fail "second reinstate_path b: '$(cat "$OUT")'"
it_log "fail_path / reinstate_path: exit 0, shown in status"

ctl 0 "$IT_MNT" disable_group slow
[ "$(cat "$OUT")" = ok ] || it_fail "disable_group slow answered '$(cat "$OUT")'"
[ "$(it_group_states | awk '{ print $2 }')" = D ] ||
	it_fail "disable_group slow: status groups '$(it_group_states)'"
ctl 0 "$IT_MNT" show groups --json
pyjson "$OUT" "assert [x['state'] for x in d['groups']][1] == 'disabled', d['groups']"
ctl 0 "$IT_MNT" disable_group 2
grep -q '^ok: group 2 already disabled' "$OUT" || it_fail "second disable_group: '$(cat "$OUT")'"
ctl 0 "$IT_MNT" enable_group 2
[ "$(cat "$OUT")" = ok ] || it_fail "enable_group 2 answered '$(cat "$OUT")'"
[ "$(it_group_states | awk '{ print $2 }')" = E ] ||
	it_fail "enable_group 2: status groups '$(it_group_states)'"
ctl 0 "$IT_MNT" show groups --json
pyjson "$OUT" "assert [x['state'] for x in d['groups']][1] == 'enabled', d['groups']"
ctl 0 "$IT_MNT" enable_group slow
grep -q '^ok: group 2 already enabled' "$OUT" || it_fail "second enable_group: '$(cat "$OUT")'"
it_log "disable_group / enable_group: exit 0, status shows D then E"

next_group() {
	awk '{ print $6 }' "$IT_MNT/status"
}
one_io() {
	dd if="$IT_DEV" of=/dev/null bs=4k count=1 iflag=direct status=none ||
		it_fail "a read through $IT_DEV failed"
}
one_io
ctl 0 "$IT_MNT" show stats --json
sw0=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["group_switches"])' "$OUT")
ctl 0 "$IT_MNT" switch_group slow
[ "$(cat "$OUT")" = ok ] || it_fail "switch_group slow answered '$(cat "$OUT")'"
[ "$(next_group)" = 2 ] || it_fail "switch_group slow: next group in status is $(next_group)"
ctl 0 "$IT_MNT" show topology --json
pyjson "$OUT" "assert d['next_group'] == 2, d['next_group']"
one_io
[ "$(it_active_group)" = 2 ] || it_fail "after switch_group slow and a read: groups '$(it_group_states)'"
ctl 0 "$IT_MNT" show topology --json
pyjson "$OUT" "
assert [x['state'] for x in d['groups']] == ['enabled', 'active'], [x['state'] for x in d['groups']]
assert d['group_switches'] == $sw0 + 1, (d['group_switches'], $sw0)
"
ctl 0 "$IT_MNT" switch_group fast
one_io
[ "$(it_active_group)" = 1 ] || it_fail "after switch_group fast and a read: groups '$(it_group_states)'"
ctl 0 "$IT_MNT" show stats --json
pyjson "$OUT" "assert d['group_switches'] == $sw0 + 2, (d['group_switches'], $sw0)"
it_log "switch_group: exit 0, status shows the next and then the active group"

ctl 0 "$IT_MNT" fail_if_no_path
[ "$(cat "$OUT")" = ok ] || it_fail "fail_if_no_path answered '$(cat "$OUT")'"
read -r nfeat _ <"$IT_MNT/table"
[ "$nfeat" = 0 ] || it_fail "fail_if_no_path: table still has features: $(cat "$IT_MNT/table")"
ctl 0 "$IT_MNT" show stats --json
pyjson "$OUT" "assert d['queue_if_no_path'] is False, d"
ctl 0 "$IT_MNT" queue_if_no_path
[ "$(cat "$OUT")" = ok ] || it_fail "queue_if_no_path answered '$(cat "$OUT")'"
grep -q '^1 queue_if_no_path ' "$IT_MNT/table" ||
	it_fail "queue_if_no_path: table '$(cat "$IT_MNT/table")'"
ctl 0 "$IT_MNT" show topology --json
pyjson "$OUT" "assert d['queue_if_no_path'] is True, d"
it_log "fail_if_no_path / queue_if_no_path: exit 0, shown in table"

# commands the daemon carries out itself (they open devices or read the
# config): exit status 0 and the daemon's text
said() {	# TEXT: stdout is exactly TEXT, stderr empty
	[ "$(cat "$OUT")" = "$1" ] || it_fail "expected '$1' on stdout, got '$(cat "$OUT")'"
	[ -s "$ERR" ] && it_fail "stderr has '$(cat "$ERR")' after '$1'"
	return 0
}
ctl 0 "$IT_MNT" add_path d "${IT_PATHS[3]}" slow
said "ok: path d added"
it_expect_path_state d active
ctl 0 "$IT_MNT" show topology --json
pyjson "$OUT" "
assert [[p['name'] for p in x['paths']] for x in d['groups']] == [['a', 'b'], ['c', 'd']], d['groups']
p = d['groups'][1]['paths'][1]
assert p['device'] == '${IT_PATHS[3]}' and p['state'] == 'active' and p['group'] == 'slow', p
assert d['usable_paths'] == 4
"
# a device already in the map (held O_EXCL by its path)
ctl 1 "$IT_MNT" add_path e "${IT_PATHS[3]}" slow
grep -qxE "error: (cannot open '${IT_PATHS[3]}': in use \(mounted or held exclusively\)|device '${IT_PATHS[3]}' is already path 'd')" "$ERR" ||
	it_fail "add_path of a device already in the map: $(cat "$ERR")"
ctl 0 "$IT_MNT" remove_path d
said "ok: path d removed"
ctl 0 "$IT_MNT" show paths --json
pyjson "$OUT" "assert [x['name'] for x in d['paths']] == ['a', 'b', 'c'], d['paths']"
it_log "add_path / remove_path: exit 0, the path in its group in show topology --json, then gone"

# remove_path refuses the last usable path (exit 1)
ctl 0 "$IT_MNT" fail_path a
ctl 0 "$IT_MNT" fail_path b
ctl 1 "$IT_MNT" remove_path c
[ "$(cat "$ERR")" = "error: path c is the last usable path" ] ||
	it_fail "remove_path of the last usable path: stderr '$(cat "$ERR")'"
[ -s "$OUT" ] && it_fail "remove_path refused, yet stdout has '$(cat "$OUT")'"
ctl 0 "$IT_MNT" show stats --json
pyjson "$OUT" "assert d['usable_paths'] == 1 and [x['name'] for x in d['paths']] == ['a', 'b', 'c'], d"
it_log "remove_path of the last usable path: exit 1, '$(cat "$ERR")'"
ctl 0 "$IT_MNT" reinstate_path a
ctl 0 "$IT_MNT" reinstate_path b

# reload: the same file changes nothing; an edited one shows in the views
ctl 0 "$IT_MNT" reload
said "ok: reloaded: 0 paths added, 0 removed"
sed -i -e 's/^failback = manual$/failback = 30/' -e 's/^priority = 10$/priority = 20/' \
	-e 's/^path_selector = round-robin$/path_selector = queue-length\nio_timeout = 25/' "$IT_CFG"
ctl 0 "$IT_MNT" reload
said "ok: reloaded: 0 paths added, 0 removed"
ctl 0 "$IT_MNT" show config --json
pyjson "$OUT" "
assert d['failback'] == '30' and d['io_timeout'] == 25 and d['path_selector'] == 'queue-length', d
assert [(x['name'], x['priority']) for x in d['groups']] == [('fast', 50), ('slow', 20)], d['groups']
"
ctl 0 "$IT_MNT" show groups --json
pyjson "$OUT" "
assert [(x['name'], x['priority'], x['selector']) for x in d['groups']] == \
    [('fast', 50, 'queue-length'), ('slow', 20, 'queue-length')], d['groups']
"
ctl 0 "$IT_MNT" show groups
awk '$2 == "slow" && $3 == 20 { f = 1 } END { exit !f }' "$OUT" ||
	it_fail "show groups after reload: slow/20 expected: $(cat "$OUT")"
# a config with an error: exit 1, the file, line and key named, nothing changed
cp "$IT_CFG" "$IT_TMP/good.ini"
echo "no_such_key = 1" >>"$IT_CFG"
ctl 1 "$IT_MNT" reload
grep -qxF "error: $IT_CFG:$(wc -l <"$IT_CFG"): no_such_key: unknown key in [path c]; nothing changed" "$ERR" ||
	it_fail "reload of a bad config: stderr '$(cat "$ERR")'"
[ -s "$OUT" ] && it_fail "reload refused, yet stdout has '$(cat "$OUT")'"
cp "$IT_TMP/good.ini" "$IT_CFG"
ctl 0 "$IT_MNT" show config --json
pyjson "$OUT" "assert d['failback'] == '30' and d['io_timeout'] == 25, d"
it_log "reload: exit 0; an edited config shows in show config/groups (text and --json); a bad one: exit 1"

# resize: the same size, then grown paths
ctl 0 "$IT_MNT" resize
said "ok: size $IT_SIZE -> $IT_SIZE bytes"
truncate -s $((IT_SIZE * 2)) "$IT_IMG" || it_fail "truncate $IT_IMG"
for p in "${IT_PATHS[@]}"; do
	losetup -c "$p" || it_fail "losetup -c $p"
done
ctl 0 "$IT_MNT" resize
said "ok: size $IT_SIZE -> $((IT_SIZE * 2)) bytes"
ctl 0 "$IT_MNT" show topology --json
pyjson "$OUT" "assert d['size'] == $((IT_SIZE * 2)), d['size']"
grep -qF "size=$((IT_SIZE * 2 >> 20)).0M" <("$MPATHCTL" "$IT_MNT" show topology) ||
	it_fail "show topology after resize: $("$MPATHCTL" "$IT_MNT" show topology | head -n 2)"
[ "$(stat -c %s "$IT_DEV")" = $((IT_SIZE * 2)) ] || it_fail "the device file did not grow"
IT_SIZE=$((IT_SIZE * 2))
it_log "resize: exit 0, 'ok: size A -> B bytes', show topology (text and --json) and the device file grow"

# ---------------------------------------------------------------- exit status 1
refused() {	# ARGS...: exit 1, the daemon's error on stderr, nothing on stdout
	ctl 1 "$IT_MNT" "$@"
	grep -q '^error: ' "$ERR" || it_fail "mpathctl $*: stderr is not the daemon's error: $(cat "$ERR")"
	[ -s "$OUT" ] && it_fail "mpathctl $*: refused, yet stdout has '$(cat "$OUT")'"
	return 0
}
refused fail_path zz
grep -qF "error: no path 'zz'" "$ERR" || it_fail "fail_path zz: $(cat "$ERR")"
refused reinstate_path /dev/no-such-path
refused switch_group 9
grep -qF "error: no group '9'" "$ERR" || it_fail "switch_group 9: $(cat "$ERR")"
refused enable_group nosuch
refused disable_group 0
refused remove_path zz
refused add_path e "$IT_TMP/no-such-device" slow
# nothing changed
ctl 0 "$IT_MNT" show stats --json
pyjson "$OUT" "assert d['usable_paths'] == 3 and d['queue_if_no_path'] is True, d"
it_log "refused commands: exit 1, the daemon's 'error: ...' on stderr"

# ---------------------------------------------------------------- exit status 2
# found locally: the mountpoint does not even exist, yet the status is 2
NOWHERE=$IT_TMP/no-such-mountpoint
usage() {	# ARGS...: exit 2 with a message, also for a mountpoint that is not there
	ctl 2 "$@"
	[ -s "$ERR" ] || it_fail "mpathctl $*: exit 2 but no message"
	[ -s "$OUT" ] && it_fail "mpathctl $*: usage error, yet stdout has '$(cat "$OUT")'"
	return 0
}
usage
usage "$IT_MNT"
usage --no-such-option "$IT_MNT" show paths
for m in "$IT_MNT" "$NOWHERE"; do
	usage "$m" frobnicate
	usage "$m" show
	usage "$m" show disks
	usage "$m" show paths xml
	usage "$m" show paths json extra
	usage "$m" fail_path
	usage "$m" fail_path a b
	usage "$m" fail_path ""
	usage "$m" fail_path "a b"
	usage "$m" switch_group $'1\nfail_path a'
	usage "$m" queue_if_no_path now
	usage "$m" add_path d "${IT_PATHS[3]}"
	usage "$m" reload --json
	usage "$m" --json fail_path a
done
grep -q "unknown command 'frobnicate'" <("$MPATHCTL" "$IT_MNT" frobnicate 2>&1) ||
	it_fail "the usage error does not name the command"
it_expect_path_state a active	# "fail_path a" never reached the daemon
it_log "usage errors: exit 2, before any daemon is contacted"

# ---------------------------------------------------------------- exit status 3
mkdir "$IT_TMP/plain"
ctl 3 "$NOWHERE" show paths
ctl 3 "$IT_TMP/plain" show paths
grep -q "nothing is mounted" "$ERR" || it_fail "plain directory: $(cat "$ERR")"
ctl 3 / show paths
grep -q "not mpathfs" "$ERR" || it_fail "/: $(cat "$ERR")"
ctl 3 "$IT_DEV" show paths
grep -q "not a directory" "$ERR" || it_fail "the device file as mountpoint: $(cat "$ERR")"
# the daemon's mount lets its owner in only (no allow_other): not the user
# nobody (the temp dir opened up, so the refusal is the mount's; a copy of
# mpathctl there, as the build tree may be closed to nobody)
chmod 755 "$IT_TMP" || it_fail "chmod $IT_TMP"
cp "$MPATHCTL" "$IT_TMP/mpathctl" && chmod 755 "$IT_TMP/mpathctl" || it_fail "cp $MPATHCTL"
setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=-all \
	"$IT_TMP/mpathctl" "$IT_MNT" show paths >"$OUT" 2>"$ERR"
rc=$?
[ "$rc" = 3 ] || it_fail "as nobody: exit status $rc, expected 3: $(cat "$ERR")"
grep -q "Permission denied" "$ERR" || it_fail "as nobody: $(cat "$ERR")"
chmod 700 "$IT_TMP"
it_log "no daemon reachable (no directory, not a mount, another fs, a file, no permission): exit 3"

# ---------------------------------------------------------------- exit status 4
# A fake daemon: a FUSE file system of type fuse.mpathfs whose control file
# answers with broken replies. Built here when a compiler and libfuse3's
# headers are at hand (they are wherever mpathfs is built).
fake_src=$IT_TMP/fake-mpathfs.c
cat >"$fake_src" <<'EOF'
/* A fake mpathfs (fuse.mpathfs) whose control file gives bad replies. */
#define FUSE_USE_VERSION 312
#include <errno.h>
#include <fuse.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct reply { const char *text; size_t pos; };

static const struct { const char *cmd, *reply; int err; } table[] = {
	{ "show paths json\n", "{\"paths\": [", 0 },		/* cut short */
	{ "show groups json\n", "[1, 2]\n", 0 },		/* not an object */
	{ "show config json\n", "{} {}\n", 0 },			/* two values */
	{ "show topology json\n", "{\"a\": \"\xff\"}\n", 0 },	/* not UTF-8 */
	{ "show stats json\n", "{\"queued_io\": 0}\n", 0 },	/* fine */
	{ "show paths\n", "fake paths\n", 0 },			/* fine */
	{ "fail_path a\n", "maybe\n", 0 },			/* not ok */
	{ "fail_path b\n", "nonsense\n", EINVAL },		/* refused, no error: */
	{ "reinstate_path a\n", "", 0 },			/* empty */
	{ "reinstate_path b\n", "ok\0hidden\n", 0 },		/* a NUL byte */
	{ "reinstate_path c\n", "error: no\n", EINVAL },	/* a plain refusal */
};

static int fk_getattr(const char *p, struct stat *st, struct fuse_file_info *fi)
{
	(void)fi;
	memset(st, 0, sizeof(*st));
	if (!strcmp(p, "/")) {
		st->st_mode = S_IFDIR | 0755;
		st->st_nlink = 2;
	} else if (!strcmp(p, "/control")) {
		st->st_mode = S_IFREG | 0600;
		st->st_nlink = 1;
	} else {
		return -ENOENT;
	}
	return 0;
}

static int fk_open(const char *p, struct fuse_file_info *fi)
{
	struct reply *r;

	if (strcmp(p, "/control"))
		return -ENOENT;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->text = "";
	fi->fh = (uintptr_t)r;
	fi->direct_io = 1;
	return 0;
}

static size_t reply_len(const char *text)
{
	/* the NUL case: the reply goes on after its first NUL */
	return strlen(text) + (!strncmp(text, "ok", 3) ? 1 + strlen(text + 3) : 0);
}

static int fk_write(const char *p, const char *buf, size_t len, off_t off,
		    struct fuse_file_info *fi)
{
	struct reply *r = (struct reply *)(uintptr_t)fi->fh;
	size_t i;

	(void)p;
	(void)off;
	r->pos = 0;
	for (i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (strlen(table[i].cmd) == len && !memcmp(table[i].cmd, buf, len)) {
			r->text = table[i].reply;
			return table[i].err ? -table[i].err : (int)len;
		}
	r->text = "error: the fake does not know this command\n";
	return -EINVAL;
}

static int fk_read(const char *p, char *buf, size_t size, off_t off, struct fuse_file_info *fi)
{
	struct reply *r = (struct reply *)(uintptr_t)fi->fh;
	size_t len = reply_len(r->text) - r->pos;

	(void)p;
	(void)off;
	if (size > len)
		size = len;
	memcpy(buf, r->text + r->pos, size);
	r->pos += size;
	return (int)size;
}

static int fk_release(const char *p, struct fuse_file_info *fi)
{
	(void)p;
	free((void *)(uintptr_t)fi->fh);
	return 0;
}

static const struct fuse_operations ops = {
	.getattr = fk_getattr,
	.open = fk_open,
	.write = fk_write,
	.read = fk_read,
	.release = fk_release,
};

int main(int argc, char **argv)
{
	return fuse_main(argc, argv, &ops, NULL);
}
EOF
FAKE=$IT_TMP/fake-mpathfs
FAKE_MNT=$IT_TMP/fake
# shellcheck disable=SC2046 # pkg-config's flags are words
if command -v cc >/dev/null && pkg-config --exists fuse3 2>/dev/null &&
	cc -O2 -Wall -o "$FAKE" "$fake_src" $(pkg-config --cflags --libs fuse3) 2>"$IT_TMP/cc.err"; then
	mkdir "$FAKE_MNT"
	"$FAKE" "$FAKE_MNT" -f -s -o fsname=mpathfs,subtype=mpathfs </dev/null \
		>"$IT_TMP/fake.log" 2>&1 &
	fake_pid=$!
	IT_EXTRA+=("$fake_pid $FAKE_MNT")
	it_record xdaemon "$fake_pid $FAKE_MNT"
	for ((i = 0; i < 200; i++)); do
		it_mounted "$FAKE_MNT" && [ -e "$FAKE_MNT/control" ] && break
		kill -0 "$fake_pid" 2>/dev/null || it_fail "the fake daemon exited: $(cat "$IT_TMP/fake.log")"
		sleep 0.05
	done
	it_mounted "$FAKE_MNT" || it_fail "the fake daemon did not mount within 10 s"
	malformed() {	# EXPECTED_TEXT ARGS...
		local text=$1
		shift
		ctl 4 "$FAKE_MNT" "$@"
		grep -qF -- "$text" "$ERR" || it_fail "mpathctl $* (fake): stderr '$(cat "$ERR")'"
		[ -s "$OUT" ] && it_fail "mpathctl $* (fake): malformed, yet stdout has '$(cat "$OUT")'"
		return 0
	}
	malformed "ends too early" show paths --json
	malformed "not an object" show groups --json
	malformed "malformed JSON reply" show config --json
	malformed "malformed JSON reply" show topology --json
	malformed "(expected ok)" fail_path a
	malformed "refused 'fail_path b' with a malformed reply" fail_path b
	malformed "it is empty" reinstate_path a
	malformed "NUL byte" reinstate_path b
	# the fake's good replies pass, its plain refusal is a refusal
	ctl 0 "$FAKE_MNT" show stats --json
	pyjson "$OUT" "assert d == {'queued_io': 0}, d"
	ctl 0 "$FAKE_MNT" show paths
	[ "$(cat "$OUT")" = "fake paths" ] || it_fail "fake show paths: '$(cat "$OUT")'"
	ctl 1 "$FAKE_MNT" reinstate_path c
	[ "$(cat "$ERR")" = "error: no" ] || it_fail "fake refusal: '$(cat "$ERR")'"
	it_stop_fuse "$FAKE_MNT" "$fake_pid"
	it_log "malformed replies (fake fuse.mpathfs daemon): exit 4"
else
	it_log "NOTE: exit status 4 not checked: cannot build the fake daemon" \
		"(cc and libfuse3's headers): $(head -c 300 "$IT_TMP/cc.err" 2>/dev/null)"
fi

# ---------------------------------------------------------------- completion
# comp WORDS...: the completions bash offers for the last word
comp() {
	bash -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _mpathctl
		printf "%s\n" "${COMPREPLY[@]}"' _ "$COMPLETION" "$@" | sort | tr '\n' ' ' | sed 's/ $//'
}
expect_comp() {	# WANT WORDS...
	local want=$1 got
	shift
	got=$(comp "$@")
	[ "$got" = "$want" ] || it_fail "completion of [$*]: '$got', expected '$want'"
}
comp "$MPATHCTL" "" | tr ' ' '\n' | grep -qxF "$IT_MNT" ||
	it_fail "completion of the mountpoint does not offer $IT_MNT: $(comp "$MPATHCTL" "")"
expect_comp "$IT_MNT" "$MPATHCTL" "$IT_MNT"
expect_comp "reinstate_path reload remove_path resize" "$MPATHCTL" "$IT_MNT" re
expect_comp "config groups paths stats topology" "$MPATHCTL" "$IT_MNT" show ""
expect_comp "--json" "$MPATHCTL" "$IT_MNT" show paths ""
expect_comp "a b c" "$MPATHCTL" "$IT_MNT" fail_path ""
expect_comp "1 2 fast slow" "$MPATHCTL" "$IT_MNT" switch_group ""
expect_comp "slow" "$MPATHCTL" "$IT_MNT" add_path d "${IT_PATHS[3]}" s
expect_comp "--help --json --version" "$MPATHCTL" --
it_log "bash completion: mountpoints, commands, show targets, path and group names"

# ---------------------------------------------------------------- the end
it_stop_daemon || it_fail "mpathfs exited with status $? after a clean unmount"
ctl 3 "$IT_MNT" show paths	# the daemon is gone
grep -q "nothing is mounted" "$ERR" || it_fail "after the stop: $(cat "$ERR")"
it_pass
