#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Build the rig's own arm64 kernel from Debian's linux-source-6.12 with our
# reference kernel series (kernel/patches/: the kvm-vfio forwarding API)
# applied.  One kernel serves both levels: L1, the host (Debian's arm64
# kernel has CONFIG_VFIO_PLATFORM off, and vfio-platform is what the rig's
# PL031 runs need), and L2, the guest of every end-to-end run, which boots
# it in a fraction of the time Debian's kernel takes (the series changes
# host paths only: KVM's vgic and irqfd, VFIO; a guest runs released
# code).  A small config (scripts/kernel-common.sh: allnoconfig plus a
# list, all built in), cross-built with gcc-aarch64-linux-gnu, with the
# rig's guest-side counter scripts/rig/edu-irq/ built against it.  Cached in
# $QIF_CACHE/rig/kbuild-<version>-<hash of config, patches, module>/:
# Image, .config, edu_irq.ko, the series' KVM selftest (vfio_irq_forward)
# and the patched UAPI headers (usr/include, for our test program).
#
#   kernel.sh              build if needed; print the Image's path
#   kernel.sh --l2         also check it as L2 under our TCG build (below)
#                          if not checked yet; print the directory
#   kernel.sh --debug      the debug kernel (DEBUG_CONFIG on top, each of
#                          which must stay on), cached apart; L1 only
#   kernel.sh --cached     with the above: print only what is built (and
#                          checked) already, download nothing, else exit 1
#   kernel.sh --source-deb only fetch the source package, print its path
set -euo pipefail
. "$(dirname "$0")/../common.sh"

# shellcheck source=../kernel-common.sh
. "$(dirname "$0")/../kernel-common.sh"

debug=0 mode= what= l2=0 cached=0
for arg; do
    case $arg in
    --debug) debug=1 what="debug ";;
    --l2) l2=1;;
    --cached) cached=1;;
    --source-deb) mode=$arg;;
    *) die "unknown argument '$arg'";;
    esac
done
[ $debug = 0 ] || [ $l2 = 0 ] || die "--l2: L2 boots the kernel without the debug options"
cache=$QIF_CACHE/rig
mkdir -p "$cache/debs"
deb=$(ls -t "$cache"/debs/linux-source-6.12_*.deb 2>/dev/null | head -1 || true)
if [ -z "$deb" ]; then
    [ $cached = 0 ] || exit 1
    (cd "$cache/debs" && apt-get download -qq linux-source-6.12 2>&1 |
        grep -v '^W: Download is performed unsandboxed' || true)
    deb=$(ls -t "$cache"/debs/linux-source-6.12_*.deb 2>/dev/null | head -1 || true)
    [ -n "$deb" ] || die "apt-get download linux-source-6.12 failed"
fi
if [ "$mode" = --source-deb ]; then
    echo "$deb"
    exit 0
fi
ver=$(basename "$deb" | sed 's/^linux-source-6.12_\([^_]*\)_all.deb$/\1/')
patches=("$TOP"/kernel/patches/*.patch)
mod=$TOP/scripts/rig/edu-irq
[ $debug = 0 ] || CONFIG+=("${DEBUG_CONFIG[@]}")
hash=$({ printf '%s\n' "${CONFIG[@]}"; cat "${patches[@]}" "$mod/Kbuild" "$mod/edu_irq.c"; } |
       sha256sum | cut -c1-12)
out=$cache/kbuild-$ver-$hash
# The L2 check's stamp: redone when what it runs (L2's /init, this
# script, the config list) changes, the kernel kept
stamp=$out/l2-checked-$(cat "$0" "$TOP/scripts/kernel-common.sh" "$TOP/scripts/rig/l2-init" |
                        sha256sum | cut -c1-12)

# l2_check: boot $out as the rig's L2 under our TCG build, QEMU's virt on
# GICv3 and GICv2 with 2 CPUs and QEMU's own emulated edu, L2's /init
# (scripts/rig/l2-init) with edu_irq.ko as the rig's L2 has them: every
# INTx and MSI must arrive, MSIs moving between the CPUs too, and L2 must
# power off.  A kernel that cannot be the rig's L2 fails here, by name,
# not in the rig.  What this does not run, the rig's runs do: PCIe
# hotplug (the unplug runs), the PL031 and KVM.
l2_check() {
    local dir check kind log want rc what
    [ -x "$OBJ/qemu-system-aarch64" ] ||
        die "$OBJ/qemu-system-aarch64 is not built (make): L2's kernel is checked with it"
    need_tools cpio:cpio
    dir=$(mktemp -d)
    l2_initramfs "$cache/busybox/bin/busybox" "$out/edu_irq.ko" "$dir/initramfs.gz"
    for check in "3 0" "3 1" "3 1 e2e.move=4" "2 0" "2 1"; do
        set -- $check
        kind=intx
        [ "$2" = 0 ] || kind=msi
        log=$dir/check-gicv$1-$kind${3:+-move}.log
        what="GICv$1, $kind${3:+, $3}"
        rc=0
        timeout 120 "$OBJ/qemu-system-aarch64" -M virt,gic-version="$1" -cpu max -smp 2 -m 256 \
            -display none -nodefaults -serial file:"$log" -no-reboot -device edu \
            -kernel "$out/Image" -initrd "$dir/initramfs.gz" \
            -append "console=ttyAMA0 rdinit=/init quiet e2e.n=100 e2e.msi=$2 ${3:-}" \
            >> "$dir/qemu.log" 2>&1 || rc=$?
        [ $rc -ne 124 ] || die "the kernel's L2 check under TCG ($what): L2 did not power off within 120 s (log: $log)"
        want="E2E-RESULT kind=$kind requested=100 delivered=100 lost=0 "
        [ -z "${3:-}" ] || want+=".* cpus=2"
        if ! grep -q "^$want" <(tr -d '\r' < "$log" 2>/dev/null); then
            tail -5 "$log" >&2 || true
            die "the kernel fails its L2 check under TCG ($what): no '$want' (QEMU exit $rc; log: $log)"
        fi
    done
    rm -rf "$dir"
    note "the kernel checked as L2 under TCG: edu's INTx and MSI on GICv3 and GICv2, MSI moved between 2 CPUs"
    rm -f "$out"/l2-checked-*
    touch "$stamp"
}

if [ ! -f "$out/Image" ]; then
    [ $cached = 0 ] || exit 1
    # Only a build needs the tools: the series checks need just the source.
    need_tools aarch64-linux-gnu-gcc:gcc-aarch64-linux-gnu flex:flex bison:bison bc:bc
    note "building the rig's ${what}kernel (linux-source-6.12 $ver, ${#patches[@]} patches, ${#CONFIG[@]} options) in $out"
    tree=$out.tmp
    kernel_git_tree "$deb" "$tree"
    git -C "$tree" apply "${patches[@]}" ||
        die "kernel/patches/ does not apply to linux-source-6.12 $ver"
    kernel_config "$tree"
    k=("${KMAKE[@]}")
    for opt in "${CONFIG[@]}"; do   # a debug kernel without its checks is no debug kernel
        case $opt in
        -*) ! grep -qx "CONFIG_${opt#-}=y" "$tree/.config" || die "CONFIG_${opt#-} did not stay off";;
        *) grep -qx "CONFIG_$opt=y" "$tree/.config" || die "CONFIG_$opt did not stay on";;
        esac
    done
    # modules: Module.symvers, which edu_irq.ko links against
    "${k[@]}" -j"${JOBS:-$(nproc)}" Image modules > "$tree/build.log" 2>&1 ||
        { tail -30 "$tree/build.log" >&2; die "kernel build failed"; }
    "${k[@]}" headers >> "$tree/build.log" 2>&1 ||
        { tail -30 "$tree/build.log" >&2; die "kernel: make headers failed"; }
    # The series' KVM selftest (kernel/patches/), static: L1 has no libc
    "${k[@]}" -C tools/testing/selftests/kvm EXTRA_CFLAGS=-static \
        OUTPUT="$tree/kselftest" "$tree/kselftest/aarch64/vfio_irq_forward" \
        >> "$tree/build.log" 2>&1 ||
        { tail -30 "$tree/build.log" >&2; die "the KVM selftest vfio_irq_forward does not build"; }
    mkdir -p "$tree/edu-irq"
    cp "$mod/Kbuild" "$mod/edu_irq.c" "$tree/edu-irq/"
    "${k[@]}" M="$tree/edu-irq" modules >> "$tree/build.log" 2>&1 ||
        { tail -30 "$tree/build.log" >&2; die "edu_irq.ko does not build for the kernel"; }
    # Made aside and renamed: an interrupted copy is never taken for a build
    rm -rf "$out.new"
    mkdir -p "$out.new/usr"
    cp "$tree/arch/arm64/boot/Image" "$tree/.config" "$tree/edu-irq/edu_irq.ko" \
        "$tree/kselftest/aarch64/vfio_irq_forward" "$out.new/"
    cp -r "$tree/usr/include" "$out.new/usr/"
    rm -rf "$out"
    mv -T "$out.new" "$out"
    rm -rf "$tree"
fi
if [ $l2 = 0 ]; then
    echo "$out/Image"
    exit 0
fi
if [ ! -f "$stamp" ]; then
    [ $cached = 0 ] || exit 1
    l2_check
fi
echo "$out"
