#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Build the libFuzzer targets of tests/fuzz/ with clang against the real
# sources (-fsanitize=fuzzer,address,undefined; every UBSan check fatal)
# and run each for SECONDS (default 60; $MPATHFS_FUZZ_SECONDS, when set,
# wins over the argument, so it also sets the time of the meson test):
#
#   tests/fuzz/run.sh [SECONDS]
#
# Each target starts from its seed corpus (tests/fuzz/corpus/TARGET/, read
# only) plus what earlier runs found (OUT/corpus/TARGET/, where new inputs
# go), and first replays the saved crash inputs tests/fuzz/crashes/TARGET-*
# as regression tests. Prints one line per target with libFuzzer's final
# exec count (stat::number_of_executed_units) and exits non-zero if any
# target crashed, leaked, tripped a sanitizer or a check. A crash's input is
# kept as OUT/crashes/TARGET-crash-SHA1 (reproduce: OUT/fuzz-TARGET FILE).
#
# OUT is $FUZZ_BUILD_DIR, else build-fuzz/ in the source tree. Installs
# clang and its fuzzer runtime (libclang-rt-14-dev on Debian 12) with
# apt-get when they are missing and we are root; exits 77 (skip) when they
# are missing and cannot be installed.
set -euo pipefail

secs=${MPATHFS_FUZZ_SECONDS:-${1:-60}}
case $secs in
'' | *[!0-9]*) echo "usage: $0 [SECONDS]" >&2; exit 2 ;;
esac
src=$(cd "$(dirname "$0")/../.." && pwd)
fz=$src/tests/fuzz
out=${FUZZ_BUILD_DIR:-$src/build-fuzz}
cc=${FUZZ_CC:-clang}
targets=(config control scsi)
# longest input each target tries: a config is a few KiB; a control line
# may be 8192 bytes (and one more must be refused); RTPG reads 1 KiB
declare -A max_len=([config]=8192 [control]=10000 [scsi]=1100)

mkdir -p "$out/obj" "$out/crashes"

# ------------------------------------------------------------- toolchain

# shellcheck disable=SC2054
san=(-fsanitize=address,undefined -fno-sanitize-recover=all)

probe() {
	printf '%s\n' '#include <stddef.h>' '#include <stdint.h>' \
		'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);' \
		'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; return (int)(n & 0); }' \
		>"$out/probe.c"
	command -v "$cc" >/dev/null 2>&1 &&
		"$cc" -fsanitize=fuzzer "${san[@]}" "$out/probe.c" -o "$out/probe" >"$out/probe.log" 2>&1
}

if ! probe; then
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
		echo "fuzz: installing clang and its fuzzer runtime" >&2
		export DEBIAN_FRONTEND=noninteractive
		# the fuzzer runtime is only a Recommends of clang-14: name it
		apt-get install -y -q --no-install-recommends clang libclang-rt-14-dev >&2 ||
			{ apt-get update -q >&2 &&
			  apt-get install -y -q --no-install-recommends clang libclang-rt-14-dev >&2; } ||
			true
	fi
	if ! probe; then
		echo "fuzz: SKIP: $cc cannot build a libFuzzer target:" >&2
		cat "$out/probe.log" >&2 2>/dev/null || true
		exit 77
	fi
fi

# ------------------------------------------------------------- build

# the library sources, as the top-level meson.build lists them
mapfile -t sources < <(sed -n '/^core_sources = files(/,/)/p' "$src/meson.build" |
	grep -o "'src/[^']*\.c'" | tr -d "'")
[ "${#sources[@]}" -gt 0 ] || { echo "fuzz: no core_sources in meson.build" >&2; exit 1; }

deps_cflags=$(pkg-config --cflags inih json-c)
deps_libs="$(pkg-config --libs inih json-c) -laio -lsgutils2 -lpthread"
version=$(sed -n "s/^  version: '\([^']*\)'.*/\1/p" "$src/meson.build" | head -n 1)
# the quotes around the version are part of the word: a string literal
# shellcheck disable=SC2089,SC2090
cflags="-std=gnu11 -g -O1 -fno-omit-frame-pointer -Wall -Wextra -Wno-unused-parameter \
-I$src/include $deps_cflags -DMPATHFS_VERSION=\"${version:-fuzz}\" ${san[*]}"
# the library gets coverage instrumentation, the fuzzer's main only in the targets
lib_cflags="$cflags -fsanitize=fuzzer-no-link"

# rebuild everything when the flags, the compiler or a header changed
stamp="$cc $($cc --version | head -n 1) $lib_cflags"
if [ "$(cat "$out/obj/flags" 2>/dev/null)" != "$stamp" ]; then
	rm -f "$out"/obj/*.o
	printf '%s' "$stamp" >"$out/obj/flags"
fi
newest_header=$(ls -t "$src"/include/mpathfs/*.h | head -n 1)

build_start=$(date +%s)
todo=()
for s in "${sources[@]}"; do
	o=$out/obj/$(basename "$s" .c).o
	if [ ! -e "$o" ] || [ "$src/$s" -nt "$o" ] || [ "$newest_header" -nt "$o" ]; then
		todo+=("$s")
	fi
done
if [ "${#todo[@]}" -gt 0 ]; then
	export FUZZ_SRC=$src FUZZ_OBJ=$out/obj FUZZ_CC=$cc FUZZ_CFLAGS=$lib_cflags
	# shellcheck disable=SC2016
	printf '%s\n' "${todo[@]}" | xargs -P "$(nproc)" -I{} bash -c \
		'$FUZZ_CC $FUZZ_CFLAGS -c "$FUZZ_SRC/$1" -o "$FUZZ_OBJ/$(basename "$1" .c).o" ||
		 { rm -f "$FUZZ_OBJ/$(basename "$1" .c).o"; exit 1; }' _ {} ||
		{ echo "fuzz: compiling the sources failed" >&2; exit 1; }
fi
rm -f "$out/libmpathfs-fuzz.a"
# shellcheck disable=SC2046
(cd "$out/obj" && ar rcs ../libmpathfs-fuzz.a $(printf '%s\n' "${sources[@]}" |
	sed 's|.*/||; s|\.c$|.o|'))
for t in "${targets[@]}"; do
	# shellcheck disable=SC2086,SC2090
	$cc $cflags -fsanitize=fuzzer "$fz/fuzz-$t.c" "$out/libmpathfs-fuzz.a" $deps_libs \
		-o "$out/fuzz-$t" || { echo "fuzz: building fuzz-$t failed" >&2; exit 1; }
done
echo "fuzz: built ${targets[*]} in $(($(date +%s) - build_start)) s ($cc, ${#todo[@]} of ${#sources[@]} sources compiled)"

# ------------------------------------------------------------- run

# every finding is fatal and names its source line; leaks count
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1:symbolize=1:strict_string_checks=1:detect_stack_use_after_return=1:check_initialization_order=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1:abort_on_error=1}

status=0
summary=()
for t in "${targets[@]}"; do
	exe=$out/fuzz-$t
	log=$out/fuzz-$t.log
	mkdir -p "$out/corpus/$t"

	# 1. saved crashes of this target must no longer crash
	regress=("$fz"/crashes/"$t"-*)
	if [ -e "${regress[0]}" ]; then
		if ! "$exe" -runs=1 "${regress[@]}" >"$out/fuzz-$t.regress.log" 2>&1; then
			echo "fuzz: $t: a saved crash input in tests/fuzz/crashes/ still fails:" >&2
			grep -E 'Running:|ERROR|SUMMARY|runtime error|check failed' \
				"$out/fuzz-$t.regress.log" | head -n 20 >&2
			summary+=("$t: FAIL (saved crash inputs still fail: $out/fuzz-$t.regress.log)")
			status=1
			continue
		fi
	fi

	# 2. fuzz
	dict=()
	[ -f "$fz/$t.dict" ] && dict=(-dict="$fz/$t.dict")
	rc=0
	"$exe" "$out/corpus/$t" "$fz/corpus/$t" "${dict[@]}" \
		-max_total_time="$secs" -max_len="${max_len[$t]}" -timeout=25 \
		-rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$out/crashes/$t-" >"$log" 2>&1 || rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	cov=$(grep -E '^#[0-9]+' "$log" | tail -n 1 | grep -oE 'cov: [0-9]+ ft: [0-9]+' || true)
	corpus=$(find "$out/corpus/$t" -type f | wc -l)
	if [ "$rc" = 0 ]; then
		summary+=("$t: ok, ${execs:-?} execs in ${secs} s ($cov, $corpus found inputs)")
	else
		status=1
		art=$(grep -oE "Test unit written to [^ ]+" "$log" | tail -n 1 | sed 's/.* to //')
		summary+=("$t: CRASH (exit $rc) after ${execs:-?} execs; input: ${art:-see $log}")
		echo "----- fuzz-$t: libFuzzer exited $rc; the report:" >&2
		grep -vE '^#[0-9]+|^INFO:|^MS: |^base unit:|^0x|^\\x' "$log" | head -n 60 >&2
		[ -n "$art" ] && echo "reproduce: $exe $art" >&2
	fi
done

for l in "${summary[@]}"; do
	echo "fuzz: $l"
done
exit $status
