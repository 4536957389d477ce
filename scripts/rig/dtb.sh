#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The L0 device tree for the rig's vfio-platform boots: what our virt
# machine generates (dumpdtb, with the machine options given), with its
# PL031 RTC turned into a device L1 can pass through with vfio-platform:
# compatible "arm,pl031" alone (a platform device, not an AMBA primecell)
# and "iommus" on the SMMUv3 (stream 0xfff0), which gives it an IOMMU
# group.  QEMU's SMMUv3 does not translate for the platform bus, but the
# PL031 does no DMA: the group is all VFIO needs.
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
    /pl031@/ { p = 1 }
    p && /compatible = / { print "\t\tcompatible = \"arm,pl031\";"; print "\t\tiommus = <" smmu " 0xfff0>;"; p = 0; next }
    { print }' "$out.dts" > "$out.new.dts"
grep -q 'iommus = <' "$out.new.dts" || die "no PL031 in the machine's device tree"
dtc -q -I dts -O dtb -o "$out" "$out.new.dts"
rm -f "$out.orig" "$out.dts" "$out.new.dts"
