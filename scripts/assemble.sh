#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Create or update build/src: the base QEMU tree plus our series.
# Base: Debian trixie's source package, or $QEMU_SRC (any QEMU 10.0.x tree).
set -euo pipefail
. "$(dirname "$0")/common.sh"

if [ -n "${QEMU_SRC:-}" ]; then
    [ -f "$QEMU_SRC/VERSION" ] || die "QEMU_SRC=$QEMU_SRC is not a QEMU source tree (no VERSION)"
    v=$(cat "$QEMU_SRC/VERSION")
    case "$v" in 10.0.*) ;; *) die "QEMU_SRC=$QEMU_SRC is QEMU $v; this series is for 10.0.x" ;; esac
    base=$(cd "$QEMU_SRC" && pwd)
    base_id="user:$base:$v"
else
    base=$("$TOP/scripts/fetch-qemu.sh")
    base_id="debian:$(cat "$base/../.version")"
fi
mkdir -p "$BUILD"
exec python3 "$TOP/scripts/qtree.py" --tree "$SRC" assemble --base "$base" --base-id "$base_id"
