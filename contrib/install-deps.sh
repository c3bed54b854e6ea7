#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Install what mpathfs needs on Debian 12: `build` for the daemon,
# `test` for the daemon plus everything its test suite runs.
set -euo pipefail

build_pkgs=(meson ninja-build pkg-config gcc libc6-dev fuse3 libfuse3-dev
	libaio-dev libsgutils2-dev libinih-dev libjson-c-dev util-linux)
test_pkgs=(
	# the vm tier (tests/vm): a qemu guest with Debian's kernel package
	qemu-system-x86 busybox-static sg3-utils jq
	libcriterion-dev fio e2fsprogs python3 valgrind systemd man-db groff-base mandoc)

case "${1:-build}" in
build) pkgs=("${build_pkgs[@]}") ;;
test) pkgs=("${build_pkgs[@]}" "${test_pkgs[@]}") ;;
*) echo "usage: $0 build|test" >&2; exit 2 ;;
esac

if [ "$(id -u)" != 0 ]; then
	echo "install-deps: run as root (apt-get)" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${pkgs[@]}"
