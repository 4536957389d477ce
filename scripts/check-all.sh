#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# "make check": the project's own script tests, the exported series
# (git am + checkpatch), the reference kernel series (the same, against
# Debian's linux-source-6.12), then QEMU's unit/qtest suites (which include our
# tests) compared with tests/baseline, then the short end-to-end run in
# the emulated arm64 rig.  Prints one summary line last.
set -uo pipefail
. "$(dirname "$0")/common.sh"

QIF_SUMMARY=$(mktemp)
export QIF_SUMMARY
trap 'rm -f "$QIF_SUMMARY"' EXIT
failed_steps=()
step() {
    local name=$1; shift
    echo "=== $name"
    "$@" || failed_steps+=("$name")
}

step "script tests" "$TOP/tests/scripts/run.sh"
step "series" bash -c "python3 '$TOP/scripts/qtree.py' --tree '$SRC' series --out '$BUILD/series' && '$TOP/scripts/check-series.sh'"
step "kernel series" "$TOP/scripts/check-kernel-series.sh"
step "upstream suites" "$TOP/scripts/check-upstream.sh"
# Short: 200 interrupts per run (make e2e does 1000).
if [ "${QIF_NO_E2E:-}" = 1 ]; then
    echo "=== rig end-to-end: skipped (QIF_NO_E2E=1)"
    echo "e2e 0 0 1" >> "$QIF_SUMMARY"
else
    step "rig end-to-end" env E2E_N="${E2E_N:-200}" "$TOP/scripts/rig/e2e.sh"
fi

read -r p f s < <(awk '{p+=$2; f+=$3; s+=$4} END {print p+0, f+0, s+0}' "$QIF_SUMMARY")
echo
if [ ${#failed_steps[@]} -gt 0 ]; then
    echo "make check: FAILED: ${failed_steps[*]}"
    # A step that died before counting must still show as a failure.
    [ "$f" -eq 0 ] && f=${#failed_steps[@]}
fi
echo "$p passed, $f failed, $s skipped"
[ ${#failed_steps[@]} -eq 0 ]
