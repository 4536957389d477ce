#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Cross-build our patched QEMU for arm64: the VMM that runs L2 inside the
# rig's L1.  Debian's gcc-aarch64-linux-gnu, and a sysroot of arm64 .debs
# unpacked with dpkg-deb -x (never installed: libfdt-dev:arm64 is not
# co-installable with the amd64 one).  Output: build/rig/qemu-aarch64/
# (a build dir; qemu-system-aarch64 needs only glib, libfdt, libc at run
# time, and the test programs built with it).
set -euo pipefail
. "$(dirname "$0")/../common.sh"

[ -e "$SRC/.git" ] || die "$SRC is not assembled; run 'make'"
"$TOP/scripts/rig/fetch.sh" >/dev/null
# The cross libc headers are only a Recommends of the compiler.
need_tools aarch64-linux-gnu-gcc:gcc-aarch64-linux-gnu \
    /usr/aarch64-linux-gnu/include/stdio.h:libc6-dev-arm64-cross

# The arm64 packages QEMU's build needs, with what their .pc files and
# libraries pull in.
PKGS=(
    libglib2.0-dev libglib2.0-0 libffi-dev libffi8 libpcre2-dev libpcre2-8-0
    libpcre2-16-0 libpcre2-32-0 libpcre2-posix3 libmount-dev libmount1
    libblkid-dev libblkid1 libselinux1-dev libselinux1 libsepol-dev libsepol2
    zlib1g-dev zlib1g libfdt-dev libfdt1 libpixman-1-dev libpixman-1-0
)
# libc, libm and the kernel headers come with the cross compiler.
sysroot=$QIF_CACHE/rig/sysroot
stamp="${PKGS[*]}"
if [ "$(cat "$sysroot/.done" 2>/dev/null)" != "$stamp" ]; then
    rm -rf "$sysroot" "$QIF_CACHE/rig/sysroot-debs"
    mkdir -p "$sysroot" "$QIF_CACHE/rig/sysroot-debs"
    note "sysroot: downloading ${#PKGS[@]} arm64 packages"
    (cd "$QIF_CACHE/rig/sysroot-debs" &&
     apt-get download -qq "${PKGS[@]/%/:arm64}" 2>&1 | grep -v '^W: Download is performed unsandboxed' || true)
    n=0
    for deb in "$QIF_CACHE"/rig/sysroot-debs/*.deb; do
        dpkg-deb -x "$deb" "$sysroot"
        n=$((n + 1))
    done
    [ "$n" -eq "${#PKGS[@]}" ] || die "sysroot: got $n of ${#PKGS[@]} packages"
    echo "$stamp" > "$sysroot/.done"
fi

# QIF_CROSS_OBJ: another build dir (check-bisect); keep it two levels
# below the source's parent, as build/rig/qemu-aarch64 is, for ccache.
obj=${QIF_CROSS_OBJ:-$BUILD/rig/qemu-aarch64}
lib=$sysroot/usr/lib/aarch64-linux-gnu
# KVM only: L1 runs its guests with KVM, never TCG, and without TCG the
# build leaves out the TCG-only boards as well: 1118 objects, not 1565.
opts=(--without-default-features --disable-tcg --enable-kvm --enable-fdt=system
      --disable-docs --disable-werror --disable-install-blobs)
want="src=$SRC sysroot=$stamp ${opts[*]}"
if [ ! -f "$obj/build.ninja" ] || [ "$(cat "$obj/.qif-cross" 2>/dev/null)" != "$want" ]; then
    rm -rf "$obj"
    mkdir -p "$obj"
    note "configuring the arm64 cross build in $obj"
    (cd "$obj" &&
     PKG_CONFIG_LIBDIR=$lib/pkgconfig:$sysroot/usr/share/pkgconfig \
     PKG_CONFIG_SYSROOT_DIR=$sysroot PKG_CONFIG=pkg-config \
     "$SRC/configure" --python=/usr/bin/python3 \
        --cross-prefix=aarch64-linux-gnu- --target-list=aarch64-softmmu \
        "${opts[@]}" \
        --extra-cflags="-I$sysroot/usr/include -I$sysroot/usr/include/aarch64-linux-gnu" \
        --extra-ldflags="-L$lib -Wl,-rpath-link,$lib -L$sysroot/lib/aarch64-linux-gnu -Wl,-rpath-link,$sysroot/lib/aarch64-linux-gnu") \
        > "$obj/configure.log" 2>&1 ||
        { tail -30 "$obj/configure.log" >&2; die "cross configure failed (log: $obj/configure.log)"; }
    echo "$want" > "$obj/.qif-cross"
fi
use_ccache
note "cross-building qemu-system-aarch64 for arm64"
# shellcheck disable=SC2086
ninja -C "$obj" -j"${JOBS:-$(nproc)}" \
    ${QIF_CROSS_TARGETS:-qemu-system-aarch64 tests/unit/test-kvm-vfio-irq} \
    > "$obj/build.log" 2>&1 ||
    { grep -m10 -E "error|FAILED" "$obj/build.log" >&2; die "cross build failed (log: $obj/build.log)"; }
aarch64-linux-gnu-readelf -h "$obj/qemu-system-aarch64" | grep -q 'Machine: *AArch64' ||
    die "$obj/qemu-system-aarch64 is not an arm64 binary"
note "arm64 QEMU: $obj/qemu-system-aarch64"
