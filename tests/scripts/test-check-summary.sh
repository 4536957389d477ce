#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# make check's closing line counts every failed step: one that counted
# its own failures, one that died before counting anything, and one that
# passed.  (Once two failed steps were summed as "1 failed": a step that
# died uncounted was added only when nothing else had failed.)
set -u
. "$(dirname "$0")/../../scripts/common.sh"
QIF_SUMMARY=$(mktemp)
QIF_CHECK_LOGS=$(mktemp -d)
trap 'rm -rf "$QIF_SUMMARY" "$QIF_CHECK_LOGS"' EXIT
ok() { echo "ok - $*"; }
nok() { echo "not ok - $*"; }

counted_fail() { echo "a 5 1 0" >> "$QIF_SUMMARY"; echo "why-counted"; return 1; }
died() { echo "why-died" >&2; return 1; }
passed() { echo "c 3 0 2" >> "$QIF_SUMMARY"; echo "all-fine"; }
out=$(check_step "counted" counted_fail; check_step "died early" died
      check_step "fine" passed; check_step "silent" true; check_summary); rc=$?
if [ $rc -ne 0 ] && [ "$(tail -1 <<<"$out")" = "9 passed, 2 failed, 2 skipped" ] &&
   grep -qx "make check: FAILED: counted died early" <<<"$out"; then
    ok "every failed step counts in the closing line"
else
    nok "closing line wrong (exit $rc): $(tail -2 <<<"$out" | tr '\n' '|')"
fi
# The failed steps' output again, before the closing line (stderr too);
# not a passing step's.
tail_part=$(sed -n '/^--- counted failed/,$p' <<<"$out")
if grep -qx why-counted <<<"$tail_part" && grep -qx why-died <<<"$tail_part" &&
   ! grep -q all-fine <<<"$tail_part" && grep -q '^--- died early failed' <<<"$tail_part"; then
    ok "the summary repeats each failed step's last lines"
else
    nok "failed steps' output not repeated: $(tr '\n' '|' <<<"$tail_part")"
fi
: > "$QIF_SUMMARY"
out=$(check_step "fine" passed; check_summary); rc=$?
if [ $rc -eq 0 ] && [ "$(tail -1 <<<"$out")" = "3 passed, 0 failed, 2 skipped" ]; then
    ok "a passing run closes with its counts and exit 0"
else
    nok "passing run wrong (exit $rc): $(tail -1 <<<"$out")"
fi
: > "$QIF_SUMMARY"
quiet_fail() { echo "q 4 1 0" >> "$QIF_SUMMARY"; return 0; }
out=$(check_step "quiet" quiet_fail; check_summary); rc=$?
if [ $rc -ne 0 ] && grep -qx "make check: FAILED: quiet" <<<"$out"; then
    ok "a step that counted a failure but exited 0 fails make check"
else
    nok "a counted failure with exit 0 passed (exit $rc): $(tail -2 <<<"$out" | tr '\n' '|')"
fi
