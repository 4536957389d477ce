#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Record tests/baseline/upstream-results.tsv: the result of every test of
# the unit, qtest-aarch64 and qtest-x86_64 suites on the *unpatched* base,
# built in build/baseline/qemu from a worktree at qif-base (same configure,
# same firmware, same machine setup as "make check").
set -euo pipefail
. "$(dirname "$0")/common.sh"

if [ -z "$(git -C "$SRC" rev-list qif-base..HEAD)" ] && \
   [ -z "$(git -C "$SRC" status --porcelain --untracked-files=no)" ]; then
    # Empty series: build/src is the base itself.
    base_src=$SRC
    export QIF_SRC=$SRC QIF_OBJ=$OBJ
else
    base_src=$BUILD/baseline/src
    mkdir -p "$BUILD/baseline"
    git -C "$SRC" worktree prune
    if [ ! -d "$base_src" ]; then
        git -C "$SRC" worktree add -q --detach "$base_src" qif-base
    else
        git -C "$base_src" checkout -q --detach qif-base
    fi
    export QIF_SRC=$base_src QIF_OBJ=$BUILD/baseline/qemu
fi
"$TOP/scripts/build.sh"
# Every test make check-full compares, the full-only ones too
QIF_CHECK_FULL=1 "$TOP/scripts/run-upstream-tests.sh"

out=$TOP/tests/baseline/upstream-results.tsv
{
    echo "# SPDX-License-Identifier: GPL-2.0-or-later"
    echo "# Result of every test in meson suites unit, qtest-aarch64, qtest-x86_64"
    echo "# on the UNPATCHED base ($(git -C "$base_src" log -1 --format=%s qif-base)),"
    echo "# recorded by 'make baseline' (scripts/record-baseline.sh) on $(date -u +%F),"
    echo "# $(nproc) cores, $(. /etc/os-release; echo "$PRETTY_NAME"), kernel $(uname -r),"
    if [ ! -c /dev/kvm ]; then echo "# /dev/kvm: absent."
    elif [ -n "${QIF_UPSTREAM_KVM:-}" ]; then echo "# /dev/kvm: present."
    else echo "# /dev/kvm: present, hidden from QEMU's own tests (without_kvm)."; fi
    echo "# 'make check' fails when any of these results differs."
} > "$out"
python3 "$TOP/scripts/compare-tests.py" record "$QIF_OBJ/meson-logs/qif-upstream.json" "$out"
echo "baseline: $(grep -vc '^#' "$out") results in $out"
