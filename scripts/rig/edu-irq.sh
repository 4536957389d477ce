#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Build the rig's guest-side interrupt counter, scripts/rig/edu-irq/, as
# an out-of-tree module for Debian's arm64 kernel (the one L1 runs in the
# boots of Debian's kernel; L2's is built with scripts/rig/kernel.sh),
# with Debian's headers and kbuild tools and the cross compiler the kernel
# itself was built with (aarch64-linux-gnu-gcc-12).  RIG_ARCH=x86: for
# the x86 rig's kernel (Debian 12's amd64), with the host's own gcc-12.
# Output: build/rig/edu-irq/edu_irq.ko (x86: build/rig-x86/edu-irq/)
set -euo pipefail
. "$(dirname "$0")/../common.sh"

cache=$("$TOP/scripts/rig/fetch.sh")
hdr=$(readlink -f "$cache/headers")
common=$(ls -d "$hdr"/usr/src/linux-headers-*-common)
if [ "${RIG_ARCH:-arm64}" = x86 ]; then
    kdir=$(ls -d "$hdr"/usr/src/linux-headers-*-amd64)
    need_tools gcc-12:gcc-12
    out=$BUILD/rig-x86/edu-irq readelf=readelf
else
    kdir=$(ls -d "$hdr"/usr/src/linux-headers-*-arm64)
    need_tools aarch64-linux-gnu-gcc-12:gcc-12-aarch64-linux-gnu
    out=$BUILD/rig/edu-irq readelf=aarch64-linux-gnu-readelf
fi
# Debian's Makefile includes the common part by its installed path.
sed -i "s|^include .*/linux-headers-[^/]*-common/Makefile$|include $common/Makefile|" \
    "$kdir/Makefile"

mkdir -p "$out"
cp "$TOP"/scripts/rig/edu-irq/{Kbuild,edu_irq.c} "$out/"
# No BTF for our module: that needs pahole, and nothing here reads it.
make -s -C "$kdir" M="$out" CONFIG_DEBUG_INFO_BTF_MODULES= modules \
    > "$out/build.log" 2>&1 ||
    { cat "$out/build.log" >&2; die "edu_irq.ko failed to build"; }
grep -q "vermagic=$(basename "$kdir" | sed 's/^linux-headers-//') " \
    <($readelf -p .modinfo "$out/edu_irq.ko" | sed 's/^.*\] *//') ||
    die "edu_irq.ko does not match the rig's kernel"
note "guest module: $out/edu_irq.ko"
