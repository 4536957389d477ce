#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The L0 device tree for the rig's vfio-platform boots: what our virt
# machine generates (dumpdtb, with the machine options given), with its
# PL031 RTC turned into a device L1 can pass through with vfio-platform:
# compatible "arm,pl031" alone (a platform device, not an AMBA primecell)
# and "iommus" on the SMMUv3 (stream 0xfff0), which gives it an IOMMU
# group.  QEMU's SMMUv3 does not translate for the platform bus, but the
# PL031 does no DMA: the group is all VFIO needs.  Likewise the second
# PL011 UART (pl011@9040000, there with a second -serial): compatible
# "arm,pl011" alone, so that no L1 driver takes it, on stream 0xfff1.
# Usage: dtb.sh OUT.dtb QEMU-OPTIONS...
set -euo pipefail
. "$(dirname "$0")/../common.sh"

out=$1
shift
need_tools dtc:device-tree-compiler
args=("$@")
for i in "${!args[@]}"; do     # -M virt,... -> -M virt,...,dumpdtb=
    if [ "${args[$i]}" = -M ]; then
        args[$((i + 1))]+=",dumpdtb=$out.orig"
    fi
done
"$OBJ/qemu-system-aarch64" "${args[@]}" -nographic >/dev/null 2>&1 ||
    [ -s "$out.orig" ] || die "dumpdtb failed"
dtc -q -I dtb -O dts "$out.orig" > "$out.dts"
smmu=$(awk '/smmuv3@/ { s = 1 } s && /phandle = / { gsub(/[<>;]/, "", $3); print $3; exit }' "$out.dts")
[ -n "$smmu" ] || die "no SMMUv3 in the machine's device tree (iommu=smmuv3 missing?)"
awk -v smmu="$smmu" '
    /pl031@/ { p = "arm,pl031"; sid = "0xfff0" }
    /pl011@9040000 / { p = "arm,pl011"; sid = "0xfff1" }
    p != "" && /compatible = / { print "\t\tcompatible = \"" p "\";"; print "\t\tiommus = <" smmu " " sid ">;"; p = ""; next }
    { print }' "$out.dts" > "$out.new.dts"
grep -q 'iommus = <.* 0xfff0>' "$out.new.dts" || die "no PL031 in the machine's device tree"
if grep -q -- '-serial' <<<"$*"; then
    grep -q 'iommus = <.* 0xfff1>' "$out.new.dts" || die "no second PL011 in the machine's device tree"
fi
dtc -q -I dts -O dtb -o "$out" "$out.new.dts"
rm -f "$out.orig" "$out.dts" "$out.new.dts"
