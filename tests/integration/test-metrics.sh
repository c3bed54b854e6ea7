#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The `metrics` file, read by a real OpenMetrics parser, over 3 paths of the
# fault bed (fast = a b at priority 50, slow = c at 10; round-robin, so
# sequential I/O alternates a and b). Every read of `metrics` is parsed with
# prometheus_client's strict OpenMetrics parser
# (prometheus_client.openmetrics.parser.text_string_to_metric_families,
# Debian's python3-prometheus-client): a parse error fails the test (and
# the parser is first shown to refuse a broken copy). Asserts that
#  1. every family is there with its type (gauge, stateset, counter,
#     histogram), one sample per path labelled map/path/device/group as
#     configured, and every per-path value equals `show stats json`'s;
#  2. after 8 MiB written and 4 MiB read in 64 KiB direct I/O, the I/O and
#     byte counters grew by exactly that (128 writes, 64 reads) and both
#     paths of the active group carried some, the standby group none;
#  3. after faultfs fails every I/O of path b (EIO) under 1 MiB of writes:
#     b's mpathfs_path_up is 0, its errors, re-drives and failures are 1,
#     a's errors 0, mpathfs_usable_paths 2, the writes that succeeded are
#     counted, the data is on the storage;
#  4. every latency histogram has monotonic cumulative buckets in le order,
#     the +Inf bucket equal to _count, _count equal to the path's completed
#     reads + writes + errors, and a positive _sum when _count is;
#  5. mpathfs_group_switches_total is 0 until `switch_group slow` and a
#     read (then 1, and that read went to c), 2 after `switch_group fast`;
#  6. with every path failed and no_path_retry = queue, a write waits:
#     mpathfs_queued_io equals `status`'s and `show stats`'s queued count
#     (>= 1), mpathfs_usable_paths 0, mpathfs_queue_if_no_path 1, every
#     mpathfs_path_up 0; reinstating a path lets the write finish and the
#     queue empties; fail_if_no_path / queue_if_no_path show as 0 / 1.
. "$(dirname "$0")/lib.sh"

it_require_env python3 cmp
# the prometheus client of Debian's python3 (a python3 first in PATH, such
# as a pyenv shim, may not see Debian's modules)
PY=""
for p in python3 /usr/bin/python3; do
	if "$p" -c 'import prometheus_client.openmetrics.parser' 2>/dev/null; then
		PY=$p
		break
	fi
done
[ -n "$PY" ] || it_fail "no python3 with prometheus_client (install python3-prometheus-client:" \
	"contrib/install-deps.sh test)"

it_setup_faultbed 64M 3
M=$((1 << 20))
it_write_grouped_config "fast=50:a,b slow=10:c" "path_checker = none" \
	"path_selector = round-robin" "failback = manual" "no_path_retry = queue"
it_start_daemon

# The parser: metrics file -> JSON {"types": {family: type}, "samples":
# [[name, labels, value], ...]}; any parse error is fatal.
cat >"$IT_TMP/parse.py" <<'PY'
import json, sys
from prometheus_client.openmetrics.parser import text_string_to_metric_families
text = open(sys.argv[1], encoding='utf-8').read()
try:
    families = list(text_string_to_metric_families(text))
except Exception as e:
    print('OpenMetrics parse error: %s: %s' % (type(e).__name__, e))
    sys.exit(1)
out = {'types': {}, 'samples': []}
for f in families:
    if f.name in out['types']:
        print('family %s appears twice' % f.name)
        sys.exit(1)
    out['types'][f.name] = f.type
    for s in f.samples:
        out['samples'].append([s.name, s.labels, s.value])
json.dump(out, open(sys.argv[2], 'w'))
PY

# snap NAME: read metrics, parse it (a parse error fails the test), and
# take `show stats json` right after (no I/O is running: they agree)
snap() {
	local msg
	cat "$IT_MNT/metrics" >"$IT_TMP/$1.txt" || it_fail "cannot read $IT_MNT/metrics"
	msg=$("$PY" "$IT_TMP/parse.py" "$IT_TMP/$1.txt" "$IT_TMP/$1.json" 2>&1) ||
		it_fail "metrics ($1) does not parse: $msg; text: $(head -c 1500 "$IT_TMP/$1.txt")"
	it_ctl show stats json >"$IT_TMP/$1.stats.json" || it_fail "show stats json refused"
	cat "$IT_MNT/status" >"$IT_TMP/$1.status"
}

# check NAME [PREV] CODE: python3 CODE with helpers over snapshot NAME (and
# PREV): m(family_sample, path=None, **labels) -> value, d(...) the
# difference to PREV, st = show stats json, paths = {name: its JSON},
# q = the status file's queued count; a failed assert fails the test
check() {
	local name=$1 prev=$2 code=$3 msg
	[ $# = 2 ] && { code=$2; prev=""; }
	msg=$("$PY" - "$IT_TMP/$name" "${prev:+$IT_TMP/$prev}" "$code" <<'PY' 2>&1
import json, sys
def load(base):
    mx = json.load(open(base + '.json'))
    return mx, json.load(open(base + '.stats.json')), open(base + '.status').read().split()
mx, st, status = load(sys.argv[1])
types = mx['types']
paths = {p['name']: p for p in st['paths']}
q = int(status[1])
def find(samples, name, path, labels):
    want = dict(labels)
    if path is not None:
        want['path'] = path
    hits = [v for n, l, v in samples if n == name and all(l.get(k) == x for k, x in want.items())]
    assert len(hits) == 1, '%d samples %s%s' % (len(hits), name, want)
    return hits[0]
def m(name, path=None, **labels):
    return find(mx['samples'], name, path, labels)
if sys.argv[2]:
    pmx, pst, _ = load(sys.argv[2])
    def d(name, path=None, **labels):
        return m(name, path, **labels) - find(pmx['samples'], name, path, labels)
try:
    exec(sys.argv[3])
except AssertionError as e:
    print('assertion failed: %s' % (e.args[0] if e.args else '(no message)'))
    sys.exit(1)
PY
) || it_fail "metrics ($name): $msg"
}

# ---------------------------------------------------------------- the parser is strict
printf '# TYPE x counter\nx 1\n# EOF\n' >"$IT_TMP/bad1.txt"	# a counter sample without _total
printf '# TYPE x gauge\nx 1\n' >"$IT_TMP/bad2.txt"		# no # EOF
for b in bad1 bad2; do
	"$PY" "$IT_TMP/parse.py" "$IT_TMP/$b.txt" "$IT_TMP/$b.json" >/dev/null 2>&1 &&
		it_fail "the OpenMetrics parser accepted a broken exposition ($b): it is not strict"
done
it_log "the parser refuses broken OpenMetrics text"

# ---------------------------------------------------------------- 1. families
snap m0
grep -qx '# EOF' <(tail -n 1 "$IT_TMP/m0.txt") || it_fail "metrics does not end with '# EOF'"
check m0 "
want = {'mpathfs_path_up': 'gauge', 'mpathfs_path_checker_state': 'stateset',
        'mpathfs_path_reads': 'counter', 'mpathfs_path_writes': 'counter',
        'mpathfs_path_read_bytes': 'counter', 'mpathfs_path_written_bytes': 'counter',
        'mpathfs_path_errors': 'counter', 'mpathfs_path_redriven': 'counter',
        'mpathfs_path_failures': 'counter', 'mpathfs_path_inflight': 'gauge',
        'mpathfs_path_latency_seconds': 'histogram',
        'mpathfs_queued_io': 'gauge', 'mpathfs_queue_if_no_path': 'gauge',
        'mpathfs_usable_paths': 'gauge', 'mpathfs_group_switches': 'counter',
        'mpathfs_pg_inits': 'counter'}
for f, t in want.items():
    assert types.get(f) == t, 'family %s: type %s, expected %s' % (f, types.get(f), t)
cfg = {'a': ('${IT_PATHS[0]}', 'fast'), 'b': ('${IT_PATHS[1]}', 'fast'), 'c': ('${IT_PATHS[2]}', 'slow')}
for n, (dev, grp) in cfg.items():
    for f in ('mpathfs_path_up', 'mpathfs_path_reads_total', 'mpathfs_path_inflight',
              'mpathfs_path_latency_seconds_count'):
        m(f, n, map='$IT_DEVNAME', device=dev, group=grp)
    # a stateset: exactly one state set, the one show paths gives
    states = [(l['mpathfs_path_checker_state'], v) for s, l, v in mx['samples']
              if s == 'mpathfs_path_checker_state' and l['path'] == n]
    assert sorted(x for x, _ in states) == sorted(['ready', 'faulty', 'shaky', 'ghost', 'pending',
        'timeout', 'delayed']), states
    assert [x for x, v in states if v == 1] == [paths[n]['checker_state']], (n, states)
    assert m('mpathfs_path_up', n) == 1 and m('mpathfs_path_inflight', n) == 0
    for f in ('reads', 'writes', 'read_bytes', 'written_bytes', 'errors', 'redriven', 'failures'):
        assert m('mpathfs_path_%s_total' % f, n) == 0, (f, n)
assert len([1 for s, l, v in mx['samples'] if s == 'mpathfs_path_up']) == 3
assert m('mpathfs_usable_paths', map='$IT_DEVNAME') == 3
assert m('mpathfs_queued_io') == 0 and m('mpathfs_queue_if_no_path') == 1
assert m('mpathfs_group_switches_total') == 0 and m('mpathfs_pg_inits_total') == 0
"
it_log "1: all 16 families with their types; per path samples labelled map/path/device/group"

# the per-path values equal show stats json's, the map's too
AGREE="
for n, p in paths.items():
    assert m('mpathfs_path_up', n) == (p['state'] == 'active'), n
    for f, k in (('reads', 'reads'), ('writes', 'writes'), ('read_bytes', 'bytes_read'),
                 ('written_bytes', 'bytes_written'), ('errors', 'errors'),
                 ('redriven', 'redriven'), ('failures', 'fail_count')):
        assert m('mpathfs_path_%s_total' % f, n) == p[k], \
            'path %s: mpathfs_path_%s_total %s, show stats %s %s' % (n, f, m('mpathfs_path_%s_total' % f, n), k, p[k])
    assert m('mpathfs_path_inflight', n) == p['inflight_ios'], n
assert m('mpathfs_queued_io') == st['queued_io'] == q, (m('mpathfs_queued_io'), st['queued_io'], q)
assert m('mpathfs_usable_paths') == st['usable_paths']
assert m('mpathfs_queue_if_no_path') == st['queue_if_no_path']
assert m('mpathfs_group_switches_total') == st['group_switches']
assert m('mpathfs_pg_inits_total') == st['pg_init_count']
"
# the latency histograms: cumulative, +Inf = count = completed path I/O
HIST="
for n, p in paths.items():
    b = sorted(((float(l['le']), v) for s, l, v in mx['samples']
                if s == 'mpathfs_path_latency_seconds_bucket' and l['path'] == n))
    assert len(b) == 17 and b[-1][0] == float('inf'), (n, b)
    assert all(b[i][1] <= b[i + 1][1] for i in range(len(b) - 1)), 'path %s: buckets not monotonic: %s' % (n, b)
    cnt = m('mpathfs_path_latency_seconds_count', n)
    assert b[-1][1] == cnt, 'path %s: +Inf bucket %s != count %s' % (n, b[-1][1], cnt)
    assert cnt == p['reads'] + p['writes'] + p['errors'], \
        'path %s: histogram count %s, reads+writes+errors %s' % (n, cnt, p['reads'] + p['writes'] + p['errors'])
    s = m('mpathfs_path_latency_seconds_sum', n)
    assert (s > 0) == (cnt > 0), 'path %s: sum %s with count %s' % (n, s, cnt)
"
check m0 "$AGREE"
check m0 "$HIST"

# ---------------------------------------------------------------- 2. I/O
head -c $((8 * M)) /dev/urandom >"$IT_TMP/data"
dd if="$IT_TMP/data" of="$IT_DEV" bs=64k oflag=direct conv=notrunc status=none ||
	it_fail "2: writing 8 MiB failed"
dd if="$IT_DEV" of="$IT_TMP/back" bs=64k count=64 iflag=direct status=none ||
	it_fail "2: reading 4 MiB failed"
cmp -s "$IT_TMP/back" <(head -c $((4 * M)) "$IT_TMP/data") || it_fail "2: read back other data"
snap m1
check m1 m0 "
w = sum(d('mpathfs_path_writes_total', n) for n in 'abc')
wb = sum(d('mpathfs_path_written_bytes_total', n) for n in 'abc')
r = sum(d('mpathfs_path_reads_total', n) for n in 'abc')
rb = sum(d('mpathfs_path_read_bytes_total', n) for n in 'abc')
assert (w, wb) == (128, 8 << 20), 'writes grew by %d (%d bytes), expected 128 (8 MiB)' % (w, wb)
assert (r, rb) == (64, 4 << 20), 'reads grew by %d (%d bytes), expected 64 (4 MiB)' % (r, rb)
assert d('mpathfs_path_writes_total', 'a') > 0 and d('mpathfs_path_writes_total', 'b') > 0, \
    'round-robin: both paths of group fast carry writes'
assert d('mpathfs_path_writes_total', 'c') == 0 and d('mpathfs_path_reads_total', 'c') == 0, \
    'group slow carried I/O'
assert m('mpathfs_group_switches_total') == 0, 'the first choice of a group is not a switch'
"
check m1 "$AGREE"
check m1 "$HIST"
it_log "2: 128 writes (8 MiB) and 64 reads (4 MiB) counted exactly, on a and b"

# ---------------------------------------------------------------- 3. a failure
it_fault b error EIO
dd if="$IT_TMP/data" of="$IT_DEV" bs=64k count=16 seek=256 oflag=direct conv=notrunc status=none ||
	it_fail "3: a write failed while path b answered EIO (it should be re-driven)"
snap m2
check m2 m1 "
assert m('mpathfs_path_up', 'b') == 0 and paths['b']['state'] == 'failed', 'path b is not down'
assert m('mpathfs_path_up', 'a') == 1 and m('mpathfs_path_up', 'c') == 1
assert m('mpathfs_usable_paths') == 2
assert d('mpathfs_path_errors_total', 'b') == 1, 'path b errors grew by %s' % d('mpathfs_path_errors_total', 'b')
assert d('mpathfs_path_redriven_total', 'b') == 1
assert m('mpathfs_path_failures_total', 'b') == 1 and paths['b']['fail_count'] == 1
assert m('mpathfs_path_errors_total', 'a') == 0 and m('mpathfs_path_failures_total', 'a') == 0
w = sum(d('mpathfs_path_writes_total', n) for n in 'abc')
wb = sum(d('mpathfs_path_written_bytes_total', n) for n in 'abc')
assert (w, wb) == (16, 1 << 20), 'writes grew by %d (%d bytes), expected 16 (1 MiB)' % (w, wb)
assert d('mpathfs_path_writes_total', 'b') == 0, 'a write on b counted as done'
"
check m2 "$AGREE"
check m2 "$HIST"
for i in 0 2; do
	cmp -s <(dd if="${IT_PATHS[$i]}" bs=64k skip=256 count=16 iflag=direct status=none) \
		<(dd if="$IT_TMP/data" bs=64k count=16 status=none) ||
		it_fail "3: the 1 MiB written during the failure is not on path ${IT_PATH_NAMES[$i]}"
done
it_log "3: path b down, errors/redriven/failures 1, 16 writes (1 MiB) counted, data on the storage"

# ---------------------------------------------------------------- 5. group switches
one_read() {
	dd if="$IT_DEV" of=/dev/null bs=4k count=1 iflag=direct status=none || it_fail "a read failed"
}
it_ctl_ok switch_group slow
one_read
snap m3
check m3 m2 "
assert m('mpathfs_group_switches_total') == 1, m('mpathfs_group_switches_total')
assert d('mpathfs_path_reads_total', 'c') == 1, 'the read after switch_group slow did not go to c'
"
it_ctl_ok switch_group fast
one_read
snap m4
check m4 "assert m('mpathfs_group_switches_total') == 2, m('mpathfs_group_switches_total')"
check m4 "$AGREE"
it_log "5: mpathfs_group_switches_total 0 -> 1 (switch_group slow) -> 2 (switch_group fast)"

# ---------------------------------------------------------------- 6. queueing
it_ctl_ok fail_path a
it_ctl_ok fail_path c
it_bg dd if="$IT_TMP/data" of="$IT_DEV" bs=64k count=1 seek=512 oflag=direct conv=notrunc status=none
ddpid=$IT_BG
for ((i = 0; i < 200; i++)); do
	[ "$(it_queued)" -ge 1 ] && break
	sleep 0.05
done
[ "$(it_queued)" -ge 1 ] || it_fail "6: the write was not queued with every path failed: $(cat "$IT_MNT/status")"
kill -0 "$ddpid" 2>/dev/null || it_fail "6: the write finished with no usable path"
snap m5
check m5 "
assert m('mpathfs_usable_paths') == 0
assert m('mpathfs_queued_io') >= 1, m('mpathfs_queued_io')
assert m('mpathfs_queue_if_no_path') == 1
assert all(m('mpathfs_path_up', n) == 0 for n in 'abc')
"
check m5 "$AGREE"
it_log "6: all paths failed: mpathfs_queued_io $(awk '{ print $2 }' "$IT_TMP/m5.status") (= status," \
	"= show stats), mpathfs_usable_paths 0, mpathfs_queue_if_no_path 1"
it_ctl_ok reinstate_path a
it_wait_pid "$ddpid" 30
rc=$?
[ "$rc" = 0 ] || it_fail "6: the queued write ended with status $rc after path a came back"
snap m6
check m6 "
assert m('mpathfs_queued_io') == 0 and m('mpathfs_usable_paths') == 1
assert m('mpathfs_path_up', 'a') == 1
"
check m6 "$AGREE"
check m6 "$HIST"
it_ctl_ok fail_if_no_path
snap m7
check m7 "assert m('mpathfs_queue_if_no_path') == 0 and st['queue_if_no_path'] is False"
it_ctl_ok queue_if_no_path
snap m8
check m8 "assert m('mpathfs_queue_if_no_path') == 1"
it_log "6: reinstate_path a: the queued write finished, mpathfs_queued_io 0;" \
	"fail_if_no_path / queue_if_no_path: mpathfs_queue_if_no_path 0 / 1"

# ---------------------------------------------------------------- the end
it_fault b ok
it_ctl_ok reinstate_path b
it_ctl_ok reinstate_path c
snap m9
check m9 "assert m('mpathfs_usable_paths') == 3 and all(m('mpathfs_path_up', n) == 1 for n in 'abc')"
check m9 "$AGREE"
check m9 "$HIST"
it_stop_daemon || it_fail "mpathfs exited with status $? after a clean unmount"
it_pass
