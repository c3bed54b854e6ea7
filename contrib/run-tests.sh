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
status=0
meson test -C build-test --print-errorlogs --num-processes 1 || status=$?
# one plain closing line with the counts, from meson's own log
python3 - build-test/meson-logs/testlog.json <<'PY'
import json, sys
counts = {}
for line in open(sys.argv[1]):
    r = json.loads(line)["result"]
    counts[r] = counts.get(r, 0) + 1
ok = counts.pop("OK", 0)
skipped = counts.pop("SKIP", 0)
print("tests: %d passed, %d failed, %d skipped" % (ok, sum(counts.values()), skipped))
PY
exit $status
