// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The runner behind the Criterion stand-in (criterion/criterion.h here):
 * runs every registered test, and every parameter of a parameterized one,
 * in a fresh exec of this program, with the test's (or its suite's)
 * timeout times $SHIM_TIMEOUT_SCALE (default 4: sanitizers are slow).
 *
 *   PROG                 run everything; exit 1 if anything failed
 *   PROG --list          list the tests (suite::name[index])
 *   PROG --filter GLOB   only tests whose suite/name matches GLOB
 *   PROG --run ID        (internal) run one test in this process
 *   PROG --fork          run each test in a fork of the runner, without the
 *                        exec (for valgrind: no tool start-up per test)
 *
 * -jN / --jobs N / --verbose are accepted and ignored (one test at a
 * time). A test fails when it exits non-zero, dies of a signal it was not
 * meant to die of (a sanitizer's abort included), or runs out of time.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fnmatch.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "criterion/criterion.h"

#define MAX_TESTS 1024
#define MAX_SUITES 64

struct test {
	const char *suite, *name;
	void (*fn)(void);
	void (*pfn)(void *);
	struct criterion_test_params (*params)(void);
	const struct shim_opts *opts;
};

static struct test tests[MAX_TESTS];
static int nr_tests;
static struct {
	const char *name;
	const struct shim_opts *opts;
} suites[MAX_SUITES];
static int nr_suites;
static volatile int expect_failed;

void shim_register_test(const char *suite, const char *name, void (*fn)(void),
			void (*pfn)(void *), struct criterion_test_params (*params)(void),
			const struct shim_opts *opts)
{
	if (nr_tests == MAX_TESTS) {
		fprintf(stderr, "shim: more than %d tests\n", MAX_TESTS);
		abort();
	}
	tests[nr_tests++] = (struct test){ suite, name, fn, pfn, params, opts };
}

void shim_register_suite(const char *suite, const struct shim_opts *opts)
{
	if (nr_suites == MAX_SUITES) {
		fprintf(stderr, "shim: more than %d suites\n", MAX_SUITES);
		abort();
	}
	suites[nr_suites].name = suite;
	suites[nr_suites++].opts = opts;
}

static const struct shim_opts *suite_opts(const char *suite)
{
	static const struct shim_opts none;

	for (int i = 0; i < nr_suites; i++)
		if (!strcmp(suites[i].name, suite))
			return suites[i].opts;
	return &none;
}

void shim_check(bool ok, bool fatal, const char *file, int line, const char *what,
		const char *va, const char *vb, const char *fmt, ...)
{
	va_list ap;

	if (ok)
		return;
	flockfile(stderr);
	fprintf(stderr, "%s:%d: %s failed: %s", file, line, fatal ? "assertion" : "expectation",
		what);
	if (va && vb)
		fprintf(stderr, " (%s vs %s)", va, vb);
	if (fmt && *fmt) {
		fputs(": ", stderr);
		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
	}
	fputc('\n', stderr);
	funlockfile(stderr);
	if (fatal) {
		fflush(NULL);
		_exit(1);
	}
	expect_failed = 1;
}

void shim_skip(const char *fmt, ...)
{
	va_list ap;

	fputs("skipped", stderr);
	if (*fmt) {
		fputs(": ", stderr);
		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
	}
	fputc('\n', stderr);
	fflush(NULL);
	_exit(77);
}

void shim_log(const char *level, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "[%s] ", level);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static int cmp_tests(const void *a, const void *b)
{
	const struct test *x = a, *y = b;
	int r = strcmp(x->suite, y->suite);

	return r ? r : strcmp(x->name, y->name);
}

static size_t nr_params(const struct test *t)
{
	return t->params ? t->params().length : 1;
}

/* Run test t (parameter idx) here, as Criterion does: suite init, test
 * init, the test, test fini, suite fini. */
static int run_here(const struct test *t, size_t idx)
{
	const struct shim_opts *so = suite_opts(t->suite), *to = t->opts;

	if (so->init)
		so->init();
	if (to->init)
		to->init();
	if (t->pfn) {
		struct criterion_test_params p = t->params();

		if (idx >= p.length) {
			fprintf(stderr, "shim: %s::%s has no parameter %zu\n", t->suite, t->name, idx);
			return 2;
		}
		t->pfn((char *)p.params + idx * p.size);
	} else {
		t->fn();
	}
	if (to->fini)
		to->fini();
	if (so->fini)
		so->fini();
	fflush(NULL);
	return expect_failed ? 1 : 0;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int no_exec;

/* fork + exec ourselves with --run (or only fork, --fork); 0 passed, 1
 * failed, 77 skipped */
static int run_child(const char *self, const struct test *t, size_t idx, double scale)
{
	const struct shim_opts *so = suite_opts(t->suite), *to = t->opts;
	double timeout = to->timeout > 0 ? to->timeout : so->timeout;
	int sig = to->signal ? to->signal : so->signal;
	int code = to->exit_code ? to->exit_code : so->exit_code;
	char id[512], label[512];
	double start = now();
	int status;
	pid_t pid;

	snprintf(id, sizeof(id), "%s/%s/%zu", t->suite, t->name, idx);
	if (t->params)
		snprintf(label, sizeof(label), "%s::%s[%zu]", t->suite, t->name, idx);
	else
		snprintf(label, sizeof(label), "%s::%s", t->suite, t->name);
	if (to->disabled || so->disabled) {
		printf("[SKIP] %s: disabled\n", label);
		return 77;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		perror("shim: fork");
		return 1;
	}
	if (pid == 0) {
		if (timeout > 0)
			alarm((unsigned)(timeout * scale + 0.999));
		if (no_exec)
			exit(run_here(t, idx));
		execl(self, self, "--run", id, (char *)NULL);
		perror("shim: exec");
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	double took = now() - start;

	if (WIFSIGNALED(status)) {
		int s = WTERMSIG(status);

		if (sig && s == sig) {
			printf("[PASS] %s (%.2fs, died of signal %d as expected)\n", label, took, s);
			return 0;
		}
		if (s == SIGALRM)
			printf("[FAIL] %s: timed out after %.0f s (%.0f s x %.1f)\n", label, took,
			       timeout, scale);
		else
			printf("[FAIL] %s: crashed: signal %d (%s) after %.2fs\n", label, s,
			       strsignal(s), took);
		return 1;
	}
	int rc = WEXITSTATUS(status);

	if (rc == 77 && !code) {
		printf("[SKIP] %s\n", label);
		return 77;
	}
	if (sig) {
		printf("[FAIL] %s: exited %d, expected to die of signal %d\n", label, rc, sig);
		return 1;
	}
	if (rc != code) {
		printf("[FAIL] %s: exited %d%s (%.2fs)\n", label, rc,
		       rc == 66 ? " (ThreadSanitizer's exit code: a report above)" : "", took);
		return 1;
	}
	printf("[PASS] %s (%.2fs)\n", label, took);
	return 0;
}

int main(int argc, char **argv)
{
	const char *filter = NULL, *run = NULL, *env = getenv("SHIM_TIMEOUT_SCALE");
	double scale = env ? atof(env) : 4.0;
	int list = 0, passed = 0, failed = 0, skipped = 0;
	char self[4096];
	ssize_t n;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--list") || !strcmp(argv[i], "-l"))
			list = 1;
		else if (!strcmp(argv[i], "--filter") && i + 1 < argc)
			filter = argv[++i];
		else if (!strncmp(argv[i], "--filter=", 9))
			filter = argv[i] + 9;
		else if (!strcmp(argv[i], "--fork"))
			no_exec = 1;
		else if (!strcmp(argv[i], "--run") && i + 1 < argc)
			run = argv[++i];
		else if ((!strcmp(argv[i], "--jobs") || !strcmp(argv[i], "-j")) && i + 1 < argc)
			i++;
		else if (!strncmp(argv[i], "-j", 2) || !strncmp(argv[i], "--jobs=", 7) ||
			 !strncmp(argv[i], "--verbose", 9))
			;
		else {
			fprintf(stderr, "usage: %s [--list] [--filter GLOB] [--fork] [--jobs N]\n", argv[0]);
			return 2;
		}
	}
	if (scale <= 0)
		scale = 4.0;
	qsort(tests, (size_t)nr_tests, sizeof(tests[0]), cmp_tests);

	if (run) {
		char suite[256], name[256];
		size_t idx;

		if (sscanf(run, "%255[^/]/%255[^/]/%zu", suite, name, &idx) != 3)
			return 2;
		for (int i = 0; i < nr_tests; i++)
			if (!strcmp(tests[i].suite, suite) && !strcmp(tests[i].name, name))
				return run_here(&tests[i], idx);
		fprintf(stderr, "shim: no test %s\n", run);
		return 2;
	}

	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0) {
		perror("shim: /proc/self/exe");
		return 2;
	}
	self[n] = '\0';
	for (int i = 0; i < nr_tests; i++) {
		char path[600];
		size_t np;

		snprintf(path, sizeof(path), "%s/%s", tests[i].suite, tests[i].name);
		if (filter && fnmatch(filter, path, 0))
			continue;
		np = nr_params(&tests[i]);
		for (size_t k = 0; k < np; k++) {
			if (list) {
				printf("%s::%s", tests[i].suite, tests[i].name);
				if (tests[i].params)
					printf("[%zu]", k);
				putchar('\n');
				continue;
			}
			switch (run_child(self, &tests[i], k, scale)) {
			case 0:
				passed++;
				break;
			case 77:
				skipped++;
				break;
			default:
				failed++;
				break;
			}
		}
	}
	if (list)
		return 0;
	printf("%s: %d passed, %d failed, %d skipped\n", argv[0], passed, failed, skipped);
	return failed ? 1 : 0;
}
