#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Configure (once) and build the assembled tree in build/qemu, with ccache.
set -euo pipefail
. "$(dirname "$0")/common.sh"

[ -e "$SRC/.git" ] || die "$SRC is not assembled; run 'make'"

use_ccache
ccache --max-size=5G >/dev/null

CONFIGURE_ARGS=(
    --python=/usr/bin/python3
    --target-list=aarch64-softmmu,x86_64-softmmu
    --enable-kvm --disable-docs --disable-user --disable-werror
    --disable-install-blobs
)
stamp=$OBJ/.qif-configure-args
want="${CONFIGURE_ARGS[*]} src=$SRC"
if [ ! -f "$OBJ/build.ninja" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    rm -rf "$OBJ"
    mkdir -p "$OBJ"
    note "configuring in $OBJ"
    (cd "$OBJ" && "$SRC/configure" "${CONFIGURE_ARGS[@]}") > "$OBJ/configure.log" 2>&1 \
        || { tail -30 "$OBJ/configure.log" >&2; die "configure failed (log: $OBJ/configure.log)"; }
    echo "$want" > "$stamp"
fi
note "building (ninja -j${JOBS:-$(nproc)})"
ninja -C "$OBJ" -j"${JOBS:-$(nproc)}" ${NINJA_TARGETS:-} || die "build failed"
