#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Run the meson suites and compare every result with tests/baseline.
set -euo pipefail
. "$(dirname "$0")/common.sh"

baseline=$TOP/tests/baseline/upstream-results.tsv
[ -f "$baseline" ] || die "$baseline missing; record it with 'make baseline' on the unpatched base"
# Tests that can use KVM behave differently with /dev/kvm; say so when the
# machine differs from the one the baseline was recorded on.
kvm_now=$([ -c /dev/kvm ] && echo present || echo absent)
grep -q "^# /dev/kvm: $kvm_now\." "$baseline" || \
    note "warning: /dev/kvm is $kvm_now here, unlike where the baseline was recorded"
"$TOP/scripts/run-upstream-tests.sh"
sum=$(mktemp)
rc=0
python3 "$TOP/scripts/compare-tests.py" check "$OBJ/meson-logs/qif-upstream.json" \
    "$baseline" "$TOP/tests/baseline/excluded.tsv" \
    --summary "$sum" || rc=$?
[ -n "${QIF_SUMMARY:-}" ] && echo "meson $(cat "$sum")" >> "$QIF_SUMMARY"
rm -f "$sum"
[ $rc -eq 0 ] || die "upstream suite results differ from the baseline (see above; logs in $OBJ/meson-logs/)"
