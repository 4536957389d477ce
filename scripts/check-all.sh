#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# "make check": the project's own script tests, the exported series
# (git am + checkpatch), the reference kernel series (the same, against
# Debian's linux-source-6.12), then QEMU's unit/qtest suites (which include our
# tests) compared with tests/baseline, then the short end-to-end run in
# the emulated arm64 rig, and then each step's scripts again as on a
# machine where the rig was never set up.  QIF_CHECK_FULL=1 (make
# check-full) adds the long runs.  Prints one summary line last.
set -uo pipefail
. "$(dirname "$0")/common.sh"

QIF_SUMMARY=$(mktemp)
export QIF_SUMMARY
trap 'rm -f "$QIF_SUMMARY"' EXIT
full=${QIF_CHECK_FULL:-0}
# make check-full takes longer than one sitting on 2 cores (README): what
# passed on this very source tree, with the same settings, is kept and
# not run again (check_full_key).  QIF_FULL_RERUN=1 runs all again.
QIF_CHECK_SRC=$SRC
if [ "$full" = 1 ] && key=$(check_full_key "$TOP" "$QIF_CHECK_SRC"); then
    QIF_CHECK_KEEP=$BUILD/check-full/$key
    [ "${QIF_FULL_RERUN:-}" != 1 ] || rm -rf "$QIF_CHECK_KEEP"
    note "steps that pass are kept in $QIF_CHECK_KEEP; a run on this tree again skips them"
elif [ "$full" = 1 ]; then
    note "uncommitted changes (or no git): every step runs, none is kept"
fi
check_step "script tests" "$TOP/tests/scripts/run.sh"
check_step "series" bash -c "python3 '$TOP/scripts/qtree.py' --tree '$SRC' series --out '$BUILD/series' && '$TOP/scripts/check-series.sh'"
check_step "kernel series" "$TOP/scripts/check-kernel-series.sh"
check_step "upstream suites" "$TOP/scripts/check-upstream.sh"
# Short, for CI's budget (README): 200 interrupts per run; Debian's L1
# kernel (the released kernel's fallback) on GICv3 only; on GICv2 our
# kernel with the PL031 only (edu's forwarded runs and lifecycle runs on
# GICv3); the x86 rig without its userspace runs, lifecycle runs (but
# libvirt's destroy) and churn runs (but the two with L2's own VT-d,
# the re-post path: docs/rig-x86.md); the shorter sets of
# E2E_SHORT (scripts/rig/e2e.sh).  make e2e and make check-full:
# 1000, every boot whole.
if [ "${QIF_NO_E2E:-}" = 1 ]; then
    echo "=== rig end-to-end: skipped (QIF_NO_E2E=1)"
    echo "e2e 0 0 1" >> "$QIF_SUMMARY"
elif [ "$full" = 1 ]; then
    # A step per boot, each kept on its own; then the table of them all.
    boots=${E2E_BOOTS:-$("$TOP/scripts/rig/e2e.sh" --boots)}
    for boot in $boots; do
        check_step "rig end-to-end $boot" env E2E_N="${E2E_N:-1000}" E2E_BOOTS="$boot" \
            "$TOP/scripts/rig/e2e.sh"
    done
    # (a kept boot's console log may since have been overwritten by
    # another run of that boot: its table is in its kept step log)
    if [[ " ${check_kept_steps[*]} " == *" rig end-to-end "* ]]; then
        note "e2e boots kept from an earlier run: each boot's table is in its step's kept log"
    else
        env -u QIF_SUMMARY E2E_REPORT_ONLY=1 E2E_N="${E2E_N:-1000}" E2E_BOOTS="$boots" \
            "$TOP/scripts/rig/e2e.sh" > /dev/null 2>&1 &&
            note "the table of every boot: $BUILD/rig/e2e-table.md"
    fi
else
    check_step "rig end-to-end" env E2E_N="${E2E_N:-200}" E2E_SHORT=1 \
        E2E_BOOTS="${E2E_BOOTS:-3:pci 3:platform 2:pl031+threadirqs x86:pci}" "$TOP/scripts/rig/e2e.sh"
    # The bench's short form on the GICv4 anchor: edu's MSI injected
    # directly (an MSI that reaches VFIO's handler fails it), its
    # forwarded INTx, the instruction counts of both
    check_step "bench short form, GICv4" env BENCH_ROUNDS=1 BENCH_N=500 BENCH_GIC=4 \
        BENCH_TABLE="$BUILD/rig/bench-table-gicv4-short.md" "$TOP/scripts/rig/bench.sh"
fi
# make check-full: the long runs, beyond CI's time budget (README).
if [ "$full" = 1 ]; then
    check_step "lifecycle stress" "$TOP/scripts/rig/stress.sh"
    check_step "bench" "$TOP/scripts/rig/bench.sh"
    check_step "bench, GICv4 anchor" env BENCH_GIC=4 "$TOP/scripts/rig/bench.sh"
    check_step "off-compare" "$TOP/scripts/rig/off-compare.sh"
    check_step "bisect" "$TOP/scripts/check-bisect.sh"
    check_step "kernel bisect" "$TOP/scripts/check-kernel-bisect.sh"
    check_step "sanitizers" "$TOP/scripts/check-sanitizers.sh"
fi
# Last, with every cache there: each step again without the rig's tools.
check_step "fresh state" "$TOP/tests/scripts/fresh-state.sh"

check_summary
