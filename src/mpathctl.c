// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * mpathctl MOUNTPOINT COMMAND [ARGS...] [--json]: the command line client of
 * the control file.
 *
 * The protocol is the control file's: open MOUNTPOINT/control read-write,
 * write one command line, read the reply on the same descriptor until EOF.
 * A command the daemon refuses fails the write with EINVAL and the reply
 * starts with "error: ". Everything that can be checked here (the command,
 * the number of its arguments, words the daemon would split) is checked
 * before the daemon is contacted, so a usage error never reaches it.
 *
 * Exit status (documented in mpathctl(8); scripts rely on it):
 *   0 done, 1 the daemon refused the command, 2 usage error,
 *   3 the daemon cannot be reached, 4 its reply is malformed,
 *   5 a local failure (out of memory, the output cannot be written).
 *
 * Helpers return 0 (or a value) or a negative errno; run(), handle_reply()
 * and main() turn those into exit statuses. Single-threaded, but messages
 * still use strerrordesc_np(), never strerror().
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mpathfs/control.h"

#define PROG "mpathctl"

enum {
	EXIT_DONE = 0,
	EXIT_REFUSED = 1,
	EXIT_USAGE = 2,
	EXIT_UNREACHABLE = 3,
	EXIT_MALFORMED = 4,
	EXIT_LOCAL = 5,
};

/* A control reply is a few KiB; a runaway one is not a reply. */
#define MAX_REPLY (16u << 20)

/* The file system type a mount of the daemon shows in mountinfo. */
#define MPATHFS_FSTYPE "fuse.mpathfs"

struct verb {
	const char *name;
	unsigned min_args, max_args;
	const char *args;		/* for messages and --help */
};

/*
 * The daemon's commands. add_path, remove_path, reload and resize are
 * passed through as they are: a daemon that does not know them yet
 * refuses them itself (exit status 1).
 */
static const struct verb verbs[] = {
	{ "show", 1, 2, "paths|groups|topology|config|stats [--json]" },
	{ "fail_path", 1, 1, "PATH" },
	{ "reinstate_path", 1, 1, "PATH" },
	{ "disable_group", 1, 1, "GROUP" },
	{ "enable_group", 1, 1, "GROUP" },
	{ "switch_group", 1, 1, "GROUP" },
	{ "queue_if_no_path", 0, 0, "" },
	{ "fail_if_no_path", 0, 0, "" },
	{ "add_path", 3, 3, "PATH DEVICE GROUP" },
	{ "remove_path", 1, 1, "PATH" },
	{ "reload", 0, 0, "" },
	{ "resize", 0, 0, "" },
};

static const char *const show_targets[] = {
	"paths", "groups", "topology", "config", "stats",
};

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static const char *errdesc(int err)
{
	const char *s = strerrordesc_np(err < 0 ? -err : err);

	return s ? s : "unknown error";
}

/* What ENOTCONN and ECONNABORTED from a FUSE mount mean. */
static const char *gone(int err)
{
	return err == -ENOTCONN || err == -ECONNABORTED ? " (the daemon has gone)" : "";
}

static void usage(FILE *f)
{
	size_t i;

	fprintf(f,
		"usage: " PROG " MOUNTPOINT COMMAND [ARGS...]\n"
		"       " PROG " MOUNTPOINT show paths|groups|topology|config|stats [--json]\n"
		"       " PROG " --help | --version\n"
		"\n"
		"Sends one command to the mpathfs daemon mounted on MOUNTPOINT and prints\n"
		"its reply. Commands:\n");
	for (i = 0; i < ARRAY_SIZE(verbs); i++)
		fprintf(f, "  %s%s%s\n", verbs[i].name, verbs[i].args[0] ? " " : "",
			verbs[i].args);
	fprintf(f,
		"PATH is a path name or device, GROUP a group number (from 1) or name.\n"
		"\n"
		"Options:\n"
		"  -j, --json     with show: JSON output (checked, pretty-printed)\n"
		"  -h, --help     this text\n"
		"  -V, --version  version\n"
		"\n"
		"Exit status: 0 done, 1 refused by the daemon, 2 usage error,\n"
		"3 daemon not reachable, 4 malformed reply, 5 local failure.\n"
		"See mpathctl(8).\n");
}

static int __attribute__((format(printf, 1, 2))) usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs(PROG ": ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\n" "Try '" PROG " --help'.\n", stderr);
	return -EINVAL;
}

static const struct verb *find_verb(const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(verbs); i++)
		if (!strcmp(verbs[i].name, name))
			return &verbs[i];
	return NULL;
}

static bool is_show_target(const char *s)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(show_targets); i++)
		if (!strcmp(show_targets[i], s))
			return true;
	return false;
}

/*
 * The daemon splits a command line on blanks, so an argument with a blank
 * or a control character would become other words: refuse it here.
 */
static bool is_word(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if ((unsigned char)*s <= ' ' || *s == 0x7f)
			return false;
	return true;
}

/*
 * Check the command and build its line (without newline) into *line;
 * *json is set for a show that asks for JSON either way. Returns 0,
 * -EINVAL for a usage error or -ENOMEM, after saying what is wrong.
 */
static int build_command(int argc, char **argv, bool *json, char **line, bool *is_show)
{
	const struct verb *v = find_verb(argv[0]);
	unsigned nargs = (unsigned)argc - 1;
	size_t len = 0, n;
	char *s;
	int i;

	if (!v)
		return usage_error("unknown command '%s'", argv[0]);
	*is_show = !strcmp(v->name, "show");
	if (nargs < v->min_args || nargs > v->max_args) {
		if (!v->args[0])
			return usage_error("%s takes no argument", v->name);
		return usage_error("%s: expected %s%s", v->name, v->args,
				   nargs < v->min_args ? "" : " and nothing more");
	}
	for (i = 1; i < argc; i++)
		if (!is_word(argv[i]))
			return usage_error("%s: argument %d is empty or holds a blank or a "
					   "control character", v->name, i);
	if (*is_show) {
		if (!is_show_target(argv[1]))
			return usage_error("show: unknown '%s'; expected paths, groups, "
					   "topology, config or stats", argv[1]);
		/* "show X json", the control file's own spelling, is --json */
		if (nargs == 2 && strcmp(argv[2], "json"))
			return usage_error("show %s: unexpected argument '%s'", argv[1], argv[2]);
		*json = *json || nargs == 2;
		argc = 2;
	} else if (*json) {
		return usage_error("--json goes with show only");
	}

	for (i = 0; i < argc; i++)
		len += strlen(argv[i]) + 1;
	len += *json ? strlen(" json") : 0;
	if (len > MP_CMD_MAX)
		return usage_error("command longer than %d bytes", MP_CMD_MAX);
	s = malloc(len + 1);
	if (!s) {
		fprintf(stderr, PROG ": %s\n", errdesc(ENOMEM));
		return -ENOMEM;
	}
	for (i = 0, n = 0; i < argc; i++)
		n += (size_t)sprintf(s + n, "%s%s", i ? " " : "", argv[i]);
	if (*json)
		strcpy(s + n, " json");
	*line = s;
	return 0;
}

/* mountinfo escapes blank, tab, newline and backslash as \ooo. */
static void unescape_octal(char *s)
{
	char *d = s;

	while (*s) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*d++ = (char)((s[1] - '0') << 6 | (s[2] - '0') << 3 | (s[3] - '0'));
			s += 4;
		} else {
			*d++ = *s++;
		}
	}
	*d = '\0';
}

/*
 * Find the file system mounted on dir (a canonical path) in
 * /proc/self/mountinfo: the last entry for it is the one on top.
 * 0 with its type in fstype, -ENOENT if dir is not a mount point, or
 * another -errno if mountinfo cannot be read.
 */
static int mount_type(const char *dir, char *fstype, size_t size)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char *line = NULL;
	size_t cap = 0;
	int r = -ENOENT;

	if (!f)
		return -errno;
	while (getline(&line, &cap, f) > 0) {
		char *save = NULL, *mnt = NULL, *type = NULL, *w;
		int field = 0;
		bool dash = false;

		line[strcspn(line, "\n")] = '\0';
		for (w = strtok_r(line, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
			field++;
			if (field == 5)
				mnt = w;
			else if (dash) {
				type = w;
				break;
			} else if (field > 6 && !strcmp(w, "-"))
				dash = true;
		}
		if (!mnt || !type)
			continue;
		unescape_octal(mnt);
		if (strcmp(mnt, dir))
			continue;
		snprintf(fstype, size, "%s", type);
		r = 0;
	}
	if (ferror(f))
		r = -EIO;
	free(line);
	fclose(f);
	return r;
}

/*
 * Open MOUNTPOINT/control of an mpathfs mount. Returns the descriptor or
 * -errno after saying what is wrong.
 */
static int open_control(const char *mountpoint)
{
	char fstype[64], *dir = NULL, *file = NULL;
	struct stat st;
	int fd = -1, r;

	dir = realpath(mountpoint, NULL);
	if (!dir) {
		r = -errno;
		fprintf(stderr, PROG ": %s: %s%s\n", mountpoint,
			r == -ENOENT ? "no such mountpoint" : errdesc(r), gone(r));
		goto out;
	}
	if (stat(dir, &st) < 0) {
		r = -errno;
		fprintf(stderr, PROG ": %s: %s%s\n", mountpoint, errdesc(r), gone(r));
		goto out;
	}
	if (!S_ISDIR(st.st_mode)) {
		r = -ENOTDIR;
		fprintf(stderr, PROG ": %s: not a directory (give the mountpoint)\n",
			mountpoint);
		goto out;
	}
	r = mount_type(dir, fstype, sizeof(fstype));
	if (r == -ENOENT) {
		fprintf(stderr, PROG ": %s: nothing is mounted there (no mpathfs daemon)\n",
			mountpoint);
		goto out;
	}
	if (r == 0 && strcmp(fstype, MPATHFS_FSTYPE)) {
		r = -EMEDIUMTYPE;
		fprintf(stderr, PROG ": %s: the file system mounted there is %s, not mpathfs\n",
			mountpoint, fstype);
		goto out;
	}
	/* without mountinfo (no /proc), the control file has the last word */
	if (asprintf(&file, "%s/control", dir) < 0) {
		file = NULL;
		r = -ENOMEM;
		fprintf(stderr, PROG ": %s\n", errdesc(r));
		goto out;
	}
	fd = open(file, O_RDWR | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		r = -errno;
		fprintf(stderr, PROG ": cannot open %s: %s%s\n", file, errdesc(r), gone(r));
		goto out;
	}
	r = fd;
out:
	free(file);
	free(dir);
	return r;
}

/* Write the whole line; 0 or -errno. */
static int send_line(int fd, const char *text, size_t len)
{
	ssize_t n;

	do
		n = write(fd, text, len);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	/* the daemon takes a command in one write or not at all */
	if ((size_t)n != len)
		return -EIO;
	return 0;
}

/* Read until EOF into a malloc'd NUL-terminated buffer; its length or -errno. */
static ssize_t read_reply(int fd, char **out)
{
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap), *nb;
	ssize_t n;

	if (!buf)
		return -ENOMEM;
	for (;;) {
		if (cap - len < 2) {
			if (cap >= MAX_REPLY) {
				n = -EFBIG;
				goto fail;
			}
			nb = realloc(buf, cap * 2);
			if (!nb) {
				n = -ENOMEM;
				goto fail;
			}
			buf = nb;
			cap *= 2;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			n = -errno;
			goto fail;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	*out = buf;
	return (ssize_t)len;
fail:
	free(buf);
	return n;
}

static bool starts_with(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

/* "ok", "ok\n..." or "ok: ..." */
static bool is_ok_reply(const char *s)
{
	return starts_with(s, "ok") && (s[2] == '\0' || s[2] == '\n' || s[2] == ':');
}

/* The reply of a refused command, on stderr as the daemon wrote it. */
static void print_refusal(const char *reply)
{
	size_t len = strlen(reply);

	fputs(reply, stderr);
	if (len && reply[len - 1] != '\n')
		fputc('\n', stderr);
}

/* A short, printable excerpt of a bad reply for messages. */
static void excerpt(const char *reply, char *buf, size_t size)
{
	size_t i, n = 0, len = strlen(reply);

	while (len && (reply[len - 1] == '\n' || reply[len - 1] == ' '))
		len--;
	for (i = 0; i < len && n + 5 < size && i < 80; i++)
		buf[n++] = (unsigned char)reply[i] >= ' ' && reply[i] != 0x7f ? reply[i] : '?';
	if (i < len && n + 4 < size) {
		memcpy(buf + n, "...", 3);
		n += 3;
	}
	buf[n] = '\0';
}

/*
 * Parse a JSON reply with json-c and print it pretty-printed. Returns 0,
 * -EBADMSG if it is not one JSON object, or -ENOMEM; says what is wrong.
 */
static int print_json(const char *reply, size_t len)
{
	struct json_tokener *tok = json_tokener_new();
	json_object *obj = NULL;
	enum json_tokener_error jerr;
	const char *out;
	size_t end;
	int r = -EBADMSG;

	if (!tok) {
		fprintf(stderr, PROG ": %s\n", errdesc(ENOMEM));
		return -ENOMEM;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	obj = json_tokener_parse_ex(tok, reply, (int)len);
	jerr = json_tokener_get_error(tok);
	if (!obj || jerr != json_tokener_success) {
		fprintf(stderr, PROG ": malformed JSON reply from the daemon: %s at offset %zu\n",
			jerr == json_tokener_continue ? "it ends too early" :
			json_tokener_error_desc(jerr), json_tokener_get_parse_end(tok));
		goto out;
	}
	end = json_tokener_get_parse_end(tok);
	if (reply[end + strspn(reply + end, " \t\r\n")]) {
		fprintf(stderr, PROG ": malformed JSON reply from the daemon: "
			"text after the JSON value at offset %zu\n", end);
		goto out;
	}
	if (!json_object_is_type(obj, json_type_object)) {
		fprintf(stderr, PROG ": malformed JSON reply from the daemon: "
			"JSON of type %s, not an object\n",
			json_type_to_name(json_object_get_type(obj)));
		goto out;
	}
	out = json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PRETTY |
					     JSON_C_TO_STRING_SPACED |
					     JSON_C_TO_STRING_NOSLASHESCAPE);
	if (!out) {
		fprintf(stderr, PROG ": %s\n", errdesc(ENOMEM));
		r = -ENOMEM;
		goto out;
	}
	printf("%s\n", out);
	r = 0;
out:
	json_object_put(obj);
	json_tokener_free(tok);
	return r;
}

/*
 * Judge the reply. refused: the write failed with EINVAL. Returns the
 * exit status.
 */
static int handle_reply(const char *cmd, const char *reply, size_t len, bool refused,
			bool is_show, bool json)
{
	char ex[96];

	excerpt(reply, ex, sizeof(ex));
	if (strlen(reply) != len) {
		fprintf(stderr, PROG ": malformed reply to '%s': it holds a NUL byte\n", cmd);
		return EXIT_MALFORMED;
	}
	if (starts_with(reply, "error: ")) {
		print_refusal(reply);
		return EXIT_REFUSED;
	}
	if (refused) {
		fprintf(stderr, PROG ": the daemon refused '%s' with a malformed reply: '%s'\n",
			cmd, ex);
		return EXIT_MALFORMED;
	}
	if (!len) {
		fprintf(stderr, PROG ": malformed reply to '%s': it is empty\n", cmd);
		return EXIT_MALFORMED;
	}
	if (json) {
		int r = print_json(reply, len);

		if (r == -ENOMEM)
			return EXIT_LOCAL;
		return r < 0 ? EXIT_MALFORMED : EXIT_DONE;
	}
	if (!is_show && !is_ok_reply(reply)) {
		fprintf(stderr, PROG ": malformed reply to '%s': '%s' (expected ok)\n", cmd, ex);
		return EXIT_MALFORMED;
	}
	fputs(reply, stdout);
	if (reply[len - 1] != '\n')
		fputc('\n', stdout);
	return EXIT_DONE;
}

/* Send the command line to the daemon on mountpoint; returns the exit status. */
static int run(const char *mountpoint, const char *cmd, bool is_show, bool json)
{
	char *reply = NULL, *text = NULL;
	bool refused = false;
	ssize_t len;
	int fd, r, status = EXIT_UNREACHABLE;

	fd = open_control(mountpoint);
	if (fd < 0)
		goto out;
	if (asprintf(&text, "%s\n", cmd) < 0) {
		text = NULL;
		fprintf(stderr, PROG ": %s\n", errdesc(ENOMEM));
		status = EXIT_LOCAL;
		goto out;
	}
	r = send_line(fd, text, strlen(text));
	if (r == -EINVAL) {
		refused = true;
	} else if (r < 0) {
		fprintf(stderr, PROG ": cannot send '%s' to the daemon on %s: %s%s\n", cmd,
			mountpoint, errdesc(r), gone(r));
		goto out;
	}
	len = read_reply(fd, &reply);
	if (len == -EFBIG) {
		fprintf(stderr, PROG ": malformed reply to '%s': longer than %u bytes\n", cmd,
			MAX_REPLY);
		status = EXIT_MALFORMED;
		goto out;
	}
	if (len < 0) {
		fprintf(stderr, PROG ": cannot read the reply to '%s' from the daemon on %s: %s%s\n",
			cmd, mountpoint, errdesc((int)len), gone((int)len));
		status = len == -ENOMEM ? EXIT_LOCAL : EXIT_UNREACHABLE;
		goto out;
	}
	status = handle_reply(cmd, reply, (size_t)len, refused, is_show, json);
out:
	if (fd >= 0)
		close(fd);
	free(reply);
	free(text);
	return status;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	bool json = false, is_show = false;
	char *cmd = NULL;
	int c, status;

	/* options may follow the command (show paths --json); "--" ends them */
	while ((c = getopt_long(argc, argv, "jhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'h':
			usage(stdout);
			return fflush(stdout) ? EXIT_LOCAL : EXIT_DONE;
		case 'V':
			printf(PROG " %s\n", MPATHFS_VERSION);
			return fflush(stdout) ? EXIT_LOCAL : EXIT_DONE;
		default:
			fputs("Try '" PROG " --help'.\n", stderr);
			return EXIT_USAGE;
		}
	}
	if (optind + 1 >= argc) {
		usage_error(optind >= argc ? "no mountpoint given" : "no command given");
		return EXIT_USAGE;
	}
	status = build_command(argc - optind - 1, argv + optind + 1, &json, &cmd, &is_show);
	if (status < 0)
		return status == -ENOMEM ? EXIT_LOCAL : EXIT_USAGE;
	status = run(argv[optind], cmd, is_show, json);
	free(cmd);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, PROG ": cannot write the output: %s\n", errdesc(errno));
		status = EXIT_LOCAL;
	}
	return status;
}
