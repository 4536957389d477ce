#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Build the arm64 rig's L2 guest kernel and edu_irq.ko for it: Debian's
# linux-source-6.12 as released (a guest needs nothing of our series),
# configured with L2_CONFIG (scripts/kernel-common.sh: allnoconfig plus
# what L2 uses, everything built in but edu_irq).  Debian's arm64 kernel,
# which L2 booted before, spends most of each end-to-end run booting.
# Before it is cached, it must boot under our TCG build (QEMU's virt,
# GICv3 and GICv2, 2 CPUs, QEMU's emulated edu), edu_irq must get every
# INTx and MSI, MSIs moving between the CPUs too, and L2 must power off:
# an L2 that cannot do that fails here, by name, not in the rig.  What
# this does not run, the rig's runs do: PCIe hotplug (the unplug runs),
# the PL031 and KVM.  Cached in
# $QIF_CACHE/rig/l2build-<version>-<hash of the config, the module's
# source and the scripts that build and check it>/ (Image, .config,
# edu_irq.ko); prints that directory.  --cached: print it only if it is
# built already (and download nothing).
set -euo pipefail
. "$(dirname "$0")/../common.sh"

# shellcheck source=../kernel-common.sh
. "$(dirname "$0")/../kernel-common.sh"

mode=
for arg; do
    case $arg in
    --cached) mode=$arg;;
    *) die "unknown argument '$arg'";;
    esac
done
if [ "$mode" = --cached ]; then
    deb=$(ls -t "$QIF_CACHE"/rig/debs/linux-source-6.12_*.deb 2>/dev/null | head -1)
    [ -n "$deb" ] || exit 1
else
    deb=$("$TOP/scripts/rig/kernel.sh" --source-deb)
fi
ver=$(basename "$deb" | sed 's/^linux-source-6.12_\([^_]*\)_all.deb$/\1/')
mod=$TOP/scripts/rig/edu-irq
hash=$({ printf '%s\n' "${L2_CONFIG[@]}"
         cat "$mod/Kbuild" "$mod/edu_irq.c" "$0" "$TOP/scripts/kernel-common.sh" \
             "$TOP/scripts/rig/l2-init"; } | sha256sum | cut -c1-12)
out=$QIF_CACHE/rig/l2build-$ver-$hash
if [ -f "$out/Image" ] && [ -f "$out/edu_irq.ko" ]; then
    echo "$out"
    exit 0
fi
[ "$mode" != --cached ] || exit 1

need_tools aarch64-linux-gnu-gcc:gcc-aarch64-linux-gnu flex:flex bison:bison bc:bc
note "building the L2 kernel and edu_irq.ko (linux-source-6.12 $ver, ${#L2_CONFIG[@]} options) in $out"
tree=$out.tmp
kernel_git_tree "$deb" "$tree"
kernel_config "$tree" "${L2_CONFIG[@]}"
for opt in "${L2_CONFIG[@]}"; do
    grep -qx "CONFIG_$opt=y" "$tree/.config" || die "L2 kernel: CONFIG_$opt did not stay on"
done
k=("${KMAKE[@]}")
# modules: Module.symvers, which edu_irq.ko links against
"${k[@]}" -j"${JOBS:-$(nproc)}" Image modules > "$tree/build.log" 2>&1 ||
    { tail -30 "$tree/build.log" >&2; die "L2 kernel build failed"; }
mkdir -p "$tree/edu-irq"
cp "$mod/Kbuild" "$mod/edu_irq.c" "$tree/edu-irq/"
"${k[@]}" M="$tree/edu-irq" modules >> "$tree/build.log" 2>&1 ||
    { tail -30 "$tree/build.log" >&2; die "edu_irq.ko does not build for the L2 kernel"; }

# The TCG check: L2's /init (scripts/rig/l2-init) with edu_irq.ko, as the
# rig's L2 has them
[ -x "$OBJ/qemu-system-aarch64" ] || die "$OBJ/qemu-system-aarch64 is not built (make): the L2 kernel is checked with it"
need_tools cpio:cpio
l2_initramfs "$QIF_CACHE/rig/busybox/bin/busybox" "$tree/edu-irq/edu_irq.ko" "$tree/l2-initramfs.gz"
for check in "3 0" "3 1" "3 1 e2e.move=4" "2 0" "2 1"; do
    set -- $check
    kind=intx
    [ "$2" = 0 ] || kind=msi
    log=$tree/check-gicv$1-$kind${3:+-move}.log
    what="GICv$1, $kind${3:+, $3}"
    rc=0
    timeout 120 "$OBJ/qemu-system-aarch64" -M virt,gic-version="$1" -cpu max -smp 2 -m 256 \
        -display none -nodefaults -serial file:"$log" -no-reboot -device edu \
        -kernel "$tree/arch/arm64/boot/Image" -initrd "$tree/l2-initramfs.gz" \
        -append "console=ttyAMA0 rdinit=/init quiet e2e.n=100 e2e.msi=$2 ${3:-}" \
        >> "$tree/check.log" 2>&1 || rc=$?
    [ $rc -ne 124 ] || die "the L2 kernel's check under TCG ($what): L2 did not power off within 120 s (log: $log)"
    want="E2E-RESULT kind=$kind requested=100 delivered=100 lost=0 "
    [ -z "${3:-}" ] || want+=".* cpus=2"
    if ! grep -q "^$want" <(tr -d '\r' < "$log" 2>/dev/null); then
        tail -5 "$log" >&2 || true
        die "the L2 kernel fails its check under TCG ($what): no '$want' (QEMU exit $rc; log: $log)"
    fi
done
note "L2 kernel checked under TCG: edu's INTx and MSI on GICv3 and GICv2, MSI moved between 2 CPUs"
# Made aside and renamed: an interrupted copy is never taken for a build
rm -rf "$out" "$out.new"
mkdir -p "$out.new"
cp "$tree/arch/arm64/boot/Image" "$tree/.config" "$tree/edu-irq/edu_irq.ko" "$out.new/"
mv -T "$out.new" "$out"
rm -rf "$tree"
echo "$out"
