#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# contrib/bench/run.sh: mpathfs side by side with the raw device, a reference
# FUSE passthrough and nbdfuse, in one run on one backing image; then the
# selector-quality and memory scenarios. Not part of the test suite. Root.
#
#   contrib/bench/run.sh [--quick] [--reps N] [--runtime S] [--ramp S]
#                        [--size SIZE] [--out DIR] [--targets LIST]
#                        [--build DIR] [--sel-runtime S] [--selectors LIST]
#                        [--workloads LIST] [--queued N] [--no-nbd] [--no-perf]
#                        [--no-matrix] [--no-selector] [--no-memory]
#
#   --quick        smoke run: 512M image, 3 s runs, 1 s ramp, 1 repetition,
#                  2000 queued I/Os (defaults: 2G, 10 s, 2 s, 3, 10000)
#   --targets      comma list of raw,null,ref,ref+loop,nbd,mp1,mp1+loop,mp2,mp2+loop
#                  (default: all; nbd only where nbdfuse and nbdkit install)
#   --build DIR    the meson build dir whose mpathfs is measured (default
#                  build, or $MPATHFS_BUILD; relative to the source tree)
#   --workloads    comma list of randread,randwrite,seqread,seqwrite (default: all)
#   --selectors    comma list for the selector scenario (default: all five)
#   --no-matrix    skip the throughput matrix and perf (selector, memory only)
#   --out DIR      results (default /var/tmp/mpathfs-bench-out/DATE-TIME):
#                  report.md (everything), table.txt, summary.csv (medians),
#                  results.csv (every run), chart.png, selectors.csv,
#                  memory.txt, perf-*.txt, logs/
#
# See contrib/bench/README.md for what is measured and how.
set -uo pipefail
export LC_ALL=C
PATH=$PATH:/usr/sbin:/sbin

HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
START_TS=$(date +%Y%m%d-%H%M%S)

QUICK=0
REPS=3
RUNTIME=10
RAMP=2
SIZE=2G
OUT=""
TARGETS="raw,null,ref,ref+loop,nbd,mp1,mp1+loop,mp2,mp2+loop"
SEL_RUNTIME=""
QUEUED=10000
BUILD=${MPATHFS_BUILD:-build}
SELECTORS="round-robin,queue-length,service-time,historical-service-time,failover"
WORKLOADS="randread,randwrite,seqread,seqwrite"
DO_NBD=1
DO_MATRIX=1
DO_PERF=1
DO_SEL=1
DO_MEM=1
ARGS=("$@")

usage() {
	sed -n '4,28p' "$0" | sed 's/^# \{0,1\}//'
	exit 2
}

while [ $# -gt 0 ]; do
	case $1 in
	--quick) QUICK=1; REPS=1; RUNTIME=3; RAMP=1; SIZE=512M; QUEUED=2000 ;;
	--reps) REPS=$2; shift ;;
	--runtime) RUNTIME=$2; shift ;;
	--ramp) RAMP=$2; shift ;;
	--size) SIZE=$2; shift ;;
	--out) OUT=$2; shift ;;
	--targets) TARGETS=$2; shift ;;
	--build) BUILD=$2; shift ;;
	--selectors) SELECTORS=$2; shift ;;
	--workloads) WORKLOADS=$2; shift ;;
	--no-matrix) DO_MATRIX=0 ;;
	--sel-runtime) SEL_RUNTIME=$2; shift ;;
	--queued) QUEUED=$2; shift ;;
	--no-nbd) DO_NBD=0 ;;
	--no-perf) DO_PERF=0 ;;
	--no-selector) DO_SEL=0 ;;
	--no-memory) DO_MEM=0 ;;
	-h | --help) usage ;;
	*) echo "run.sh: unknown option '$1'" >&2; usage ;;
	esac
	shift
done
SEL_RUNTIME=${SEL_RUNTIME:-$RUNTIME}
OUT=${OUT:-/var/tmp/mpathfs-bench-out/$START_TS}
# no matrix: no throughput targets (and so no perf on them)
[ "$DO_MATRIX" = 1 ] || { TARGETS=""; DO_PERF=0; }

log() { printf '[bench %s] %s\n' "$(date +%T)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
has_target() { [[ ",$TARGETS," == *",$1,"* ]]; }

[ "$(id -u)" = 0 ] || die "run as root (FUSE mounts, loop devices, apt-get)"
[ -c /dev/fuse ] || die "no /dev/fuse"
# fusectl, to abort a FUSE connection that cannot be unmounted (left mounted)
mountpoint -q /sys/fs/fuse/connections || mount -t fusectl none /sys/fs/fuse/connections 2>/dev/null

# ------------------------------------------------------------ dependencies

install_missing() {
	local want=() pkg
	command -v fio >/dev/null || want+=(fio)
	command -v gnuplot >/dev/null || want+=(gnuplot-nox)
	command -v python3 >/dev/null || want+=(python3)
	command -v gcc >/dev/null || want+=(gcc libc6-dev)
	command -v pkg-config >/dev/null || want+=(pkg-config)
	pkg-config --exists fuse3 2>/dev/null || want+=(libfuse3-dev fuse3)
	[ -e /usr/include/libaio.h ] || want+=(libaio-dev)
	command -v ninja >/dev/null || want+=(ninja-build)
	command -v meson >/dev/null || want+=(meson)
	command -v losetup >/dev/null || want+=(util-linux)
	if [ ${#want[@]} -gt 0 ]; then
		log "installing: ${want[*]}"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${want[@]}" >&2 ||
			{ apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive \
				apt-get install -y -q --no-install-recommends "${want[@]}" >&2; } ||
			die "apt-get install ${want[*]} failed"
	fi
	if [ "$DO_NBD" = 1 ] && has_target nbd &&
		! { command -v nbdfuse >/dev/null && command -v nbdkit >/dev/null; }; then
		log "installing the optional libnbd-bin and nbdkit"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
			libnbd-bin nbdkit >&2 || log "could not install nbdfuse/nbdkit: skipping nbd"
	fi
	for pkg in fio gnuplot python3 gcc; do
		command -v $pkg >/dev/null || die "$pkg is still missing"
	done
}

# ------------------------------------------------------------ resources
#
# Everything made is recorded here and released by cleanup() from the EXIT
# trap, whatever way the run ends (error, Ctrl-C, TERM): held I/O first
# (faults cleared, paths reinstated), then background jobs, loop devices
# over FUSE files, the FUSE mounts (newest first), the loop devices over
# the image and the faultfs disks, the faultfs mounts, the work dir.

WORK=""
BG_PIDS=()		# fio, aioq, perf
DEV_LOOPS=()		# loop devices over FUSE files
IMG_LOOPS=()		# loop devices over the image / faultfs disks
MOUNTS=()		# "PID MOUNTPOINT KIND" of refpt / nbdfuse / mpathfs
FAULT_MOUNTS=()		# "PID MOUNTPOINT" of faultfs
CLEANED=0

# fuse_conn_abort MNT: abort the FUSE connection of MNT (its requests fail
# with ENOTCONN). The connection's number comes from mountinfo, not stat(2),
# which would hang on a server that answers nothing.
fuse_conn_abort() {
	local dev
	dev=$(awk -v m="$1" '$5 == m { split($3, d, ":"); print d[1] * 1048576 + d[2]; exit }' \
		/proc/self/mountinfo)
	[ -n "$dev" ] && [ -w "/sys/fs/fuse/connections/$dev/abort" ] &&
		echo 1 >"/sys/fs/fuse/connections/$dev/abort"
	return 0
}

mounted() { awk -v m="$1" '$2 == m { f = 1 } END { exit !f }' /proc/mounts; }

# ctl MNT COMMAND: one control command, the reply on stdout; 5 s at most.
ctl() {
	timeout -k 1 5 bash -c 'exec 3<>"$1/control" || exit 2
		printf "%s\n" "$2" >&3 || r=1; cat <&3; exit ${r:-0}' _ "$1" "$2"
}

# stop_fuse PID MNT: unmount, wait for the server, force it if it hangs.
stop_fuse() {
	local pid=$1 mnt=$2 i
	if mounted "$mnt"; then
		timeout 10 fusermount3 -u "$mnt" 2>/dev/null || {
			fuse_conn_abort "$mnt"
			fusermount3 -uz "$mnt" 2>/dev/null || umount -l "$mnt" 2>/dev/null
		}
	fi
	for ((i = 0; i < 100; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		log "server $pid on $mnt did not exit: killing it"
		kill -TERM "$pid" 2>/dev/null
		sleep 1
		kill -KILL "$pid" 2>/dev/null
	fi
	wait "$pid" 2>/dev/null
	mounted "$mnt" && { fusermount3 -uz "$mnt" 2>/dev/null || umount -l "$mnt" 2>/dev/null; }
	return 0
}

forget_mount() {
	local i
	for i in "${!MOUNTS[@]}"; do
		[ "${MOUNTS[$i]%% *}" = "$1" ] && unset 'MOUNTS[i]'
	done
	MOUNTS=("${MOUNTS[@]}")
}

cleanup() {
	local rc=$? m pid mnt kind l i
	[ "$CLEANED" = 1 ] && return
	CLEANED=1
	trap '' INT TERM HUP PIPE
	set +e
	[ "$rc" != 0 ] && log "ending with status $rc: cleaning up"
	# 1. held I/O: faults cleared, every path back, no queueing
	for m in "${FAULT_MOUNTS[@]}"; do
		[ -e "${m#* }/control" ] && timeout 3 bash -c 'echo ok > "$1/control"' _ "${m#* }" 2>/dev/null
	done
	for m in "${MOUNTS[@]}"; do
		read -r pid mnt kind <<<"$m"
		[ "$kind" = mpathfs ] && mounted "$mnt" || continue
		for l in a b c d; do ctl "$mnt" "reinstate_path $l" >/dev/null 2>&1; done
		ctl "$mnt" fail_if_no_path >/dev/null 2>&1
	done
	# 2. background jobs
	for pid in "${BG_PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null
	done
	for pid in "${BG_PIDS[@]}"; do
		timeout 10 tail --pid="$pid" -f /dev/null 2>/dev/null || kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	# 3. loop devices over FUSE files
	for l in "${DEV_LOOPS[@]}"; do
		losetup -d "$l" 2>/dev/null
	done
	# 4. FUSE servers, newest first
	for ((i = ${#MOUNTS[@]} - 1; i >= 0; i--)); do
		read -r pid mnt kind <<<"${MOUNTS[$i]}"
		stop_fuse "$pid" "$mnt"
	done
	# 5. loop devices over the image and the faultfs disks
	for l in "${IMG_LOOPS[@]}"; do
		losetup -d "$l" 2>/dev/null
	done
	# 6. faultfs
	for m in "${FAULT_MOUNTS[@]}"; do
		stop_fuse "${m%% *}" "${m#* }"
	done
	# 7. the work dir (never through a mount still there)
	if [ -n "$WORK" ] && [ -d "$WORK" ]; then
		if grep -qF " $WORK/" /proc/mounts; then
			log "something is still mounted under $WORK: leaving it"
		else
			rm -rf "$WORK"
		fi
	fi
	[ "$rc" != 0 ] && log "cleaned up; partial results (if any) in $OUT"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

img_loop() {
	local l
	l=$(losetup --direct-io=on -f --show "$1") || die "losetup --direct-io=on $1 failed"
	IMG_LOOPS+=("$l")
	LOOP=$l
}

dev_loop() {
	local l
	l=$(losetup --direct-io=on -f --show "$1") || die "losetup --direct-io=on $1 failed"
	DEV_LOOPS+=("$l")
	LOOP=$l
}

drop_dev_loop() {
	local i
	losetup -d "$1" 2>/dev/null
	for i in "${!DEV_LOOPS[@]}"; do
		[ "${DEV_LOOPS[$i]}" = "$1" ] && unset 'DEV_LOOPS[i]'
	done
	DEV_LOOPS=("${DEV_LOOPS[@]}")
}

drop_img_loop() {
	local i
	losetup -d "$1" 2>/dev/null
	for i in "${!IMG_LOOPS[@]}"; do
		[ "${IMG_LOOPS[$i]}" = "$1" ] && unset 'IMG_LOOPS[i]'
	done
	IMG_LOOPS=("${IMG_LOOPS[@]}")
}

# wait_file PID FILE WHAT: until FILE exists (20 s), or the server exits
wait_file() {
	local pid=$1 f=$2 i
	for ((i = 0; i < 200; i++)); do
		[ -e "$f" ] && return 0
		kill -0 "$pid" 2>/dev/null || { log "$3 exited at start (see $OUT/logs)"; return 1; }
		sleep 0.1
	done
	log "$3: $f did not appear within 20 s"
	return 1
}

# start_mpathfs MNT CONFIG LOG: sets MP_PID
start_mpathfs() {
	local mnt=$1 cfg=$2 logf=$3
	mkdir -p "$mnt"
	# in logs/ with core dumps on: a crash leaves logs/core (core_pattern
	# permitting), turned into a backtrace for the report
	(cd "$OUT/logs" && ulimit -c unlimited && exec "$BIN/mpathfs" "$mnt" -c "$cfg" -f) >"$logf" 2>&1 &
	MP_PID=$!
	MOUNTS+=("$MP_PID $mnt mpathfs")
	wait_file "$MP_PID" "$mnt/mpatha" "mpathfs on $mnt" || die "mpathfs did not start"
}

stop_mount() {
	stop_fuse "$1" "$2"
	forget_mount "$1"
}

# write_config FILE SELECTOR EXTRA_LINES DEV...: paths a b c ... in one group
write_config() {
	local f=$1 sel=$2 extra=$3 i=0 d
	shift 3
	{
		echo "[multipath]"
		echo "name = mpatha"
		echo "path_selector = $sel"
		echo "path_checker = none"
		[ -n "$extra" ] && printf '%s\n' "$extra"
		for d in "$@"; do
			echo
			echo "[path $(printf "\\x$(printf %x $((97 + i)))")]"
			echo "device = $d"
			i=$((i + 1))
		done
	} >"$f"
}

vm_field() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status" 2>/dev/null; }

json_field() { python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }

# ------------------------------------------------------------ setup

install_missing
mkdir -p "$OUT/logs" || die "cannot create $OUT"
BIN=$OUT/bin
mkdir -p "$BIN"
# tee ignores Ctrl-C, so cleanup can still print
exec > >(trap '' INT TERM HUP; exec tee -a "$OUT/run.log") 2>&1

log "mpathfs bench: $0 ${ARGS[*]}"
log "output: $OUT"
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
BUSY_BEFORE=$(python3 "$HERE/bench.py" busy 5)
log "load average before: $LOAD_BEFORE; busy before (5 s): $BUSY_BEFORE of $(nproc) cores"

case $BUILD in
/*) BUILD_DIR=$BUILD ;;
*) BUILD_DIR=$TOP/$BUILD ;;
esac
log "building mpathfs (ninja -C $BUILD_DIR) and the bench programs"
if [ ! -f "$BUILD_DIR/build.ninja" ]; then
	meson setup "$BUILD_DIR" "$TOP" >&2 || die "meson setup $BUILD_DIR failed"
fi
ninja -C "$BUILD_DIR" >"$OUT/logs/ninja.log" 2>&1 ||
	{ tail -20 "$OUT/logs/ninja.log"; die "ninja -C $BUILD_DIR failed"; }
# a snapshot: others may rebuild the build dir while this runs
cp "$BUILD_DIR/mpathfs" "$BIN/mpathfs" || die "no $BUILD_DIR/mpathfs"
CFLAGS_B="-O2 -g -Wall -Wextra"
# faultfs is a standalone program: built here from tests/faultfs (not changed)
gcc $CFLAGS_B -o "$BIN/faultfs" "$TOP/tests/faultfs/faultfs.c" $(pkg-config --cflags --libs fuse3) -lpthread ||
	cp "$BUILD_DIR/tests/faultfs/faultfs" "$BIN/faultfs" 2>/dev/null || DO_SEL=0
[ "$DO_SEL" = 1 ] || log "no faultfs: no selector scenario"
gcc $CFLAGS_B -o "$BIN/refpt" "$HERE/refpt.c" $(pkg-config --cflags --libs fuse3) -laio -lpthread ||
	die "cannot build refpt"
gcc $CFLAGS_B -o "$BIN/aioq" "$HERE/aioq.c" -laio -lpthread || die "cannot build aioq"
BENCH="python3 $HERE/bench.py"

WORK=$(mktemp -d /var/tmp/mpathfs-bench.XXXXXX) || die "mktemp failed"
IMG=$WORK/image
SIZE_B=$(numfmt --from=iec "$SIZE") || die "bad --size $SIZE"
SIZE_MB=$((SIZE_B >> 20))
log "writing the backing image: $SIZE ($SIZE_B bytes) of random data, once ($IMG)"
dd if=/dev/urandom of="$IMG" bs=1M count="$SIZE_MB" oflag=direct status=none ||
	die "cannot write $IMG"

if has_target nbd && { [ "$DO_NBD" = 0 ] || ! command -v nbdfuse >/dev/null || ! command -v nbdkit >/dev/null; }; then
	NBD_NOTE="nbd: skipped ($([ "$DO_NBD" = 0 ] && echo "--no-nbd" || echo "nbdfuse/nbdkit not installed"))"
	log "$NBD_NOTE"
	TARGETS=$(sed -e 's/\(^\|,\)nbd\(,\|$\)/\1/' -e 's/,$//' <<<"$TARGETS")
else
	NBD_NOTE=""
fi

declare -A DEV PIDS
PIDS_ALL=""

# (i) raw
if has_target raw; then
	img_loop "$IMG"
	DEV[raw]=$LOOP
	PIDS[raw]=""
fi
# (ii) the reference passthrough, over its own loop device
if has_target ref || has_target ref+loop; then
	img_loop "$IMG"
	mkdir -p "$WORK/ref"
	"$BIN/refpt" "$WORK/ref" "$LOOP" -f >"$OUT/logs/refpt.log" 2>&1 &
	REF_PID=$!
	MOUNTS+=("$REF_PID $WORK/ref refpt")
	wait_file "$REF_PID" "$WORK/ref/disk" refpt || die "refpt did not start"
	DEV[ref]=$WORK/ref/disk
	PIDS[ref]=$REF_PID
	if has_target ref+loop; then
		dev_loop "$WORK/ref/disk"
		DEV[ref+loop]=$LOOP
		PIDS[ref+loop]=$REF_PID
	fi
fi
# the FUSE round trip alone: refpt --null answers without any storage I/O
if has_target null; then
	mkdir -p "$WORK/null"
	"$BIN/refpt" "$WORK/null" "$IMG" -f --null >"$OUT/logs/refpt-null.log" 2>&1 &
	NULL_PID=$!
	MOUNTS+=("$NULL_PID $WORK/null refpt")
	wait_file "$NULL_PID" "$WORK/null/disk" "refpt --null" || die "refpt --null did not start"
	DEV[null]=$WORK/null/disk
	PIDS[null]=$NULL_PID
fi
# (iii) nbdfuse over nbdkit's file plugin
if has_target nbd; then
	mkdir -p "$WORK/nbd"
	nbdfuse -P "$WORK/nbdfuse.pid" "$WORK/nbd" --command nbdkit -s --exit-with-parent \
		file "$IMG" cache=none >"$OUT/logs/nbdfuse.log" 2>&1 &
	NBD_PID=$!
	MOUNTS+=("$NBD_PID $WORK/nbd nbdfuse")
	wait_file "$NBD_PID" "$WORK/nbd/nbd" nbdfuse || die "nbdfuse did not start"
	DEV[nbd]=$WORK/nbd/nbd
	PIDS[nbd]="$NBD_PID,$(pgrep -P "$NBD_PID" nbdkit | paste -sd,)"
fi
# (iv) mpathfs, 1 and 2 paths, each path a loop device of its own
if has_target mp1 || has_target mp1+loop; then
	img_loop "$IMG"
	MP1_PATHS=("$LOOP")
	write_config "$WORK/mp1.ini" service-time "" "${MP1_PATHS[@]}"
	start_mpathfs "$WORK/mp1" "$WORK/mp1.ini" "$OUT/logs/mpathfs-mp1.log"
	MP1_PID=$MP_PID
	DEV[mp1]=$WORK/mp1/mpatha
	PIDS[mp1]=$MP1_PID
	if has_target mp1+loop; then
		dev_loop "$WORK/mp1/mpatha"
		DEV[mp1+loop]=$LOOP
		PIDS[mp1+loop]=$MP1_PID
	fi
fi
if has_target mp2 || has_target mp2+loop || [ "$DO_MEM" = 1 ]; then
	img_loop "$IMG"
	MP2_PATHS=("$LOOP")
	img_loop "$IMG"
	MP2_PATHS+=("$LOOP")
fi
if has_target mp2 || has_target mp2+loop; then
	write_config "$WORK/mp2.ini" service-time "" "${MP2_PATHS[@]}"
	start_mpathfs "$WORK/mp2" "$WORK/mp2.ini" "$OUT/logs/mpathfs-mp2.log"
	MP2_PID=$MP_PID
	DEV[mp2]=$WORK/mp2/mpatha
	PIDS[mp2]=$MP2_PID
	if has_target mp2+loop; then
		dev_loop "$WORK/mp2/mpatha"
		DEV[mp2+loop]=$LOOP
		PIDS[mp2+loop]=$MP2_PID
	fi
fi

IFS=, read -r -a TLIST <<<"$TARGETS"
log "targets:"
for t in "${TLIST[@]}"; do
	[ -n "${DEV[$t]:-}" ] || die "unknown target '$t'"
	log "  $t: ${DEV[$t]}"
done

# Is direct I/O really direct? Every loop device must have dio on (the
# loop driver falls back to buffered I/O when it cannot, silently), and
# the disk under the image may have a volatile write cache of its own
# (virtio: the host's page cache), which O_DIRECT does not get past.
# Both go into the report: they say what "raw" measures.
dio_note() {
	local l off="" n=0
	for l in "${IMG_LOOPS[@]}" "${DEV_LOOPS[@]}"; do
		n=$((n + 1))
		[ "$(cat "/sys/block/${l#/dev/}/loop/dio" 2>/dev/null)" = 1 ] || off+=" $l"
	done
	if [ -z "$off" ]; then
		echo "all $n loop devices have direct I/O on (/sys/block/loopN/loop/dio = 1)"
	else
		echo "loop devices with direct I/O OFF (buffered by the loop driver):$off"
	fi
}
IMG_SRC=$(df --output=source "$WORK" | tail -n 1)
IMG_DISK=$(lsblk -no PKNAME "$IMG_SRC" 2>/dev/null | head -n 1)
IMG_DISK=${IMG_DISK:-$(basename "$IMG_SRC")}
DIO_NOTE="$(dio_note); the image's disk $IMG_DISK: write cache '$(cat "/sys/block/$IMG_DISK/queue/write_cache" 2>/dev/null || echo unknown)'"
log "$DIO_NOTE"

# ------------------------------------------------------------ the matrix

# fio_job TARGET WORKLOAD NUMJOBS -> the fio arguments
fio_job() {
	local t=$1 w=$2 nj=$3 a
	a=(--name="$t-$w" --filename="${DEV[$t]}" --direct=1 --ioengine=libaio
		--time_based --runtime="$RUNTIME" --ramp_time="$RAMP" --group_reporting
		--numjobs="$nj" --norandommap --randrepeat=0 --invalidate=0 --fallocate=none)
	case $w in
	randread) a+=(--rw=randread --bs=4k --iodepth=32 --size="$SIZE_B") ;;
	randwrite) a+=(--rw=randwrite --bs=4k --iodepth=32 --size="$SIZE_B") ;;
	# each job its own part of the device
	seqread) a+=(--rw=read --bs=1M --iodepth=8 --size=$((SIZE_B / nj)) --offset_increment=$((SIZE_B / nj))) ;;
	seqwrite) a+=(--rw=write --bs=1M --iodepth=8 --size=$((SIZE_B / nj)) --offset_increment=$((SIZE_B / nj))) ;;
	esac
	printf '%s\n' "${a[@]}"
}

RESULTS=$OUT/results.jsonl
: >"$RESULTS"
NT=${#TLIST[@]}
IFS=, read -r -a WLIST <<<"$WORKLOADS"
for w in "${WLIST[@]}"; do
	case $w in randread | randwrite | seqread | seqwrite) ;; *) die "unknown workload '$w'" ;; esac
done
EST=$((REPS * 2 * ${#WLIST[@]} * NT * (RUNTIME + RAMP + 1)))
[ "$NT" -gt 0 ] &&
	log "matrix: $REPS reps x ${#WLIST[@]} workloads x numjobs 1,2 x $NT targets, ${RUNTIME}s + ${RAMP}s ramp each: about $((EST / 60)) min"
FAILED_RUNS=0
for ((rep = 1; rep <= REPS && NT > 0; rep++)); do
	log "repetition $rep of $REPS"
	for w in "${WLIST[@]}"; do
		for nj in 1 2; do
			# rotate the target order each repetition: no target always
			# runs right after the same neighbour
			for ((k = 0; k < NT; k++)); do
				t=${TLIST[$(((k + rep - 1) % NT))]}
				mapfile -t FA < <(fio_job "$t" "$w" "$nj")
				$BENCH fio --out "$RESULTS" --tag "target=$t,workload=$w,numjobs=$nj,rep=$rep" \
					--ramp "$RAMP" --runtime "$RUNTIME" --pids "${PIDS[$t]}" -- "${FA[@]}" ||
					FAILED_RUNS=$((FAILED_RUNS + 1))
			done
		done
	done
done
if [ "$NT" -gt 0 ]; then
	log "matrix done ($FAILED_RUNS failed runs)"
	$BENCH report --in "$RESULTS" --out "$OUT" >/dev/null
fi

# ------------------------------------------------------------ perf on the daemon

perf_target() {
	local t=$1 pid=$2 name=$3 d
	d=$((RUNTIME > 3 ? RUNTIME - 1 : 2))
	mapfile -t FA < <(fio_job "$t" randread 1)
	(sleep "$RAMP"; exec perf record -F 1999 -g -p "$pid" -o "$OUT/perf-$name.data" -- sleep "$d") \
		>"$OUT/logs/perf-record-$name.log" 2>&1 &
	BG_PIDS+=($!)
	local rp=$!
	(sleep "$RAMP"; exec perf stat -x, -e task-clock,context-switches,cpu-migrations \
		-e 'syscalls:sys_enter_io_submit,syscalls:sys_enter_io_getevents,syscalls:sys_enter_futex' \
		-e 'syscalls:sys_enter_read,syscalls:sys_enter_writev,syscalls:sys_enter_splice,syscalls:sys_enter_write' \
		-p "$pid" -o "$OUT/perf-stat-$name.csv" -- sleep "$d") >"$OUT/logs/perf-stat-$name.log" 2>&1 &
	BG_PIDS+=($!)
	local sp=$!
	$BENCH fio --out "$OUT/perf.jsonl" --tag "target=$t,workload=randread,numjobs=1,rep=perf" \
		--ramp "$RAMP" --runtime "$RUNTIME" --pids "$pid" -- "${FA[@]}"
	wait "$rp" "$sp" 2>/dev/null
	{
		echo "# perf record -g -p <$name daemon> during 4k randread QD32 (fio on ${DEV[$t]})"
		echo "# IOPS during the profile: $(tail -n 1 "$OUT/perf.jsonl" | python3 -c 'import json,sys; print(json.load(sys.stdin)["iops"])')"
		echo "## by shared object"
		perf report -i "$OUT/perf-$name.data" --no-children --sort dso --stdio -g none 2>/dev/null |
			grep -v '^#' | grep -v '^$' | head -12
		echo "## inclusive time (children) by symbol: where the daemon's time goes"
		perf report -i "$OUT/perf-$name.data" --children --sort symbol --stdio -g none \
			--percent-limit 2.5 2>/dev/null | grep -v '^#' | grep -v '^$' | head -45
		echo "## top symbols (self)"
		perf report -i "$OUT/perf-$name.data" --no-children --sort dso,symbol --stdio -g none \
			--percent-limit 0.7 2>/dev/null | grep -v '^#' | grep -v '^$' | head -60
		echo "## syscalls and context switches per request (perf stat over ${d}s; per /dev/fuse read, one per request)"
		python3 - "$OUT/perf-stat-$name.csv" "$(tail -n 1 "$OUT/perf.jsonl")" "$d" <<'PY'
import json, sys
# perf stat -p counts the threads there when it attached: normalise by the
# /dev/fuse reads those threads did (one per request), not by fio's IOPS
iops = json.loads(sys.argv[2])["iops"]
secs = float(sys.argv[3])
rows = []
for line in open(sys.argv[1]):
    f = line.strip().split(",")
    if len(f) < 3 or line.startswith("#") or not f[0].replace(".", "").isdigit():
        continue
    rows.append((f[2], float(f[0])))
reqs = dict(rows).get("syscalls:sys_enter_read", 0)
print("requests seen: %.0f (fio: %.0f IOPS x %.0f s = %.0f)" % (reqs, iops, secs, iops * secs))
for name, v in rows:
    if name == "task-clock":	# msec
        print("%-40s %14.0f ms  %8.1f us per request" % (name, v, v * 1e3 / reqs if reqs else 0))
    else:
        print("%-40s %14.0f  %8.3f per request" % (name, v, v / reqs if reqs else 0))
PY
	} >"$OUT/perf-$name.txt" 2>&1
	log "perf: $OUT/perf-$name.txt"
}

if [ "$DO_PERF" = 1 ] && command -v perf >/dev/null; then
	has_target mp1 && perf_target mp1 "$MP1_PID" mpathfs
	has_target ref && perf_target ref "$REF_PID" refpt
fi

# the throughput targets are done: take them down (their loops stay for memory)
for ((i = ${#DEV_LOOPS[@]} - 1; i >= 0; i--)); do
	drop_dev_loop "${DEV_LOOPS[$i]}"
done
for ((i = ${#MOUNTS[@]} - 1; i >= 0; i--)); do
	read -r pid mnt kind <<<"${MOUNTS[$i]}"
	stop_mount "$pid" "$mnt"
done

# ------------------------------------------------------------ selector quality

SEL_SUMMARY=""
if [ "$DO_SEL" = 1 ]; then
	log "selector scenario: 4 paths through faultfs, one slowed with 'delay'"
	FPATHS=()
	FCTL=()
	for i in 1 2 3 4; do
		mkdir -p "$WORK/f$i"
		"$BIN/faultfs" "$WORK/f$i" "$IMG" -f >"$OUT/logs/faultfs-$i.log" 2>&1 &
		FAULT_MOUNTS+=("$! $WORK/f$i")
		wait_file "$!" "$WORK/f$i/disk" "faultfs $i" || die "faultfs did not start"
		img_loop "$WORK/f$i/disk"
		FPATHS+=("$LOOP")
		FCTL+=("$WORK/f$i/control")
	done
	SLOW=3	# path c
	# faultfs's timer thread can miss its wake-up and then holds delayed I/O
	# until the next request or command arrives (see README.md): keep
	# poking the slow path with a harmless "release" while it is delayed
	( while echo release >"$WORK/f$SLOW/control"; do sleep 0.01; done ) 2>/dev/null &
	NUDGER=$!
	BG_PIDS+=("$NUDGER")
	CAL=$((RUNTIME > 5 ? 5 : RUNTIME))
	calib() {
		fio --name=cal --filename="$1" --direct=1 --ioengine=libaio --rw=randrw --bs=4k \
			--iodepth=8 --time_based --runtime="$CAL" --ramp_time=1 --norandommap \
			--randrepeat=0 --invalidate=0 --output-format=json --output="$WORK/cal.json" \
			>/dev/null 2>&1 || return 1
		$BENCH fiosum "$WORK/cal.json"
	}
	read -r _ _ FAST_US <<<"$(calib "${FPATHS[0]}")"
	[ -n "${FAST_US:-}" ] || die "calibration fio failed"
	DELAY_MS=$(awk -v f="$FAST_US" 'BEGIN { d = int(3 * f / 1000 + 0.5); print d < 1 ? 1 : d }')
	echo "delay $DELAY_MS" >"${FCTL[$((SLOW - 1))]}" || die "cannot set the delay"
	read -r _ _ SLOW_US <<<"$(calib "${FPATHS[$((SLOW - 1))]}")"
	RATIO=$(awk -v s="$SLOW_US" -v f="$FAST_US" 'BEGIN { printf "%.1f", s / f }')
	log "calibration (4k randrw QD8 on one path): fast ${FAST_US} us, slow path with delay ${DELAY_MS} ms: ${SLOW_US} us = ${RATIO}x"
	SELCSV=$OUT/selectors.csv
	echo "selector,share_a,share_b,share_c_slow,share_d,ios,iops,p99_us,mean_us,target,verdict" >"$SELCSV"
	IFS=, read -r -a SLIST <<<"$SELECTORS"
	for sel in "${SLIST[@]}"; do
		write_config "$WORK/sel.ini" "$sel" "" "${FPATHS[@]}"
		start_mpathfs "$WORK/sel" "$WORK/sel.ini" "$OUT/logs/mpathfs-sel-$sel.log"
		ctl "$WORK/sel" "show stats json" >"$WORK/st0.json" || die "show stats json failed"
		# the selector's own view (status: its per-path words) over time,
		# to see how a share came about
		( while sleep 0.5; do
			printf '%s ' "$(date +%T.%N | cut -c1-12)"
			cat "$WORK/sel/status" || break
		done ) >"$OUT/logs/sel-$sel-status.txt" 2>/dev/null &
		SAMPLER=$!
		BG_PIDS+=("$SAMPLER")
		fio --name=sel --filename="$WORK/sel/mpatha" --direct=1 --ioengine=libaio --rw=randrw \
			--bs=4k --iodepth=32 --time_based --runtime="$SEL_RUNTIME" --norandommap \
			--randrepeat=0 --invalidate=0 --output-format=json --output="$WORK/sel.json" \
			>/dev/null 2>&1 || log "fio failed for $sel"
		kill "$SAMPLER" 2>/dev/null
		wait "$SAMPLER" 2>/dev/null
		ctl "$WORK/sel" "show stats json" >"$WORK/st1.json" || die "show stats json failed"
		read -r IOS SHARES <<<"$($BENCH shares "$WORK/st0.json" "$WORK/st1.json")"
		read -r IOPS P99 MEAN <<<"$($BENCH fiosum "$WORK/sel.json")"
		stop_mount "$MP_PID" "$WORK/sel"
		# a=.. b=.. c=.. d=..
		eval "$(tr ' ' '\n' <<<"$SHARES" | sed 's/^\(.\)=/S_\1=/')"
		case $sel in
		historical-service-time) limit=10 ;;
		queue-length | service-time) limit=20 ;;
		*) limit="" ;;
		esac
		# and no healthy path starved: each gets at least half of an even
		# split of what the slow path does not take
		if [ -n "$limit" ]; then
			verdict=$(awk -v a="$S_a" -v b="$S_b" -v c="$S_c" -v d="$S_d" -v l="$limit" 'BEGIN {
				m = a < b ? a : b; m = m < d ? m : d
				v = c > l ? "FAIL(slow)" : "PASS"
				if (m < (100 - c) / 6) v = (v == "PASS" ? "FAIL" : v) "(starves)"
				print v }')
		else
			verdict="-"
		fi
		echo "$sel,$S_a,$S_b,$S_c,$S_d,$IOS,$IOPS,$P99,$MEAN,${limit:+<=$limit%},$verdict" >>"$SELCSV"
		log "  $sel: shares a=$S_a% b=$S_b% c(slow)=$S_c% d=$S_d% of $IOS I/Os; $IOPS IOPS, p99 $P99 us ${limit:+(target slow <= $limit%: $verdict)}"
	done
	echo ok >"${FCTL[$((SLOW - 1))]}"
	kill "$NUDGER" 2>/dev/null
	wait "$NUDGER" 2>/dev/null
	SEL_SUMMARY="fast path ${FAST_US} us, slow path (delay ${DELAY_MS} ms) ${SLOW_US} us: ${RATIO}x (4k randrw QD8 on the path device)"
	for l in "${FPATHS[@]}"; do drop_img_loop "$l"; done
	for m in "${FAULT_MOUNTS[@]}"; do stop_fuse "${m%% *}" "${m#* }"; done
	FAULT_MOUNTS=()
fi

# ------------------------------------------------------------ memory

MEMF=$OUT/memory.txt
if [ "$DO_MEM" = 1 ]; then
	log "memory scenario (2 paths, no_path_retry = queue)"
	: >"$MEMF"
	mem_start() {
		write_config "$WORK/mem.ini" service-time "no_path_retry = queue${1:+
$1}" "${MP2_PATHS[@]}"
		start_mpathfs "$WORK/mem" "$WORK/mem.ini" "$OUT/logs/mpathfs-mem-$2.log"
		BUDGET=$(ctl "$WORK/mem" "show config json" | json_field max_io_memory_mb)
		RSS0=$(vm_field "$MP_PID" VmRSS)
	}
	memline() { echo "$*" | tee -a "$MEMF" >&2; }
	# The documented bound (mpathfs.ini(5) and README.md at
	# max_io_memory_mb): VmRSS at start + max_io_memory_mb + 16 MiB fixed
	# (the FUSE workers' 1 MiB receive buffers, stacks, allocator slack) +
	# 1 KiB per request the daemon holds. bound NREQ -> "bound X kB: within"
	bound() {
		local b=$((RSS0 + (BUDGET << 10) + 16384 + $1)) hwm
		hwm=$(vm_field "$MP_PID" VmHWM)
		echo "bound $b kB: $([ "$hwm" -le "$b" ] && echo within || echo OVER)"
	}

	# a. QD128 of 4k randrw: 4 jobs x iodepth 32
	mem_start "" qd128
	fio --name=qd128 --filename="$WORK/mem/mpatha" --direct=1 --ioengine=libaio --rw=randrw \
		--bs=4k --iodepth=32 --numjobs=4 --thread --group_reporting --time_based \
		--runtime="$RUNTIME" --norandommap --randrepeat=0 --invalidate=0 --output-format=json \
		--output="$WORK/qd128.json" >/dev/null 2>&1 || log "fio qd128 failed"
	read -r IOPS P99 MEAN <<<"$($BENCH fiosum "$WORK/qd128.json")"
	memline "qd128: 4k randrw, 4 jobs x iodepth 32, ${RUNTIME}s: $IOPS IOPS; daemon VmRSS at start ${RSS0} kB, VmHWM $(vm_field "$MP_PID" VmHWM) kB, threads $(vm_field "$MP_PID" Threads); max_io_memory_mb $BUDGET; $(bound 128)"
	stop_mount "$MP_PID" "$WORK/mem"

	# b/c/d. QUEUED I/Os held with every path failed, then drained
	queued_case() {	# NAME MODE COUNT RW EXTRA_CONFIG
		local name=$1 mode=$2 n=$3 rw=$4 extra=$5 qpid i last="" same=0 q cur resp t0 done_line
		mem_start "$extra" "$name"
		ctl "$WORK/mem" "fail_path a" >/dev/null && ctl "$WORK/mem" "fail_path b" >/dev/null ||
			die "fail_path failed"
		"$BIN/aioq" "$mode" "$WORK/mem/mpatha" "$n" $([ "$rw" = read ] && echo read) \
			>"$WORK/aioq.out" 2>"$WORK/aioq.err" &
		qpid=$!
		BG_PIDS+=("$qpid")
		# until the daemon's queue stops growing (2 s) or holds them all; 60 s at most
		for ((i = 0; i < 240; i++)); do
			sleep 0.25
			q=$(ctl "$WORK/mem" "show stats json" 2>/dev/null | json_field queued_io 2>/dev/null) ||
				{ q="(no answer from control within 5 s)"; break; }
			[ "$q" = "$n" ] && break
			if [ "$q" = "$last" ]; then
				same=$((same + 1))
				[ $same -ge 8 ] && break
			else
				same=0
			fi
			last=$q
		done
		cur=$(tail -n 1 "$WORK/aioq.out")
		if ! kill -0 "$MP_PID" 2>/dev/null; then
			wait "$MP_PID"
			memline "$name: THE DAEMON DIED (exit status $?) with $n x 4k O_DIRECT ($mode, $rw) queued; log: logs/mpathfs-mem-$name.log; client: '$cur'"
			kill -KILL "$qpid" 2>/dev/null
			stop_mount "$MP_PID" "$WORK/mem"
			wait "$qpid" 2>/dev/null
			return
		fi
		memline "$name: $n x 4k O_DIRECT ($mode, $rw) with no path: client says '${cur:-nothing yet}'; daemon queued_io $q; VmRSS $(vm_field "$MP_PID" VmRSS) kB, VmHWM $(vm_field "$MP_PID" VmHWM) kB (at start $RSS0 kB), threads $(vm_field "$MP_PID" Threads); max_io_memory_mb $BUDGET"
		t0=$(date +%s.%N)
		resp=ok
		if ! ctl "$WORK/mem" "reinstate_path a" >/dev/null 2>&1 ||
			! ctl "$WORK/mem" "reinstate_path b" >/dev/null 2>&1; then
			resp="NO ANSWER: the control file did not answer within 5 s"
		fi
		if [ "$resp" = ok ] && timeout 120 tail --pid="$qpid" -f /dev/null; then
			wait "$qpid"
			done_line=$(tail -n 1 "$WORK/aioq.out")
			memline "  reinstated: drained in $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s, client: '$done_line'; VmHWM $(vm_field "$MP_PID" VmHWM) kB, $(bound "$n")"
			stop_mount "$MP_PID" "$WORK/mem"
		else
			memline "  reinstating: $resp; client: '$(tail -n 1 "$WORK/aioq.out")'"
			memline "  daemon threads (wchan): $(for t in /proc/$MP_PID/task/*; do cat "$t/wchan" 2>/dev/null; echo; done | sort | uniq -c | tr '\n' ';')"
			memline "  recovering: aborting the FUSE connection and killing the daemon"
			fuse_conn_abort "$WORK/mem"
			kill -KILL "$qpid" 2>/dev/null
			stop_mount "$MP_PID" "$WORK/mem"
			wait "$qpid" 2>/dev/null
		fi
	}
	queued_case queued-aio aio "$QUEUED" rw ""
	queued_case queued-threads threads "$QUEUED" rw ""
	queued_case queued-threads-read threads "$QUEUED" read ""
	# the bound itself: a budget smaller than the queued reads need (past
	# it reads are parked, holding no buffer, and workers stay free)
	NB=$((QUEUED > 6000 ? QUEUED : 6000))
	queued_case queued-threads-read-budget16 threads "$NB" read "max_io_memory_mb = 16"
fi

# ------------------------------------------------------------ report

LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)
CRASH=""
for c in "$OUT"/logs/core*; do
	[ -f "$c" ] || continue
	gdb -q -batch -ex 'info threads' -ex 'thread apply all bt 20' "$BIN/mpathfs" "$c" \
		>"$c.bt.txt" 2>&1 || echo "(gdb not installed: no backtrace)" >>"$c.bt.txt"
	CRASH+="$c "
	log "mpathfs crashed: core $c, backtrace $c.bt.txt"
done
{
	echo "# mpathfs bench, $START_TS"
	echo
	echo "Command: \`contrib/bench/run.sh${ARGS[*]:+ ${ARGS[*]}}\`"
	echo
	echo "Machine: $(nproc) CPUs, $(uname -r), $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo);"
	echo "load average before $LOAD_BEFORE (busy $BUSY_BEFORE cores over 5 s), after $LOAD_AFTER."
	echo "fio $(fio --version), libfuse $(pkg-config --modversion fuse3), nbdkit $(nbdkit --version 2>/dev/null | awk '{ print $2 }' || echo -)."
	echo "Image: $SIZE of random data on $(df -T "$WORK" | awk 'NR == 2 { print $2 }'); runs ${RUNTIME}s + ${RAMP}s ramp, median of $REPS."
	echo "Direct I/O: $DIO_NOTE."
	echo "mpathfs: $BUILD/mpathfs (sha256 $(sha256sum "$BIN/mpathfs" | cut -c1-16)), selector service-time, path_checker none."
	[ -n "$NBD_NOTE" ] && echo "$NBD_NOTE"
	echo
	if [ "$NT" -gt 0 ]; then
		echo '```'
		$BENCH report --in "$RESULTS" --out "$OUT" 2>&1 | sed '1{/^$/d}'
		echo '```'
		echo
	fi
	if [ -f "$OUT/selectors.csv" ]; then
		echo "## Selector quality"
		echo
		echo "$SEL_SUMMARY; fio 4k randrw QD32 for ${SEL_RUNTIME}s per selector; share of I/Os per path from show stats json deltas."
		echo
		echo '```'
		column -t -s, "$OUT/selectors.csv"
		echo '```'
		echo
	fi
	if [ -n "$CRASH" ]; then
		echo "## mpathfs crashed during the run"
		echo
		for c in $CRASH; do
			echo '```'
			grep -A25 -m1 'received signal\|^#0' "$c.bt.txt" | head -40
			echo '```'
		done
		echo
	fi
	if [ -s "$MEMF" ]; then
		echo "## Memory"
		echo
		echo '```'
		cat "$MEMF"
		echo '```'
		echo
	fi
	for f in "$OUT"/perf-*.txt; do
		[ -f "$f" ] || continue
		echo "## $(basename "$f" .txt)"
		echo
		echo '```'
		cat "$f"
		echo '```'
		echo
	done
} >"$OUT/report.md"
rm -f "$OUT"/perf-*.data
log "report: $OUT/report.md  chart: $OUT/chart.png  csv: $OUT/summary.csv"
[ "$FAILED_RUNS" = 0 ] || log "$FAILED_RUNS fio runs failed (see results.csv)"
exit 0
