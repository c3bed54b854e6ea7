#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Quick start (2): install the test dependencies, build with -Werror, and
# run the whole test suite (unit and integration). Run as root from the
# source tree; CI runs exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."

./contrib/install-deps.sh test
rm -rf build-test
meson setup build-test -Dtests=true -Dwerror=true
ninja -C build-test
meson test -C build-test --print-errorlogs --num-processes 1
