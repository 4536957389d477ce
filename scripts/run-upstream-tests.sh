#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Run QEMU's unit, qtest-aarch64 and qtest-x86_64 meson suites in $OBJ
# (default setup "quick", as upstream's "make check").  Leaves
# $OBJ/meson-logs/qif-upstream.json.
set -euo pipefail
. "$(dirname "$0")/common.sh"

"$TOP/scripts/firmware.sh"
export PATH=/usr/lib/ccache:$PATH CCACHE_DIR=${CCACHE_DIR:-$QIF_CACHE/ccache}
cd "$OBJ"
note "building test binaries"
ninja -j"${JOBS:-$(nproc)}" >"$OBJ/meson-logs/qif-test-build.log" 2>&1 \
    || { tail -30 "$OBJ/meson-logs/qif-test-build.log" >&2; die "building tests failed"; }
note "running meson suites unit, qtest-aarch64, qtest-x86_64 (log: $OBJ/meson-logs/qif-upstream.txt)"
rc=0
meson test --no-rebuild --num-processes "${JOBS:-$(nproc)}" --logbase qif-upstream \
    --suite unit --suite qtest-aarch64 --suite qtest-x86_64 \
    ${MESON_TEST_ARGS:-} >"$OBJ/meson-logs/qif-upstream.out" 2>&1 || rc=$?
grep -E '^(Ok|Expected Fail|Fail|Unexpected Pass|Skipped|Timeout):' \
    "$OBJ/meson-logs/qif-upstream.out" >&2 || true
note "meson test exited $rc (results are judged against the baseline, not by this)"
[ -s "$OBJ/meson-logs/qif-upstream.json" ] || die "meson test wrote no results"
