#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# "make off-compare" (in make check-full): x-forward=off must be
# upstream's behaviour, ioctl for ioctl.  Cross-builds upstream's QEMU
# (the series' base, qif-base of build/src) as ours is, and boots the
# rig on our L1 kernel per GIC in OFFCMP_GICS (default "3 2"): there
# each QEMU runs vfio-platform (PL031, level SPI) and vfio-pci (edu INTx,
# then MSI) under strace, OFFCMP_N interrupts a run (default 200), and
# scripts/rig/off-compare.py compares the ioctls.  Then the same for x86
# (OFFCMP_X86=0: not): upstream's qemu-system-x86_64 built natively from
# that tree, in the x86 rig (edu INTx with L2's IOAPIC in KVM and in
# QEMU, edu MSI, the NVMe controller's MSI-X).
# Their differences must be the recorded ones
# (tests/rig/off-compare-{gicvN,x86}.diff), each explained in
# docs/rig-off-compare.md; OFFCMP_RECORD=1 records them instead.
# OFFCMP_PRINT_BINDING=1 only prints the commit of the PL031's binding.
# Output: build/rig/off-compare/{gicvN,x86}/.
set -euo pipefail
. "$(dirname "$0")/../common.sh"

[ -d "$SRC/.git" ] || die "$SRC is not assembled; run 'make'"
U=$BUILD/upstream
# Upstream cannot pass the PL031 through at all: it has no vfio-platform
# device tree binding for it (QEMU exits "can not be dynamically
# instantiated").  Patch 11 adds only that binding, no interrupt code:
# the baseline has it.  Its subject whole: the PL011's binding, later,
# starts alike and does not apply to the base.  (One commit from git
# itself, not "| head -1": under pipefail, git log's second line could
# hit a closed pipe and end the script without a word.)
binding=$(git -C "$SRC" log -1 --format=%H \
    --grep='^hw/core/sysbus-fdt: Add a vfio-platform binding for the ARM PL031$' qif-base..HEAD)
[ -n "$binding" ] || die "the PL031 binding commit is not in $SRC"
if [ "${OFFCMP_PRINT_BINDING:-}" = 1 ]; then echo "$binding"; exit 0; fi
git -C "$SRC" worktree prune
if ! git -C "$U/src" rev-parse -q --verify HEAD >/dev/null 2>&1; then
    rm -rf "$U/src"
    mkdir -p "$U"
    git -C "$SRC" worktree add -q --detach "$U/src" qif-base
fi
base=$(git -C "$SRC" rev-parse qif-base)
# Already there (then nothing is rebuilt), or set up anew from a clean state
pid() { git -C "$1" show "$2" | git patch-id --stable | cut -d' ' -f1; }
if [ "$(git -C "$U/src" rev-parse -q --verify HEAD^ 2>/dev/null)" != "$base" ] ||
   [ "$(pid "$U/src" HEAD)" != "$(pid "$SRC" "$binding")" ] ||
   ! git -C "$U/src" diff --quiet HEAD; then
    git -C "$U/src" cherry-pick --abort >/dev/null 2>&1 || :
    git -C "$U/src" reset -q --hard
    git -C "$U/src" checkout -q --detach "$base"
    git -C "$U/src" -c user.name=off-compare -c user.email=off-compare@invalid \
        cherry-pick "$binding" >/dev/null
fi
note "cross-building upstream's QEMU ($(git -C "$SRC" log -1 --format=%s qif-base), with the PL031 binding)"
QIF_SRC=$U/src QIF_OBJ=$U/qemu QIF_CROSS_OBJ=$U/rig/qemu-aarch64 \
    QIF_CROSS_TARGETS=qemu-system-aarch64 "$TOP/scripts/rig/cross-qemu.sh"
"$TOP/scripts/rig/cross-qemu.sh"
"$TOP/scripts/rig/edu-irq.sh"

# strace for arm64, unpacked like the sysroot: Debian's, with the
# libraries it needs beyond libc.
sroot=$QIF_CACHE/rig/strace-root
SPKGS=(strace libunwind8 liblzma5)
if [ "$(cat "$sroot/.done" 2>/dev/null)" != "${SPKGS[*]}" ]; then
    rm -rf "$sroot" "$sroot-debs"
    mkdir -p "$sroot" "$sroot-debs"
    (cd "$sroot-debs" &&
     apt-get download -qq "${SPKGS[@]/%/:arm64}" 2>&1 | grep -v '^W: Download is performed unsandboxed' || true)
    for deb in "$sroot-debs"/*.deb; do
        dpkg-deb -x "$deb" "$sroot"
    done
    [ -x "$sroot/usr/bin/strace" ] || die "strace:arm64 did not unpack into $sroot"
    echo "${SPKGS[*]}" > "$sroot/.done"
fi

# x86: upstream's build of the same tree, native (ccache makes it a
# relink, mostly), run from the host's root in the x86 rig as ours is
targets=${OFFCMP_GICS:-3 2}
if [ "${OFFCMP_X86:-1}" = 1 ]; then
    note "building upstream's qemu-system-x86_64"
    QIF_SRC=$U/src QIF_OBJ=$U/qemu NINJA_TARGETS=qemu-system-x86_64 "$TOP/scripts/build.sh"
    QIF_SRC=$U/src QIF_OBJ=$U/qemu "$TOP/scripts/firmware.sh"
    targets+=" x86"
fi

pass=0 fail=0
for gic in $targets; do
    name=GICv$gic
    out=$BUILD/rig/off-compare/gicv$gic
    log=$BUILD/rig/l1-console-gicv$gic-platform-offcmp.log
    expected=$TOP/tests/rig/off-compare-gicv$gic.diff
    if [ "$gic" = x86 ]; then
        name=x86
        out=$BUILD/rig/off-compare/x86
        log=$BUILD/rig-x86/l1-console-offcmp.log
        expected=$TOP/tests/rig/off-compare-x86.diff
    fi
    rm -rf "$out"
    mkdir -p "$out"
    rm -f "$log"
    boot=ok
    if [ "$gic" = x86 ]; then
        RIG_ARCH=x86 RIG_E2E=${OFFCMP_N:-200} RIG_UPSTREAM_QEMU=$U/qemu/qemu-system-x86_64 \
            "$TOP/scripts/rig/boot.sh" || boot=failed
    else
        RIG_PLATFORM=1 RIG_GIC=$gic RIG_E2E=${OFFCMP_N:-200} \
            RIG_UPSTREAM_QEMU=$U/rig/qemu-aarch64/qemu-system-aarch64 \
            RIG_STRACE_ROOT=$sroot "$TOP/scripts/rig/boot.sh" || boot=failed
    fi
    touch "$log"
    mkdir -p "$(dirname "$expected")"
    # On GICv3 upstream's vfio-platform finds no KVM GSI for its SPI and
    # takes the userspace path (patch 5 fixes that), whose ioctls follow
    # the timing of each interrupt: nothing to compare ioctl for ioctl.
    # x86 has no platform device; the arm64 rig no split IOAPIC and no
    # MSI-X device.
    case $gic in
    x86) skip="--skip spi";;
    3) skip="--skip spi --skip intx-split --skip msix";;
    *) skip="--skip intx-split --skip msix";;
    esac
    # shellcheck disable=SC2086
    if [ $boot = ok ] &&
       python3 "$TOP/scripts/rig/off-compare.py" "$log" "$out" "$expected" \
           ${OFFCMP_RECORD:+--record} $skip; then
        pass=$((pass + 1))
    else
        note "$name: FAIL (boot $boot; console: $log; traces: $out)"
        fail=$((fail + 1))
    fi
done
[ -n "${QIF_SUMMARY:-}" ] && echo "off-compare $pass $fail 0" >> "$QIF_SUMMARY"
[ $fail -eq 0 ] || die "x-forward=off differs from upstream beyond the recorded differences on $fail of $((pass + fail)) hosts (GICs, x86)"
note "x-forward=off: upstream's ioctls, up to the recorded differences (docs/rig-off-compare.md)"
