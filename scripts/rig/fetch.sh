#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Fetch what the emulated arm64 rig boots, from the Debian archive only,
# into $QIF_CACHE/rig (outside the clone, so fresh clones reuse it):
#   L1 kernel + modules: Debian's arm64 kernel from bookworm-backports
#   busybox-static:arm64 for the initramfs
#   the kernel's headers and (amd64) kbuild tools, to build edu_irq.ko
# The .debs are unpacked with dpkg-deb -x; nothing :arm64 is installed.
# RIG_ARCH=x86: the x86 rig's instead, into $QIF_CACHE/rig-x86: Debian
# 12's own amd64 kernel (the one its linux-image-amd64 points at), its
# headers and busybox-static, all native.
# Prints the directory holding kernel/, busybox/ and headers/.
set -euo pipefail
. "$(dirname "$0")/../common.sh"

# Host tools the rig uses (amd64, from Debian): cpio for the initramfs,
# strings to read module dependencies, xz to decompress modules.
need_tools cpio:cpio strings:binutils xz:xz-utils

fetch_deb() {   # fetch_deb PACKAGE DIR [ARCH]: download and unpack once
    local pkg=$1 dir=$2 arch=${3-arm64} deb
    [ -f "$dir/.done" ] && grep -qx "$pkg" "$dir/.done" && return
    (cd "$RIG_CACHE/debs" &&
     apt-get download -qq "$pkg${arch:+:$arch}" 2>&1 |
        grep -v '^W: Download is performed unsandboxed' || true)
    deb=$(ls -t "$RIG_CACHE/debs/${pkg}_"*.deb 2>/dev/null | head -1)
    [ -n "$deb" ] || die "apt-get download $pkg${arch:+:$arch} failed"
    mkdir -p "$dir"
    dpkg-deb -x "$deb" "$dir"
    echo "$pkg" >> "$dir/.done"
}

if [ "${RIG_ARCH:-arm64}" = x86 ]; then
    RIG_CACHE=$QIF_CACHE/rig-x86
    mkdir -p "$RIG_CACHE/debs"
    kpkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
           sed -n 's/^ *Depends: \(linux-image-6\.[0-9.]*-[0-9]*-amd64\)$/\1/p' | head -1)
    [ -n "$kpkg" ] || die "no linux-image-amd64 in apt's lists (run scripts/setup-deps.sh)"
    kver=${kpkg#linux-image-}
    note "x86 L1 kernel: $kpkg"
    fetch_deb "$kpkg" "$RIG_CACHE/kernel-$kver" ""
    fetch_deb busybox-static "$RIG_CACHE/busybox" ""
    # The headers' own dependencies: the common part and the kbuild tools
    for pkg in "linux-headers-$kver" $(apt-cache depends "linux-headers-$kver" |
            sed -n 's/^ *Depends: \(linux-\(headers\|kbuild\)-[^ <>]*\)$/\1/p'); do
        fetch_deb "$pkg" "$RIG_CACHE/headers-$kver" ""
    done
    ln -sfn "headers-$kver" "$RIG_CACHE/headers"
    ln -sfn "kernel-$kver" "$RIG_CACHE/kernel"
    echo "$RIG_CACHE"
    exit 0
fi

RIG_CACHE=$QIF_CACHE/rig
mkdir -p "$RIG_CACHE/debs"

if ! dpkg --print-foreign-architectures | grep -qx arm64 ||
   ! apt-cache show busybox-static:arm64 >/dev/null 2>&1; then
    [ "$(id -u)" = 0 ] || die "the rig needs Debian's arm64 package lists; run as root, or: sudo dpkg --add-architecture arm64 && sudo apt-get update"
    note "adding the arm64 architecture to apt (package lists only)"
    dpkg --add-architecture arm64
    apt-get update -qq
fi

# The kernel the bookworm-backports arm64 meta-package points at today.
kpkg=$(apt-cache depends linux-image-arm64:arm64/bookworm-backports 2>/dev/null |
       sed -n 's/^ *Depends: \(linux-image-6\.[0-9.]*+[a-z0-9]*-arm64\)\(:arm64\)\{0,1\}$/\1/p' |
       head -1)
[ -n "$kpkg" ] || die "bookworm-backports has no arm64 kernel meta-package (is bookworm-backports in apt's sources? run scripts/setup-deps.sh)"
kver=${kpkg#linux-image-}

note "L1 kernel: $kpkg"
fetch_deb "$kpkg" "$RIG_CACHE/kernel-$kver"
fetch_deb busybox-static "$RIG_CACHE/busybox"
# iperf3 for the NIC runs (L1 serves, L2 sends), with its libraries
for pkg in iperf3 libiperf0 libsctp1 libssl3; do
    fetch_deb "$pkg" "$RIG_CACHE/net"
done
# Headers for out-of-tree modules: the flavour's (arm64), the common part
# (arch: all) and the prebuilt kbuild tools, which must run here (amd64).
kbase=${kver%-arm64}
fetch_deb "linux-headers-$kver" "$RIG_CACHE/headers-$kver"
fetch_deb "linux-headers-$kbase-common" "$RIG_CACHE/headers-$kver" ""
fetch_deb "linux-kbuild-$kbase" "$RIG_CACHE/headers-$kver" amd64
ln -sfn "headers-$kver" "$RIG_CACHE/headers"
ln -sfn "kernel-$kver" "$RIG_CACHE/kernel"
echo "$RIG_CACHE"
