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
 *	<a  <a:N	end_io of a's oldest I/O started by S or >, of 4096 (or
 *			N) bytes; one that started now if there is none
 *	<a@L  <a:N@L	the same, but the I/O started L ns ago
 *	tN		the clock moves N ns on
 *	*N		issue N I/Os as the core does: select, then keep the
 *			path for *repeat I/Os, start_io on each
 *	Ia  Ta		path_status of a, INFO or TABLE
 *
 * The clock starts at 1 s, so an I/O can have started before the script;
 * start_io records its time on the path, end_io happens at the clock.
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
#define CLOCK_START 1000000000ull
#define MAX_STARTED 64

struct harness {
	struct mp_selector ps;
	struct mp_path paths[NR_PATHS];
	uint64_t now;
	/* start times of each path's I/Os in flight, oldest first */
	uint64_t started[NR_PATHS][MAX_STARTED];
	unsigned nr_started[NR_PATHS];
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
	h->now = CLOCK_START;
	cr_assert_eq(h->ps.ops->create(&h->ps), 0);
}

static void start_io(struct harness *h, struct mp_path *p, size_t nr_bytes)
{
	unsigned i = (unsigned)(p - h->paths);

	cr_assert_lt(h->nr_started[i], MAX_STARTED, "too many I/Os on %s", p->name);
	h->started[i][h->nr_started[i]++] = h->now;
	if (h->ps.ops->start_io)
		h->ps.ops->start_io(&h->ps, p, nr_bytes);
}

/* End p's oldest I/O, or one that started at the clock if none is recorded. */
static void end_io(struct harness *h, struct mp_path *p, size_t nr_bytes)
{
	unsigned i = (unsigned)(p - h->paths);
	uint64_t start = h->now;

	if (h->nr_started[i]) {
		start = h->started[i][0];
		memmove(h->started[i], h->started[i] + 1,
			--h->nr_started[i] * sizeof(h->started[i][0]));
	}
	if (h->ps.ops->end_io)
		h->ps.ops->end_io(&h->ps, p, nr_bytes, h->now - start);
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
		start_io(h, cur, IO_SIZE);
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
	uint64_t n = IO_SIZE, lat = UINT64_MAX;
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
		if (p && tok[0] == '>')
			start_io(h, p, n);
		emit_choice(h, p, repeat);
		break;
	case 'S':
		p = path_arg(h, tok);
		num_args(tok, tok + 2, &n, NULL);
		start_io(h, p, n);
		break;
	case '<':
		p = path_arg(h, tok);
		num_args(tok, tok + 2, &n, &lat);
		if (lat != UINT64_MAX) {
			unsigned i = (unsigned)(p - h->paths);

			cr_assert_leq(lat, h->now, "'%s' started before the clock", tok);
			/* that I/O, if recorded, started L ns ago */
			if (h->nr_started[i])
				h->started[i][0] = h->now - lat;
			else
				h->started[i][h->nr_started[i]++] = h->now - lat;
		}
		end_io(h, p, n);
		break;
	case 't':
		h->now += count_arg(tok, 0);
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
	/*
	 * unmeasured paths cost 0 and are tried first, the one with fewer in
	 * flight among them; idle a's 2 ms ages by 1/256 at each completion
	 * elsewhere (1992188, 1984406)
	 */
	{ HST, 1, "+a +b +c > > <a@2000000 > > <b@1000000 > <c@3000000 > Ia Ib Ic",
	  "a1 b1 c1 b1 c1 a1 a[1 1984 ] b[1 1000 ] c[1 3000 ]" },
	/* cost (in_flight + 1) * estimate: 3 * 0.996 ms beats 4 ms, 6 * 0.996 does not */
	{ HST, 1, "+a +b <a@1000000 <b@4000000 Sa Sa ? Sa Sa Sa ?", "a1 b1" },
	/* within 1/4 of the lowest cost (a: 2 * 0.996 ms) fewer in flight wins */
	{ HST, 1, "+a +b <a@1000000 <b@2100000 Sa ?", "b1" },
	{ HST, 1, "+a +b <a@1000000 <b@2600000 Sa ?", "a1" },
	{ HST, 1, "+a +b <a@1000 <b@1000 *4", "abab" },
	/* the latency floor: up 1/32 of the way (8.25 ms), down 1/2 (5.125 ms) */
	{ HST, 1, "+a <a@8000000 Ia <a@16000000 Ia <a@2000000 Ia",
	  "a[0 8000 ] a[0 8250 ] a[0 5125 ]" },
	/*
	 * Not inflated by its own queue: four I/Os queued at once on a path
	 * that serves one per ms wait 1, 2, 3 and 4 ms; the estimate stays
	 * near 1 ms (an average of latencies made it 1.69 ms).
	 */
	{ HST, 1, "+a Sa Sa Sa Sa t1000000 <a t1000000 <a t1000000 <a t1000000 <a Ia",
	  "a[0 1183 ]" },
	/* so a still wins over an idle 8 ms path with 4 in flight: 5 * 1.18 < 7.88 */
	{ HST, 1, "+a +b <b@8000000 Sa Sa Sa Sa Sa Sa Sa Sa t1000000 <a t1000000 <a "
		  "t1000000 <a t1000000 <a ?",
	  "a1" },
	{ HST, 1, "+a <a@999 Ia Ta", "a[0 0 ] a[1 ]" },
	/* a reinstated path forgets its history and is tried again */
	{ HST, 1, "+a +b <a@1000 <b@5000 Sa Sa Sa Sa Sa ? !a ? ^a ? Ia",
	  "b1 b1 a1 a[5 0 ]" },
	/* reinstating a path that has not failed changes nothing */
	{ HST, 1, "+a +b <a@1000000 <b@5000000 ? ^a ? Ia", "a1 a1 a[0 996 ]" },
	{ HST, 1, "+a +b !a !b ? ^b ?", "- b1" },
	{ HST, 1, "+a +b +c <a@10 <b@20 ? -a ? -c ? -b ?", "c1 c1 b1 -" },
	/* a cost past 64 bits saturates instead of wrapping, and so does the band */
	{ HST, 1, "+a +b t9223372036854775807 <a@9223372036854775807 "
		  "<b@9223372036854775806 Sa Sa ?", "b1" },
	{ HST, 1, "+a +b t9223372036854775807 <a@9223372036854775807 "
		  "<b@9223372036854775807 Sa Sa Sa Sb Sb ?", "b1" },
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

/*
 * Shares under load: a small discrete-event simulation drives a selector
 * as the core does (32 I/Os in flight, a new one at each completion) over
 * paths of one kind, path c slow if slow > 1, and checks each path's share
 * of the I/O after a warm-up. Fixed-seed xorshift: deterministic.
 *   parallel: an I/O takes its path's latency whatever else is in flight
 *             (an array behind a SAN, a loop device, FUSE)
 *   serial:   a path serves one I/O at a time, in order
 * Latencies (parallel) and service times (serial) are 100 us, x slow on c,
 * each drawn uniformly within +-50%. With stall_ms, every 200 ms one
 * healthy path in turn stops completing for stall_ms, then completes what
 * it holds at once (a host hiccup, a link reset).
 */
enum sim_kind { SIM_PARALLEL, SIM_SERIAL };

struct sim_case {
	char selector[32];
	enum sim_kind kind;
	unsigned nr_paths;
	unsigned slow;		/* path c's time, x the others' */
	unsigned stall_ms;
	unsigned max_slow_pct;	/* path c's share at most, % of all I/O */
	unsigned min_fair_pct;	/* each other path's at least, % of an even split of the rest */
};

#define SIM_QD 32
#define SIM_BASE_NS 100000ull
#define SIM_WARMUP 20000u
#define SIM_IOS 200000u
#define SIM_SLOW 2u		/* path c */

struct sim_io {
	unsigned path;
	uint64_t start, done;
};

struct sim {
	struct harness h;
	const struct sim_case *c;
	struct sim_io io[SIM_QD];
	uint64_t busy_until[NR_PATHS];	/* serial */
	uint64_t stall_until[NR_PATHS];
	uint64_t next_stall;
	unsigned next_staller;
	uint64_t rng;
	unsigned long count[NR_PATHS];
};

static uint64_t sim_time(struct sim *s, unsigned path)
{
	uint64_t t = SIM_BASE_NS * (path == SIM_SLOW ? s->c->slow : 1);

	s->rng ^= s->rng << 13;
	s->rng ^= s->rng >> 7;
	s->rng ^= s->rng << 17;
	return t / 2 + s->rng % (t + 1);
}

/* Choose a path for slot i as the core would, and schedule the I/O. */
static void sim_issue(struct sim *s, unsigned i, unsigned n)
{
	const struct mp_selector_ops *ops = s->h.ps.ops;
	unsigned repeat = 0, p;
	struct mp_path *path = ops->select_path(&s->h.ps, IO_SIZE, &repeat);
	uint64_t t;

	cr_assert_not_null(path);
	p = (unsigned)(path - s->h.paths);
	if (ops->start_io)
		ops->start_io(&s->h.ps, path, IO_SIZE);
	t = sim_time(s, p);
	if (s->c->kind == SIM_SERIAL) {
		s->busy_until[p] = (s->busy_until[p] > s->h.now ? s->busy_until[p] : s->h.now) + t;
		t = s->busy_until[p] - s->h.now;
	}
	s->io[i] = (struct sim_io){ p, s->h.now, s->h.now + t };
	if (n >= SIM_WARMUP)
		s->count[p]++;
}

static void sim_run(const struct sim_case *c)
{
	struct sim *s = calloc(1, sizeof(*s));
	unsigned n, i, healthy = c->nr_paths - (c->slow > 1);
	unsigned long total = SIM_IOS - SIM_WARMUP, rest = total;
	char paths[3 * NR_PATHS + 1] = "";

	cr_assert_not_null(s);
	s->c = c;
	s->rng = 0x9e3779b97f4a7c15ull;
	harness_init(&s->h, c->selector, 1);
	for (i = 0; i < c->nr_paths; i++) {
		paths[3 * i] = '+';
		paths[3 * i + 1] = (char)('a' + i);
		paths[3 * i + 2] = ' ';
	}
	run_script(&s->h, paths);
	s->next_stall = s->h.now + 200000000ull;
	for (n = 0; n < SIM_QD; n++)
		sim_issue(s, n, n);
	while (n < SIM_IOS) {
		struct sim_io *io = &s->io[0];

		for (i = 1; i < SIM_QD; i++)
			if (s->io[i].done < io->done)
				io = &s->io[i];
		s->h.now = io->done;
		if (c->stall_ms && s->h.now >= s->next_stall) {
			unsigned p = s->next_staller++ % c->nr_paths;

			if (p == SIM_SLOW && c->slow > 1)
				p = s->next_staller++ % c->nr_paths;
			s->stall_until[p] = s->h.now + c->stall_ms * 1000000ull;
			s->next_stall = s->h.now + 200000000ull;
		}
		if (s->h.now < s->stall_until[io->path]) {
			io->done = s->stall_until[io->path];
			continue;
		}
		if (s->h.ps.ops->end_io)
			s->h.ps.ops->end_io(&s->h.ps, &s->h.paths[io->path], IO_SIZE,
					    io->done - io->start);
		sim_issue(s, (unsigned)(io - s->io), n++);
	}
	if (c->slow > 1) {
		rest -= s->count[SIM_SLOW];
		cr_expect_leq(s->count[SIM_SLOW] * 100, total * c->max_slow_pct,
			      "%s: slow path c got %.1f%%", c->selector,
			      100.0 * s->count[SIM_SLOW] / total);
	}
	for (i = 0; i < c->nr_paths; i++) {
		if (i == SIM_SLOW && c->slow > 1)
			continue;
		cr_expect_geq(s->count[i] * 100 * healthy, rest * c->min_fair_pct,
			      "%s %s slow x%u stall %u ms: path %c got %.1f%% of all I/O, "
			      "below %u%% of an even split of %.1f%%", c->selector,
			      c->kind == SIM_SERIAL ? "serial" : "parallel", c->slow, c->stall_ms,
			      'a' + i, 100.0 * s->count[i] / total, c->min_fair_pct,
			      100.0 * rest / total / healthy);
	}
	harness_fini(&s->h);
	free(s);
}

ParameterizedTestParameters(shares, simulated)
{
	static struct sim_case cases[] = {
		/* one path 4x slower than four others */
		{ HST, SIM_PARALLEL, 5, 4, 0, 10, 80 },
		{ HST, SIM_SERIAL, 5, 4, 0, 10, 80 },
		{ QL, SIM_PARALLEL, 5, 4, 0, 20, 80 },
		{ QL, SIM_SERIAL, 5, 4, 0, 20, 80 },
		{ ST, SIM_PARALLEL, 5, 4, 0, 20, 80 },
		{ RR, SIM_PARALLEL, 5, 4, 0, 21, 99 },
		/* stalls must not starve the path that stalled */
		{ HST, SIM_PARALLEL, 5, 4, 30, 10, 80 },
		{ HST, SIM_SERIAL, 5, 4, 30, 10, 80 },
		{ HST, SIM_PARALLEL, 4, 1, 30, 0, 80 },
		{ QL, SIM_PARALLEL, 5, 4, 30, 20, 80 },
	};

	return cr_make_param_array(struct sim_case, cases, MP_ARRAY_SIZE(cases));
}

ParameterizedTest(struct sim_case *c, shares, simulated)
{
	sim_run(c);
}
