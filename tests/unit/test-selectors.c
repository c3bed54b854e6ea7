// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Path selector tests, driven by small scripts run against the real
 * selectors. Paths are named a..h. Tokens, separated by blanks:
 *
 *	+a  +a:W	add path a (weight 1, or W)
 *	-a		remove path a
 *	!a  ^a		fail / reinstate path a
 *	?  ?N		select for an I/O of 4096 (or N) bytes
 *	>  >N		select, then start_io of that I/O on the chosen path
 *	Sa  Sa:N	start_io on path a of 4096 (or N) bytes
 *	<a  <a:N@L	end_io on path a of 4096 (or N) bytes, latency L ns (0)
 *	*N		issue N I/Os as the core does: select, then keep the
 *			path for *repeat I/Os, start_io on each
 *	Ia  Ta		path_status of a, INFO or TABLE
 *
 * Output words, separated by one blank: a choice is the path's name and
 * *repeat ("b3") or "-" for NULL; *N gives one word with the path of each
 * I/O ("aab-"); Ia and Ta give "a[<status>]".
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mpathfs/path.h"
#include "mpathfs/selector.h"
#include "mpathfs/util.h"

#define NR_PATHS 8
#define IO_SIZE 4096

struct harness {
	struct mp_selector ps;
	struct mp_path paths[NR_PATHS];
	char out[1024];
	size_t len;
};

static void harness_init(struct harness *h, const char *selector, unsigned rr_min_io)
{
	unsigned i;

	memset(h, 0, sizeof(*h));
	for (i = 0; i < NR_PATHS; i++)
		h->paths[i].name[0] = (char)('a' + i);
	h->ps.ops = mp_selector_find(selector);
	cr_assert_not_null(h->ps.ops, "no selector %s", selector);
	h->ps.rr_min_io = rr_min_io;
	cr_assert_eq(h->ps.ops->create(&h->ps), 0);
}

static void harness_fini(struct harness *h)
{
	h->ps.ops->destroy(&h->ps);
	cr_assert_null(h->ps.ctx);
}

/* Append one output word. */
#define EMIT(h, fmt, ...)                                                     \
	cr_assert_eq(mp_buf_printf((h)->out, sizeof((h)->out), &(h)->len,     \
				   "%s" fmt, (h)->len ? " " : "", __VA_ARGS__), 0)

static void emit_choice(struct harness *h, const struct mp_path *p, unsigned repeat)
{
	if (p)
		EMIT(h, "%s%u", p->name, repeat);
	else
		EMIT(h, "%s", "-");
}

static struct mp_path *path_arg(struct harness *h, const char *tok)
{
	cr_assert(tok[1] >= 'a' && tok[1] < 'a' + NR_PATHS, "bad path in '%s'", tok);
	return &h->paths[tok[1] - 'a'];
}

/* Parse "[:N][@L]" from s; keep the defaults for what is absent. */
static void num_args(const char *tok, const char *s, uint64_t *n, uint64_t *l)
{
	char *end;

	while (*s) {
		char kind = *s++;

		cr_assert(kind == ':' || (kind == '@' && l), "bad argument in '%s'", tok);
		*(kind == ':' ? n : l) = strtoull(s, &end, 10);
		cr_assert(end != s, "bad number in '%s'", tok);
		s = end;
	}
}

/* "?", "?N", ">", ">N", "*N": the optional or required number after op. */
static uint64_t count_arg(const char *tok, uint64_t dflt)
{
	char *end;
	uint64_t n;

	if (!tok[1])
		return dflt;
	n = strtoull(tok + 1, &end, 10);
	cr_assert(end != tok + 1 && !*end, "bad number in '%s'", tok);
	return n;
}

static void issue(struct harness *h, const char *tok, unsigned count)
{
	const struct mp_selector_ops *ops = h->ps.ops;
	struct mp_path *cur = NULL;
	unsigned left = 0, repeat, i;
	char word[256] = "";
	size_t len = 0;

	for (i = 0; i < count; i++) {
		if (!left) {
			repeat = 0;
			cur = ops->select_path(&h->ps, IO_SIZE, &repeat);
			cr_assert(!cur || repeat >= 1, "%s: repeat 0", tok);
			left = cur ? repeat : 0;
		}
		cr_assert_eq(mp_buf_printf(word, sizeof(word), &len, "%s",
					   cur ? cur->name : "-"), 0);
		if (!cur)
			continue;
		left--;
		if (ops->start_io)
			ops->start_io(&h->ps, cur, IO_SIZE);
	}
	EMIT(h, "%s", word);
}

static void status_word(struct harness *h, struct mp_path *p, int info)
{
	char buf[128];
	int n = h->ps.ops->path_status(&h->ps, p, info, buf, sizeof(buf));

	cr_assert_eq((size_t)n, strlen(buf));
	EMIT(h, "%s[%s]", p->name, buf);
}

static void step(struct harness *h, const char *tok)
{
	const struct mp_selector_ops *ops = h->ps.ops;
	uint64_t n = IO_SIZE, lat = 0;
	struct mp_path *p;
	unsigned repeat;

	switch (tok[0]) {
	case '+':
		p = path_arg(h, tok);
		n = 1;
		num_args(tok, tok + 2, &n, NULL);
		cr_assert_eq(ops->add_path(&h->ps, p, (unsigned)n), 0);
		break;
	case '-':
		ops->remove_path(&h->ps, path_arg(h, tok));
		break;
	case '!':
		ops->fail_path(&h->ps, path_arg(h, tok));
		break;
	case '^':
		ops->reinstate_path(&h->ps, path_arg(h, tok));
		break;
	case '?':
	case '>':
		n = count_arg(tok, IO_SIZE);
		repeat = 0;
		p = ops->select_path(&h->ps, n, &repeat);
		if (p && tok[0] == '>' && ops->start_io)
			ops->start_io(&h->ps, p, n);
		emit_choice(h, p, repeat);
		break;
	case 'S':
		p = path_arg(h, tok);
		num_args(tok, tok + 2, &n, NULL);
		if (ops->start_io)
			ops->start_io(&h->ps, p, n);
		break;
	case '<':
		p = path_arg(h, tok);
		num_args(tok, tok + 2, &n, &lat);
		if (ops->end_io)
			ops->end_io(&h->ps, p, n, lat);
		break;
	case '*':
		cr_assert(tok[1], "'*' needs a count");
		issue(h, tok, (unsigned)count_arg(tok, 0));
		break;
	case 'I':
	case 'T':
		status_word(h, path_arg(h, tok), tok[0] == 'I');
		break;
	default:
		cr_assert_fail("bad token '%s'", tok);
	}
}

static void run_script(struct harness *h, const char *script)
{
	char copy[1024], *save, *tok;

	cr_assert_lt(strlen(script), sizeof(copy));
	strcpy(copy, script);
	for (tok = strtok_r(copy, " ", &save); tok; tok = strtok_r(NULL, " ", &save))
		step(h, tok);
}

/*
 * Inline arrays, not pointers: Criterion copies parameters into a worker
 * process where pointers into this image would not be valid.
 */
struct script_case {
	char selector[32];
	unsigned rr_min_io;
	char script[256];
	char expect[256];
};

static void check_script(const struct script_case *c)
{
	struct harness h;

	harness_init(&h, c->selector, c->rr_min_io);
	run_script(&h, c->script);
	cr_expect_str_eq(h.out, c->expect, "%s rr_min_io=%u: '%s'\n  got    '%s'\n  wanted '%s'",
			 c->selector, c->rr_min_io, c->script, h.out, c->expect);
	harness_fini(&h);
}

#define SCRIPT_CASES(suite, ...)                                              \
	ParameterizedTestParameters(suite, script)                            \
	{                                                                     \
		static struct script_case cases[] = { __VA_ARGS__ };          \
		return cr_make_param_array(struct script_case, cases,         \
					   MP_ARRAY_SIZE(cases));             \
	}                                                                     \
	ParameterizedTest(struct script_case *c, suite, script)               \
	{                                                                     \
		check_script(c);                                              \
	}

#define RR "round-robin"
#define QL "queue-length"
#define ST "service-time"
#define HST "historical-service-time"
#define FO "failover"

SCRIPT_CASES(round_robin,
	{ RR, 1, "?", "-" },
	{ RR, 1, "+a +b +c ? ? ? ? ?", "a1 b1 c1 a1 b1" },
	/* a turn lasts rr_min_io * weight I/Os */
	{ RR, 1, "+a:2 +b +c:3 ? ? ? ?", "a2 b1 c3 a2" },
	{ RR, 4, "+a:2 +b +c:3 ? ? ? ?", "a8 b4 c12 a8" },
	{ RR, 1, "+a:2 +b *9", "aabaabaab" },
	{ RR, 2, "+a:2 +b:1 +c *14", "aaaabbccaaaabb" },
	/* failed paths are skipped and rejoin in their place */
	{ RR, 1, "+a +b +c ? !b ? ? ^b ? ?", "a1 c1 a1 b1 c1" },
	{ RR, 1, "+a +b +c ? ? !b ? ? ?", "a1 b1 c1 a1 c1" },
	{ RR, 1, "+a +b !a !b ? ? ^b ? ? ^a ?", "- - b1 b1 a1" },
	/* removal: the cycle goes on with the removed path's successor */
	{ RR, 1, "+a +b +c ? ? -b ? ?", "a1 b1 c1 a1" },
	{ RR, 1, "+a +b +c ? ? ? -c ? ?", "a1 b1 c1 a1 b1" },
	{ RR, 1, "+a +b +c ? -a ? ? -c ? -b ?", "a1 b1 c1 b1 -" },
	{ RR, 1, "+a +b ? ? +c ? ?", "a1 b1 c1 a1" },
	/* weight 0: only when no usable path has a weight, in cycle order */
	{ RR, 3, "+a:0 +b +c:0 ? ? !b ? ? ? ^b ?", "b3 b3 c3 a3 c3 b3" },
	{ RR, 1, "+a +b:0 *4 !a *4 ^a *4", "aaaa bbbb aaaa" },
	{ RR, 1, "+a:0 ? !a ?", "a1 -" },
	/* rr_min_io 0 still gives repeat >= 1; the product saturates */
	{ RR, 0, "+a:3 ? Ta", "a3 a[3 ]" },
	{ RR, 2147483648u, "+a:2 +b ? ? Ta Tb", "a4294967295 b2147483648 a[4294967295 ] b[2147483648 ]" },
	{ RR, 3, "+a:2 +b:0 Ia Ta Ib Tb", "a[] a[6 ] b[] b[3 ]" },
)

SCRIPT_CASES(queue_length,
	{ QL, 1, "?", "-" },
	{ QL, 1, "+a +b +c > > > > <b > >", "a1 b1 c1 a1 b1 b1" },
	{ QL, 1, "+a +b +c Sa Sa Sb ? !c ? ^c ?", "c1 b1 c1" },
	{ QL, 1, "+a +b +c Sa Sb Sc ? <c ? <a ?", "a1 c1 a1" },
	{ QL, 1, "+a +b *6", "ababab" },
	{ QL, 3, "+a +b *9", "aaabbbaaa" },
	{ QL, 1, "+a +b Sb !a ? !b ? ^a ?", "b1 - a1" },
	{ QL, 1, "+a +b +c Sa Sb ? -c ? -a ? -b ?", "c1 a1 b1 -" },
	/* I/O in flight on a failed path is still counted when it returns */
	{ QL, 1, "+a +b > > > !a <a <a ^a ? Ia Ib", "a1 b1 a1 a1 a[0 ] b[1 ]" },
	{ QL, 1, "+a <a <a Ia Sa Ia", "a[0 ] a[1 ]" },
	{ QL, 7, "+a Sa:1 Sa:1 ? Ia Ta", "a7 a[2 ] a[7 ]" },
	{ QL, 0, "+a ?", "a1" },
)

SCRIPT_CASES(service_time,
	{ ST, 1, "?", "-" },
	/* weight 2 serves twice the bytes of weight 1; ties to a */
	{ ST, 1, "+a +b:2 > > > > > >", "b1 a1 b1 b1 a1 b1" },
	{ ST, 1, "+a +b:2 *9", "babbabbab" },
	/* the incoming size matters: (1000 + x) * 3 against 5000 + x */
	{ ST, 1, "+a +b:3 Sa:1000 Sb:5000 ?500 ?2000 ?1000", "a1 b1 a1" },
	{ ST, 1, "+a:3 +b:3 Sa:100 Sb:99 ? <a:1 ?", "b1 a1" },
	/* weight 0 only when no path with a weight is usable */
	{ ST, 4, "+a:0 +b:0 +c Sc:1000000000 ? !c ? Sa:10 ? ^c ?", "c4 a4 b4 c4" },
	{ ST, 1, "+a:0 ?0 +b:1 Sb:1000000 ?0", "a1 b1" },
	/* exact with products past 64 bits */
	{ ST, 1, "+a:4294967295 +b:4294967294 Sa:4611686018427387904 "
		 "Sb:4611686017353646080 ?0 Sa:1073741824 ?0",
	  "a1 b1" },
	{ ST, 1, "+a +b:4 Sa:4611686018427387904 Sb:4611686018427387904 ?0", "b1" },
	{ ST, 1, "+a +b > > <a > !b > > ^b >", "a1 b1 a1 a1 a1 b1" },
	{ ST, 1, "+a +b +c Sa Sb ? -c ? -a ? -b ?", "c1 a1 b1 -" },
	{ ST, 2, "+a:5 > >8192 Ia Ta <a <a Ia <a Ia", "a2 a2 a[12288 5 ] a[2 5 ] a[4096 5 ] a[0 5 ]" },
	{ ST, 1, "+a Sa:100 <a:4096 Ia", "a[0 1 ]" },
)

SCRIPT_CASES(historical_service_time,
	{ HST, 1, "?", "-" },
	/* unmeasured paths cost 0 and are tried first; equal costs go to fewer in flight */
	{ HST, 1, "+a +b +c > > <a@2000000 > > <b@1000000 > <c@3000000 > Ia Ib Ic",
	  "a1 b1 c1 b1 c1 a1 a[1 2000 ] b[1 1000 ] c[1 3000 ]" },
	/* cost (in_flight + 1) * ewma: 3 * 1000, then 2 * 1000, against 2500 */
	{ HST, 1, "+a +b <a@1000 <b@2500 Sa Sa ? <a@1000 ?", "b1 a1" },
	/* a at 2 * 1000 ties b at 1 * 2000: b has fewer in flight */
	{ HST, 1, "+a +b <a@1000 <b@2000 ? Sa ? Sb ?", "a1 b1 a1" },
	{ HST, 1, "+a +b <a@1000 <b@1000 *4", "abab" },
	/* EWMA, alpha 1/8: 8000, 8000 + 1000, 9000 - 1125 */
	{ HST, 1, "+a <a@8000 Ia <a@16000 Ia <a@0 Ia", "a[0 8 ] a[0 9 ] a[0 7 ]" },
	{ HST, 1, "+a <a@999 Ia Ta", "a[0 0 ] a[1 ]" },
	/* a reinstated path forgets its history and is tried again */
	{ HST, 1, "+a +b <a@1000 <b@5000 Sa Sa Sa Sa Sa ? !a ? ^a ? Ia",
	  "b1 b1 a1 a[5 0 ]" },
	/* reinstating a path that has not failed changes nothing */
	{ HST, 1, "+a +b <a@1000 <b@5000 ? ^a ? Ia", "a1 a1 a[0 1 ]" },
	{ HST, 1, "+a +b !a !b ? ^b ?", "- b1" },
	{ HST, 1, "+a +b +c <a@10 <b@20 ? -a ? -c ? -b ?", "c1 c1 b1 -" },
	/* a cost past 64 bits saturates instead of wrapping */
	{ HST, 1, "+a +b <a@18446744073709551615 <b@18446744073709551614 Sa ?", "b1" },
	{ HST, 6, "+a ?", "a6" },
)

SCRIPT_CASES(failover,
	{ FO, 1, "?", "-" },
	{ FO, 1, "+a +b +c ? ? !a ? !b ? ^a ? !a !c ? ^c ?", "a1 a1 b1 c1 a1 - c1" },
	{ FO, 1, "+a +b Sa Sa Sa *3", "aaa" },
	{ FO, 1, "+a:0 +b:5 ?", "a1" },
	{ FO, 1, "+a +b -a ? +a ? -b ?", "b1 b1 a1" },
	{ FO, 3, "+a +b ? !a ?", "a3 b3" },
	{ FO, 1, "+a Ia Ta", "a[] a[]" },
)

static const char *const all_selectors[] = { RR, QL, ST, HST, FO };

Test(registry, find_each)
{
	size_t i;

	for (i = 0; i < MP_ARRAY_SIZE(all_selectors); i++) {
		const struct mp_selector_ops *ops = mp_selector_find(all_selectors[i]);

		cr_assert_not_null(ops, "%s", all_selectors[i]);
		cr_expect_str_eq(ops->name, all_selectors[i]);
	}
	cr_expect_eq(mp_selector_find(RR), &mp_selector_round_robin);
	cr_expect_eq(mp_selector_find(QL), &mp_selector_queue_length);
	cr_expect_eq(mp_selector_find(ST), &mp_selector_service_time);
	cr_expect_eq(mp_selector_find(HST), &mp_selector_historical_service_time);
	cr_expect_eq(mp_selector_find(FO), &mp_selector_failover);
}

Test(registry, unknown)
{
	static const char *const bad[] = {
		"", "round_robin", "Round-Robin", "service-time ", "historical",
		"round-robin, queue-length", "random",
	};
	size_t i;

	for (i = 0; i < MP_ARRAY_SIZE(bad); i++)
		cr_expect_null(mp_selector_find(bad[i]), "'%s'", bad[i]);
	cr_expect_null(mp_selector_find(NULL));
}

Test(registry, names)
{
	char copy[256], *save, *name;
	size_t n = 0;

	cr_assert_str_eq(mp_selector_names(),
			 "round-robin, queue-length, service-time, "
			 "historical-service-time, failover");
	strcpy(copy, mp_selector_names());
	for (name = strtok_r(copy, ", ", &save); name; name = strtok_r(NULL, ", ", &save)) {
		cr_expect_not_null(mp_selector_find(name), "%s", name);
		n++;
	}
	cr_expect_eq(n, MP_ARRAY_SIZE(all_selectors));
}

struct args_case {
	const char *selector;
	unsigned info_args, table_args;
	bool accounting;
};

static const struct args_case args_cases[] = {
	{ RR, 0, 1, false },
	{ QL, 1, 1, true },
	{ ST, 2, 2, true },
	{ HST, 2, 1, true },
	{ FO, 0, 0, false },
};

/* A status line is words each followed by one blank: "", "w ", "w w ", ... */
static unsigned count_words(const char *s)
{
	unsigned n = 0;

	cr_assert_neq(*s, ' ', "leading blank in '%s'", s);
	for (; *s; s++) {
		if (*s != ' ')
			continue;
		cr_assert_neq(s[1], ' ', "double blank in '%s'", s);
		n++;
	}
	return n;
}

Test(ops, tables)
{
	size_t i;

	for (i = 0; i < MP_ARRAY_SIZE(args_cases); i++) {
		const struct args_case *c = &args_cases[i];
		const struct mp_selector_ops *ops = mp_selector_find(c->selector);

		cr_assert_not_null(ops);
		cr_expect_eq(ops->info_args, c->info_args, "%s", c->selector);
		cr_expect_eq(ops->table_args, c->table_args, "%s", c->selector);
		cr_expect(ops->create && ops->destroy && ops->add_path && ops->remove_path &&
			  ops->fail_path && ops->reinstate_path && ops->select_path &&
			  ops->path_status, "%s", c->selector);
		cr_expect_eq(ops->start_io != NULL, c->accounting, "%s", c->selector);
		cr_expect_eq(ops->end_io != NULL, c->accounting, "%s", c->selector);
	}
}

/* Status words match info_args/table_args, in every state a path can be in. */
Test(ops, status_word_counts)
{
	size_t i;

	for (i = 0; i < MP_ARRAY_SIZE(args_cases); i++) {
		const struct args_case *c = &args_cases[i];
		struct harness h;
		unsigned j;

		harness_init(&h, c->selector, 2);
		run_script(&h, "+a:3 +b:0 +c Sa:512 <a@7000 Sc !b");
		for (j = 0; j < 3; j++) {
			char buf[128];
			int info;

			for (info = 0; info < 2; info++) {
				int n = h.ps.ops->path_status(&h.ps, &h.paths[j], info,
							      buf, sizeof(buf));

				cr_assert_eq((size_t)n, strlen(buf));
				cr_assert(!n || buf[n - 1] == ' ', "%s: '%s'", c->selector, buf);
				cr_expect_eq(count_words(buf), info ? c->info_args : c->table_args,
					     "%s %s: '%s'", c->selector, info ? "info" : "table", buf);
			}
		}
		harness_fini(&h);
	}
}

/* path_status has snprintf semantics: full length returned, output cut. */
Test(ops, status_truncates)
{
	struct harness h;
	char buf[4];

	harness_init(&h, ST, 1);
	run_script(&h, "+a:7 Sa:123456");
	memset(buf, 'x', sizeof(buf));
	cr_expect_eq(h.ps.ops->path_status(&h.ps, &h.paths[0], 1, buf, sizeof(buf)), 9);
	cr_expect_str_eq(buf, "123");
	cr_expect_eq(h.ps.ops->path_status(&h.ps, &h.paths[0], 1, NULL, 0), 9);
	harness_fini(&h);

	harness_init(&h, FO, 1);
	run_script(&h, "+a");
	cr_expect_eq(h.ps.ops->path_status(&h.ps, &h.paths[0], 1, NULL, 0), 0);
	harness_fini(&h);
}

/* Every selector, every set of failed paths among four: never a failed path. */
Test(ops, never_a_failed_path)
{
	size_t i;

	for (i = 0; i < MP_ARRAY_SIZE(all_selectors); i++) {
		unsigned mask;

		for (mask = 0; mask < 16; mask++) {
			struct harness h;
			unsigned j, k;

			harness_init(&h, all_selectors[i], 1);
			run_script(&h, "+a:2 +b:0 +c +d:3 Sa Sb:9000 <c@300 <d@100");
			for (j = 0; j < 4; j++)
				if (mask & (1u << j))
					h.ps.ops->fail_path(&h.ps, &h.paths[j]);
			for (k = 0; k < 8; k++) {
				unsigned repeat = 0;
				struct mp_path *p = h.ps.ops->select_path(&h.ps, IO_SIZE, &repeat);

				if (mask == 15) {
					cr_expect_null(p, "%s: all failed", all_selectors[i]);
					continue;
				}
				cr_assert_not_null(p, "%s mask %u", all_selectors[i], mask);
				cr_expect_eq(mask & (1u << (p - h.paths)), 0,
					     "%s mask %u chose failed %s", all_selectors[i], mask, p->name);
				cr_expect_geq(repeat, 1);
				if (h.ps.ops->start_io)
					h.ps.ops->start_io(&h.ps, p, IO_SIZE);
			}
			harness_fini(&h);
		}
	}
}

/* Generic behaviour every selector shares. */
struct common_case {
	const char *script;
	const char *expect;
};

static const struct common_case common_cases[] = {
	/* all failed, then one back */
	{ "+a +b !a !b ? ^a ?", "- a1" },
	/* failing or reinstating twice changes nothing */
	{ "+a !a !a ^a ^a ? !a ?", "a1 -" },
	/* a removed path is never chosen, and late calls for it are ignored */
	{ "+a +b -a !a ^a Sa <a -a ? -b ?", "b1 -" },
	{ "+a -a +a ?", "a1" },
	/* destroy with paths still held frees them (checked under valgrind) */
	{ "+a +b +c +d Sa Sb <b !c", "" },
};

Test(ops, common)
{
	size_t i, j;

	for (i = 0; i < MP_ARRAY_SIZE(all_selectors); i++) {
		for (j = 0; j < MP_ARRAY_SIZE(common_cases); j++) {
			struct script_case c = { .rr_min_io = 1 };

			strcpy(c.selector, all_selectors[i]);
			strcpy(c.script, common_cases[j].script);
			strcpy(c.expect, common_cases[j].expect);
			check_script(&c);
		}
	}
}

Test(ops, ps_ctx_ownership)
{
	size_t i;

	for (i = 0; i < MP_ARRAY_SIZE(all_selectors); i++) {
		struct harness h;

		harness_init(&h, all_selectors[i], 1);
		cr_expect_not_null(h.ps.ctx, "%s", all_selectors[i]);
		run_script(&h, "+a +b");
		cr_expect_not_null(h.paths[0].ps_ctx, "%s", all_selectors[i]);
		cr_expect_neq(h.paths[0].ps_ctx, h.paths[1].ps_ctx);
		run_script(&h, "-a");
		cr_expect_null(h.paths[0].ps_ctx, "%s", all_selectors[i]);
		cr_expect_not_null(h.paths[1].ps_ctx, "%s", all_selectors[i]);
		harness_fini(&h);
	}
}
