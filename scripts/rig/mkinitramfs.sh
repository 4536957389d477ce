#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Build the L1 initramfs of the emulated arm64 rig: busybox-static, the
# kernel modules the rig needs (with their dependencies, decompressed),
# and scripts/rig/l1-init as /init.
# Usage: mkinitramfs.sh RIG_CACHE OUT [KTEST [KSELFTEST]]
# KTEST: our kernel API test program, installed as /opt/kvm-vfio-forward-test;
# KSELFTEST: the series' KVM selftest, as /opt/vfio_irq_forward.
# RIG_ARCH=x86: the x86 rig's L1, which runs our x86 QEMU from the host's
# own root, shared into L1 over 9p (nothing of QEMU's is copied in).
set -euo pipefail
. "$(dirname "$0")/../common.sh"
# shellcheck source=../kernel-common.sh
. "$(dirname "$0")/../kernel-common.sh"

cache=$1 out=$2 ktest=${3:-} kselftest=${4:-}
kdir=$(readlink -f "$cache/kernel")
kver=$(basename "$(ls -d "$kdir"/lib/modules/*)")
mods=$kdir/lib/modules/$kver
# What L1 loads, in this order after dependencies: VFIO for passing a PCI
# device through, UIO for driving it from a test program; on x86 also
# KVM (AMD: TCG emulates SVM, not VMX) and 9p for the host's root.
WANT=(vfio_iommu_type1 vfio-pci uio_pci_generic)
xobj=$BUILD/rig/qemu-aarch64 ko=$BUILD/rig/edu-irq/edu_irq.ko x86=
if [ "${RIG_ARCH:-arm64}" = x86 ]; then
    x86=1
    WANT=(kvm_amd virtio_pci 9pnet_virtio 9p "${WANT[@]}")
    ko=$BUILD/rig-x86/edu-irq/edu_irq.ko
fi

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
busybox_root() {    # busybox_root DIR APPLET...: a root with busybox in it
    local dir=$1 app
    shift
    mkdir -p "$dir"/{bin,sbin,dev,proc,sys,tmp,mnt,lib/modules}
    cp "$cache/busybox/bin/busybox" "$dir/bin/"
    for app in "$@"; do
        ln -sf busybox "$dir/bin/$app"
    done
}
busybox_root "$root" sh mount mkdir echo cat ls grep sed insmod poweroff \
    sleep dmesg readlink basename head tr tee date ip
# cross_static NAME DIR: scripts/rig/NAME.c, a static arm64 program in DIR
cross_static() {
    need_tools aarch64-linux-gnu-gcc:gcc-aarch64-linux-gnu \
        /usr/aarch64-linux-gnu/include/stdio.h:libc6-dev-arm64-cross
    aarch64-linux-gnu-gcc -static -O2 -Wall -Wextra -Werror \
        "$TOP/scripts/rig/$1.c" -o "$2/$1" || die "scripts/rig/$1.c does not build"
}
install -m 755 "$TOP/scripts/rig/l1-init" "$root/init"

find_mod() { find "$mods/kernel" -name "$1.ko*" | head -1; }
declare -A seen
order=()
# add_mod NAME [DIR]: NAME's module in DIR (default L1's lib/modules),
# its dependencies first, each once per DIR, in the order DIR/order lists
add_mod() {
    local name=$1 dir=${2:-$root/lib/modules} f deps d
    [ -n "${seen[$dir:$name]:-}" ] && return
    seen[$dir:$name]=1
    f=$(find_mod "$name")
    [ -n "$f" ] || f=$(find_mod "${name//_/-}")
    [ -n "$f" ] || die "module $name is not in $kdir (built in? check the kernel config)"
    deps=$(xz -dcf "$f" | strings | sed -n 's/^depends=//p' | head -1)
    for d in ${deps//,/ }; do
        add_mod "$d" "$dir"
    done
    xz -dcf "$f" > "$dir/$name.ko"
    echo "$name" >> "$dir/order"
}
for m in "${WANT[@]}"; do
    add_mod "$m"
done
mapfile -t order < "$root/lib/modules/order"
echo "$kver" > "$root/lib/modules/kver"

# Our arm64 QEMU (scripts/rig/cross-qemu.sh), with the shared libraries
# it needs from the sysroot and the cross compiler's libc, when built.
have_qemu=
if [ -n "$x86" ]; then
    [ -x "$OBJ/qemu-system-x86_64" ] && have_qemu=1
elif [ -x "$xobj/qemu-system-aarch64" ]; then
    have_qemu=1
    need_tools aarch64-linux-gnu-readelf:binutils-aarch64-linux-gnu \
        /usr/aarch64-linux-gnu/lib/ld-linux-aarch64.so.1:libc6-arm64-cross
    mkdir -p "$root/opt/qemu/lib" "$root/lib"
    libdirs=("$cache/sysroot/usr/lib/aarch64-linux-gnu"
             "$cache/sysroot/lib/aarch64-linux-gnu" /usr/aarch64-linux-gnu/lib)
    # iperf3 and its libraries (scripts/rig/fetch.sh)
    libdirs+=("$cache/net/usr/lib/aarch64-linux-gnu")
    declare -A have
    # add_libs ELF [DIR]: its DT_NEEDED libraries, recursively, into DIR
    # (default L1's /opt/qemu/lib)
    add_libs() {
        local lib dir found dest=${2:-$root/opt/qemu/lib}
        for lib in $(aarch64-linux-gnu-readelf -d "$1" |
                     sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
            [ -n "${have[$dest:$lib]:-}" ] && continue
            have[$dest:$lib]=1
            found=
            for dir in "${libdirs[@]}"; do
                if [ -e "$dir/$lib" ]; then
                    found=$(readlink -f "$dir/$lib")
                    break
                fi
            done
            [ -n "$found" ] || die "$lib (needed by $(basename "$1")) is not in the sysroot"
            cp "$found" "$dest/$lib"
            add_libs "$found" "$dest"
        done
    }
    for bin in qemu-system-aarch64 tests/unit/test-kvm-vfio-irq; do
        [ -x "$xobj/$bin" ] || die "$xobj/$bin is not built; run scripts/rig/cross-qemu.sh"
        cp "$xobj/$bin" "$root/opt/qemu/"
        add_libs "$xobj/$bin"
    done
    # make off-compare (scripts/rig/off-compare.sh): upstream's QEMU, the
    # series' base cross-built alike, and strace with its libraries.
    if [ -n "${RIG_UPSTREAM_QEMU:-}" ]; then
        libdirs+=("$RIG_STRACE_ROOT/usr/lib/aarch64-linux-gnu"
                  "$RIG_STRACE_ROOT/lib/aarch64-linux-gnu")
        cp "$RIG_UPSTREAM_QEMU" "$root/opt/qemu/upstream-qemu-system-aarch64"
        add_libs "$RIG_UPSTREAM_QEMU"
        cp "$RIG_STRACE_ROOT/usr/bin/strace" "$root/opt/qemu/strace"
        add_libs "$RIG_STRACE_ROOT/usr/bin/strace"
    fi
    cp /usr/aarch64-linux-gnu/lib/ld-linux-aarch64.so.1 "$root/lib/"
    # The NIC runs' far end (scripts/rig/l1-e2e): iperf3 and tcp-rr serve
    # in L1, L2 asks through its passed-through NIC
    cp "$cache/net/usr/bin/iperf3" "$root/opt/qemu/"
    add_libs "$cache/net/usr/bin/iperf3"
    cross_static tcp-rr "$root/opt/qemu"
    cross_static l2wait "$root/opt/qemu"
fi
if [ -n "$have_qemu" ]; then
    mkdir -p "$root/opt/qemu"
    install -m 755 "$TOP/scripts/rig/l1-qemu-checks" "$root/opt/qemu/checks"
    busybox_root "$root" mkfifo wc sort kill awk usleep tail hexdump chroot cut ln taskset
fi

# The L2 guest for the end-to-end runs (scripts/rig/l1-e2e): an initramfs
# with edu_irq.ko.  On arm64 the rig's own kernel and its edu_irq.ko
# (scripts/rig/kernel.sh --l2, whatever L1 boots); on x86 L1's kernel
# and module.  L1 gets the module built for its own kernel
# (scripts/rig/edu-irq.sh).
if [ -f "$ko" ] && [ -n "$have_qemu" ]; then
    l2ko=$ko l2image=$(ls "$kdir"/boot/vmlinuz-*)
    if [ -z "$x86" ]; then
        l2k=$("$TOP/scripts/rig/kernel.sh" --l2)
        l2ko=$l2k/edu_irq.ko l2image=$l2k/Image
    fi
    mkdir -p "$root/opt/l2"
    # x86: L2 runs L1's kernel; its nvme driver drives the MSI-X device
    l2mods=
    if [ -n "$x86" ]; then
        l2mods=$root/.l2mods     # (removed with $root if this fails)
        mkdir "$l2mods"
        add_mod nvme "$l2mods"
    fi
    # arm64: L2's reader of the passed-through UART (l2-init's
    # e2e.uart=1), and its NIC runs' programs (e2e.nic=1): tcp-rr, and
    # iperf3 with its libraries
    l2tree=
    if [ -z "$x86" ]; then
        l2tree=$root/.l2tree
        mkdir -p "$l2tree/bin" "$l2tree/lib"
        cross_static uart-read "$l2tree/bin"
        cp "$root/opt/qemu/tcp-rr" "$l2tree/bin/"     # (built for L1 above)
        cp "$cache/net/usr/bin/iperf3" "$l2tree/bin/"
        add_libs "$cache/net/usr/bin/iperf3" "$l2tree/lib"
        cp /usr/aarch64-linux-gnu/lib/ld-linux-aarch64.so.1 "$l2tree/lib/"
    fi
    l2_initramfs "$cache/busybox/bin/busybox" "$l2ko" "$root/opt/l2/initramfs.gz" "$l2mods" "$l2tree"
    rm -rf "$l2mods" "$l2tree"
    cp "$ko" "$root/opt/"
    busybox_root "$root" rmmod
    cp "$l2image" "$root/opt/l2/Image"
    install -m 755 "$TOP/scripts/rig/l1-e2e" "$root/opt/qemu/e2e"
    # x86: L2 started by libvirt too (from the host's root, as our QEMU)
    [ -z "$x86" ] || install -m 644 "$TOP/scripts/rig/l1-libvirt" "$root/opt/qemu/libvirt"
fi

# the test programs of our kernel, each under its name in /opt
for t in "$ktest:kvm-vfio-forward-test" "$kselftest:vfio_irq_forward"; do
    [ -n "${t%%:*}" ] || continue
    mkdir -p "$root/opt"
    install -m 755 "${t%%:*}" "$root/opt/${t#*:}"
done

(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) > "$out.tmp"
mv "$out.tmp" "$out"
note "initramfs: $out ($(du -h "$out" | cut -f1); modules: ${order[*]})"
