#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The fault test bed, by hand:
#   tests/faultbed.sh up DIR N SIZE   N paths to one SIZE image under DIR;
#                                     prints one "name device control" line each
#   tests/faultbed.sh down DIR        release every fault, take it all down
# Each path is a loop device (--direct-io=on) over DIR/fN/disk, served by
# its own faultfs; write faults to DIR/fN/control (see tests/README.md).
set -euo pipefail

FAULTFS=${FAULTFS:-$(dirname "$0")/../build/tests/faultfs/faultfs}

up() {
	local dir=$1 n=$2 size=$3 i dev
	mkdir -p "$dir"
	truncate -s "$size" "$dir/image"
	for ((i = 1; i <= n; i++)); do
		mkdir -p "$dir/f$i"
		"$FAULTFS" "$dir/f$i" "$dir/image"
		dev=$(losetup --direct-io=on -f --show "$dir/f$i/disk")
		echo "$dev" > "$dir/f$i.loop"
		echo "p$i $dev $dir/f$i/control"
	done
}

down() {
	local dir=$1 f
	for f in "$dir"/f*/control; do
		[ -e "$f" ] && echo ok > "$f" 2>/dev/null || true
	done
	for f in "$dir"/f*.loop; do
		[ -e "$f" ] && losetup -d "$(cat "$f")" 2>/dev/null || true
		rm -f "$f"
	done
	for f in "$dir"/f*/; do
		mountpoint -q "$f" && { fusermount3 -u "$f" || fusermount3 -uz "$f"; }
	done
	rm -rf "$dir"
}

case "${1:-}" in
up) up "$2" "$3" "$4" ;;
down) down "$2" ;;
*) echo "usage: $0 up DIR N SIZE | down DIR" >&2; exit 2 ;;
esac
