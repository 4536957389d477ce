#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Firmware for running QEMU (and its qtests) from the build dir.
# Debian's +ds source drops prebuilt blobs, and --disable-install-blobs
# keeps the remaining ones out of the build's data dir
# (qemu-bundle/<prefix>/share/qemu, where a QEMU run from the build dir
# looks).  Link there: the source tree's pc-bios/ blobs, then Debian's
# packages (seabios, ipxe-qemu, qemu-system-data, qemu-efi-aarch64, ovmf).
# bios-tables-test opens pc-bios/edk2-*.fd in the build dir by path.
set -euo pipefail
. "$(dirname "$0")/common.sh"

data=$OBJ/qemu-bundle/usr/local/share/qemu
[ -d "$data" ] || die "$data missing; build first"
mkdir -p "$OBJ/pc-bios"

link() {        # link DIR NAME TARGET: only where DIR has no such file
    [ -e "$3" ] || return 0
    [ -e "$1/$2" ] || ln -sfn "$3" "$1/$2"
}
# Start over each time, so an old link never shadows the intended one.
find "$data" "$OBJ/pc-bios" -maxdepth 1 -type l \( -lname '/usr/*' -o -lname "$SRC/pc-bios/*" \) -delete
shopt -s nullglob
for f in "$SRC"/pc-bios/*.{bin,rom,dtb,img,lid,fd} \
         /usr/share/seabios/*.bin /usr/lib/ipxe/qemu/*.rom \
         /usr/share/qemu/*.{bin,img,rom,lid,dtb}; do
    link "$data" "$(basename "$f")" "$f"
done
for d in "$data" "$OBJ/pc-bios"; do
    link "$d" edk2-aarch64-code.fd /usr/share/AAVMF/AAVMF_CODE.fd
    link "$d" edk2-arm-vars.fd     /usr/share/AAVMF/AAVMF_VARS.fd
    link "$d" edk2-x86_64-code.fd  /usr/share/OVMF/OVMF_CODE_4M.fd
    link "$d" edk2-i386-vars.fd    /usr/share/OVMF/OVMF_VARS_4M.fd
done
