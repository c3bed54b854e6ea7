#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Install what mpathfs needs on Debian 12: `build` for the daemon,
# `test` for the daemon plus everything its test suite runs, `ci` for all
# of that plus the sanitizer and fuzzing tools .ci/run uses.
set -euo pipefail

build_pkgs=(meson ninja-build pkg-config gcc libc6-dev fuse3 libfuse3-dev
	libaio-dev libsgutils2-dev libinih-dev libjson-c-dev util-linux)
test_pkgs=(
	# the vm tier (tests/vm): a qemu guest with Debian's kernel package
	qemu-system-x86 busybox-static sg3-utils jq
	libcriterion-dev fio e2fsprogs python3 valgrind systemd man-db groff-base mandoc
	# test-metrics.sh parses `metrics` with its OpenMetrics parser
	python3-prometheus-client)
# contrib/sanitize.sh and tests/fuzz/run.sh: clang, its libFuzzer and
# sanitizer runtimes (only a Recommends of clang-14, so named), and llvm-14
# for llvm-symbolizer, without which clang's reports name no source lines
ci_pkgs=(clang libclang-rt-14-dev llvm-14)

case "${1:-build}" in
build) pkgs=("${build_pkgs[@]}") ;;
test) pkgs=("${build_pkgs[@]}" "${test_pkgs[@]}") ;;
ci) pkgs=("${build_pkgs[@]}" "${test_pkgs[@]}" "${ci_pkgs[@]}") ;;
*) echo "usage: $0 build|test|ci" >&2; exit 2 ;;
esac

if [ "$(id -u)" != 0 ]; then
	echo "install-deps: run as root (apt-get)" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${pkgs[@]}"
