#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Debian's +ds source drops prebuilt firmware from pc-bios/.  Give the
# build tree's pc-bios/ (where a QEMU run from the build dir looks) links
# to the same blobs from Debian's packages: seabios, ipxe-qemu,
# qemu-system-data, qemu-efi-aarch64, ovmf.
set -euo pipefail
. "$(dirname "$0")/common.sh"

dst=$OBJ/pc-bios
[ -d "$dst" ] || die "$dst missing; build first"

link() {        # link NAME TARGET: only where the build has no such file
    [ -e "$2" ] || return 0
    [ -e "$dst/$1" ] || ln -sfn "$2" "$dst/$1"
}
for f in /usr/share/seabios/*.bin /usr/lib/ipxe/qemu/*.rom /usr/share/qemu/*.bin \
         /usr/share/qemu/*.img /usr/share/qemu/*.rom /usr/share/qemu/*.lid; do
    link "$(basename "$f")" "$f"
done
link edk2-aarch64-code.fd /usr/share/AAVMF/AAVMF_CODE.fd
link edk2-arm-vars.fd     /usr/share/AAVMF/AAVMF_VARS.fd
link edk2-x86_64-code.fd  /usr/share/OVMF/OVMF_CODE_4M.fd
link edk2-i386-vars.fd    /usr/share/OVMF/OVMF_VARS_4M.fd
