#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# CI check of the operations files; fails on any warning:
#  - contrib/mpathfs@.service: `systemd-analyze verify` of an instance
#    (mpathfs@demo.service), with the man pages of its Documentation= on
#    MANPATH, and ExecStart= pointed at the built daemon (MPATHFS, or
#    build/mpathfs) or, when there is none, at a stand-in script: verify
#    wants the command to exist, and the unit names the installed path;
#  - doc/*.[58]: rendered by man (groff) with its warnings on, and linted
#    with mandoc -Tlint where mandoc is installed;
#  - contrib/mpathctl.bash-completion: parsed by bash -n.
# Installs systemd, man-db and groff-base with apt-get when they are
# missing (as root).
#
#   contrib/check-docs.sh
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
unit=$top/contrib/mpathfs@.service
pages=(doc/mpathfs.8 doc/mpathctl.8 doc/mpathfs.ini.5)
fail=0

# ---------------------------------------------------------------- tools
need=()
command -v systemd-analyze >/dev/null || need+=(systemd)
command -v man >/dev/null || need+=(man-db)
command -v groff >/dev/null || need+=(groff-base)
if [ ${#need[@]} -gt 0 ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "check-docs: missing ${need[*]}; run as root to install them" >&2
		exit 1
	fi
	echo "check-docs: installing ${need[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q >/dev/null &&
		apt-get install -y -q --no-install-recommends "${need[@]}" >/dev/null ||
		{ echo "check-docs: apt-get install ${need[*]} failed" >&2; exit 1; }
fi

tmp=$(mktemp -d /tmp/mpathfs-check-docs.XXXXXX) || exit 1
trap 'rm -rf "$tmp"' EXIT

# report NAME OUTPUT STATUS: print the result of one check, note a failure
report() {
	if [ -n "$2" ] || [ "$3" != 0 ]; then
		echo "FAIL $1 (status $3):"
		printf '%s\n' "$2" | sed 's/^/    /'
		fail=1
	else
		echo "ok   $1"
	fi
}

# ---------------------------------------------------------------- man pages
for p in "${pages[@]}"; do
	out=$(LC_ALL=C.UTF-8 MANROFFSEQ='' MANWIDTH=80 \
		man --warnings -E UTF-8 -l -Tutf8 -Z "$top/$p" 2>&1 >/dev/null)
	report "man --warnings $p" "$out" $?
	if command -v mandoc >/dev/null; then
		out=$(mandoc -Tlint -Wstyle "$top/$p" 2>&1)
		report "mandoc -Tlint $p" "$out" $?
	fi
done
command -v mandoc >/dev/null || echo "note mandoc is not installed: no mandoc -Tlint"

# ---------------------------------------------------------------- unit
mkdir -p "$tmp/man/man5" "$tmp/man/man8" "$tmp/unit"
cp "$top/doc/mpathfs.8" "$top/doc/mpathctl.8" "$tmp/man/man8/"
cp "$top/doc/mpathfs.ini.5" "$tmp/man/man5/"
daemon=${MPATHFS:-$top/build/mpathfs}
if [ ! -x "$daemon" ]; then
	daemon=$tmp/mpathfs
	printf '#!/bin/sh\nexit 0\n' >"$daemon"
	chmod 755 "$daemon"
fi
sed "s|/usr/sbin/mpathfs|$daemon|g" "$unit" >"$tmp/unit/mpathfs@demo.service"
out=$(cd "$tmp/unit" && MANPATH=$tmp/man SYSTEMD_LOG_COLOR=0 \
	systemd-analyze verify --man=yes "$tmp/unit/mpathfs@demo.service" 2>&1)
report "systemd-analyze verify mpathfs@demo.service" "$out" $?

# ---------------------------------------------------------------- completion
out=$(bash -n "$top/contrib/mpathctl.bash-completion" 2>&1)
report "bash -n contrib/mpathctl.bash-completion" "$out" $?

if [ "$fail" != 0 ]; then
	echo "check-docs: FAILED"
	exit 1
fi
echo "check-docs: all checks passed"
