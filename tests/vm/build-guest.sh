#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Build (or re-use) what the vm test tier boots: Debian's own kernel and a
# small busybox initramfs with the SCSI target (LIO + tcm_loop), FUSE, loop,
# ext4 and 9p modules.
#
#   tests/vm/build-guest.sh            # prints MPATHFS_VM_KERNEL=... and
#                                      # MPATHFS_VM_INITRD=... on stdout
#
# Nothing is installed on this machine's /boot or /lib/modules: the kernel
# package (the one linux-image-amd64 depends on) is fetched with `apt-get
# download` and unpacked with `dpkg -x` into the cache, $MPATHFS_VM_CACHE
# (default /var/cache/mpathfs-vm as root, else ~/.cache/mpathfs-vm), where
# later runs find it again. The initramfs is rebuilt only when its inputs
# change (this script, guest/init, the kernel, busybox).
#
# The guest's userland is this machine's own /usr, shared read-only over
# 9p by run-vm.sh (bash, fio, jq, losetup, mkfs.ext4, sg3-utils and every
# library the freshly built mpathfs links), so the initramfs holds only
# busybox (for /init, before /usr is mounted), the kernel modules and a few
# files in /etc. That needs a merged-/usr host (every Debian 12).
#
# As root it installs the Debian packages the tier needs when they are
# missing (apt-get install --no-install-recommends). Exit status: 0 built or
# re-used, 77 the tier cannot run here (qemu is missing and cannot be
# installed, or a package is missing and we are not root), 1 anything else.
set -euo pipefail
export LC_ALL=C

VM_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SELF=$VM_DIR/$(basename "${BASH_SOURCE[0]}")

say() { echo "build-guest: $*" >&2; }
die() { echo "build-guest: error: $*" >&2; exit 1; }
skip() { echo "build-guest: cannot run the vm tier: $*" >&2; exit 77; }

# ---------------------------------------------------------------- packages

# Packages the host needs: qemu and busybox for the guest itself, the rest
# because the guest runs this machine's /usr (sg3-utils for sg_turs, sg_inq,
# sg_rtpg when debugging; fio the verifying writer; jq to read the daemon's
# JSON; e2fsprogs for mkfs.ext4 and e2fsck; util-linux for losetup, mount,
# flock; fuse3 for fusermount3).
VM_PACKAGES=(qemu-system-x86 busybox-static sg3-utils fio jq e2fsprogs util-linux fuse3)

pkg_missing() {
	local p st
	for p in "$@"; do
		st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
		[ "$st" = installed ] || echo "$p"
	done
}

ensure_packages() {
	local missing
	missing=$(pkg_missing "${VM_PACKAGES[@]}" | tr '\n' ' ')
	missing=${missing% }
	[ -z "$missing" ] && return 0
	if [ "$(id -u)" != 0 ]; then
		skip "missing packages ($missing) and not root to install them"
	fi
	say "installing $missing"
	export DEBIAN_FRONTEND=noninteractive
	# shellcheck disable=SC2086
	if ! apt-get install -y -q --no-install-recommends $missing >&2; then
		apt-get update -q >&2 || true
		# shellcheck disable=SC2086
		if ! apt-get install -y -q --no-install-recommends $missing >&2; then
			# without qemu nothing of this tier can run: skip; anything
			# else missing is a broken set-up: fail
			command -v qemu-system-x86_64 >/dev/null ||
				skip "qemu-system-x86_64 is missing and apt-get install $missing failed"
			die "apt-get install $missing failed"
		fi
	fi
}

# ---------------------------------------------------------------- cache

if [ -n "${MPATHFS_VM_CACHE:-}" ]; then
	CACHE=$MPATHFS_VM_CACHE
elif [ "$(id -u)" = 0 ]; then
	CACHE=/var/cache/mpathfs-vm
else
	CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/mpathfs-vm
fi

# the kernel package linux-image-amd64 depends on, e.g. linux-image-6.1.0-56-amd64
resolve_kernel_pkg() {
	apt-cache depends linux-image-amd64 2>/dev/null |
		awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ { print $2; exit }'
}

fetch_kernel() {
	local pkg ver dir tmp deb
	pkg=$(resolve_kernel_pkg || true)
	if [ -z "$pkg" ] && [ "$(id -u)" = 0 ]; then
		say "apt has no linux-image-amd64 yet: apt-get update"
		apt-get update -q >&2 || true
		pkg=$(resolve_kernel_pkg || true)
	fi
	if [ -z "$pkg" ]; then
		# offline or no apt lists: the newest kernel already in the cache
		dir=$(ls -d "$CACHE"/kernel-*/ 2>/dev/null | sort -V | tail -n 1 || true)
		[ -n "$dir" ] || die "cannot resolve linux-image-amd64 (apt-cache depends) and no kernel is cached in $CACHE"
		KDIR=${dir%/}
		say "linux-image-amd64 not resolvable; using cached $(basename "$KDIR")"
	else
		ver=${pkg#linux-image-}
		KDIR=$CACHE/kernel-$ver
		if [ ! -f "$KDIR/.complete" ]; then
			say "fetching $pkg (apt-get download) into $CACHE"
			rm -rf "$KDIR" "$CACHE/dl"
			mkdir -p "$CACHE/dl"
			(cd "$CACHE/dl" && apt-get download "$pkg" >&2 2>"$CACHE/dl/apt.err") || {
				cat "$CACHE/dl/apt.err" >&2
				die "apt-get download $pkg failed"
			}
			deb=$(ls "$CACHE"/dl/*.deb | head -n 1)
			tmp=$CACHE/kernel-$ver.tmp
			rm -rf "$tmp"
			mkdir -p "$tmp"
			dpkg -x "$deb" "$tmp" || die "dpkg -x $deb failed"
			touch "$tmp/.complete"
			mv "$tmp" "$KDIR"
			rm -rf "$CACHE/dl"
		fi
	fi
	KVER=$(basename "$(ls -d "$KDIR"/lib/modules/*/ | head -n 1)")
	VMLINUZ=$KDIR/boot/vmlinuz-$KVER
	[ -f "$VMLINUZ" ] || die "no $VMLINUZ in the unpacked kernel package"
}

# ---------------------------------------------------------------- modules

# What the guest loads, in this order (their dependencies first, resolved
# below). scsi_dh_alua must NOT be there: it would attach to the ALUA LUN
# by itself and keep its own idea of the port groups' states; leaving the
# .ko out of the initramfs makes the kernel's own request_module for it
# fail.
GUEST_MODULES=(configfs scsi_mod sd_mod sg target_core_mod target_core_file
	target_core_iblock tcm_loop fuse loop crc32c_generic crct10dif_generic
	ext4 virtio_pci 9pnet_virtio 9p)

declare -A MOD_PATH=()	# name (with _) -> .ko path in the unpacked package
declare -A MOD_SEEN=()
MOD_ORDER=()

index_modules() {
	local f n
	while IFS= read -r f; do
		n=${f##*/}
		n=${n%.ko}
		MOD_PATH[${n//-/_}]=$f
	done < <(find "$KDIR/lib/modules/$KVER" -name '*.ko')
}

# depends= of a .ko, read from its .modinfo strings (no kmod needed)
mod_depends() {
	tr '\0' '\n' <"$1" | sed -n 's/^depends=//p' | head -n 1 | tr ',' ' '
}

add_module() {
	local n=${1//-/_} d
	[ -n "${MOD_SEEN[$n]:-}" ] && return 0
	[ "$n" = scsi_dh_alua ] && die "scsi_dh_alua must not be in the guest"
	[ -n "${MOD_PATH[$n]:-}" ] || die "module $1 is not in the kernel package $KVER (built in?)"
	MOD_SEEN[$n]=1
	for d in $(mod_depends "${MOD_PATH[$n]}"); do
		add_module "$d"
	done
	MOD_ORDER+=("$n")
}

# ---------------------------------------------------------------- initramfs

build_initrd() {
	local root=$1 out=$2 m rel bb
	rm -rf "$root"
	mkdir -p "$root"/{bb,dev,proc,sys,tmp,run,mnt,usr,vm,etc/mpathfs-vm,lib/modules}
	bb=$(command -v busybox || echo /bin/busybox)
	file -L "$bb" 2>/dev/null | grep -q 'statically linked' ||
		ldd "$bb" 2>&1 | grep -q 'not a dynamic executable' ||
		die "$bb is not the static busybox (install busybox-static)"
	cp "$bb" "$root/bb/busybox"
	for m in $("$bb" --list); do
		[ "$m" = busybox ] || ln -s busybox "$root/bb/$m"
	done
	# the rest of the userland is the host's /usr, mounted over 9p (merged /usr)
	ln -s usr/bin "$root/bin"
	ln -s usr/sbin "$root/sbin"
	ln -s usr/lib64 "$root/lib64"
	ln -s ../usr/lib/x86_64-linux-gnu "$root/lib/x86_64-linux-gnu"
	cp "$VM_DIR/guest/init" "$root/init"
	chmod 755 "$root/init"
	printf 'root:x:0:0:root:/root:/bin/bash\n' >"$root/etc/passwd"
	printf 'root:x:0:\ndisk:x:6:\n' >"$root/etc/group"
	ln -s /proc/self/mounts "$root/etc/mtab"
	[ -f /etc/mke2fs.conf ] && cp /etc/mke2fs.conf "$root/etc/"
	mkdir -p "$root/root"
	for m in "${MOD_ORDER[@]}"; do
		rel=${MOD_PATH[$m]#"$KDIR"/lib/modules/"$KVER"/}
		mkdir -p "$root/lib/modules/$KVER/$(dirname "$rel")"
		cp "${MOD_PATH[$m]}" "$root/lib/modules/$KVER/$rel"
	done
	cp "$KDIR/lib/modules/$KVER/modules.builtin" "$KDIR/lib/modules/$KVER/modules.order" \
		"$root/lib/modules/$KVER/" 2>/dev/null || true
	"$root/bb/busybox" depmod -b "$root" "$KVER" || die "busybox depmod failed"
	[ -s "$root/lib/modules/$KVER/modules.dep" ] || die "busybox depmod wrote no modules.dep"
	printf '%s\n' "${MOD_ORDER[@]}" >"$root/etc/mpathfs-vm/modules"
	echo "$KVER" >"$root/etc/mpathfs-vm/kernel"
	(cd "$root" && find . | LC_ALL=C sort | "$root/bb/busybox" cpio -o -H newc 2>/dev/null) |
		gzip -6 >"$out.tmp" || die "cpio/gzip failed"
	mv "$out.tmp" "$out"
}

main() {
	local key initrd lock
	ensure_packages
	mkdir -p "$CACHE"
	# one builder at a time per cache
	lock=$CACHE/.lock
	exec 9>"$lock"
	flock -w 600 9 || die "cannot lock $lock"
	fetch_kernel
	# the module list is in this script: its hash covers it
	key=$( { cat "$SELF" "$VM_DIR/guest/init"; echo "$KVER"
		sha256sum "$(command -v busybox || echo /bin/busybox)"; } | sha256sum | cut -c1-16)
	initrd=$CACHE/initrd-$KVER-$key.img
	if [ ! -s "$initrd" ]; then
		index_modules
		for m in "${GUEST_MODULES[@]}"; do
			add_module "$m"
		done
		say "building $initrd (${#MOD_ORDER[@]} modules)"
		build_initrd "$CACHE/initrd-root" "$initrd"
		rm -rf "$CACHE/initrd-root"
		# older initramfs images of this cache are stale now
		find "$CACHE" -maxdepth 1 -name 'initrd-*.img' ! -name "$(basename "$initrd")" -delete
	fi
	echo "MPATHFS_VM_KERNEL=$VMLINUZ"
	echo "MPATHFS_VM_INITRD=$initrd"
	echo "MPATHFS_VM_KVER=$KVER"
}

main "$@"
