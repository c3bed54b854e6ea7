// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * mpathfs MOUNTPOINT -c CONFIG [-f] [-d] [-v|-q] [-o FUSE_OPTIONS]
 *
 * Everything that can be wrong with the setup (arguments, config, paths)
 * is checked before mounting, so a failed start leaves nothing mounted.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mpathfs/fuse-frontend.h"
#include "mpathfs/log.h"
#include "mpathfs/notify.h"

struct options {
	const char *config;
	const char *mountpoint;
	const char *fuse_opts;
	bool foreground;
	bool debug;
	int verbosity;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: mpathfs MOUNTPOINT -c CONFIG [options]\n"
		"  -c, --config FILE   INI configuration (required)\n"
		"  -f, --foreground    stay in the foreground, log to stderr\n"
		"  -d, --debug         FUSE debug output (implies -f)\n"
		"  -v, --verbose       more log output (repeat for debug)\n"
		"  -q, --quiet         warnings and errors only\n"
		"  -o OPTIONS          extra FUSE mount options\n"
		"  -h, --help          this text\n"
		"  -V, --version       version\n");
}

/* 0 to run, 1 to exit successfully (help), -1 on a usage error. */
static int parse_args(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "debug", no_argument, NULL, 'd' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "c:fdvqo:hV", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			o->config = optarg;
			break;
		case 'f':
			o->foreground = true;
			break;
		case 'd':
			o->debug = o->foreground = true;
			break;
		case 'v':
			o->verbosity++;
			break;
		case 'q':
			o->verbosity = -1;
			break;
		case 'o':
			o->fuse_opts = optarg;
			break;
		case 'h':
			usage(stdout);
			return 1;
		case 'V':
			printf("mpathfs %s\n", MPATHFS_VERSION);
			return 1;
		default:
			usage(stderr);
			return -1;
		}
	}
	if (optind < argc)
		o->mountpoint = argv[optind++];
	if (optind < argc) {
		fprintf(stderr, "mpathfs: unexpected argument '%s'\n", argv[optind]);
		return -1;
	}
	if (o->fuse_opts) {
		const char *s = o->fuse_opts;

		/* who may use the mount is the config's to say, in one place */
		while (*s) {
			size_t n = strcspn(s, ",");

			if ((n == 11 && !strncmp(s, "allow_other", n)) ||
			    (n == 10 && !strncmp(s, "allow_root", n))) {
				fprintf(stderr, "mpathfs: -o %.*s: not taken on the command line; "
					"set allow_other = yes in the config\n", (int)n, s);
				return -1;
			}
			s += n + (s[n] == ',');
		}
	}
	if (!o->mountpoint || !o->config) {
		fprintf(stderr, "mpathfs: %s\n", !o->mountpoint ? "no mountpoint given" :
			"no config file given (-c FILE)");
		usage(stderr);
		return -1;
	}
	return 0;
}

/* libfuse's own messages, into our log at the same level. */
static void fuse_log_bridge(enum fuse_log_level level, const char *fmt, va_list ap)
{
	char msg[512];
	size_t n;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	if (n && msg[n - 1] == '\n')
		msg[n - 1] = '\0';
	mp_log((int)level, "libfuse: %s", msg);
}

/* SIGHUP reloads: a thread waits for it, so the work is not in a handler. */
static void *sighup_main(void *arg)
{
	struct mp_daemon *d = arg;
	sigset_t set;
	int sig;

	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	for (;;) {
		char msg[MP_ERRMSG_MAX];

		if (sigwait(&set, &sig) != 0)
			continue;
		if (mp_daemon_reload(d, msg, sizeof(msg)) < 0)
			mp_err("reload on SIGHUP failed: %s", msg);
		mp_sd_notify("STATUS=%s", msg);
	}
	return NULL;
}

static int log_level(int verbosity)
{
	if (verbosity < 0)
		return LOG_WARNING;
	if (verbosity == 0)
		return LOG_NOTICE;
	return verbosity == 1 ? LOG_INFO : LOG_DEBUG;
}

static struct fuse_session *make_session(const struct options *o, struct mp_fuse *f)
{
	char opts[1024];
	struct fuse_args args = FUSE_ARGS_INIT(0, NULL);
	struct fuse_session *se = NULL;

	/*
	 * The kernel checks the files' modes (default_permissions); other users
	 * reach the mount at all only with allow_other from the config.
	 */
	snprintf(opts, sizeof(opts), "fsname=mpathfs,subtype=mpathfs,default_permissions%s%s%s",
		 f->d->cfg.allow_other ? ",allow_other" : "",
		 o->fuse_opts ? "," : "", o->fuse_opts ? o->fuse_opts : "");
	if (fuse_opt_add_arg(&args, "mpathfs") || fuse_opt_add_arg(&args, "-o") ||
	    fuse_opt_add_arg(&args, opts) || (o->debug && fuse_opt_add_arg(&args, "-d")))
		goto out;
	se = fuse_session_new(&args, &mp_fuse_ops, sizeof(mp_fuse_ops), f);
out:
	fuse_opt_free_args(&args);
	return se;
}

int main(int argc, char **argv)
{
	static struct mp_daemon d;
	struct options o = { 0 };
	struct mp_fuse f = { .d = &d };
	struct fuse_loop_config *lc = NULL;
	struct fuse_session *se = NULL;
	pthread_t hup_thread;
	sigset_t hup;
	char err[MP_ERRMSG_MAX];
	int r, status = 1;

	r = parse_args(argc, argv, &o);
	if (r)
		return r > 0 ? 0 : 2;
	mp_log_init(false, log_level(o.verbosity));
	fuse_set_log_func(fuse_log_bridge);

	r = mp_config_load(o.config, &d.cfg, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "mpathfs: %s\n", err);
		return 1;
	}
	d.mountpoint = o.mountpoint;
	{
		char *abs = realpath(o.mountpoint, NULL);
		char *cfg = realpath(o.config, NULL);

		snprintf(d.devpath, sizeof(d.devpath), "%s/%s", abs ? abs : o.mountpoint,
			 d.cfg.name);
		snprintf(d.config_path, sizeof(d.config_path), "%s", cfg ? cfg : o.config);
		free(abs);
		free(cfg);
	}
	r = mp_daemon_open(&d, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "mpathfs: %s\n", err);
		goto out_config;
	}
	f.uid = getuid();
	f.gid = getgid();
	/* the reply to a command is read back on the same fd: the group reads too */
	f.control_mode = d.cfg.control_group[0] ? 0660 : 0600;
	f.control_gid = d.cfg.control_group[0] ? (gid_t)d.cfg.control_gid : f.gid;
	f.status_mode = d.cfg.status_mode;
	f.status_gid = d.cfg.status_group[0] ? (gid_t)d.cfg.status_gid : f.gid;
	clock_gettime(CLOCK_REALTIME, &f.start);

	se = make_session(&o, &f);
	if (!se) {
		fprintf(stderr, "mpathfs: cannot create the FUSE session\n");
		goto out_daemon;
	}
	if (fuse_set_signal_handlers(se) != 0) {
		fprintf(stderr, "mpathfs: cannot install signal handlers\n");
		goto out_session;
	}
	if (fuse_session_mount(se, o.mountpoint) != 0) {
		fprintf(stderr, "mpathfs: cannot mount on '%s'\n", o.mountpoint);
		goto out_signals;
	}
	if (fuse_daemonize(o.foreground) != 0)
		goto out_unmount;
	if (!o.foreground)
		mp_log_init(true, log_level(o.verbosity));
	/* SIGHUP goes to the reload thread alone: block it before any thread starts */
	sigemptyset(&hup);
	sigaddset(&hup, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &hup, NULL);
	if (mp_daemon_start(&d) < 0)
		goto out_unmount;
	if (pthread_create(&hup_thread, NULL, sighup_main, &d) == 0)
		pthread_detach(hup_thread);
	mp_notice("serving %s (%llu bytes, %u paths, %u groups) on %s", d.cfg.name,
		  (unsigned long long)d.dev.size, d.dev.core.nr_paths,
		  d.dev.core.nr_groups, o.mountpoint);
	mp_sd_notify("READY=1\nSTATUS=serving %s: %u of %u paths usable", d.cfg.name,
		     d.dev.core.nr_valid_paths, d.dev.core.nr_paths);

	lc = fuse_loop_cfg_create();
	if (!lc)
		goto out_unmount;
	/*
	 * Keep the workers: with libfuse 3.14's defaults a worker that finds
	 * another idle exits, and each request paid for a new thread (with a
	 * cloned /dev/fuse fd and a splice pipe).
	 */
	fuse_loop_cfg_set_max_threads(lc, MP_FUSE_THREADS);
	fuse_loop_cfg_set_idle_threads(lc, MP_FUSE_THREADS);
	fuse_loop_cfg_set_clone_fd(lc, 0);
	r = fuse_session_loop_mt(se, lc);
	fuse_loop_cfg_destroy(lc);
	status = r < 0 ? 1 : 0;
	mp_notice("stopping: draining I/O");
	mp_sd_notify("STOPPING=1\nSTATUS=draining I/O");

out_unmount:
	/*
	 * Drain before the session goes: completions reply through it, and
	 * callers still waiting get their answers (queued I/O gets EIO).
	 */
	mp_core_shutdown(&d.dev.core);
	mp_dev_drain(&d.dev);
	mp_fuse_detach(&f);
	fuse_session_unmount(se);
out_signals:
	fuse_remove_signal_handlers(se);
out_session:
	fuse_session_destroy(se);
out_daemon:
	mp_daemon_close(&d);
out_config:
	mp_config_free(&d.cfg);
	return status;
}
