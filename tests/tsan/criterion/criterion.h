/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A stand-in for Criterion's <criterion/criterion.h>, so the unit tests
 * that exercise threads can run under ThreadSanitizer (contrib/sanitize.sh).
 *
 * Why: Criterion's sandbox (BoxFort) maps an "inheritable arena" at a
 * random address between 0x2000'0000'0000 and 0x6000'0000'0000, and TSan
 * keeps nearly all of that range for its shadow and meta memory, so every
 * Criterion test program dies at start under TSan with "Could not
 * initialize inheritable arena" (disabling ASLR does not move TSan's
 * ranges). This header gives the same test sources the subset of the API
 * they use, over a plain runner (runner.c) that runs each test, and each
 * parameter of a parameterized test, in a fresh exec of the program.
 *
 * Covered: Test, TestSuite (.init, .fini, .timeout, .disabled, .signal,
 * .exit_code, .description), ParameterizedTest(Parameters),
 * cr_make_param_array, the cr_assert and cr_expect families (bool, eq/neq/lt/leq/gt/geq,
 * null/not_null, str_*, arr_eq/neq, float_eq/neq, fail), cr_skip_test,
 * cr_log_*. A failed cr_assert ends the test's process at once (no
 * teardown); a failed cr_expect marks the test failed and goes on.
 */
#ifndef MPATHFS_TSAN_CRITERION_H
#define MPATHFS_TSAN_CRITERION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

struct shim_opts {
	int _unused;		/* so that "{ 0, __VA_ARGS__ }" takes no argument */
	void (*init)(void);
	void (*fini)(void);
	double timeout;		/* seconds, 0: none given */
	bool disabled;
	int signal;		/* the test must die of this signal */
	int exit_code;		/* the test must exit with this code */
	const char *description;
};

struct criterion_test_params {
	size_t size;
	void *params;
	size_t length;
	void (*cleanup)(struct criterion_test_params *);
};

void shim_register_test(const char *suite, const char *name, void (*fn)(void),
			void (*pfn)(void *), struct criterion_test_params (*params)(void),
			const struct shim_opts *opts);
void shim_register_suite(const char *suite, const struct shim_opts *opts);
void shim_check(bool ok, bool fatal, const char *file, int line, const char *what,
		const char *va, const char *vb, const char *fmt, ...)
	__attribute__((format(printf, 8, 9)));
void shim_skip(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void shim_log(const char *level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define SHIM_ID(a, b, c) shim_##a##_##b##_##c

#define TestSuite(suite, ...)                                                          \
	static const struct shim_opts SHIM_ID(sopts, suite, x) = { 0, __VA_ARGS__ };   \
	__attribute__((constructor)) static void SHIM_ID(sreg, suite, x)(void)          \
	{                                                                              \
		shim_register_suite(#suite, &SHIM_ID(sopts, suite, x));                \
	}                                                                              \
	extern int SHIM_ID(sdecl, suite, x)

#define Test(suite, name, ...)                                                        \
	static void SHIM_ID(fn, suite, name)(void);                                   \
	static const struct shim_opts SHIM_ID(opts, suite, name) = { 0, __VA_ARGS__ }; \
	__attribute__((constructor)) static void SHIM_ID(reg, suite, name)(void)       \
	{                                                                             \
		shim_register_test(#suite, #name, SHIM_ID(fn, suite, name), NULL, NULL, \
				   &SHIM_ID(opts, suite, name));                      \
	}                                                                             \
	static void SHIM_ID(fn, suite, name)(void)

/* ---- values in failure messages, each expression evaluated once ---- */

static inline const char *shim_fmt_i(char *b, long long v)
{
	snprintf(b, 48, "%lld", v);
	return b;
}

static inline const char *shim_fmt_u(char *b, unsigned long long v)
{
	snprintf(b, 48, "%llu (0x%llx)", v, v);
	return b;
}

static inline const char *shim_fmt_f(char *b, long double v)
{
	snprintf(b, 48, "%Lg", v);
	return b;
}

static inline const char *shim_fmt_p(char *b, const volatile void *v)
{
	snprintf(b, 48, "%p", (const void *)v);
	return b;
}

#define SHIM_FMT(b, x)                                                                \
	_Generic((x), _Bool: shim_fmt_u, char: shim_fmt_i, signed char: shim_fmt_i,    \
		 unsigned char: shim_fmt_u, short: shim_fmt_i, unsigned short: shim_fmt_u, \
		 int: shim_fmt_i, unsigned int: shim_fmt_u, long: shim_fmt_i,           \
		 unsigned long: shim_fmt_u, long long: shim_fmt_i,                      \
		 unsigned long long: shim_fmt_u, float: shim_fmt_f, double: shim_fmt_f, \
		 long double: shim_fmt_f, default: shim_fmt_p)(b, x)

#define SHIM_CMP(fatal, op, a, b, ...)                                                 \
	do {                                                                           \
		__auto_type shim_a_ = (a);                                             \
		__auto_type shim_b_ = (b);                                             \
		char shim_ba_[48], shim_bb_[48];                                       \
		shim_check(shim_a_ op shim_b_, fatal, __FILE__, __LINE__,              \
			   #a " " #op " " #b, SHIM_FMT(shim_ba_, shim_a_),             \
			   SHIM_FMT(shim_bb_, shim_b_), "" __VA_ARGS__);               \
	} while (0)

#define SHIM_BOOL(fatal, cond, what, ...)                                                \
	shim_check((cond) ? true : false, fatal, __FILE__, __LINE__, what, NULL, NULL,   \
		   "" __VA_ARGS__)

#define SHIM_STR(fatal, op, a, b, ...)                                                 \
	do {                                                                           \
		const char *shim_a_ = (a), *shim_b_ = (b);                             \
		shim_check(strcmp(shim_a_, shim_b_) op 0, fatal, __FILE__, __LINE__,   \
			   #a " " #op " " #b, shim_a_, shim_b_, "" __VA_ARGS__);       \
	} while (0)

#define SHIM_ARR(fatal, op, a, b, size, ...)                                          \
	shim_check(memcmp((a), (b), (size)) op 0, fatal, __FILE__, __LINE__,           \
		   "memcmp(" #a ", " #b ", " #size ") " #op " 0", NULL, NULL, "" __VA_ARGS__)

#define SHIM_FLOAT(fatal, op, a, b, eps, ...)                                           \
	do {                                                                            \
		long double shim_d_ = (long double)(a) - (long double)(b);              \
		if (shim_d_ < 0)                                                        \
			shim_d_ = -shim_d_;                                             \
		shim_check(shim_d_ op (long double)(eps), fatal, __FILE__, __LINE__,    \
			   "|" #a " - " #b "| " #op " " #eps, NULL, NULL, "" __VA_ARGS__); \
	} while (0)

#define cr_assert(cond, ...) SHIM_BOOL(true, cond, #cond, __VA_ARGS__)
#define cr_expect(cond, ...) SHIM_BOOL(false, cond, #cond, __VA_ARGS__)
#define cr_assert_not(cond, ...) SHIM_BOOL(true, !(cond), "!(" #cond ")", __VA_ARGS__)
#define cr_expect_not(cond, ...) SHIM_BOOL(false, !(cond), "!(" #cond ")", __VA_ARGS__)
#define cr_assert_fail(...) SHIM_BOOL(true, 0, "cr_assert_fail", __VA_ARGS__)
#define cr_expect_fail(...) SHIM_BOOL(false, 0, "cr_expect_fail", __VA_ARGS__)
#define cr_assert_null(x, ...) SHIM_BOOL(true, (x) == NULL, #x " == NULL", __VA_ARGS__)
#define cr_expect_null(x, ...) SHIM_BOOL(false, (x) == NULL, #x " == NULL", __VA_ARGS__)
#define cr_assert_not_null(x, ...) SHIM_BOOL(true, (x) != NULL, #x " != NULL", __VA_ARGS__)
#define cr_expect_not_null(x, ...) SHIM_BOOL(false, (x) != NULL, #x " != NULL", __VA_ARGS__)

#define cr_assert_eq(a, b, ...) SHIM_CMP(true, ==, a, b, __VA_ARGS__)
#define cr_assert_neq(a, b, ...) SHIM_CMP(true, !=, a, b, __VA_ARGS__)
#define cr_assert_lt(a, b, ...) SHIM_CMP(true, <, a, b, __VA_ARGS__)
#define cr_assert_leq(a, b, ...) SHIM_CMP(true, <=, a, b, __VA_ARGS__)
#define cr_assert_gt(a, b, ...) SHIM_CMP(true, >, a, b, __VA_ARGS__)
#define cr_assert_geq(a, b, ...) SHIM_CMP(true, >=, a, b, __VA_ARGS__)
#define cr_expect_eq(a, b, ...) SHIM_CMP(false, ==, a, b, __VA_ARGS__)
#define cr_expect_neq(a, b, ...) SHIM_CMP(false, !=, a, b, __VA_ARGS__)
#define cr_expect_lt(a, b, ...) SHIM_CMP(false, <, a, b, __VA_ARGS__)
#define cr_expect_leq(a, b, ...) SHIM_CMP(false, <=, a, b, __VA_ARGS__)
#define cr_expect_gt(a, b, ...) SHIM_CMP(false, >, a, b, __VA_ARGS__)
#define cr_expect_geq(a, b, ...) SHIM_CMP(false, >=, a, b, __VA_ARGS__)

#define cr_assert_str_eq(a, b, ...) SHIM_STR(true, ==, a, b, __VA_ARGS__)
#define cr_assert_str_neq(a, b, ...) SHIM_STR(true, !=, a, b, __VA_ARGS__)
#define cr_assert_str_lt(a, b, ...) SHIM_STR(true, <, a, b, __VA_ARGS__)
#define cr_assert_str_leq(a, b, ...) SHIM_STR(true, <=, a, b, __VA_ARGS__)
#define cr_assert_str_gt(a, b, ...) SHIM_STR(true, >, a, b, __VA_ARGS__)
#define cr_assert_str_geq(a, b, ...) SHIM_STR(true, >=, a, b, __VA_ARGS__)
#define cr_expect_str_eq(a, b, ...) SHIM_STR(false, ==, a, b, __VA_ARGS__)
#define cr_expect_str_neq(a, b, ...) SHIM_STR(false, !=, a, b, __VA_ARGS__)
#define cr_assert_str_empty(s, ...) SHIM_BOOL(true, !*(s), #s " is empty", __VA_ARGS__)
#define cr_assert_str_not_empty(s, ...) SHIM_BOOL(true, *(s), #s " is not empty", __VA_ARGS__)
#define cr_expect_str_empty(s, ...) SHIM_BOOL(false, !*(s), #s " is empty", __VA_ARGS__)
#define cr_expect_str_not_empty(s, ...) SHIM_BOOL(false, *(s), #s " is not empty", __VA_ARGS__)

#define cr_assert_arr_eq(a, b, size, ...) SHIM_ARR(true, ==, a, b, size, __VA_ARGS__)
#define cr_assert_arr_neq(a, b, size, ...) SHIM_ARR(true, !=, a, b, size, __VA_ARGS__)
#define cr_expect_arr_eq(a, b, size, ...) SHIM_ARR(false, ==, a, b, size, __VA_ARGS__)
#define cr_expect_arr_neq(a, b, size, ...) SHIM_ARR(false, !=, a, b, size, __VA_ARGS__)

#define cr_assert_float_eq(a, b, eps, ...) SHIM_FLOAT(true, <=, a, b, eps, __VA_ARGS__)
#define cr_assert_float_neq(a, b, eps, ...) SHIM_FLOAT(true, >, a, b, eps, __VA_ARGS__)
#define cr_expect_float_eq(a, b, eps, ...) SHIM_FLOAT(false, <=, a, b, eps, __VA_ARGS__)
#define cr_expect_float_neq(a, b, eps, ...) SHIM_FLOAT(false, >, a, b, eps, __VA_ARGS__)

#define cr_skip_test(...) shim_skip("" __VA_ARGS__)
#define cr_log_info(...) shim_log("info", __VA_ARGS__)
#define cr_log_warn(...) shim_log("warn", __VA_ARGS__)
#define cr_log_error(...) shim_log("error", __VA_ARGS__)

#endif
