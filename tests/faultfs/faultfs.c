// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * faultfs: a fault-injecting FUSE file for mpathfs's test bed.
 *
 *   faultfs MOUNTPOINT IMAGE [-f]
 *
 * The mount holds `disk`, a view of IMAGE, and `control`. Put a loop
 * device (--direct-io=on) over MOUNTPOINT/disk and it is a real block
 * device whose I/O can be made to fail, slow down, hang or flap on
 * command. One faultfs per path: FUSE limits background requests per
 * mount, so hung I/O on one path never starves another.
 *
 * Commands (one per line to `control`; reading it shows the state):
 *   ok                       clear every fault (and release held I/O)
 *   error ERRNO [START LEN]  fail I/O (all, or overlapping the byte range)
 *                            with ERRNO: EIO, ENODATA, EREMOTEIO, ENOSPC,
 *                            EILSEQ, EOPNOTSUPP, ETIMEDOUT, ENXIO
 *   delay MS                 add MS milliseconds to every I/O
 *   hang                     hold every I/O until `release` (or `ok`)
 *   release                  complete held I/O (as if the path woke up)
 *   flap PERIOD_MS           alternate ok / EIO every PERIOD_MS
 *
 * Why our own layer rather than nbdkit's error and delay filters behind
 * nbdfuse: a hang must hold each request until released (the delay filter
 * only sleeps a fixed time), a medium error must hit one range of one path
 * with ENODATA (which the loop driver passes up as a medium error), and
 * nbdfuse's throughput (about 12k IOPS here) would hide the latencies the
 * tests measure. Held and delayed requests are answered from a timer
 * thread, so no FUSE worker sleeps.
 *
 * Locking: fs.mu protects the fault settings, the held list and counters;
 * a leaf. I/O on the image runs without it.
 */
#define _GNU_SOURCE
#define FUSE_USE_VERSION 312
#include <errno.h>
#include <fcntl.h>
#include <fuse_lowlevel.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

enum { INO_ROOT = 1, INO_DISK, INO_CONTROL, INO_END };

enum op { OP_READ, OP_WRITE, OP_FSYNC };

struct held {
	struct held *next;
	fuse_req_t req;
	enum op op;
	off_t off;
	size_t len;
	char *data;		/* write payload, or read buffer */
	uint64_t due_ns;	/* UINT64_MAX: until released */
};

static struct {
	int img;
	off_t size;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	/* faults */
	int err;
	off_t err_start, err_len;	/* err_len 0: everywhere */
	unsigned delay_ms;
	bool hang;
	unsigned flap_ms;
	uint64_t flap_epoch;
	/* held and delayed requests, unordered */
	struct held *held;
	bool stop;
	/* counters */
	uint64_t nr_io, nr_err, nr_held;
} fs;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static const struct { const char *name; int err; } errnos[] = {
	{ "EIO", EIO }, { "ENODATA", ENODATA }, { "EREMOTEIO", EREMOTEIO },
	{ "ENOSPC", ENOSPC }, { "EILSEQ", EILSEQ }, { "EOPNOTSUPP", EOPNOTSUPP },
	{ "ETIMEDOUT", ETIMEDOUT }, { "ENXIO", ENXIO },
};

static const char *errno_name(int e)
{
	for (size_t i = 0; i < sizeof(errnos) / sizeof(errnos[0]); i++)
		if (errnos[i].err == e)
			return errnos[i].name;
	return "?";
}

/* Perform an I/O on the image and reply. */
static void do_io(fuse_req_t req, enum op op, off_t off, size_t len, char *data)
{
	ssize_t n;

	switch (op) {
	case OP_READ:
		n = pread(fs.img, data, len, off);
		if (n < 0)
			fuse_reply_err(req, errno);
		else
			fuse_reply_buf(req, data, (size_t)n);
		return;
	case OP_WRITE:
		n = pwrite(fs.img, data, len, off);
		if (n < 0)
			fuse_reply_err(req, errno);
		else
			fuse_reply_write(req, (size_t)n);
		return;
	case OP_FSYNC:
		fuse_reply_err(req, fdatasync(fs.img) < 0 ? errno : 0);
		return;
	}
}

/* What to do with an I/O now: 0 pass, >0 errno, -1 hold until released, -2 delay. */
static int decide(enum op op, off_t off, size_t len, uint64_t *due)
{
	int r = 0;

	pthread_mutex_lock(&fs.mu);
	fs.nr_io++;
	if (fs.flap_ms && ((now_ns() - fs.flap_epoch) / (fs.flap_ms * 1000000ull)) % 2 == 1)
		r = EIO;
	else if (fs.err && (!fs.err_len || op == OP_FSYNC ||
			    (off < fs.err_start + fs.err_len && fs.err_start < off + (off_t)len)))
		r = (op == OP_FSYNC && fs.err_len) ? 0 : fs.err;
	if (r) {
		fs.nr_err++;
	} else if (fs.hang) {
		r = -1;
		*due = UINT64_MAX;
		fs.nr_held++;
	} else if (fs.delay_ms) {
		r = -2;
		*due = now_ns() + fs.delay_ms * 1000000ull;
	}
	pthread_mutex_unlock(&fs.mu);
	return r;
}

static void hold(fuse_req_t req, enum op op, off_t off, size_t len, char *data, uint64_t due)
{
	struct held *h = calloc(1, sizeof(*h));

	if (!h) {
		free(data);
		fuse_reply_err(req, ENOMEM);
		return;
	}
	*h = (struct held){ .req = req, .op = op, .off = off, .len = len,
			    .data = data, .due_ns = due };
	pthread_mutex_lock(&fs.mu);
	h->next = fs.held;
	fs.held = h;
	pthread_cond_signal(&fs.cv);
	pthread_mutex_unlock(&fs.mu);
}

static void *timer_main(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&fs.mu);
	/* at stop, first answer everything still held */
	while (!fs.stop || fs.held) {
		struct held **pp = &fs.held, *due = NULL;
		uint64_t now = now_ns(), next = UINT64_MAX;
		struct timespec ts;

		while (*pp) {
			struct held *h = *pp;

			if (h->due_ns <= now) {
				*pp = h->next;
				h->next = due;
				due = h;
			} else {
				if (h->due_ns < next)
					next = h->due_ns;
				pp = &h->next;
			}
		}
		if (due) {
			pthread_mutex_unlock(&fs.mu);
			while (due) {
				struct held *h = due;

				due = h->next;
				do_io(h->req, h->op, h->off, h->len, h->data);
				free(h->data);
				free(h);
			}
			pthread_mutex_lock(&fs.mu);
			continue;
		}
		if (next == UINT64_MAX) {
			pthread_cond_wait(&fs.cv, &fs.mu);
		} else {
			clock_gettime(CLOCK_REALTIME, &ts);
			now = now_ns();
			/* due while we scanned: go round again rather than wrap the wait */
			if (next <= now)
				continue;
			ts.tv_sec += (time_t)((next - now) / 1000000000ull);
			ts.tv_nsec += (long)((next - now) % 1000000000ull);
			if (ts.tv_nsec >= 1000000000L) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000L;
			}
			pthread_cond_timedwait(&fs.cv, &fs.mu, &ts);
		}
	}
	pthread_mutex_unlock(&fs.mu);
	return NULL;
}

/* Release every held request now (under fs.mu). */
static void release_locked(void)
{
	for (struct held *h = fs.held; h; h = h->next)
		if (h->due_ns == UINT64_MAX)
			h->due_ns = 0;
	fs.hang = false;
	pthread_cond_signal(&fs.cv);
}

static void handle(fuse_req_t req, enum op op, off_t off, size_t len, char *data)
{
	uint64_t due = 0;
	int r = decide(op, off, len, &due);

	if (r > 0) {
		free(data);
		fuse_reply_err(req, r);
	} else if (r < 0) {
		hold(req, op, off, len, data, due);
	} else {
		do_io(req, op, off, len, data);
		free(data);
	}
}

/* ---- control ---------------------------------------------------------- */

static int command(char *line, char *reply, size_t rlen)
{
	char *w[4] = { 0 }, *save = NULL, *t;
	int n = 0;

	for (t = strtok_r(line, " \t", &save); t && n < 4; t = strtok_r(NULL, " \t", &save))
		w[n++] = t;
	if (!n)
		return 0;
	pthread_mutex_lock(&fs.mu);
	if (!strcmp(w[0], "ok") && n == 1) {
		fs.err = 0;
		fs.err_len = 0;
		fs.delay_ms = 0;
		fs.flap_ms = 0;
		release_locked();
	} else if (!strcmp(w[0], "error") && (n == 2 || n == 4)) {
		size_t i;

		for (i = 0; i < sizeof(errnos) / sizeof(errnos[0]); i++)
			if (!strcmp(errnos[i].name, w[1]))
				break;
		if (i == sizeof(errnos) / sizeof(errnos[0]))
			goto bad;
		fs.err = errnos[i].err;
		fs.err_start = n == 4 ? strtoll(w[2], NULL, 0) : 0;
		fs.err_len = n == 4 ? strtoll(w[3], NULL, 0) : 0;
	} else if (!strcmp(w[0], "delay") && n == 2) {
		fs.delay_ms = (unsigned)strtoul(w[1], NULL, 0);
	} else if (!strcmp(w[0], "hang") && n == 1) {
		fs.hang = true;
	} else if (!strcmp(w[0], "release") && n == 1) {
		release_locked();
	} else if (!strcmp(w[0], "flap") && n == 2) {
		fs.flap_ms = (unsigned)strtoul(w[1], NULL, 0);
		fs.flap_epoch = now_ns();
	} else {
		goto bad;
	}
	pthread_mutex_unlock(&fs.mu);
	return 0;
bad:
	pthread_mutex_unlock(&fs.mu);
	snprintf(reply, rlen, "faultfs: bad command '%s'\n", w[0]);
	return -EINVAL;
}

static size_t state_text(char *buf, size_t len)
{
	unsigned held = 0;
	int n;

	pthread_mutex_lock(&fs.mu);
	for (struct held *h = fs.held; h; h = h->next)
		held += h->due_ns == UINT64_MAX;
	n = snprintf(buf, len, "error %s %lld %lld\ndelay %u\nhang %d\nflap %u\n"
		     "held %u\nios %llu\nerrors %llu\nheld_total %llu\n",
		     fs.err ? errno_name(fs.err) : "none", (long long)fs.err_start,
		     (long long)fs.err_len, fs.delay_ms, fs.hang, fs.flap_ms, held,
		     (unsigned long long)fs.nr_io, (unsigned long long)fs.nr_err,
		     (unsigned long long)fs.nr_held);
	pthread_mutex_unlock(&fs.mu);
	return n < 0 ? 0 : (size_t)n;
}

/* ---- FUSE ------------------------------------------------------------- */

static int fill(fuse_ino_t ino, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = ino;
	switch (ino) {
	case INO_ROOT:
		st->st_mode = S_IFDIR | 0755;
		st->st_nlink = 2;
		return 0;
	case INO_DISK:
		st->st_mode = S_IFREG | 0600;
		st->st_size = fs.size;
		break;
	case INO_CONTROL:
		st->st_mode = S_IFREG | 0600;
		break;
	default:
		return ENOENT;
	}
	st->st_nlink = 1;
	return 0;
}

static void ff_init(void *ud, struct fuse_conn_info *conn)
{
	(void)ud;
	/* hung requests must not use up the slots of the rest */
	conn->max_background = 1024;
	conn->congestion_threshold = 768;
	conn->max_write = 1 << 20;
	conn->want &= ~(unsigned)FUSE_CAP_WRITEBACK_CACHE;
}

static void ff_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct fuse_entry_param e = { 0 };
	fuse_ino_t ino = !strcmp(name, "disk") ? INO_DISK :
			 !strcmp(name, "control") ? INO_CONTROL : 0;

	if (parent != INO_ROOT || !ino) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	e.ino = ino;
	fill(ino, &e.attr);
	fuse_reply_entry(req, &e);
}

static void ff_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct stat st;
	int r = fill(ino, &st);

	(void)fi;
	if (r)
		fuse_reply_err(req, r);
	else
		fuse_reply_attr(req, &st, 0);
}

static void ff_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set,
		       struct fuse_file_info *fi)
{
	(void)attr;
	(void)to_set;
	ff_getattr(req, ino, fi);
}

static void ff_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	if (ino != INO_DISK && ino != INO_CONTROL) {
		fuse_reply_err(req, EISDIR);
		return;
	}
	fi->direct_io = 1;
	fuse_reply_open(req, fi);
}

static void ff_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	char *buf;

	(void)fi;
	if (ino == INO_CONTROL) {
		char text[512];
		size_t n = state_text(text, sizeof(text));

		if ((size_t)off >= n)
			fuse_reply_buf(req, NULL, 0);
		else
			fuse_reply_buf(req, text + off, n - (size_t)off < size ? n - (size_t)off : size);
		return;
	}
	buf = malloc(size ? size : 1);
	if (!buf) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	handle(req, OP_READ, off, size, buf);
}

static void ff_write_buf(fuse_req_t req, fuse_ino_t ino, struct fuse_bufvec *bufv,
			 off_t off, struct fuse_file_info *fi)
{
	size_t len = fuse_buf_size(bufv);
	struct fuse_bufvec dst = FUSE_BUFVEC_INIT(len);
	char *data = malloc(len + 1);
	ssize_t got;

	(void)fi;
	if (!data) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	dst.buf[0].mem = data;
	got = fuse_buf_copy(&dst, bufv, 0);
	if (got < 0) {
		free(data);
		fuse_reply_err(req, (int)-got);
		return;
	}
	if (ino == INO_CONTROL) {
		char reply[128] = "", *line, *save = NULL;
		int r = 0;

		data[got] = '\0';
		for (line = strtok_r(data, "\n", &save); line && !r;
		     line = strtok_r(NULL, "\n", &save))
			r = command(line, reply, sizeof(reply));
		free(data);
		if (r)
			fuse_reply_err(req, -r);
		else
			fuse_reply_write(req, len);
		return;
	}
	handle(req, OP_WRITE, off, (size_t)got, data);
}

static void ff_fsync(fuse_req_t req, fuse_ino_t ino, int datasync, struct fuse_file_info *fi)
{
	(void)datasync;
	(void)fi;
	if (ino != INO_DISK) {
		fuse_reply_err(req, 0);
		return;
	}
	handle(req, OP_FSYNC, 0, 0, NULL);
}

static void ff_fallocate(fuse_req_t req, fuse_ino_t ino, int mode, off_t off, off_t len,
			 struct fuse_file_info *fi)
{
	(void)fi;
	if (ino != INO_DISK) {
		fuse_reply_err(req, EBADF);
		return;
	}
	fuse_reply_err(req, fallocate(fs.img, mode, off, len) < 0 ? errno : 0);
}

static void ff_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	(void)ino;
	(void)fi;
	fuse_reply_err(req, 0);
}

static void ff_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		       struct fuse_file_info *fi)
{
	static const char *const names[] = { ".", "..", "disk", "control" };
	static const fuse_ino_t inos[] = { INO_ROOT, INO_ROOT, INO_DISK, INO_CONTROL };
	char buf[1024];
	size_t pos = 0;

	(void)fi;
	if (ino != INO_ROOT) {
		fuse_reply_err(req, ENOTDIR);
		return;
	}
	if (size > sizeof(buf))
		size = sizeof(buf);
	for (off_t i = off; i < 4; i++) {
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
	.init = ff_init,
	.lookup = ff_lookup,
	.getattr = ff_getattr,
	.setattr = ff_setattr,
	.open = ff_open,
	.read = ff_read,
	.write_buf = ff_write_buf,
	.fsync = ff_fsync,
	.fallocate = ff_fallocate,
	.flush = ff_flush,
	.readdir = ff_readdir,
};

int main(int argc, char **argv)
{
	struct fuse_args args = FUSE_ARGS_INIT(0, NULL);
	struct fuse_loop_config *lc;
	struct fuse_session *se;
	pthread_t timer;
	bool foreground = argc > 3 && !strcmp(argv[3], "-f");
	struct stat st;
	int r = 1;

	if (argc < 3) {
		fprintf(stderr, "usage: faultfs MOUNTPOINT IMAGE [-f]\n");
		return 2;
	}
	fs.img = open(argv[2], O_RDWR | O_CLOEXEC);
	if (fs.img < 0 || fstat(fs.img, &st) < 0) {
		fprintf(stderr, "faultfs: cannot open '%s': %s\n", argv[2], strerrordesc_np(errno));
		return 1;
	}
	fs.size = st.st_size;
	pthread_mutex_init(&fs.mu, NULL);
	pthread_cond_init(&fs.cv, NULL);
	if (fuse_opt_add_arg(&args, argv[0]) || fuse_opt_add_arg(&args, "-o") ||
	    fuse_opt_add_arg(&args, "fsname=faultfs,subtype=faultfs"))
		return 1;
	se = fuse_session_new(&args, &ops, sizeof(ops), NULL);
	if (!se || fuse_set_signal_handlers(se) || fuse_session_mount(se, argv[1])) {
		fprintf(stderr, "faultfs: cannot mount on '%s'\n", argv[1]);
		return 1;
	}
	if (fuse_daemonize(foreground) == 0 &&
	    pthread_create(&timer, NULL, timer_main, NULL) == 0) {
		lc = fuse_loop_cfg_create();
		fuse_loop_cfg_set_max_threads(lc, 64);
		r = fuse_session_loop_mt(se, lc) ? 1 : 0;
		fuse_loop_cfg_destroy(lc);
		/* answer anything still held so no caller stays blocked */
		pthread_mutex_lock(&fs.mu);
		release_locked();
		fs.stop = true;
		pthread_cond_signal(&fs.cv);
		pthread_mutex_unlock(&fs.mu);
		pthread_join(timer, NULL);
	}
	fuse_session_unmount(se);
	fuse_remove_signal_handlers(se);
	fuse_session_destroy(se);
	fuse_opt_free_args(&args);
	close(fs.img);
	return r;
}
