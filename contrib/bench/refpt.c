// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * refpt: the reference FUSE passthrough of one file, for contrib/bench.
 *
 *   refpt MOUNTPOINT BACKING [-f] [--null]
 *
 * The mount holds one regular file, `disk`, whose reads and writes are
 * passed to BACKING (a file or block device) and nothing else: no path
 * choice, no request layer, no accounting. It is what "as fast as FUSE
 * allows" means for mpathfs on this libfuse (3.14) and kernel, so the
 * benchmark's ratio mpathfs / refpt is the cost of mpathfs's own work.
 *
 * Why the lowlevel API, with libaio and replies from the completion side:
 * that is mpathfs's architecture, and the fastest one libfuse 3.14 offers
 * (see shared/notes/fuse-performance.md: the high-level API answers each
 * request from the worker that received it, so a worker is tied up for the
 * whole I/O and the queue depth is the thread count; it also costs a path
 * lookup and an inode table per request). The knobs are mpathfs's, so the
 * comparison is like for like:
 *   - max_background 128 / congestion_threshold 96 (async direct I/O is
 *     background I/O: this is the queue depth the kernel lets into us),
 *   - max_write 1 MiB, no writeback cache, no readahead,
 *   - direct_io on open (no page cache in front of BACKING),
 *   - 4 FUSE workers kept alive, no clone_fd, 2 completion threads,
 *   - BACKING opened O_DIRECT; a write payload is copied once into an
 *     aligned buffer (libfuse 3.14 hands it over unaligned), a read goes
 *     into an aligned buffer that is replied from; freed buffers are kept
 *     for reuse, one free list per power-of-two size (glibc would map
 *     each megabyte afresh and fault it in page by page).
 * Requests that are not aligned to 4 KiB (never sent by the benchmark) are
 * served synchronously on a second, buffered descriptor, so the file is a
 * faithful passthrough whatever the caller does.
 *
 * --null answers every read (with zeros) and write from the worker that
 * received it, without touching BACKING: what the FUSE round trip alone
 * costs, the ceiling for any libfuse 3.14 daemon on this machine.
 */
#define _GNU_SOURCE
#define FUSE_USE_VERSION 312
#include <errno.h>
#include <fcntl.h>
#include <fuse_lowlevel.h>
#include <libaio.h>
#include <linux/fs.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#define ALIGN 4096
#define AIO_DEPTH 1024
#define REAPERS 2
#ifndef WORKERS
#define WORKERS 4
#endif
#define NR_CLASSES 9		/* buffer sizes ALIGN << 0 .. 8: 4 KiB to 1 MiB */

enum { INO_ROOT = 1, INO_DISK };

struct io {
	struct iocb cb;
	fuse_req_t req;
	char *buf;
	int cls;		/* buf's size class, -1: bigger, not kept */
	size_t len;
	bool write;
};

/* Free buffers by size class, linked through their first word. */
static struct {
	pthread_mutex_t mu;
	void *free[NR_CLASSES];
} bufs = { .mu = PTHREAD_MUTEX_INITIALIZER };

/* An aligned buffer of at least len bytes, reused if one is free; NULL if none. */
static char *buf_get(size_t len, int *cls)
{
	void *buf = NULL;
	int c = 0;

	while (c < NR_CLASSES && ((size_t)ALIGN << c) < len)
		c++;
	*cls = c < NR_CLASSES ? c : -1;
	if (*cls >= 0) {
		pthread_mutex_lock(&bufs.mu);
		buf = bufs.free[c];
		if (buf)
			bufs.free[c] = *(void **)buf;
		pthread_mutex_unlock(&bufs.mu);
		len = (size_t)ALIGN << c;
	}
	if (!buf && posix_memalign(&buf, ALIGN, len))
		return NULL;
	return buf;
}

/* At most max_background + WORKERS buffers are out at once: keeping them all is fine. */
static void buf_put(char *buf, int cls)
{
	if (cls < 0) {
		free(buf);
		return;
	}
	pthread_mutex_lock(&bufs.mu);
	*(void **)buf = bufs.free[cls];
	bufs.free[cls] = buf;
	pthread_mutex_unlock(&bufs.mu);
}

static struct {
	int dfd;		/* O_DIRECT */
	int bfd;		/* buffered, for unaligned requests */
	off_t size;
	io_context_t ctx;
	volatile bool stop;
	bool null;		/* --null */
} pt;

/* What --null reads back: the largest read the kernel sends us (max_pages 256). */
static const char zeros[1 << 20];

static void fill(fuse_ino_t ino, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = ino;
	if (ino == INO_ROOT) {
		st->st_mode = S_IFDIR | 0755;
		st->st_nlink = 2;
	} else {
		st->st_mode = S_IFREG | 0600;
		st->st_nlink = 1;
		st->st_size = pt.size;
		st->st_blksize = ALIGN;
		st->st_blocks = pt.size / 512;
	}
}

static void pt_init(void *ud, struct fuse_conn_info *conn)
{
	(void)ud;
	conn->max_background = 128;
	conn->congestion_threshold = 96;
	conn->max_write = 1 << 20;
	conn->max_readahead = 0;
	conn->want &= ~(unsigned)FUSE_CAP_WRITEBACK_CACHE;
}

static void pt_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct fuse_entry_param e = { 0 };

	if (parent != INO_ROOT || strcmp(name, "disk")) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	e.ino = INO_DISK;
	e.attr_timeout = e.entry_timeout = 1.0;
	fill(INO_DISK, &e.attr);
	fuse_reply_entry(req, &e);
}

static void pt_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct stat st;

	(void)fi;
	if (ino != INO_ROOT && ino != INO_DISK) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	fill(ino, &st);
	fuse_reply_attr(req, &st, 1.0);
}

/* O_TRUNC on open and touch(1): allowed as long as the size stays. */
static void pt_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set,
		       struct fuse_file_info *fi)
{
	if ((to_set & FUSE_SET_ATTR_SIZE) && attr->st_size != pt.size) {
		fuse_reply_err(req, EPERM);
		return;
	}
	pt_getattr(req, ino, fi);
}

static void pt_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	if (ino != INO_DISK) {
		fuse_reply_err(req, EISDIR);
		return;
	}
	fi->direct_io = 1;
	fi->keep_cache = 0;
	fuse_reply_open(req, fi);
}

static void reply(struct io *io, long res)
{
	if (res < 0)
		fuse_reply_err(io->req, (int)-res);
	else if (io->write)
		fuse_reply_write(io->req, (size_t)res);
	else
		fuse_reply_buf(io->req, io->buf, (size_t)res);
	buf_put(io->buf, io->cls);
	free(io);
}

static bool aligned(off_t off, size_t len)
{
	return off % ALIGN == 0 && len % ALIGN == 0;
}

static void submit(struct io *io)
{
	struct iocb *cbs[1] = { &io->cb };
	int r;

	io->cb.data = io;
	while ((r = io_submit(pt.ctx, 1, cbs)) == -EAGAIN)
		usleep(50);
	if (r != 1)
		reply(io, r < 0 ? r : -EIO);
}

static void pt_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	struct io *io;

	(void)fi;
	if (ino != INO_DISK) {
		fuse_reply_err(req, EISDIR);
		return;
	}
	if (off >= pt.size)
		size = 0;
	else if ((off_t)size > pt.size - off)
		size = (size_t)(pt.size - off);
	if (pt.null) {
		fuse_reply_buf(req, zeros, size < sizeof(zeros) ? size : sizeof(zeros));
		return;
	}
	io = calloc(1, sizeof(*io));
	if (!io || !(io->buf = buf_get(size ? size : ALIGN, &io->cls))) {
		free(io);
		fuse_reply_err(req, ENOMEM);
		return;
	}
	io->req = req;
	io->len = size;
	if (!size || !aligned(off, size)) {
		ssize_t n = size ? pread(pt.bfd, io->buf, size, off) : 0;

		reply(io, n < 0 ? -errno : n);
		return;
	}
	io_prep_pread(&io->cb, pt.dfd, io->buf, size, off);
	submit(io);
}

static void pt_write_buf(fuse_req_t req, fuse_ino_t ino, struct fuse_bufvec *bufv,
			 off_t off, struct fuse_file_info *fi)
{
	size_t len = fuse_buf_size(bufv);
	struct fuse_bufvec dst = FUSE_BUFVEC_INIT(len);
	struct io *io;
	ssize_t got;

	(void)fi;
	if (ino != INO_DISK) {
		fuse_reply_err(req, EISDIR);
		return;
	}
	if (off > pt.size || (off_t)len > pt.size - off) {
		fuse_reply_err(req, ENOSPC);
		return;
	}
	if (pt.null) {
		fuse_reply_write(req, len);
		return;
	}
	io = calloc(1, sizeof(*io));
	if (!io || !(io->buf = buf_get(len ? len : ALIGN, &io->cls))) {
		free(io);
		fuse_reply_err(req, ENOMEM);
		return;
	}
	io->req = req;
	io->len = len;
	io->write = true;
	/* the one copy libfuse 3.14 forces on O_DIRECT: its buffer is unaligned */
	dst.buf[0].mem = io->buf;
	got = fuse_buf_copy(&dst, bufv, 0);
	if (got != (ssize_t)len) {
		reply(io, got < 0 ? got : -EIO);
		return;
	}
	if (!len || !aligned(off, len)) {
		ssize_t n = len ? pwrite(pt.bfd, io->buf, len, off) : 0;

		reply(io, n < 0 ? -errno : n);
		return;
	}
	io_prep_pwrite(&io->cb, pt.dfd, io->buf, len, off);
	submit(io);
}

static void pt_fsync(fuse_req_t req, fuse_ino_t ino, int datasync, struct fuse_file_info *fi)
{
	(void)ino;
	(void)datasync;
	(void)fi;
	fuse_reply_err(req, fdatasync(pt.dfd) < 0 ? errno : 0);
}

static void pt_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	(void)ino;
	(void)fi;
	fuse_reply_err(req, 0);
}

static void pt_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		       struct fuse_file_info *fi)
{
	static const char *const names[] = { ".", "..", "disk" };
	static const fuse_ino_t inos[] = { INO_ROOT, INO_ROOT, INO_DISK };
	char buf[512];
	size_t pos = 0;

	(void)fi;
	if (ino != INO_ROOT) {
		fuse_reply_err(req, ENOTDIR);
		return;
	}
	if (size > sizeof(buf))
		size = sizeof(buf);
	for (off_t i = off; i < 3; i++) {
		struct stat st;
		size_t n;

		fill(inos[i], &st);
		n = fuse_add_direntry(req, buf + pos, size - pos, names[i], &st, i + 1);
		if (n > size - pos)
			break;
		pos += n;
	}
	fuse_reply_buf(req, buf, pos);
}

static const struct fuse_lowlevel_ops ops = {
	.init = pt_init,
	.lookup = pt_lookup,
	.getattr = pt_getattr,
	.setattr = pt_setattr,
	.open = pt_open,
	.read = pt_read,
	.write_buf = pt_write_buf,
	.fsync = pt_fsync,
	.flush = pt_flush,
	.readdir = pt_readdir,
};

static void *reaper(void *arg)
{
	struct io_event ev[128];

	(void)arg;
	while (!pt.stop) {
		struct timespec ts = { 0, 100 * 1000000 };
		int n = io_getevents(pt.ctx, 1, 128, ev, &ts);

		for (int i = 0; i < n; i++)
			reply(ev[i].data, (long)ev[i].res);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	struct fuse_args args = FUSE_ARGS_INIT(0, NULL);
	struct fuse_loop_config *lc;
	struct fuse_session *se;
	pthread_t th[REAPERS];
	bool fg = false;
	struct stat st;
	int r = 1;

	for (int i = 3; i < argc; i++) {
		if (!strcmp(argv[i], "-f"))
			fg = true;
		else if (!strcmp(argv[i], "--null"))
			pt.null = true;
		else
			argc = 0;
	}
	if (argc < 3) {
		fprintf(stderr, "usage: refpt MOUNTPOINT BACKING [-f] [--null]\n");
		return 2;
	}
	pt.dfd = open(argv[2], O_RDWR | O_DIRECT | O_CLOEXEC);
	pt.bfd = open(argv[2], O_RDWR | O_CLOEXEC);
	if (pt.dfd < 0 || pt.bfd < 0 || fstat(pt.dfd, &st) < 0) {
		perror(argv[2]);
		return 1;
	}
	pt.size = st.st_size;
	if (S_ISBLK(st.st_mode)) {
		uint64_t sz;

		if (ioctl(pt.dfd, BLKGETSIZE64, &sz) < 0) {
			perror("BLKGETSIZE64");
			return 1;
		}
		pt.size = (off_t)sz;
	}
	if (io_setup(AIO_DEPTH, &pt.ctx) < 0) {
		fprintf(stderr, "refpt: io_setup failed\n");
		return 1;
	}
	if (fuse_opt_add_arg(&args, argv[0]) || fuse_opt_add_arg(&args, "-o") ||
	    fuse_opt_add_arg(&args, "fsname=refpt,subtype=refpt"))
		return 1;
	se = fuse_session_new(&args, &ops, sizeof(ops), NULL);
	if (!se || fuse_set_signal_handlers(se) || fuse_session_mount(se, argv[1])) {
		fprintf(stderr, "refpt: cannot mount on '%s'\n", argv[1]);
		return 1;
	}
	if (fuse_daemonize(fg) == 0) {
		for (int i = 0; i < REAPERS; i++)
			pthread_create(&th[i], NULL, reaper, NULL);
		lc = fuse_loop_cfg_create();
		fuse_loop_cfg_set_max_threads(lc, WORKERS);
		fuse_loop_cfg_set_idle_threads(lc, WORKERS);
		fuse_loop_cfg_set_clone_fd(lc, 0);
		r = fuse_session_loop_mt(se, lc) ? 1 : 0;
		fuse_loop_cfg_destroy(lc);
		pt.stop = true;
		for (int i = 0; i < REAPERS; i++)
			pthread_join(th[i], NULL);
	}
	fuse_session_unmount(se);
	fuse_remove_signal_handlers(se);
	fuse_session_destroy(se);
	fuse_opt_free_args(&args);
	io_destroy(pt.ctx);
	return r;
}
