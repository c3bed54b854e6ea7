#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Quick start (1): install build dependencies, build, and mount a demo
# multipath device: two loop-device paths over one sparse image, configured
# from etc/mpathfs.ini.example. `demo.sh stop` takes it all down again.
set -euo pipefail
cd "$(dirname "$0")/.."

DEMO=/var/tmp/mpathfs-demo
MNT=/mnt/mpath

stop() {
	if mountpoint -q "$MNT"; then
		fusermount3 -u "$MNT"
	fi
	# the daemon drains and closes its paths after the unmount returns
	for _ in $(seq 50); do
		pgrep -f "mpathfs $MNT " >/dev/null || break
		sleep 0.2
	done
	for i in 0 1; do
		[ -f "$DEMO/loop$i" ] && losetup -d "$(cat "$DEMO/loop$i")" 2>/dev/null || true
	done
	rm -rf "$DEMO"
	echo "demo stopped"
}

if [ "${1:-}" = stop ]; then
	stop
	exit 0
fi
if mountpoint -q "$MNT"; then
	echo "demo: $MNT is already mounted; run '$0 stop' first" >&2
	exit 1
fi

./contrib/install-deps.sh build
[ -d build ] || meson setup build
ninja -C build

mkdir -p "$DEMO" "$MNT"
truncate -s 1G "$DEMO/disk.img"
for i in 0 1; do
	losetup --direct-io=on -f --show "$DEMO/disk.img" > "$DEMO/loop$i"
done
# the example config with its placeholder devices swapped for the demo's
sed -e "s|^device = /dev/loop0|device = $(cat "$DEMO/loop0")|" \
    -e "s|^device = /dev/loop1|device = $(cat "$DEMO/loop1")|" \
    etc/mpathfs.ini.example > "$DEMO/mpath.ini"
./build/mpathfs "$MNT" -c "$DEMO/mpath.ini"

exec 3<>"$MNT/control"
echo "show topology" >&3
cat <&3
exec 3>&-
cat <<EOT

The multipath device is $MNT/mpatha. Try:
  losetup --direct-io=on -f --show $MNT/mpatha
  echo "fail_path a" > $MNT/control; cat $MNT/status
  $0 stop
EOT
