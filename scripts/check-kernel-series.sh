#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The reference kernel series (kernel/patches/) must apply with "git am",
# patch by patch, to Debian's pristine linux-source-6.12 and pass that
# tree's scripts/checkpatch.pl without an error.  (That the series builds
# is proven by the rig's L1 kernel build, scripts/rig/kernel.sh.)
# Appends "passed failed skipped" to $QIF_SUMMARY when set.
set -euo pipefail
. "$(dirname "$0")/common.sh"

shopt -s nullglob
patches=("$TOP"/kernel/patches/*.patch)
[ ${#patches[@]} -gt 0 ] || die "no patches in kernel/patches"
deb=$("$TOP/scripts/rig/kernel.sh" --source-deb)
tree=$(mktemp -d "$BUILD/kernel-check.XXXXXX")
trap 'rm -rf "$tree"' EXIT
dpkg-deb --fsys-tarfile "$deb" | tar -xO --wildcards './usr/src/linux-source-6.12.tar.xz' |
    tar -xJ -C "$tree" --strip-components=1
git_q=(git -C "$tree" -c user.name=check -c user.email=check@invalid)
"${git_q[@]}" init -q
"${git_q[@]}" config advice.addIgnoredFile false
"${git_q[@]}" add -A -f
"${git_q[@]}" commit -qm base
pass=0 fail=0
for p in "${patches[@]}"; do
    if "${git_q[@]}" am -q "$p"; then
        echo "check-kernel-series: git am ok: $(basename "$p")"
        pass=$((pass + 1))
    else
        "${git_q[@]}" am --abort 2>/dev/null || true
        echo "check-kernel-series: FAIL: $(basename "$p") does not apply with git am"
        fail=$((fail + 1))
        break
    fi
    if checkpatch_one "$tree" "$p" check-kernel-series; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1))
    fi
done
[ -n "${QIF_SUMMARY:-}" ] && echo "kernel-series $pass $fail 0" >> "$QIF_SUMMARY"
[ $fail -eq 0 ] || die "$fail kernel series check(s) failed"
