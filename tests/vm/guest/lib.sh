#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Helpers for the vm-tier guest tests (they run inside the qemu guest that
# run-vm.sh boots, as root, with the host's /usr as userland). Source it:
#
#   . "$(dirname "$0")/lib.sh"
#   vm_lun 0 SERIAL             # a fileio LUN on tmpfs
#   vm_path 0; vm_path 0        # two paths to it: each an ALUA port group,
#                               # a tcm_loop target, an sd device
#   vm_write_config "path_checker = tur" ...
#   vm_start_daemon
#   vm_fs_up; vm_writer_start 60  # ext4 on a loop device over the device
#   vm_alua 1 3 ... vm_wait_path a failed faulty 20 ... vm_alua 1 0
#   vm_writer_wait; vm_fs_down  # zero writer errors, fsck clean
#   vm_pass
#
# Paths are numbered from 1 in the order vm_path made them and named a, b,
# c ... in the config. Everything is undone by vm_cleanup from the EXIT
# trap: faults cleared first (so no I/O stays held), then the writer, the
# file system, the loop device, the daemon and the LIO configuration.

export LC_ALL=C
export PATH=/usr/sbin:/usr/bin:/bb

VM_NAME=$(basename "$0" .sh)
VM_NAME=${VM_NAME#test-}
VM_OUT=${VM_OUT_DIR:-/vm/out/$VM_NAME}	# logs, on the host's side of the share
MPATHFS=${MPATHFS:-/vm/bin/mpathfs}
VM_TMP=/tmp/vm-$VM_NAME		# LUN images and scratch (guest tmpfs)
VM_MNT=/run/vm-$VM_NAME/mpath	# the FUSE mount
VM_DEVNAME=mpatha
VM_DEV=$VM_MNT/$VM_DEVNAME
VM_FS=/run/vm-$VM_NAME/fs	# ext4 over the loop device
VM_CFG=$VM_TMP/mpathfs.ini
VM_LOG=""			# the daemon's current log
VM_LOGS=()
VM_DAEMON_PID=""
VM_LOOP=""
VM_CLEANED=0
CFS=/sys/kernel/config/target

VM_LUN_DIR=()		# per LUN: its configfs backstore dir
VM_PATH_DEV=()		# per path (index 1..): /dev/sdX
VM_PATH_TPG=()		# its ALUA port group dir
VM_PATH_TGT=()		# its tcm_loop target (tpgt_1) dir
VM_PATH_LUN=()		# the LUN it reaches
VM_PATH_GROUP=()	# optional "group = " for the config
VM_PATH_NAMES=(_ a b c d e f g h)
VM_SNAP_IO=() VM_SNAP_BLK=() VM_DIO=() VM_DBLK=()

VM_T0=$((${EPOCHREALTIME/./} / 1000))	# ms
VM_DMESG_FROM=$(dmesg | wc -l)	# kernel messages before this test
mkdir -p "$VM_OUT" "$VM_TMP"

# ---------------------------------------------------------------- output

# (time is read with bash's EPOCHREALTIME: under TCG every fork and exec
# costs, so the helpers polling the daemon avoid them where they can)
vm_log() {
	local d=$((${EPOCHREALTIME/./} / 1000 - VM_T0))
	printf '[%s +%4d.%03ds] %s\n' "$VM_NAME" $((d / 1000)) $((d % 1000)) "$*"
}

vm_fail() {
	printf '[%s] FAIL: %s\n' "$VM_NAME" "$*"
	exit 1
}

vm_skip() {
	printf '[%s] SKIP: %s\n' "$VM_NAME" "$*"
	exit 77
}

vm_pass() {
	vm_log "PASS"
	exit 0
}

# vm_ms -> milliseconds since the epoch
vm_ms() {
	echo $((${EPOCHREALTIME/./} / 1000))
}

# vm_since T0 -> seconds (with ms) since T0 (from vm_ms)
vm_since() {
	local d=$((${EPOCHREALTIME/./} / 1000 - $1))
	printf '%d.%03d\n' $((d / 1000)) $((d % 1000))
}

# vm_over T0 SECONDS: true once more than SECONDS have passed since T0
vm_over() {
	[ $((${EPOCHREALTIME/./} / 1000 - $1)) -gt $(($2 * 1000)) ]
}

vm_fcmp() {
	awk -v a="$1" -v b="$3" -v op="$2" 'BEGIN {
		if (op == "<") exit !(a < b); if (op == "<=") exit !(a <= b);
		if (op == ">") exit !(a > b); if (op == ">=") exit !(a >= b); exit 2 }'
}

# ---------------------------------------------------------------- LIO

# vm_lun IDX SERIAL [SIZE_MB]: a fileio backstore (image on the guest's
# tmpfs) whose VPD 0x80 serial, and so its NAA WWID, is SERIAL.
vm_lun() {
	local idx=$1 serial=$2 mb=${3:-128} d
	d=$CFS/core/fileio_$idx/lun$idx
	mkdir -p "$d" || vm_fail "mkdir $d (is target_core_file loaded?)"
	echo "fd_dev_name=$VM_TMP/lun$idx.img,fd_dev_size=$((mb * 1048576))" >"$d/control" ||
		vm_fail "configuring backstore $d"
	echo "$serial" >"$d/wwn/vpd_unit_serial" || vm_fail "setting serial of $d"
	echo 1 >"$d/enable" || vm_fail "enabling $d"
	VM_LUN_DIR[idx]=$d
	vm_log "LUN $idx: $d, ${mb} MiB, serial $serial"
}

# vm_path LUN [PATH]: one more path to LUN: a tcm_loop target with a
# nexus, the LUN mapped as LUN 0, in an ALUA port group of its own
# (tpg_I for path I, implicit and explicit ALUA, active/optimized) or, with
# PATH, in PATH's port group. Waits for the sd device; sets VM_LAST_DEV.
vm_path() {
	local lun=$1 with=${2:-} i d g w addr blk k
	i=$((${#VM_PATH_DEV[@]} + 1))
	d=${VM_LUN_DIR[lun]}
	[ -n "$d" ] || vm_fail "vm_path: no LUN $lun"
	if [ -n "$with" ]; then
		g=${VM_PATH_TPG[with]}
	else
		g=$d/alua/tpg_$i
		mkdir "$g" || vm_fail "mkdir $g"
		echo "$i" >"$g/tg_pt_gp_id" || vm_fail "tg_pt_gp_id of $g"
		echo 3 >"$g/alua_access_type" || vm_fail "alua_access_type of $g"
	fi
	w=$CFS/loopback/naa.50014050000000$(printf %02x "$i")/tpgt_1
	mkdir -p "$w/lun/lun_0" || vm_fail "mkdir $w/lun/lun_0"
	# the nexus before the LUN link
	echo "naa.50014051000000$(printf %02x "$i")" >"$w/nexus" || vm_fail "nexus of $w"
	ln -s "$d" "$w/lun/lun_0/port0" || vm_fail "linking $d into $w"
	echo "${g##*/}" >"$w/lun/lun_0/alua_tg_pt_gp" || vm_fail "alua_tg_pt_gp of $w"
	addr=$(cat "$w/address") || vm_fail "no $w/address"
	blk=""
	for ((k = 0; k < 100; k++)); do
		blk=$(ls "/sys/class/scsi_device/$addr:0/device/block/" 2>/dev/null | head -n 1)
		[ -n "$blk" ] && [ -b "/dev/$blk" ] && break
		sleep 0.1
	done
	[ -n "$blk" ] && [ -b "/dev/$blk" ] || vm_fail "no sd device for path $i ($addr:0) after 10 s"
	VM_PATH_DEV[i]=/dev/$blk
	VM_PATH_TPG[i]=$g
	VM_PATH_TGT[i]=$w
	VM_PATH_LUN[i]=$lun
	VM_LAST_DEV=/dev/$blk
	vm_log "path $i (${VM_PATH_NAMES[i]}): /dev/$blk = $addr:0, LUN $lun, port group ${g##*/}"
}

# vm_paths N: LUN 0 (128 MiB) and N paths to it.
vm_paths() {
	local n=$1 k
	vm_lun 0 0123456789abcdef0123456789abcdef
	for ((k = 0; k < n; k++)); do
		vm_path 0
	done
}

# WWID of a path as the kernel sees it (VPD 0x83), e.g. naa.6001405...
vm_wwid() {
	tr -d ' \n' 2>/dev/null <"/sys/block/${VM_PATH_DEV[$1]#/dev/}/device/wwid"
}

# vm_alua PATH STATE: set the ALUA state of the path's port group
# (0 active/optimized, 1 active/non-optimized, 2 standby, 3 unavailable,
# 15 transitioning).
vm_alua() {
	echo "$2" >"${VM_PATH_TPG[$1]}/alua_access_state" ||
		vm_fail "setting alua_access_state $2 on path $1"
	vm_log "path $1 (${VM_PATH_NAMES[$1]}): port group state $2"
}

# vm_alua_get PATH -> the state number of the path's port group
vm_alua_get() {
	local st
	read -r st _ <"${VM_PATH_TPG[$1]}/alua_access_state"
	echo "$st"
}

# vm_port_offline PATH 1|0: the target port's secondary offline state
vm_port_offline() {
	echo "$2" >"${VM_PATH_TGT[$1]}/lun/lun_0/alua_tg_pt_offline" ||
		vm_fail "setting alua_tg_pt_offline $2 on path $1"
	vm_log "path $1 (${VM_PATH_NAMES[$1]}): port offline = $2"
}

# vm_transport PATH online|offline: the tcm_loop transport (I_T nexus)
vm_transport() {
	echo "$2" >"${VM_PATH_TGT[$1]}/transport_status" ||
		vm_fail "setting transport_status $2 on path $1"
	vm_log "path $1 (${VM_PATH_NAMES[$1]}): transport $2"
}

# Clear every fault: all port groups active/optimized, ports and
# transports online.
vm_clear_faults() {
	local i
	for i in "${!VM_PATH_TGT[@]}"; do
		echo online >"${VM_PATH_TGT[$i]}/transport_status" 2>/dev/null
		echo 0 >"${VM_PATH_TGT[$i]}/lun/lun_0/alua_tg_pt_offline" 2>/dev/null
		echo 0 >"${VM_PATH_TPG[$i]}/alua_access_state" 2>/dev/null
	done
	return 0
}

vm_lio_teardown() {
	local i idx w d
	for i in $(printf '%s\n' "${!VM_PATH_TGT[@]}" | sort -rn); do
		w=${VM_PATH_TGT[$i]:-}
		[ -n "$w" ] && [ -d "$w" ] || continue
		rm -f "$w/lun/lun_0/port0"
		rmdir "$w/lun/lun_0" 2>/dev/null
		echo NULL >"$w/nexus" 2>/dev/null
		rmdir "$w" "$(dirname "$w")" 2>/dev/null
		rmdir "${VM_PATH_TPG[$i]}" 2>/dev/null
	done
	for idx in "${!VM_LUN_DIR[@]}"; do
		d=${VM_LUN_DIR[$idx]}
		rmdir "$d" "$(dirname "$d")" 2>/dev/null
		rm -f "$VM_TMP/lun$idx.img"
	done
	VM_PATH_DEV=() VM_PATH_TPG=() VM_PATH_TGT=() VM_LUN_DIR=()
	return 0
}

# ---------------------------------------------------------------- daemon

# vm_write_config [MULTIPATH_LINES...]: one [path X] per path (device =
# its sd device, group = VM_PATH_GROUP[i] if set), the lines in
# [multipath]; VM_CFG_TAIL (e.g. [group] sections) is appended.
vm_write_config() {
	local i line
	{
		echo "; written by the vm test $VM_NAME"
		echo "[multipath]"
		echo "name = $VM_DEVNAME"
		for line in "$@"; do
			echo "$line"
		done
		for ((i = 1; i <= ${#VM_PATH_DEV[@]}; i++)); do
			echo
			echo "[path ${VM_PATH_NAMES[i]}]"
			echo "device = ${VM_PATH_DEV[i]}"
			[ -n "${VM_PATH_GROUP[i]:-}" ] && echo "group = ${VM_PATH_GROUP[i]}"
		done
		[ -n "${VM_CFG_TAIL:-}" ] && printf '\n%s\n' "$VM_CFG_TAIL"
	} >"$VM_CFG"
	cp "$VM_CFG" "$VM_OUT/mpathfs.ini"
}

vm_mounted() {
	awk -v m="$1" '$2 == m { f = 1 } END { exit !f }' /proc/mounts
}

# vm_start_daemon: mpathfs in the foreground (-v, or MPATHFS_VM_DAEMON_ARGS),
# in the background; wait (20 s at most) for the device file.
vm_start_daemon() {
	local i
	mkdir -p "$VM_MNT"
	VM_LOG=$VM_OUT/daemon.${#VM_LOGS[@]}.log
	VM_LOGS+=("$VM_LOG")
	# shellcheck disable=SC2086 # MPATHFS_VM_DAEMON_ARGS: words, e.g. "-v -v"
	"$MPATHFS" "$VM_MNT" -c "$VM_CFG" -f ${MPATHFS_VM_DAEMON_ARGS:--v} >"$VM_LOG" 2>&1 &
	VM_DAEMON_PID=$!
	for ((i = 0; i < 200; i++)); do
		if [ -e "$VM_DEV" ] && vm_mounted "$VM_MNT"; then
			vm_log "daemon $VM_DAEMON_PID serving $VM_DEV"
			return 0
		fi
		if ! kill -0 "$VM_DAEMON_PID" 2>/dev/null; then
			wait "$VM_DAEMON_PID"
			local rc=$?
			VM_DAEMON_PID=""
			vm_fail "mpathfs exited ($rc) before the device file appeared: $(tail -n 5 "$VM_LOG")"
		fi
		sleep 0.1
	done
	vm_fail "the device file $VM_DEV did not appear within 20 s"
}

# vm_stop_daemon: clean stop (unmount), wait up to 30 s for the exit.
vm_stop_daemon() {
	local pid=$VM_DAEMON_PID i rc
	[ -n "$pid" ] || return 0
	vm_mounted "$VM_MNT" && { fusermount3 -u "$VM_MNT" || umount "$VM_MNT"; }
	for ((i = 0; i < 300; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		VM_DAEMON_PID=""
		vm_fail "mpathfs did not exit within 30 s of the unmount"
	fi
	wait "$pid"
	rc=$?
	VM_DAEMON_PID=""
	vm_log "daemon $pid exited with status $rc"
	return $rc
}

# vm_ctl COMMAND...: write one command to control, print the reply read
# back on the same fd; non-zero if the write was refused.
vm_ctl() {
	local fd rc=0 reply
	[ -e "$VM_MNT/control" ] || { echo "vm_ctl: no $VM_MNT/control" >&2; return 2; }
	exec {fd}<>"$VM_MNT/control" || return 2
	printf '%s\n' "$*" >&"$fd" 2>/dev/null || rc=1
	# (cat, not bash's read: read takes a buffer and seeks back, which a
	# reply stream need not honour)
	reply=$(timeout 30 cat <&"$fd") || { [ $? = 124 ] && rc=3; }
	exec {fd}>&-
	printf '%s\n' "$reply"
	[ "$rc" = 3 ] && echo "vm_ctl: no reply to '$*' within 30 s" >&2
	return $rc
}

vm_ctl_ok() {
	local out
	out=$(vm_ctl "$@") || vm_fail "control command '$*' was refused: $out"
	case $out in
	ok*) ;;
	*) vm_fail "control command '$*' answered '$out', not ok" ;;
	esac
}

# vm_json WHAT: "show WHAT json", checked to be JSON (kept in VM_JSON)
vm_json() {
	local out
	out=$(vm_ctl show "$1" json) || { echo "vm_json: 'show $1 json' failed: $out" >&2; return 1; }
	printf '%s\n' "$out"
}

# vm_pfield NAME FIELD -> one field of one path in "show paths json"
vm_pfield() {
	vm_json paths | jq -r --arg n "$1" --arg f "$2" '.paths[] | select(.name == $n) | .[$f]'
}

# vm_io_count NAME -> reads + writes completed on a path
vm_io_count() {
	vm_json paths | jq -r --arg n "$1" '.paths[] | select(.name == $n) | .reads + .writes'
}

vm_paths_summary() {
	vm_json paths | jq -r '.paths[] | "\(.name) \(.device) \(.group) \(.state)/\(.checker_state) r=\(.reads) w=\(.writes) err=\(.errors) inflight=\(.inflight_ios)"'
}

vm_groups_summary() {
	vm_json topology | jq -r '.groups[] | "group \(.num) \(.name) prio=\(.priority) \(.state) paths=\([.paths[].name] | join(","))"'
}

# vm_group_of NAME -> number of the group that holds path NAME
vm_group_of() {
	vm_json topology | jq -r --arg n "$1" '.groups[] | select(any(.paths[]; .name == $n)) | .num'
}

# vm_active_group -> number of the group I/O goes to (state "active")
vm_active_group() {
	vm_json topology | jq -r '[.groups[] | select(.state == "active") | .num] | join(",")'
}

# vm_group_prio NUM -> the group's priority
vm_group_prio() {
	vm_json topology | jq -r --argjson g "$1" '.groups[] | select(.num == $g) | .priority'
}

# vm_group_paths NUM -> the names of the group's paths, "a,b"
vm_group_paths() {
	vm_json topology | jq -r --argjson g "$1" '.groups[] | select(.num == $g) | [.paths[].name] | join(",")'
}

# vm_blk_issued PATH -> I/Os the block layer of the path's sd device has
# taken from above (completed reads, writes, discards, flushes, plus those
# in flight). SCSI pass-through (the tur checker, RTPG, STPG) is not
# counted there: this counts only the daemon's data I/O.
vm_blk_issued() {
	local f
	read -r -a f <"/sys/block/${VM_PATH_DEV[$1]#/dev/}/stat"
	echo $((f[0] + f[4] + f[8] + ${f[11]:-0} + ${f[15]:-0}))
}

# vm_io_snap: per path i, VM_SNAP_IO[i] (mpathfs's reads + writes) and
# VM_SNAP_BLK[i] (vm_blk_issued), from one "show paths json".
vm_io_snap() {
	local i kv n json
	declare -gA VM_SNAP_BYNAME=()
	json=$(vm_json paths) || vm_fail "show paths json failed: $json"
	for kv in $(jq -r '.paths[] | "\(.name)=\(.reads + .writes)"' <<<"$json"); do
		VM_SNAP_BYNAME[${kv%%=*}]=${kv#*=}
	done
	for ((i = 1; i <= ${#VM_PATH_DEV[@]}; i++)); do
		n=${VM_PATH_NAMES[i]}
		[ -n "${VM_SNAP_BYNAME[$n]:-}" ] || vm_fail "no path $n in show paths json: $json"
		VM_SNAP_IO[i]=${VM_SNAP_BYNAME[$n]}
		VM_SNAP_BLK[i]=$(vm_blk_issued "$i")
	done
}

# vm_io_window SECONDS: the I/O each path completed (mpathfs's counters:
# reads + writes) and the block layer took (vm_blk_issued) over SECONDS.
# Sets VM_DIO[i] and VM_DBLK[i] for path i, and prints them.
vm_io_window() {
	local secs=$1 i line="" before=() bbefore=() t0
	vm_io_snap
	t0=$(vm_ms)
	for ((i = 1; i <= ${#VM_PATH_DEV[@]}; i++)); do
		before[i]=${VM_SNAP_IO[i]}
		bbefore[i]=${VM_SNAP_BLK[i]}
	done
	sleep "$secs"
	vm_io_snap
	for ((i = 1; i <= ${#VM_PATH_DEV[@]}; i++)); do
		VM_DIO[i]=$((VM_SNAP_IO[i] - before[i]))
		VM_DBLK[i]=$((VM_SNAP_BLK[i] - bbefore[i]))
		line+=" ${VM_PATH_NAMES[i]}: ${VM_DIO[i]} I/Os (block layer ${VM_DBLK[i]})"
	done
	vm_log "over $(vm_since "$t0") s:$line"
}

# vm_wait_until SECONDS WHAT COMMAND...: run COMMAND every half second
# until it succeeds; fail the test ("WHAT did not happen within SECONDS s")
# only when a run begun after the deadline fails too (a slow guest may
# take long over one run).
vm_wait_until() {
	local secs=$1 what=$2 t0 late
	shift 2
	t0=$(vm_ms)
	while :; do
		late=0
		vm_over "$t0" "$secs" && late=1
		if "$@"; then
			VM_WAITED=$(vm_since "$t0")
			return 0
		fi
		if [ "$late" = 1 ]; then
			vm_groups_summary
			vm_paths_summary
			vm_fail "$what did not happen within $secs s"
		fi
		sleep 0.5
	done
}

# vm_wait_path NAME STATE CHECKER_STATE SECONDS: wait until the path shows
# both (an empty CHECKER_STATE matches any). Fails the test after SECONDS.
vm_wait_path() {
	local n=$1 want=$2 wantck=$3 secs=$4 t0 got late
	t0=$(vm_ms)
	while :; do
		# a slow guest may take long over one look: fail only on a look
		# begun after the deadline
		late=0
		vm_over "$t0" "$secs" && late=1
		got=$(vm_json paths | jq -r --arg n "$n" '.paths[] | select(.name == $n) | "\(.state) \(.checker_state)"')
		if [ "${got% *}" = "$want" ] && { [ -z "$wantck" ] || [ "${got#* }" = "$wantck" ]; }; then
			vm_log "path $n is $got after $(vm_since "$t0") s"
			return 0
		fi
		if [ "$late" = 1 ]; then
			vm_paths_summary
			vm_fail "path $n is '$got' after $secs s, expected '$want ${wantck:-*}'"
		fi
		sleep 0.5
	done
}

# ---------------------------------------------------------------- I/O

# vm_fs_up [MB]: a direct-I/O loop device over the device file (its first
# MB MiB only, if given), ext4 on it, mounted on VM_FS.
vm_fs_up() {
	local limit=()
	[ -n "${1:-}" ] && limit=(--sizelimit "$(($1 * 1048576))")
	VM_LOOP=$(losetup --direct-io=on "${limit[@]}" -f --show "$VM_DEV") ||
		vm_fail "losetup --direct-io=on $VM_DEV failed"
	# inode tables zeroed now: no ext4lazyinit I/O during the faults
	mkfs.ext4 -q -F -E nodiscard,lazy_itable_init=0,lazy_journal_init=0 "$VM_LOOP" ||
		vm_fail "mkfs.ext4 $VM_LOOP failed"
	mkdir -p "$VM_FS"
	mount -o nodiscard,noinit_itable,lazytime "$VM_LOOP" "$VM_FS" || vm_fail "mount $VM_LOOP failed"
	vm_log "ext4 on $VM_LOOP (over $VM_DEV) mounted on $VM_FS"
}

# vm_fs_down: unmount, fsck (must be clean), detach the loop device.
vm_fs_down() {
	umount "$VM_FS" || vm_fail "umount $VM_FS failed"
	e2fsck -fn "$VM_LOOP" >"$VM_OUT/e2fsck.log" 2>&1 ||
		{ cat "$VM_OUT/e2fsck.log"; vm_fail "e2fsck -fn $VM_LOOP found problems"; }
	losetup -d "$VM_LOOP" || vm_fail "losetup -d $VM_LOOP failed"
	VM_LOOP=""
	vm_log "file system unmounted, e2fsck clean"
}

# vm_seed: an 8 MiB file of random data and its checksum, checked again by
# vm_seed_check (read with O_DIRECT, so through the paths).
vm_seed() {
	dd if=/dev/urandom of="$VM_FS/seed" bs=1M count=8 status=none conv=fsync ||
		vm_fail "writing the seed file failed"
	VM_SEED_SUM=$(sha256sum <"$VM_FS/seed" | cut -d' ' -f1)
}

vm_seed_check() {
	local sum
	sum=$(dd if="$VM_FS/seed" bs=1M iflag=direct status=none | sha256sum | cut -d' ' -f1)
	[ "$sum" = "$VM_SEED_SUM" ] || vm_fail "the seed file reads back wrong ($sum, wrote $VM_SEED_SUM)"
	vm_log "seed file reads back intact"
}

# The verifying writers are fio jobs: random 4 KiB writes with O_DIRECT
# and libaio, each block verified (crc32c) within 64 writes of being
# written, stopping at the first error or bad block. Each has a TAG;
# its files are $VM_OUT/fio-TAG.{raw,json,out,err}.
declare -A VM_FIO_PID=() VM_FIO_SECS=()

# vm_fio_start TAG SECONDS DIR FIO_ARGS...: start one in the background.
vm_fio_start() {
	local tag=$1 secs=$2 dir=$3
	shift 3
	VM_FIO_SECS[$tag]=$secs
	(cd "$dir" && exec fio --name="vm$tag" --rw=randwrite --bs=4k --ioengine=libaio \
		--iodepth=4 --direct=1 \
		--verify=crc32c --verify_backlog=64 --verify_fatal=1 --verify_state_save=0 \
		--time_based --runtime="$secs" --output-format=json \
		--output="$VM_OUT/fio-$tag.raw" "$@" >"$VM_OUT/fio-$tag.out" 2>"$VM_OUT/fio-$tag.err") &
	VM_FIO_PID[$tag]=$!
	vm_log "writer $tag (fio, pid $!) runs for up to $secs s"
}

# vm_fio_end TAG wait|stop: wait for the job to end by itself, or end it
# now (SIGINT: fio stops cleanly and still reports). Fails the test unless
# fio had no error and did I/O. Sets VM_FIO_IOS and VM_FIO_CLAT_MAX
# (seconds, the slowest write).
vm_fio_end() {
	local tag=$1 how=$2 pid=${VM_FIO_PID[$1]:-} i lim rc stopped=0
	[ -n "$pid" ] || vm_fail "no writer $tag running"
	if [ "$how" = stop ] && kill -0 "$pid" 2>/dev/null; then
		kill -INT "$pid"
		stopped=1
		lim=60
	else
		lim=$((VM_FIO_SECS[$tag] + 120))
	fi
	for ((i = 0; i < lim * 10; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		vm_paths_summary
		vm_fail "the writer $tag did not end within $lim s (I/O hung?)"
	fi
	wait "$pid"
	rc=$?
	unset 'VM_FIO_PID[$tag]'
	vm_fio_check "$tag" "$rc" "$stopped"
}

# vm_fio_check TAG STATUS STOPPED
vm_fio_check() {
	local tag=$1 rc=$2 stopped=$3 err ios how json=$VM_OUT/fio-$1.json
	# ended by SIGINT, fio exits non-zero and notes the signal before the
	# JSON: the JSON's error field tells
	if [ "$rc" != 0 ] && ! { [ "$stopped" = 1 ] && [ "$rc" -ge 128 ]; }; then
		tail -n 20 "$VM_OUT/fio-$tag.err" "$VM_OUT/fio-$tag.out" 2>/dev/null
		vm_fail "the writer $tag (fio) failed with status $rc"
	fi
	sed -n '/^{/,$p' "$VM_OUT/fio-$tag.raw" >"$json" 2>/dev/null
	err=$(jq -r '.jobs[0].error' "$json" 2>/dev/null)
	if [ "$err" != 0 ]; then
		tail -n 20 "$VM_OUT/fio-$tag.err" 2>/dev/null
		vm_fail "the writer $tag reports error '$err' (fio status $rc)"
	fi
	if grep -qiE 'error|verify|bad magic|crc' "$VM_OUT/fio-$tag.err" 2>/dev/null; then
		cat "$VM_OUT/fio-$tag.err"
		vm_fail "the writer $tag reports a problem (fio status $rc)"
	fi
	ios=$(jq -r '.jobs[0].write.total_ios' "$json")
	VM_FIO_IOS=$ios
	VM_FIO_CLAT_MAX=$(jq -r '.jobs[0].write.clat_ns.max / 1e9' "$json")
	[ "${ios:-0}" -gt 0 ] 2>/dev/null || vm_fail "the writer $tag did no I/O"
	how="verified as it went"
	[ "$(jq -r '.jobs[0]["job options"].verify' "$json")" = 0 ] && how="not verified"
	vm_log "writer $tag done: $ios writes, $how, 0 errors, slowest write ${VM_FIO_CLAT_MAX} s"
}

# vm_writer_start SECONDS [FIO ARGS...]: the ext4 writer (tag fs), on a
# 24 MiB file written out in full first (no unwritten extents to convert,
# so its writes need no journal commit).
vm_writer_start() {
	local secs=$1
	shift
	vm_fio_start fs "$secs" "$VM_FS" --filename=vmwriter.dat --size=24M --fallocate=none "$@"
}

# vm_writer_wait / vm_writer_stop: end the ext4 writer (see vm_fio_end);
# set VM_WRITER_IOS and VM_WRITER_CLAT_MAX.
vm_writer_wait() {
	vm_fio_end fs wait
	VM_WRITER_IOS=$VM_FIO_IOS VM_WRITER_CLAT_MAX=$VM_FIO_CLAT_MAX
}

vm_writer_stop() {
	vm_fio_end fs stop
	VM_WRITER_IOS=$VM_FIO_IOS VM_WRITER_CLAT_MAX=$VM_FIO_CLAT_MAX
}

# Kernel-side errors above mpathfs: the loop device or ext4 saw an error.
vm_check_kernel_errors() {
	local l
	l=$(dmesg | tail -n +$((VM_DMESG_FROM + 1)) | grep -E 'I/O error, dev loop|Buffer I/O error on dev loop|EXT4-fs (error|warning).*loop|blk_update_request.*loop' | head -n 5)
	[ -z "$l" ] || vm_fail "the kernel saw errors above mpathfs: $l"
}

# ---------------------------------------------------------------- cleanup

vm_print_logs() {
	local l
	for l in "${VM_LOGS[@]}"; do
		[ -f "$l" ] || continue
		echo "----- daemon log $(basename "$l") (last 40 lines but 'Operation not supported'; all in $l) -----"
		grep -v 'Operation not supported' "$l" | tail -n 40
	done
	echo "----- dmesg (this test's last 25 lines) -----"
	dmesg | tail -n +$((VM_DMESG_FROM + 1)) | tail -n 25
	echo "-----"
}

vm_cleanup() {
	local rc=$?
	[ "$VM_CLEANED" = 1 ] && return
	VM_CLEANED=1
	trap - EXIT TERM INT
	set +e
	if [ "$rc" != 0 ] && [ "$rc" != 77 ]; then
		vm_log "test failed (status $rc); cleaning up"
		[ -e "$VM_MNT/control" ] && { vm_paths_summary; vm_groups_summary; } 2>/dev/null
		vm_print_logs
	fi
	# nothing may stay held: faults off, queueing off
	vm_clear_faults
	[ -e "$VM_MNT/control" ] && timeout 5 bash -c "printf 'fail_if_no_path\n' >'$VM_MNT/control'" 2>/dev/null
	for i in "${VM_FIO_PID[@]}"; do
		kill -KILL "$i" 2>/dev/null
		wait "$i" 2>/dev/null
	done
	# fio's last I/O may still hold the file system for a moment
	for ((i = 0; i < 20; i++)); do
		vm_mounted "$VM_FS" || break
		umount "$VM_FS" 2>/dev/null && break
		sleep 0.5
	done
	vm_mounted "$VM_FS" && umount -l "$VM_FS"
	if [ -n "$VM_LOOP" ]; then
		for ((i = 0; i < 20; i++)); do
			losetup -d "$VM_LOOP" 2>/dev/null && break
			sleep 0.5
		done
	fi
	if [ -n "$VM_DAEMON_PID" ]; then
		for ((i = 0; i < 20; i++)); do
			vm_mounted "$VM_MNT" || break
			fusermount3 -u "$VM_MNT" 2>/dev/null && break
			sleep 0.5
		done
		vm_mounted "$VM_MNT" && kill -TERM "$VM_DAEMON_PID" 2>/dev/null
		for ((i = 0; i < 100; i++)); do
			kill -0 "$VM_DAEMON_PID" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$VM_DAEMON_PID" 2>/dev/null
		wait "$VM_DAEMON_PID" 2>/dev/null
	fi
	vm_mounted "$VM_MNT" && { fusermount3 -uz "$VM_MNT" 2>/dev/null || umount -l "$VM_MNT"; }
	# the guest's last test leaves the SCSI targets to the power-off
	if [ "${VM_LAST_TEST:-0}" != 1 ]; then
		vm_lio_teardown
		rm -rf "$VM_TMP"
	fi
	exit "$rc"
}

trap vm_cleanup EXIT
trap 'exit 143' TERM
trap 'exit 130' INT
