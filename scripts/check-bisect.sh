#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# "make check-bisect": build every commit of the series, in order, so that
# the series stays bisectable.  Uses its own tree and build directory
# (build/bisect/src, build/bisect/qemu), laid out like build/src and
# build/qemu so that the shared ccache serves it.  Only the files a commit
# changes are rebuilt after the first one.
set -euo pipefail
. "$(dirname "$0")/common.sh"

[ -d "$SRC/.git" ] || die "$SRC is not assembled; run 'make'"
B=$BUILD/bisect
commits=$(git -C "$SRC" rev-list --reverse qif-base..HEAD)
[ -n "$commits" ] || die "no commits on top of qif-base in $SRC"

git -C "$SRC" worktree prune
if [ ! -e "$B/src/.git" ]; then
    rm -rf "$B/src"
    mkdir -p "$B"
    git -C "$SRC" worktree add -q --detach "$B/src" qif-base
fi

# Code only an arm64 host compiles (the KVM GIC models) is built by the
# rig's cross build too, once the rig has set it up, at each commit that
# changes such code or what it includes (arm_cross_needed) and at the
# last; QIF_BISECT_CROSS=0 skips it.
cross=0 what=""
if [ "${QIF_BISECT_CROSS:-1}" = 1 ]; then
    if command -v aarch64-linux-gnu-gcc >/dev/null && [ -f "$QIF_CACHE/rig/sysroot/.done" ]; then
        cross=1 what=" (x86 and arm64 host)"
    else
        note "not cross-building for an arm64 host: run 'make rig' once to set it up"
    fi
fi
# arm_cross_needed COMMIT: COMMIT changes what only an arm64 host
# compiles (arm_host_build_files), or the list of files it changes cannot
# be read (in doubt, build)
arm_cross_needed() {
    local files
    files=$(git -C "$SRC" diff --name-only "$1^" "$1") || return 0
    arm_host_build_files <<<"$files"
}
n=0 total=$(wc -w <<<"$commits") failed=()
for c in $commits; do
    n=$((n + 1))
    subject=$(git -C "$SRC" log -1 --format=%s "$c")
    git -C "$B/src" checkout -q --detach "$c"
    start=$(date +%s)
    this=$cross what_this=$what
    if [ "$cross" = 1 ] && [ "$n" -lt "$total" ] && ! arm_cross_needed "$c"; then
        this=0 what_this=" (x86 host; nothing only an arm64 host compiles changed)"
    fi
    if QIF_SRC=$B/src QIF_OBJ=$B/qemu "$TOP/scripts/build.sh" > "$B/build-$n.log" 2>&1 &&
       { [ "$this" = 0 ] ||
         QIF_SRC=$B/src QIF_OBJ=$B/qemu QIF_CROSS_OBJ=$B/rig/qemu-aarch64 \
             QIF_CROSS_TARGETS=qemu-system-aarch64 \
             "$TOP/scripts/rig/cross-qemu.sh" >> "$B/build-$n.log" 2>&1; }; then
        echo "check-bisect: $n/$total builds$what_this ($(( $(date +%s) - start )) s): $subject"
    else
        echo "check-bisect: $n/$total FAILS to build: $subject"
        grep -m5 -E "error:|FAILED:" "$B/build-$n.log" | sed 's/^/    /'
        echo "    (log: $B/build-$n.log)"
        failed+=("$n")
    fi
done
[ ${#failed[@]} -eq 0 ] || die "${#failed[@]} of $total commit(s) do not build: ${failed[*]}"
echo "check-bisect: all $total commits build"
