#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# "make check-kernel-bisect": build the rig's L1 kernel (its config,
# scripts/kernel-common.sh) at every patch of kernel/patches/, in
# order, so that each patch builds on its own, and count the compiler
# warnings each adds.  One tree (build/kernel-bisect), rebuilt
# incrementally after the first patch.  Not part of "make check".
set -euo pipefail
. "$(dirname "$0")/common.sh"
# shellcheck source=kernel-common.sh
. "$TOP/scripts/kernel-common.sh"

kernel_series
need_tools aarch64-linux-gnu-gcc:gcc-aarch64-linux-gnu flex:flex bison:bison bc:bc
tree=$BUILD/kernel-bisect
kernel_git_tree "$deb" "$tree"
git_q=(git -C "$tree" -c user.name=check -c user.email=check@invalid)
kernel_config "$tree"
k=("${KMAKE[@]}")

n=0 failed=()
for p in "${patches[@]}"; do
    n=$((n + 1))
    "${git_q[@]}" am -q "$p" || die "$(basename "$p") does not apply"
    "${k[@]}" olddefconfig
    log=$tree/build-$n.log
    start=$(date +%s)
    if "${k[@]}" -j"${JOBS:-$(nproc)}" Image > "$log" 2>&1; then
        note "patch $n/${#patches[@]} builds ($(( $(date +%s) - start )) s, $(grep -c 'warning:' "$log" || true) warnings): $(basename "$p")"
    else
        tail -20 "$log" >&2
        note "FAIL: patch $n/${#patches[@]} does not build: $(basename "$p")"
        failed+=("$n")
    fi
done
[ ${#failed[@]} -eq 0 ] || die "patches that do not build: ${failed[*]}"
note "all ${#patches[@]} patches build, each on its own (log: $tree/build-N.log)"
