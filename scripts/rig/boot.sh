#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# "make rig": boot the emulated arm64 host (L1) under our own
# qemu-system-aarch64 (TCG, virtualization=on, GICv3 or v2, SMMUv3) with
# an edu device, and check that L1 has KVM and can pass edu through with
# VFIO.  RIG_GIC=2 for GICv2.  Console log: build/rig/l1-console.log.
set -euo pipefail
. "$(dirname "$0")/../common.sh"

gic=${RIG_GIC:-3}
qemu=$OBJ/qemu-system-aarch64
[ -x "$qemu" ] || die "$qemu is not built; run 'make'"
cache=$("$TOP/scripts/rig/fetch.sh")
out=$BUILD/rig
mkdir -p "$out"
"$TOP/scripts/rig/mkinitramfs.sh" "$cache" "$out/initramfs.gz"
kernel=$(ls "$cache"/kernel/boot/vmlinuz-*)

log=$out/l1-console.log
note "booting L1 ($(basename "$kernel"), GICv$gic) under $qemu; console: $log"
start=$(date +%s)
rc=0
timeout "${RIG_TIMEOUT:-300}" "$qemu" \
    -M virt,virtualization=on,gic-version="$gic",iommu=smmuv3 \
    -cpu max -smp 2 -m 3G -nographic -no-reboot \
    -kernel "$kernel" -initrd "$out/initramfs.gz" \
    -append "console=ttyAMA0 rdinit=/init panic=-1 quiet loglevel=4" \
    -device edu > "$log" 2>&1 || rc=$?
secs=$(( $(date +%s) - start ))
grep -a '^RIG:' "$log" | tr -d '\r' || true
[ $rc -eq 0 ] || { tail -20 "$log" >&2; die "L1 did not power off cleanly (exit $rc, ${secs} s)"; }
grep -aq '^RIG: FAIL' "$log" && die "the rig's L1 checks failed (${secs} s)"
grep -aq '^RIG: done' "$log" || die "L1 stopped before its checks finished (${secs} s)"
note "rig ok: L1 booted, KVM up, edu bound to vfio-pci, in ${secs} s"
