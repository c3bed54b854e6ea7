#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Proves that data written through the multipath device file lands, byte
# for byte and at the right offset, on the shared storage behind every
# path: 32 MiB of random data is written with O_DIRECT through the device
# file (round-robin over 3 loop-device paths, so every path carries writes),
# then read back through the device file and directly, with O_DIRECT,
# through each path's loop device; the bytes around the written range must
# still be zero, and every path must have carried I/O.
. "$(dirname "$0")/lib.sh"

it_require_env sha256sum
it_setup 64M 3
it_write_config "path_selector = round-robin" "rr_min_io = 1"
it_start_daemon

size=$(stat -c %s "$IT_DEV") || it_fail "cannot stat $IT_DEV"
[ "$size" = "$IT_SIZE" ] || it_fail "device file is $size bytes, expected $IT_SIZE"

pattern=$IT_TMP/pattern
dd if=/dev/urandom of="$pattern" bs=1M count=32 status=none || it_fail "urandom"

# 32 MiB at offset 8 MiB: the first 8 MiB and the last 24 MiB stay zero
it_log "writing 32 MiB at offset 8 MiB through $IT_DEV (O_DIRECT, fsync)"
dd if="$pattern" of="$IT_DEV" bs=1M seek=8 oflag=direct conv=notrunc,fsync status=none ||
	it_fail "dd write through the device file failed"

check_range() {	# SOURCE WHAT: compare [8M, 40M) with the pattern, the rest with zeros
	local src=$1 what=$2 out=$IT_TMP/readback
	dd if="$src" of="$out" bs=1M skip=8 count=32 iflag=direct status=none ||
		it_fail "O_DIRECT read of $what failed"
	cmp "$pattern" "$out" || it_fail "data read through $what differs from what was written"
	cmp <(dd if="$src" bs=1M count=8 iflag=direct status=none) <(head -c 8M /dev/zero) ||
		it_fail "$what: the 8 MiB before the written range are not zero"
	cmp <(dd if="$src" bs=1M skip=40 iflag=direct status=none) <(head -c 24M /dev/zero) ||
		it_fail "$what: the 24 MiB after the written range are not zero"
	it_log "$what: byte-exact"
}

check_range "$IT_DEV" "the device file"
for i in "${!IT_PATHS[@]}"; do
	check_range "${IT_PATHS[$i]}" "path ${IT_PATH_NAMES[$i]} (${IT_PATHS[$i]})"
done

# a read with another request size, not a multiple of 1 MiB, ending at the end
sum_dev=$(dd if="$IT_DEV" bs=3M skip=0 iflag=direct status=none | sha256sum | cut -d' ' -f1)
sum_img=$(dd if="${IT_PATHS[0]}" bs=1M iflag=direct status=none | sha256sum | cut -d' ' -f1)
[ "$sum_dev" = "$sum_img" ] ||
	it_fail "whole-device read (3 MiB requests) differs from path a's content"

# round-robin with rr_min_io = 1 must have used every path for the writes
for n in "${IT_PATH_NAMES[@]}"; do
	w=$(it_path_stat "$n" writes)
	r=$(it_path_stat "$n" reads)
	e=$(it_path_stat "$n" errors)
	it_log "path $n: writes=$w reads=$r errors=$e"
	[ -n "$w" ] && [ "$w" -gt 0 ] || it_fail "path $n carried no writes (writes='$w')"
	[ "$e" = 0 ] || it_fail "path $n counted $e errors"
	it_expect_path_state "$n" active
done

it_stop_daemon || it_fail "mpathfs exited with status $? after a clean unmount"
if grep -qE ' (error|warning): ' "$IT_LOG"; then
	it_fail "the daemon logged errors or warnings: $(grep -E ' (error|warning): ' "$IT_LOG" | head -3)"
fi
it_pass
