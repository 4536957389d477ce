#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Run the meson suites and compare every result with tests/baseline.
set -euo pipefail
. "$(dirname "$0")/common.sh"

baseline=$TOP/tests/baseline/upstream-results.tsv
[ -f "$baseline" ] || die "$baseline missing; record it with 'make baseline' on the unpatched base"
# Tests that can use KVM behave differently with /dev/kvm: the suites run
# without it (without_kvm), as the baseline was; QIF_UPSTREAM_KVM=1 on a
# machine whose /dev/kvm runs guests compares with KVM, and warns.
if [ -n "${QIF_UPSTREAM_KVM:-}" ] && [ -c /dev/kvm ] && \
   ! grep -q "^# /dev/kvm: present\." "$baseline"; then
    note "warning: QIF_UPSTREAM_KVM=1, but the baseline was recorded without /dev/kvm"
fi
"$TOP/scripts/run-upstream-tests.sh"
sum=$(mktemp) differ=$(mktemp)
trap 'rm -f "$sum" "$differ"' EXIT
compare() {
    python3 "$TOP/scripts/compare-tests.py" check "$OBJ/meson-logs/qif-upstream.json" \
        "$baseline" <(upstream_excluded) --summary "$sum" "$@"
}
rc=0
compare --differ "$differ" >"$sum.out" || rc=$?
# On 2 cores some upstream qtests (e.g. ahci-test's migration cases) time
# out or race under parallel load.  Run the differing ones again, alone;
# any that then match are reported as flaky, the rest still fail.
if [ $rc -ne 0 ] && [ -s "$differ" ]; then
    mapfile -t again < "$differ"
    note "${#again[@]} test(s) differ; running them again, one at a time: ${again[*]}"
    meson_tests qif-retry 1 "${again[@]}" || true
    rc=0
    compare --retry "$OBJ/meson-logs/qif-retry.json" || rc=$?
else
    cat "$sum.out"
fi
rm -f "$sum.out"
[ -n "${QIF_SUMMARY:-}" ] && echo "meson $(cat "$sum")" >> "$QIF_SUMMARY"
[ $rc -eq 0 ] || die "upstream suite results differ from the baseline (see above; logs in $OBJ/meson-logs/)"
