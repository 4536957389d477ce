#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Run every tests/scripts/test-*.sh; each prints "ok - ..." / "not ok - ...".
# Appends "passed failed skipped" to $QIF_SUMMARY when set.
set -uo pipefail
dir=$(cd "$(dirname "$0")" && pwd)
pass=0 fail=0
for t in "$dir"/test-*.sh; do
    # A test's own runs of our scripts must not count in make check's summary
    out=$(env -u QIF_SUMMARY bash "$t" 2>&1); rc=$?
    echo "$out"
    p=$(grep -c '^ok - ' <<<"$out"); f=$(grep -c '^not ok - ' <<<"$out")
    if [ $rc -ne 0 ] && [ "$f" -eq 0 ]; then
        echo "not ok - $(basename "$t") exited $rc"; f=1
    fi
    pass=$((pass + p)) fail=$((fail + f))
done
echo "script tests: $pass passed, $fail failed"
[ -n "${QIF_SUMMARY:-}" ] && echo "scripts $pass $fail 0" >> "$QIF_SUMMARY"
[ $fail -eq 0 ]
