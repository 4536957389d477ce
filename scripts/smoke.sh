#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Smoke-run the built emulators: the devices this project extends exist
# and list their properties.
set -euo pipefail
. "$(dirname "$0")/common.sh"

run() {
    local bin=$OBJ/qemu-system-$1 dev=$2 out
    [ -x "$bin" ] || die "$bin not built"
    out=$("$bin" -nodefaults -device "$dev,help" 2>&1) \
        || { echo "$out" >&2; die "qemu-system-$1 -device $dev,help failed"; }
    grep -q '^ *host=' <<<"$out" || { echo "$out" >&2; die "$dev: no 'host' property listed"; }
    echo "smoke: qemu-system-$1 -device $dev,help: $(grep -c '=' <<<"$out") properties"
    if [ -n "${SMOKE_EXPECT:-}" ]; then
        grep -q "^ *$SMOKE_EXPECT=" <<<"$out" || die "$dev: property $SMOKE_EXPECT missing"
    fi
}
run aarch64 vfio-platform
run x86_64 vfio-pci
