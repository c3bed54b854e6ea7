#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Sanitizer CI: the test suites under AddressSanitizer + UBSan, under
# ThreadSanitizer and under valgrind memcheck. Run as root from anywhere:
#
#   contrib/sanitize.sh [asan] [tsan] [valgrind]     (default: all three)
#
#  asan      build-asan (-Db_sanitize=address,undefined): every unit test and
#            every integration test (whose daemon, faultfs and helpers are
#            the ASan builds meson hands them). Every finding is fatal
#            (halt_on_error, abort_on_error, leaks included) and every
#            report goes to a file per test (log_path), so a report from a
#            daemon that the test then unmounts, or a leak found at its
#            exit, fails the part even where the test itself passed.
#  tsan      build-tsan (-Db_sanitize=thread, no Criterion: Criterion's
#            sandbox cannot start under TSan, see tests/tsan/criterion/):
#            the unit tests that run threads (test-request, test-range-lock,
#            test-hung-io, test-checkers), compiled from the same sources
#            against tests/tsan/'s Criterion stand-in, halt_on_error; then
#            the integration tests of TSAN_INTEGRATION_TESTS (below, with
#            why those) over the TSan daemon (src/io-engine-aio.c shows
#            TSan the kernel AIO ring's ordering in TSan builds).
#            Suppressions, each with its reason: tests/tsan.supp.
#  valgrind  build-valgrind (plain): every unit test program under memcheck
#            (--leak-check=full --error-exitcode=1 --trace-children=yes,
#            --jobs 1); a log per process, any error in any log fails. The
#            programs are built against tests/tsan/'s Criterion stand-in and
#            fork each test without an exec (see part_valgrind for why);
#            SANITIZE_VALGRIND_CRITERION=1 runs the Criterion binaries.
#
# One summary line per part with its time, then exit 1 if any part found
# anything (a test failure or a sanitizer / memcheck report), else 0.
# SANITIZE_BUILD_PREFIX (default SRC/build-) places the build directories.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2
src=$PWD
prefix=${SANITIZE_BUILD_PREFIX:-$src/build-}
export LC_ALL=C

parts=("$@")
[ ${#parts[@]} -gt 0 ] || parts=(asan tsan valgrind)
for p in "${parts[@]}"; do
	case $p in
	asan | tsan | valgrind) ;;
	*) echo "usage: $0 [asan] [tsan] [valgrind]" >&2; exit 2 ;;
	esac
done

# what the parts need: the test dependencies (install-deps.sh test)
if ! pkg-config --exists criterion fuse3 inih json-c 2>/dev/null ||
	! command -v valgrind fio >/dev/null; then
	if [ "$(id -u)" = 0 ]; then
		./contrib/install-deps.sh test || exit 1
	else
		echo "sanitize: missing dependencies; run contrib/install-deps.sh test as root" >&2
		exit 1
	fi
fi

summary=()
status=0

log() {
	printf '[sanitize %s] %s\n' "$(date +%T)" "$*"
}

# setup_build DIR MESON_OPTIONS...: configure (or reconfigure) and build
setup_build() {
	local dir=$1
	shift
	if [ -f "$dir/meson-private/coredata.dat" ]; then
		meson configure "$dir" "$@" >"$dir.setup.log" 2>&1 ||
			meson setup --wipe "$dir" "$@" >"$dir.setup.log" 2>&1 || return 1
	else
		rm -rf "$dir"
		meson setup "$dir" "$@" >"$dir.setup.log" 2>&1 || return 1
	fi
	ninja -C "$dir" >"$dir.build.log" 2>&1 || { tail -n 30 "$dir.build.log" >&2; return 1; }
}

# test_names DIR SUITE -> the names of that suite's tests
test_names() {
	meson test -C "$1" --list --suite "$2" 2>/dev/null | sed -n 's|^.* / ||p'
}

# reports DIR -> the sanitizer report files in DIR (non-empty ones)
reports() {
	find "$1" -type f -size +0 2>/dev/null | sort
}

# show_reports FILE...: the first lines of each report
show_reports() {
	local f
	for f in "$@"; do
		echo "----- $f"
		head -n 40 "$f"
	done
}

# run_meson_tests DIR SUITE LOGROOT ENVSETUP TESTS...: one `meson test` per
# test, with the sanitizer's log_path in LOGROOT/TEST/ (ENVSETUP is a
# function that exports the options for a given log dir). Sets
# R_PASS R_FAIL R_SKIP R_FAILED (names) R_REPORTS (files).
run_meson_tests() {
	local dir=$1 suite=$2 root=$3 envsetup=$4 t rc files
	shift 4
	R_PASS=0 R_FAIL=0 R_SKIP=0 R_FAILED=() R_REPORTS=()
	for t in "$@"; do
		mkdir -p "$root/$t"
		rm -f "$root/$t"/*
		rc=0
		(
			"$envsetup" "$root/$t"
			meson test -C "$dir" --no-rebuild --print-errorlogs \
				--logbase "sanitize-$suite-$t" "$t"
		) >"$root/$t.log" 2>&1 || rc=$?
		mapfile -t files < <(reports "$root/$t")
		if grep -qE '^ *1/1 .* SKIP ' "$root/$t.log"; then
			R_SKIP=$((R_SKIP + 1))
			log "$suite/$t: SKIP ($(grep -m1 -oE 'SKIP: .*' "$root/$t.log" || echo skipped))"
		elif [ "$rc" = 0 ] && [ ${#files[@]} = 0 ]; then
			R_PASS=$((R_PASS + 1))
			log "$suite/$t: ok"
		else
			R_FAIL=$((R_FAIL + 1))
			R_FAILED+=("$t")
			log "$suite/$t: FAIL (meson test exit $rc, ${#files[@]} sanitizer report(s)); log $root/$t.log"
			[ "$rc" != 0 ] && grep -E '\] FAIL|^ *1/1 .* FAIL|ERROR:|Sanitizer|runtime error|\[FAIL\]|Assertion|crashed' \
				"$root/$t.log" | head -n 15
		fi
		R_REPORTS+=("${files[@]}")
	done
	count "$R_PASS" "$R_FAIL" "$R_SKIP"
}

# count PASSED FAILED [SKIPPED]: add to the closing line's totals
T_PASS=0 T_FAIL=0 T_SKIP=0
count() {
	T_PASS=$((T_PASS + $1)) T_FAIL=$((T_FAIL + $2)) T_SKIP=$((T_SKIP + ${3:-0}))
}

# ---------------------------------------------------------------- asan

# detect_leaks in every process, daemon included: it exits after the
# unmount at the end of each test, and LSan reports then; abort_on_error
# makes Criterion see a leak in a test's worker as a crash (an LSan exit
# code alone it ignores); log_path keeps every report, whoever printed it.
asan_env() {
	export ASAN_OPTIONS="halt_on_error=1:abort_on_error=1:detect_leaks=1:detect_stack_use_after_return=1:print_summary=1:log_path=$1/asan"
	export UBSAN_OPTIONS="halt_on_error=1:abort_on_error=1:print_stacktrace=1:print_summary=1:log_path=$1/ubsan"
	export LSAN_OPTIONS="print_suppressions=0"
}

part_asan() {
	local b=${prefix}asan logs=${prefix}asan/sanitize-logs unit integ n_rep
	log "asan: building $b"
	setup_build "$b" -Db_sanitize=address,undefined -Dtests=true -Dwerror=false ||
		{ summary+=("asan: FAIL: build failed (see $b.build.log)"); return 1; }
	rm -rf "$logs"
	mapfile -t unit < <(test_names "$b" unit)
	mapfile -t integ < <(test_names "$b" integration)
	run_meson_tests "$b" unit "$logs/unit" asan_env "${unit[@]}"
	local up=$R_PASS uf=$R_FAIL us=$R_SKIP ufailed=("${R_FAILED[@]}") reps=("${R_REPORTS[@]}")
	run_meson_tests "$b" integration "$logs/integration" asan_env "${integ[@]}"
	reps+=("${R_REPORTS[@]}")
	n_rep=${#reps[@]}
	[ "$n_rep" -gt 0 ] && show_reports "${reps[@]}"
	local line="unit $up passed, $uf failed, $us skipped; integration $R_PASS passed, $R_FAIL failed, $R_SKIP skipped; $n_rep sanitizer report(s)"
	if [ $((uf + R_FAIL + n_rep)) -gt 0 ]; then
		summary+=("asan: FAIL: $line; failed: ${ufailed[*]} ${R_FAILED[*]}")
		return 1
	fi
	summary+=("asan: ok: $line")
}

# ---------------------------------------------------------------- tsan

# The unit tests that start threads, and test-hung-io (one thread, but
# the expiry/completion locking the daemon's threads race on); the others
# run on one thread, where TSan finds nothing. Then the integration tests
# that drive the daemon's threads hardest: FUSE workers submitting while
# two reapers complete and re-drive, a toggler failing and reinstating
# paths under fio (test-fio-verify-toggle); the admin thread expiring hung
# I/O while late completions, orphans, range locks and checkers race it
# (test-fault-hang); paths added and removed and the config reloaded under
# fio (test-reload); I/O queued with no path and failed or released by the
# admin and control threads (test-no-path); events handed to poll() and
# blocking readers (test-events). The rest run the same threads with less
# contention: all of them under TSan take about 4 minutes (none reported
# anything when tried), these about 1.5.
TSAN_THREAD_TESTS=(test-request test-range-lock test-hung-io test-checkers)
TSAN_INTEGRATION_TESTS=(test-fio-verify-toggle test-fault-hang test-reload test-no-path test-events)

# the daemon reports every race (halt_on_error=0) into its log file and goes
# on, so one run shows them all; any report fails the part
tsan_daemon_env() {
	export TSAN_OPTIONS="halt_on_error=0:exitcode=66:second_deadlock_stack=1:history_size=4:suppressions=$src/tests/tsan.supp:log_path=$1/tsan"
}

# a list from tests/unit/meson.build: `NAME = ['a', 'b']`, on one line or several
meson_list() {
	sed -n "/^$1 = \[/,/\]/p" "$src/tests/unit/meson.build" | grep -o "'[^']*'" | tr -d "'"
}

# build_shim_tests OUTDIR LIBDIR LOGDIR CFLAGS TEST...: the unit tests, from
# their own sources, against tests/tsan/'s Criterion stand-in and LIBDIR's
# libmpathfs.a, with the same extra sources and link options as
# tests/unit/meson.build gives them. Sets SHIM_BUILT (names) and
# SHIM_FAILED (names that did not build).
build_shim_tests() {
	local out=$1 lib=$2 logdir=$3 cflags=$4 t fake wrap srcs largs deps
	shift 4
	mkdir -p "$out" "$logdir"
	fake=" $(meson_list fake_engine_tests | tr '\n' ' ') "
	wrap=" $(meson_list unlock_hook_tests | tr '\n' ' ') "
	deps="$(pkg-config --libs inih json-c) -laio -lsgutils2 -lpthread"
	SHIM_BUILT=() SHIM_FAILED=()
	for t in "$@"; do
		srcs=("$src/tests/unit/$t.c" "$src/tests/tsan/runner.c")
		[[ $fake == *" $t "* ]] && srcs+=("$src/tests/unit/fake-engine.c")
		largs=()
		# shellcheck disable=SC2054
		[[ $wrap == *" $t "* ]] && largs+=(-Wl,--wrap=pthread_mutex_unlock)
		# shellcheck disable=SC2086,SC2046
		if gcc -std=gnu11 -g -O1 $cflags -Wall -Wextra -Wno-format-zero-length \
			-Wno-sign-compare -Wno-unused-parameter \
			-I"$src/tests/tsan" -I"$src/include" -I"$src/tests/unit" \
			$(pkg-config --cflags inih json-c) "${srcs[@]}" "$lib/libmpathfs.a" \
			$deps "${largs[@]}" -o "$out/$t" >"$logdir/$t.build.log" 2>&1; then
			SHIM_BUILT+=("$t")
		else
			SHIM_FAILED+=("$t")
			log "$t does not build against tests/tsan/: $(grep -m3 error "$logdir/$t.build.log")"
		fi
	done
}

part_tsan() {
	local b=${prefix}tsan logs=${prefix}tsan/sanitize-logs t rc
	local up=0 uf=0 ufailed=() reps=()
	log "tsan: building $b"
	setup_build "$b" -Db_sanitize=thread -Dtests=false -Dwerror=false ||
		{ summary+=("tsan: FAIL: build failed (see $b.build.log)"); return 1; }
	rm -rf "$logs"
	mkdir -p "$logs/unit"
	build_shim_tests "$b/tsan-unit" "$b" "$logs/unit" "-fsanitize=thread" "${TSAN_THREAD_TESTS[@]}"
	uf=${#SHIM_FAILED[@]}
	ufailed=("${SHIM_FAILED[@]}")
	for t in "${SHIM_BUILT[@]}"; do
		rc=0
		TSAN_OPTIONS="halt_on_error=1:exitcode=66:second_deadlock_stack=1:suppressions=$src/tests/tsan.supp" \
			SHIM_TIMEOUT_SCALE=4 "$b/tsan-unit/$t" --jobs 1 >"$logs/unit/$t.log" 2>&1 || rc=$?
		if [ "$rc" = 0 ] && ! grep -q 'WARNING: ThreadSanitizer' "$logs/unit/$t.log"; then
			up=$((up + 1))
			log "tsan: unit/$t: ok ($(tail -n 1 "$logs/unit/$t.log" | sed 's|.*: ||'))"
		else
			uf=$((uf + 1))
			ufailed+=("$t")
			log "tsan: unit/$t: FAIL (exit $rc): $(tail -n 1 "$logs/unit/$t.log" | sed 's|.*: ||'); log $logs/unit/$t.log"
			grep -E '^\[FAIL\]|SUMMARY: ThreadSanitizer' "$logs/unit/$t.log" | head -n 10
			sed -n '/WARNING: ThreadSanitizer/,/SUMMARY: ThreadSanitizer/p' "$logs/unit/$t.log" |
				head -n 60
		fi
	done
	count "$up" "$uf"
	run_meson_tests "$b" integration "$logs/integration" tsan_daemon_env "${TSAN_INTEGRATION_TESTS[@]}"
	reps=("${R_REPORTS[@]}")
	[ ${#reps[@]} -gt 0 ] && show_reports "${reps[@]}"
	local line="unit $up passed, $uf failed; integration $R_PASS passed, $R_FAIL failed, $R_SKIP skipped; ${#reps[@]} daemon report file(s)"
	if [ $((uf + R_FAIL + ${#reps[@]})) -gt 0 ]; then
		summary+=("tsan: FAIL: $line; failed: ${ufailed[*]} ${R_FAILED[*]}")
		return 1
	fi
	summary+=("tsan: ok: $line")
}

# ---------------------------------------------------------------- valgrind

# Criterion starts every test as a fresh exec of the test program
# ("boxfort-worker"), so under valgrind each of the ~740 tests pays the
# tool's start-up (about a second of CPU each: 12+ minutes in all). The
# same test sources built against tests/tsan/'s stand-in and run with
# --fork get one process per test too, forked without the exec: the whole
# part takes about a minute. SANITIZE_VALGRIND_CRITERION=1 runs the real
# Criterion binaries instead (same options, much slower).
part_valgrind() {
	local b=${prefix}valgrind logs=${prefix}valgrind/sanitize-logs t rc bad=() n=0 vlogs
	local tests exe args crit=${SANITIZE_VALGRIND_CRITERION:-0}
	log "valgrind: building $b"
	setup_build "$b" -Db_sanitize=none -Dtests="$([ "$crit" = 1 ] && echo true || echo false)" \
		-Dwerror=false ||
		{ summary+=("valgrind: FAIL: build failed (see $b.build.log)"); return 1; }
	rm -rf "$logs"
	mkdir -p "$logs"
	mapfile -t tests < <(meson_list unit_tests)
	if [ "$crit" = 1 ]; then
		exe=$b/tests/unit
		args=(--jobs 1)
	else
		build_shim_tests "$b/shim-unit" "$b" "$logs" "" "${tests[@]}"
		bad=("${SHIM_FAILED[@]}")
		n=${#bad[@]}
		tests=("${SHIM_BUILT[@]}")
		exe=$b/shim-unit
		args=(--jobs 1 --fork)
	fi
	for t in "${tests[@]}"; do
		n=$((n + 1))
		mkdir -p "$logs/$t"
		rc=0
		SHIM_TIMEOUT_SCALE=10 valgrind --tool=memcheck --leak-check=full --error-exitcode=1 \
			--trace-children=yes --num-callers=30 \
			--log-file="$logs/$t/vg.%p" "$exe/$t" "${args[@]}" >"$logs/$t.log" 2>&1 || rc=$?
		# every process's own verdict: the runner, and each test's process
		mapfile -t vlogs < <(grep -lE 'ERROR SUMMARY: [1-9]' "$logs/$t"/vg.* 2>/dev/null)
		if [ "$rc" = 0 ] && [ ${#vlogs[@]} = 0 ]; then
			log "valgrind: $t: ok ($(find "$logs/$t" -type f | wc -l) processes)"
		else
			bad+=("$t")
			log "valgrind: $t: FAIL (exit $rc, ${#vlogs[@]} process(es) with errors); logs $logs/$t/"
			[ "$rc" != 0 ] && grep -E '^\[FAIL\]|FAIL|Synthesis' "$logs/$t.log" | head -n 10
			local v
			for v in "${vlogs[@]}"; do
				echo "----- $v"
				grep -vE 'Memcheck, a memory|Copyright|Using Valgrind|Parent PID|rerun with|For lists of|^==[0-9]+== $' "$v" |
					head -n 60
			done
		fi
	done
	count "$((n - ${#bad[@]}))" "${#bad[@]}"
	local line="$((n - ${#bad[@]})) of $n unit test programs clean"
	if [ ${#bad[@]} -gt 0 ]; then
		summary+=("valgrind: FAIL: $line; failed: ${bad[*]}")
		return 1
	fi
	summary+=("valgrind: ok: $line")
}

# ---------------------------------------------------------------- main

total_start=$(date +%s)
for p in "${parts[@]}"; do
	start=$(date +%s)
	"part_$p" || status=1
	summary[${#summary[@]} - 1]+=" ($(($(date +%s) - start)) s)"
done
echo
for l in "${summary[@]}"; do
	echo "sanitize: $l"
done
echo "sanitize: total $(($(date +%s) - total_start)) s"
# the plain closing line: test programs and integration tests run, each
# counted failed for a test failure or any sanitizer report
echo "sanitize: $T_PASS passed, $T_FAIL failed, $T_SKIP skipped"
exit $status
