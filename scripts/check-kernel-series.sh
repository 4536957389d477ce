#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The reference kernel series (kernel/patches/) must apply with "git am",
# patch by patch, to Debian's pristine linux-source-6.12 and pass that
# tree's scripts/checkpatch.pl without an error.  (That the series builds
# is proven by the rig's L1 kernel build, scripts/rig/kernel.sh; that
# each patch does, by "make check-kernel-bisect", outside "make check".)
# Appends "passed failed skipped" to $QIF_SUMMARY when set.
set -euo pipefail
. "$(dirname "$0")/common.sh"
# shellcheck source=kernel-common.sh
. "$TOP/scripts/kernel-common.sh"

kernel_series
# checkpatch checks a new file's SPDX line with spdxcheck.py, which needs ply
need_tools /usr/lib/python3/dist-packages/ply/__init__.py:python3-ply
tree=$(mktemp -d "$BUILD/kernel-check.XXXXXX")
trap 'rm -rf "$tree"' EXIT
kernel_git_tree "$deb" "$tree"
git_q=(git -C "$tree" -c user.name=check -c user.email=check@invalid)
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
    # A new file asks "does MAINTAINERS need updating?" (a warning, which
    # fails checkpatch): the series' one new file, its KVM selftest, is
    # covered by KVM/arm64's "F: tools/testing/selftests/kvm/aarch64/".
    if checkpatch_one "$tree" "$p" check-kernel-series --ignore FILE_PATH_CHANGES; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1))
    fi
done
[ -n "${QIF_SUMMARY:-}" ] && echo "kernel-series $pass $fail 0" >> "$QIF_SUMMARY"
[ $fail -eq 0 ] || die "$fail kernel series check(s) failed"
