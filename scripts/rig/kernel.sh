#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Build the rig's own L1 kernel from Debian's linux-source-6.12 with our
# reference kernel series (kernel/patches/: the kvm-vfio forwarding API)
# applied.  Debian's arm64 kernel has CONFIG_VFIO_PLATFORM off, and
# vfio-platform is what the rig's PL031 runs need.  A small config
# (scripts/kernel-common.sh: allnoconfig plus a list), cross-built with
# gcc-aarch64-linux-gnu.  Cached in
# $QIF_CACHE/rig/kbuild-<version>-<config and patches hash>/: Image, .config
# and the patched UAPI headers (usr/include, for our test program); prints
# the Image's path.  --source-deb: only fetch the source package, print
# its path.  --cached: print the Image's path only if it is built already.
# --debug: the debug kernel (DEBUG_CONFIG on top, each of which must stay
# on), cached apart.
set -euo pipefail
. "$(dirname "$0")/../common.sh"

# shellcheck source=../kernel-common.sh
. "$(dirname "$0")/../kernel-common.sh"

debug=0 mode= what=
for arg; do
    case $arg in
    --debug) debug=1 what="debug ";;
    --source-deb|--cached) mode=$arg;;
    *) die "unknown argument '$arg'";;
    esac
done
cache=$QIF_CACHE/rig
mkdir -p "$cache/debs"
deb=$(ls -t "$cache"/debs/linux-source-6.12_*.deb 2>/dev/null | head -1 || true)
if [ -z "$deb" ]; then
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
[ $debug = 0 ] || CONFIG+=("${DEBUG_CONFIG[@]}")
hash=$({ printf '%s\n' "${CONFIG[@]}"; cat "${patches[@]}"; } | sha256sum | cut -c1-12)
out=$cache/kbuild-$ver-$hash
if [ -f "$out/Image" ]; then
    echo "$out/Image"
    exit 0
fi
[ "$mode" != --cached ] || exit 1

# Only a build needs the tools: the series checks need just the source.
need_tools aarch64-linux-gnu-gcc:gcc-aarch64-linux-gnu flex:flex bison:bison bc:bc
note "building the L1 ${what}kernel (linux-source-6.12 $ver, ${#patches[@]} patches, ${#CONFIG[@]} options) in $out"
rm -rf "$out.tmp"
mkdir -p "$out.tmp"
dpkg-deb --fsys-tarfile "$deb" | tar -xO --wildcards './usr/src/linux-source-6.12.tar.xz' |
    tar -xJ -C "$out.tmp" --strip-components=1
(cd "$out.tmp" && git apply "${patches[@]}") ||
    die "kernel/patches/ does not apply to linux-source-6.12 $ver"
kernel_config "$out.tmp"
k=("${KMAKE[@]}")
if [ $debug = 1 ]; then     # a debug kernel without its checks is no debug kernel
    for opt in "${DEBUG_CONFIG[@]}"; do
        grep -qx "CONFIG_$opt=y" "$out.tmp/.config" ||
            die "debug kernel: CONFIG_$opt did not stay on"
    done
fi
"${k[@]}" -j"${JOBS:-$(nproc)}" Image > "$out.tmp/build.log" 2>&1 ||
    { tail -30 "$out.tmp/build.log" >&2; die "L1 kernel build failed"; }
"${k[@]}" headers >> "$out.tmp/build.log" 2>&1 ||
    { tail -30 "$out.tmp/build.log" >&2; die "L1 kernel: make headers failed"; }
mkdir -p "$out/usr"
cp "$out.tmp/arch/arm64/boot/Image" "$out.tmp/.config" "$out/"
cp -r "$out.tmp/usr/include" "$out/usr/"
rm -rf "$out.tmp"
echo "$out/Image"
