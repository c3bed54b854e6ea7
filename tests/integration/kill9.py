#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Writers and checkers for test-kill9.sh (mpathfs killed with SIGKILL).

  kill9.py bwrite DEV REGION_OFF REGION_SIZE ROUND SEED LOG [options]
      O_DIRECT writes of 1..16 self-identifying 4 KiB blocks at random
      places in the region, an fsync() every 1..8 writes, until an error
      (the daemon died: ENOTCONN/EIO) or --count writes. Each block holds
      a header (magic, its own block number on the device, a tag naming
      the write: round << 32 | sequence number, a CRC32) and a body
      derived from the header, so any block read back names the write it
      came from and can be compared byte for byte with what was written.
      The log (one line per event, written before the next step):
        B seq blk nblocks tag   about to write (blk: the region's block)
        A seq                   the write returned: acknowledged
        E seq errno             the write failed
        F fseq last_seq         about to fsync(); covers writes <= last_seq
        D fseq                  fsync() returned 0: those writes are durable
        X fseq errno            fsync() failed
        END status
      --pause-at-fsync K: before fsync K, create PAUSE, wait for GO.

  kill9.py bcheck REGION_OFF REGION_SIZE STATE LOG... -- DEV...
      Reads the region from each DEV (O_DIRECT) and checks every block
      against the logs (the region's rounds, oldest first):
       - a write covered by a completed fsync, not overwritten later, is
         there byte for byte (or a later write to the block is): the
         durability fsync() promises, which a kill must not break;
       - likewise every acknowledged write: mpathfs replies to a write
         only once its path I/O completed and keeps no cache, so even
         without an fsync a kill of the daemon loses nothing acknowledged;
       - a block whose last write was in flight at the kill holds the old
         or the new data, or per 512-byte sector a mix of the two;
       - a block never written reads zeroes;
       - a block not written since the last check is what it was then
         (STATE): no write of a dead daemon lands after the restart;
       - every DEV reads the same bytes.

  kill9.py fwrite DIR ROUND SEED LOG [--count N] [--pause-at-fsync K PAUSE GO]
      Files on a filesystem: new files (and some rewrites of committed
      ones through a temporary file and rename) of random content, each
      fsync()ed with its directory before it is logged committed:
        B name sha256           about to write
        F name                  about to fsync()
        C name sha256           file and directory fsync()ed: durable
        X errno                 an operation failed
      LOG is appended to, one log for all rounds.

  kill9.py fcheck DIR LOG...
      Every committed file is there with its committed content (or, if a
      rewrite of it was under way at the kill, the new content).

The writers exit 0 on an error after their log says so: an error is what
the test expects once the daemon is killed.
"""
import hashlib
import json
import mmap
import os
import random
import struct
import sys
import time
import zlib

BS = 4096
SECTOR = 512
MAGIC = b'MPK9BLK\0'
HDR = struct.Struct('<8sQQI')   # magic, device block number, tag, crc32


def block_bytes(devblk, tag):
    """The 4 KiB a write with TAG puts at device block DEVBLK."""
    seed = struct.pack('<8sQQ', MAGIC, devblk, tag)
    body = (hashlib.blake2b(seed, digest_size=64).digest() * 64)[:BS - HDR.size]
    return HDR.pack(MAGIC, devblk, tag, zlib.crc32(seed + body)) + body


def logger(path):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)

    def log(line):
        os.write(fd, (line + '\n').encode())
    return log


def wait_go(pause, go):
    open(pause, 'w').close()
    while not os.path.exists(go):
        time.sleep(0.01)


# ------------------------------------------------------------------ blocks

def writer_opts(opts, who):
    """--count N and --pause-at-fsync N PAUSEFILE GOFILE, for both writers."""
    count = pause_at = pause = go = None
    while opts:
        if opts[0] == '--count':
            count = int(opts[1])
            opts = opts[2:]
        elif opts[0] == '--pause-at-fsync':
            pause_at, pause, go = int(opts[1]), opts[2], opts[3]
            opts = opts[4:]
        else:
            sys.exit('%s: unknown option %s' % (who, opts[0]))
    return count, pause_at, pause, go


def bwrite(argv):
    dev, roff, rsize, rnd, seed, logpath = argv[:6]
    roff, rsize, rnd = int(roff), int(rsize), int(rnd)
    count, pause_at, pause, go = writer_opts(argv[6:], 'bwrite')
    rng = random.Random(int(seed))
    log = logger(logpath)
    nblocks = rsize // BS
    base = roff // BS
    fd = os.open(dev, os.O_RDWR | os.O_DIRECT)
    buf = mmap.mmap(-1, 16 * BS)    # page aligned, as O_DIRECT wants
    seq = fseq = pending = 0
    batch = rng.randint(1, 8)
    status = 'count'
    while count is None or seq < count:
        nb = rng.choice((1, 1, 1, 2, 3, 4, 8, 16))
        blk = rng.randrange(0, nblocks - nb + 1)
        tag = rnd << 32 | seq
        for i in range(nb):
            buf[i * BS:(i + 1) * BS] = block_bytes(base + blk + i, tag)
        log('B %d %d %d %d' % (seq, blk, nb, tag))
        try:
            n = os.pwrite(fd, memoryview(buf)[:nb * BS], roff + blk * BS)
            err = 0 if n == nb * BS else 5     # a short write: EIO
        except OSError as e:
            err = e.errno
        if err:
            log('E %d %d' % (seq, err))
            status = 'error %d' % err
            break
        log('A %d' % seq)
        seq += 1
        pending += 1
        if pending >= batch or (count is not None and seq == count):
            if pause_at is not None and fseq == pause_at:
                wait_go(pause, go)
            log('F %d %d' % (fseq, seq - 1))
            try:
                os.fsync(fd)
            except OSError as e:
                log('X %d %d' % (fseq, e.errno))
                status = 'error %d' % e.errno
                break
            log('D %d' % fseq)
            fseq += 1
            pending = 0
            batch = rng.randint(1, 8)
    log('END %s' % status)
    try:
        os.close(fd)
    except OSError:
        pass


def parse_blog(path, nblocks, hist, stats):
    """Add one writer log's writes to each block's history, in order."""
    writes = {}
    order = []
    covered = -1
    fsyncs = {}
    for line in open(path):
        w = line.split()
        if not w:
            continue
        if w[0] == 'B':
            seq, blk, nb, tag = map(int, w[1:5])
            writes[seq] = [blk, nb, tag, False]
            order.append(seq)
        elif w[0] == 'A':
            writes[int(w[1])][3] = True
        elif w[0] == 'F':
            fsyncs[int(w[1])] = int(w[2])
        elif w[0] == 'D':
            covered = max(covered, fsyncs[int(w[1])])
            stats['fsyncs'] += 1
        elif w[0] == 'X':
            stats['failed_fsyncs'] += 1
    for seq in order:
        blk, nb, tag, acked = writes[seq]
        if blk + nb > nblocks:
            raise SystemExit('%s: write %d outside the region' % (path, seq))
        stats['writes'] += 1
        stats['acked'] += acked
        stats['covered'] += seq <= covered
        for b in range(blk, blk + nb):
            # (tag, acknowledged, covered by a completed fsync)
            hist[b].append((tag, acked, seq <= covered))


def read_region(dev, off, size):
    fd = os.open(dev, os.O_RDONLY | os.O_DIRECT)
    buf = mmap.mmap(-1, 1 << 20)
    out = bytearray()
    try:
        pos = 0
        while pos < size:
            n = os.preadv(fd, [memoryview(buf)[:min(1 << 20, size - pos)]], off + pos)
            if n <= 0:
                raise SystemExit('%s: read at %d returned %d' % (dev, off + pos, n))
            out += buf[:n]
            pos += n
    finally:
        os.close(fd)
    return bytes(out)


def identify(data, devblk):
    """The tag of the write a block's data came from, 0 for zeroes, None if neither."""
    if data == bytes(BS):
        return 0
    magic, blk, tag, _ = HDR.unpack_from(data)
    if magic == MAGIC and blk == devblk and data == block_bytes(devblk, tag):
        return tag
    return None


def bcheck(argv):
    sep = argv.index('--')
    roff, rsize, statepath = int(argv[0]), int(argv[1]), argv[2]
    logs, devs = argv[3:sep], argv[sep + 1:]
    nblocks = rsize // BS
    base = roff // BS
    hist = [[] for _ in range(nblocks)]
    stats = dict(writes=0, acked=0, covered=0, fsyncs=0, failed_fsyncs=0)
    for path in logs:
        parse_blog(path, nblocks, hist, stats)
    try:
        prev = json.load(open(statepath))
    except FileNotFoundError:
        prev = {'len': [0] * nblocks, 'seen': [0] * nblocks}
    bad = []
    datas = {}
    for dev in devs:
        datas[dev] = read_region(dev, roff, rsize)
    first = datas[devs[0]]
    for dev in devs[1:]:
        if datas[dev] != first:
            diff = [b for b in range(nblocks)
                    if datas[dev][b * BS:(b + 1) * BS] != first[b * BS:(b + 1) * BS]]
            bad.append('%s and %s read different data in %d blocks (first: region block %d)'
                       % (devs[0], dev, len(diff), diff[0]))
    seen = [0] * nblocks
    n = dict(covered_ok=0, acked_ok=0, inflight_new=0, inflight_old=0, torn=0, zero_ok=0)
    for b in range(nblocks):
        data = first[b * BS:(b + 1) * BS]
        devblk = base + b
        h = hist[b]
        got = identify(data, devblk)
        last_acked = max((i for i, e in enumerate(h) if e[1]), default=-1)
        last_cov = max((i for i, e in enumerate(h) if e[2]), default=-1)
        # what the block may hold: the last acknowledged write or any later one
        # (those were in flight at the kill), zeroes if none was acknowledged
        allowed = [e[0] for e in h[last_acked:]] if last_acked >= 0 else [0] + [e[0] for e in h]
        if got is None:
            # a write cut by the kill may land part by part (sector by sector)
            ok = len(allowed) > 1 and all(
                any(data[s:s + SECTOR] == (block_bytes(devblk, t) if t else bytes(BS))[s:s + SECTOR]
                    for t in allowed) for s in range(0, BS, SECTOR))
            if ok:
                n['torn'] += 1
                seen[b] = -1
                continue
            bad.append('region block %d (device block %d): unrecognised data (header %r); '
                       'expected one of tags %s' % (b, devblk, data[:HDR.size].hex(),
                                                    [hex(t) for t in allowed]))
            continue
        seen[b] = got
        if got not in allowed:
            cov = [e[0] for e in h[last_cov:]] if last_cov >= 0 else [0] + [e[0] for e in h]
            if got not in cov:
                bad.append('region block %d (device block %d): holds tag %#x, but the write '
                           '%#x was covered by a completed fsync (allowed: %s): LOST FSYNCED WRITE'
                           % (b, devblk, got, h[last_cov][0], [hex(t) for t in cov]))
            else:
                bad.append('region block %d (device block %d): holds tag %#x, but write %#x '
                           'was acknowledged (allowed: %s): lost acknowledged write'
                           % (b, devblk, got, h[last_acked][0], [hex(t) for t in allowed]))
            continue
        if len(h) == prev['len'][b] and prev['seen'][b] != -1 and got != prev['seen'][b]:
            bad.append('region block %d: not written since the last check, but changed from '
                       'tag %#x to %#x: a write landed after the restart'
                       % (b, prev['seen'][b], got))
            continue
        if not h:
            n['zero_ok'] += 1
        elif last_cov >= 0 and got == h[last_cov][0] and last_cov == last_acked:
            n['covered_ok'] += 1
        elif last_acked >= 0 and got == h[last_acked][0]:
            n['acked_ok'] += 1
        elif got == h[-1][0]:
            n['inflight_new'] += 1
        else:
            n['inflight_old'] += 1
    print('%d writes (%d acknowledged, %d covered by %d completed fsyncs; %d fsyncs failed); '
          'blocks: %d hold their last fsynced write, %d their last acknowledged (not yet '
          'fsynced) write, %d an in-flight write that landed, %d kept the old data under an '
          'in-flight write, %d torn in-flight, %d never written and zero; devices compared: %d'
          % (stats['writes'], stats['acked'], stats['covered'], stats['fsyncs'],
             stats['failed_fsyncs'], n['covered_ok'], n['acked_ok'], n['inflight_new'],
             n['inflight_old'], n['torn'], n['zero_ok'], len(devs)))
    if stats['covered'] == 0:
        bad.append('no write was covered by a completed fsync: nothing was tested')
    if bad:
        for line in bad[:20]:
            print('BAD: ' + line)
        if len(bad) > 20:
            print('BAD: ... %d more' % (len(bad) - 20))
        sys.exit(1)
    json.dump({'len': [len(h) for h in hist], 'seen': seen}, open(statepath, 'w'))


# ------------------------------------------------------------------ files

def fwrite(argv):
    d, rnd, seed, logpath = argv[:4]
    count, pause_at, pause, go = writer_opts(argv[4:], 'fwrite')
    rng = random.Random(int(seed))
    log = logger(logpath)
    # the log carries over rounds: files committed before a kill are
    # rewritten too
    committed = list(dict.fromkeys(line.split()[1] for line in open(logpath)
                                   if line.startswith('C ')))
    i = 0
    try:
        dfd = os.open(d, os.O_RDONLY | os.O_DIRECTORY)
        while count is None or i < count:
            data = rng.randbytes(rng.choice((1, 4, 16, 64, 256)) * 1024 - rng.randrange(0, 1024))
            sha = hashlib.sha256(data).hexdigest()
            rewrite = committed and rng.random() < 0.25
            name = rng.choice(committed) if rewrite else 'r%d-%04d' % (int(rnd), i)
            target = os.path.join(d, ('tmp.' + name) if rewrite else name)
            log('B %s %s' % (name, sha))
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view):]
                if pause_at is not None and i == pause_at:
                    wait_go(pause, go)
                log('F %s' % name)
                os.fsync(fd)
            finally:
                os.close(fd)
            if rewrite:
                os.rename(target, os.path.join(d, name))
            os.fsync(dfd)
            log('C %s %s' % (name, sha))
            if not rewrite:
                committed.append(name)
            i += 1
        log('END count')
    except OSError as e:
        log('X %d' % e.errno)
        log('END error %d' % e.errno)


def fcheck(argv):
    d, logs = argv[0], argv[1:]
    want = {}       # name -> committed sha
    maybe = {}      # name -> shas of rewrites under way at a kill
    for path in logs:
        pending = None
        for line in list(open(path)) + ['B - -']:
            w = line.split()
            if w and w[0] == 'B':
                # a write that never committed: a rewrite of a committed
                # file may have replaced it (rename), a new file is not checked
                if pending and pending[0] in want:
                    maybe.setdefault(pending[0], set()).add(pending[1])
                pending = (w[1], w[2])
            elif w and w[0] == 'C':
                want[w[1]] = w[2]
                maybe.pop(w[1], None)
                pending = None
    bad = []
    nmaybe = 0
    for name, sha in sorted(want.items()):
        try:
            got = hashlib.sha256(open(os.path.join(d, name), 'rb').read()).hexdigest()
        except OSError as e:
            bad.append('%s: committed (fsynced with its directory) but unreadable: %s' % (name, e))
            continue
        if got == sha:
            continue
        if got in maybe.get(name, ()):
            nmaybe += 1
            continue
        bad.append('%s: sha256 %s, committed %s: LOST FSYNCED DATA' % (name, got[:16], sha[:16]))
    print('%d committed files checked; %d hold a rewrite that was under way at the kill'
          % (len(want), nmaybe))
    if not want:
        bad.append('no file was committed: nothing was tested')
    for line in bad[:20]:
        print('BAD: ' + line)
    sys.exit(1 if bad else 0)


if __name__ == '__main__':
    cmds = {'bwrite': bwrite, 'bcheck': bcheck, 'fwrite': fwrite, 'fcheck': fcheck}
    if len(sys.argv) < 2 or sys.argv[1] not in cmds:
        sys.exit('usage: kill9.py bwrite|bcheck|fwrite|fcheck ARGS (see the source)')
    cmds[sys.argv[1]](sys.argv[2:])
