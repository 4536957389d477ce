#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Run QEMU's unit, qtest-aarch64 and qtest-x86_64 meson suites in $OBJ
# (default setup "quick", as upstream's "make check").  Leaves
# $OBJ/meson-logs/qif-upstream.json.
set -euo pipefail
. "$(dirname "$0")/common.sh"

"$TOP/scripts/firmware.sh"
use_ccache
cd "$OBJ"
note "building test binaries"
ninja -j"${JOBS:-$(nproc)}" >"$OBJ/meson-logs/qif-test-build.log" 2>&1 \
    || { tail -30 "$OBJ/meson-logs/qif-test-build.log" >&2; die "building tests failed"; }
note "running meson suites unit, qtest-aarch64, qtest-x86_64 (log: $OBJ/meson-logs/qif-upstream.txt)"
# The tests in tests/baseline/excluded.tsv, and (except in make
# check-full) those in full-only.tsv, each with its reason, are not run.
mapfile -t run < <(meson test --list --suite unit --suite qtest-aarch64 --suite qtest-x86_64 \
    2>/dev/null | grep ' / ' | grep -vxF -f <(upstream_excluded | grep -v '^#' | cut -f1) \
    | sed 's|^.* / ||')
[ ${#run[@]} -gt 0 ] || die "meson lists no tests in the unit/qtest suites"
rc=0
case $(kvm_hide_state) in
hidden) note "hiding /dev/kvm from QEMU's own tests, as where the baseline was recorded";;
cannot) note "warning: cannot hide /dev/kvm (needs root and mount namespaces); KVM-using tests may differ from the baseline";;
esac
meson_tests qif-upstream "${JOBS:-$(nproc)}" "${run[@]}" || rc=$?
grep -E '^(Ok|Expected Fail|Fail|Unexpected Pass|Skipped|Timeout):' \
    "$OBJ/meson-logs/qif-upstream.out" >&2 || true
note "meson test exited $rc (results are judged against the baseline, not by this)"
[ -s "$OBJ/meson-logs/qif-upstream.json" ] || die "meson test wrote no results"
