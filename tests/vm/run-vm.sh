#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Boot a qemu guest (TCG: no KVM needed or used) with Debian's kernel and
# run vm-tier tests in it against real SCSI paths: LIO + tcm_loop give N
# paths, each its own ALUA port group, to one LUN.
#
#   tests/vm/run-vm.sh TEST [TEST...]
#
# TEST names tests/vm/guest/test-TEST.sh. All the named tests run in one
# boot, one after another, each printing one result line on the guest's
# console:
#
#   MPATHFS-VM-RESULT: PASS|FAIL|SKIP TEST (...)
#
# Exit status: 0 every test passed, 77 every test skipped or qemu cannot
# run here at all (no qemu and no way to install it), 1 otherwise (a test
# failed, or the guest did not report, e.g. it timed out).
#
# Environment:
#   MPATHFS              the daemon to test (default: build/mpathfs of this tree)
#   MPATHFS_VM_TIMEOUT   seconds each guest test may take (default 240)
#   MPATHFS_VM_KEEP=1    keep the run directory (console log, daemon and
#                        writer logs) even when everything passed
#   MPATHFS_VM_CACHE     kernel and initramfs cache (see build-guest.sh)
#   MPATHFS_VM_BIOS      qboot (default, when installed) or seabios
#   MPATHFS_VM_CPU       qemu's -cpu model (default max)
#   MPATHFS_VM_*         every other such variable is passed to the guest
#
# The host shares two directories with the guest over 9p: its own /usr,
# read-only (the guest's userland: bash, fio, jq, losetup, the libraries of
# mpathfs), and a fresh run directory holding a copy of the daemon and of
# the guest scripts, where the guest leaves its logs.
set -uo pipefail
export LC_ALL=C

VM_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
T0=$EPOCHREALTIME

say() { echo "run-vm: $*" >&2; }
fail() { echo "run-vm: FAIL: $*" >&2; exit 1; }
skip() { echo "run-vm: SKIP: $*" >&2; exit 77; }
elapsed() { awk -v a="$T0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'; }

[ $# -ge 1 ] || { echo "usage: $0 TEST [TEST...]" >&2; exit 2; }
TESTS=("$@")
for t in "${TESTS[@]}"; do
	[ -f "$VM_DIR/guest/test-$t.sh" ] || fail "no guest test $VM_DIR/guest/test-$t.sh"
done

if [ -z "${MPATHFS:-}" ] && [ -x "$VM_DIR/../../build/mpathfs" ]; then
	MPATHFS=$(cd "$VM_DIR/../../build" && pwd)/mpathfs
fi
[ -n "${MPATHFS:-}" ] && [ -x "$MPATHFS" ] ||
	fail "MPATHFS is not set to the daemon executable (got '${MPATHFS:-}')"

# qemu and the guest image (build-guest.sh installs missing packages as root)
guest_env=$("$VM_DIR/build-guest.sh")
rc=$?
case $rc in
0) ;;
77) skip "the guest cannot be built here (see build-guest's message above)" ;;
*) fail "build-guest.sh failed ($rc)" ;;
esac
MPATHFS_VM_KERNEL=$(sed -n 's/^MPATHFS_VM_KERNEL=//p' <<<"$guest_env")
MPATHFS_VM_INITRD=$(sed -n 's/^MPATHFS_VM_INITRD=//p' <<<"$guest_env")
[ -f "$MPATHFS_VM_KERNEL" ] && [ -f "$MPATHFS_VM_INITRD" ] ||
	fail "build-guest.sh gave no kernel/initramfs: $guest_env"
QEMU=$(command -v qemu-system-x86_64) || skip "qemu-system-x86_64 is not installed and could not be installed"
# a qemu that cannot start at all (broken install) is a reason to skip too
"$QEMU" -version >/dev/null 2>&1 || skip "$QEMU does not run"
[ -L /bin ] && [ -L /lib ] ||
	fail "this host is not merged-/usr: the guest's userland is the host's /usr"

# ---------------------------------------------------------------- run dir

PER_TEST=${MPATHFS_VM_TIMEOUT:-240}
RUN=$(mktemp -d /tmp/mpathfs-vm.XXXXXX) || fail "mktemp failed"
mkdir -p "$RUN/guest" "$RUN/bin" "$RUN/out"
cp "$VM_DIR"/guest/*.sh "$RUN/guest/" || fail "copying the guest scripts failed"
cp "$MPATHFS" "$RUN/bin/mpathfs" || fail "copying $MPATHFS failed"
printf '%s\n' "${TESTS[@]}" >"$RUN/tests"
{
	echo "MPATHFS_VM_TIMEOUT=$PER_TEST"
	while IFS='=' read -r k _; do
		case $k in
		MPATHFS_VM_KERNEL | MPATHFS_VM_INITRD | MPATHFS_VM_CACHE | MPATHFS_VM_KEEP | MPATHFS_VM_TIMEOUT | MPATHFS_VM_BIOS | MPATHFS_VM_CPU) ;;
		MPATHFS_VM_*) printf '%s=%q\n' "$k" "${!k}" ;;
		esac
	done < <(env)
} >"$RUN/env"

# qboot (in qemu-system-data) starts a -kernel boot 1-4 s sooner than
# SeaBIOS under TCG; MPATHFS_VM_BIOS=seabios keeps qemu's default.
BIOS=()
if [ "${MPATHFS_VM_BIOS:-qboot}" = qboot ] && [ -f /usr/share/qemu/qboot.rom ]; then
	BIOS=(-bios /usr/share/qemu/qboot.rom)
fi

# boot (about 10 s under TCG) plus every test's allowance
TOTAL=$((120 + PER_TEST * ${#TESTS[@]}))
say "booting $(basename "$MPATHFS_VM_KERNEL") under TCG for: ${TESTS[*]} (limit ${TOTAL}s; run dir $RUN)"

# Each console line is copied to our stdout and to console.log with the
# host's seconds since this script started.
timeout -k 10 "$TOTAL" "$QEMU" \
	-accel tcg,thread=multi -cpu "${MPATHFS_VM_CPU:-max}" -smp 2 -m 1024 \
	-nographic -nodefaults -serial stdio -no-reboot "${BIOS[@]}" \
	-kernel "$MPATHFS_VM_KERNEL" -initrd "$MPATHFS_VM_INITRD" \
	-append 'console=ttyS0 quiet panic=-1' \
	-virtfs local,path=/usr,mount_tag=hostusr,security_model=none,readonly=on \
	-virtfs "local,path=$RUN,mount_tag=vmrun,security_model=none" \
	</dev/null 2>&1 |
	while IFS= read -r line; do
		line=${line%$'\r'}
		d=$((${EPOCHREALTIME/./} - ${T0/./}))
		printf '[%4d.%d] %s\n' $((d / 1000000)) $((d / 100000 % 10)) "$line"
	done | tee "$RUN/console.log"
qrc=${PIPESTATUS[0]}
say "qemu exited ($qrc) after $(elapsed) s"
[ "$qrc" = 124 ] && say "qemu was killed at the ${TOTAL}s limit"

# ---------------------------------------------------------------- results

boot_at=$(awk '/mpathfs-vm: userland ready/ { gsub(/[][]/, "", $1); print $1; exit }' "$RUN/console.log")
[ -n "$boot_at" ] && say "launch to guest userland: ${boot_at} s"
# the guest runs the tests in order and prints one result line each
mapfile -t results < <(sed -n 's/^\[ *[0-9.]*\] MPATHFS-VM-RESULT: \([A-Z]*\) \([^ ]*\).*$/\1 \2/p' "$RUN/console.log")
npass=0 nfail=0 nskip=0
for i in "${!TESTS[@]}"; do
	t=${TESTS[$i]}
	r=${results[$i]:-}
	case $r in
	"PASS $t") npass=$((npass + 1)) r=PASS ;;
	"SKIP $t") nskip=$((nskip + 1)) r=SKIP ;;
	"FAIL $t") nfail=$((nfail + 1)) r=FAIL ;;
	*) say "no result line for $t"; nfail=$((nfail + 1)); r=NONE ;;
	esac
	say "$t: $r"
done
if grep -q 'MPATHFS-VM-RESULT: FAIL boot' "$RUN/console.log"; then
	say "the guest failed to set itself up"
fi
echo "$npass passed, $nfail failed, $nskip skipped"
if [ "$nfail" = 0 ] && [ "${MPATHFS_VM_KEEP:-0}" != 1 ]; then
	rm -rf "$RUN"
else
	say "logs kept in $RUN (console.log, out/)"
fi
[ "$nfail" != 0 ] && exit 1
[ "$npass" = 0 ] && exit 77
exit 0
