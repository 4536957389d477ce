#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Run the meson suites and compare every result with tests/baseline.
set -euo pipefail
. "$(dirname "$0")/common.sh"

"$TOP/scripts/run-upstream-tests.sh"
sum=$(mktemp)
rc=0
python3 "$TOP/scripts/compare-tests.py" check "$OBJ/meson-logs/qif-upstream.json" \
    "$TOP/tests/baseline/upstream-results.tsv" "$TOP/tests/baseline/excluded.tsv" \
    --summary "$sum" || rc=$?
[ -n "${QIF_SUMMARY:-}" ] && echo "meson $(cat "$sum")" >> "$QIF_SUMMARY"
rm -f "$sum"
[ $rc -eq 0 ] || die "upstream suite results differ from the baseline (see above; logs in $OBJ/meson-logs/)"
