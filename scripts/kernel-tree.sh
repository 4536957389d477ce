#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The reference kernel series (kernel/patches/, against Debian's
# linux-source-6.12) as a git tree to work in, like build/src for QEMU:
#   kernel-tree.sh assemble   build/kernel/src: the source as one commit
#                             (tag kbase), then one commit per patch (git am)
#   kernel-tree.sh export     kernel/patches/ from the commits after kbase
#                             (full blob ids: the same files from any clone)
# The rig's kernel build (scripts/rig/kernel.sh) applies kernel/patches/ to
# a fresh copy of the source; this tree is only for editing the series.
set -euo pipefail
. "$(dirname "$0")/common.sh"
# shellcheck source=kernel-common.sh
. "$TOP/scripts/kernel-common.sh"

tree=$BUILD/kernel/src
patches=$TOP/kernel/patches
git_id=(-c user.name="$(git -C "$TOP" config user.name || echo qif)"
        -c user.email="$(git -C "$TOP" config user.email || echo qif@localhost)")

case "${1:-}" in
assemble)
    [ ! -e "$tree" ] || die "$tree exists; remove it first (it may hold unexported commits)"
    deb=$("$TOP/scripts/rig/kernel.sh" --source-deb)
    kernel_git_tree "$deb" "$tree"
    cd "$tree"
    git tag kbase
    git "${git_id[@]}" am -q "$patches"/*.patch || die "a patch in $patches does not apply"
    note "$tree: $(git rev-list --count kbase..) patches on kbase"
    ;;
export)
    [ -d "$tree/.git" ] || die "no $tree; run: $0 assemble"
    [ -z "$(git -C "$tree" status --porcelain --untracked-files=no)" ] ||
        die "$tree has uncommitted changes"
    rm -f "$patches"/*.patch
    git -C "$tree" format-patch -q --zero-commit --no-signature --full-index \
        -o "$patches" kbase..HEAD
    note "exported $(ls "$patches" | wc -l) patches to $patches"
    ;;
*)
    sed -n '4,10p' "$0" >&2
    exit 2
    ;;
esac
