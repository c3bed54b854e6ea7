#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Bad input against a running daemon (issue 7): two tables, each row one
# input and the exact answer it must get, while a verifying writer
# (mpathfs-pio) works on the device and checksummed data sits beside it.
#
# Control table: every command of src/control.c with its argument missing,
# an extra argument, 2^64 and 99999999999999999999, negative, non-numeric
# and unknown arguments; unknown commands, an empty line, a 64 KiB line, a
# 1 MiB write (of one line, of newlines, of commands), more than 256
# commands in one write, an embedded NUL, CRLF, devices that are not
# block devices or regular files, in use, missing or of another size,
# a path name in use. Each row: the
# write fails with EINVAL and the reply read back on the same fd is the
# exact "error: ..." line given; then status must still answer.
#
# I/O table, through the device file: reads at, past and across the end
# (EOF: 0 bytes; across: a short count up to the end), writes at, past and
# across the end (ENOSPC, nothing written: a write is never cut short),
# zero-length reads and writes (0), negative offsets (EINVAL, the
# kernel's), unaligned reads and writes inside the device (served exactly,
# read back), truncate to another size (EPERM), fallocate past the end
# (ENOSPC), opening the status files for writing (EACCES).
#
# The paths are loop devices with 4096-byte sectors over an image of
# 64 MiB + 512 bytes, so the device ends 512 bytes before the paths do:
# those bytes must never change. At the end: the writer verified every
# byte, the checksummed data reads the same through the device and through
# each path, no path changed state or failed, the table file is unchanged,
# and the daemon stops cleanly.
#
# Bad configs are the table of test-bad-config.sh.
. "$(dirname "$0")/lib.sh"

it_require_env python3 sha256sum mkfifo blockdev
MIB=$((1 << 20))
DEV_SIZE=$((64 * MIB))
it_setup $((DEV_SIZE + 512)) 0
T=$IT_TMP

PIO=${MPATHFS_PIO:-}
if [ -z "$PIO" ] || [ ! -x "$PIO" ]; then
	PIO=$T/mpathfs-pio
	cc -std=gnu11 -O2 -Wall -o "$PIO" "$(dirname "$0")/pio.c" -laio ||
		it_fail "MPATHFS_PIO is not set and pio.c does not build"
fi

# the 512 bytes past the device's end, on every path: a known pattern
head -c 512 /dev/urandom >"$T/tail.bin" || it_fail "urandom"
dd if="$T/tail.bin" of="$IT_IMG" bs=512 seek=$((DEV_SIZE / 512)) conv=notrunc,fsync \
	status=none || it_fail "cannot write the image's tail"
# A loop device with 4096-byte sectors over the image, in IT_LOOP,
# detached by the cleanup.
sector4k_loop() {
	IT_LOOP=$(losetup --sector-size 4096 --direct-io=on -f --show "$IT_IMG") ||
		it_fail "losetup --sector-size 4096 $IT_IMG failed"
	IT_PATH_LOOPS+=("$IT_LOOP")
	it_record path_loop "$IT_LOOP"
}
# paths a and b, and a spare loop over the same image for add_path
for n in a b; do
	sector4k_loop
	IT_PATHS+=("$IT_LOOP")
	IT_PATH_NAMES+=("$n")
done
sector4k_loop
SPARE=$IT_LOOP
[ "$(blockdev --getss "${IT_PATHS[0]}")" = 4096 ] || it_fail "no 4096-byte sectors on the loop"
PATH_SIZE=$(blockdev --getsize64 "${IT_PATHS[0]}")
[ "$PATH_SIZE" = $((DEV_SIZE + 512)) ] || it_fail "path size $PATH_SIZE"
it_write_config
it_start_daemon
[ "$(stat -c %s "$IT_DEV")" = "$DEV_SIZE" ] ||
	it_fail "the device is $(stat -c %s "$IT_DEV") bytes, expected $DEV_SIZE (paths rounded down to 4 KiB)"

# checksummed data in [0, 8 MiB), through the device
head -c $((8 * MIB)) /dev/urandom >"$T/data.bin" || it_fail "urandom"
dd if="$T/data.bin" of="$IT_DEV" bs=1M conv=notrunc,fsync status=none || it_fail "dd to $IT_DEV"
DATA_SUM=$(sha256sum <"$T/data.bin" | cut -d' ' -f1)

# what must not change: path states, fail counts, the table line
snapshot() {
	cat "$IT_MNT/table" || it_fail "cannot read table"
	it_ctl show paths | awk 'NR > 1 { print $1, $4, $7 }'
	it_group_states
}
snapshot >"$T/before" || it_fail "snapshot"

# the verifying writer, in [16, 20) MiB, run after run until told to stop
it_bg bash -c 'n=0
	while [ ! -e "$1/pio.stop" ]; do
		"$2" -q 16 -n 2000 -s $((RANDOM + 1)) -o $((16 << 20)) -l $((4 << 20)) "$3" ||
			exit $?
		n=$((n + 1))
		echo "$n" >"$1/pio.runs"
	done' _ "$T" "$PIO" "$IT_DEV" >"$T/pio.log" 2>&1
PIO_JOB=$IT_BG

# devices for add_path
mkfifo "$T/fifo" || it_fail "mkfifo"
truncate -s 32M "$T/small.img" || it_fail "truncate"

# ---------------------------------------------------------------- the tables
cat >"$T/tables.py" <<'EOF'
import errno, os, sys

E = errno.errorcode
mnt, dev = os.environ['MNT'], os.environ['DEV']
D = int(os.environ['DEV_SIZE'])
T, loop_a, spare, psize = (os.environ[k] for k in ('TMP', 'LOOP_A', 'SPARE', 'PATH_SIZE'))
fails = 0


def bad(msg):
    global fails
    fails += 1
    print('FAIL: ' + msg, flush=True)


def serving(what):
    """status answers with the dm INFO line"""
    with open(mnt + '/status', 'rb') as f:
        line = f.read()
    if not line.startswith(b'2 '):
        bad('%s: status no longer answers: %r' % (what, line))


# ------------------------------------------------------------ control table
CMDS = ("expected fail_path, reinstate_path, disable_group, enable_group, switch_group, "
        "queue_if_no_path, fail_if_no_path, add_path, remove_path, reload, resize or show")
SHOW = 'expected paths, groups, topology, config or stats'
TOO_LONG = 'command longer than 8192 bytes'
BIG, HUGE = '18446744073709551616', '99999999999999999999'   # 2^64, 20 digits
NAME_RULE = "use 1-63 of A-Z a-z 0-9 . _ -, not starting with '.'"
ADD_USAGE = 'add_path: expected a path name, a device and a group: add_path NAME DEVICE GROUP'

ctl = []   # (row, bytes written, reply without "error: " and newline)


def row(name, text, reply):
    ctl.append((name, text if isinstance(text, bytes) else (text + '\n').encode(), reply))


for c in ('fail_path', 'reinstate_path', 'remove_path'):
    row(c + ': missing path', c, c + ': missing path (name or device)')
    row(c + ': extra argument', c + ' a b', c + ": unexpected argument 'b'")
    for arg, what in ((BIG, '2^64'), (HUGE, 'overflowing'), ('-1', 'negative'),
                      ('1', 'numeric'), ('zz', 'unknown')):
        row('%s: %s path' % (c, what), c + ' ' + arg, "no path '%s'" % arg)
    row(c + ': 5000-byte path', c + ' ' + 'p' * 5000, c + ': argument too long')
for c in ('disable_group', 'enable_group', 'switch_group'):
    row(c + ': missing group', c, c + ': missing group (number or name)')
    row(c + ': extra argument', c + ' 1 2', c + ": unexpected argument '2'")
    for arg, what in ((BIG, '2^64'), (HUGE, 'overflowing'), ('-1', 'negative'),
                      ('0', 'zero'), ('2', 'out of range'), ('1x', 'non-numeric'),
                      ('1.0', 'fractional'), ('slow', 'unknown')):
        row('%s: %s group' % (c, what), c + ' ' + arg, "no group '%s'" % arg)
for c in ('queue_if_no_path', 'fail_if_no_path', 'reload', 'resize'):
    for arg, what in (('now', 'extra'), (BIG, '2^64'), (HUGE, 'overflowing'),
                      ('-1', 'negative')):
        row('%s: %s argument' % (c, what), c + ' ' + arg,
            "%s: unexpected argument '%s'" % (c, arg))
row('show: missing view', 'show', 'show: missing what; ' + SHOW)
for arg, what in (('everything', 'unknown'), ('1', 'numeric'), ('-1', 'negative'),
                  (BIG, '2^64'), ('PATHS', 'upper-case')):
    row('show: %s view' % what, 'show ' + arg, "show: unknown '%s'; %s" % (arg, SHOW))
row('show: not json', 'show paths yaml',
    "show paths: unexpected argument 'yaml'; only 'json' may follow")
row('show: extra argument', 'show stats json x', "show stats: unexpected argument 'x'")
row('add_path: no arguments', 'add_path', ADD_USAGE)
row('add_path: no device, no group', 'add_path c', ADD_USAGE)
row('add_path: no group', 'add_path c ' + spare, ADD_USAGE)
row('add_path: extra argument', 'add_path c %s default x' % spare,
    "add_path: unexpected argument 'x'")
row('add_path: bad path name', 'add_path c/d %s default' % spare,
    "bad name 'c/d': " + NAME_RULE)
row('add_path: bad group name', 'add_path c %s .g' % spare, "bad name '.g': " + NAME_RULE)
row('add_path: path name taken', 'add_path a %s default' % spare,
    "there is already a path 'a' (device %s)" % loop_a)
row('add_path: char device', 'add_path c /dev/null default',
    "cannot open '/dev/null': neither a block device nor a regular file")
row('add_path: directory', 'add_path c %s default' % T,
    "cannot open '%s': neither a block device nor a regular file" % T)
row('add_path: FIFO', 'add_path c %s/fifo default' % T,
    "cannot open '%s/fifo': neither a block device nor a regular file" % T)
row('add_path: missing file', 'add_path c %s/none default' % T,
    "cannot open '%s/none': No such file or directory" % T)
row('add_path: device in use (O_EXCL, ours)', 'add_path c %s default' % loop_a,
    "cannot open '%s': in use (mounted or held exclusively)" % loop_a)
row('add_path: device of another size', 'add_path c %s/small.img default' % T,
    "'%s/small.img' is 33554432 bytes but '%s' is %s; every path must reach the same storage"
    % (T, loop_a, psize))
row('add_path: 2^64 as device', 'add_path c /dev/%s default' % BIG,
    "cannot open '/dev/%s': No such file or directory" % BIG)
row('unknown command', 'frobnicate', "unknown command 'frobnicate'; " + CMDS)
row('unknown command, upper case', 'FAIL_PATH a', "unknown command 'FAIL_PATH'; " + CMDS)
row('number as command', HUGE, "unknown command '%s'; %s" % (HUGE, CMDS))
row('negative number as command', '-1', "unknown command '-1'; " + CMDS)
row('empty line', b'\n', 'empty command')
row('blanks only', b' \t \n', 'empty command')
row('no newline, blank', b' ', 'empty command')
row('64 KiB line', b'x' * 65536 + b'\n', TOO_LONG)
row('64 KiB argument', b'fail_path ' + b'p' * 65536 + b'\n', TOO_LONG)
row('1 MiB write, one line', b'y' * (1 << 20), TOO_LONG)
row('1 MiB write of newlines', b'\n' * (1 << 20), 'empty command')
BATCH = 'more than 256 commands in one write; none was run'
row('1 MiB write of commands', b'show stats json\n' * (1 << 16), BATCH)
row('257 commands in one write', b'fail_path a\n' * 257, BATCH)
row('embedded NUL', b'fail_path a\0b\n', 'NUL byte in command')
row('NUL alone', b'\0', 'NUL byte in command')
row('CRLF', b'fail_path a\r\n', 'carriage return (0x0d) in command; end lines with \\n only')
row('escape sequence', b'\x1b[2Jfail_path a\n', 'control character 0x1b in command')
row('DEL byte', b'fail_path a\x7f\n', 'control character 0x7f in command')

for name, text, want in ctl:
    fd = os.open(mnt + '/control', os.O_RDWR)
    try:
        os.write(fd, text)
        err = 'none'
    except OSError as e:
        err = E.get(e.errno, str(e.errno))
    reply = os.read(fd, 1 << 20).decode(errors='replace')
    os.close(fd)
    if err != 'EINVAL' or reply != 'error: ' + want + '\n':
        bad('control: %s: write gave %s and reply %r; expected EINVAL and %r'
            % (name, err, reply, 'error: ' + want + '\n'))
    else:
        print('ok control: %s: EINVAL, %s' % (name, reply.strip()[:150]), flush=True)
    serving('control: ' + name)
# an empty write asks nothing and gets nothing
fd = os.open(mnt + '/control', os.O_RDWR)
n, reply = os.write(fd, b''), os.read(fd, 4096)
os.close(fd)
if n != 0 or reply:
    bad('control: empty write: wrote %d, reply %r; expected 0 and no reply' % (n, reply))
print('ok control: empty write: 0 bytes, no reply', flush=True)

# ------------------------------------------------------------ I/O table
# Content the device must hold: [8, 9) MiB and the last 64 KiB, seeded here.
SCR, TAIL = 8 << 20, D - 65536
fd = os.open(dev, os.O_RDWR)
shadow = {SCR: bytearray(os.urandom(1 << 20)), TAIL: bytearray(os.urandom(65536))}
for off, buf in shadow.items():
    if os.pwrite(fd, buf, off) != len(buf):
        bad('seeding %d failed' % off)
os.fsync(fd)


def expected(off, n):
    for base, buf in shadow.items():
        if base <= off and off + n <= base + len(buf):
            return bytes(buf[off - base:off - base + n])
    return None


def note(off, data):
    for base, buf in shadow.items():
        if base <= off and off + len(data) <= base + len(buf):
            buf[off - base:off - base + len(data)] = data


io = [
    # name, op, offset, length, expected count or errno name
    ('read at the end', 'r', D, 4096, 0),
    ('read past the end', 'r', D + 4096, 4096, 0),
    ('read 2^62 bytes in', 'r', 1 << 62, 512, 0),
    ('read across the end', 'r', D - 100, 4096, 100),
    ('read of the last byte, 2 asked', 'r', D - 1, 2, 1),
    ('unaligned read across the end', 'r', D - 5001, 5003, 5001),
    ('zero-length read', 'r', 0, 0, 0),
    ('zero-length read past the end', 'r', D + 1, 0, 0),
    ('read at a negative offset', 'r', -1, 1, 'EINVAL'),
    ('write at the end', 'w', D, 4096, 'ENOSPC'),
    ('write past the end', 'w', D + 1, 1, 'ENOSPC'),
    ('write 2^62 bytes in', 'w', 1 << 62, 512, 'ENOSPC'),
    ('write across the end', 'w', D - 100, 4096, 'ENOSPC'),
    ('aligned write across the end', 'w', D - 4096, 8192, 'ENOSPC'),
    ('write across the end by one byte', 'w', D - 1, 2, 'ENOSPC'),
    ('zero-length write', 'w', SCR, 0, 0),
    ('zero-length write past the end', 'w', D + 4096, 0, 0),
    ('write at a negative offset', 'w', -1, 1, 'EINVAL'),
    ('unaligned 1-byte write', 'w', SCR + 1, 1, 1),
    ('unaligned write across a page', 'w', SCR + 4093, 7, 7),
    ('unaligned write across sectors', 'w', SCR + 511, 513, 513),
    ('unaligned write of many blocks', 'w', SCR + 3, 12345, 12345),
    ('unaligned write ending at the end', 'w', D - 3, 3, 3),
    ('unaligned read inside', 'r', SCR + 4090, 20, 20),
    ('unaligned read of the tail', 'r', D - 5000, 5000, 5000),
    ('truncate to a smaller size', 't', D - 4096, 0, 'EPERM'),
    ('truncate to a larger size', 't', D + 4096, 0, 'EPERM'),
    ('truncate to its own size', 't', D, 0, 0),
    ('fallocate past the end', 'f', D, 4096, 'ENOSPC'),
    ('fallocate across the end', 'f', D - 4096, 8192, 'ENOSPC'),
]
for f in ('status', 'table', 'metrics', 'events'):
    io.append(('open %s for writing' % f, 'o', 0, 0, 'EACCES', f))

for r in io:
    name, op, off, n, want = r[:5]
    try:
        if op == 'r':
            data = os.pread(fd, n, off)
            got = len(data)
            if isinstance(want, int) and got == want and got:
                exp = expected(off, got)
                if exp is None or data != exp:
                    bad('io: %s: the %d bytes read differ from what was written' % (name, got))
        elif op == 'w':
            data = os.urandom(n)
            got = os.pwrite(fd, data, off)
            if got == n:
                note(off, data)
        elif op == 't':
            os.truncate(dev, off)
            got = 0
        elif op == 'f':
            os.posix_fallocate(fd, off, n)
            got = 0
        else:
            os.close(os.open(mnt + '/' + r[5], os.O_WRONLY))
            got = 0
    except OSError as e:
        got = E.get(e.errno, str(e.errno))
    if got != want:
        bad('io: %s: got %s, expected %s' % (name, got, want))
    else:
        print('ok io: %s: %s' % (name, got), flush=True)
    serving('io: ' + name)
if os.fstat(fd).st_size != D:
    bad('the device is now %d bytes' % os.fstat(fd).st_size)
for base, buf in shadow.items():
    if os.pread(fd, len(buf), base) != buf:
        bad('io: the %d bytes at %d do not read back as written' % (len(buf), base))
os.close(fd)
print('%d control rows, %d I/O rows, %d failed' % (len(ctl) + 1, len(io), fails))
sys.exit(1 if fails else 0)
EOF

MNT=$IT_MNT DEV=$IT_DEV DEV_SIZE=$DEV_SIZE TMP=$T LOOP_A=${IT_PATHS[0]} SPARE=$SPARE \
	PATH_SIZE=$PATH_SIZE python3 "$T/tables.py" >"$T/tables.out" 2>&1
rc=$?
cat "$T/tables.out" >&2
it_log "$(tail -n 1 "$T/tables.out")"
[ "$rc" = 0 ] || it_fail "the tables found problems (above)"

# ---------------------------------------------------------------- after
touch "$T/pio.stop"
it_wait_pid "$PIO_JOB" 120
rc=$?
[ "$rc" = 0 ] || it_fail "the verifying writer failed (status $rc): $(tail -5 "$T/pio.log")"
it_log "verifying writer: $(cat "$T/pio.runs" 2>/dev/null || echo 0) runs, every byte verified"
[ -s "$T/pio.runs" ] || it_fail "the verifying writer never finished a run"

snapshot >"$T/after" || it_fail "snapshot"
diff "$T/before" "$T/after" >&2 || it_fail "path states, fail counts or the table changed (above)"
it_expect_path_state a active
it_expect_path_state b active

sum=$(head -c $((8 * MIB)) "$IT_DEV" | sha256sum | cut -d' ' -f1)
[ "$sum" = "$DATA_SUM" ] || it_fail "the checksummed data changed (read through the device)"
for i in "${!IT_PATHS[@]}"; do
	sum=$(dd if="${IT_PATHS[$i]}" bs=1M count=8 iflag=direct status=none | sha256sum |
		cut -d' ' -f1)
	[ "$sum" = "$DATA_SUM" ] || it_fail "the checksummed data differs on path ${IT_PATH_NAMES[$i]}"
done
it_cmp_paths 0 "$DEV_SIZE"
cmp <(dd if="$IT_IMG" bs=512 skip=$((DEV_SIZE / 512)) count=1 status=none) "$T/tail.bin" ||
	it_fail "the 512 bytes on the paths past the device's end changed"
it_log "data intact: checksummed 8 MiB on the device and every path, the paths agree," \
	"nothing past the end changed"
it_stop_daemon || it_fail "mpathfs exited with status $? after a clean unmount"
it_pass
